"""The credit models follow scikit-learn's estimator conventions: typed constructor parameters only,
fit / calibrate return the estimator, fitted attributes end in '_', predict_proba is n x 2, and
scoring goes through the estimator's own public methods."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError

from shopper_scores.ml import credit
from shopper_scores.ml.credit.calibration import sigmoid

from .test_ml_credit import make_accounts

PARAMS = credit.CreditParams(as_of_date="2024-06-30", random_seed=42,
                             scaling=credit.ScoreScaling(base_score=600, base_odds=50, points_to_double_odds=20))


@pytest.fixture(scope="module")
def accounts():
    return make_accounts(800, seed=5)


def fitted_attributes(model):
    return set(vars(model)) - set(model.get_params(deep=False))


@pytest.mark.parametrize("name", credit.MODELS)
def test_estimator_conventions(name, spec, parts):
    train, valid, test = parts["train"], parts["validation"], parts["test"]
    model = credit.make_model(name, spec, PARAMS, version="v1")
    assert fitted_attributes(model) == set()  # the constructor only stores its parameters
    assert model.get_params(deep=False)["version"] == "v1"
    assert clone(model).get_params(deep=False).keys() == model.get_params(deep=False).keys()
    with pytest.raises(NotFittedError):
        model.predict_proba(test)
    assert model.fit(train, train["is_default"]) is model
    if name != credit.BASE_RATE:
        assert model.calibrate(valid, valid["is_default"]) is model
        assert isinstance(model.calibration_, credit.PlattScaling)
    assert fitted_attributes(model) and all(a.endswith("_") for a in fitted_attributes(model))
    proba = model.predict_proba(test)
    assert proba.shape == (len(test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ((proba[:, 1] > 0) & (proba[:, 1] < 1)).all()
    np.testing.assert_array_equal(model.predict(test), (proba[:, 1] >= 0.5).astype(int))
    assert model.version == "v1"


def _calibrated_exactly(model, X, a: float, b: float):
    """The model's P(default) equals Platt(a, b) of its logit: exactly for the GBM; for the
    scorecard, through its integer score, which rounds base and points (each within half a point
    of the exact score)."""
    p = model.predict_proba(X)[:, 1]
    exact = sigmoid(a + b * model.decision_function(X))
    if not isinstance(model, credit.CreditScorecard):
        np.testing.assert_array_equal(p, exact)
        return
    bins = model.bin_indices(X)
    np.testing.assert_array_equal(p, model.pd_from_score(model.score_from_bins(bins)))
    n_used = int((model.coef_ != 0).sum())
    tolerance = (n_used + 1) * 0.5 / model.scaling.factor  # in log-odds
    logit = np.log(p / (1 - p))
    assert np.abs(logit - np.log(exact / (1 - exact))).max() <= tolerance + 1e-9
    assert np.abs(logit - np.log(exact / (1 - exact))).max() > 0  # the rounding is really applied


@pytest.mark.parametrize("name", [credit.SCORECARD, credit.GBM])
def test_calibration_is_its_own_step(name, spec, parts):
    train, valid, test = parts["train"], parts["validation"], parts["test"]
    model = credit.make_model(name, spec, PARAMS).fit(train, train["is_default"])
    assert model.platt_ == (0.0, 1.0)
    _calibrated_exactly(model, test, 0.0, 1.0)
    model.calibrate(valid, valid["is_default"])
    a, b = model.platt_
    assert (a, b) != (0.0, 1.0)
    _calibrated_exactly(model, test, a, b)
    # calibrating on a single class keeps the identity, and says so
    one_class = valid.assign(is_default=0)
    model.calibrate(one_class, one_class["is_default"])
    assert model.platt_ == (0.0, 1.0) and "single class" in model.note_


def test_base_rate_is_the_prior_clipped(parts):
    train, test = parts["train"], parts["test"]
    base = credit.BaseRateClassifier().fit(train, train["is_default"])
    dummy = DummyClassifier(strategy="prior").fit(train, train["is_default"])
    np.testing.assert_array_equal(base.predict_proba(test), dummy.predict_proba(test))
    assert base.rate_ == float(np.clip(train["is_default"].mean(), 1e-6, 1 - 1e-6))
    no_defaults = credit.BaseRateClassifier().fit(train, np.zeros(len(train)))
    assert no_defaults.predict_proba(test[:3])[:, 1].tolist() == [1e-6] * 3  # two finite columns for one class
    assert base.note_ == "training default rate"


def test_single_class_fits_fall_back_to_the_smoothed_base_rate(spec, parts):
    train = parts["train"].assign(is_default=0)
    for name, note in ((credit.SCORECARD, "scorecard is the smoothed base rate"),
                       (credit.GBM, "GBM is the smoothed base rate")):
        model = credit.make_model(name, spec, PARAMS).fit(train, train["is_default"])
        assert note in model.note_
        p = model.predict_proba(parts["test"])[:, 1]
        smoothed = 0.5 / (len(train) + 1)
        assert np.unique(p).size == 1
        if name == credit.SCORECARD:  # the base rate on the integer score: within half a point
            half_point = 0.5 / model.scaling.factor
            assert abs(math.log(p[0] / (1 - p[0])) - math.log(smoothed / (1 - smoothed))) <= half_point + 1e-9
        else:
            assert p[0] == pytest.approx(smoothed)


def test_fit_model_returns_a_fitted_calibrated_estimator(parts):
    train, valid = parts["train"], parts["validation"]
    frame = train.drop(columns=["split", "feature_date"])
    card = credit.fit_model(credit.SCORECARD, frame, PARAMS, calibration=valid)
    assert isinstance(card, credit.CreditScorecard) and card.version is None
    assert card.calibration_.b_ != 1.0
    again = credit.make_model(credit.SCORECARD, card.feature_spec, PARAMS).fit(frame, frame["is_default"])
    again.calibrate(valid, valid["is_default"])
    np.testing.assert_array_equal(card.predict_proba(parts["test"]), again.predict_proba(parts["test"]))
    with pytest.raises(ValueError, match="unknown model"):
        credit.fit_model(credit.BASE_RATE, frame, PARAMS)


def test_feature_binning_estimator():
    x = np.r_[np.arange(100, dtype=float), [np.nan] * 10]
    y = np.r_[(np.arange(100) >= 70).astype(float), np.ones(10)]
    binning = credit.FeatureBinning("x", "numeric", max_n_bins=3, min_bin_share=0.05)
    assert binning.fit(x, y) is binning
    assert 1 <= len(binning.edges_) <= 2 and binning.n_bins_ == len(binning.edges_) + 2
    assert binning.labels_[-1] == "(missing)" and binning.information_value_ > 0.5
    bins = binning.transform(np.array([0.0, 99.0, np.nan]))
    assert bins[2] == binning.n_bins_ - 1 and bins[0] < bins[1]
    assert binning.n_rows_.sum() == len(x) and binning.n_bad_.sum() == y.sum()
    cats = np.array(["a"] * 40 + ["b"] * 40 + ["rare"] * 2 + ["(missing)"] * 18, dtype=object)
    cy = np.r_[np.zeros(40), np.ones(40), np.zeros(2), np.ones(18)]
    cat = credit.FeatureBinning("c", "categorical", max_n_bins=6, min_bin_share=0.05).fit(cats, cy)
    assert cat.categories_ == ["a", "b"]
    assert cat.labels_[-2:] == [credit.OTHER_CATEGORY, "(missing)"]
    other, missing = cat.n_bins_ - 2, cat.n_bins_ - 1
    assert cat.transform(np.array(["rare", "unseen", "(missing)"], dtype=object)).tolist() == [other, other, missing]


@pytest.fixture(scope="module")
def trained(accounts):
    return credit.fit_and_evaluate(accounts, PARAMS)


def test_the_log_follows_the_plan_and_the_version_is_set_at_fit(trained, accounts):
    frame = trained.to_frame()
    plan = credit.plan_stages(accounts.split.value_counts().to_dict())
    assert list(zip(frame.model_name, frame.stage)) == [(r.model, r.stage) for r in plan]
    card = credit.load_scorecard(trained.model_blob)
    final = frame[frame.stage == "final"].iloc[0]
    assert card.version == final.model_version  # given at construction, never patched afterwards
    assert card.scaling == PARAMS.scaling


def test_score_goes_through_the_estimators_public_methods(trained, accounts):
    card = credit.load_scorecard(trained.model_blob)
    out = credit.score(trained.model_blob, accounts)
    p = card.predict_proba(accounts)[:, 1]
    np.testing.assert_array_equal(out.probability_of_default.to_numpy(), p)
    np.testing.assert_array_equal(out.credit_score.to_numpy(), credit.pd_to_score(p, card.scaling))
    codes = card.reason_codes(card.bin_indices(accounts))
    assert out.reason_code_1.tolist() == codes[0]
    empty = credit.score(trained.model_blob, accounts.iloc[:0])
    assert list(empty.columns) == credit.SCORE_COLUMNS and len(empty) == 0
    assert pd.api.types.is_integer_dtype(empty.credit_score)
