"""The out-of-time protocol as a pure plan: which splits every (model, stage) row of the training
log fits, calibrates and evaluates on, and the notes that say so -- a function of the split sizes
only (like scikit-learn's splitters), so the leakage rules are tested without fitting anything.

Stages
------
* ``validation``: fit on train, calibrate on validation, metrics on validation.  The calibrator
  saw this split (AUC/KS/Gini are unaffected by the monotone calibration; Brier and log loss are
  optimistic).  The scorecard's calibration method (Platt or isotonic) is chosen here, by
  cross-fitting within the validation split (:class:`~.scorecard.CreditScorecard`).
* ``test``: the same fitted and calibrated models scored on test; the test split played no part
  in fitting, calibrating or choosing.  The champion's row carries its pickled scorecard (fitted
  on train, calibrated on validation), so the test cohort's predictions can be reported
  (``credit_calibration``, ``credit_grade_summary``, ``credit_cutoff_tradeoffs``).
* ``final``: the champion refit on train + validation and calibrated on test with the calibration
  method chosen on validation (``reuse_calibration_choice``); its pickled scorecard scores
  customers.

Missing splits degrade gracefully with a note: no validation rows -- calibrate on train; no
train rows -- the validation and test rows are skipped; no train/validation rows -- the final
refit is on test; no test rows (or the refit is on test) -- the final calibration is in-sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..training_log import join_notes

__all__ = [
    "SCORECARD", "GBM", "BASE_RATE", "MODELS", "CHAMPION", "SPLITS", "STAGES",
    "FIT_NOTE", "CALIBRATION_NOTE", "StagePlan", "plan_stages", "compose_note",
]

SCORECARD = "credit_scorecard_logit"
GBM = "credit_gbm"
BASE_RATE = "credit_base_rate"
MODELS = (SCORECARD, GBM, BASE_RATE)
CHAMPION = SCORECARD  # by design: the explainable scorecard
CALIBRATED = (SCORECARD, GBM)  # the base rate is never calibrated
SPLITS = ("train", "validation", "test")
STAGES = ("validation", "test", "final")

# Placeholders in StagePlan.notes for what the fit and the calibration report at run time.
FIT_NOTE = "{fit}"
CALIBRATION_NOTE = "{calibration}"

VALIDATION_SEEN = "the Platt calibrator saw this split: AUC/KS/Gini unaffected, Brier/log loss optimistic"
TEST_UNSEEN = "fitted on train, calibrated on validation; test played no part"
TEST_UNSEEN_NO_VALIDATION = "fitted and calibrated on train; test played no part"
BASE_RATE_TEST_UNSEEN = "test played no part"
CHAMPION_BY_DESIGN = "champion by design (explainable scorecard); credit_gbm is a challenger"
CALIBRATED_ON_TRAIN = "no validation rows: Platt calibration fitted on train (in-sample)"
NO_TRAIN = "skipped: no train rows to fit on"
REFIT_ON_TEST = "no train/validation rows: refit on test"
FINAL_IN_SAMPLE = "no held-out test rows for calibration: Platt calibration fitted in-sample"
FINAL_NOTE = "refit on train+validation, calibrated on test; no held-out evaluation (see stage 'test')"
CALIBRATION_CHOICE_REUSED = "calibration method as chosen at the held-out stages"


@dataclass(frozen=True)
class StagePlan:
    """One (model, stage) row of the training log.

    ``fit`` / ``calibrate`` / ``evaluate``: the splits (their rows concatenated in this order)
    the model is fitted on, its Platt calibrator is fitted on and its metrics are computed on;
    empty when there is none. A row with a ``skip`` reason is not fitted and holds no metrics
    (its splits still give the row's dates and sizes). ``notes``: the row's note in order, with
    :data:`FIT_NOTE` / :data:`CALIBRATION_NOTE` where the fit's and the calibration's own notes
    go (see :func:`compose_note`). ``reuse_calibration_choice``: the row's scorecard uses the
    calibration method its model's held-out fit chose instead of choosing again on its own
    calibration rows (the final refit, whenever the held-out stages fitted). ``keeps_model``:
    the row carries its fitted model's blob (the champion's test and final rows).
    """

    model: str
    stage: str
    fit: tuple[str, ...] = ()
    calibrate: tuple[str, ...] = ()
    evaluate: tuple[str, ...] = ()
    skip: str | None = None
    notes: tuple[str, ...] = ()
    reuse_calibration_choice: bool = False
    keeps_model: bool = False

    @property
    def is_champion(self) -> bool:
        return self.model == CHAMPION


def _sizes(split_sizes: Mapping[str, int]) -> dict[str, int]:
    unknown = sorted(set(split_sizes) - set(SPLITS))
    if unknown:
        raise ValueError(f"credit: unknown split(s) {unknown}; expected {list(SPLITS)}")
    sizes = {s: int(split_sizes.get(s, 0)) for s in SPLITS}
    if any(n < 0 for n in sizes.values()):
        raise ValueError(f"credit: split sizes must be >= 0, got {sizes}")
    if not sum(sizes.values()):
        raise ValueError("credit: no labelled rows in any split -- nothing to plan")
    return sizes


def _held_out_rows(stage: str, sizes: dict[str, int]) -> list[StagePlan]:
    """The validation or test rows: every model fitted on train, the calibrated ones calibrated on
    validation (on train when there is no validation split), scored on ``stage``'s split."""
    has_train, has_validation = sizes["train"] > 0, sizes["validation"] > 0
    evaluate = (stage,) if sizes[stage] else ()
    rows = []
    for model in MODELS:
        calibrated = model in CALIBRATED
        fit = ("train",) if has_train else ()
        calibrate = (("validation",) if has_validation else ("train",)) if calibrated and has_train else ()
        skip = NO_TRAIN if not has_train else (None if evaluate else f"skipped: no {stage} rows")
        if not calibrated:
            notes = (FIT_NOTE, BASE_RATE_TEST_UNSEEN) if stage == "test" else (FIT_NOTE,)
        else:
            if stage == "validation":
                stage_note = VALIDATION_SEEN
            else:
                stage_note = TEST_UNSEEN if has_validation else TEST_UNSEEN_NO_VALIDATION
            fallback = () if has_validation else (CALIBRATED_ON_TRAIN,)
            notes = (stage_note, FIT_NOTE, *fallback, CALIBRATION_NOTE)
            if model == CHAMPION and stage == "validation":
                notes += (CHAMPION_BY_DESIGN,)
        rows.append(StagePlan(model, stage, fit=fit, calibrate=calibrate, evaluate=evaluate,
                              skip=skip, notes=notes if skip is None else (),
                              keeps_model=model == CHAMPION and stage == "test" and skip is None))
    return rows


def _final_row(sizes: dict[str, int]) -> StagePlan:
    """The champion refit on train + validation, calibrated on test (with the fallbacks)."""
    notes: list[str] = []
    fit = tuple(s for s in ("train", "validation") if sizes[s])
    if not fit:
        fit = ("test",)
        notes.append(REFIT_ON_TEST)
    if sizes["test"] and fit != ("test",):
        calibrate = ("test",)
    else:
        calibrate = fit
        notes.append(FINAL_IN_SAMPLE)
    # The held-out stages fit the champion whenever there are train rows and something to score.
    reuse = sizes["train"] > 0 and (sizes["validation"] > 0 or sizes["test"] > 0)
    return StagePlan(CHAMPION, "final", fit=fit, calibrate=calibrate,
                     notes=(*notes, FIT_NOTE, CALIBRATION_NOTE, *((CALIBRATION_CHOICE_REUSED,) if reuse else ()),
                            FINAL_NOTE),
                     reuse_calibration_choice=reuse, keeps_model=True)


def plan_stages(split_sizes: Mapping[str, int]) -> list[StagePlan]:
    """The rows of one training run, in log order: validation and test for every model of
    :data:`MODELS`, then the champion's final refit.

    ``split_sizes``: labelled rows per split name (missing names count as 0; at least one row in
    all). Validation and test rows share one fit (same ``fit`` and ``calibrate``), and the test
    split is never fitted or calibrated on before ``final``.
    """
    sizes = _sizes(split_sizes)
    return [*_held_out_rows("validation", sizes), *_held_out_rows("test", sizes), _final_row(sizes)]


def compose_note(plan: StagePlan, fit_note: str | None = None, calibration_note: str | None = None) -> str | None:
    """The row's note: the skip reason, or ``plan.notes`` with the fit's and calibration's notes
    in their places, joined with '; ' (empty parts dropped)."""
    if plan.skip is not None:
        return plan.skip
    fill = {FIT_NOTE: fit_note, CALIBRATION_NOTE: calibration_note}
    return join_notes(*(fill.get(note, note) for note in plan.notes))
