"""Evaluation metrics for the purchasing-power regressor and the credit classifier.

All functions are pure and deterministic: the result never depends on the row
order of tied predictions.

* Ties in ``y_pred`` are resolved by *expectation*: a tied group of rows is
  treated as if every row held the group's mean label.  This is exactly the
  expected value of the metric over all random orderings of the ties, so a
  constant prediction earns a normalised Gini of 0 and a top-decile capture
  equal to 10 % of the total, however the rows happen to be sorted.
* Degenerate inputs (empty arrays, one class, zero-sum labels, constant
  inputs) produce ``NaN`` for the affected metric instead of raising.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

__all__ = [
    "regression_metrics", "classification_metrics", "normalised_gini", "top_decile_capture",
    "risk_groups", "hosmer_lemeshow", "hosmer_lemeshow_terms",
]

_LOG_LOSS_EPS = 1e-15
_NAN = float("nan")


def _as_float_array(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_pair(y_true, y_pred, name_pred: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    y = _as_float_array(y_true, "y_true")
    p = _as_float_array(y_pred, name_pred)
    if y.shape != p.shape:
        raise ValueError(f"y_true and {name_pred} differ in length ({y.size} vs {p.size})")
    return y, p


def _tie_averaged_labels_by_prediction(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Labels sorted by descending prediction, each tied group replaced by its mean."""
    order = np.argsort(-p, kind="stable")
    p_sorted = p[order]
    y_sorted = y[order]
    # group boundaries of equal predictions
    starts = np.flatnonzero(np.r_[True, p_sorted[1:] != p_sorted[:-1]])
    sizes = np.diff(np.r_[starts, p_sorted.size])
    group_means = np.add.reduceat(y_sorted, starts) / sizes
    return np.repeat(group_means, sizes)


def _gini_of_sorted(y_sorted: np.ndarray) -> float:
    """Actuarial Gini of labels already sorted by descending prediction."""
    n = y_sorted.size
    total = y_sorted.sum()
    if n == 0 or total == 0:
        return _NAN
    cumulative_share = np.cumsum(y_sorted) / total
    return float(cumulative_share.sum() / n - (n + 1) / (2.0 * n))


def normalised_gini(y_true, y_pred) -> float:
    """Gini of ``y_true`` ordered by ``y_pred`` divided by the Gini of the perfect ordering.

    Standard actuarial definition (Lorenz curve of cumulative label share by
    descending prediction).  Perfect ordering gives 1, reversed ordering -1,
    a constant prediction 0.  ``NaN`` when undefined (empty, zero-sum labels
    or all labels equal).
    """
    y, p = _check_pair(y_true, y_pred)
    if y.size == 0:
        return _NAN
    if np.all(p == p[0]):
        # a constant prediction carries no ordering: exactly 0 (when defined)
        perfect = _gini_of_sorted(np.sort(y)[::-1])
        return 0.0 if np.isfinite(perfect) and perfect != 0 else _NAN
    model = _gini_of_sorted(_tie_averaged_labels_by_prediction(y, p))
    perfect = _gini_of_sorted(np.sort(y)[::-1])
    if not np.isfinite(model) or not np.isfinite(perfect) or perfect == 0:
        return _NAN
    return float(model / perfect)


def top_decile_capture(y_true, y_pred, share: float = 0.1) -> float:
    """Share of total ``y_true`` held by the top ``share`` of rows ranked by ``y_pred``.

    The cut holds ``ceil(share * n)`` rows.  When the cut falls inside a group
    of tied predictions, that group contributes pro rata (its mean label times
    the number of rows taken) -- the expectation over random tie orderings.
    """
    y, p = _check_pair(y_true, y_pred)
    n = y.size
    total = y.sum()
    if n == 0 or total == 0:
        return _NAN
    k = int(math.ceil(share * n - 1e-9))
    k = min(max(k, 1), n)
    y_sorted = _tie_averaged_labels_by_prediction(y, p)
    return float(y_sorted[:k].sum() / total)


def _spearman(y: np.ndarray, p: np.ndarray) -> float:
    if y.size < 2 or np.all(y == y[0]) or np.all(p == p[0]):
        return _NAN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = stats.spearmanr(y, p).statistic
    return float(value) if np.isfinite(value) else _NAN


def regression_metrics(y_true, y_pred) -> dict:
    """Metrics of a spend regressor.

    Returns a dict with ``mae, rmse, r2, spearman, normalised_gini,
    top_decile_capture, mean_label, mean_prediction, n``.  ``r2`` is ``NaN``
    when the labels are constant or fewer than two rows exist.
    """
    y, p = _check_pair(y_true, y_pred)
    n = int(y.size)
    if n == 0:
        return {
            "mae": _NAN, "rmse": _NAN, "r2": _NAN, "spearman": _NAN,
            "normalised_gini": _NAN, "top_decile_capture": _NAN,
            "mean_label": _NAN, "mean_prediction": _NAN, "n": 0,
        }
    err = p - y
    sse = float(np.sum(err**2))
    sst = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - sse / sst if n >= 2 and sst > 0 else _NAN
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(math.sqrt(sse / n)),
        "r2": float(r2),
        "spearman": _spearman(y, p),
        "normalised_gini": normalised_gini(y, p),
        "top_decile_capture": top_decile_capture(y, p),
        "mean_label": float(y.mean()),
        "mean_prediction": float(p.mean()),
        "n": n,
    }


def _auc_and_ks(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """ROC AUC (mid-rank Mann-Whitney) and two-sample KS between the classes' scores."""
    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return _NAN, _NAN
    ranks = stats.rankdata(p, method="average")
    auc = (ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
    # KS: largest vertical gap between the empirical CDFs of both classes,
    # evaluated after every distinct threshold.
    order = np.argsort(p, kind="stable")
    p_sorted = p[order]
    pos_sorted = pos[order]
    last_of_value = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    cdf_pos = np.cumsum(pos_sorted)[last_of_value] / n_pos
    cdf_neg = np.cumsum(~pos_sorted)[last_of_value] / n_neg
    ks = float(np.max(np.abs(cdf_pos - cdf_neg)))
    return float(auc), ks


def classification_metrics(y_true, p) -> dict:
    """Metrics of a probability-of-default model.

    Returns ``auc, ks, gini (= 2*auc - 1), brier, log_loss, event_rate,
    mean_prediction, n``.  ``p`` is clipped to ``[1e-15, 1 - 1e-15]`` for the
    log loss.  With a single class in ``y_true`` the ranking metrics
    (auc, ks, gini) are ``NaN``; nothing raises.
    """
    y, prob = _check_pair(y_true, p, "p")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y_true must contain only 0/1 values")
    if np.any((prob < 0) | (prob > 1)):
        raise ValueError("p must lie in [0, 1]")
    n = int(y.size)
    if n == 0:
        return {
            "auc": _NAN, "ks": _NAN, "gini": _NAN, "brier": _NAN, "log_loss": _NAN,
            "event_rate": _NAN, "mean_prediction": _NAN, "n": 0,
        }
    auc, ks = _auc_and_ks(y, prob)
    clipped = np.clip(prob, _LOG_LOSS_EPS, 1 - _LOG_LOSS_EPS)
    log_loss = -np.mean(y * np.log(clipped) + (1 - y) * np.log1p(-clipped))
    return {
        "auc": auc,
        "ks": ks,
        "gini": 2 * auc - 1 if np.isfinite(auc) else _NAN,
        "brier": float(np.mean((prob - y) ** 2)),
        "log_loss": float(log_loss),
        "event_rate": float(y.mean()),
        "mean_prediction": float(prob.mean()),
        "n": n,
    }


def risk_groups(safety, n_groups: int = 10) -> np.ndarray:
    """Group 1..``n_groups`` (int64) of every row by its rank in ``safety`` (e.g. a credit score;
    higher = safer): ``ceil(n_groups * share of rows whose safety is <= the row's)``. Rows that tie
    share a group, so a group may stay empty when a tie spans more than 1 / ``n_groups`` of the
    rows; group 1 holds the least safe rows. Deterministic: no row order enters."""
    if not isinstance(n_groups, (int, np.integer)) or n_groups < 1:
        raise ValueError(f"n_groups must be an integer >= 1, got {n_groups!r}")
    s = _as_float_array(safety, "safety")
    n = s.size
    at_most = np.searchsorted(np.sort(s), s, side="right")  # rows with safety <= the row's
    return -(-(int(n_groups) * at_most) // max(n, 1)).astype(np.int64)  # integer ceil: no rounding


def hosmer_lemeshow(y_true, p, groups, *, calibrated_on_these_rows: bool = False) -> dict:
    """Hosmer-Lemeshow statistic of predictions ``p`` for outcomes ``y_true`` (0/1) over
    ``groups`` (e.g. :func:`risk_groups`): ``sum_g (O_g - E_g)^2 / (E_g (1 - E_g / n_g))`` with
    O_g defaults, E_g the sum of the PDs and n_g rows of group g (empty groups skipped).

    Degrees of freedom: the number of groups for rows the model and its calibration never saw
    (an out-of-time test: predictions fixed before the outcomes, so each group's standardised
    gap is an independent chi-square(1) term -- Hosmer and Lemeshow's external-validation form);
    groups - 2 when ``calibrated_on_these_rows`` (their original in-sample test). The p-value is
    the chi-square survival function (scipy). Returns ``hosmer_lemeshow``,
    ``hosmer_lemeshow_df``, ``hosmer_lemeshow_p_value``; NaN where undefined (no rows, or df <= 0).
    """
    y, prob = _check_pair(y_true, p, "p")
    g = np.asarray(groups).reshape(-1)
    if g.shape != y.shape:
        raise ValueError(f"y_true and groups differ in length ({y.size} vs {g.size})")
    if y.size == 0:
        return {"hosmer_lemeshow": _NAN, "hosmer_lemeshow_df": _NAN, "hosmer_lemeshow_p_value": _NAN}
    labels, index = np.unique(g, return_inverse=True)
    n = np.bincount(index).astype(float)
    observed = np.bincount(index, weights=y)
    expected = np.bincount(index, weights=prob)
    statistic = float(hosmer_lemeshow_terms(observed, expected, n).sum())
    df = len(labels) - (2 if calibrated_on_these_rows else 0)
    p_value = float(stats.chi2.sf(statistic, df)) if df > 0 else _NAN
    return {"hosmer_lemeshow": statistic, "hosmer_lemeshow_df": float(df) if df > 0 else _NAN,
            "hosmer_lemeshow_p_value": p_value}


def hosmer_lemeshow_terms(observed, expected, n) -> np.ndarray:
    """Each group's term of the Hosmer-Lemeshow statistic, ``(O - E)^2 / (E (1 - E / n))``: 0 when
    O = E, +inf when the PDs leave no variance (all 0 or 1) yet O differs."""
    observed, expected, n = (np.asarray(v, dtype=float) for v in (observed, expected, n))
    variance = expected * (1.0 - expected / np.where(n > 0, n, 1.0))
    gap = (observed - expected) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(variance > 0, gap / np.where(variance > 0, variance, 1.0), np.where(gap > 0, np.inf, 0.0))
    return terms
