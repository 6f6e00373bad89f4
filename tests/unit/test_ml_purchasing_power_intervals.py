"""SpendIntervalCalibrator and interval_coverage on synthetic data with a known distribution."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from shopper_scores.ml.purchasing_power.intervals import (
    SpendIntervalCalibrator,
    interval_coverage,
    weighted_quantile,
)


def lognormal_draws(n: int, seed: int):
    """Predicted spend p; actual spend lognormal with median p (sigma 0.8): continuous, so the
    10th-90th percentile interval of each p covers exactly 80 %."""
    rng = np.random.default_rng(seed)
    predicted = rng.gamma(1.5, 100.0, n)
    actual = predicted * np.exp(rng.normal(0.0, 0.8, n))
    return predicted, actual


def zero_inflated_draws(n: int, seed: int):
    """Mostly-zero spend: a purchase with probability 0.3, then gamma with mean p / 0.3."""
    rng = np.random.default_rng(seed)
    predicted = rng.gamma(1.2, 50.0, n)
    buys = rng.random(n) < 0.3
    actual = np.where(buys, rng.gamma(2.0, predicted / 0.6), 0.0)
    return predicted, actual


def test_coverage_is_near_80_percent_on_fresh_draws():
    calibrator = SpendIntervalCalibrator().fit(*lognormal_draws(20_000, seed=1))
    predicted, actual = lognormal_draws(20_000, seed=2)
    lower, upper = calibrator.predict(predicted)
    assert interval_coverage(lower, upper, actual) == pytest.approx(0.80, abs=0.02)
    # in every bin, not only overall, and neither tail is left open
    bins = np.searchsorted(calibrator.edges_, predicted, side="right")
    assert len(calibrator.edges_) == 9
    for k in range(10):
        inside = interval_coverage(lower[bins == k], upper[bins == k], actual[bins == k])
        assert inside == pytest.approx(0.80, abs=0.05), k
    assert np.mean(actual < lower) == pytest.approx(0.10, abs=0.02)
    assert np.mean(actual > upper) == pytest.approx(0.10, abs=0.02)


def test_zero_inflated_spend_gets_a_zero_floor_and_covers_at_least_80_percent():
    calibrator = SpendIntervalCalibrator().fit(*zero_inflated_draws(20_000, seed=3))
    predicted, actual = zero_inflated_draws(20_000, seed=4)
    lower, upper = calibrator.predict(predicted)
    assert np.all(lower == 0.0)  # 70 % of the customers spend nothing: the 10th percentile is 0
    # the zeros all lie inside [0, p90]: the interval covers P(spend <= p90) = 90 %
    assert interval_coverage(lower, upper, actual) == pytest.approx(0.90, abs=0.02)
    # the upper bound tracks the known 90th percentile: gamma(2, p / 0.6) at level (0.9 - 0.7) / 0.3
    from scipy.stats import gamma

    centre = np.array([np.median(predicted[np.searchsorted(calibrator.edges_, predicted, side="right") == k])
                       for k in range(len(calibrator.upper_))])
    expected = gamma.ppf((0.9 - 0.7) / 0.3, 2.0, scale=centre / 0.6)
    np.testing.assert_allclose(calibrator.upper_[1:-1], expected[1:-1], rtol=0.25)


def test_bounds_are_monotone_ordered_and_never_negative():
    rng = np.random.default_rng(5)
    predicted = np.repeat([1.0, 2.0, 3.0, 4.0], 200)
    # the second group has a far wider spread than the third, and refunds make spend negative
    scale = np.repeat([10.0, 80.0, 20.0, 40.0], 200)
    actual = rng.normal(0.0, 1.0, 800) * scale + np.repeat([0.0, 10.0, 5.0, 30.0], 200)
    calibrator = SpendIntervalCalibrator(n_bins=4).fit(predicted, actual)
    assert len(calibrator.lower_) == 4
    assert np.all(np.diff(calibrator.upper_) >= 0) and np.all(np.diff(calibrator.lower_) >= 0)
    assert np.all(calibrator.lower_ >= 0) and np.all(calibrator.lower_ <= calibrator.upper_)
    # the raw 90th percentile of group 3 lies below group 2's: only ever raised, never lowered
    raw_upper_3 = weighted_quantile(actual[400:600], np.ones(200), 0.9)
    assert raw_upper_3 < calibrator.upper_[2] == calibrator.upper_[1]
    grid = np.linspace(-5.0, 10.0, 301)
    lower, upper = calibrator.predict(grid)
    assert np.all(np.diff(lower) >= 0) and np.all(np.diff(upper) >= 0)
    assert np.all(lower >= 0) and np.all(lower <= upper)
    # beyond the fitted range: the outermost bins
    assert upper[0] == calibrator.upper_[0] and upper[-1] == calibrator.upper_[-1]


def test_ties_and_small_bins_are_merged():
    rng = np.random.default_rng(6)
    # 70 % of the predictions are exactly 0 (e.g. customers who never ordered)
    predicted = np.where(rng.random(1_000) < 0.7, 0.0, rng.gamma(2.0, 30.0, 1_000))
    actual = predicted * rng.lognormal(0.0, 0.5, 1_000) + (rng.random(1_000) < 0.05) * 20
    calibrator = SpendIntervalCalibrator(n_bins=10, min_bin_rows=50).fit(predicted, actual)
    assert np.all(calibrator.bin_rows_ >= 50)
    assert calibrator.bin_rows_.sum() == 1_000
    assert calibrator.edges_[0] > 0  # all the zeros share the first bin
    assert calibrator.bin_rows_[0] >= (predicted == 0).sum()
    # 120 rows with at least 50 per bin: at most two bins
    small = SpendIntervalCalibrator(n_bins=10, min_bin_rows=50).fit(predicted[:120], actual[:120])
    assert len(small.lower_) <= 2 and np.all(small.bin_rows_ >= 50)


def test_a_constant_prediction_gets_the_marginal_quantiles():
    rng = np.random.default_rng(7)
    actual = rng.gamma(2.0, 10.0, 500)
    calibrator = SpendIntervalCalibrator().fit(np.full(500, 12.5), actual)
    assert len(calibrator.lower_) == 1
    lower, upper = calibrator.predict([0.0, 12.5, 99.0])
    assert np.all(lower == weighted_quantile(actual, np.ones(500), 0.1))
    assert np.all(upper == weighted_quantile(actual, np.ones(500), 0.9))


def test_weights_count_like_repeated_rows():
    values = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    weights = np.array([1.0, 3.0, 1.0, 2.0, 1.0])
    repeated = np.repeat(values, weights.astype(int))
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        assert weighted_quantile(values, weights, q) == np.quantile(repeated, q, method="inverted_cdf")
    # one bin: a weighted fit is the unweighted fit of the repeated rows
    rng = np.random.default_rng(8)
    predicted, actual = rng.gamma(2.0, 10.0, 300), rng.gamma(2.0, 10.0, 300)
    w = rng.integers(1, 5, 300)
    weighted = SpendIntervalCalibrator(n_bins=1).fit(predicted, actual, sample_weight=w)
    plain = SpendIntervalCalibrator(n_bins=1).fit(np.repeat(predicted, w), np.repeat(actual, w))
    np.testing.assert_array_equal(weighted.lower_, plain.lower_)
    np.testing.assert_array_equal(weighted.upper_, plain.upper_)
    # weights move the quantiles: heavy weight on the large values raises the upper bound
    heavy = SpendIntervalCalibrator(n_bins=1).fit(predicted, actual, sample_weight=np.where(actual > 30, 50.0, 1.0))
    assert heavy.upper_[0] > plain.upper_[0]


@pytest.mark.parametrize("predicted, actual, message", [
    (np.zeros(200), np.zeros(200), "zero or negative on every row"),
    ([10.0], [3.0], "at least min_bin_rows=50"),
    (np.r_[np.nan, np.ones(199)], np.ones(200), "predicted holds 1 missing"),
    (np.ones(200), np.r_[np.ones(199), np.inf], "actual holds 1 missing or infinite"),
    (np.ones(200), np.ones(199), "predicted has 200 values, actual 199"),
    (np.ones((200, 2)), np.ones(200), "one-dimensional"),
    (["a"] * 200, np.ones(200), "predicted must be numbers"),
])
def test_degenerate_inputs_raise_a_clear_error(predicted, actual, message):
    with pytest.raises(ValueError, match=message):
        SpendIntervalCalibrator().fit(predicted, actual)


@pytest.mark.parametrize("params, message", [
    ({"quantiles": (0.9, 0.1)}, "0 < lower < upper < 1"),
    ({"quantiles": (0.0, 0.9)}, "0 < lower < upper < 1"),
    ({"quantiles": "x"}, "two numbers"),
    ({"n_bins": 0}, "n_bins must be an integer >= 1"),
    ({"min_bin_rows": 2.5}, "min_bin_rows must be an integer >= 1"),
])
def test_bad_parameters_raise_at_fit(params, message):
    predicted, actual = lognormal_draws(200, seed=9)
    with pytest.raises(ValueError, match=message):
        SpendIntervalCalibrator(**params).fit(predicted, actual)


def test_bad_weights_raise():
    predicted, actual = lognormal_draws(200, seed=9)
    with pytest.raises(ValueError, match="sample_weight has 3 values for 200 rows"):
        SpendIntervalCalibrator().fit(predicted, actual, sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match=">= 0 with a positive sum"):
        SpendIntervalCalibrator().fit(predicted, actual, sample_weight=-np.ones(200))


def test_predict_before_fit_and_missing_predictions():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SpendIntervalCalibrator().predict([1.0])
    calibrator = SpendIntervalCalibrator().fit(*lognormal_draws(2_000, seed=10))
    lower, upper = calibrator.predict([np.nan, 50.0])
    assert np.isnan(lower[0]) and np.isnan(upper[0]) and np.isfinite(lower[1]) and np.isfinite(upper[1])
    assert calibrator.predict([])[0].shape == (0,)


def test_pickle_round_trip_and_clone():
    calibrator = SpendIntervalCalibrator(quantiles=(0.05, 0.95), n_bins=5).fit(*lognormal_draws(3_000, seed=11))
    restored = pickle.loads(pickle.dumps(calibrator))
    grid = np.linspace(0, 1_000, 57)
    for a, b in zip(calibrator.predict(grid), restored.predict(grid)):
        np.testing.assert_array_equal(a, b)
    assert restored.get_params() == {"quantiles": (0.05, 0.95), "n_bins": 5, "min_bin_rows": 50}
    assert not hasattr(clone(calibrator), "edges_")


def test_interval_coverage():
    lower, upper = np.array([0.0, 1.0, 2.0, 0.0]), np.array([1.0, 2.0, 3.0, 0.0])
    actual = np.array([1.0, 0.5, 2.5, 0.0])  # inside (bound included), below, inside, inside
    assert interval_coverage(lower, upper, actual) == 0.75
    assert interval_coverage(lower, upper, actual, sample_weight=[1, 5, 1, 1]) == 3 / 8
    with pytest.raises(ValueError, match="differ in length"):
        interval_coverage(lower, upper, actual[:3])
    with pytest.raises(ValueError, match="no rows"):
        interval_coverage([], [], [])
    with pytest.raises(ValueError, match="actual holds 1 missing"):
        interval_coverage(lower, upper, [1.0, np.nan, 2.0, 0.0])
