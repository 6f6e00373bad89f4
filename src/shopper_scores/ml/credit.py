"""Credit risk: probability of default, credit score, grade inputs and reason codes.

Training data
-------------
One row per credit account: ``credit_account_id``, ``customer_id``,
``feature_date`` (the opening date; features are as of then), ``split`` in
{'train', 'validation', 'test'} assigned out-of-time by SQL (test = latest
matured cohort), ``is_default`` (0/1) and the features.

Models
------
* ``credit_scorecard_logit`` -- the explainable champion, always.  Per-feature
  binning fitted on the training rows: up to 20 quantile pre-bins for numerics
  (missing values in their own bin), categories ordered by bad rate (rare ones
  pooled into ``(other)``), every pre-bin holding at least ``min_bin_share`` of
  the rows; pre-bins merged into at most ``n_bins`` groups whose bad rate is
  monotone or has a single peak / valley, keeping the most information value.
  Then smoothed weight of evidence (WOE) per bin, an L2 logistic regression on
  the WOE columns, then Platt calibration (a logistic regression on the
  model's logit).
* ``credit_gbm`` -- challenger, ``HistGradientBoostingClassifier`` with the
  same Platt calibration.  Compared in the metrics table, never champion.
* ``credit_base_rate`` -- the training default rate for every account.

Stages
------
* ``validation``: fit on train, calibrate on validation, metrics on
  validation.  The calibrator saw this split (AUC/KS/Gini are unaffected by the
  monotone calibration; Brier and log loss are optimistic).
* ``test``: the same fitted and calibrated models scored on test; the test
  split played no part in fitting, calibrating or choosing.
* ``final``: the champion refit on train + validation and calibrated on test;
  its pickled scorecard is attached to this row only.

:func:`fit_model` runs the same fit + calibration step outside this protocol
(e.g. on a cross-validation fold; ``bench/credit_cv.py``).

Missing splits degrade gracefully with a ``note`` (e.g. no validation rows:
calibrate on train).  No labelled rows at all raise ``ValueError``.

Scaling
-------
``odds_good = (1 - pd) / pd`` with pd clipped to [1e-6, 1 - 1e-6];
``factor = points_to_double_odds / ln 2``;
``score = base_score + factor * (ln(odds_good) - ln(base_odds))`` rounded half up.

Reason codes
------------
The points of feature *j* in bin *b* are
``-factor * platt_slope * coef_j * woe_j(b)``.  A customer's shortfall on
*j* is the best points *j* can give minus the points of the customer's bin;
the up to three features with the largest positive shortfall (ties by
feature name) are ``reason_code_1..3``.

Features are selected generically (see :mod:`shopper_scores.ml.features`).
``gender`` is a protected attribute: it is never used as a feature -- it is
kept in the data for fairness monitoring only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .features import (
    MAX_GBM_CATEGORIES,
    MISSING_CATEGORY,
    FeatureSpec,
    decode_blob,
    encode_blob,
    iso_dates,
    ordinal_encoding,
    prepare_features,
    select_features,
    to_date,
)
from .metrics import classification_metrics
from .training_log import TrainingLog, join_notes
from .versioning import model_version

__all__ = [
    "SCORECARD",
    "GBM",
    "BASE_RATE",
    "METRIC_COLUMNS",
    "RESULT_COLUMNS",
    "SCORE_COLUMNS",
    "MODELS",
    "CreditScorecard",
    "CalibratedGBM",
    "FeatureBinning",
    "TrainingResult",
    "fit_and_evaluate",
    "fit_model",
    "load_scorecard",
    "score",
    "scorecard_points",
    "pd_to_score",
]

SCORECARD = "credit_scorecard_logit"
GBM = "credit_gbm"
BASE_RATE = "credit_base_rate"
MODELS = (SCORECARD, GBM, BASE_RATE)
SPLITS = ("train", "validation", "test")

METRIC_COLUMNS = ["auc", "ks", "gini", "brier", "log_loss", "event_rate", "mean_prediction"]
RESULT_COLUMNS = [
    "model_name", "model_version", "as_of_date", "stage", "is_champion",
    "train_feature_dates", "eval_feature_date", "n_train", "n_eval",
    *METRIC_COLUMNS, "note", "model_blob",
]
SCORE_COLUMNS = [
    "customer_id", "probability_of_default", "credit_score",
    "reason_code_1", "reason_code_2", "reason_code_3",
]

PD_CLIP = 1e-6
OTHER_CATEGORY = "(other)"
MISSING_SUFFIX = ":missing"  # appended to a reason code whose feature value is missing
SCORECARD_PARAMS = {
    "logit_C": 1.0,
    "platt_C": 1.0,
    "woe_smoothing": 10.0,
    "max_iter": 1000,
    # Scorecard practice: only features with some univariate power (information value), the
    # strongest first, and none whose coefficient contradicts its WOE (signs must be negative,
    # WOE being ln(good/bad)). Unselected features keep their bins with coefficient 0.
    "min_information_value": 0.02,
    "max_features": 20,
    # Binning: numerics start from up to this many quantile pre-bins; pre-bins (and categories)
    # are merged into at most n_bins groups with a monotone or single-peaked bad rate (_fit_binning).
    "max_prebins": 20,
}
GBM_PARAMS = {
    "learning_rate": 0.05,
    "max_iter": 100,
    "max_leaf_nodes": 8,
    "min_samples_leaf": 50,
    "l2_regularization": 1.0,
    "max_bins": 255,
    "early_stopping": False,
}
SCALING_DEFAULTS = {"base_score": 600.0, "base_odds": 50.0, "points_to_double_odds": 20.0}


# --------------------------------------------------------------------------- scaling


def _scaling(params: dict | None, fallback: dict | None = None) -> dict:
    params = params or {}
    fallback = fallback or SCALING_DEFAULTS
    out = {}
    for key, default in SCALING_DEFAULTS.items():
        value = params.get(key)
        out[key] = float(fallback.get(key, default) if value is None else value)
    if out["base_odds"] <= 0 or out["points_to_double_odds"] <= 0:
        raise ValueError("base_odds and points_to_double_odds must be positive")
    return out


def _factor(scaling: dict) -> float:
    return scaling["points_to_double_odds"] / math.log(2.0)


def pd_to_score(probability_of_default, params: dict | None = None) -> np.ndarray:
    """Credit score (int) from probabilities of default; higher score = lower risk."""
    scaling = _scaling(params)
    p = np.clip(np.asarray(probability_of_default, dtype=float), PD_CLIP, 1 - PD_CLIP)
    log_odds_good = np.log1p(-p) - np.log(p)
    raw = scaling["base_score"] + _factor(scaling) * (log_odds_good - math.log(scaling["base_odds"]))
    return np.floor(raw + 0.5).astype("int64")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


# --------------------------------------------------------------------------- binning + WOE


def _format_number(x: float) -> str:
    return format(float(x), ".6g")


class FeatureBinning:
    """Bins of one feature with their weights of evidence.

    Numeric: right-closed intervals ``(-inf, e1], (e1, e2], ..., (ek, inf)``
    followed by a ``(missing)`` bin.  Categorical: the kept categories
    (sorted), each in the bin ``groups[i]`` (default: a bin of its own; a
    group's label lists its categories), ``(other)`` for rare and unseen ones,
    then ``(missing)``.
    """

    def __init__(self, feature: str, kind: str, edges=None, categories=None, groups=None):
        self.feature = feature
        self.kind = kind
        self.edges = np.asarray(edges if edges is not None else [], dtype=float)
        self.categories = list(categories or [])
        self.groups = list(range(len(self.categories)) if groups is None else groups)
        self.woe = np.zeros(self.n_bins)
        self.n_rows = np.zeros(self.n_bins, dtype=np.int64)
        self.n_bad = np.zeros(self.n_bins, dtype=np.int64)

    @property
    def n_bins(self) -> int:
        if self.kind == "numeric":
            return len(self.edges) + 2
        return self._n_groups + 2

    @property
    def _n_groups(self) -> int:
        return max(self.groups) + 1 if self.groups else 0

    @property
    def labels(self) -> list[str]:
        if self.kind == "numeric":
            bounds = ["-inf", *(_format_number(e) for e in self.edges), "inf"]
            intervals = [
                f"({lo}, {hi}]" if hi != "inf" else f"({lo}, {hi})"
                for lo, hi in zip(bounds[:-1], bounds[1:])
            ]
            return [*intervals, MISSING_CATEGORY]
        members: list[list[str]] = [[] for _ in range(self._n_groups)]
        for category, group in zip(self.categories, self.groups):
            members[group].append(category)
        return [*(", ".join(m) for m in members), OTHER_CATEGORY, MISSING_CATEGORY]

    def assign(self, values: np.ndarray) -> np.ndarray:
        """Bin index of every value (values as produced by ``prepare_features``)."""
        if self.kind == "numeric":
            x = np.asarray(values, dtype=float)
            idx = np.searchsorted(self.edges, x, side="left")
            return np.where(np.isnan(x), len(self.edges) + 1, idx).astype(np.int64)
        lookup = dict(zip(self.categories, self.groups))
        other, missing = self._n_groups, self._n_groups + 1
        return np.array(
            [missing if v == MISSING_CATEGORY else lookup.get(v, other) for v in values],
            dtype=np.int64,
        )


def _merge_small_numeric_bins(edges: np.ndarray, x: np.ndarray, min_count: float) -> np.ndarray:
    """Remove edges until every non-missing bin holds at least ``min_count`` rows.

    The smallest bin (leftmost on ties) is merged into its smaller neighbour
    (left on ties) -- deterministic.
    """
    edges = list(edges)
    while edges:
        counts = np.bincount(np.searchsorted(np.asarray(edges), x, side="left"), minlength=len(edges) + 1)
        smallest = int(np.argmin(counts))
        if counts[smallest] >= min_count:
            break
        if smallest == 0:
            drop = 0
        elif smallest == len(counts) - 1:
            drop = smallest - 1
        else:
            drop = smallest - 1 if counts[smallest - 1] <= counts[smallest + 1] else smallest
        del edges[drop]
    return np.asarray(edges, dtype=float)


def _iv_terms(rows: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Information value of each bin, with half-row pseudo-counts (no infinite terms)."""
    good = rows - bad
    g = (good + 0.5) / (good.sum() + 0.5 * len(rows))
    b = (bad + 0.5) / (bad.sum() + 0.5 * len(rows))
    return (g - b) * np.log(g / b)


def _pool_violators(rows: np.ndarray, bad: np.ndarray, direction: float) -> list[list[float]]:
    """Pool adjacent pre-bins until the bad rate rises (direction 1) or falls (-1) along the
    order.  Blocks are ``[rows, bad, number of pre-bins]``."""
    blocks: list[list[float]] = []
    for r, b in zip(rows.astype(float), bad.astype(float)):
        blocks.append([r, b, 1])
        while len(blocks) > 1 and direction * (
            blocks[-2][1] / max(blocks[-2][0], 1.0) - blocks[-1][1] / max(blocks[-1][0], 1.0)
        ) > 1e-12:
            last = blocks.pop()
            blocks[-1] = [x + y for x, y in zip(blocks[-1], last)]
    return blocks


def _trend_blocks(rows: np.ndarray, bad: np.ndarray):
    """Candidate groupings: bad rate rising, falling, then every peak and valley (rising then
    falling / falling then rising, turning after pre-bin k)."""
    for direction in (1.0, -1.0):
        yield _pool_violators(rows, bad, direction)
    for k in range(1, len(rows)):
        for direction in (1.0, -1.0):
            yield _pool_violators(rows[:k], bad[:k], direction) + _pool_violators(rows[k:], bad[k:], -direction)


def _merge_ordered_bins(rows: np.ndarray, bad: np.ndarray, max_bins: int) -> np.ndarray:
    """Supervised merging of ordered pre-bins into at most ``max_bins`` consecutive groups.

    For each trend of :func:`_trend_blocks`, adjacent pre-bins that contradict it are pooled
    (pool-adjacent-violators), then the adjacent pair whose merge loses the least information
    value is merged until ``max_bins`` remain.  The grouping that keeps the most information
    value wins (earlier candidates on ties: monotone before peaks/valleys).  Returns the group
    index of every pre-bin.  Deterministic: ties go to the leftmost pair.
    """
    best_iv, best_groups = -np.inf, np.zeros(len(rows), dtype=np.int64)
    for blocks in _trend_blocks(rows, bad):
        while len(blocks) > max(max_bins, 1):
            r = np.array([blk[0] for blk in blocks])
            b = np.array([blk[1] for blk in blocks])
            terms = _iv_terms(r, b)
            losses = [
                terms[i] + terms[i + 1]
                - _iv_terms(np.r_[r[:i], r[i] + r[i + 1], r[i + 2:]], np.r_[b[:i], b[i] + b[i + 1], b[i + 2:]])[i]
                for i in range(len(blocks) - 1)
            ]
            i = int(np.argmin(np.round(losses, 12)))
            blocks[i:i + 2] = [[x + y for x, y in zip(blocks[i], blocks[i + 1])]]
        value = float(_iv_terms(np.array([blk[0] for blk in blocks]), np.array([blk[1] for blk in blocks])).sum())
        if value > best_iv + 1e-12:
            best_iv = value
            best_groups = np.repeat(np.arange(len(blocks)), [int(blk[2]) for blk in blocks])
    return best_groups


def _fit_binning(feature: str, kind: str, values: np.ndarray, y: np.ndarray, n_bins: int,
                 min_bin_share: float) -> FeatureBinning:
    """Bins of one feature: up to ``max_prebins`` quantile pre-bins (numerics) or the categories
    holding at least ``min_bin_share`` of the rows (categoricals, in order of bad rate), each
    pre-bin at least ``min_bin_share`` of the rows, merged into at most ``n_bins`` groups whose
    bad rate is monotone or has one peak / valley (see :func:`_merge_ordered_bins`)."""
    n_total = len(values)
    min_count = min_bin_share * n_total
    y = np.asarray(y, dtype=float)
    if kind == "numeric":
        x = np.asarray(values, dtype=float)
        observed_mask = ~np.isnan(x)
        observed = x[observed_mask]
        if observed.size == 0 or n_bins < 2:
            return FeatureBinning(feature, "numeric", edges=[])
        n_prebins = max(n_bins, SCORECARD_PARAMS["max_prebins"])
        quantiles = np.linspace(0.0, 1.0, n_prebins + 1)[1:-1]
        edges = np.unique(np.quantile(observed, quantiles, method="lower"))
        edges = edges[edges < observed.max()]  # no empty top bin
        edges = _merge_small_numeric_bins(edges, observed, min_count)
        prebin = np.searchsorted(edges, observed, side="left")
        rows = np.bincount(prebin, minlength=len(edges) + 1)
        bad = np.bincount(prebin, weights=y[observed_mask], minlength=len(edges) + 1)
        groups = _merge_ordered_bins(rows, bad, n_bins)
        return FeatureBinning(feature, "numeric", edges=edges[np.flatnonzero(np.diff(groups))])
    present = values != MISSING_CATEGORY
    stats = pd.DataFrame({"c": values[present].astype(str), "y": y[present]}).groupby("c")["y"].agg(["size", "sum"])
    stats = stats[(stats["size"] >= min_count) & (stats["size"] > 0)]
    kept = sorted(stats.index)
    if not kept:
        return FeatureBinning(feature, "categorical")
    by_rate = stats.assign(rate=stats["sum"] / stats["size"]).reset_index().sort_values(["rate", "c"], kind="stable")
    groups = _merge_ordered_bins(by_rate["size"].to_numpy(), by_rate["sum"].to_numpy(), max(n_bins, 1))
    group_of = dict(zip(by_rate["c"], groups))
    return FeatureBinning(feature, "categorical", categories=kept, groups=[int(group_of[c]) for c in kept])


def _fit_woe(binning: FeatureBinning, bins: np.ndarray, y: np.ndarray, smoothing: float) -> None:
    n_rows = np.bincount(bins, minlength=binning.n_bins)
    n_bad = np.bincount(bins, weights=y, minlength=binning.n_bins).round().astype(np.int64)
    n_good = n_rows - n_bad
    total_bad, total_good = n_bad.sum(), n_good.sum()
    binning.n_rows, binning.n_bad = n_rows.astype(np.int64), n_bad
    if total_bad == 0 or total_good == 0:
        binning.woe = np.zeros(binning.n_bins)
        return
    n = total_bad + total_good
    prior_good, prior_bad = total_good / n, total_bad / n
    # pseudo-counts drawn from the prior: sparse bins shrink towards WOE 0,
    # empty bins (e.g. an unseen "(missing)") get exactly 0
    woe = np.log((n_good + smoothing * prior_good) / (n_bad + smoothing * prior_bad)) - math.log(
        prior_good / prior_bad
    )
    binning.woe = woe


# --------------------------------------------------------------------------- models


def _fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float, str | None]:
    """Platt scaling ``pd = sigmoid(a + b * z)``; identity when it cannot be fitted."""
    if len(y) == 0 or y.min() == y.max():
        return 0.0, 1.0, "calibration set has a single class: Platt calibration skipped (identity)"
    lr = LogisticRegression(C=SCORECARD_PARAMS["platt_C"], max_iter=SCORECARD_PARAMS["max_iter"])
    lr.fit(np.asarray(z, dtype=float).reshape(-1, 1), y.astype(int))
    return float(lr.intercept_[0]), float(lr.coef_[0, 0]), None


def _smoothed_logit(y: np.ndarray) -> float:
    rate = (y.sum() + 0.5) / (len(y) + 1.0)
    return float(math.log(rate / (1 - rate)))


class CreditScorecard:
    """WOE scorecard: binning + logistic regression + Platt calibration + scaling."""

    def __init__(self, spec: FeatureSpec, binnings: list[FeatureBinning], coef: np.ndarray,
                 intercept: float, scaling: dict, version: str | None = None):
        self.spec = spec
        self.binnings = binnings
        self.coef = np.asarray(coef, dtype=float)
        self.intercept = float(intercept)
        self.platt_a = 0.0
        self.platt_b = 1.0
        self.scaling = dict(scaling)
        self.version = version

    @property
    def feature_names(self) -> list[str]:
        return [b.feature for b in self.binnings]

    def bin_indices(self, features: pd.DataFrame) -> np.ndarray:
        X = prepare_features(features, self.spec)
        if not self.binnings:
            return np.zeros((len(X), 0), dtype=np.int64)
        return np.column_stack([b.assign(X[b.feature].to_numpy()) for b in self.binnings])

    def _woe(self, bins: np.ndarray) -> np.ndarray:
        if not self.binnings:
            return np.zeros((bins.shape[0], 0))
        return np.column_stack([b.woe[bins[:, j]] for j, b in enumerate(self.binnings)])

    def logit(self, features: pd.DataFrame) -> np.ndarray:
        """Uncalibrated log-odds of default."""
        return self.intercept + self._woe(self.bin_indices(features)) @ self.coef

    def predict_pd(self, features: pd.DataFrame) -> np.ndarray:
        return _sigmoid(self.platt_a + self.platt_b * self.logit(features))

    def bin_points(self, scaling: dict | None = None) -> list[np.ndarray]:
        """Points per bin of every feature (higher = lower risk)."""
        factor = _factor(_scaling(scaling, self.scaling))
        return [-factor * self.platt_b * self.coef[j] * b.woe for j, b in enumerate(self.binnings)]

    def reason_codes(self, bins: np.ndarray, n_codes: int = 3) -> list[list[str | None]]:
        """Top ``n_codes`` features by positive points shortfall per row (ties by name); a
        feature whose value is missing for the row is reported as ``name:missing``."""
        n = bins.shape[0]
        codes: list[list[str | None]] = [[None] * n for _ in range(n_codes)]
        if n == 0 or not self.binnings:
            return codes
        points = self.bin_points()
        shortfall = np.column_stack([pts.max() - pts[bins[:, j]] for j, pts in enumerate(points)])
        shortfall = np.round(shortfall, 9)  # ties across features are ties, not float noise
        # columns in name order, then a stable sort on -shortfall: ties resolve by name
        by_name = np.argsort(np.asarray(self.feature_names, dtype=object), kind="stable")
        names = np.asarray(self.feature_names, dtype=object)[by_name]
        shortfall = shortfall[:, by_name]
        order = np.argsort(-shortfall, axis=1, kind="stable")[:, :n_codes]
        top = np.take_along_axis(shortfall, order, axis=1)
        # A reason that rests on a missing value says so ("late_instalment_share:missing"): a
        # customer without instalments has no late share, and must not be told it is high.
        missing_bin = np.array([b.n_bins - 1 for b in self.binnings])[by_name]
        is_missing = np.take_along_axis(bins[:, by_name] == missing_bin, order, axis=1)
        for k in range(order.shape[1]):
            codes[k] = [
                (str(names[j]) + (MISSING_SUFFIX if m else "")) if v > 0 else None
                for j, v, m in zip(order[:, k], top[:, k], is_missing[:, k])
            ]
        return codes


class CalibratedGBM:
    """Challenger: histogram GBM classifier with Platt calibration."""

    def __init__(self, spec: FeatureSpec, pipeline: Pipeline | None, constant_logit: float = 0.0):
        self.spec = spec
        self.pipeline = pipeline
        self.constant_logit = constant_logit
        self.platt_a = 0.0
        self.platt_b = 1.0

    def logit(self, features: pd.DataFrame) -> np.ndarray:
        if self.pipeline is None:
            return np.full(len(features), self.constant_logit)
        return np.asarray(self.pipeline.decision_function(prepare_features(features, self.spec)), dtype=float)

    def predict_pd(self, features: pd.DataFrame) -> np.ndarray:
        return _sigmoid(self.platt_a + self.platt_b * self.logit(features))


def _fit_scorecard(frame: pd.DataFrame, spec: FeatureSpec, cfg: dict) -> tuple[CreditScorecard, str | None]:
    y = frame["is_default"].to_numpy(dtype=float)
    X = prepare_features(frame, spec)
    binnings, woe_cols = [], []
    for name in spec.names:
        kind = "numeric" if name in spec.numeric else "categorical"
        values = X[name].to_numpy()
        binning = _fit_binning(name, kind, values, y, cfg["n_bins"], cfg["min_bin_share"])
        bins = binning.assign(values)
        _fit_woe(binning, bins, y, SCORECARD_PARAMS["woe_smoothing"])
        binnings.append(binning)
        woe_cols.append(binning.woe[bins])
    woe = np.column_stack(woe_cols) if woe_cols else np.zeros((len(frame), 0))
    if len(y) == 0 or y.min() == y.max():
        card = CreditScorecard(spec, binnings, np.zeros(len(binnings)), _smoothed_logit(y), cfg["scaling"])
        return card, "training rows hold a single class: scorecard is the smoothed base rate"
    values = np.array([_information_value(b) for b in binnings])
    ranked = [j for j in np.argsort(-values, kind="stable") if values[j] >= SCORECARD_PARAMS["min_information_value"]]
    selected = ranked[: SCORECARD_PARAMS["max_features"]]
    coef = np.zeros(len(binnings))
    intercept = _smoothed_logit(y)
    while selected:
        lr = LogisticRegression(C=SCORECARD_PARAMS["logit_C"], max_iter=SCORECARD_PARAMS["max_iter"])
        lr.fit(woe[:, selected], y.astype(int))
        fitted = lr.coef_[0]
        if (fitted <= 0).all():
            coef[selected] = fitted
            intercept = float(lr.intercept_[0])
            break
        # Drop the feature whose sign contradicts its WOE most, then refit.
        selected = [j for k, j in enumerate(selected) if k != int(np.argmax(fitted))]
    note = None if selected else "no feature passed the information-value and sign checks: base rate only"
    return CreditScorecard(spec, binnings, coef, intercept, cfg["scaling"]), note


def _information_value(binning: FeatureBinning) -> float:
    """Information value of a fitted binning: sum over bins of (good share - bad share) * WOE."""
    n_bad = binning.n_bad.astype(float)
    n_good = binning.n_rows.astype(float) - n_bad
    if n_bad.sum() == 0 or n_good.sum() == 0:
        return 0.0
    return float(np.sum((n_good / n_good.sum() - n_bad / n_bad.sum()) * binning.woe))


def _fit_gbm(frame: pd.DataFrame, spec: FeatureSpec, cfg: dict) -> tuple[CalibratedGBM, str | None]:
    y = frame["is_default"].to_numpy(dtype=int)
    if len(y) < 2 or y.min() == y.max():
        return (CalibratedGBM(spec, None, _smoothed_logit(y.astype(float))),
                "training rows hold a single class: GBM is the smoothed base rate")
    prepare, mask = ordinal_encoding(spec)
    pipeline = Pipeline([
        ("prepare", prepare),
        ("gbm", HistGradientBoostingClassifier(
            **GBM_PARAMS, categorical_features=mask, random_state=cfg["random_seed"],
        )),
    ])
    pipeline.fit(prepare_features(frame, spec), y)
    return CalibratedGBM(spec, pipeline), None


def _calibrate(model, frame: pd.DataFrame) -> str | None:
    a, b, note = _fit_platt(model.logit(frame), frame["is_default"].to_numpy(dtype=int))
    model.platt_a, model.platt_b = a, b
    return note


_FITTERS = {SCORECARD: _fit_scorecard, GBM: _fit_gbm}


def _fit_calibrated(name: str, fit: pd.DataFrame, spec: FeatureSpec, cfg: dict,
                    calibration: pd.DataFrame) -> tuple:
    """Fit model ``name`` on ``fit`` and Platt-calibrate it on ``calibration``: the one fitting
    step of every stage of :func:`fit_and_evaluate` and of :func:`fit_model`.
    Returns the model, the fit's note and the calibration's note."""
    model, note = _FITTERS[name](fit, spec, cfg)
    return model, note, _calibrate(model, calibration)


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


def fit_model(name: str, frame: pd.DataFrame, params: dict | None = None,
              calibration: pd.DataFrame | None = None):
    """Fit one credit model on ``frame`` outside the out-of-time protocol (e.g. a
    cross-validation fold): the same binning, WOE, feature selection, logistic regression
    (``SCORECARD``) or histogram GBM (``GBM``) and Platt calibration that every stage of
    :func:`fit_and_evaluate` runs.

    ``frame``: ``is_default`` (0/1) plus feature columns (selected as in
    :func:`fit_and_evaluate`; meta columns, protected attributes and ``excluded_features``
    are never features).  ``calibration``: the rows the Platt calibrator is fitted on;
    ``None`` calibrates on ``frame`` itself (in-sample).  ``params`` as for
    :func:`fit_and_evaluate`.  Returns the fitted model (``predict_pd``; a
    :class:`CreditScorecard` also has ``bin_points`` and ``reason_codes``) with the fit's
    notes in its ``note`` attribute.
    """
    if name not in _FITTERS:
        raise ValueError(f"credit: unknown model {name!r}; expected one of {sorted(_FITTERS)}")
    cfg = _check_params(params or {})
    data = _labelled(frame)
    if len(data) == 0:
        raise ValueError("credit: no training rows with a known default outcome -- nothing to fit on")
    spec = select_features(data, excluded=cfg["excluded_features"])
    if not spec.names:
        raise ValueError("credit: the training frame has no feature columns")
    calib = data if calibration is None else _labelled(calibration)
    model, note, cal_note = _fit_calibrated(name, data, spec, cfg, calib)
    model.note = join_notes(note, cal_note)
    return model


# --------------------------------------------------------------------------- result


@dataclass
class TrainingResult(TrainingLog):
    """Metrics table of one credit training run plus the final scorecard."""

    champion: str = SCORECARD
    columns: ClassVar[list[str]] = RESULT_COLUMNS
    metric_columns: ClassVar[list[str]] = METRIC_COLUMNS


# --------------------------------------------------------------------------- protocol


def _check_params(params: dict) -> dict:
    params = {k: v for k, v in (params or {}).items() if v is not None}
    n_bins = int(params.get("n_bins", 6))
    min_bin_share = float(params.get("min_bin_share", 0.05))
    if n_bins < 1:
        raise ValueError("n_bins must be >= 1")
    if not 0 <= min_bin_share < 1:
        raise ValueError("min_bin_share must lie in [0, 1)")
    excluded = params.get("excluded_features", ())
    if isinstance(excluded, str):  # dbt passes vars as text: "age_years,region"
        excluded = excluded.split(",")
    return {
        "as_of_date": to_date(params.get("as_of_date")),
        "excluded_features": sorted({name.strip() for name in excluded if name.strip()}),
        "random_seed": int(params.get("random_seed", 42)),
        "n_bins": n_bins,
        "min_bin_share": min_bin_share,
        "scaling": _scaling(params),
    }


def _date_range(frame: pd.DataFrame | None) -> str | None:
    if frame is None or len(frame) == 0:
        return None
    dates = iso_dates(frame["feature_date"])
    if not dates:
        return None
    return f"{dates[0]}..{dates[-1]}"


def _version_params(name: str, cfg: dict) -> dict:
    common = {"random_seed": cfg["random_seed"]}
    if name == SCORECARD:
        return {**common, **SCORECARD_PARAMS, "n_bins": cfg["n_bins"],
                "min_bin_share": cfg["min_bin_share"], **cfg["scaling"]}
    if name == GBM:
        return {**common, **GBM_PARAMS, "max_categories": MAX_GBM_CATEGORIES, "platt_C": SCORECARD_PARAMS["platt_C"]}
    return common


def no_model_result(params: dict, reason: str) -> TrainingResult:
    """A training log with a single, non-champion 'final' row whose note says why there is no
    model (e.g. a shop without instalment credit). Scoring then yields no credit scores."""
    cfg = _check_params(params)
    result = TrainingResult(as_of_date=cfg["as_of_date"], feature_names=[])
    result.rows.append({
        "model_name": SCORECARD,
        "model_version": model_version(SCORECARD, _version_params(SCORECARD, cfg), [], "none"),
        "as_of_date": cfg["as_of_date"],
        "stage": "final",
        "is_champion": False,
        "train_feature_dates": None,
        "eval_feature_date": None,
        "n_train": 0,
        "n_eval": 0,
        **{col: math.nan for col in METRIC_COLUMNS},
        "note": reason,
        "model_blob": None,
    })
    return result


def fit_and_evaluate(training: pd.DataFrame, params: dict) -> TrainingResult:
    """Fit, calibrate, evaluate and refit the credit models (see the module docstring).

    ``params``: ``as_of_date``, ``excluded_features`` (names, or comma-separated text, of
    features the model must not use), ``base_score`` (600), ``base_odds`` (50),
    ``points_to_double_odds`` (20), ``random_seed`` (42), ``n_bins`` (6),
    ``min_bin_share`` (0.05).
    """
    cfg = _check_params(params)
    if training is None or len(training) == 0:
        return no_model_result(params, "no matured credit accounts: no credit model was fitted")
    for col in ("split", "is_default", "feature_date"):
        if col not in training.columns:
            raise ValueError(f"credit: training frame lacks required column {col!r}")
    data = _labelled(training)
    if len(data) == 0:
        raise ValueError("credit: no training rows with a known default outcome -- nothing to fit on")
    split = data["split"].astype(object).where(data["split"].notna(), None)
    unknown = sorted({str(s) for s in split if s not in SPLITS})
    if unknown:
        raise ValueError(f"credit: unknown split value(s) {unknown}; expected {list(SPLITS)}")

    spec = select_features(data, excluded=cfg["excluded_features"])
    if not spec.names:
        raise ValueError("credit: the training frame has no feature columns")
    parts = {s: data[split == s].reset_index(drop=True) for s in SPLITS}
    train, valid, test = parts["train"], parts["validation"], parts["test"]
    result = TrainingResult(as_of_date=cfg["as_of_date"], feature_names=spec.names)

    def base_row(name: str, stage: str, fit: pd.DataFrame | None, calib: pd.DataFrame | None,
                 eval_frame: pd.DataFrame | None) -> dict:
        fit_range = _date_range(fit)
        window = f"fit={fit_range or ''};calibrate={_date_range(calib) or ''}"
        return {
            "model_name": name,
            "model_version": model_version(name, _version_params(name, cfg), spec.names, window),
            "as_of_date": cfg["as_of_date"],
            "stage": stage,
            "is_champion": name == SCORECARD,
            "train_feature_dates": fit_range,
            "eval_feature_date": _date_range(eval_frame),
            "n_train": 0 if fit is None else len(fit),
            "n_eval": 0 if eval_frame is None else len(eval_frame),
            **{col: math.nan for col in METRIC_COLUMNS},
            "note": None,
            "model_blob": None,
        }

    def evaluate(row: dict, model, eval_frame: pd.DataFrame) -> None:
        p = model.predict_pd(eval_frame) if hasattr(model, "predict_pd") else np.full(len(eval_frame), model)
        metrics = classification_metrics(eval_frame["is_default"].to_numpy(dtype=float), p)
        row.update({col: metrics[col] for col in METRIC_COLUMNS})

    # ---- validation + test: fit on train, calibrate on validation
    rows: list[dict] = []
    models: dict = {}
    model_notes: dict = {}
    calib = valid if len(valid) else train
    calib_note = None if len(valid) else "no validation rows: Platt calibration fitted on train (in-sample)"
    if len(train):
        for name in _FITTERS:
            model, note, cal_note = _fit_calibrated(name, train, spec, cfg, calib)
            models[name], model_notes[name] = model, join_notes(note, calib_note, cal_note)
        base_rate = float(np.clip(train["is_default"].mean(), PD_CLIP, 1 - PD_CLIP))
        models[BASE_RATE], model_notes[BASE_RATE] = base_rate, "training default rate"

    for stage, eval_frame, stage_note in (
        ("validation", valid,
         "the Platt calibrator saw this split: AUC/KS/Gini unaffected, Brier/log loss optimistic"),
        ("test", test, "fitted on train, calibrated on validation; test played no part"),
    ):
        for name in MODELS:
            row = base_row(name, stage, train if len(train) else None,
                           calib if name != BASE_RATE and len(train) else None,
                           eval_frame if len(eval_frame) else None)
            if not len(train):
                row["note"] = "skipped: no train rows to fit on"
            elif not len(eval_frame):
                row["note"] = f"skipped: no {stage} rows"
            else:
                evaluate(row, models[name], eval_frame)
                if name == BASE_RATE:
                    notes = [model_notes[name], "test played no part" if stage == "test" else None]
                elif stage == "test" and not len(valid):
                    notes = ["fitted and calibrated on train; test played no part", model_notes[name]]
                else:
                    notes = [stage_note, model_notes[name]]
                if name == SCORECARD and stage == "validation":
                    notes.append("champion by design (explainable scorecard); credit_gbm is a challenger")
                row["note"] = join_notes(*notes)
            rows.append(row)

    # ---- final: refit the champion on train + validation, calibrate on test
    fit = pd.concat([train, valid], ignore_index=True) if len(valid) else train
    final_notes = []
    if len(fit) == 0:
        fit = test
        final_notes.append("no train/validation rows: refit on test")
    if len(test) and fit is not test:
        final_calib = test
    else:
        final_calib = fit
        final_notes.append("no held-out test rows for calibration: Platt calibration fitted in-sample")
    card, note, cal_note = _fit_calibrated(SCORECARD, fit, spec, cfg, final_calib)
    final_row = base_row(SCORECARD, "final", fit, final_calib, None)
    card.version = final_row["model_version"]
    result.model_blob = encode_blob(card)
    final_row.update({
        "model_blob": result.model_blob,
        "note": join_notes(*final_notes, note, cal_note,
                            "refit on train+validation, calibrated on test; no held-out evaluation (see stage 'test')"),
    })
    rows.append(final_row)
    result.rows = rows
    return result


# --------------------------------------------------------------------------- scoring


def load_scorecard(model_blob: str) -> CreditScorecard:
    return decode_blob(model_blob, expected=CreditScorecard)


def score(model_blob: str, features: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
    """Score one batch (stateless; safe to call batch by batch).

    Returns ``customer_id, probability_of_default, credit_score,
    reason_code_1..3``.  Scaling parameters come from ``params`` and default
    to those stored in the model.
    """
    if "customer_id" not in features.columns:
        raise KeyError("features must contain customer_id")
    card = load_scorecard(model_blob)
    scaling = _scaling(params, card.scaling)
    bins = card.bin_indices(features)
    pd_ = _sigmoid(card.platt_a + card.platt_b * (card.intercept + card._woe(bins) @ card.coef))
    codes = card.reason_codes(bins)
    out = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "probability_of_default": pd_.astype(float),
        "credit_score": pd_to_score(pd_, scaling),
    })
    for k in range(3):
        out[f"reason_code_{k + 1}"] = pd.Series(codes[k], dtype=object, index=out.index)
    return out[SCORE_COLUMNS]


def scorecard_points(model_blob: str) -> pd.DataFrame:
    """The scorecard for documentation: ``feature, bin_label, woe, points`` per bin."""
    card = load_scorecard(model_blob)
    records = []
    for binning, points in zip(card.binnings, card.bin_points()):
        for label, woe, pts in zip(binning.labels, binning.woe, points):
            records.append({"feature": binning.feature, "bin_label": label,
                            "woe": float(woe), "points": float(pts)})
    return pd.DataFrame.from_records(records, columns=["feature", "bin_label", "woe", "points"])


def empty_scores() -> pd.DataFrame:
    """The (typed, empty) output of :func:`score`, for runs without a credit model."""
    return pd.DataFrame({
        "customer_id": pd.Series(dtype="string"),
        "probability_of_default": pd.Series(dtype="float64"),
        "credit_score": pd.Series(dtype="int64"),
        "reason_code_1": pd.Series(dtype="string"),
        "reason_code_2": pd.Series(dtype="string"),
        "reason_code_3": pd.Series(dtype="string"),
    })
