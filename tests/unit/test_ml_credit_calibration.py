"""The scorecard's score-to-PD map (Platt vs isotonic, chosen by cross-fitting on the calibration
rows), the Hosmer-Lemeshow statistic and the test-cohort calibration report (seconds)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shopper_scores.ml import credit
from shopper_scores.ml.features import encode_blob, select_features
from shopper_scores.ml.metrics import hosmer_lemeshow, risk_groups

from .conftest import row
from .test_ml_credit import PARAMS, make_accounts

SCALING = PARAMS.scaling


def with_method(method: str) -> credit.CreditParams:
    return dataclasses.replace(PARAMS, score_calibration=credit.ScoreCalibrationParams(method=method))


@pytest.fixture(scope="module")
def accounts():
    return make_accounts(3000, seed=11)


def calibrated(spec, parts, method, calibration=None):
    model = credit.make_model(credit.SCORECARD, spec, with_method(method))
    model.fit(parts["train"], parts["train"]["is_default"])
    rows = parts["validation"] if calibration is None else calibration
    return model.calibrate(rows, rows["is_default"])


@pytest.fixture(scope="module")
def result(accounts):
    return credit.fit_and_evaluate(accounts, PARAMS)


# --------------------------------------------------------------------------- the two maps


def test_score_to_pd_inverts_pd_to_score():
    p = np.array([0.001, 0.02, 0.1, 0.5, 0.9])
    back = credit.score_to_pd(credit.pd_to_score(p, SCALING), SCALING)
    # one integer point is at most 1/28.85 of a unit of log-odds
    np.testing.assert_allclose(np.log(back / (1 - back)), np.log(p / (1 - p)), atol=0.5 / SCALING.factor + 1e-12)
    assert credit.score_to_pd(600, SCALING) == pytest.approx(1 / 51)  # 600 points = 50:1 good:bad
    assert credit.score_to_pd(-1e6, SCALING) == 1 - 1e-6 and credit.score_to_pd(1e6, SCALING) == 1e-6


def test_isotonic_map_is_non_increasing_clipped_and_constant_outside():
    scores = np.array([500, 500, 510, 520, 520, 530, 540, 540])
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    iso = credit.IsotonicScoreMap().fit(scores, y)
    grid = np.arange(480, 561)
    p = iso.predict(grid)
    assert (np.diff(p) <= 0).all()
    assert p.min() >= 1e-6 and p.max() <= 1 - 1e-6
    assert p[0] == iso.predict([500])[0] and p[-1] == iso.predict([540])[0]  # out_of_bounds="clip"


@pytest.mark.parametrize("method", [credit.PLATT, credit.ISOTONIC])
def test_score_scale_is_the_one_map_for_either_method(spec, parts, method):
    card = calibrated(spec, parts, method)
    assert card.calibration_method_ == method == card.score_map_
    scale = card.score_scale()
    low, high = card.score_range_
    assert scale["credit_score"].tolist() == list(range(low, high + 1))  # every reachable score
    p = scale["probability_of_default"].to_numpy()
    assert (np.diff(p) <= 0).all() and p.min() >= 1e-6 and p.max() <= 1 - 1e-6
    if method == credit.PLATT:
        np.testing.assert_allclose(p, credit.score_to_pd(scale["credit_score"], SCALING))
    else:
        assert (np.diff(p) == 0).any()  # isotonic steps: neighbouring scores share a PD
    test = parts["test"]
    scores = card.score_from_bins(card.bin_indices(test))
    np.testing.assert_array_equal(card.predict_proba(test)[:, 1], card.pd_from_score(scores))
    published = credit.scorecard_tables(encode_blob(card)).score_scale  # what SQL scoring reads
    np.testing.assert_array_equal(published["probability_of_default"], p)
    assert published["calibration_method"].eq(method).all()


def test_points_are_platts_whatever_the_map(spec, parts):
    platt, isotonic = calibrated(spec, parts, credit.PLATT), calibrated(spec, parts, credit.ISOTONIC)
    assert platt.base_points_ == isotonic.base_points_
    for a, b in zip(platt.bin_points(), isotonic.bin_points()):
        np.testing.assert_array_equal(a, b)
    assert platt.score_range_ == isotonic.score_range_


def test_isotonic_map_fitted_on_the_calibration_rows_scores(spec, parts):
    card = calibrated(spec, parts, credit.ISOTONIC)
    valid = parts["validation"]
    direct = credit.IsotonicScoreMap().fit(card.score_from_bins(card.bin_indices(valid)), valid["is_default"])
    scale = card.score_scale()
    np.testing.assert_allclose(scale["probability_of_default"], direct.predict(scale["credit_score"]))


# --------------------------------------------------------------------------- the choice


def test_auto_picks_the_lower_cross_fitted_log_loss(spec, parts):
    card = calibrated(spec, parts, credit.AUTO)
    losses = card.calibration_cv_log_loss_
    assert set(losses) == {credit.PLATT, credit.ISOTONIC}
    expected = credit.ISOTONIC if losses[credit.ISOTONIC] < losses[credit.PLATT] else credit.PLATT
    assert card.calibration_method_ == expected
    assert f"score-to-PD map: {expected}" in card.calibration_note_
    assert f"platt {losses[credit.PLATT]:.5f} vs isotonic {losses[credit.ISOTONIC]:.5f}" in card.calibration_note_
    # Out of fold: each loss is worse than the same map fitted and judged in-sample.
    valid = parts["validation"]
    y = valid["is_default"].to_numpy()
    in_sample = calibrated(spec, parts, credit.ISOTONIC).predict_proba(valid)[:, 1]
    assert losses[credit.ISOTONIC] > -np.mean(y * np.log(in_sample) + (1 - y) * np.log1p(-in_sample))


def test_auto_chooses_isotonic_when_the_score_to_pd_curve_is_not_logistic(spec, parts):
    # Calibration rows whose default rate jumps at one score: far from any logistic curve.
    card = calibrated(spec, parts, credit.PLATT)
    rows = pd.concat([parts["validation"], parts["test"]] * 3, ignore_index=True)
    scores = card.score_from_bins(card.bin_indices(rows))
    rows["is_default"] = (scores < np.median(scores)).astype(int) * (np.arange(len(rows)) % 2)
    auto = calibrated(spec, parts, credit.AUTO, calibration=rows)
    assert auto.calibration_method_ == credit.ISOTONIC
    losses = auto.calibration_cv_log_loss_
    assert losses[credit.ISOTONIC] < losses[credit.PLATT] - 0.05


def test_auto_falls_back_to_platt_without_enough_defaults(spec, parts):
    rows = parts["validation"].copy()
    rows["is_default"] = 0
    rows.loc[rows.index[0], "is_default"] = 1  # one default: nothing to cross-fit
    card = calibrated(spec, parts, credit.AUTO, calibration=rows)
    assert card.calibration_method_ == credit.PLATT and card.calibration_cv_log_loss_ is None
    assert "too few defaults" in card.calibration_note_
    rows["is_default"] = 0
    single = calibrated(spec, parts, credit.ISOTONIC, calibration=rows)
    assert single.calibration_method_ == credit.PLATT and "single class" in single.calibration_note_


def test_a_scorecard_pickled_before_the_choice_reads_as_platt(spec, parts):
    card = calibrated(spec, parts, credit.PLATT)
    for attribute in ("calibration_method_", "isotonic_", "calibration_cv_log_loss_", "calibration_choice_note_"):
        delattr(card, attribute)
    assert card.score_map_ == credit.PLATT
    np.testing.assert_allclose(card.score_scale()["probability_of_default"],
                               credit.score_to_pd(card.score_scale()["credit_score"], SCALING))


def test_bad_method_raises():
    with pytest.raises(credit.ParameterError, match="method"):
        credit.ScoreCalibrationParams(method="beta")
    with pytest.raises(ValueError, match="calibration_method"):
        credit.make_model(credit.SCORECARD, select_features(make_accounts(50)), PARAMS, calibration_method="auto")


# --------------------------------------------------------------------------- the protocol


def test_final_refit_reuses_the_method_chosen_on_validation(result, frame, accounts):
    test_card = credit.load_scorecard(row(frame, credit.SCORECARD, "test").model_blob)
    final_card = credit.load_scorecard(result.model_blob)
    assert test_card.calibration_cv_log_loss_ is not None  # chosen by cross-fitting on validation
    assert final_card.calibration_cv_log_loss_ is None  # not chosen again on test
    assert final_card.calibration_method_ == test_card.calibration_method_
    assert "as chosen at the held-out stages" in row(frame, credit.SCORECARD, "final").note
    assert f"score-to-PD map: {test_card.calibration_method_} (chosen by" in row(
        frame, credit.SCORECARD, "validation").note
    # The published scale says which map it is.
    scale = credit.scorecard_tables(result.model_blob).score_scale
    assert scale["calibration_method"].eq(final_card.calibration_method_).all()


def test_forcing_a_method_reaches_every_stage(accounts):
    result = credit.fit_and_evaluate(accounts, with_method(credit.ISOTONIC))
    log = result.to_frame()
    blobs = log.loc[log.model_blob.notna(), "model_blob"]
    assert len(blobs) == 2
    assert {credit.load_scorecard(b).calibration_method_ for b in blobs} == {credit.ISOTONIC}


# --------------------------------------------------------------------------- Hosmer-Lemeshow


def test_risk_groups_keep_ties_together_and_number_from_the_riskiest():
    scores = np.array([500, 510, 510, 520, 530, 540, 550, 560, 570, 580])
    np.testing.assert_array_equal(risk_groups(scores, 10), [1, 3, 3, 4, 5, 6, 7, 8, 9, 10])
    assert risk_groups(np.full(7, 3.0), 10).tolist() == [10] * 7
    assert set(risk_groups(np.arange(1000), 10)) == set(range(1, 11))
    assert np.bincount(risk_groups(np.arange(1000), 10))[1:].tolist() == [100] * 10
    assert risk_groups(np.array([]), 10).size == 0
    with pytest.raises(ValueError, match="n_groups"):
        risk_groups(scores, 0)


def test_hosmer_lemeshow_by_hand():
    y = np.array([1, 0, 0, 0, 1, 1, 0, 1])
    p = np.array([0.5, 0.5, 0.25, 0.25, 0.75, 0.75, 0.5, 0.5])
    groups = np.array([1, 1, 2, 2, 3, 3, 4, 4])
    # per group (O, E, n): (1, 1, 2), (0, .5, 2), (2, 1.5, 2), (1, 1, 2)
    expected = 0 + 0.25 / (0.5 * 0.75) + 0.25 / (1.5 * 0.25) + 0
    out = hosmer_lemeshow(y, p, groups)
    assert out["hosmer_lemeshow"] == pytest.approx(expected)
    assert out["hosmer_lemeshow_df"] == 4  # unseen rows: one degree per group
    assert out["hosmer_lemeshow_p_value"] == pytest.approx(stats.chi2.sf(expected, 4))
    seen = hosmer_lemeshow(y, p, groups, calibrated_on_these_rows=True)
    assert seen["hosmer_lemeshow_df"] == 2 and seen["hosmer_lemeshow_p_value"] == pytest.approx(
        stats.chi2.sf(expected, 2))
    assert np.isnan(hosmer_lemeshow([], [], [])["hosmer_lemeshow"])
    assert np.isnan(hosmer_lemeshow([1, 0], [0.5, 0.5], [1, 1], calibrated_on_these_rows=True)["hosmer_lemeshow_df"])


def test_hosmer_lemeshow_detects_miscalibration():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.4, 5000)
    y = (rng.random(5000) < p).astype(float)
    groups = risk_groups(-p, 10)
    assert hosmer_lemeshow(y, p, groups)["hosmer_lemeshow_p_value"] > 0.001
    assert hosmer_lemeshow(y, p * 0.6, groups)["hosmer_lemeshow_p_value"] < 1e-6


def test_training_log_holds_hosmer_lemeshow(frame):
    for model in credit.MODELS:
        t = row(frame, model, "test")
        assert np.isfinite(t.hosmer_lemeshow) and 0 <= t.hosmer_lemeshow_p_value <= 1
    assert row(frame, credit.BASE_RATE, "test").hosmer_lemeshow_df == 1  # one PD: one group
    card_v, card_t = row(frame, credit.SCORECARD, "validation"), row(frame, credit.SCORECARD, "test")
    assert card_t.hosmer_lemeshow_df == 10 and card_v.hosmer_lemeshow_df == 8  # the calibrator saw validation
    assert np.isnan(row(frame, credit.SCORECARD, "final").hosmer_lemeshow)


# --------------------------------------------------------------------------- the test-cohort report


def test_score_cohort_keeps_order_keys_and_the_stage_model(frame, accounts):
    champion = row(frame, credit.SCORECARD, "test")
    cohort = accounts[accounts.split == "test"].iloc[::-1]  # any order
    out = credit.score_cohort(champion, cohort)
    assert list(out.columns) == credit.COHORT_COLUMNS
    assert out["credit_account_id"].tolist() == cohort["credit_account_id"].tolist()
    assert out["is_default"].tolist() == cohort["is_default"].tolist()
    card = credit.load_scorecard(champion.model_blob)
    np.testing.assert_array_equal(out["probability_of_default"], card.predict_proba(cohort)[:, 1])
    assert out["model_version"].eq(champion.model_version).all()
    assert out["calibration_method"].eq(card.calibration_method_).all()
    empty = credit.score_cohort(None, cohort)
    assert len(empty) == 0 and list(empty.columns) == credit.COHORT_COLUMNS
    assert list(credit.score_cohort(champion, cohort.iloc[:0]).columns) == credit.COHORT_COLUMNS
    with pytest.raises(KeyError, match="is_default"):
        credit.score_cohort(champion, cohort.drop(columns="is_default"))


def test_calibration_table_matches_the_training_log(frame, accounts):
    champion = row(frame, credit.SCORECARD, "test")
    predictions = credit.score_cohort(champion, accounts[accounts.split == "test"])
    table = credit.calibration_table(predictions)
    assert list(table.columns) == credit.CALIBRATION_COLUMNS
    assert table["n_accounts"].sum() == len(predictions)
    assert table["n_defaults"].sum() == predictions["is_default"].sum()
    assert table["score_decile"].is_monotonic_increasing
    assert (table["min_credit_score"].to_numpy()[1:] > table["max_credit_score"].to_numpy()[:-1]).all()
    np.testing.assert_allclose(table["hosmer_lemeshow_term"].sum(), table["hosmer_lemeshow_statistic"].iloc[0])
    # the same statistic as model_metrics' row of the champion's test stage
    assert table["hosmer_lemeshow_statistic"].iloc[0] == pytest.approx(champion.hosmer_lemeshow)
    assert table["hosmer_lemeshow_df"].iloc[0] == champion.hosmer_lemeshow_df == len(table)
    assert table["hosmer_lemeshow_p_value"].iloc[0] == pytest.approx(champion.hosmer_lemeshow_p_value)
    np.testing.assert_allclose(table["predicted_default_rate"] * table["n_accounts"], table["expected_defaults"])
    assert len(credit.calibration_table(predictions.iloc[:0])) == 0


def test_calibration_table_does_not_depend_on_row_order(frame, accounts):
    predictions = credit.score_cohort(row(frame, credit.SCORECARD, "test"), accounts[accounts.split == "test"])
    shuffled = predictions.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(credit.calibration_table(predictions), credit.calibration_table(shuffled),
                                  check_exact=True)
