"""Feature selection and frame preparation shared by the purchasing-power and credit models.

Features are selected generically: every column of the feature frame except
the key, label and meta columns in :data:`NON_FEATURE_COLUMNS`, columns whose
name starts with ``_`` and the protected attributes in
:data:`PROTECTED_ATTRIBUTES`.

``gender`` is a protected attribute.  It stays in the data so that fairness
can be monitored downstream, but it is never used as a model feature, neither
directly here nor through any automatic selection.

A column is *categorical* when its dtype is object, string or category, except
object columns whose non-missing values are all numbers (e.g. ``Decimal``
values coming out of a database driver), which are numeric.  Boolean and
numeric columns are numeric.  Columns of any other dtype (datetimes,
timedeltas, ...) are not used as features, nor are columns that are entirely
missing in the training frame (e.g. from a source table the shop does not have).
"""

from __future__ import annotations

import base64
import datetime as dt
import numbers
import pickle

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

__all__ = [
    "NON_FEATURE_COLUMNS",
    "PROTECTED_ATTRIBUTES",
    "MISSING_CATEGORY",
    "FeatureSpec",
    "select_features",
    "prepare_features",
    "to_float",
    "to_iso_date",
    "to_date",
    "iso_dates",
    "encode_blob",
    "decode_blob",
    "ordinal_encoding",
    "hist_gbm_pipeline",
]

NON_FEATURE_COLUMNS = frozenset(
    {
        "customer_id",
        "credit_account_id",
        "feature_date",
        "window_index",
        "cutoff_role",
        "label",
        "label_window_days",
        "label_window_spend",
        "label_end_date",
        "label_orders_in_window",
        # evaluation only: spend over a longer span after the cut-off (a label, never a feature)
        "horizon_label_days",
        "horizon_label_spend",
        "horizon_label_end_date",
        "horizon_label_net_spend",
        "split",
        "is_default",
        "as_of_date",
        # the training sample's design (int_purchasing_power_training_sample)
        "window_rows",
        "sample_stratum",
        "in_training_sample",
        "in_evaluation_sample",
        "sample_weight",
        "split_rows",
    }
)
PROTECTED_ATTRIBUTES = frozenset({"gender"})
MISSING_CATEGORY = "(missing)"
MAX_GBM_CATEGORIES = 250  # below HistGradientBoosting's max_bins (255), as it requires
_PICKLE_PROTOCOL = 5


def _is_excluded(name: str) -> bool:
    lowered = str(name).lower()
    return (
        str(name).startswith("_")
        or lowered in NON_FEATURE_COLUMNS
        or lowered in PROTECTED_ATTRIBUTES
    )


def _object_holds_numbers(series: pd.Series) -> bool:
    values = series.dropna()
    if values.empty:
        return False
    return all(
        isinstance(v, numbers.Number) and not isinstance(v, (bool, np.bool_)) for v in values
    )


class FeatureSpec:
    """Ordered lists of numeric and categorical feature names (picklable, immutable use)."""

    def __init__(self, numeric: list[str], categorical: list[str]):
        self.numeric = list(numeric)
        self.categorical = list(categorical)

    @property
    def names(self) -> list[str]:
        """All features, sorted by name (the canonical order used in versions)."""
        return sorted(self.numeric + self.categorical)

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, FeatureSpec)
            and self.numeric == other.numeric
            and self.categorical == other.categorical
        )

    def __repr__(self) -> str:
        return f"FeatureSpec(numeric={self.numeric!r}, categorical={self.categorical!r})"


def select_features(frame: pd.DataFrame, excluded=()) -> FeatureSpec:
    """Split the usable feature columns of ``frame`` into numeric and categorical (sorted by name).

    ``excluded`` names further columns a model must not use (e.g. the credit model's
    ``excluded_features``), on top of the meta columns and protected attributes.
    """
    numeric: list[str] = []
    categorical: list[str] = []
    also_excluded = {str(name).lower() for name in excluded}
    for name in frame.columns:
        if _is_excluded(name) or str(name).lower() in also_excluded:
            continue
        if frame[name].isna().all():
            # Nothing to learn from (e.g. a source table the shop does not have).
            continue
        dtype = frame[name].dtype
        if isinstance(dtype, pd.CategoricalDtype) or isinstance(dtype, pd.StringDtype):
            categorical.append(str(name))
        elif pd.api.types.is_object_dtype(dtype):
            if _object_holds_numbers(frame[name]):
                numeric.append(str(name))
            else:
                categorical.append(str(name))
        elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            numeric.append(str(name))
        # datetimes, timedeltas, intervals, ...: not features
    return FeatureSpec(sorted(numeric), sorted(categorical))


def _clean_categorical(series: pd.Series) -> np.ndarray:
    values = series.astype(object)
    missing = values.isna().to_numpy()
    return np.array(
        [MISSING_CATEGORY if m else (v if isinstance(v, str) else str(v))
         for v, m in zip(values.to_numpy(), missing)],
        dtype=object,
    )


def to_float(series: pd.Series) -> np.ndarray:
    """Float64 values of a column (unparseable or missing values become NaN)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
        pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)
    ):
        return series.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(series.astype(object), errors="coerce").astype("float64").to_numpy()


def prepare_features(frame: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """A clean model input frame: numerics as float64 (NaN = missing), categoricals as
    Python strings with :data:`MISSING_CATEGORY` for missing values.

    The dtype handling follows ``spec`` rather than the dtypes of ``frame``, so a
    batch whose column happens to be all-null (and therefore typed differently)
    is prepared exactly like the training data.
    """
    missing = [c for c in spec.numeric + spec.categorical if c not in frame.columns]
    if missing:
        raise KeyError(f"feature columns missing from the frame: {missing}")
    data = {}
    for name in spec.numeric:
        data[name] = to_float(frame[name])
    for name in spec.categorical:
        data[name] = _clean_categorical(frame[name])
    prepared = pd.DataFrame(data, index=pd.RangeIndex(len(frame)))
    for name in spec.categorical:
        prepared[name] = prepared[name].astype(object)
    return prepared[spec.numeric + spec.categorical]


def to_iso_date(value) -> str | None:
    """ISO date string of a date-like value (None for missing)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return pd.Timestamp(value).date().isoformat()


def to_date(value) -> dt.date | None:
    iso = to_iso_date(value)
    return None if iso is None else dt.date.fromisoformat(iso)


def iso_dates(series: pd.Series) -> list[str]:
    """Sorted distinct ISO dates of a series."""
    distinct = pd.unique(series.dropna())
    return sorted({d for d in (to_iso_date(v) for v in distinct) if d is not None})


def encode_blob(obj) -> str:
    """Pickle ``obj`` and return it as base64 text."""
    return base64.b64encode(pickle.dumps(obj, protocol=_PICKLE_PROTOCOL)).decode("ascii")


def decode_blob(blob: str, expected: type | None = None):
    """Inverse of :func:`encode_blob`; with ``expected``, the object must be of that type.
    Only decode blobs this project wrote (pickle)."""
    if not isinstance(blob, (str, bytes)) or len(blob) == 0:
        raise ValueError("model_blob must be a non-empty base64 string")
    try:
        obj = pickle.loads(base64.b64decode(blob, validate=True))
    except Exception as exc:  # malformed base64 / pickle: one clear error type
        raise ValueError(f"model_blob could not be decoded: {exc}") from exc
    if expected is not None and not isinstance(obj, expected):
        raise ValueError(f"model_blob holds a {type(obj).__name__}, not a {expected.__name__}")
    return obj


def ordinal_encoding(spec: FeatureSpec) -> tuple[ColumnTransformer, list[bool] | None]:
    """Column transformer for histogram GBMs: categoricals ordinal-encoded first
    (unknown categories become NaN = missing, the rarest beyond
    :data:`MAX_GBM_CATEGORIES` are pooled), numerics passed through.

    Returns the transformer and the boolean categorical mask of its output
    (None when there are no categoricals) for ``categorical_features``.
    """
    transformers = []
    if spec.categorical:
        transformers.append((
            "cat",
            OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                encoded_missing_value=np.nan,
                max_categories=MAX_GBM_CATEGORIES,
            ),
            spec.categorical,
        ))
    if spec.numeric:
        transformers.append(("num", "passthrough", spec.numeric))
    mask = [True] * len(spec.categorical) + [False] * len(spec.numeric)
    return ColumnTransformer(transformers, remainder="drop"), (mask if spec.categorical else None)



def hist_gbm_pipeline(estimator: type, spec: FeatureSpec, params, random_state: int) -> Pipeline:
    """``prepare`` (:func:`ordinal_encoding` of ``spec``), then ``gbm``: the HistGradientBoosting
    class ``estimator`` with the typed ``params`` (a :class:`~.params.HistGBMParams`) as keyword
    arguments, the categoricals handled natively, and ``random_state``."""
    prepare, categorical_mask = ordinal_encoding(spec)
    return Pipeline([
        ("prepare", prepare),
        ("gbm", estimator(**params.as_dict(), categorical_features=categorical_mask, random_state=random_state)),
    ])
