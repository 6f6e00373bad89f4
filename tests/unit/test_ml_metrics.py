"""Unit tests of shopper_scores.ml.metrics against hand-computed cases and sklearn/scipy."""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from shopper_scores.ml.metrics import (
    classification_metrics,
    normalised_gini,
    regression_metrics,
    top_decile_capture,
)

# --------------------------------------------------------------------------- normalised Gini


def test_normalised_gini_hand_computed():
    # order by prediction desc: labels 2, 3, 4, 1 -> cumulative shares .2 .5 .9 1.0
    # gini = 2.6/4 - 5/8 = 0.025 ; perfect: .4 .7 .9 1.0 -> 3.0/4 - 5/8 = 0.125
    y = [1, 2, 3, 4]
    p = [0.1, 0.4, 0.3, 0.2]
    assert normalised_gini(y, p) == pytest.approx(0.025 / 0.125)


def test_normalised_gini_perfect_and_reversed():
    rng = np.random.default_rng(0)
    y = rng.gamma(2.0, 50.0, 200)
    assert normalised_gini(y, y) == pytest.approx(1.0)
    assert normalised_gini(y, 3 * y + 7) == pytest.approx(1.0)  # only the order matters
    assert normalised_gini(y, -y) == pytest.approx(-1.0)


def test_normalised_gini_ties_are_order_independent():
    y = np.array([0.0, 10.0, 0.0, 5.0, 1.0, 0.0])
    p = np.array([1.0, 1.0, 1.0, 2.0, 0.0, 0.0])
    perm = np.array([5, 3, 1, 0, 4, 2])
    assert normalised_gini(y, p) == pytest.approx(normalised_gini(y[perm], p[perm]), abs=1e-12)
    # constant prediction carries no information
    assert normalised_gini(y, np.ones_like(y)) == 0.0


def test_normalised_gini_undefined_is_nan():
    assert math.isnan(normalised_gini([0, 0, 0], [1, 2, 3]))
    assert math.isnan(normalised_gini([], []))


# --------------------------------------------------------------------------- top-decile capture


def test_top_decile_capture_perfect_ordering_equals_true_share():
    rng = np.random.default_rng(1)
    y = rng.gamma(1.0, 10.0, 50)  # 50 rows -> top 5
    true_share = np.sort(y)[::-1][:5].sum() / y.sum()
    assert top_decile_capture(y, y) == pytest.approx(true_share)


def test_top_decile_capture_hand_and_ties():
    y = np.arange(1, 21, dtype=float)  # total 210, top 2 rows by prediction
    p = -np.arange(20, dtype=float)  # reversed: top predictions hold labels 1 and 2
    assert top_decile_capture(y, p) == pytest.approx(3 / 210)
    # constant prediction: the cut shares the tied group pro rata -> exactly 10 %
    assert top_decile_capture(y, np.zeros(20)) == pytest.approx(0.1)
    # tie at the cut: rows 0-2 tied with top prediction, labels 10, 20, 30; k = 2
    y2 = np.array([10, 20, 30] + [1] * 17, dtype=float)
    p2 = np.array([5, 5, 5] + [0] * 17, dtype=float)
    assert top_decile_capture(y2, p2) == pytest.approx(2 * 20 / y2.sum())
    assert top_decile_capture(y2[::-1], p2[::-1]) == pytest.approx(2 * 20 / y2.sum())


# --------------------------------------------------------------------------- regression metrics


def test_regression_metrics_match_sklearn_and_scipy():
    rng = np.random.default_rng(2)
    y = rng.gamma(2.0, 30.0, 300)
    p = y * rng.lognormal(0, 0.4, 300)
    m = regression_metrics(y, p)
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert m["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(y, p)))
    assert m["r2"] == pytest.approx(skm.r2_score(y, p))
    assert m["spearman"] == pytest.approx(stats.spearmanr(y, p).statistic)
    assert m["mean_label"] == pytest.approx(y.mean())
    assert m["mean_prediction"] == pytest.approx(p.mean())
    assert m["n"] == 300
    assert 0 < m["normalised_gini"] < 1
    assert set(m) == {
        "mae", "rmse", "r2", "spearman", "normalised_gini", "top_decile_capture",
        "mean_label", "mean_prediction", "n",
    }


def test_regression_metrics_degenerate_inputs():
    m = regression_metrics([5.0], [3.0])
    assert m["n"] == 1 and m["mae"] == 2.0
    assert math.isnan(m["r2"]) and math.isnan(m["spearman"])
    empty = regression_metrics([], [])
    assert empty["n"] == 0 and math.isnan(empty["rmse"])
    with pytest.raises(ValueError):
        regression_metrics([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ValueError):
        regression_metrics([1.0, 2.0], [1.0])


# --------------------------------------------------------------------------- classification metrics


def test_classification_metrics_known_example():
    y = [0, 0, 1, 1]
    p = [0.1, 0.4, 0.35, 0.8]
    m = classification_metrics(y, p)
    assert m["auc"] == pytest.approx(0.75)
    assert m["gini"] == pytest.approx(0.5)
    assert m["ks"] == pytest.approx(0.5)
    assert m["event_rate"] == 0.5
    assert m["mean_prediction"] == pytest.approx(np.mean(p))
    assert m["n"] == 4


def test_classification_metrics_match_sklearn_and_scipy():
    rng = np.random.default_rng(3)
    y = (rng.random(500) < 0.2).astype(int)
    p = np.clip(np.round(0.2 + 0.3 * (y - 0.2) + rng.normal(0, 0.15, 500), 2), 0.01, 0.99)  # many ties
    m = classification_metrics(y, p)
    assert m["auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert m["ks"] == pytest.approx(stats.ks_2samp(p[y == 1], p[y == 0]).statistic)
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, p))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, p))
    assert m["gini"] == pytest.approx(2 * m["auc"] - 1)


def test_classification_metrics_single_class_and_clipping():
    m = classification_metrics([0, 0, 0], [0.1, 0.2, 0.0])
    assert math.isnan(m["auc"]) and math.isnan(m["ks"]) and math.isnan(m["gini"])
    assert np.isfinite(m["log_loss"]) and m["event_rate"] == 0.0
    m1 = classification_metrics([1, 1], [0.0, 1.0])  # p = 0 for an event: clipped, finite
    assert np.isfinite(m1["log_loss"]) and math.isnan(m1["auc"])
    assert classification_metrics([], [])["n"] == 0
    with pytest.raises(ValueError):
        classification_metrics([0, 2], [0.1, 0.2])
