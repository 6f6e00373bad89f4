"""Typed parameters (built from the scoring context and dbt's text) and the one label scaling."""

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import purchasing_power as pp
from shopper_scores.ml.params import ParameterError

CONTEXT = pd.DataFrame([{
    "as_of_date": dt.date(2024, 6, 30), "first_order_date": dt.date(2021, 1, 3), "history_days": 1274,
    "horizon_days": 90, "label_window_days": 30, "n_train_windows": 2, "n_label_windows": 4,
    "credit_performance_months": 12, "credit_default_dpd": 60, "credit_cohort_days": 90,
}])


def test_from_dbt_reads_the_context_and_coerces_dbt_text():
    params = pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed="42")
    assert params == pp.PurchasingPowerParams(as_of_date=dt.date(2024, 6, 30), horizon_days=90,
                                              label_window_days=30, n_train_windows=2, random_seed=42,
                                              history_start=dt.date(2021, 1, 3))
    assert params.selection_metric == "must_win" and isinstance(params.random_seed, int)
    # an older context without first_order_date: no history start (the naive rate uses tenure)
    older = pp.PurchasingPowerParams.from_dbt(CONTEXT.drop(columns=["first_order_date"]), random_seed=42)
    assert older.history_start is None
    # a row, a mapping or text dates work alike
    assert pp.PurchasingPowerParams.from_dbt(CONTEXT.iloc[0], random_seed=42) == params
    as_text = {**CONTEXT.iloc[0].to_dict(), "as_of_date": "2024-06-30", "horizon_days": "90"}
    assert pp.PurchasingPowerParams.from_dbt(as_text, random_seed=42) == params
    assert pp.PurchasingPowerParams.from_dbt(
        CONTEXT.assign(as_of_date=pd.Timestamp("2024-06-30")), random_seed=42) == params


def test_excluded_features_come_from_the_dbt_var_as_text_or_names():
    # The package's default excludes nothing (the protected attributes are excluded regardless).
    assert pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=42).excluded_features == ()
    # As dbt renders var decision_excluded_features: comma-separated text, blanks and repeats dropped.
    params = pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=42,
                                               excluded_features="age_years,region, city_tier,,region")
    assert params.excluded_features == ("age_years", "city_tier", "region")
    assert pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=42, excluded_features="").excluded_features == ()
    assert pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=42, excluded_features=None).excluded_features == ()
    as_names = pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=42, excluded_features=["region", "age_years"])
    assert as_names.excluded_features == ("age_years", "region")
    with pytest.raises(ParameterError, match="'excluded_features' must be names"):
        pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=42, excluded_features=["age_years", 3])
    # The policy changes the features, which the version hashes; the parameters hashed stay as before.
    assert "excluded_features" not in params.version_params()
    assert params.version_params() == pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=42).version_params()


def test_params_are_frozen():
    params = pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=42)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.horizon_days = 30
    with pytest.raises(dataclasses.FrozenInstanceError):
        pp.GBM_PARAMS.max_iter = 1


@pytest.mark.parametrize("change, message", [
    ({"horizon_days": None}, "'horizon_days' is required"),
    ({"horizon_days": 0}, "'horizon_days' must be >= 1"),
    ({"label_window_days": 7.5}, "'label_window_days' must be an integer"),
    ({"n_train_windows": 0}, "'n_train_windows' must be >= 1"),
    ({"random_seed": "seed"}, "'random_seed' must be an integer"),
    ({"random_seed": -1}, "'random_seed' must be >= 0"),
    ({"as_of_date": None}, "'as_of_date' is required"),
    ({"as_of_date": "not a date"}, "'as_of_date' must be a date"),
    ({"selection_metric": "bogus"}, "'selection_metric' must be one of"),
])
def test_invalid_params_raise_clear_errors(change, message):
    fields = {"as_of_date": "2024-06-30", "horizon_days": 90, "label_window_days": 30, "n_train_windows": 2,
              "random_seed": 42, **change}
    with pytest.raises(ParameterError, match=message):
        pp.PurchasingPowerParams(**fields)


def test_context_must_be_one_row_with_the_columns():
    with pytest.raises(ParameterError, match="exactly one row"):
        pp.PurchasingPowerParams.from_dbt(pd.concat([CONTEXT, CONTEXT]), random_seed=42)
    with pytest.raises(ParameterError, match="label_window_days"):
        pp.PurchasingPowerParams.from_dbt(CONTEXT.drop(columns=["label_window_days"]), random_seed=42)
    with pytest.raises(ParameterError, match="'random_seed' is required"):
        pp.PurchasingPowerParams.from_dbt(CONTEXT, random_seed=None)


def test_fit_and_evaluate_takes_typed_params_only():
    with pytest.raises(TypeError, match="PurchasingPowerParams"):
        pp.fit_and_evaluate(pd.DataFrame({"x": [1]}), {"horizon_days": 90})


def test_hyper_parameters_keep_their_values():
    assert pp.GBM_PARAMS.as_dict() == {
        "loss": "poisson", "learning_rate": 0.05, "max_iter": 200, "max_leaf_nodes": 15,
        "min_samples_leaf": 20, "l2_regularization": 1.0, "max_bins": 255, "early_stopping": False,
    }
    assert pp.LINEAR_PARAMS.as_dict() == {"alpha": 1.0, "numeric_transform": "signed_log1p",
                                          "impute": "median+indicator", "onehot_min_frequency": 5}
    assert pp.BLEND_PARAMS.btyd_weight == 0.5
    with pytest.raises(ParameterError, match="max_bins"):
        pp.GBMParams(max_bins=256)
    with pytest.raises(ParameterError, match="btyd_weight"):
        pp.BlendParams(btyd_weight=1.5)
    with pytest.raises(ParameterError, match="alpha"):
        pp.LinearParams(alpha=0)


# --------------------------------------------------------------------------- the label's scaling


def test_horizon_scaled_spend_is_spend_times_h_over_l():
    spend = np.array([0.0, 10.0, -3.0, np.nan, 123.45])
    np.testing.assert_array_equal(pp.horizon_scaled_spend(spend, 30, 90)[:3], [0.0, 30.0, -9.0])
    assert np.isnan(pp.horizon_scaled_spend(spend, 30, 90)[3])
    # L = H: the spend itself; bit for bit what SQL's spend * H * 1.0 / L gave
    np.testing.assert_array_equal(pp.horizon_scaled_spend(spend, 90, 90), spend * 90 * 1.0 / 90)


def test_fit_target_learns_the_window_spend_only_when_btyd_grows_it():
    spend = np.array([0.0, 10.0, 25.5])
    target, grows = pp.fit_target(spend, 30, 90, btyd_fitted=True)
    assert grows and target.tolist() == spend.tolist()
    for label_days, fitted in ((30, False), (90, True), (90, False), (120, True)):
        target, grows = pp.fit_target(spend, label_days, 90, btyd_fitted=fitted)
        assert not grows
        np.testing.assert_array_equal(target, pp.horizon_scaled_spend(spend, label_days, 90))
