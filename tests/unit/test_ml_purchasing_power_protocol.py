"""The stage plan on its own (no fits): leakage rules, short-history fallbacks and their notes."""

import itertools

import pytest

from shopper_scores.ml.purchasing_power import Stage, plan_stages


def roles(*indices: int) -> dict[int, str]:
    """Windows as int_feature_cutoffs labels them: 1 test, 2 validation, older training."""
    return {w: {1: "test", 2: "validation"}.get(w, "training") for w in indices}


def test_full_history():
    plan = plan_stages(roles(1, 2, 3, 4), 2)
    assert plan.validation == Stage("validation", (3, 4), 2, None)
    assert plan.test == Stage("test", (2, 3), 1, None)
    assert plan.final == Stage("final", (1, 2), None, None)
    # the second choice window: the oldest with an older one to fit on
    assert plan.extrapolation == Stage("extrapolation", (4,), 3, "trained on window(s) 4")
    assert [s.name for s in plan] == ["validation", "extrapolation", "test", "final"]
    assert plan.choice_stages == (plan.validation, plan.extrapolation)


def test_extrapolation_window_needs_an_older_training_window():
    assert plan_stages(roles(1, 2, 3), 2).extrapolation.skipped  # window 2 is the validation window
    assert plan_stages(roles(1, 2), 2).extrapolation.skipped
    plan = plan_stages(roles(1, 2, 3, 4, 5, 6), 3)
    assert plan.extrapolation == Stage("extrapolation", (6,), 5, "trained on window(s) 6")
    assert plan_stages(roles(1, 2, 3, 4, 5, 6), 1).extrapolation == Stage("extrapolation", (6,), 5, None)


def test_more_windows_than_needed_and_other_k():
    plan = plan_stages(roles(1, 2, 3, 4, 5, 6), 3)
    assert plan.validation.train_windows == (3, 4, 5) and plan.validation.eval_window == 2
    assert plan.test.train_windows == (2, 3, 4) and plan.test.eval_window == 1
    assert plan.final.train_windows == (1, 2, 3)
    plan = plan_stages(roles(1, 2, 3, 4, 5, 6), 1)
    assert (plan.validation.train_windows, plan.test.train_windows, plan.final.train_windows) == ((3,), (2,), (1,))


def test_roles_come_from_the_data_not_from_window_numbers():
    # A protocol whose evaluation windows sit elsewhere: the plan follows cutoff_role.
    plan = plan_stages({2: "test", 3: "validation", 4: "training", 5: "training"}, 2)
    assert plan.test == Stage("test", (3, 4), 2, None)
    assert plan.validation == Stage("validation", (4, 5), 3, None)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_no_stage_fits_on_its_evaluation_window_or_later_whatever_windows_exist(k):
    for n in range(1, 7):
        for present in itertools.combinations(range(1, 7), n):
            plan = plan_stages(roles(*present), k)
            for stage in (plan.validation, plan.test):
                assert set(stage.train_windows) <= set(present)
                assert len(stage.train_windows) <= k
                if stage.skipped:
                    assert stage.eval_window is None and stage.note.startswith("skipped:")
                else:
                    assert stage.eval_window in present
                    assert all(w > stage.eval_window for w in stage.train_windows)
            # the validation stage never sees the test window
            assert 1 not in plan.validation.train_windows
            assert plan.validation.eval_window != 1
            # final: the most recent windows there are, at most k of them
            assert plan.final.train_windows
            assert len(plan.final.train_windows) <= k
            recent = [w for w in sorted(present) if w <= k] or sorted(present)[:k]
            assert list(plan.final.train_windows) == recent


CUTOFFS = roles(1, 2, 3, 4)  # every cut-off int_feature_cutoffs lists (K = 2), rows or not


def test_single_window():
    plan = plan_stages(roles(1), 2, CUTOFFS)
    assert plan.validation == Stage("validation", (), None, "skipped: evaluation window 2 is not available")
    assert plan.test == Stage("test", (), None, "skipped: no training window among 2..3 (evaluation window 1)")
    assert plan.final == Stage("final", (1,), None, "short history: refit on window(s) 1 of 1..2")


def test_two_windows():
    plan = plan_stages(roles(1, 2), 2)
    assert plan.validation == Stage("validation", (), None,
                                    "skipped: no training window among 3..4 (evaluation window 2)")
    assert plan.test == Stage("test", (2,), 1, "short history: trained on window(s) 2 of 2..3")
    assert plan.final == Stage("final", (1, 2), None, None)


def test_missing_recent_window():
    plan = plan_stages(roles(2, 3), 2, CUTOFFS)
    assert plan.test == Stage("test", (), None, "skipped: evaluation window 1 is not available")
    assert plan.validation == Stage("validation", (3,), 2, "short history: trained on window(s) 3 of 3..4")
    assert plan.final == Stage("final", (2,), None, "short history: refit on window(s) 2 of 1..2")


def test_only_old_windows():
    plan = plan_stages(roles(4, 5), 2, roles(1, 2, 3, 4, 5))
    assert plan.validation.skipped and plan.validation.note == "skipped: evaluation window 2 is not available"
    assert plan.test.skipped and plan.test.note == "skipped: evaluation window 1 is not available"
    # Without the cut-off list the note names the role: the index is never guessed from another window.
    plan = plan_stages(roles(4, 5), 2)
    assert plan.validation.note == "skipped: evaluation window (validation) is not available"
    assert plan.test.note == "skipped: evaluation window (test) is not available"
    assert plan.final == Stage("final", (4, 5), None,
                               "no window among 1..2: refit on the most recent available window(s) 4,5")


def test_gap_inside_the_training_windows():
    plan = plan_stages(roles(1, 2, 4), 2)
    assert plan.validation == Stage("validation", (4,), 2, "short history: trained on window(s) 4 of 3..4")
    assert plan.test == Stage("test", (2,), 1, "short history: trained on window(s) 2 of 2..3")


@pytest.mark.parametrize("windows, message", [
    ({}, "no label windows"),
    ({0: "scoring", 1: "test"}, "window_index must be"),
    ({1: "scoring"}, "cutoff_role 'scoring'"),
    ({1: "test", 2: "test"}, "more than one test window"),
    ({1: "validation", 2: "test"}, "out of order"),
    ({1: "test", 2: "training", 3: "validation"}, "out of order"),
])
def test_invalid_windows_raise(windows, message):
    with pytest.raises(ValueError, match=message):
        plan_stages(windows, 2)


def test_invalid_k_raises():
    with pytest.raises(ValueError, match="n_train_windows"):
        plan_stages(roles(1, 2, 3), 0)
