"""The estimators on their own: scikit-learn conventions, the growth path, baselines, one predict."""

from copy import deepcopy

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyRegressor
from sklearn.exceptions import NotFittedError

from shopper_scores.ml import btyd
from shopper_scores.ml import purchasing_power as pp
from shopper_scores.ml.features import encode_blob, prepare_features, select_features

from .test_ml_purchasing_power_regression import HORIZON, LABEL_DAYS, estimator_kwargs, make_frame


@pytest.fixture(scope="module")
def train():
    return make_frame(n=200, windows=(2, 3))


@pytest.fixture(scope="module")
def spec(train):
    return select_features(train)


@pytest.fixture(scope="module")
def _gbm(train, spec, btyd_fit):
    return pp.GBMSpendRegressor(**estimator_kwargs(spec)).fit(train, train["label_window_spend"].to_numpy(),
                                                              btyd_fit=btyd_fit)


@pytest.fixture
def gbm(_gbm):
    """The GBM fitted on ``train`` (a copy per test: a test may change it)."""
    return deepcopy(_gbm)


def test_meta_and_label_columns_are_not_features(spec):
    assert set(spec.names) == {"net_spend_lifetime", "tenure_days", "days_since_first_order", "recency_days",
                               "orders_lifetime", "region", "age_band"}


@pytest.mark.parametrize("cls", [pp.GBMSpendRegressor, pp.LinearSpendRegressor])
def test_constructor_holds_parameters_only_and_fit_returns_self(cls, train, spec, btyd_fit):
    model = cls(**estimator_kwargs(spec))
    assert not any(name.endswith("_") for name in vars(model))
    assert set(model.get_params()) == {"features", "horizon_days", "label_window_days", "random_seed", "params"}
    with pytest.raises(NotFittedError):
        model.predict(train)
    assert model.fit(train, train["label_window_spend"]) is model
    assert {"spec_", "btyd_model_", "grows_by_btyd_", "estimator_", "constant_", "fit_note_"} <= set(vars(model))
    # clone gives an unfitted copy with the same parameters
    copy = clone(model)
    assert copy.get_params()["params"] == model.params and not hasattr(copy, "estimator_")
    # without btyd_fit, fit fits BTYD on X itself: the same model as with the module's btyd_fit
    shared = cls(**estimator_kwargs(spec)).fit(train, train["label_window_spend"], btyd_fit=btyd_fit)
    assert model.btyd_model_.bgnbd == shared.btyd_model_.bgnbd and model.fit_note_ == shared.fit_note_
    np.testing.assert_array_equal(model.predict(train), shared.predict(train))


def test_growth_path_learns_the_window_spend_and_grows_it_by_the_bgnbd_ratio(train, spec, btyd_fit, gbm):
    spend = train["label_window_spend"].to_numpy()
    model = gbm
    assert model.grows_by_btyd_ and model.btyd_model_ is not None
    assert set(btyd.FEATURE_NAMES) <= set(model.spec_.names)
    # the GBM learnt the spend over L: the same fit as a GBM given the label-window spend directly
    features = model.btyd_model_.transform(train)
    raw = np.clip(model.estimator_.predict(prepare_features(features, model.spec_)), 0, None)
    ratio = model.btyd_model_.horizon_ratio(features, LABEL_DAYS)
    assert np.all(ratio >= 1) and np.all(ratio <= HORIZON / LABEL_DAYS)
    np.testing.assert_allclose(model.predict(train), raw * ratio)
    # with L = H nothing grows: the model learns the (H-scaled = raw) spend
    same = pp.GBMSpendRegressor(**estimator_kwargs(spec, label_days=HORIZON)).fit(train, spend, btyd_fit=btyd_fit)
    assert not same.grows_by_btyd_


def test_without_btyd_the_label_is_h_scaled(train, spec):
    spend = train["label_window_spend"].to_numpy()
    no_btyd = train.drop(columns=["days_since_first_order"])
    model = pp.LinearSpendRegressor(**estimator_kwargs(select_features(no_btyd))).fit(no_btyd, spend)
    assert model.btyd_model_ is None and not model.grows_by_btyd_
    assert "BTYD features need columns" in model.fit_note_
    # the constant-rate scale: the same fit as on spend x H / L
    scaled = pp.LinearSpendRegressor(**estimator_kwargs(select_features(no_btyd), label_days=HORIZON)).fit(
        no_btyd, pp.horizon_scaled_spend(spend, LABEL_DAYS, HORIZON))
    np.testing.assert_allclose(model.predict(no_btyd), scaled.predict(no_btyd), rtol=1e-9)


def test_constant_fallback_predicts_the_mean_h_scaled_label(train, spec):
    zero = np.zeros(len(train))
    zero[:3] = -5.0
    gbm = pp.GBMSpendRegressor(**estimator_kwargs(spec)).fit(train, zero)
    assert gbm.estimator_ is None and gbm.constant_ == 0.0 and "constant prediction" in gbm.fit_note_
    one_row = train.iloc[:1]
    linear = pp.LinearSpendRegressor(**estimator_kwargs(spec)).fit(one_row, [10.0])
    assert linear.constant_ == 30.0
    np.testing.assert_array_equal(linear.predict(train.iloc[:4]), [30.0] * 4)
    # the blend of a constant GBM is that constant, without a blending note
    blend = pp.BTYDBlendRegressor(gbm, prefit=True).fit(train, zero)
    assert blend.weight_ is None and blend.fit_note_ == gbm.fit_note_


def test_blend_reuses_the_fitted_gbm_or_fits_a_clone(train, spec, btyd_fit, gbm):
    spend = train["label_window_spend"].to_numpy()
    prefit = pp.BTYDBlendRegressor(gbm, btyd_weight=0.5, prefit=True).fit(train, spend)
    # a shallow copy (its own level_), sharing the fitted trees: nothing is refitted
    assert prefit.estimator_ is not gbm and prefit.estimator_.estimator_ is gbm.estimator_ and prefit.weight_ == 0.5
    expected = np.clip(gbm.btyd_model_.transform(train)["btyd_expected_spend"].to_numpy(), 0, None)
    np.testing.assert_allclose(prefit.predict(train), 0.5 * gbm.predict(train) + 0.5 * expected)
    fitted = pp.BTYDBlendRegressor(pp.GBMSpendRegressor(**estimator_kwargs(spec))).fit(train, spend, btyd_fit=btyd_fit)
    np.testing.assert_array_equal(fitted.predict(train), prefit.predict(train))
    with pytest.raises(NotFittedError):
        pp.BTYDBlendRegressor(pp.GBMSpendRegressor(**estimator_kwargs(spec)), prefit=True).fit(train, spend)
    assert len(prefit.predict(train.iloc[:0])) == 0


def test_baselines(train):
    spend = train["label_window_spend"].to_numpy()
    mean = pp.mean_baseline().fit(train, pp.horizon_scaled_spend(spend, LABEL_DAYS, HORIZON))
    assert isinstance(mean, DummyRegressor) and mean.strategy == "mean"
    np.testing.assert_array_equal(mean.predict(train.iloc[:5]), [float(pd.Series(spend * 3.0).mean())] * 5)
    naive = pp.NaiveRateRegressor(horizon_days=HORIZON).fit(train)
    rate = train["net_spend_lifetime"].fillna(0) / train["tenure_days"].fillna(0).clip(lower=1)
    np.testing.assert_allclose(naive.predict(train), (rate * HORIZON).clip(lower=0))
    with pytest.raises(pp.MissingColumnsError, match="naive baseline needs columns net_spend_lifetime and tenure_days"):
        pp.NaiveRateRegressor(horizon_days=HORIZON).fit(train.drop(columns=["tenure_days"]))


def test_score_is_the_estimators_predict(train, spec, btyd_fit, gbm):
    spend = train["label_window_spend"].to_numpy()
    for model in (gbm, pp.LinearSpendRegressor(**estimator_kwargs(spec)).fit(train, spend, btyd_fit=btyd_fit)):
        blob = encode_blob(model)
        assert isinstance(pp.load_model(blob), pp.PurchasingPowerModel)
        np.testing.assert_array_equal(pp.score(blob, train).predicted_spend.to_numpy(), model.predict(train))
        assert pp.load_model(blob).spec.names == model.spec_.names
    with pytest.raises(ValueError, match="not a PurchasingPowerModel"):
        pp.load_model(encode_blob(pp.mean_baseline()))


# --------------------------------------------------------------------------- columns without a value


def test_gbm_leaves_out_a_feature_without_values_in_its_rows(train, spec, btyd_fit):
    # A source that only exists in recent windows: empty in the older windows a stage fits on
    # (HistGradientBoosting cannot bin an all-missing column and raised before).
    spend = train["label_window_spend"].to_numpy()
    recent = train.assign(review_score=np.where(train.window_index == 2, 4.0, np.nan))
    older = recent[recent.window_index == 3]
    older_btyd = btyd.fit(older, HORIZON, 42)  # one BTYD fit of the older rows, as a stage shares it
    features = select_features(recent)
    older_spend = spend[recent.window_index.to_numpy() == 3]
    gbm = pp.GBMSpendRegressor(**estimator_kwargs(features)).fit(older, older_spend, btyd_fit=older_btyd)
    assert "review_score" not in gbm.spec_.names and "review_score" in gbm.fit_note_
    assert np.isfinite(gbm.predict(recent)).all()
    linear = pp.LinearSpendRegressor(**estimator_kwargs(features)).fit(older, older_spend, btyd_fit=older_btyd)
    assert "review_score" in linear.spec_.names and "review_score" not in (linear.fit_note_ or "")
    # with values the column is used, and nothing is said (BTYD reads none of review_score: the
    # rows' BTYD fit is the module's)
    with_values = pp.GBMSpendRegressor(**estimator_kwargs(features)).fit(recent, spend, btyd_fit=btyd_fit)
    assert "review_score" in with_values.spec_.names


def test_training_runs_when_bgnbd_fits_but_gamma_gamma_does_not():
    data = make_frame(n=120, windows=(1, 2))
    # No repeat buyer with a positive order value: Gamma-Gamma has nothing to fit, BG/NBD (which
    # never reads values) still fits. (Left to chance, whether Gamma-Gamma converged on this frame
    # differed between CPUs.)
    data.loc[data["orders_lifetime"] > 1, "net_spend_lifetime"] = 0.0
    params = pp.PurchasingPowerParams(as_of_date="2024-06-30", horizon_days=HORIZON, label_window_days=LABEL_DAYS,
                                      n_train_windows=2, random_seed=42)
    frame = pp.fit_and_evaluate(data, params).to_frame()
    test = frame[(frame.stage == "test") & (frame.model_name == pp.GBM)].iloc[0]
    assert "Gamma-Gamma not fitted" in test.note
    assert "not used by the GBM, no value in its training rows: btyd_expected_order_value, btyd_expected_spend" in test.note
    assert np.isfinite(test.rmse)
    blend = frame[(frame.stage == "test") & (frame.model_name == pp.BLEND)].iloc[0]
    assert blend.mean_prediction == test.mean_prediction  # no expected spend to blend with
