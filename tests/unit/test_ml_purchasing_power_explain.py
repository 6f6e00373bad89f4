"""DriverExplainer: the stated method on a model with known effects, then on a fitted GBM
(batch independence, no demographic driver, no BTYD column replaced, pickling)."""

import pickle

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import btyd
from shopper_scores.ml import purchasing_power as pp
from shopper_scores.ml.features import FeatureSpec, encode_blob, select_features
from shopper_scores.ml.purchasing_power.explain import (
    DEMOGRAPHIC_FEATURES,
    NO_DRIVER_TEXT,
    DriverExplainer,
    model_input_features,
)

from .test_ml_purchasing_power_regression import HORIZON, LABEL_DAYS, make_frame


class KnownEffects:
    """A model with planted, additive effects: 100 per unit of a, 5 per unit of b, +50 for
    segment 'vip', +1000 for region 'north' (a demographic: never a driver); c is unused."""

    spec = FeatureSpec(["a", "b", "c", "btyd_expected_spend"], ["region", "segment"])

    def __init__(self):
        self.calls = 0

    def predict(self, X):
        self.calls += 1
        a = pd.to_numeric(X["a"]).to_numpy(dtype=float)
        b = pd.to_numeric(X["b"]).to_numpy(dtype=float)
        vip = (X["segment"].astype(object) == "vip").to_numpy()
        north = (X["region"].astype(object) == "north").to_numpy()
        return 100 * np.nan_to_num(a) + 5 * b + 50 * vip + 1000 * north


def known_frame():
    return pd.DataFrame({
        "customer_id": ["x1", "x2", "x3", "x4", "x5"],
        "a": [1.0, 2.0, 2.0, 3.0, 5.0],          # median 2
        "b": [10, 20, 30, 40, 50],               # median 30
        "c": [1.0, 1.0, 1.0, 1.0, 1.0],
        "segment": ["basic", "basic", "vip", "basic", "vip"],  # mode basic
        "region": ["north", "south", "north", "north", "east"],
    })


def test_the_stated_method_on_known_effects():
    X = known_frame()
    model = KnownEffects()
    explainer = DriverExplainer().fit(model, X)
    assert explainer.reference_ == {"a": 2.0, "b": 30.0, "segment": "basic"}
    # region moves the prediction most but is demographic; c moves nothing; the BTYD column is derived
    assert set(explainer.features_) == {"a", "b", "segment"}
    assert "region" not in explainer.mean_abs_change_ and "btyd_expected_spend" not in explainer.mean_abs_change_
    assert explainer.mean_abs_change_["c"] == 0.0
    # mean |change| on the five rows: a 100 * mean|a - 2| = 100 * 1.0; b 5 * 12; segment 50 * 2/5
    assert explainer.mean_abs_change_["a"] == pytest.approx(100.0)
    assert explainer.mean_abs_change_["b"] == pytest.approx(60.0)
    assert explainer.mean_abs_change_["segment"] == pytest.approx(20.0)
    assert explainer.features_ == ["a", "b", "segment"]
    texts = explainer.explain(model, X).tolist()
    assert texts[0] == "a 1 (typical 2): -100; b 10 (typical 30): -100"
    assert texts[1] == "b 20 (typical 30): -50"
    assert texts[2] == "segment vip (typical basic): +50"
    assert texts[3] == "a 3 (typical 2): +100; b 40 (typical 30): +50"
    assert texts[4] == "a 5 (typical 2): +300; b 50 (typical 30): +100; segment vip (typical basic): +50"
    changes = explainer.changes(model, X)
    np.testing.assert_allclose(changes["a"], [-100, 0, 0, 100, 300])


def test_a_row_at_its_typical_values_has_no_driver_and_missing_values_are_named():
    X = known_frame()
    model = KnownEffects()
    explainer = DriverExplainer().fit(model, X)
    typical = pd.DataFrame({"customer_id": ["t"], "a": [2.0], "b": [30], "c": [7.0],
                            "segment": ["basic"], "region": ["north"]})
    assert explainer.explain(model, typical).tolist() == [NO_DRIVER_TEXT]
    missing = typical.assign(a=[np.nan], segment=[None])
    assert explainer.explain(model, missing).tolist() == ["a missing (typical 2): -200"]


def test_missing_is_typical_when_most_rows_have_no_value():
    X = known_frame().assign(a=[np.nan, np.nan, np.nan, 3.0, 5.0], segment=[None, None, None, "vip", "basic"])
    model = KnownEffects()
    explainer = DriverExplainer().fit(model, X)
    assert np.isnan(explainer.reference_["a"]) and explainer.reference_["segment"] == "(missing)"
    texts = explainer.explain(model, X).tolist()
    assert texts[0] == "b 10 (typical 30): -100"  # a and segment missing, as is typical
    assert texts[3] == "a 3 (typical missing): +300; b 40 (typical 30): +50; segment vip (typical missing): +50"


def test_weights_and_sampling_choose_the_typical_values_and_candidates():
    X = known_frame()
    model = KnownEffects()
    # weight on the last row: its values become typical
    weighted = DriverExplainer().fit(model, X, sample_weight=[1, 1, 1, 1, 10])
    assert weighted.reference_ == {"a": 5.0, "b": 50.0, "segment": "vip"}
    # max_features keeps the most influential; n_drivers bounds the text
    one = DriverExplainer(max_features=1).fit(model, X)
    assert one.features_ == ["a"]
    short = DriverExplainer(n_drivers=1).fit(model, X)
    assert short.explain(model, X).tolist()[4] == "a 5 (typical 2): +300"
    # the candidate choice does not depend on the row order of the training rows
    shuffled = X.sample(frac=1.0, random_state=3)
    again = DriverExplainer(sample_rows=3).fit(model, shuffled)
    assert again.features_ == DriverExplainer(sample_rows=3).fit(model, X).features_
    assert again.n_sample_ == 3


def test_cost_is_one_predict_per_kept_feature():
    X = known_frame()
    model = KnownEffects()
    explainer = DriverExplainer().fit(model, X)
    model.calls = 0
    explainer.explain(model, X, prediction=model.predict(X))
    assert model.calls == 1 + len(explainer.features_)


def test_bad_input_raises_clear_errors():
    model = KnownEffects()
    with pytest.raises(ValueError, match="needs training rows"):
        DriverExplainer().fit(model, known_frame().iloc[0:0])
    with pytest.raises(KeyError, match=r"missing from the training rows: \['b'\]"):
        DriverExplainer().fit(model, known_frame().drop(columns=["b"]))
    with pytest.raises(ValueError, match="max_features must be an integer >= 1"):
        DriverExplainer(max_features=0).fit(model, known_frame())
    with pytest.raises(ValueError, match="one finite weight >= 0 per row"):
        DriverExplainer().fit(model, known_frame(), sample_weight=[1, 2])
    explainer = DriverExplainer().fit(model, known_frame())
    with pytest.raises(KeyError, match=r"missing from the frame to explain: \['a'\]"):
        explainer.explain(model, known_frame().drop(columns=["a"]))
    with pytest.raises(ValueError, match="cannot tell which features"):
        model_input_features(object())


def test_a_model_without_a_spec_is_explained_by_its_required_columns():
    train = make_frame(n=100, windows=(2,))
    naive = pp.NaiveRateRegressor(horizon_days=HORIZON).fit(train)
    explainer = DriverExplainer().fit(naive, train)
    assert set(explainer.features_) == {"net_spend_lifetime", "tenure_days"}
    assert explainer.explain(naive, train).notna().all()


# --- a fitted GBM --------------------------------------------------------------------------------

def with_demographics(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """make_frame's rows plus exact age and city tier with a strong planted effect on spend."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, len(frame))
    out = frame.assign(age_years=age, city_tier=rng.choice(["1", "2", "3"], len(frame)))
    out["label_window_spend"] = out["label_window_spend"] * np.where(age > 50, 3.0, 0.5)
    return out


@pytest.fixture(scope="module")
def fitted():
    train = with_demographics(make_frame(n=300, windows=(2, 3)), seed=1)
    spec = select_features(train)
    assert {"age_years", "city_tier", "region"} <= set(spec.names) and "gender" not in spec.names
    model = pp.GBMSpendRegressor(features=spec, horizon_days=HORIZON, label_window_days=LABEL_DAYS,
                                 random_seed=42).fit(train, train["label_window_spend"])
    assert model.btyd_model_ is not None
    explainer = DriverExplainer(max_features=4).fit(model, train)
    scoring = with_demographics(make_frame(n=400, windows=(0,), seed=11), seed=2).drop(
        columns=["label_window_spend", "window_index", "cutoff_role", "label_window_days"])
    return model, explainer, scoring


def test_demographics_and_derived_columns_are_never_drivers(fitted):
    model, explainer, scoring = fitted
    # the model leans on age (planted), yet age is no candidate
    assert not set(explainer.mean_abs_change_) & (set(DEMOGRAPHIC_FEATURES) | set(btyd.FEATURE_NAMES))
    assert len(explainer.features_) == 4
    texts = explainer.explain(model, scoring)
    assert texts.notna().all() and (texts != NO_DRIVER_TEXT).mean() > 0.9
    named = {part.split(" ")[0] for text in texts for part in text.split("; ") if text != NO_DRIVER_TEXT}
    assert named <= set(explainer.features_)
    for word in ("age", "region", "city", "gender", "btyd"):
        assert not texts.str.contains(word).any(), word


def test_batch_by_batch_equals_all_at_once_and_input_is_untouched(fitted):
    model, explainer, scoring = fitted
    before = scoring.copy()
    whole = explainer.explain(model, scoring)
    pd.testing.assert_frame_equal(scoring, before)
    cuts = [0, 1, 57, 200, 333, len(scoring)]
    parts = pd.concat([explainer.explain(model, scoring.iloc[a:b]) for a, b in zip(cuts, cuts[1:])],
                      ignore_index=True)
    pd.testing.assert_series_equal(parts, whole)
    # another row order explains every customer alike
    order = np.random.default_rng(0).permutation(len(scoring))
    shuffled = explainer.explain(model, scoring.iloc[order])
    assert shuffled.tolist() == whole.iloc[order].tolist()
    assert len(explainer.explain(model, scoring.iloc[0:0])) == 0


def test_the_fitted_explainer_travels_in_the_model_blob(fitted):
    model, explainer, scoring = fitted
    restored = pickle.loads(pickle.dumps(explainer))
    assert restored.get_params() == explainer.get_params() and restored.reference_ == explainer.reference_
    loaded = pp.load_model(encode_blob(model))
    assert restored.explain(loaded, scoring).tolist() == explainer.explain(model, scoring).tolist()
