"""The credit stage plan (shopper_scores.ml.credit.protocol) as a pure function of the split sizes:
the leakage rules and every fallback, without fitting a model (milliseconds)."""

import itertools

import pytest

from shopper_scores.ml import credit
from shopper_scores.ml.credit import protocol as pr

FULL = {"train": 600, "validation": 200, "test": 200}
ALL_SIZES = [dict(zip(credit.SPLITS, sizes)) for sizes in itertools.product((0, 5), repeat=3) if any(sizes)]


def rows(sizes):
    return {(r.model, r.stage): r for r in credit.plan_stages(sizes)}


def test_rows_in_log_order():
    plan = credit.plan_stages(FULL)
    assert [(r.model, r.stage) for r in plan] == [
        *((m, "validation") for m in credit.MODELS),
        *((m, "test") for m in credit.MODELS),
        (credit.SCORECARD, "final"),
    ]
    assert {r.model for r in plan if r.is_champion} == {credit.SCORECARD}


def test_full_plan_windows():
    plan = rows(FULL)
    for model in (credit.SCORECARD, credit.GBM):
        for stage in ("validation", "test"):
            r = plan[model, stage]
            assert (r.fit, r.calibrate, r.evaluate, r.skip) == (("train",), ("validation",), (stage,), None)
    for stage in ("validation", "test"):
        r = plan[credit.BASE_RATE, stage]
        assert (r.fit, r.calibrate, r.evaluate) == (("train",), (), (stage,))
    final = plan[credit.SCORECARD, "final"]
    assert (final.fit, final.calibrate, final.evaluate, final.skip) == (("train", "validation"), ("test",), (), None)


@pytest.mark.parametrize("sizes", ALL_SIZES, ids=lambda s: "-".join(k for k, v in s.items() if v) or "none")
def test_test_split_is_never_fitted_or_calibrated_on_before_final(sizes):
    for r in credit.plan_stages(sizes):
        if r.stage == "final":
            continue
        assert "test" not in r.fit and "test" not in r.calibrate
        assert r.evaluate in ((), (r.stage,))
        assert r.stage not in r.fit  # a held-out stage never evaluates on its fit rows
        if r.stage == "test":
            assert "validation" not in r.fit
        if r.model == credit.BASE_RATE:
            assert r.calibrate == ()


@pytest.mark.parametrize("sizes", ALL_SIZES, ids=lambda s: "-".join(k for k, v in s.items() if v) or "none")
def test_validation_and_test_share_one_fit_and_final_calibrates_on_test(sizes):
    plan = rows(sizes)
    for model in credit.MODELS:
        v, t = plan[model, "validation"], plan[model, "test"]
        assert (v.fit, v.calibrate) == (t.fit, t.calibrate)
    final = plan[credit.SCORECARD, "final"]
    assert final.evaluate == () and final.fit
    if sizes["test"] and (sizes["train"] or sizes["validation"]):
        assert final.calibrate == ("test",) and "test" not in final.fit
        assert pr.FINAL_IN_SAMPLE not in final.notes
    else:
        assert final.calibrate == final.fit and pr.FINAL_IN_SAMPLE in final.notes
    assert all(sizes[s] for s in (*final.fit, *final.calibrate))  # never an empty split


def test_notes_of_the_full_plan():
    plan = rows(FULL)
    card_v = plan[credit.SCORECARD, "validation"]
    assert card_v.notes == (pr.VALIDATION_SEEN, pr.FIT_NOTE, pr.CALIBRATION_NOTE, pr.CHAMPION_BY_DESIGN)
    assert plan[credit.GBM, "validation"].notes == (pr.VALIDATION_SEEN, pr.FIT_NOTE, pr.CALIBRATION_NOTE)
    assert plan[credit.GBM, "test"].notes == (pr.TEST_UNSEEN, pr.FIT_NOTE, pr.CALIBRATION_NOTE)
    assert plan[credit.BASE_RATE, "validation"].notes == (pr.FIT_NOTE,)
    assert plan[credit.BASE_RATE, "test"].notes == (pr.FIT_NOTE, "test played no part")
    assert plan[credit.SCORECARD, "final"].notes == (pr.FIT_NOTE, pr.CALIBRATION_NOTE, pr.CALIBRATION_CHOICE_REUSED,
                                                     pr.FINAL_NOTE)
    assert credit.compose_note(card_v, None, None) == (
        "the Platt calibrator saw this split: AUC/KS/Gini unaffected, Brier/log loss optimistic; "
        "champion by design (explainable scorecard); credit_gbm is a challenger")


@pytest.mark.parametrize("sizes", ALL_SIZES, ids=lambda s: "-".join(k for k, v in s.items() if v) or "none")
def test_blobs_and_the_calibration_choice(sizes):
    plan = rows(sizes)
    # Blobs: the final champion always; the champion's test row whenever it is fitted and scored.
    kept = {(r.model, r.stage) for r in plan.values() if r.keeps_model}
    test_row = plan[credit.SCORECARD, "test"]
    assert kept == {(credit.SCORECARD, "final")} | ({(credit.SCORECARD, "test")} if test_row.skip is None else set())
    # The final refit reuses the method chosen by the champion's held-out fit exactly when that fit runs.
    held_out_fits = [r for r in (plan[credit.SCORECARD, "validation"], test_row) if r.skip is None]
    final = plan[credit.SCORECARD, "final"]
    assert final.reuse_calibration_choice == bool(held_out_fits)
    assert (pr.CALIBRATION_CHOICE_REUSED in final.notes) == bool(held_out_fits)
    assert not any(r.reuse_calibration_choice for r in plan.values() if r.stage != "final")


def test_no_validation_rows_calibrate_on_train():
    plan = rows({"train": 80, "validation": 0, "test": 20})
    for model in (credit.SCORECARD, credit.GBM):
        assert plan[model, "validation"].skip == "skipped: no validation rows"
        assert plan[model, "validation"].evaluate == ()
        t = plan[model, "test"]
        assert (t.fit, t.calibrate, t.evaluate, t.skip) == (("train",), ("train",), ("test",), None)
        assert credit.compose_note(t, "fit says", "calibration says") == (
            "fitted and calibrated on train; test played no part; fit says; "
            "no validation rows: Platt calibration fitted on train (in-sample); calibration says")
    final = plan[credit.SCORECARD, "final"]
    assert (final.fit, final.calibrate) == (("train",), ("test",))


def test_no_train_rows_skip_the_held_out_stages():
    plan = rows({"train": 0, "validation": 30, "test": 20})
    for model in credit.MODELS:
        for stage in ("validation", "test"):
            r = plan[model, stage]
            assert (r.fit, r.calibrate, r.evaluate) == ((), (), (stage,))
            assert r.skip == "skipped: no train rows to fit on" == credit.compose_note(r, "x", "y")
    final = plan[credit.SCORECARD, "final"]
    assert (final.fit, final.calibrate) == (("validation",), ("test",))
    assert pr.REFIT_ON_TEST not in final.notes


def test_no_train_or_validation_rows_refit_on_test():
    final = rows({"train": 0, "validation": 0, "test": 20})[credit.SCORECARD, "final"]
    assert (final.fit, final.calibrate) == (("test",), ("test",))
    assert credit.compose_note(final, None, None) == (
        "no train/validation rows: refit on test; "
        "no held-out test rows for calibration: Platt calibration fitted in-sample; "
        "refit on train+validation, calibrated on test; no held-out evaluation (see stage 'test')")


def test_no_test_rows_calibrate_the_final_fit_in_sample():
    plan = rows({"train": 70, "validation": 30, "test": 0})
    for model in credit.MODELS:
        assert plan[model, "test"].skip == "skipped: no test rows"
    final = plan[credit.SCORECARD, "final"]
    assert (final.fit, final.calibrate) == (("train", "validation"), ("train", "validation"))
    assert final.notes[0] == pr.FINAL_IN_SAMPLE


def test_compose_note_fills_in_the_runtime_notes():
    step = credit.StagePlan(credit.GBM, "test", fit=("train",), notes=("a", pr.FIT_NOTE, "b", pr.CALIBRATION_NOTE))
    assert credit.compose_note(step) == "a; b"
    assert credit.compose_note(step, "f", "c") == "a; f; b; c"
    assert credit.compose_note(credit.StagePlan(credit.GBM, "test")) is None


def test_bad_split_sizes_raise():
    with pytest.raises(ValueError, match="unknown split"):
        credit.plan_stages({"train": 5, "holdout": 3})
    with pytest.raises(ValueError, match=">= 0"):
        credit.plan_stages({"train": -1, "test": 3})
    with pytest.raises(ValueError, match="no labelled rows"):
        credit.plan_stages({"train": 0})
    assert credit.plan_stages({"test": 4})[-1].fit == ("test",)  # missing names count as 0
