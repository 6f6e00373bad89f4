"""Fit, choose, test and refit: the protocol run over the stage plan (:mod:`.protocol`)."""

from __future__ import annotations

from dataclasses import dataclass
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
    CANDIDATES,
    GBM,
    LINEAR,
    MEAN,
    NAIVE,
    BTYDBlendRegressor,
    GBMSpendRegressor,
    LinearSpendRegressor,
    MissingColumnsError,
    NaiveRateRegressor,
    mean_baseline,
)
from .params import BLEND_PARAMS, GBM_PARAMS, LINEAR_PARAMS, LOWER_IS_BETTER, PurchasingPowerParams
from .protocol import Stage, plan_stages

__all__ = ["METRIC_COLUMNS", "RESULT_COLUMNS", "REQUIRED_COLUMNS", "TrainingResult", "fit_and_evaluate"]

METRIC_COLUMNS = [
    "mae", "rmse", "r2", "spearman", "normalised_gini", "top_decile_capture",
    "mean_label", "mean_prediction",
]
RESULT_COLUMNS = [
    "model_name", "model_version", "as_of_date", "stage", "is_champion",
    "train_feature_dates", "eval_feature_date", "n_train", "n_eval",
    *METRIC_COLUMNS, "note", "model_blob",
]
REQUIRED_COLUMNS = ("window_index", "cutoff_role", "label_window_spend", "feature_date")


@dataclass
class TrainingResult(TrainingLog):
    """Metrics table of one training run plus the final champion."""

    champion: str = GBM
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
    if "label_window_days" in data.columns:
        days = to_float(data["label_window_days"])
        if not np.all(days == params.label_window_days):
            found = sorted({str(d) for d in pd.unique(days)})
            raise ValueError(f"purchasing power: label_window_days of the training rows ({', '.join(found)}) "
                             f"differ from the scoring context's {params.label_window_days}")
    # SQL promises no row order; fits that sum in row order must not depend on it.
    return data.sort_values([c for c in ("window_index", "customer_id") if c in data.columns],
                            kind="stable").reset_index(drop=True)


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
    """Every candidate (and baseline) fitted on one training frame: (estimator, note) per name,
    in CANDIDATES + BASELINES order; the estimator is None when it cannot predict (note says why).

    One BTYD fit is shared by the candidates; the blend wraps the fitted GBM rather than refitting it.
    """
    spend = train["label_window_spend"].to_numpy(dtype=float)
    weights = _fit_weights(train)
    btyd_fit = btyd.fit(train, params.horizon_days, params.random_seed, weights) if len(train) >= 2 else None
    common = {"features": spec, "horizon_days": params.horizon_days,
              "label_window_days": params.label_window_days, "random_seed": params.random_seed}
    gbm = GBMSpendRegressor(**common, params=GBM_PARAMS).fit(train, spend, btyd_fit=btyd_fit, sample_weight=weights)
    linear = LinearSpendRegressor(**common, params=LINEAR_PARAMS).fit(train, spend, btyd_fit=btyd_fit,
                                                                      sample_weight=weights)
    blend = BTYDBlendRegressor(gbm, btyd_weight=BLEND_PARAMS.btyd_weight, prefit=True).fit(train, spend)
    fitted = {model.model_name: (model, model.fit_note_) for model in (gbm, linear, blend)}
    fitted = {name: fitted[name] for name in CANDIDATES}
    if with_baselines:
        try:
            fitted[NAIVE] = (NaiveRateRegressor(horizon_days=params.horizon_days).fit(train), None)
        except MissingColumnsError as missing:
            fitted[NAIVE] = (None, str(missing))
        horizon_label = labels.horizon_scaled_spend(spend, params.label_window_days, params.horizon_days)
        fitted[MEAN] = (mean_baseline().fit(train, horizon_label, sample_weight=weights), None)
    return fitted


def _better(metric: str, a: float, b: float) -> bool:
    """Is value ``a`` strictly better than ``b`` (NaN is worst)?"""
    if not np.isfinite(a):
        return False
    if not np.isfinite(b):
        return True
    return a < b if metric in LOWER_IS_BETTER else a > b


def _choose_champion(scores: dict[str, dict], metric: str) -> tuple[str, str | None]:
    """The best candidate on the validation metric (ties: CANDIDATES order), and the note when
    the choice had to default to the first candidate."""
    candidate_scores = {n: scores[n][metric] for n in CANDIDATES if n in scores}
    if not candidate_scores:
        return CANDIDATES[0], f"champion defaulted to {CANDIDATES[0]}: no validation window to choose on"
    best = None
    for name in CANDIDATES:
        if name in candidate_scores and (best is None or _better(metric, candidate_scores[name], candidate_scores[best])):
            best = name
    if best is not None and np.isfinite(candidate_scores[best]):
        return best, None
    return CANDIDATES[0], f"champion defaulted to {CANDIDATES[0]}: {metric} undefined on the validation window"


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
        """The evaluation-sample rows (uniform, unweighted) of one validation or test window."""
        data = self.data
        return data[(data["window_index"] == window) & data["in_evaluation_sample"]].reset_index(drop=True)

    def horizon_label(self, frame: pd.DataFrame) -> np.ndarray:
        """The H-scaled label the metrics compare predictions with."""
        return labels.horizon_scaled_spend(frame["label_window_spend"].to_numpy(dtype=float),
                                           self.params.label_window_days, self.params.horizon_days)

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

    def evaluate(self, stage: Stage) -> dict[str, dict]:
        """Fit candidates and baselines on the stage's windows, evaluate them at its evaluation
        window and log one row each; returns the metrics per model name."""
        if stage.skipped:
            train = eval_frame = None
            fitted = {}
        else:
            train, eval_frame = self.training_rows(stage.train_windows), self.evaluation_rows(stage.eval_window)
            fitted = _fit_models(train, self.spec, self.params)
        sample_note = None if train is None else _sample_note(train, eval_frame)
        scores = {}
        actual = None if eval_frame is None else self.horizon_label(eval_frame)
        for name in (*CANDIDATES, *BASELINES):
            if train is None:
                self.add_row(name, stage.name, None, None, stage.note)
                continue
            model, model_note = fitted[name]
            row = self.add_row(name, stage.name, train, eval_frame, join_notes(stage.note, model_note, sample_note))
            if model is not None:
                scores[name] = regression_metrics(actual, model.predict(eval_frame))
                self.result.record_metrics(row, scores[name])
        return scores

    def refit(self, stage: Stage, champion: str, champion_note: str | None) -> None:
        """Refit every candidate on the final stage's windows; the champion's blob is the result's."""
        train = self.training_rows(stage.train_windows)
        for name, (model, model_note) in _fit_models(train, self.spec, self.params, with_baselines=False).items():
            is_champion = name == champion
            row = self.add_row(name, "final", train, None, join_notes(
                stage.note, model_note, _sample_note(train, None), champion_note if is_champion else None,
                "refit for scoring; no held-out evaluation (see stage 'test')"))
            row["is_champion"] = is_champion
            row["model_blob"] = encode_blob(model)
            if is_champion:
                self.result.model_blob = row["model_blob"]


@with_fixed_threads
def fit_and_evaluate(training: pd.DataFrame, params: PurchasingPowerParams,
                     cutoffs: pd.DataFrame | None = None) -> TrainingResult:
    """Fit, choose, test and refit the purchasing-power models (see the package docstring).

    ``training``: one row per (customer, label window) with ``window_index``, ``cutoff_role``,
    ``label_window_spend`` (net spend over the label window), ``feature_date`` and the features
    (``label_window_days``, when present, must be ``params.label_window_days``). ``cutoffs``:
    ``int_feature_cutoffs`` (``window_index``, ``cutoff_role``), so that a note can name an
    evaluation window without rows by its index. Raises ``ValueError`` when there is no labelled
    training data.
    """
    if not isinstance(params, PurchasingPowerParams):
        raise TypeError(f"params must be a PurchasingPowerParams (see PurchasingPowerParams.from_dbt), "
                        f"got {type(params).__name__}")
    data = _labelled_rows(training, params)
    spec = select_features(data)
    if not spec.names:
        raise ValueError("purchasing power: the training frame has no feature columns")
    cutoff_roles = None if cutoffs is None else dict(zip(cutoffs["window_index"].astype(int), cutoffs["cutoff_role"]))
    plan = plan_stages(_window_roles(data), params.n_train_windows, cutoff_roles)
    run = _Run(data, spec, params)
    metric = params.selection_metric

    validation_scores = run.evaluate(plan.validation)
    champion, champion_note = _choose_champion(validation_scores, metric)
    run.result.champion = champion
    run.evaluate(plan.test)
    for row in run.result.rows:
        row["is_champion"] = row["model_name"] == champion
        if row["is_champion"] and row["stage"] == "validation" and not champion_note:
            row["note"] = join_notes(row["note"], f"champion: best {metric} on this window")
        if row["is_champion"] and champion_note:
            row["note"] = join_notes(row["note"], champion_note)
        if row["stage"] == "test" and row["n_train"] > 0 and row["n_eval"] > 0:
            row["note"] = join_notes(row["note"], "test window played no part in fitting or choosing")
    # The final refit of every candidate: the champion scores, the others are kept beside it
    # (benchmarks and a later registry can score them identically).
    run.refit(plan.final, champion, champion_note)
    return run.result
