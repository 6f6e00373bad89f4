"""Unit tests of shopper_scores.ml.purchasing_power on synthetic frames with a planted signal."""

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import purchasing_power as pp

from .conftest import row

AS_OF = dt.date(2024, 6, 30)
HORIZON = 90
PARAMS = pp.PurchasingPowerParams(as_of_date="2024-06-30", horizon_days=HORIZON, label_window_days=HORIZON,
                                  n_train_windows=2, random_seed=42)
ROLES = {1: "test", 2: "validation"}  # older windows: "training" (as int_feature_cutoffs writes them)


def feature_date(window: int) -> pd.Timestamp:
    return pd.Timestamp(AS_OF - dt.timedelta(days=HORIZON * window))


def make_training(n: int = 300, windows=(1, 2, 3, 4), seed: int = 0) -> pd.DataFrame:
    """Customers x label windows; spend rate, region and recency drive the label."""
    rng = np.random.default_rng(seed)
    frames = []
    for w in windows:
        tenure = rng.integers(1, 1500, n).astype(float)
        rate = rng.gamma(1.5, 1.0, n)
        region = rng.choice(np.array(["north", "south", "east", None], dtype=object), n)
        recency = np.where(rng.random(n) < 0.15, np.nan, rng.exponential(60, n))
        region_effect = pd.Series(region).map({"north": 1.6, "south": 0.6, "east": 1.0}).fillna(1.0).to_numpy()
        recency_effect = np.where(np.isnan(recency), 0.3, np.exp(-np.nan_to_num(recency) / 150))
        mu = HORIZON * rate * region_effect * recency_effect
        frames.append(pd.DataFrame({
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "feature_date": feature_date(w),
            "window_index": w,
            "cutoff_role": ROLES.get(w, "training"),
            "label_window_spend": rng.gamma(2.0, mu / 2.0),
            "label_window_days": HORIZON,
            "net_spend_lifetime": rate * tenure * rng.lognormal(0, 0.3, n),
            "tenure_days": tenure,
            "recency_days": recency,
            "orders_lifetime": rng.poisson(rate * tenure / 100).astype(float),
            "region": pd.Series(region, dtype="str"),
            "age_band": rng.choice(["18-25", "26-40", "41+"], n),
            "gender": rng.choice(["f", "m"], n),
            "_loaded_at": "x",
        }))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def training():
    return make_training()


@pytest.fixture(scope="module")
def result(training):
    return pp.fit_and_evaluate(training, PARAMS)


# --------------------------------------------------------------------------- table shape


def test_result_frame_schema(frame):
    assert list(frame.columns) == pp.RESULT_COLUMNS
    assert not frame.duplicated(["model_name", "stage"]).any()
    assert set(frame.stage) == {"validation", "extrapolation", "test", "final"}
    for stage in ("validation", "extrapolation", "test"):
        assert set(frame[frame.stage == stage].model_name) == set(pp.CANDIDATES + pp.BASELINES)
    # one champion per stage, never a baseline; a final refit (with its blob) per candidate
    assert (frame.groupby("stage").is_champion.sum() == 1).all()
    assert not frame[frame.model_name.isin(pp.BASELINES)].is_champion.any()
    final = frame[frame.stage == "final"]
    assert set(final.model_name) == set(pp.CANDIDATES)
    assert final.model_blob.map(lambda b: isinstance(b, str)).all()
    assert frame[frame.stage != "final"].model_blob.isna().all()
    assert (frame.as_of_date == AS_OF).all()
    assert frame.model_version.str.fullmatch(r"[0-9a-f]{16}").all()


def test_models_beat_mean_baseline_on_test(frame):
    mean_rmse = row(frame, pp.MEAN, "test").rmse
    # (the BTYD candidates need days_since_first_order, absent here: they predict the mean)
    for model in (pp.GBM, pp.LINEAR, pp.BLEND, pp.STACK):
        r = row(frame, model, "test")
        assert r.rmse < mean_rmse
        assert r.normalised_gini > 0.3
        assert r.n_eval == 300 and r.n_train == 600


def test_champion_beats_the_best_simple_answer_on_every_choice_window(frame):
    champion = frame[frame.is_champion & (frame.stage == "final")].model_name.iloc[0]
    assert champion in pp.MODEL_CANDIDATES  # the planted signal is learnable
    for stage in ("validation", "extrapolation"):
        rows = frame[frame.stage == stage].set_index("model_name")
        assert rows.loc[champion, "rmse"] < rows.loc[list(pp.SIMPLE_CANDIDATES), "rmse"].min()
        assert rows.loc[champion, "is_champion"] and rows.is_champion.sum() == 1
    assert "mean must_win gain on" in row(frame, champion, "final").note


def scores(**by_name):
    """One choice window's metrics: name -> (rmse, spearman, normalised_gini, top_decile_capture)."""
    return {name: dict(zip(("rmse", "spearman", "normalised_gini", "top_decile_capture"), values))
            for name, values in by_name.items()}


def test_significantly_worse_rmse_is_beyond_the_windows_noise():
    from shopper_scores.ml.purchasing_power.training import significantly_worse_rmse

    rng = np.random.default_rng(1)
    actual = rng.gamma(0.5, 100.0, 4000)
    good = actual + rng.normal(0, 20, 4000)
    assert significantly_worse_rmse(actual, good + rng.normal(0, 30, 4000), good)  # clearly worse
    assert not significantly_worse_rmse(actual, good, good + rng.normal(0, 30, 4000))  # better
    # as good, with errors of its own: noise, not worse (either way round)
    other = actual + rng.normal(0, 20, 4000)
    assert not significantly_worse_rmse(actual, other, good) and not significantly_worse_rmse(actual, good, other)
    assert not significantly_worse_rmse(actual[:1], good[:1] + 50, good[:1])


def test_choice_rule_a_learnt_candidate_must_gain_on_average_with_no_worse_rmse_on_any_window():
    from shopper_scores.ml.purchasing_power.training import _choose_champion

    naive, btyd = (100.0, 0.30, 0.60, 0.50), (90.0, 0.32, 0.62, 0.51)
    both = [scores(purchasing_power_naive=naive, purchasing_power_btyd=btyd,
                   purchasing_power_gbm=(89.0, 0.36, 0.66, 0.55),
                   purchasing_power_stack=(88.0, 0.33, 0.63, 0.52)) for _ in range(2)]
    # the GBM's mean gain over the better simple answer (BTYD) is the largest
    assert _choose_champion(both, "must_win", True)[0] == pp.GBM
    # a single-metric choice is the RMSE gain alone
    assert _choose_champion(both, "rmse", True)[0] == pp.STACK
    # better ranks but worse RMSE on one window: the level guard keeps the simple answer
    worse_level = [both[0], {**both[1], pp.GBM: {**both[1][pp.GBM], "rmse": 90.5},
                             pp.STACK: {**both[1][pp.STACK], "rmse": 91.0}}]
    champion, note = _choose_champion(worse_level, "must_win", True)
    assert champion == pp.BTYD and "no learnt candidate" in note
    # ... unless the worse RMSE is within that window's noise (the test the run supplies)
    assert _choose_champion(worse_level, "must_win", True, lambda name, ref, i: False)[0] == pp.GBM
    # the horizon not validated: the simple answers only
    champion, note = _choose_champion(both, "must_win", False)
    assert champion == pp.BTYD and "not validated" in note
    # the simple answers among themselves: the naive rate unless BTYD gains on it
    only_simple = [scores(purchasing_power_naive=btyd, purchasing_power_btyd=naive)]
    assert _choose_champion(only_simple, "must_win", True)[0] == pp.NAIVE
    assert _choose_champion([], "must_win", True)[0] == pp.NAIVE


def test_stage_windows(frame):
    iso = lambda w: feature_date(w).date().isoformat()  # noqa: E731
    v, t, f = row(frame, pp.GBM, "validation"), row(frame, pp.GBM, "test"), row(frame, pp.GBM, "final")
    e = row(frame, pp.GBM, "extrapolation")
    assert v.train_feature_dates == f"{iso(4)},{iso(3)}" and v.eval_feature_date == iso(2)
    assert e.train_feature_dates == iso(4) and e.eval_feature_date == iso(3)
    assert t.train_feature_dates == f"{iso(3)},{iso(2)}" and t.eval_feature_date == iso(1)
    assert f.train_feature_dates == f"{iso(2)},{iso(1)}" and f.eval_feature_date is None
    assert np.isnan(f.rmse) and f.n_eval == 0


def test_protected_and_meta_columns_are_not_features(result):
    assert "gender" not in result.feature_names
    assert not any(c.startswith("_") for c in result.feature_names)
    assert set(result.feature_names) == {
        "net_spend_lifetime", "tenure_days", "recency_days", "orders_lifetime", "region", "age_band",
    }


def test_excluded_features_are_not_used_by_any_model():
    # As dbt passes var decision_excluded_features: text; names are matched case-insensitively.
    data = make_training(60)
    params = dataclasses.replace(PARAMS, excluded_features="region, AGE_BAND")
    result = pp.fit_and_evaluate(data, params)
    assert set(result.feature_names) == {"net_spend_lifetime", "tenure_days", "recency_days", "orders_lifetime"}
    blobs = result.to_frame().query("stage == 'final'")["model_blob"].dropna()
    assert len(blobs) == len(pp.CANDIDATES)
    for blob in blobs:
        model = pp.load_model(blob)
        assert not set(model.spec.names) & {"region", "age_band", "gender"}
        explainer = getattr(model, "explainer_", None)
        if explainer is not None:
            assert not set(explainer.features_) & {"region", "age_band", "gender"}


def test_an_exclusion_of_a_column_the_simple_answers_read_is_refused():
    params = dataclasses.replace(PARAMS, excluded_features="age_years,recency_days")
    with pytest.raises(ValueError, match="recency_days.*BTYD and naive"):
        pp.fit_and_evaluate(make_training(20), params)


# --------------------------------------------------------------------------- determinism + protocol


def test_deterministic(training, frame):
    again = pp.fit_and_evaluate(training.copy(), PARAMS).to_frame()
    pd.testing.assert_frame_equal(frame, again)


def test_window_one_never_used_before_final(training, frame):
    poisoned = training.copy()
    w1 = poisoned.window_index == 1
    poisoned.loc[w1, "label_window_spend"] = poisoned.loc[w1, "label_window_spend"] * 1000 + 1e6
    other = pp.fit_and_evaluate(poisoned, PARAMS).to_frame()
    # the choice stages: bit-identical
    for stage in ("validation", "extrapolation"):
        pd.testing.assert_frame_equal(frame[frame.stage == stage], other[other.stage == stage])
    # test: same fitted models (same versions, same predictions), only the evaluated labels differ
    t0, t1 = frame[frame.stage == "test"], other[other.stage == "test"]
    for col in ("model_name", "model_version", "is_champion", "n_train", "train_feature_dates"):
        assert t0[col].tolist() == t1[col].tolist()
    cand = t0.model_name.isin(pp.CANDIDATES).to_numpy()
    np.testing.assert_array_equal(t0.mean_prediction.to_numpy()[cand], t1.mean_prediction.to_numpy()[cand])
    assert (t1.mean_label.to_numpy() > t0.mean_label.to_numpy() * 100).all()
    # final: refit on window 1 changes the model
    f0, f1 = row(frame, pp.GBM, "final"), row(other, pp.GBM, "final")
    assert f0.model_blob != f1.model_blob
    features = training[training.window_index == 1]
    assert not np.allclose(pp.score(f0.model_blob, features).predicted_spend,
                           pp.score(f1.model_blob, features).predicted_spend)


def test_window_two_not_used_by_validation_fits(training, frame):
    poisoned = training.copy()
    w2 = poisoned.window_index == 2
    poisoned.loc[w2, "label_window_spend"] = poisoned.loc[w2, "label_window_spend"] * 50
    other = pp.fit_and_evaluate(poisoned, PARAMS).to_frame()
    v0, v1 = frame[frame.stage == "validation"], other[other.stage == "validation"]
    cand = v0.model_name.isin(pp.CANDIDATES).to_numpy()
    np.testing.assert_array_equal(v0.mean_prediction.to_numpy()[cand], v1.mean_prediction.to_numpy()[cand])
    assert v0.model_version.tolist() == v1.model_version.tolist()
    # the test stage trains on window 2, so its fits change
    t0, t1 = frame[frame.stage == "test"], other[other.stage == "test"]
    assert not np.array_equal(t0.mean_prediction.to_numpy()[cand], t1.mean_prediction.to_numpy()[cand])


# --------------------------------------------------------------------------- short history + tiny data


def test_single_window_defaults_to_the_naive_rate():
    res = pp.fit_and_evaluate(make_training(80, windows=(1,)), PARAMS)
    f = res.to_frame()
    assert res.champion == pp.NAIVE
    assert f[f.stage != "final"].rmse.isna().all()
    assert f[f.stage == "validation"].note.str.contains("skipped").all()
    final = f[(f.stage == "final") & f.is_champion].iloc[0]
    assert final.model_name == pp.NAIVE and "no choice window" in final.note
    assert final.n_train == 80
    assert (pp.score(res.model_blob, make_training(20, windows=(1,))).predicted_spend >= 0).all()


def test_two_windows_short_history():
    f = pp.fit_and_evaluate(make_training(80, windows=(1, 2)), PARAMS).to_frame()
    assert f[f.stage == "validation"].rmse.isna().all()
    t = row(f, pp.LINEAR, "test")
    assert t.n_train == 80 and np.isfinite(t.rmse) and "short history" in t.note
    assert row(f, pp.NAIVE, "test").is_champion  # nothing to choose on: the simple answer
    assert f[f.stage == "final"].iloc[0].n_train == 160


def test_missing_recent_window_uses_only_allowed_windows():
    f = pp.fit_and_evaluate(make_training(60, windows=(2, 3)), PARAMS).to_frame()
    assert f[f.stage == "test"].rmse.isna().all()
    v = row(f, pp.GBM, "validation")
    assert v.train_feature_dates == feature_date(3).date().isoformat()
    final = f[f.stage == "final"].iloc[0]
    assert final.train_feature_dates == feature_date(2).date().isoformat()


def test_tiny_data_does_not_crash():
    tiny = make_training(10, windows=(1, 2, 3))  # 30 rows
    f = pp.fit_and_evaluate(tiny, PARAMS).to_frame()
    n_models = len(pp.CANDIDATES) + len(pp.BASELINES)
    assert len(f) == 3 * n_models + len(pp.CANDIDATES)
    assert f.model_blob.notna().sum() == len(pp.CANDIDATES)


def test_degenerate_labels_and_features():
    data = make_training(40, windows=(1, 2, 3, 4))
    data["label_window_spend"] = 0.0
    data.loc[::9, "label_window_spend"] = -5.0  # refunds: negative net spend
    data["region"] = None
    res = pp.fit_and_evaluate(data, PARAMS)
    out = pp.score(res.model_blob, data)
    assert (out.predicted_spend >= 0).all()
    only_numeric = make_training(40)[["customer_id", "feature_date", "window_index", "cutoff_role",
                                      "label_window_spend", "recency_days"]]
    f = pp.fit_and_evaluate(only_numeric, PARAMS).to_frame()
    assert row(f, pp.NAIVE, "test").note.startswith("naive baseline needs")


def test_no_data_raises():
    with pytest.raises(ValueError, match="empty"):
        pp.fit_and_evaluate(make_training(5).iloc[:0], PARAMS)
    unlabelled = make_training(5)
    unlabelled["label_window_spend"] = np.nan
    with pytest.raises(ValueError, match="label"):
        pp.fit_and_evaluate(unlabelled, PARAMS)
    with pytest.raises(ValueError, match="selection_metric"):
        pp.fit_and_evaluate(make_training(5), dataclasses.replace(PARAMS, selection_metric="bogus"))


def test_selection_metric_higher_is_better():
    f = pp.fit_and_evaluate(make_training(150), dataclasses.replace(PARAMS, selection_metric="normalised_gini")).to_frame()
    champion = f[f.is_champion & (f.stage == "final")].model_name.iloc[0]
    for stage in ("validation", "extrapolation"):
        rows = f[f.stage == stage].set_index("model_name")
        assert rows.loc[champion, "normalised_gini"] > rows.loc[list(pp.SIMPLE_CANDIDATES), "normalised_gini"].max()


# --------------------------------------------------------------------------- scoring


def test_score_batches_equal_whole(result, training):
    features = training[training.window_index == 1].drop(columns=["label_window_spend", "window_index", "cutoff_role"])
    whole = pp.score(result.model_blob, features)
    assert list(whole.columns) == ["customer_id", "predicted_spend", "expected_orders", "p_alive",
                                   "expected_order_value", "predicted_spend_p10", "predicted_spend_p90",
                                   "top_drivers"]
    assert whole.customer_id.tolist() == features.customer_id.tolist()
    assert (whole.predicted_spend >= 0).all() and whole.predicted_spend.notna().all()
    batches = pd.concat(
        [pp.score(result.model_blob, features.iloc[i:i + 37]) for i in range(0, len(features), 37)],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(whole, batches)


def test_score_robust_to_batch_dtypes_and_ignores_gender(result, training):
    features = training[training.window_index == 1].head(6).reset_index(drop=True)
    base = pp.score(result.model_blob, features).predicted_spend
    odd = features.copy()
    odd["gender"] = "x"
    odd["region"] = pd.Series([None] * 6, dtype=object)  # an all-null batch column
    odd.loc[0, "age_band"] = "unseen-band"
    out = pp.score(result.model_blob, odd)
    assert out.predicted_spend.notna().all() and (out.predicted_spend >= 0).all()
    g = features.copy()
    g["gender"] = "x"
    pd.testing.assert_series_equal(pp.score(result.model_blob, g).predicted_spend, base)
    with pytest.raises(KeyError):
        pp.score(result.model_blob, features.drop(columns=["recency_days"]))
    assert len(pp.score(result.model_blob, features.iloc[:0])) == 0


def test_blend_is_halfway_between_the_gbm_and_the_btyd_expectation(training):
    # BTYD inputs: orders_lifetime, recency_days, net_spend_lifetime and days since the first order.
    training = training.assign(days_since_first_order=training["tenure_days"] + 30)
    res = pp.fit_and_evaluate(training, PARAMS).to_frame()
    final = res[res.stage == "final"].set_index("model_name")
    blend, gbm = pp.load_model(final.loc[pp.BLEND, "model_blob"]), pp.load_model(final.loc[pp.GBM, "model_blob"])
    features = training[training.window_index == 1]
    expected = blend.estimator_.btyd_model_.transform(features)["btyd_expected_spend"].to_numpy()
    # Same data, same seed: the blend's tree part is the GBM (each with its own learnt level).
    np.testing.assert_allclose(blend.predict(features) / blend.level_,
                               0.5 * gbm.predict(features) / gbm.level_ + 0.5 * np.clip(expected, 0, None))


def test_blend_without_btyd_inputs_is_the_gbm_and_says_so(frame, training):
    final = frame[frame.stage == "final"].set_index("model_name")
    assert "the blend is the GBM" in final.loc[pp.BLEND, "note"]
    features = training[training.window_index == 1]
    np.testing.assert_allclose(pp.score(final.loc[pp.BLEND, "model_blob"], features).predicted_spend,
                               pp.score(final.loc[pp.GBM, "model_blob"], features).predicted_spend)
