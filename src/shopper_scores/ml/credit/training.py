"""Fitting: one credit model on a frame (:func:`fit_model`), or the whole out-of-time run of
:mod:`.protocol` into a training log (:func:`fit_and_evaluate`).

Training data
-------------
One row per credit account: ``credit_account_id``, ``customer_id``, ``feature_date`` (the
opening date; features are as of then), ``split`` in {'train', 'validation', 'test'} assigned
out-of-time by SQL (test = latest matured cohort), ``is_default`` (0/1) and the features.
Features are selected generically (see :mod:`shopper_scores.ml.features`); ``gender`` is a
protected attribute and never a feature. No labelled rows at all raise ``ValueError``.

Metrics
-------
:data:`METRIC_COLUMNS` on the evaluated rows: ranking (AUC, KS, Gini), Brier, log loss, levels,
and the Hosmer-Lemeshow statistic over deciles of risk (the scorecard's integer score, ties kept
together; the PD for the other models), its degrees of freedom (the number of deciles on rows the
calibrator never saw, deciles - 2 on rows it was fitted on) and chi-square p-value
(:func:`~shopper_scores.ml.metrics.hosmer_lemeshow`). The champion's test row gives exactly the
statistic of ``credit_calibration``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from ..features import MAX_GBM_CATEGORIES, FeatureSpec, encode_blob, iso_dates, select_features
from ..metrics import classification_metrics, hosmer_lemeshow, risk_groups
from ..threads import with_fixed_threads
from ..training_log import TrainingLog, join_notes
from ..versioning import model_version
from .challenger import BaseRateClassifier, CreditGBM
from .params import CALIBRATION_METHODS, CreditParams
from .protocol import BASE_RATE, CHAMPION, GBM, SCORECARD, SPLITS, compose_note, plan_stages
from .scorecard import CreditScorecard

__all__ = [
    "METRIC_COLUMNS", "RESULT_COLUMNS", "TrainingResult",
    "make_model", "version_params", "fit_model", "fit_and_evaluate", "evaluation_metrics", "no_model_result",
    "N_RISK_GROUPS",
]

METRIC_COLUMNS = [
    "auc", "ks", "gini", "brier", "log_loss", "event_rate", "mean_prediction",
    "hosmer_lemeshow", "hosmer_lemeshow_df", "hosmer_lemeshow_p_value",
]
N_RISK_GROUPS = 10  # deciles of risk for the Hosmer-Lemeshow statistic (and credit_calibration)
RESULT_COLUMNS = [
    "model_name", "model_version", "as_of_date", "stage", "is_champion",
    "train_feature_dates", "eval_feature_date", "n_train", "n_eval",
    *METRIC_COLUMNS, "note", "model_blob",
]
NO_ACCOUNTS = "no matured credit accounts: no credit model was fitted"


@dataclass
class TrainingResult(TrainingLog):
    """Metrics table of one credit training run plus the final scorecard."""

    champion: str = CHAMPION
    columns: ClassVar[list[str]] = RESULT_COLUMNS
    metric_columns: ClassVar[list[str]] = METRIC_COLUMNS


def _require_credit_params(params) -> CreditParams:
    if not isinstance(params, CreditParams):
        raise TypeError(f"credit: params must be a CreditParams, got {type(params).__name__}")
    return params


def make_model(name: str, spec: FeatureSpec, params: CreditParams, version: str | None = None,
               calibration_method: str | None = None):
    """The unfitted estimator ``name`` (:data:`SCORECARD`, :data:`GBM` or :data:`BASE_RATE`).
    ``calibration_method`` ('platt' or 'isotonic') fixes the scorecard's score-to-PD map instead
    of ``params.score_calibration.method`` (the final refit reuses the held-out stages' choice)."""
    if name == SCORECARD:
        score_calibration = params.score_calibration
        if calibration_method is not None:
            if calibration_method not in CALIBRATION_METHODS:
                raise ValueError(f"credit: calibration_method must be one of {list(CALIBRATION_METHODS)}, "
                                 f"got {calibration_method!r}")
            score_calibration = dataclasses.replace(score_calibration, method=calibration_method)
        return CreditScorecard(spec, scaling=params.scaling, n_bins=params.n_bins, min_bin_share=params.min_bin_share,
                               params=params.scorecard, calibration=params.calibration,
                               score_calibration=score_calibration, version=version)
    if name == GBM:
        return CreditGBM(spec, random_seed=params.random_seed, params=params.gbm,
                         calibration=params.calibration, version=version)
    if name == BASE_RATE:
        return BaseRateClassifier(version=version)
    raise ValueError(f"credit: unknown model {name!r}; expected one of {sorted((SCORECARD, GBM, BASE_RATE))}")


def version_params(name: str, params: CreditParams) -> dict:
    """The parameters that enter model ``name``'s version."""
    common = {"random_seed": params.random_seed}
    calibration = {"platt_C": params.calibration.C, "platt_max_iter": params.calibration.max_iter}
    if name == SCORECARD:
        score_calibration = {f"score_calibration_{k}": v for k, v in params.score_calibration.as_dict().items()}
        return {**common, **params.scorecard.as_dict(), **calibration, **score_calibration, "n_bins": params.n_bins,
                "min_bin_share": params.min_bin_share, **params.scaling.as_dict()}
    if name == GBM:
        return {**common, **params.gbm.as_dict(), "max_categories": MAX_GBM_CATEGORIES, **calibration}
    return common


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``is_default`` as int 0/1; rows without a known outcome dropped."""
    if "is_default" not in frame.columns:
        raise ValueError("credit: training frame lacks required column 'is_default'")
    data = frame.copy()
    data["is_default"] = pd.to_numeric(data["is_default"].astype(object), errors="coerce")
    data = data[data["is_default"].notna()].reset_index(drop=True)
    if not data["is_default"].isin([0, 1]).all():
        raise ValueError("credit: is_default must be 0/1")
    data["is_default"] = data["is_default"].astype(int)
    return data


def _features(data: pd.DataFrame, params: CreditParams) -> FeatureSpec:
    if len(data) == 0:
        raise ValueError("credit: no training rows with a known default outcome -- nothing to fit on")
    spec = select_features(data, excluded=params.excluded_features)
    if not spec.names:
        raise ValueError("credit: the training frame has no feature columns")
    return spec


def _fit(model, fit: pd.DataFrame, calibration: pd.DataFrame | None):
    """Fit ``model`` on ``fit`` and, unless ``calibration`` is None, calibrate it there: the one
    fitting step of every stage of :func:`fit_and_evaluate` and of :func:`fit_model`."""
    model.fit(fit, fit["is_default"].to_numpy(dtype=int))
    if calibration is not None:
        model.calibrate(calibration, calibration["is_default"].to_numpy(dtype=int))
    return model


@with_fixed_threads
def fit_model(name: str, frame: pd.DataFrame, params: CreditParams, calibration: pd.DataFrame | None = None):
    """Fit one credit model on ``frame`` outside the out-of-time protocol (e.g. a
    cross-validation fold): the same binning, WOE, feature selection, logistic regression
    (``SCORECARD``) or histogram GBM (``GBM``) and calibration (Platt; for the scorecard the
    score-to-PD map of ``params.score_calibration``, by default chosen by cross-fitting on the
    calibration rows) that every stage of :func:`fit_and_evaluate` runs.

    ``frame``: ``is_default`` (0/1) plus feature columns (selected as in
    :func:`fit_and_evaluate`; meta columns, protected attributes and ``excluded_features``
    are never features).  ``calibration``: the rows the calibrator is fitted on; ``None``
    calibrates on ``frame`` itself (in-sample).  Returns the fitted, calibrated
    estimator (``predict_proba``; a :class:`CreditScorecard` also has ``bin_points`` and
    ``reason_codes``); its ``note_`` holds what the fit and the calibration reported.
    """
    if name not in (SCORECARD, GBM):
        raise ValueError(f"credit: unknown model {name!r}; expected one of {sorted((SCORECARD, GBM))}")
    params = _require_credit_params(params)
    data = _labelled(frame)
    spec = _features(data, params)
    calib = data if calibration is None else _labelled(calibration)
    return _fit(make_model(name, spec, params), data, calib)


def _date_range(frame: pd.DataFrame | None) -> str | None:
    if frame is None or len(frame) == 0:
        return None
    dates = iso_dates(frame["feature_date"])
    if not dates:
        return None
    return f"{dates[0]}..{dates[-1]}"


def _rows(parts: dict[str, pd.DataFrame], splits: tuple[str, ...]) -> pd.DataFrame | None:
    if not splits:
        return None
    if len(splits) == 1:
        return parts[splits[0]]
    return pd.concat([parts[s] for s in splits], ignore_index=True)


def _sample_note(fit: pd.DataFrame | None, evaluate: pd.DataFrame | None) -> str | None:
    """Says which splits were a uniform sample (int_credit_training_set: split_rows > rows read)."""
    notes = []
    for role, frame in (("fit", fit), ("evaluated", evaluate)):
        if frame is None or len(frame) == 0 or "split_rows" not in frame.columns:
            continue
        population = int(frame.groupby("split")["split_rows"].first().sum())
        if len(frame) < population:
            notes.append(f"{role} on a uniform sample of {len(frame)} of {population} accounts")
    return join_notes(*notes) if notes else None


def evaluation_metrics(model, frame: pd.DataFrame, *, calibrated_on_these_rows: bool) -> dict:
    """:data:`METRIC_COLUMNS` of ``model`` on ``frame`` (``is_default`` and features): the
    classification metrics and the Hosmer-Lemeshow statistic over deciles of risk (the integer
    score for a scorecard, ties kept together; the PD otherwise)."""
    y = frame["is_default"].to_numpy(dtype=float)
    if isinstance(model, CreditScorecard):
        safety = model.score_from_bins(model.bin_indices(frame))
        p = model.pd_from_score(safety)  # = predict_proba, without binning the rows twice
    else:
        p = model.predict_proba(frame)[:, 1]
        safety = -p
    groups = risk_groups(safety, N_RISK_GROUPS)
    return {**classification_metrics(y, p),
            **hosmer_lemeshow(y, p, groups, calibrated_on_these_rows=calibrated_on_these_rows)}


def no_model_result(params: CreditParams, reason: str) -> TrainingResult:
    """A training log with a single, non-champion 'final' row whose note says why there is no
    model (e.g. a shop without instalment credit). Scoring then yields no credit scores."""
    params = _require_credit_params(params)
    result = TrainingResult(as_of_date=params.as_of_date, feature_names=[])
    result.add_row(CHAMPION, model_version(CHAMPION, version_params(CHAMPION, params), [], "none"), "final",
                   is_champion=False, note=reason)
    return result


@with_fixed_threads
def fit_and_evaluate(training: pd.DataFrame, params: CreditParams) -> TrainingResult:
    """Fit, calibrate, evaluate and refit the credit models by the plan of
    :func:`~.protocol.plan_stages` (see :mod:`.protocol`)."""
    params = _require_credit_params(params)
    if training is None or len(training) == 0:
        return no_model_result(params, NO_ACCOUNTS)
    for col in ("split", "is_default", "feature_date"):
        if col not in training.columns:
            raise ValueError(f"credit: training frame lacks required column {col!r}")
    # SQL promises no row order; the fits sum in row order and must not depend on it.
    keys = [c for c in ("feature_date", "customer_id", "credit_account_id") if c in training.columns]
    data = _labelled(training).sort_values(keys, kind="stable").reset_index(drop=True)
    split = data["split"].astype(object).where(data["split"].notna(), None)
    unknown = sorted({str(s) for s in split if s not in SPLITS})
    if unknown:
        raise ValueError(f"credit: unknown split value(s) {unknown}; expected {list(SPLITS)}")
    spec = _features(data, params)
    parts = {s: data[split == s].reset_index(drop=True) for s in SPLITS}
    result = TrainingResult(as_of_date=params.as_of_date, feature_names=spec.names)

    fitted: dict[tuple, object] = {}  # validation and test share their fits
    chosen_method: dict[str, str] = {}  # per model: the calibration method its held-out fit chose
    for step in plan_stages({s: len(parts[s]) for s in SPLITS}):
        fit, calib, evaluate = (_rows(parts, step.fit), _rows(parts, step.calibrate), _rows(parts, step.evaluate))
        fit_range = _date_range(fit)
        window = f"fit={fit_range or ''};calibrate={_date_range(calib) or ''}"
        version = model_version(step.model, version_params(step.model, params), spec.names, window)
        row = result.add_row(
            step.model, version, step.stage, is_champion=step.is_champion,
            train_feature_dates=fit_range, eval_feature_date=_date_range(evaluate),
            n_train=0 if fit is None else len(fit), n_eval=0 if evaluate is None else len(evaluate),
        )
        if step.skip is not None:
            row["note"] = compose_note(step)
            continue
        key = (step.model, step.fit, step.calibrate)
        if key not in fitted:
            method = None
            if step.reuse_calibration_choice:
                if step.model not in chosen_method:
                    raise RuntimeError(f"credit: no held-out fit of {step.model} to take the calibration method from")
                method = chosen_method[step.model]
            fitted[key] = _fit(make_model(step.model, spec, params, version, calibration_method=method), fit, calib)
            if step.stage != "final" and hasattr(fitted[key], "calibration_method_"):
                chosen_method[step.model] = fitted[key].calibration_method_
        model = fitted[key]
        if evaluate is not None:
            seen = bool(set(step.evaluate) & set(step.calibrate))  # rows the calibrator was fitted on
            result.record_metrics(row, evaluation_metrics(model, evaluate, calibrated_on_these_rows=seen))
        row["note"] = join_notes(compose_note(step, model.fit_note_, model.calibration_note_),
                                 _sample_note(fit, evaluate))
        if step.keeps_model:
            row["model_blob"] = encode_blob(model)
        if step.stage == "final":
            result.model_blob = row["model_blob"]
    return result

