"""Unit tests of shopper_scores.ml.credit on synthetic accounts with a planted signal."""

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import credit

from .conftest import row

PARAMS = credit.CreditParams(as_of_date="2024-06-30", random_seed=42, n_bins=6, min_bin_share=0.05,
                             scaling=credit.ScoreScaling(base_score=600, base_odds=50, points_to_double_odds=20))
FEATURES = {"income", "utilisation", "late_payments", "region", "city_tier"}


def make_accounts(n: int = 2000, seed: int = 0, shares=(0.6, 0.2, 0.2)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    opening = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 540, n), unit="D")
    income = rng.lognormal(8, 0.5, n)
    utilisation = np.where(rng.random(n) < 0.1, np.nan, rng.beta(2, 3, n))
    late = rng.poisson(0.6, n).astype(float)
    region = rng.choice(np.array(["north", "south", "east", "west", "tiny", None], dtype=object), n,
                        p=[0.3, 0.3, 0.2, 0.13, 0.02, 0.05])
    logit = (-3.0 + 2.0 * np.nan_to_num(utilisation, nan=0.9) + 0.7 * late
             - 0.5 * (np.log(income) - 8) + 0.6 * (region == "south"))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    rank = pd.Series(opening).rank(method="first").to_numpy() / n
    cut1, cut2 = shares[0], shares[0] + shares[1]
    split = np.where(rank <= cut1, "train", np.where(rank <= cut2, "validation", "test"))
    return pd.DataFrame({
        "credit_account_id": [f"a{i:05d}" for i in range(n)],
        "customer_id": [f"c{i:05d}" for i in range(n)],
        "feature_date": opening,
        "split": split,
        "is_default": y,
        "income": income,
        "utilisation": utilisation,
        "late_payments": late,
        "region": pd.Series(region, dtype="str"),
        "city_tier": rng.choice(["1", "2", "3"], n),
        "gender": rng.choice(["f", "m"], n),
        "_batch": 1,
    })


@pytest.fixture(scope="module")
def accounts():
    return make_accounts()


@pytest.fixture(scope="module")
def result(accounts):
    return credit.fit_and_evaluate(accounts, PARAMS)


@pytest.fixture(scope="module")
def scored(result, accounts):
    return credit.score(result.model_blob, accounts)


# --------------------------------------------------------------------------- table


def test_result_frame_schema(frame):
    assert list(frame.columns) == credit.RESULT_COLUMNS
    assert not frame.duplicated(["model_name", "stage"]).any()
    for stage in ("validation", "test"):
        assert set(frame[frame.stage == stage].model_name) == set(credit.MODELS)
    assert frame[frame.is_champion].model_name.eq(credit.SCORECARD).all()
    assert frame[frame.model_name == credit.SCORECARD].is_champion.all()
    final = frame[frame.stage == "final"]
    assert final.model_name.tolist() == [credit.SCORECARD]
    # Blobs: the final champion (scores customers) and the champion's test stage (scores the test
    # cohort for the calibration reports); no other row.
    kept = frame[frame.model_blob.notna()]
    assert sorted(kept.stage) == ["final", "test"] and kept.model_name.eq(credit.SCORECARD).all()
    assert "calibrator saw this split" in row(frame, credit.SCORECARD, "validation").note
    assert "test played no part" in row(frame, credit.GBM, "test").note
    assert frame.model_version.str.fullmatch(r"[0-9a-f]{16}").all()


def test_date_ranges(frame, accounts):
    def rng(split):
        d = accounts.loc[accounts.split.isin(split), "feature_date"]
        return f"{d.min().date().isoformat()}..{d.max().date().isoformat()}"

    t = row(frame, credit.SCORECARD, "test")
    assert t.train_feature_dates == rng(["train"]) and t.eval_feature_date == rng(["test"])
    assert row(frame, credit.SCORECARD, "validation").eval_feature_date == rng(["validation"])
    f = row(frame, credit.SCORECARD, "final")
    assert f.train_feature_dates == rng(["train", "validation"]) and f.eval_feature_date is None
    assert f.n_train == int(accounts.split.isin(["train", "validation"]).sum())


def test_models_beat_base_rate_on_test(frame):
    base = row(frame, credit.BASE_RATE, "test")
    assert base.auc == pytest.approx(0.5)
    for model, min_auc in ((credit.SCORECARD, 0.65), (credit.GBM, 0.62)):
        r = row(frame, model, "test")
        assert r.auc > min_auc and r.ks > 0.2
        assert r.gini == pytest.approx(2 * r.auc - 1)
        assert r.brier < base.brier and r.log_loss < base.log_loss


def test_features_exclude_protected_and_meta(result):
    assert set(result.feature_names) == FEATURES
    card = credit.load_scorecard(result.model_blob)
    assert set(card.feature_names) == FEATURES


def test_excluded_features_are_not_used(accounts):
    # As dbt passes the var: comma-separated text.
    result = credit.fit_and_evaluate(accounts, dataclasses.replace(PARAMS, excluded_features="region, city_tier"))
    assert set(result.feature_names) == FEATURES - {"region", "city_tier"}
    points = credit.scorecard_points(result.model_blob)
    assert not set(points["feature"]) & {"region", "city_tier"}


def test_deterministic(accounts, frame):
    again = credit.fit_and_evaluate(accounts.copy(), PARAMS).to_frame()
    pd.testing.assert_frame_equal(frame, again)


def test_test_split_plays_no_part_until_final(accounts, frame):
    flipped = accounts.copy()
    is_test = flipped.split == "test"
    flipped.loc[is_test, "is_default"] = 1 - flipped.loc[is_test, "is_default"]
    other = credit.fit_and_evaluate(flipped, PARAMS).to_frame()
    pd.testing.assert_frame_equal(frame[frame.stage == "validation"], other[other.stage == "validation"])
    t0, t1 = frame[frame.stage == "test"], other[other.stage == "test"]
    np.testing.assert_array_equal(t0.mean_prediction.to_numpy(), t1.mean_prediction.to_numpy())
    assert t0.model_version.tolist() == t1.model_version.tolist()
    assert (t1.auc.to_numpy()[:2] < 0.5).all()  # flipped labels: the ranking now looks reversed
    assert frame[frame.stage == "final"].model_blob.iloc[0] != other[other.stage == "final"].model_blob.iloc[0]
    # The test stage's stored scorecard never saw the test labels: it scores every account the same.
    test_blobs = [f.loc[(f.stage == "test") & f.is_champion, "model_blob"].iloc[0] for f in (frame, other)]
    pd.testing.assert_frame_equal(credit.score(test_blobs[0], accounts), credit.score(test_blobs[1], accounts))


# --------------------------------------------------------------------------- scoring


def test_score_ranges_and_monotonicity(scored, accounts):
    assert list(scored.columns) == credit.SCORE_COLUMNS
    assert scored.customer_id.tolist() == accounts.customer_id.tolist()
    p = scored.probability_of_default.to_numpy()
    assert ((p > 0) & (p < 1)).all()
    assert scored.credit_score.dtype == np.int64
    ordered = scored.sort_values("probability_of_default", kind="stable")
    assert (np.diff(ordered.credit_score.to_numpy()) <= 0).all()
    assert scored.credit_score.nunique() > 20


def test_score_scaling_formula():
    # odds_good == base_odds -> base_score; doubling the odds adds points_to_double_odds
    p_base = 1 / 51
    p_double = 1 / 101
    scores = credit.pd_to_score([p_base, p_double, 0.0, 1.0], PARAMS.scaling)
    assert scores[0] == 600 and scores[1] == 620
    factor = 20 / math.log(2)
    assert scores[2] == math.floor(600 + factor * (math.log((1 - 1e-6) / 1e-6) - math.log(50)) + 0.5)
    assert scores[3] < 300


def test_reason_codes_are_feature_names_and_follow_points(result, scored, accounts):
    names = set(result.feature_names)
    for k in (1, 2, 3, 4):
        codes = scored[f"reason_code_{k}"]
        assert codes.dropna().str.removesuffix(credit.MISSING_SUFFIX).isin(names).all()
    codes = scored[["reason_code_1", "reason_code_2", "reason_code_3", "reason_code_4"]]
    assert codes["reason_code_4"].notna().any()  # four reasons are really given
    # no duplicates within a row, None only after the codes
    for r in codes.itertuples(index=False):
        present = [c for c in r if c is not None]
        assert len(present) == len(set(present))
        assert list(r[:len(present)]) == present
    # hand check of the first rows against the documented scorecard points
    card = credit.load_scorecard(result.model_blob)
    table = credit.scorecard_points(result.model_blob)
    bins = card.bin_indices(accounts.head(25))
    for i in range(25):
        shortfall = {}
        for j, binning in enumerate(card.binnings_):
            pts = table[table.feature == binning.feature].points.to_numpy()
            shortfall[binning.feature] = pts.max() - pts[bins[i, j]]
        missing = {b.feature: bins[i, j] == len(b.labels_) - 1 for j, b in enumerate(card.binnings_)}
        expected = [f + (credit.MISSING_SUFFIX if missing[f] else "")
                    for f, s in sorted(shortfall.items(), key=lambda kv: (-kv[1], kv[0]))
                    if s > 0][:4]
        expected += [None] * (4 - len(expected))
        assert codes.iloc[i].tolist() == expected


def test_a_reason_resting_on_a_missing_value_says_so(result):
    card = credit.load_scorecard(result.model_blob)
    table = credit.scorecard_points(result.model_blob)
    # A feature whose missing bin scores worst of its bins: a customer with that value missing and
    # every other feature at its best bin gets exactly that reason, marked ':missing'.
    worst_missing = [
        b.feature for b in card.binnings_
        if (pts := table[table.feature == b.feature].points.to_numpy())[-1] < pts.max() - 1e-9
    ]
    if not worst_missing:
        pytest.skip("no feature whose missing bin is below its best bin in this fit")
    feature = worst_missing[0]
    best = np.array([[int(np.argmax(table[table.feature == b.feature].points.to_numpy()))
                      for b in card.binnings_]])
    j = [b.feature for b in card.binnings_].index(feature)
    best[0, j] = len(card.binnings_[j].labels_) - 1
    assert card.reason_codes(best)[0][0] == feature + credit.MISSING_SUFFIX


def test_scorecard_points_add_up_to_score(result, scored, accounts):
    card = credit.load_scorecard(result.model_blob)
    table = credit.scorecard_points(result.model_blob)
    assert list(table.columns) == ["feature", "bin_label", "woe", "points"]
    assert set(table.feature) == FEATURES
    assert table.groupby("feature").bin_label.apply(lambda s: "(missing)" in set(s)).all()
    assert table.points.dtype == np.int64
    factor = 20 / math.log(2)
    platt_a, platt_b = card.platt_
    exact_base = 600 + factor * (-platt_a - platt_b * card.intercept_ - math.log(50))
    assert abs(card.base_points_ - exact_base) <= 0.5
    bins = card.bin_indices(accounts)
    total = card.base_points_ + sum(
        table[table.feature == b.feature].points.to_numpy()[bins[:, j]] for j, b in enumerate(card.binnings_)
    )
    # the published score is exactly the sum of the integer points; its PD is the scale's entry
    np.testing.assert_array_equal(total, scored.credit_score.to_numpy())
    scale = card.score_scale().set_index("credit_score").probability_of_default
    np.testing.assert_array_equal(scale.loc[total].to_numpy(), scored.probability_of_default.to_numpy())
    # the scale is the stored score scale: PD falls as the score rises, odds double every 20 points
    odds_good = (1 - scale) / scale
    assert (np.diff(scale.to_numpy()) < 0).all()
    np.testing.assert_allclose(odds_good.shift(-20).dropna().to_numpy() / odds_good.iloc[:-20].to_numpy(), 2.0)


def test_bins_respect_min_share(result, accounts):
    card = credit.load_scorecard(result.model_blob)
    n_fit = int(accounts.split.isin(["train", "validation"]).sum())
    for binning in card.binnings_:
        counts = binning.n_rows_[:-1]  # all but the "(missing)" bin
        if binning.kind == "categorical":
            counts = counts[:-1]  # "(other)" pools the rare ones
            assert "tiny" not in binning.categories_ or binning.feature != "region"
        assert (counts >= 0.05 * n_fit).all()
        assert len(binning.labels_) <= 6 + 2


def test_batch_scoring_equals_whole_and_is_robust(result, scored, accounts):
    batches = pd.concat(
        [credit.score(result.model_blob, accounts.iloc[i:i + 333]) for i in range(0, len(accounts), 333)],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(scored, batches)
    odd = accounts.head(5).copy().reset_index(drop=True)
    odd["region"] = pd.Series(["unseen", None, "south", None, "north"], dtype=object)
    odd["utilisation"] = pd.Series([None] * 5, dtype=object)
    out = credit.score(result.model_blob, odd)
    assert out.probability_of_default.between(0, 1, inclusive="neither").all()
    g = accounts.head(50).copy()
    g["gender"] = "x"
    pd.testing.assert_frame_equal(credit.score(result.model_blob, g), scored.head(50))
    # the scale comes from the stored model only: a card fitted with base_score 700 scores
    # exactly 100 points more, with the same probabilities and reason codes
    shifted_scale = credit.ScoreScaling(base_score=700, base_odds=50, points_to_double_odds=20)
    shifted_fit = credit.fit_and_evaluate(accounts, dataclasses.replace(PARAMS, scaling=shifted_scale))
    assert credit.load_scorecard(shifted_fit.model_blob).scaling == shifted_scale
    shifted = credit.score(shifted_fit.model_blob, accounts.head(50))
    assert (shifted.credit_score - scored.head(50).credit_score).eq(100).all()
    pd.testing.assert_frame_equal(shifted.drop(columns="credit_score"), scored.head(50).drop(columns="credit_score"))


# --------------------------------------------------------------------------- missing splits + tiny data


def test_no_validation_split_calibrates_on_train():
    data = make_accounts(600, shares=(0.8, 0.0, 0.2))
    f = credit.fit_and_evaluate(data, PARAMS).to_frame()
    v = row(f, credit.SCORECARD, "validation")
    assert np.isnan(v.auc) and "no validation rows" in v.note
    t = row(f, credit.SCORECARD, "test")
    assert np.isfinite(t.auc) and "calibration fitted on train" in t.note


def test_no_test_split_calibrates_in_sample():
    data = make_accounts(600, shares=(0.7, 0.3, 0.0))
    res = credit.fit_and_evaluate(data, PARAMS)
    f = res.to_frame()
    assert f[f.stage == "test"].auc.isna().all()
    assert "in-sample" in row(f, credit.SCORECARD, "final").note
    assert credit.score(res.model_blob, data).probability_of_default.notna().all()


def test_tiny_and_single_class_data():
    tiny = make_accounts(30)
    res = credit.fit_and_evaluate(tiny, PARAMS)
    assert len(res.to_frame()) == 7
    no_defaults = make_accounts(200)
    no_defaults["is_default"] = 0
    res = credit.fit_and_evaluate(no_defaults, PARAMS)
    f = res.to_frame()
    assert f[f.stage != "final"].auc.isna().all()
    out = credit.score(res.model_blob, no_defaults)
    assert out.probability_of_default.between(0, 1, inclusive="neither").all()
    assert out.reason_code_1.isna().all()


def test_invalid_inputs_raise():
    # No accounts at all (a shop without credit) is not an error: one note row, no champion.
    empty = credit.fit_and_evaluate(make_accounts(10).iloc[:0], PARAMS).to_frame()
    assert len(empty) == 1
    assert not empty["is_champion"].any()
    assert empty["model_blob"].isna().all()
    assert "no matured credit accounts" in empty["note"].iloc[0]
    bad = make_accounts(10)
    bad.loc[0, "split"] = "holdout"
    with pytest.raises(ValueError, match="split"):
        credit.fit_and_evaluate(bad, PARAMS)
    with pytest.raises(ValueError):
        credit.score("not-a-blob", make_accounts(3))
