"""Fit, choose, test and refit: the protocol run over the stage plan (:mod:`.protocol`).

Every stage evaluates at a window's *horizon label*: the net spend over ``horizon_label_days``
(SQL: up to H, clear of the test window), so a forecast is judged on how it grows from what it
learnt towards the horizon, not only on the label window L. Predictions and actual spend are both
put at the horizon's scale (x H / span) for the metrics.

Choosing the champion (:func:`_choose_champion`) on the two choice stages (validation and
extrapolation): the simple answers (naive rate, BTYD expected spend) are candidates, and a learnt
candidate replaces the best of them only when it beats it on *every* choice window; when no choice
window spans at least :data:`MIN_VALIDATED_HORIZON_SHARE` of H the learnt candidates' growth to H
is untested and only the simple answers may be champion. Learnt levels and the stack's weights are
cross-fitted between the two choice windows (learnt on one, scored on the other); test and final
use them learnt on both. Nothing of the test window plays any part in fitting or choosing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .. import btyd
from ..features import MAX_GBM_CATEGORIES, FeatureSpec, encode_blob, iso_dates, select_features, to_float
from ..metrics import regression_metrics
from ..threads import with_fixed_threads
from ..training_log import TrainingLog, join_notes
from ..versioning import model_version
from . import labels
from .estimators import (
    BASELINES,
    BLEND,
    BOOSTED,
    BTYD,
    CANDIDATES,
    GBM,
    LINEAR,
    MEAN,
    MODEL_CANDIDATES,
    NAIVE,
    NAIVE_MAX_PERIOD_DAYS,
    SIMPLE_CANDIDATES,
    STACK,
    STACK_BASES,
    BTYDBlendRegressor,
    BTYDBoostedRegressor,
    BTYDSpendRegressor,
    GBMSpendRegressor,
    LinearSpendRegressor,
    MissingColumnsError,
    MLP,
    MLPSpendRegressor,
    NaiveRateRegressor,
    PurchasingPowerModel,
    TWO_PART,
    TwoPartSpendRegressor,
    StackedSpendRegressor,
    mean_baseline,
    stack_weights,
)
from .explain import DEMOGRAPHIC_FEATURES, DriverExplainer
from .intervals import SpendIntervalCalibrator, interval_coverage
from .params import (
    BLEND_PARAMS,
    GBM_PARAMS,
    LINEAR_PARAMS,
    LOWER_IS_BETTER,
    MLP_PARAMS,
    TWO_PART_PARAMS,
    MUST_WIN,
    MUST_WIN_METRICS,
    PurchasingPowerParams,
)
from .protocol import Stage, plan_stages

__all__ = ["METRIC_COLUMNS", "RESULT_COLUMNS", "REQUIRED_COLUMNS", "TrainingResult", "fit_and_evaluate",
           "significantly_worse_rmse",
           "MIN_VALIDATED_HORIZON_SHARE", "LEVEL_BOUNDS"]

METRIC_COLUMNS = [
    "mae", "rmse", "r2", "spearman", "normalised_gini", "top_decile_capture",
    "mean_label", "mean_prediction", "total_ratio", "interval_coverage",
]
RESULT_COLUMNS = [
    "model_name", "model_version", "as_of_date", "stage", "is_champion",
    "train_feature_dates", "eval_feature_date", "n_train", "n_eval",
    *METRIC_COLUMNS, "note", "model_blob",
]
REQUIRED_COLUMNS = ("window_index", "cutoff_role", "label_window_spend", "feature_date")
# One-sided 5 % normal quantile: a learnt candidate's RMSE is "significantly worse" beyond it.
NOT_WORSE_Z = 1.645
# Below this share of H observed on the longest choice window, growth to H is untested.
MIN_VALIDATED_HORIZON_SHARE = 0.5
# A learnt level outside these bounds says the model is off, not that it needs a nudge: clipped.
LEVEL_BOUNDS = (0.25, 4.0)
# Learnt candidates whose forecast level is calibrated (the simple answers stay as they are; the
# stack's weights set its level).
LEVELLED = (BOOSTED, GBM, TWO_PART, LINEAR, MLP, BLEND)


@dataclass
class TrainingResult(TrainingLog):
    """Metrics table of one training run plus the final champion."""

    champion: str = NAIVE
    columns: ClassVar[list[str]] = RESULT_COLUMNS
    metric_columns: ClassVar[list[str]] = METRIC_COLUMNS


def _version_params(name: str, params: PurchasingPowerParams) -> dict:
    common = params.version_params()
    btyd_use = {"btyd_features": "bgnbd_x_gamma_gamma", "horizon_growth": "bgnbd_ratio"}
    if name == GBM:
        return {**common, **btyd_use, **GBM_PARAMS.as_dict(), "max_categories": MAX_GBM_CATEGORIES}
    if name == BLEND:
        return {**common, **btyd_use, **GBM_PARAMS.as_dict(), "max_categories": MAX_GBM_CATEGORIES,
                **BLEND_PARAMS.as_dict()}
    if name == LINEAR:
        return {**common, **btyd_use, **LINEAR_PARAMS.as_dict()}
    if name == NAIVE:
        start = params.history_start.isoformat() if params.history_start is not None else None
        return {**common, "naive_history_start": start, "naive_max_period_days": NAIVE_MAX_PERIOD_DAYS}
    if name == BTYD:
        return {**common, "btyd": "bgnbd_x_gamma_gamma"}
    if name == BOOSTED:
        return {**common, **GBM_PARAMS.as_dict(), "max_categories": MAX_GBM_CATEGORIES,
                "btyd_offset": "poisson_rate_weighted"}
    if name == TWO_PART:
        return {**common, **btyd_use, **TWO_PART_PARAMS.as_dict(), "max_categories": MAX_GBM_CATEGORIES}
    if name == MLP:
        return {**common, **btyd_use, **MLP_PARAMS.as_dict()}
    if name == STACK:
        return {**common, **btyd_use, **GBM_PARAMS.as_dict(), "max_categories": MAX_GBM_CATEGORIES,
                "stack": "nnls_cross_fitted", "bases": ",".join(STACK_BASES)}
    return common


def _labelled_rows(training: pd.DataFrame, params: PurchasingPowerParams) -> pd.DataFrame:
    """The training rows with a label and a window, checked and in a fixed order."""
    if training is None or len(training) == 0:
        raise ValueError("purchasing power: the training frame is empty -- no labelled windows to fit on")
    for col in REQUIRED_COLUMNS:
        if col not in training.columns:
            raise ValueError(f"purchasing power: training frame lacks required column {col!r}")
    data = training.copy()
    data["label_window_spend"] = to_float(data["label_window_spend"])
    data = data[data["label_window_spend"].notna() & data["window_index"].notna()].reset_index(drop=True)
    if len(data) == 0:
        raise ValueError("purchasing power: no training rows with a label -- nothing to fit on")
    data["window_index"] = data["window_index"].astype(float).astype(int)
    data = _with_sample_design(data)
    data = _with_horizon_label(data, params)
    if "label_window_days" in data.columns:
        days = to_float(data["label_window_days"])
        if not np.all(days == params.label_window_days):
            found = sorted({str(d) for d in pd.unique(days)})
            raise ValueError(f"purchasing power: label_window_days of the training rows ({', '.join(found)}) "
                             f"differ from the scoring context's {params.label_window_days}")
    # SQL promises no row order; fits that sum in row order must not depend on it.
    return data.sort_values([c for c in ("window_index", "customer_id") if c in data.columns],
                            kind="stable").reset_index(drop=True)


def _with_horizon_label(data: pd.DataFrame, params: PurchasingPowerParams) -> pd.DataFrame:
    """The horizon label (spend over ``horizon_label_days``), checked; without it (an older
    training set) the label window itself is the horizon label."""
    if "horizon_label_spend" not in data.columns and "horizon_label_days" not in data.columns:
        data["horizon_label_spend"] = data["label_window_spend"]
        data["horizon_label_days"] = float(params.label_window_days)
        return data
    for col in ("horizon_label_spend", "horizon_label_days"):
        if col not in data.columns:
            raise ValueError(f"purchasing power: the training frame has a horizon label without {col!r}")
    data["horizon_label_spend"] = to_float(data["horizon_label_spend"])
    data["horizon_label_days"] = to_float(data["horizon_label_days"])
    days = data["horizon_label_days"].to_numpy()
    if not np.all(np.isfinite(days) & (days >= 1)):
        raise ValueError("purchasing power: horizon_label_days must be a number of days >= 1 on every row")
    if data.groupby("window_index")["horizon_label_days"].nunique().max() > 1:
        raise ValueError("purchasing power: horizon_label_days differs within a window")
    if not np.all(np.isfinite(data["horizon_label_spend"].to_numpy())):
        raise ValueError("purchasing power: horizon_label_spend is missing on some rows")
    return data


SAMPLE_COLUMNS = ("in_training_sample", "in_evaluation_sample", "sample_weight", "window_rows")


def _with_sample_design(data: pd.DataFrame) -> pd.DataFrame:
    """The sample flags and weights of int_purchasing_power_training_sample, checked; a frame
    without them (the whole population) has every row in both samples with weight 1."""
    present = [col for col in SAMPLE_COLUMNS if col in data.columns]
    if not present:
        data["in_training_sample"] = True
        data["in_evaluation_sample"] = True
        data["sample_weight"] = 1.0
        data["window_rows"] = data.groupby("window_index")["window_index"].transform("size")
        return data
    if len(present) != len(SAMPLE_COLUMNS):
        missing = sorted(set(SAMPLE_COLUMNS) - set(present))
        raise ValueError(f"purchasing power: the training frame has a partial sample design (missing {missing})")
    for col in ("in_training_sample", "in_evaluation_sample"):
        data[col] = data[col].fillna(False).astype(bool)
    weights = to_float(data["sample_weight"])
    in_training = data["in_training_sample"].to_numpy()
    if not np.all(np.isfinite(weights[in_training]) & (weights[in_training] >= 1)):
        raise ValueError("purchasing power: sample_weight must be a finite number >= 1 on every training-sample row")
    data["sample_weight"] = weights
    data["window_rows"] = to_float(data["window_rows"])
    return data


def _fit_weights(train: pd.DataFrame) -> np.ndarray | None:
    """The training rows' sample weights, or None when they are all 1 (an unsampled stage fits
    exactly as without weights)."""
    weights = train["sample_weight"].to_numpy(dtype=float)
    return None if np.all(weights == 1.0) else weights


def _sample_note(train: pd.DataFrame | None, eval_frame: pd.DataFrame | None) -> str | None:
    """Says when a stage fitted or evaluated on a sample, and of how many rows."""
    notes = []
    if train is not None and len(train) and _fit_weights(train) is not None:
        population = int(train.groupby("window_index")["window_rows"].first().sum())
        notes.append(f"fit on a stratified sample of {len(train)} of {population} rows "
                     "(heavy spenders kept preferentially; weighted by 1 / inclusion rate)")
    if eval_frame is not None and len(eval_frame):
        population = int(eval_frame["window_rows"].iloc[0])
        if len(eval_frame) < population:
            notes.append(f"metrics on a uniform sample of {len(eval_frame)} of {population} rows")
    return join_notes(*notes) if notes else None


def _window_roles(data: pd.DataFrame) -> dict[int, str]:
    roles = data.groupby("window_index")["cutoff_role"].unique()
    ambiguous = [int(w) for w, found in roles.items() if len(found) != 1]
    if ambiguous:
        raise ValueError(f"purchasing power: window(s) {ambiguous} carry more than one cutoff_role")
    return {int(w): str(found[0]) for w, found in roles.items()}


def _fit_models(train: pd.DataFrame, spec: FeatureSpec, params: PurchasingPowerParams,
                with_baselines: bool = True) -> dict[str, tuple[object | None, str | None]]:
    """Every candidate but the stack (and the baselines) fitted on one training frame: (estimator,
    note) per name; the estimator is None when it cannot predict (note says why).

    One BTYD fit is shared by all; the blend wraps the fitted GBM rather than refitting it.
    """
    spend = train["label_window_spend"].to_numpy(dtype=float)
    weights = _fit_weights(train)
    btyd_fit = btyd.fit(train, params.horizon_days, params.random_seed, weights) if len(train) >= 2 else None
    common = {"features": spec, "horizon_days": params.horizon_days,
              "label_window_days": params.label_window_days, "random_seed": params.random_seed}
    fitted: dict[str, tuple[object | None, str | None]] = {}
    try:
        naive = NaiveRateRegressor(horizon_days=params.horizon_days, history_start=params.history_start)
        fitted[NAIVE] = (naive.fit(train, btyd_fit=btyd_fit), None)
    except MissingColumnsError as missing:
        fitted[NAIVE] = (None, str(missing))
    if btyd_fit is None:
        fitted[BTYD] = (None, "too few rows to fit BG/NBD")
    else:
        model = BTYDSpendRegressor(horizon_days=params.horizon_days, label_window_days=params.label_window_days,
                                   random_seed=params.random_seed).fit(train, spend, btyd_fit=btyd_fit,
                                                                       sample_weight=weights)
        fitted[BTYD] = (model, model.fit_note_)
    gbm = GBMSpendRegressor(**common, params=GBM_PARAMS).fit(train, spend, btyd_fit=btyd_fit, sample_weight=weights)
    linear = LinearSpendRegressor(**common, params=LINEAR_PARAMS).fit(train, spend, btyd_fit=btyd_fit,
                                                                      sample_weight=weights)
    blend = BTYDBlendRegressor(gbm, btyd_weight=BLEND_PARAMS.btyd_weight, prefit=True).fit(train, spend)
    boosted = BTYDBoostedRegressor(**common, params=GBM_PARAMS).fit(train, spend, btyd_fit=btyd_fit,
                                                                    sample_weight=weights)
    two_part = TwoPartSpendRegressor(**common, params=TWO_PART_PARAMS).fit(train, spend, btyd_fit=btyd_fit,
                                                                         sample_weight=weights)
    mlp = MLPSpendRegressor(**common, params=MLP_PARAMS).fit(train, spend, btyd_fit=btyd_fit, sample_weight=weights)
    for model in (boosted, gbm, two_part, linear, mlp, blend):
        fitted[model.model_name] = (model, model.fit_note_)
    if with_baselines:
        horizon_label = labels.horizon_scaled_spend(spend, params.label_window_days, params.horizon_days)
        fitted[MEAN] = (mean_baseline().fit(train, horizon_label, sample_weight=weights), None)
    return fitted


def _predict(model, frame: pd.DataFrame, days: float, horizon_days: float) -> np.ndarray:
    """A model's forecast over ``days``, put at the horizon's scale (x H / days); the mean
    baseline (a scikit-learn regressor of the H-scaled label) is already there."""
    if isinstance(model, PurchasingPowerModel):
        return np.asarray(model.predict(frame, days), dtype=float) * (horizon_days / days)
    return np.asarray(model.predict(frame), dtype=float)


def _metrics(actual: np.ndarray, prediction: np.ndarray, interval: SpendIntervalCalibrator | None = None) -> dict:
    """The regression metrics, Σ predicted / Σ actual and, with an interval calibrated elsewhere,
    the share of rows whose actual spend lies inside it."""
    metrics = regression_metrics(actual, prediction)
    total = float(np.sum(actual))
    metrics["total_ratio"] = float(np.sum(prediction)) / total if total > 0 else float("nan")
    metrics["interval_coverage"] = float("nan")
    if interval is not None and len(actual):
        metrics["interval_coverage"] = interval_coverage(*interval.predict(prediction), actual)
    return metrics


def _interval(predictions: list[np.ndarray], actual: list[np.ndarray]) -> tuple[SpendIntervalCalibrator | None, str | None]:
    """The 80 % interval learnt on a candidate's choice-window forecasts (None and why when it
    cannot be)."""
    if not predictions:
        return None, "no prediction interval: no choice window"
    try:
        return SpendIntervalCalibrator(quantiles=(0.1, 0.9)).fit(np.concatenate(predictions),
                                                                  np.concatenate(actual)), None
    except ValueError as error:
        return None, f"no prediction interval: {error}"


def _level(actual: np.ndarray, prediction: np.ndarray) -> tuple[float, str | None]:
    """Σ actual / Σ predicted, clipped to :data:`LEVEL_BOUNDS` (1 when undefined)."""
    total = float(np.sum(prediction))
    if not total > 0 or not float(np.sum(actual)) > 0:
        return 1.0, "level not calibrated: no positive total to match"
    level = float(np.sum(actual)) / total
    low, high = LEVEL_BOUNDS
    if level < low or level > high:
        return float(np.clip(level, low, high)), f"level {level:.2f} clipped to {np.clip(level, low, high):.2f}"
    return level, None


@dataclass
class _ChoiceWindow:
    """One choice stage's evaluation: the frame, its span and each model's H-scaled forecast."""

    stage: Stage
    frame: pd.DataFrame
    span_days: float
    actual: np.ndarray
    raw: dict[str, np.ndarray] = field(default_factory=dict)  # before any learnt level


def _gain(metric: str, a: dict, b: dict) -> float:
    """How much better metrics ``a`` are than ``b`` on one window, relative to ``b`` (> 0: ``a``
    is better); for :data:`~.params.MUST_WIN` the mean over its metrics that both define. NaN
    when nothing is comparable."""
    names = MUST_WIN_METRICS if metric == MUST_WIN else (metric,)
    gains = []
    for name in names:
        va, vb = a.get(name, np.nan), b.get(name, np.nan)
        if not (np.isfinite(va) and np.isfinite(vb)) or vb == 0:
            continue
        gains.append((vb - va) / abs(vb) if name in LOWER_IS_BETTER else (va - vb) / abs(vb))
    return float(np.mean(gains)) if gains else float("nan")


def _mean_gain(metric: str, scores: list[dict[str, dict]], a: str, b: str) -> float:
    """:func:`_gain` of ``a`` over ``b`` averaged over the windows (NaN unless every window has it)."""
    gains = [_gain(metric, window[a], window[b]) if a in window and b in window else float("nan")
             for window in scores]
    return float(np.mean(gains)) if gains and all(np.isfinite(gains)) else float("nan")


def significantly_worse_rmse(actual: np.ndarray, candidate: np.ndarray, reference: np.ndarray) -> bool:
    """Is ``candidate``'s squared error larger than ``reference``'s beyond this window's sampling
    noise? A one-sided Diebold-Mariano test of the per-row squared-error differences at 5 %
    (the complement of the goal's "not worse": a 90 % two-sided interval that includes zero)."""
    d = (actual - reference) ** 2 - (actual - candidate) ** 2  # > 0: the candidate is better
    if len(d) < 2:
        return False
    spread = float(np.std(d, ddof=1)) / np.sqrt(len(d))
    return float(np.mean(d)) + NOT_WORSE_Z * spread < 0


def _choose_champion(scores: list[dict[str, dict]], metric: str, horizon_validated: bool,
                     rmse_worse=None, guarded: list[int] | None = None) -> tuple[str, str]:
    """The champion from the choice windows' metrics (one dict per window: name -> metrics).

    The simple answers are compared first (the later one replaces the earlier when its mean gain
    is positive). A learnt candidate replaces that simple answer when its mean gain over the
    windows is positive and, on no window, its RMSE is significantly worse (``rmse_worse(name,
    simple, window_index)``, :func:`significantly_worse_rmse`; without it: any worse RMSE); of
    those, the one with the largest mean gain. Learnt candidates only when H is validated.
    Returns the name and the note saying why."""
    if not scores:
        return SIMPLE_CANDIDATES[0], f"champion defaulted to {SIMPLE_CANDIDATES[0]}: no choice window"
    simple = None
    for name in SIMPLE_CANDIDATES:
        if not all(name in window for window in scores):
            continue
        if simple is None or _mean_gain(metric, scores, name, simple) > 0:
            simple = name
    if simple is None:
        return SIMPLE_CANDIDATES[0], f"champion defaulted to {SIMPLE_CANDIDATES[0]}: no simple answer was scored"
    if not horizon_validated:
        return simple, (f"champion: the better simple answer on {metric}; the learnt candidates' growth to the "
                        "horizon is not validated (no choice window spans half of it)")
    if rmse_worse is None:
        def rmse_worse(name, reference, index):
            return not scores[index][name]["rmse"] <= scores[index][reference]["rmse"]

    learnt, best_gain = None, 0.0
    for name in MODEL_CANDIDATES:
        if not all(name in window for window in scores):
            continue
        gain = _mean_gain(metric, scores, name, simple)
        checked = range(len(scores)) if guarded is None else guarded
        if not gain > best_gain or any(rmse_worse(name, simple, i) for i in checked):
            continue
        learnt, best_gain = name, gain
    if learnt is None:
        return simple, (f"champion: the better simple answer on {metric}; no learnt candidate gained on it "
                        "without a significantly worse RMSE on the validation window")
    return learnt, (f"champion: largest mean {metric} gain on {simple} ({best_gain:+.3f}) of the learnt "
                    "candidates without a significantly worse RMSE on the validation window")


class _Run:
    """One training run: the labelled rows, their feature spec, the parameters and the log."""

    def __init__(self, data: pd.DataFrame, spec: FeatureSpec, params: PurchasingPowerParams):
        self.data = data
        self.spec = spec
        self.params = params
        self.result = TrainingResult(as_of_date=params.as_of_date, feature_names=spec.names)

    def training_rows(self, windows) -> pd.DataFrame:
        """The training-sample rows of these windows (every row when nothing was sampled)."""
        data = self.data
        return data[data["window_index"].isin(list(windows)) & data["in_training_sample"]].reset_index(drop=True)

    def evaluation_rows(self, window: int) -> pd.DataFrame:
        """The evaluation-sample rows (uniform, unweighted) of one evaluation window."""
        data = self.data
        return data[(data["window_index"] == window) & data["in_evaluation_sample"]].reset_index(drop=True)

    def actual(self, frame: pd.DataFrame) -> tuple[np.ndarray, float]:
        """The horizon label at the horizon's scale, and its span in days."""
        days = float(frame["horizon_label_days"].iloc[0])
        spend = frame["horizon_label_spend"].to_numpy(dtype=float)
        return spend * (self.params.horizon_days / days), days

    def add_row(self, name: str, stage: str, train: pd.DataFrame | None, eval_frame: pd.DataFrame | None,
                note: str | None) -> dict:
        train_dates = ",".join(iso_dates(train["feature_date"])) if train is not None and len(train) else None
        eval_dates = (",".join(iso_dates(eval_frame["feature_date"]))
                      if eval_frame is not None and len(eval_frame) else None)
        return self.result.add_row(
            name, model_version(name, _version_params(name, self.params), self.spec.names, train_dates or ""),
            stage, train_feature_dates=train_dates, eval_feature_date=eval_dates,
            n_train=0 if train is None else len(train), n_eval=0 if eval_frame is None else len(eval_frame),
            note=note,
        )

    def span_note(self, days: float) -> str:
        horizon = self.params.horizon_days
        if days >= horizon:
            return f"evaluated on the horizon's {horizon:g} days"
        return f"evaluated on {days:g} of the horizon's {horizon:g} days (both sides scaled x {horizon / days:.3g})"

    def choice_window(self, stage: Stage) -> tuple[_ChoiceWindow | None, dict, pd.DataFrame | None]:
        """Fit on a choice stage's windows and forecast its evaluation window (no level yet)."""
        if stage.skipped:
            return None, {}, None
        train, eval_frame = self.training_rows(stage.train_windows), self.evaluation_rows(stage.eval_window)
        fitted = _fit_models(train, self.spec, self.params)
        if not len(eval_frame):
            return None, fitted, train
        actual, days = self.actual(eval_frame)
        window = _ChoiceWindow(stage, eval_frame, days, actual)
        for name, (model, _) in fitted.items():
            if model is not None:
                window.raw[name] = _predict(model, eval_frame, days, self.params.horizon_days)
        return window, fitted, train

    def log_stage(self, stage: Stage, train, eval_frame, fitted: dict, predictions: dict[str, np.ndarray],
                  actual: np.ndarray | None, extra_notes: dict[str, str | None], span_days: float | None,
                  intervals: dict | None = None) -> dict:
        """One row per candidate and baseline of a stage; returns the metrics per name."""
        scores = {}
        sample_note = None if train is None else _sample_note(train, eval_frame)
        span = None if span_days is None else self.span_note(span_days)
        for name in (*CANDIDATES, *BASELINES):
            if train is None:
                self.add_row(name, stage.name, None, None, stage.note)
                continue
            model_note = fitted[name][1] if name in fitted else None
            row = self.add_row(name, stage.name, train, eval_frame,
                               join_notes(stage.note, model_note, extra_notes.get(name), sample_note, span))
            if name in predictions and actual is not None:
                scores[name] = _metrics(actual, predictions[name], (intervals or {}).get(name))
                self.result.record_metrics(row, scores[name])
        return scores


def _stack_bases(fitted: dict) -> dict:
    return {name: fitted[name][0] for name in STACK_BASES if fitted.get(name, (None,))[0] is not None}


def _stack_matrix(window: _ChoiceWindow, bases) -> np.ndarray:
    return np.column_stack([window.raw[name] for name in bases])


def _check_exclusions(params: PurchasingPowerParams) -> None:
    """The simple answers read fixed columns (BTYD its order history, the naive rate spend and
    tenure) whatever the feature list: an exclusion policy naming one cannot be honoured."""
    needed = set(btyd.REQUIRED_COLUMNS) | set(NaiveRateRegressor.required_columns)
    clash = sorted(needed & {name.lower() for name in params.excluded_features})
    if clash:
        raise ValueError(f"purchasing power: excluded_features names {', '.join(clash)}, which the BTYD and naive "
                         "candidates always read (order history, spend, tenure); the exclusion policy "
                         "(var decision_excluded_features) is meant for protected or sensitive attributes")


@with_fixed_threads
def fit_and_evaluate(training: pd.DataFrame, params: PurchasingPowerParams,
                     cutoffs: pd.DataFrame | None = None) -> TrainingResult:
    """Fit, choose, test and refit the purchasing-power models (see the package docstring).

    ``training``: one row per (customer, label window) with ``window_index``, ``cutoff_role``,
    ``label_window_spend`` (net spend over the label window), ``feature_date``, the features and,
    when SQL gives it, the horizon label (``horizon_label_spend`` over ``horizon_label_days``;
    without it the label window is the horizon label). ``label_window_days``, when present, must
    be ``params.label_window_days``. ``cutoffs``: ``int_feature_cutoffs`` (``window_index``,
    ``cutoff_role``), so that a note can name an evaluation window without rows by its index.
    Raises ``ValueError`` when there is no labelled training data.
    """
    if not isinstance(params, PurchasingPowerParams):
        raise TypeError(f"params must be a PurchasingPowerParams (see PurchasingPowerParams.from_dbt), "
                        f"got {type(params).__name__}")
    _check_exclusions(params)
    data = _labelled_rows(training, params)
    # The exclusion policy (var decision_excluded_features) on top of the protected attributes.
    spec = select_features(data, excluded=params.excluded_features)
    if not spec.names:
        raise ValueError("purchasing power: the training frame has no feature columns")
    cutoff_roles = None if cutoffs is None else dict(zip(cutoffs["window_index"].astype(int), cutoffs["cutoff_role"]))
    plan = plan_stages(_window_roles(data), params.n_train_windows, cutoff_roles)
    run = _Run(data, spec, params)
    metric = params.selection_metric

    # 1. The choice windows: every model fitted on the older windows, forecasts before any level.
    choice = []
    for stage in plan.choice_stages:
        window, fitted, train = run.choice_window(stage)
        choice.append((stage, window, fitted, train))
    windows = [w for _, w, _, _ in choice if w is not None]

    # 2. Levels and stack weights, cross-fitted: a window is scored with those of the other one.
    bases = [name for name in STACK_BASES if all(name in w.raw for w in windows)]

    def learnt_on(learn: list[_ChoiceWindow]) -> tuple[dict[str, float], np.ndarray | None, dict[str, str]]:
        levels, notes = {}, {}
        for name in LEVELLED:
            if all(name in w.raw for w in learn) and learn:
                actual = np.concatenate([w.actual for w in learn])
                levels[name], notes[name] = _level(actual, np.concatenate([w.raw[name] for w in learn]))
        weights = None
        if learn and bases:
            weights = stack_weights(np.vstack([_stack_matrix(w, bases) for w in learn]),
                                    np.concatenate([w.actual for w in learn]))
        return levels, weights, notes

    choice_scores = []
    choice_forecasts: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []  # per scored window
    scored_stages: list[str] = []
    choice_predictions: dict[str, list[np.ndarray]] = {}
    choice_actual: dict[str, list[np.ndarray]] = {}
    for stage, window, fitted, train in choice:
        if window is None:
            run.log_stage(stage, train, None, fitted, {}, None, {}, None)
            continue
        others = [w for w in windows if w is not window]
        predictions = dict(window.raw)
        notes: dict[str, str | None] = {}
        if others:
            levels, weights, level_notes = learnt_on(others)
            for name, level in levels.items():
                predictions[name] = window.raw[name] * level
                notes[name] = join_notes(level_notes.get(name), f"level x {level:.3f} learnt on the other choice window")
            if weights is not None:
                predictions[STACK] = _stack_matrix(window, bases) @ weights
                notes[STACK] = "stack weights learnt on the other choice window: " + ", ".join(
                    f"{n.removeprefix('purchasing_power_')} {w:.3f}" for n, w in zip(bases, weights))
        else:
            notes[STACK] = "stack not scored: it needs a second choice window to learn its weights on"
            for name in LEVELLED:
                notes[name] = "level not calibrated: no second choice window"
        choice_scores.append(run.log_stage(stage, train, window.frame, fitted, predictions, window.actual,
                                           notes, window.span_days))
        choice_forecasts.append((window.actual, predictions))
        scored_stages.append(stage.name)
        for name, prediction in predictions.items():
            choice_predictions.setdefault(name, []).append(prediction)
            choice_actual.setdefault(name, []).append(window.actual)
    # Each candidate's 80 % interval, learnt on its choice-window forecasts (as scored there).
    intervals, interval_notes = {}, {}
    for name in (*CANDIDATES, *BASELINES):
        intervals[name], interval_notes[name] = _interval(choice_predictions.get(name, []),
                                                          choice_actual.get(name, []))

    longest_span = max((w.span_days for w in windows), default=0.0)
    horizon_validated = longest_span >= MIN_VALIDATED_HORIZON_SHARE * params.horizon_days
    def rmse_worse(name: str, reference: str, index: int) -> bool:
        actual, forecasts = choice_forecasts[index]
        return significantly_worse_rmse(actual, forecasts[name], forecasts[reference])

    # The level guard uses the validation window, whose fits stack K windows as the final refit does;
    # the extrapolation stage fits on fewer (one older window), which handicaps the learnt
    # candidates' RMSE there beyond what scoring will see: it tests growth through the mean gain.
    guarded = [i for i, name in enumerate(scored_stages) if name == plan.validation.name] or None
    champion, champion_note = _choose_champion(choice_scores, metric, horizon_validated, rmse_worse, guarded)
    if not horizon_validated:
        champion_note = join_notes(champion_note, f"horizon not validated: the longest choice window spans "
                                                  f"{longest_span:g} of {params.horizon_days} days")
    run.result.champion = champion
    levels, weights, level_notes = learnt_on(windows)

    def finished(fitted: dict) -> dict:
        """A stage's fitted models with the levels and the stack learnt on the choice windows."""
        out = dict(fitted)
        for name, level in levels.items():
            model = out[name][0]
            if model is not None:
                model.level_ = level
                out[name] = (model, join_notes(out[name][1], level_notes.get(name),
                                               f"level x {level:.3f} learnt on the choice windows"))
        if weights is not None:
            stack = StackedSpendRegressor({n: out[n][0] for n in bases}, weights).fit()
            out[STACK] = (stack, stack.fit_note_ + " (learnt on the choice windows)")
        else:
            out[STACK] = (None, "no stack: no choice window to learn its weights on")
        return out

    # 3. Test: fit on the older windows, levels and weights from the choice windows.
    test = plan.test
    if test.skipped:
        run.log_stage(test, None, None, {}, {}, None, {}, None)
    else:
        train, eval_frame = run.training_rows(test.train_windows), run.evaluation_rows(test.eval_window)
        fitted = finished(_fit_models(train, spec, params))
        predictions, actual, days = {}, None, None
        if len(eval_frame):
            actual, days = run.actual(eval_frame)
            predictions = {name: _predict(model, eval_frame, days, params.horizon_days)
                           for name, (model, _) in fitted.items() if model is not None}
        notes = {}
        if len(eval_frame):
            notes = {name: join_notes(interval_notes[name], "test window played no part in fitting or choosing")
                     for name in (*CANDIDATES, *BASELINES)}
        run.log_stage(test, train, eval_frame if len(eval_frame) else None, fitted, predictions, actual, notes, days,
                      intervals)

    for row in run.result.rows:
        row["is_champion"] = row["model_name"] == champion
        if row["is_champion"] and row["stage"] in ("validation", "extrapolation"):
            row["note"] = join_notes(row["note"], champion_note)

    # 4. Final refit of every candidate: the champion scores, the others are kept beside it
    # (benchmarks and a later registry can score them identically).
    final = plan.final
    train = run.training_rows(final.train_windows)
    fitted = finished(_fit_models(train, spec, params, with_baselines=False))
    for name in CANDIDATES:
        model, model_note = fitted[name]
        is_champion = name == champion
        row = run.add_row(name, "final", train, None, join_notes(
            final.note, model_note, _sample_note(train, None), champion_note if is_champion else None,
            "refit for scoring; no held-out evaluation (see stage 'test')"))
        row["is_champion"] = is_champion
        if model is None:
            continue
        if is_champion:
            # What the scores carry beside the forecast: the interval and the drivers.
            model.interval_ = intervals.get(name)
            try:
                # Never name a demographic or an excluded feature (the model reads none of the latter).
                model.explainer_ = DriverExplainer(
                    random_seed=params.random_seed,
                    excluded=DEMOGRAPHIC_FEATURES | {name.lower() for name in params.excluded_features},
                ).fit(
                    model, train, sample_weight=_fit_weights(train))
            except ValueError as error:
                model.explainer_ = None
                row["note"] = join_notes(row["note"], f"no drivers: {error}")
            row["note"] = join_notes(row["note"], interval_notes.get(name))
        row["model_blob"] = encode_blob(model)
        if is_champion:
            run.result.model_blob = row["model_blob"]
    if run.result.model_blob is None:
        raise ValueError(f"purchasing power: the champion {champion} could not be fitted on the final windows")
    return run.result
