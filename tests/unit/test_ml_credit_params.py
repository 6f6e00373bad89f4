"""Typed credit parameters: defaults of the package's own hyper-parameters, dbt's text coerced once,
clear errors, frozen objects."""

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from shopper_scores.ml import credit
from shopper_scores.ml.params import ParameterError

SCALING = credit.ScoreScaling(base_score=600, base_odds=50, points_to_double_odds=20)


def context(**overrides):
    row = {"as_of_date": pd.Timestamp("2024-06-30"), "horizon_days": 90, "label_window_days": 90,
           "n_train_windows": 2, "n_label_windows": 4, "credit_performance_months": 12,
           "credit_default_dpd": 60, "credit_cohort_days": 90, **overrides}
    return pd.DataFrame([row])


def test_hyper_parameter_defaults_are_the_former_module_constants():
    # SCORECARD_PARAMS / GBM_PARAMS of the former ml/credit.py, value for value, except the
    # scorecard's selection defaults that issue 10 changed (formerly IV >= 0.02, at most 20
    # features, dropping sign-contradicting features; categories below the minimum share pooled)
    assert dataclasses.asdict(credit.ScorecardParams()) == {
        "logit_C": 1.0, "woe_smoothing": 10.0, "max_iter": 1000, "min_information_value": 0.0,
        "max_features": 100, "max_prebins": 20, "sign_policy": "bound", "min_category_rows": 100}
    assert dataclasses.asdict(credit.GBMParams()) == {
        "learning_rate": 0.05, "max_iter": 100, "max_leaf_nodes": 8, "min_samples_leaf": 50,
        "l2_regularization": 1.0, "max_bins": 255, "early_stopping": False}
    assert dataclasses.asdict(credit.PlattParams()) == {"C": 1.0, "max_iter": 1000}
    params = credit.CreditParams(random_seed=42, scaling=SCALING)
    assert (params.n_bins, params.min_bin_share, params.excluded_features, params.as_of_date) == (6, 0.05, (), None)


def test_from_dbt_coerces_the_rendered_vars():
    params = credit.CreditParams.from_dbt(
        context(), random_seed="42", excluded_features="age_years,region, city_tier,",
        base_score="600", base_odds="50", points_to_double_odds="20")
    assert params.as_of_date == dt.date(2024, 6, 30)
    assert params.random_seed == 42 and isinstance(params.random_seed, int)
    assert params.excluded_features == ("age_years", "city_tier", "region")
    assert params.scaling == SCALING
    assert isinstance(params.scaling.base_score, float)
    assert credit.CreditParams.from_dbt(
        context(as_of_date="2024-06-30"), random_seed=42, excluded_features="",
        base_score=600, base_odds=50, points_to_double_odds=20).excluded_features == ()


def test_from_dbt_needs_one_context_row_with_a_date():
    kwargs = dict(random_seed=42, excluded_features="", base_score=600, base_odds=50, points_to_double_odds=20)
    with pytest.raises(ParameterError, match="exactly one row"):
        credit.CreditParams.from_dbt(pd.concat([context(), context()]), **kwargs)
    with pytest.raises(ParameterError, match="as_of_date"):
        credit.CreditParams.from_dbt(context().drop(columns="as_of_date"), **kwargs)
    with pytest.raises(ParameterError, match="'as_of_date' is required"):
        credit.CreditParams.from_dbt(context(as_of_date=None), **kwargs)


@pytest.mark.parametrize("change, message", [
    ({"n_bins": 0}, "'n_bins' must be >= 1"),
    ({"n_bins": "six"}, "'n_bins' must be an integer"),
    ({"min_bin_share": 1.0}, "'min_bin_share' must be < 1"),
    ({"min_bin_share": -0.1}, "'min_bin_share' must be >= 0"),
    ({"random_seed": None}, "'random_seed' is required"),
    ({"random_seed": 4.5}, "'random_seed' must be an integer"),
    ({"as_of_date": "not a date"}, "'as_of_date' must be a date"),
    ({"excluded_features": ["age_years", 3]}, "'excluded_features' must be names"),
    ({"scaling": {"base_score": 600}}, "'scaling' must be a ScoreScaling"),
    ({"gbm": {"max_iter": 10}}, "'gbm' must be a GBMParams"),
])
def test_invalid_credit_params_raise_clear_errors(change, message):
    with pytest.raises(ParameterError, match=message):
        credit.CreditParams(**{"random_seed": 42, "scaling": SCALING, **change})


@pytest.mark.parametrize("build, message", [
    (lambda: credit.ScoreScaling(600, 0, 20), "'base_odds' must be > 0"),
    (lambda: credit.ScoreScaling(600, 50, -20), "'points_to_double_odds' must be > 0"),
    (lambda: credit.ScoreScaling("x", 50, 20), "'base_score' must be a number"),
    (lambda: credit.ScoreScaling(float("nan"), 50, 20), "'base_score' must be finite"),
    (lambda: credit.ScorecardParams(woe_smoothing=0), "'woe_smoothing' must be > 0"),
    (lambda: credit.ScorecardParams(max_features=0), "'max_features' must be >= 1"),
    (lambda: credit.ScorecardParams(sign_policy="flip"), "'sign_policy' must be one of"),
    (lambda: credit.ScorecardParams(min_category_rows=0), "'min_category_rows' must be >= 1"),
    (lambda: credit.GBMParams(max_bins=256), "'max_bins' must be <= 255"),
    (lambda: credit.GBMParams(early_stopping="no"), "'early_stopping' must be True or False"),
    (lambda: credit.PlattParams(C=0), "'C' must be > 0"),
])
def test_invalid_parts_raise_clear_errors(build, message):
    with pytest.raises(ParameterError, match=message):
        build()


def test_params_are_frozen_and_errors_are_value_errors():
    params = credit.CreditParams(random_seed=42, scaling=SCALING)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.n_bins = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.scaling.base_score = 700
    assert issubclass(ParameterError, ValueError) and credit.ParameterError is ParameterError
    with pytest.raises(TypeError):
        credit.CreditParams(scaling=SCALING)  # random_seed has no default: it is a dbt var
    with pytest.raises(TypeError):
        credit.CreditParams(random_seed=42)  # nor has the score scale


def test_the_api_takes_typed_params_only():
    frame = pd.DataFrame({"is_default": [0, 1] * 5, "x": range(10)})
    with pytest.raises(TypeError, match="CreditParams"):
        credit.fit_and_evaluate(frame, {"random_seed": 42})
    with pytest.raises(TypeError, match="CreditParams"):
        credit.fit_model(credit.SCORECARD, frame, {"random_seed": 42})
    with pytest.raises(TypeError, match="ScoreScaling"):
        credit.pd_to_score([0.1], {"base_score": 600})
