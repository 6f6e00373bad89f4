"""Why this customer's predicted spend is what it is: the top drivers, as readable text.

Method (one-at-a-time replacement by the typical value)
-------------------------------------------------------
For each candidate feature, the customer's value is replaced by the training population's
*reference value* (the weighted median of a numeric feature, the weighted mode of a categorical
one; "missing" when most training rows have no value, e.g. the late-instalment share of
customers who never had instalments due) with every other input left as it is, and the model
predicts again. The driver's effect is

    change = prediction(customer) - prediction(customer with this feature at its typical value)

so ``+310`` means "this customer's value of the feature raises the forecast by 310 over a typical
value". The features with the largest ``|change|`` are the drivers, named with the customer's
value and the typical one, e.g.
``orders_lifetime 12 (typical 2): +310; recency_days 5 (typical 60): +120``. Changes are not
additive (features interact) and a replaced value may be inconsistent with the others (a typical
``days_since_first_order`` beside the customer's own ``recency_days``); the text says which inputs
move *this* model's forecast most, not why the customer behaves so. Only the raw input features
are replaced: columns the model derives inside ``predict`` (the BG/NBD x Gamma-Gamma
expectations) follow from them, so a driver such as ``orders_lifetime`` includes its effect through
BTYD.

Privacy and fairness: demographic attributes (:data:`DEMOGRAPHIC_FEATURES`: age, region, city
tier, gender and the like) are never drivers, even when the model uses them: a published text
"age_years 47 (typical 35)" would publish the exact age the marts band, and a per-customer
statement that a region or age moved the forecast is a fairness disclosure this table should not
make. Their influence stays in the prediction and is monitored in aggregate, not itemised here; a
customer's top drivers are the top behavioural ones.

Cost
----
The explainer is fitted once, on training rows, and stores only reference values and the chosen
candidate features: explaining a row depends on that row alone, so scoring batch by batch gives
the same text as scoring all at once. Fitting predicts ``F + 1`` times on at most
``sample_rows`` training rows (F = the model's raw, non-demographic features), to keep the
``max_features`` features with the largest mean ``|change|``; explaining a batch of ``n`` rows
predicts ``n`` rows once per kept feature (at most ``max_features``, 12 by default) besides the
prediction itself, holding one modified copy of the batch at a time: scoring costs up to
``max_features + 1`` times the predictions alone (measured on the 3,000-customer demo with a
linear champion and 12 kept features: 0.05 s without drivers, 0.8 s with them; lower
``max_features`` to trade detail for time).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import btyd
from ..features import MISSING_CATEGORY, FeatureSpec, to_float
from ..threads import with_fixed_threads

__all__ = ["DEMOGRAPHIC_FEATURES", "NO_DRIVER_TEXT", "DriverExplainer", "model_input_features"]

# Never named as drivers (module docstring); compared in lower case.
DEMOGRAPHIC_FEATURES = frozenset({
    "age", "age_years", "age_band", "birth_year", "birth_date", "date_of_birth",
    "gender", "sex", "region", "city", "city_tier", "postcode", "postal_code", "zip_code",
    "nationality", "ethnicity", "marital_status",
})
NO_DRIVER_TEXT = "no single feature moves this prediction from its typical value"
_KEY_COLUMNS = ("customer_id", "feature_date", "window_index")
_MAX_CATEGORY_CHARS = 40


def model_input_features(model) -> FeatureSpec:
    """The raw input features a fitted purchasing-power model reads: its feature spec
    (``model.spec``) without the BTYD columns it derives inside ``predict``; for an estimator
    without a spec, its ``required_columns`` (e.g. the naive rate) as numerics."""
    spec = None
    try:
        spec = model.spec
    except (AttributeError, ValueError):  # NotFittedError is both
        spec = getattr(model, "spec_", None)
    if spec is None:
        required = getattr(model, "required_columns", None)
        if required is None:
            raise ValueError(f"cannot tell which features a {type(model).__name__} reads "
                             "(it has neither a fitted spec nor required_columns)")
        return FeatureSpec(sorted(required), [])
    derived = set(btyd.FEATURE_NAMES)
    return FeatureSpec([n for n in spec.numeric if n not in derived], [n for n in spec.categorical if n not in derived])


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cumulative = np.cumsum(weights)
    return float(values[int(np.searchsorted(cumulative, 0.5 * cumulative[-1], side="left"))])


def _categories(series: pd.Series) -> np.ndarray:
    """Category values as the models see them (text; missing = :data:`MISSING_CATEGORY`)."""
    return np.array([MISSING_CATEGORY if pd.isna(v) else (v if isinstance(v, str) else str(v))
                     for v in series.astype(object).to_numpy()], dtype=object)


def _weighted_mode(values: np.ndarray, weights: np.ndarray) -> str:
    totals: dict[str, float] = {}
    for value, weight in zip(values, weights):
        totals[value] = totals.get(value, 0.0) + float(weight)
    best = max(totals.values())
    return min(value for value, total in totals.items() if total == best)  # ties: alphabetical


def _format_number(value: float) -> str:
    if not np.isfinite(value):
        return "missing"
    if value == round(value) and abs(value) < 1e12:
        return str(int(round(value)))
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _format_change(change: float) -> str:
    if abs(change) >= 10:
        return f"{change:+.0f}"
    if abs(change) >= 1:
        return f"{change:+.1f}"
    return f"{change:+.2f}"


def _format_category(value: str) -> str:
    if value == MISSING_CATEGORY:
        return "missing"
    return value if len(value) <= _MAX_CATEGORY_CHARS else value[: _MAX_CATEGORY_CHARS - 1] + "…"


def _canonical_order(X: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by their keys when the frame has them: SQL gives no row order, and the
    fit's sample must not depend on it."""
    keys = [c for c in _KEY_COLUMNS if c in X.columns]
    return X.sort_values(keys, kind="stable").reset_index(drop=True) if keys else X.reset_index(drop=True)


class DriverExplainer(BaseEstimator):
    """Top drivers of a fitted model's predicted spend by replacement with the typical value
    (module docstring: method, privacy rule, cost).

    ``max_features``: candidate features kept at fit time (the largest mean ``|change|`` on the
    sample); ``n_drivers``: drivers named per customer; ``sample_rows``: training rows the choice
    is made on (a uniform draw with ``random_seed``); ``excluded``: features never named (the
    demographic ones by default; compared in lower case); ``min_change``: a smaller ``|change|``
    does not count as moving the prediction (half a cent: it would print as 0).

    Fitted attributes: ``features_`` (kept features, most influential first), ``kinds_``
    (``'numeric'`` / ``'categorical'`` per kept feature), ``reference_`` (typical value per kept
    feature), ``mean_abs_change_`` (per considered feature, on the sample), ``n_sample_`` (rows the
    choice was made on).
    """

    def __init__(self, *, max_features: int = 12, n_drivers: int = 3, sample_rows: int = 500,
                 random_seed: int = 42, excluded: Iterable[str] = DEMOGRAPHIC_FEATURES, min_change: float = 0.005):
        self.max_features = max_features
        self.n_drivers = n_drivers
        self.sample_rows = sample_rows
        self.random_seed = random_seed
        self.excluded = excluded
        self.min_change = min_change

    def _check_params(self) -> None:
        for name in ("max_features", "n_drivers", "sample_rows"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not np.isfinite(self.min_change) or self.min_change < 0:
            raise ValueError(f"min_change must be a finite number >= 0, got {self.min_change!r}")

    @staticmethod
    def _replaced(X: pd.DataFrame, name: str, kind: str, reference) -> pd.DataFrame:
        out = X.copy(deep=False)  # the other columns are shared, never written
        if kind == "numeric":
            out[name] = np.full(len(X), float(reference))
        else:
            value = None if reference == MISSING_CATEGORY else reference
            out[name] = pd.Series(np.full(len(X), value, dtype=object), index=X.index, dtype=object)
        return out

    @with_fixed_threads
    def fit(self, model, X: pd.DataFrame, sample_weight=None) -> "DriverExplainer":
        """Learn the reference values on training rows ``X`` of the fitted ``model`` (weighted by
        ``sample_weight``, 1 / inclusion rate, when given) and keep the candidate features."""
        self._check_params()
        if len(X) == 0:
            raise ValueError("the explainer needs training rows to learn typical values from, got none")
        weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if weights.shape != (len(X),) or not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("sample_weight must hold one finite weight >= 0 per row, with a positive sum")
        X = X.assign(_explainer_weight=weights)
        X = _canonical_order(X)
        weights = X.pop("_explainer_weight").to_numpy(dtype=float)
        spec = model_input_features(model)
        excluded = {str(name).lower() for name in self.excluded}
        kinds = {**{n: "numeric" for n in spec.numeric}, **{n: "categorical" for n in spec.categorical}}
        missing = [n for n in kinds if n not in X.columns]
        if missing:
            raise KeyError(f"feature columns missing from the training rows: {missing}")
        reference: dict[str, object] = {}
        for name, kind in sorted(kinds.items()):
            if name.lower() in excluded:
                continue
            if kind == "numeric":
                values = to_float(X[name])
                known = ~np.isnan(values)
                if weights[known].sum() > 0.5 * weights.sum():
                    reference[name] = _weighted_median(values[known], weights[known])
                elif known.any():
                    reference[name] = np.nan  # most customers have no value: missing is typical
            else:
                reference[name] = _weighted_mode(_categories(X[name]), weights)
        if len(X) > self.sample_rows:
            rows = np.sort(np.random.default_rng(self.random_seed).choice(len(X), size=self.sample_rows, replace=False))
            sample, sample_weights = X.iloc[rows].reset_index(drop=True), weights[rows]
        else:
            sample, sample_weights = X, weights
        if sample_weights.sum() <= 0:
            sample_weights = np.ones(len(sample))
        base = np.asarray(model.predict(sample), dtype=float)
        mean_abs = {}
        for name in sorted(reference):
            changed = np.asarray(model.predict(self._replaced(sample, name, kinds[name], reference[name])), dtype=float)
            mean_abs[name] = float(np.average(np.nan_to_num(np.abs(base - changed)), weights=sample_weights))
        ranked = sorted((name for name in mean_abs if mean_abs[name] > 0), key=lambda n: (-mean_abs[n], n))
        self.features_ = ranked[: self.max_features]
        self.kinds_ = {name: kinds[name] for name in self.features_}
        self.reference_ = {name: reference[name] for name in self.features_}
        self.mean_abs_change_ = mean_abs
        self.n_sample_ = len(sample)
        return self

    @with_fixed_threads
    def changes(self, model, X: pd.DataFrame, prediction=None) -> pd.DataFrame:
        """``prediction - prediction with the feature at its typical value`` per row (index of
        ``X`` reset) and kept feature (columns, :attr:`features_` order). ``prediction``: the
        model's prediction of ``X`` when the caller already has it (saves one predict)."""
        check_is_fitted(self, "features_")
        missing = [n for n in self.features_ if n not in X.columns]
        if missing:
            raise KeyError(f"feature columns missing from the frame to explain: {missing}")
        X = X.reset_index(drop=True)
        base = np.asarray(model.predict(X) if prediction is None else prediction, dtype=float)
        if base.shape != (len(X),):
            raise ValueError(f"prediction has shape {base.shape} for {len(X)} rows")
        data = {}
        for name in self.features_:
            changed = np.asarray(model.predict(self._replaced(X, name, self.kinds_[name], self.reference_[name])),
                                 dtype=float)
            data[name] = base - changed
        return pd.DataFrame(data, index=pd.RangeIndex(len(X)), columns=self.features_, dtype=float)

    def _value_text(self, name: str, value) -> str:
        return _format_number(value) if self.kinds_[name] == "numeric" else _format_category(value)

    def explain(self, model, X: pd.DataFrame, prediction=None) -> pd.Series:
        """The top drivers of each row of ``X`` as text (a string Series, index of ``X`` reset):
        ``feature value (typical reference): change`` for up to ``n_drivers`` features, largest
        ``|change|`` first (ties: the fit's ranking), joined by ``'; '``; :data:`NO_DRIVER_TEXT`
        when no feature moves the prediction by ``min_change`` or more."""
        changes = self.changes(model, X, prediction)
        X = X.reset_index(drop=True)
        n = len(X)
        if n == 0:
            return pd.Series([], dtype="string")
        if not self.features_:
            return pd.Series([NO_DRIVER_TEXT] * n, dtype="string")
        delta = changes.to_numpy(dtype=float)
        size = np.where(np.isfinite(delta), np.abs(delta), 0.0)
        order = np.argsort(-size, axis=1, kind="stable")[:, : self.n_drivers]
        # raw values once per feature, text only for the drivers named
        values = {name: to_float(X[name]) if self.kinds_[name] == "numeric" else _categories(X[name])
                  for name in self.features_}
        typical = {name: self._value_text(name, self.reference_[name]) for name in self.features_}
        texts = []
        for i in range(n):
            parts = []
            for j in order[i]:
                if size[i, j] < self.min_change or size[i, j] == 0:
                    break
                name = self.features_[j]
                parts.append(f"{name} {self._value_text(name, values[name][i])} (typical {typical[name]}): "
                             f"{_format_change(delta[i, j])}")
            texts.append("; ".join(parts) if parts else NO_DRIVER_TEXT)
        return pd.Series(texts, dtype="string")
