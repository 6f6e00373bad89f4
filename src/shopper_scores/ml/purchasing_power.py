"""Purchasing power: a regressor of each customer's net spend over the next horizon.

Training data
-------------
One row per (customer, label window).  ``window_index`` 1 is the most recent
complete label window (it ends at the scoring date), 2 the one before, and so
on.  ``label`` is the net spend over that window, already rescaled to the
horizon by SQL.  Features are as of ``feature_date`` (the window start).

Honest protocol (K = ``n_train_windows``)
-----------------------------------------
=============  ====================  ==========  =====================================
stage          fit on windows        evaluated   purpose
=============  ====================  ==========  =====================================
validation     3 .. 2+K              2           choose the champion (selection_metric)
test           2 .. 1+K              1           report quality; played no part in the
                                                 fitting or the choice
final          1 .. K                --          refit every candidate; the champion scores
=============  ====================  ==========  =====================================

No stage ever sees a window later (smaller index) than the table allows.  A
young shop may lack windows: a stage then trains on the windows it has, or is
reported with empty metrics and a ``note``; without a validation window the
champion defaults to the GBM.

Candidates
----------
* ``purchasing_power_linear``: signed ``log1p`` of numerics, median
  imputation with missing indicators, standardisation, one-hot categoricals,
  Ridge; predictions clipped at 0.
* ``purchasing_power_gbm``: ``HistGradientBoostingRegressor`` with Poisson
  loss, categoricals ordinal-encoded and handled natively, fixed seed, no
  early stopping (trained on labels clipped at 0, as Poisson requires).
* ``purchasing_power_gbm_btyd_blend``: the same GBM, its prediction averaged half and half with
  the BG/NBD x Gamma-Gamma expected spend (weight fixed a priori; the GBM alone when BTYD
  could not be fitted).

Both candidates also see buy-till-you-die expectations (:mod:`shopper_scores.ml.btyd`:
BG/NBD x Gamma-Gamma fitted on the same training rows' features, no labels) as extra numeric
columns; the fitted BTYD parameters travel with the model, so scoring stays batch by batch.

Baselines (metrics only, never champions): ``purchasing_power_naive``
(lifetime net spend per day of tenure times the horizon) and
``purchasing_power_mean`` (mean training label).

Feature columns are selected generically (see :mod:`shopper_scores.ml.features`);
the protected attribute ``gender`` is never used as a feature -- it is kept in
the data for fairness monitoring only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from .features import (
    MAX_GBM_CATEGORIES,
    FeatureSpec,
    decode_blob,
    encode_blob,
    iso_dates,
    ordinal_encoding,
    prepare_features,
    select_features,
    to_date,
    to_float,
)
from . import btyd
from .metrics import regression_metrics
from .training_log import TrainingLog, join_notes
from .versioning import model_version

__all__ = [
    "LINEAR",
    "GBM",
    "BLEND",
    "NAIVE",
    "MEAN",
    "CANDIDATES",
    "BASELINES",
    "METRIC_COLUMNS",
    "RESULT_COLUMNS",
    "PurchasingPowerModel",
    "TrainingResult",
    "fit_and_evaluate",
    "load_model",
    "score",
]

LINEAR = "purchasing_power_linear"
GBM = "purchasing_power_gbm"
BLEND = "purchasing_power_gbm_btyd_blend"
NAIVE = "purchasing_power_naive"
MEAN = "purchasing_power_mean"
# Order matters: the first candidate wins ties and is the default champion.
CANDIDATES = (GBM, LINEAR, BLEND)
# The blend's fixed weight on the BG/NBD x Gamma-Gamma expected spend (set a priori, not tuned).
BLEND_BTYD_WEIGHT = 0.5
BASELINES = (NAIVE, MEAN)

METRIC_COLUMNS = [
    "mae", "rmse", "r2", "spearman", "normalised_gini", "top_decile_capture",
    "mean_label", "mean_prediction",
]
RESULT_COLUMNS = [
    "model_name", "model_version", "as_of_date", "stage", "is_champion",
    "train_feature_dates", "eval_feature_date", "n_train", "n_eval",
    *METRIC_COLUMNS, "note", "model_blob",
]
_LOWER_IS_BETTER = {"mae", "rmse"}
_SELECTION_METRICS = {"mae", "rmse", "r2", "spearman", "normalised_gini", "top_decile_capture"}

GBM_PARAMS = {
    "loss": "poisson",
    "learning_rate": 0.05,
    "max_iter": 200,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "max_bins": 255,
    "early_stopping": False,
}
LINEAR_PARAMS = {"alpha": 1.0, "numeric_transform": "signed_log1p", "impute": "median+indicator",
                 "onehot_min_frequency": 5}


def _signed_log1p(x):
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.log1p(np.abs(x))


# --------------------------------------------------------------------------- model


class PurchasingPowerModel:
    """A fitted purchasing-power model: feature list + categorical handling + estimator.

    Stateless at prediction time; :meth:`predict` accepts any frame holding the
    feature columns (extra columns are ignored).
    """

    def __init__(self, model_name: str, spec: FeatureSpec, estimator=None, constant: float | None = None,
                 btyd_model: btyd.BTYDModel | None = None, label_window_days: float | None = None,
                 btyd_weight: float | None = None):
        self.model_name = model_name
        self.spec = spec
        self.estimator = estimator
        self.constant = constant
        self.btyd_model = btyd_model
        # Set when the estimator learnt label-window spend: predictions grow to the horizon by
        # the BG/NBD ratio of expected orders (btyd.BTYDModel.horizon_ratio).
        self.label_window_days = label_window_days
        # Set for the blend: prediction = (1 - w) x estimator + w x BTYD expected spend.
        self.btyd_weight = btyd_weight

    @property
    def feature_names(self) -> list[str]:
        return self.spec.names

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        if self.estimator is None:
            return np.full(len(features), max(float(self.constant or 0.0), 0.0))
        if len(features) == 0:
            return np.zeros(0)
        if self.btyd_model is not None:
            features = self.btyd_model.transform(features)
        X = prepare_features(features, self.spec)
        prediction = np.clip(np.asarray(self.estimator.predict(X), dtype=float), 0.0, None)
        if self.label_window_days is not None:
            prediction = prediction * self.btyd_model.horizon_ratio(features, self.label_window_days)
        if self.btyd_weight is not None:
            expected = np.clip(to_float(features["btyd_expected_spend"]), 0.0, None)
            blended = (1 - self.btyd_weight) * prediction + self.btyd_weight * expected
            prediction = np.where(np.isfinite(blended), blended, prediction)
        return prediction


def _linear_pipeline(spec: FeatureSpec) -> Pipeline:
    transformers = []
    if spec.numeric:
        transformers.append((
            "num",
            Pipeline([
                ("signed_log1p", FunctionTransformer(_signed_log1p, feature_names_out="one-to-one")),
                ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                ("scale", StandardScaler()),
            ]),
            spec.numeric,
        ))
    if spec.categorical:
        transformers.append((
            "cat",
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=LINEAR_PARAMS["onehot_min_frequency"],
                sparse_output=False,
            ),
            spec.categorical,
        ))
    return Pipeline([
        ("prepare", ColumnTransformer(transformers, remainder="drop")),
        ("ridge", Ridge(alpha=LINEAR_PARAMS["alpha"])),
    ])


def _gbm_pipeline(spec: FeatureSpec, seed: int) -> Pipeline:
    prepare, categorical_mask = ordinal_encoding(spec)
    return Pipeline([
        ("prepare", prepare),
        ("gbm", HistGradientBoostingRegressor(
            **GBM_PARAMS, categorical_features=categorical_mask, random_state=seed,
        )),
    ])


def _with_btyd_features(frame: pd.DataFrame, spec: FeatureSpec, horizon_days: float, seed: int
                        ) -> tuple[pd.DataFrame, FeatureSpec, btyd.BTYDModel | None, str | None]:
    """Fit BG/NBD x Gamma-Gamma on the training rows' features and add its expectations as columns."""
    btyd_model, note = btyd.fit(frame, horizon_days, seed)
    if btyd_model.bgnbd is None:
        return frame, spec, None, note
    extended = FeatureSpec(sorted(set(spec.numeric) | set(btyd.FEATURE_NAMES)), spec.categorical)
    return btyd_model.transform(frame), extended, btyd_model, note


def _fit_estimator(name: str, frame: pd.DataFrame, spec: FeatureSpec, seed: int, horizon_days: float,
                   label_window_days: float | None, with_btyd: tuple | None) -> tuple[PurchasingPowerModel, str | None]:
    """Fit the GBM or the linear model; ``with_btyd`` = :func:`_with_btyd_features` of ``frame``."""
    y = frame["label"].to_numpy(dtype=float)
    tree = name == GBM
    if len(y) < 2 or (tree and np.clip(y, 0.0, None).sum() <= 0):
        fit_y = np.clip(y, 0.0, None) if tree else y
        constant = float(fit_y.mean()) if len(y) else 0.0
        what = "too little positive spend to fit the GBM" if tree else "too few rows to fit the linear model"
        return PurchasingPowerModel(name, spec, constant=constant), f"{what}: constant prediction"
    frame, spec, btyd_model, note = with_btyd
    grow_by_btyd = btyd_model is not None and label_window_days is not None and label_window_days < horizon_days
    if grow_by_btyd:
        # SQL rescaled the labels by horizon / label window (constant rate); learn the
        # label-window spend itself and grow it at prediction time by the BG/NBD ratio instead.
        y = y * float(label_window_days) / horizon_days
    X = prepare_features(frame, spec)
    if tree:
        # Poisson loss needs non-negative labels.
        estimator = _gbm_pipeline(spec, seed).fit(X, np.clip(y, 0.0, None))
    else:
        estimator = _linear_pipeline(spec).fit(X, y)
    return PurchasingPowerModel(name, spec, estimator, btyd_model=btyd_model,
                                label_window_days=float(label_window_days) if grow_by_btyd else None), note


def _blend_of(gbm: PurchasingPowerModel, note: str | None) -> tuple[PurchasingPowerModel, str | None]:
    """The blend candidate: the fitted GBM itself, its predictions averaged with the BTYD expectation."""
    weight = None
    if gbm.estimator is not None:
        if gbm.btyd_model is None:
            note = join_notes(note, "no BTYD expectation to blend with: the blend is the GBM")
        else:
            weight = BLEND_BTYD_WEIGHT
    return PurchasingPowerModel(BLEND, gbm.spec, gbm.estimator, constant=gbm.constant, btyd_model=gbm.btyd_model,
                                label_window_days=gbm.label_window_days, btyd_weight=weight), note


def _fit_candidates(frame: pd.DataFrame, spec: FeatureSpec, seed: int, horizon_days: float,
                    label_window_days: float | None = None) -> dict[str, tuple[PurchasingPowerModel, str | None]]:
    """Fit every candidate on one training frame: model and note per name, in CANDIDATES order.

    The BTYD fit is done once and shared; the blend reuses the fitted GBM rather than refitting it.
    """
    with_btyd = _with_btyd_features(frame, spec, horizon_days, seed) if len(frame) >= 2 else None
    fitted = {name: _fit_estimator(name, frame, spec, seed, horizon_days, label_window_days, with_btyd)
              for name in (GBM, LINEAR)}
    fitted[BLEND] = _blend_of(*fitted[GBM])
    return {name: fitted[name] for name in CANDIDATES}


def _naive_prediction(frame: pd.DataFrame, horizon_days: float) -> np.ndarray | None:
    if "net_spend_lifetime" not in frame.columns or "tenure_days" not in frame.columns:
        return None
    spend = np.nan_to_num(to_float(frame["net_spend_lifetime"]), nan=0.0)
    tenure = np.nan_to_num(to_float(frame["tenure_days"]), nan=0.0)
    rate = spend / np.maximum(tenure, 1.0)
    return np.clip(rate * float(horizon_days), 0.0, None)


# --------------------------------------------------------------------------- result


@dataclass
class TrainingResult(TrainingLog):
    """Metrics table of one training run plus the final champion."""

    champion: str = GBM
    columns: ClassVar[list[str]] = RESULT_COLUMNS
    metric_columns: ClassVar[list[str]] = METRIC_COLUMNS


# --------------------------------------------------------------------------- protocol


def _window_label(indices: list[int]) -> str:
    return ",".join(str(i) for i in indices) if indices else "none"


def _stage_windows(available: list[int], wanted: range) -> list[int]:
    return [w for w in wanted if w in available]


def _check_params(params: dict) -> dict:
    if "horizon_days" not in params or params["horizon_days"] is None:
        raise ValueError("params['horizon_days'] is required (used by the naive baseline)")
    k = int(params.get("n_train_windows", 2))
    if k < 1:
        raise ValueError("params['n_train_windows'] must be >= 1")
    metric = str(params.get("selection_metric", "rmse"))
    if metric not in _SELECTION_METRICS:
        raise ValueError(f"selection_metric must be one of {sorted(_SELECTION_METRICS)}, got {metric!r}")
    return {
        "as_of_date": to_date(params.get("as_of_date")),
        "horizon_days": float(params["horizon_days"]),
        "label_window_days": params.get("label_window_days"),
        "n_train_windows": k,
        "random_seed": int(params.get("random_seed", 42)),
        "selection_metric": metric,
    }


def _version_params(name: str, cfg: dict) -> dict:
    common = {
        "horizon_days": cfg["horizon_days"],
        "label_window_days": cfg["label_window_days"],
        "n_train_windows": cfg["n_train_windows"],
        "random_seed": cfg["random_seed"],
        "selection_metric": cfg["selection_metric"],
    }
    btyd_use = {"btyd_features": "bgnbd_x_gamma_gamma", "horizon_growth": "bgnbd_ratio"}
    if name == GBM:
        return {**common, **btyd_use, **GBM_PARAMS, "max_categories": MAX_GBM_CATEGORIES}
    if name == BLEND:
        return {**common, **btyd_use, **GBM_PARAMS, "max_categories": MAX_GBM_CATEGORIES,
                "btyd_weight": BLEND_BTYD_WEIGHT}
    if name == LINEAR:
        return {**common, **btyd_use, **LINEAR_PARAMS}
    return common


def _better(metric: str, a: float, b: float) -> bool:
    """Is value ``a`` strictly better than ``b`` (NaN is worst)?"""
    if not np.isfinite(a):
        return False
    if not np.isfinite(b):
        return True
    return a < b if metric in _LOWER_IS_BETTER else a > b


def _empty_metrics() -> dict:
    return {col: math.nan for col in METRIC_COLUMNS}


def fit_and_evaluate(training: pd.DataFrame, params: dict) -> TrainingResult:
    """Fit, choose, test and refit the purchasing-power models.

    ``params``: ``as_of_date``, ``horizon_days`` (required), ``label_window_days``,
    ``n_train_windows`` (K, default 2), ``random_seed`` (default 42),
    ``selection_metric`` (default ``'rmse'``).  See the module docstring for
    the stage protocol.  Raises ``ValueError`` when there is no labelled
    training data.
    """
    cfg = _check_params(params)
    if training is None or len(training) == 0:
        raise ValueError("purchasing power: the training frame is empty -- no labelled windows to fit on")
    for col in ("window_index", "label", "feature_date"):
        if col not in training.columns:
            raise ValueError(f"purchasing power: training frame lacks required column {col!r}")

    data = training.copy()
    data["label"] = to_float(data["label"])
    data = data[data["label"].notna() & data["window_index"].notna()].reset_index(drop=True)
    if len(data) == 0:
        raise ValueError("purchasing power: no training rows with a label -- nothing to fit on")
    data["window_index"] = data["window_index"].astype(float).astype(int)
    # SQL promises no row order; fits that sum in row order must not depend on it.
    data = data.sort_values([c for c in ("window_index", "customer_id") if c in data.columns],
                            kind="stable").reset_index(drop=True)
    if (data["window_index"] < 1).any():
        raise ValueError("purchasing power: window_index must be >= 1")

    spec = select_features(data)
    if not spec.names:
        raise ValueError("purchasing power: the training frame has no feature columns")
    k = cfg["n_train_windows"]
    seed = cfg["random_seed"]
    metric = cfg["selection_metric"]
    available = sorted(data["window_index"].unique().tolist())
    result = TrainingResult(as_of_date=cfg["as_of_date"], feature_names=spec.names)

    def rows_of(windows: list[int]) -> pd.DataFrame:
        return data[data["window_index"].isin(windows)].reset_index(drop=True)

    def base_row(name: str, stage: str, train: pd.DataFrame | None, eval_frame: pd.DataFrame | None) -> dict:
        train_dates = ",".join(iso_dates(train["feature_date"])) if train is not None and len(train) else None
        eval_dates = ",".join(iso_dates(eval_frame["feature_date"])) if eval_frame is not None and len(eval_frame) else None
        return {
            "model_name": name,
            "model_version": model_version(name, _version_params(name, cfg), spec.names, train_dates or ""),
            "as_of_date": cfg["as_of_date"],
            "stage": stage,
            "is_champion": False,
            "train_feature_dates": train_dates,
            "eval_feature_date": eval_dates,
            "n_train": 0 if train is None else len(train),
            "n_eval": 0 if eval_frame is None else len(eval_frame),
            **_empty_metrics(),
            "note": None,
            "model_blob": None,
        }

    def evaluation_stage(stage: str, eval_window: int) -> tuple[list[dict], dict]:
        """Fit candidates + baselines on the stage's windows and evaluate at ``eval_window``."""
        wanted = range(eval_window + 1, eval_window + 1 + k)
        train_windows = _stage_windows(available, wanted)
        stage_note = None
        if eval_window not in available:
            stage_note = f"skipped: evaluation window {eval_window} is not available"
            train, eval_frame = None, None
        elif not train_windows:
            stage_note = (f"skipped: no training window among {wanted.start}..{wanted.stop - 1} "
                          f"(evaluation window {eval_window})")
            train, eval_frame = None, None
        else:
            train, eval_frame = rows_of(train_windows), rows_of([eval_window])
            if len(train_windows) < k:
                stage_note = (f"short history: trained on window(s) {_window_label(train_windows)} "
                              f"of {wanted.start}..{wanted.stop - 1}")
        rows, scores = [], {}
        fitted = {} if train is None else _fit_candidates(train, spec, seed, cfg["horizon_days"],
                                                          cfg["label_window_days"])
        for name in (*CANDIDATES, *BASELINES):
            row = base_row(name, stage, train, eval_frame)
            notes = [stage_note]
            if train is not None:
                model_note = None
                if name in CANDIDATES:
                    model, model_note = fitted[name]
                    pred = model.predict(eval_frame)
                elif name == MEAN:
                    pred = np.full(len(eval_frame), float(train["label"].mean()))
                else:
                    pred = _naive_prediction(eval_frame, cfg["horizon_days"])
                    if pred is None:
                        model_note = "naive baseline needs columns net_spend_lifetime and tenure_days"
                if pred is not None:
                    m = regression_metrics(eval_frame["label"].to_numpy(dtype=float), pred)
                    row.update({col: m[col] for col in METRIC_COLUMNS})
                    scores[name] = m
                notes.append(model_note)
            row["note"] = join_notes(*notes)
            rows.append(row)
        return rows, scores

    # ---- validation: choose the champion
    validation_rows, validation_scores = evaluation_stage("validation", 2)
    champion = CANDIDATES[0]
    champion_note = None
    candidate_scores = {n: validation_scores[n][metric] for n in CANDIDATES if n in validation_scores}
    if candidate_scores:
        best = None
        for name in CANDIDATES:
            if name in candidate_scores and (best is None or _better(metric, candidate_scores[name], candidate_scores[best])):
                best = name
        if best is not None and np.isfinite(candidate_scores[best]):
            champion = best
        else:
            champion_note = f"champion defaulted to {CANDIDATES[0]}: {metric} undefined on the validation window"
    else:
        champion_note = f"champion defaulted to {CANDIDATES[0]}: no validation window to choose on"
    result.champion = champion

    # ---- test: honest quality of every candidate and baseline
    test_rows, _ = evaluation_stage("test", 1)
    for row in validation_rows + test_rows:
        row["is_champion"] = row["model_name"] == champion
        if row["is_champion"] and row["stage"] == "validation" and not champion_note:
            row["note"] = join_notes(row["note"], f"champion: best {metric} on this window")
        if row["is_champion"] and champion_note:
            row["note"] = join_notes(row["note"], champion_note)
        if row["stage"] == "test" and row["n_train"] > 0 and row["n_eval"] > 0:
            row["note"] = join_notes(row["note"], "test window played no part in fitting or choosing")

    # ---- final: refit every candidate on the most recent K windows; the champion scores, the
    # others are kept beside it (benchmarks and a later registry can score them identically)
    final_windows = _stage_windows(available, range(1, 1 + k))
    final_note = None
    if not final_windows:
        final_windows = available[:k]
        final_note = (f"no window among 1..{k}: refit on the most recent available window(s) "
                      f"{_window_label(final_windows)}")
    elif len(final_windows) < k:
        final_note = f"short history: refit on window(s) {_window_label(final_windows)} of 1..{k}"
    final_train = rows_of(final_windows)
    final_rows = []
    fitted = _fit_candidates(final_train, spec, seed, cfg["horizon_days"], cfg["label_window_days"])
    for name, (final_model, model_note) in fitted.items():
        final_row = base_row(name, "final", final_train, None)
        blob = encode_blob(final_model)
        is_champion = name == champion
        if is_champion:
            result.model_blob = blob
        final_row.update({
            "is_champion": is_champion,
            "model_blob": blob,
            "note": join_notes(final_note, model_note, champion_note if is_champion else None,
                                "refit for scoring; no held-out evaluation (see stage 'test')"),
        })
        final_rows.append(final_row)
    result.rows = validation_rows + test_rows + final_rows
    return result


# --------------------------------------------------------------------------- scoring


def load_model(model_blob: str) -> PurchasingPowerModel:
    return decode_blob(model_blob, expected=PurchasingPowerModel)


def score(model_blob: str, features: pd.DataFrame) -> pd.DataFrame:
    """Predict spend for one batch of customers (stateless; safe to call batch by batch).

    Returns ``customer_id`` and ``predicted_spend`` (>= 0), row-aligned with ``features``.
    """
    if "customer_id" not in features.columns:
        raise KeyError("features must contain customer_id")
    model = load_model(model_blob)
    prediction = model.predict(features)
    return pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "predicted_spend": np.asarray(prediction, dtype=float),
    })
