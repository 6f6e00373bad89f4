"""The candidates beyond the GBM and the linear model: the simple answers (naive rate, BTYD
expected spend), the BTYD-boosted GBM and the stack; and how every candidate forecasts any span."""

import numpy as np
import pytest

from shopper_scores.ml import btyd
from shopper_scores.ml import purchasing_power as pp
from shopper_scores.ml.features import select_features

from .test_ml_purchasing_power_regression import HORIZON, LABEL_DAYS, estimator_kwargs, make_frame


@pytest.fixture(scope="module")
def train():
    return make_frame(n=400, windows=(2, 3), seed=5)


@pytest.fixture(scope="module")
def spec(train):
    return select_features(train)


def spend(frame):
    return frame["label_window_spend"].to_numpy()


def test_naive_rate_is_linear_in_the_span(train):
    naive = pp.NaiveRateRegressor(horizon_days=HORIZON).fit(train)
    np.testing.assert_allclose(naive.predict(train, 30), naive.predict(train) * 30 / HORIZON)
    naive.level_ = 2.0
    np.testing.assert_allclose(naive.predict(train, 30), 2.0 * naive.predict(train, 30) / 2.0)


def test_btyd_candidate_is_expected_orders_times_order_value(train, btyd_fit):
    model = pp.BTYDSpendRegressor(horizon_days=HORIZON, label_window_days=LABEL_DAYS, random_seed=42)
    model.fit(train, spend(train), btyd_fit=btyd_fit)
    fitted = btyd_fit[0]
    assert fitted.bgnbd is not None and fitted.gamma_gamma is not None
    for days in (LABEL_DAYS, HORIZON):
        expected = fitted.expected_orders(train, days) * fitted.expected_order_value(train)
        np.testing.assert_allclose(model.predict(train, days), np.clip(expected, 0, None))
    # the forecast grows with the span, but slower than a constant rate (customers drop out)
    short, long = model.predict(train, LABEL_DAYS), model.predict(train, HORIZON)
    assert np.all(long >= short) and np.all(long <= short * HORIZON / LABEL_DAYS + 1e-9)


def test_btyd_candidate_without_gamma_gamma_uses_the_mean_order_value(train, btyd_fit):
    no_value = btyd.BTYDModel(HORIZON, btyd_fit[0].bgnbd, None)
    model = pp.BTYDSpendRegressor(horizon_days=HORIZON, label_window_days=LABEL_DAYS, random_seed=42)
    model.fit(train, spend(train), btyd_fit=(no_value, None))
    orders = train["orders_lifetime"].to_numpy()
    mean_value = np.mean(train["net_spend_lifetime"].to_numpy()[orders > 0] / orders[orders > 0])
    assert model.order_value_ == pytest.approx(mean_value)
    np.testing.assert_allclose(model.predict(train), no_value.expected_orders(train, HORIZON) * mean_value)
    assert "mean net value per order" in model.fit_note_


def test_btyd_candidate_without_bgnbd_predicts_the_mean_label(train):
    model = pp.BTYDSpendRegressor(horizon_days=HORIZON, label_window_days=LABEL_DAYS, random_seed=42)
    model.fit(train, spend(train), btyd_fit=(btyd.BTYDModel(HORIZON, None, None), "no fit"))
    np.testing.assert_allclose(model.predict(train.iloc[:3]), spend(train).mean() * HORIZON / LABEL_DAYS)
    assert "constant prediction" in model.fit_note_


def test_every_learnt_candidate_forecasts_any_span(train, spec, btyd_fit):
    y = spend(train)
    gbm = pp.GBMSpendRegressor(**estimator_kwargs(spec)).fit(train, y, btyd_fit=btyd_fit)
    assert gbm.grows_by_btyd_
    # the GBM learnt the spend over L: at L its forecast is not grown at all
    np.testing.assert_allclose(gbm.predict(train, HORIZON),
                               gbm.predict(train, LABEL_DAYS) * btyd_fit[0].growth_ratio(train, LABEL_DAYS, HORIZON))
    blend = pp.BTYDBlendRegressor(gbm, prefit=True).fit(train, y)
    expected = btyd_fit[0].expected_spend(train, LABEL_DAYS)
    np.testing.assert_allclose(blend.predict(train, LABEL_DAYS),
                               0.5 * gbm.predict(train, LABEL_DAYS) + 0.5 * np.clip(expected, 0, None))
    # a level scales the model's own forecast, and a blend's level is its own
    gbm_level = pp.GBMSpendRegressor(**estimator_kwargs(spec)).fit(train, y, btyd_fit=btyd_fit)
    gbm_level.level_ = 1.5
    np.testing.assert_allclose(gbm_level.predict(train), 1.5 * gbm.predict(train))
    np.testing.assert_allclose(pp.BTYDBlendRegressor(gbm_level, prefit=True).fit(train, y).predict(train),
                               blend.predict(train))


def test_boosted_btyd_learns_a_multiplicative_correction(train, spec, btyd_fit):
    fitted = btyd_fit[0]
    # labels exactly twice the BTYD expectation in the north, as expected elsewhere
    north = (train["region"] == "north").to_numpy()
    expected = fitted.expected_spend(train, LABEL_DAYS)
    y = expected * np.where(north, 2.0, 1.0)
    model = pp.BTYDBoostedRegressor(**estimator_kwargs(spec)).fit(train, y, btyd_fit=btyd_fit)
    correction = model.predict(train, LABEL_DAYS) / expected
    assert np.median(correction[north]) == pytest.approx(2.0, rel=0.1)
    assert np.median(correction[~north]) == pytest.approx(1.0, rel=0.1)
    assert np.sum(model.predict(train, LABEL_DAYS)) == pytest.approx(np.sum(y), rel=0.05)
    # the correction carries to the horizon on top of BG/NBD's own growth (on the expectation,
    # floored at a small share of its mean so that no row divides by ~0)
    with_btyd = fitted.transform(train)
    np.testing.assert_allclose(model.predict(train, HORIZON) / model._exposure(with_btyd, HORIZON),
                               model.predict(train, LABEL_DAYS) / model._exposure(with_btyd, LABEL_DAYS), rtol=1e-9)
    floored = model._exposure(with_btyd, LABEL_DAYS) > expected
    assert np.all(expected[floored] < pp.estimators.BOOSTED_EXPOSURE_FLOOR * expected.mean())


def test_boosted_btyd_without_bgnbd_is_constant_and_says_so(train, spec):
    no_bgnbd = (btyd.BTYDModel(HORIZON, None, None), None)
    model = pp.BTYDBoostedRegressor(**estimator_kwargs(spec)).fit(train, spend(train), btyd_fit=no_bgnbd)
    assert model.estimator_ is None and "constant prediction" in model.fit_note_
    assert len(set(model.predict(train.iloc[:5]))) == 1


def test_stack_weights_recover_a_known_combination():
    rng = np.random.default_rng(0)
    P = rng.gamma(2.0, 10.0, size=(2000, 3))
    y = 0.7 * P[:, 0] + 0.3 * P[:, 2] + rng.normal(0, 0.5, 2000)
    np.testing.assert_allclose(pp.stack_weights(P, y), [0.7, 0.0, 0.3], atol=0.02)
    # weights never go negative, even for a base that runs against the target
    assert np.all(pp.stack_weights(np.column_stack([P[:, 0], -P[:, 1]]), y) >= 0)
    # row weights count as repeated rows
    w = rng.integers(1, 4, 2000).astype(float)
    repeated = np.repeat(np.arange(2000), w.astype(int))
    np.testing.assert_allclose(pp.stack_weights(P, y, w), pp.stack_weights(P[repeated], y[repeated]))
    with pytest.raises(ValueError, match="finite"):
        pp.stack_weights(np.full((3, 2), np.nan), np.zeros(3))


def test_stack_predicts_the_weighted_sum_of_its_bases_without_their_levels(train, spec, btyd_fit):
    y = spend(train)
    gbm = pp.GBMSpendRegressor(**estimator_kwargs(spec)).fit(train, y, btyd_fit=btyd_fit)
    naive = pp.NaiveRateRegressor(horizon_days=HORIZON).fit(train)
    plain = gbm.predict(train, 40)
    gbm.level_ = 3.0  # a training run's level on a base is not the stack's
    stack = pp.StackedSpendRegressor({pp.GBM: gbm, pp.NAIVE: naive}, [0.6, 0.5]).fit()
    np.testing.assert_allclose(stack.predict(train, 40), 0.6 * plain + 0.5 * naive.predict(train, 40))
    assert "gbm 0.600" in stack.fit_note_ and stack.btyd_model_ is gbm.btyd_model_
    with pytest.raises(ValueError, match="one finite weight"):
        pp.StackedSpendRegressor({pp.GBM: gbm}, [-1.0]).fit()


def test_naive_rate_spreads_spend_over_the_shops_history_not_a_short_tenure():
    import pandas as pd

    frame = pd.DataFrame({
        "net_spend_lifetime": [100.0, 100.0, 100.0, 100.0],
        "tenure_days": [3.0, 200.0, 3.0, 500.0],
        "feature_date": pd.to_datetime(["2024-04-10", "2024-04-10", "2026-01-01", "2026-01-01"]),
    })
    naive = pp.NaiveRateRegressor(horizon_days=90, history_start="2024-01-01").fit(frame)
    # 100 days of shop history: a 3-day customer is spread over them, a 200-day one over its tenure;
    # a long history counts one year at most, a longer tenure all of it
    np.testing.assert_allclose(naive.predict(frame), [90.0, 45.0, 100 / 365 * 90, 18.0])
    # without the shop's history start: spend per day of tenure
    per_tenure = pp.NaiveRateRegressor(horizon_days=90).fit(frame)
    np.testing.assert_allclose(per_tenure.predict(frame), [3000.0, 45.0, 3000.0, 18.0])


def test_two_part_is_purchase_probability_times_spend_given_a_purchase(train, spec, btyd_fit):
    y = spend(train)
    model = pp.TwoPartSpendRegressor(**estimator_kwargs(spec)).fit(train, y, btyd_fit=btyd_fit)
    with_btyd = btyd_fit[0].transform(train)
    from shopper_scores.ml.features import prepare_features

    design = prepare_features(with_btyd, model.spec_)
    p_buy = model.purchase_.predict_proba(design)[:, 1]
    value = model.estimator_.predict(design)
    assert np.all((p_buy >= 0) & (p_buy <= 1)) and np.all(value > 0)  # gamma loss: a positive spend
    np.testing.assert_allclose(model.predict(train, LABEL_DAYS), p_buy * value)
    np.testing.assert_allclose(model.predict(train, HORIZON),
                               p_buy * value * btyd_fit[0].growth_ratio(train, LABEL_DAYS, HORIZON))
    # the classifier ranks buyers above non-buyers on its own training rows
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y > 0, p_buy) > 0.6


def test_two_part_with_too_few_buyers_is_constant(train, spec):
    y = np.zeros(len(train))
    y[:5] = 10.0
    model = pp.TwoPartSpendRegressor(**estimator_kwargs(spec)).fit(train, y)
    assert model.estimator_ is None and "too few buyers" in model.fit_note_


def test_mlp_learns_the_log_spend_and_is_bounded_in_rows(train, spec, btyd_fit):
    y = spend(train)
    model = pp.MLPSpendRegressor(**estimator_kwargs(spec)).fit(train, y, btyd_fit=btyd_fit)
    prediction = model.predict(train)
    assert np.all(np.isfinite(prediction)) and np.all(prediction >= 0)
    # it learns something: its forecasts rank the spend better than chance
    from scipy.stats import spearmanr

    assert spearmanr(prediction, y).statistic > 0.1
    # deterministic (fixed seed), and at most max_rows rows are fitted on
    again = pp.MLPSpendRegressor(**estimator_kwargs(spec)).fit(train, y, btyd_fit=btyd_fit)
    np.testing.assert_array_equal(again.predict(train), prediction)
    small = pp.MLPSpendRegressor(**estimator_kwargs(spec), params=pp.MLPParams(max_rows=100, max_iter=20))
    small.fit(train, y, btyd_fit=btyd_fit)
    assert "uniform sample of 100 of 800 rows" in small.fit_note_
