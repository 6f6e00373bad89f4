"""Typed, frozen parameters of the credit models.

:class:`CreditParams` is built once per run -- by the dbt model with :meth:`CreditParams.from_dbt`
from the scoring context and its plain ``dbt.config.get`` statements, or directly (benchmarks,
tests). Values that are dbt vars (``random_seed``, ``decision_excluded_features``, the score scale)
have no default here: they are declared once, in ``dbt_project.yml``. The hyper-parameters of the
models (:class:`ScorecardParams`, :class:`GBMParams`, :class:`PlattParams`,
:class:`ScoreCalibrationParams`) are the package's own and keep their defaults here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..params import (
    Checked,
    as_choice,
    HistGBMParams,
    ParameterError,
    as_choice,
    as_date,
    as_float,
    as_instance,
    as_int,
    as_name_list,
    checked,
)
from .scaling import ScoreScaling
from .selection import SIGN_POLICIES

__all__ = [
    "CreditParams", "ScorecardParams", "GBMParams", "PlattParams", "ScoreCalibrationParams", "ScoreScaling",
    "ParameterError", "PLATT", "ISOTONIC", "AUTO", "CALIBRATION_METHODS",
]

PLATT = "platt"
ISOTONIC = "isotonic"
AUTO = "auto"
CALIBRATION_METHODS = (PLATT, ISOTONIC)


# An empty scoring context means no clean order; the dbt check on int_scoring_context names the cause.
_EMPTY_CONTEXT_HINT = (" (no clean order: `dbt build --select +int_scoring_context` says how many raw "
                       "orders were read and rejected, and why)")


@dataclass(frozen=True)
class ScorecardParams(Checked):
    """Hyper-parameters of the WOE scorecard.

    Features are ranked by information value (those below ``min_information_value`` left out,
    at most ``max_features`` kept, the strongest first); no coefficient may contradict its WOE
    (WOE being ln(good/bad), every coefficient must be <= 0, so every bin's points follow its
    risk). ``sign_policy`` says how (see :mod:`.selection`): ``"bound"`` fits one logistic
    regression with that bound, a feature that would need the other sign ending at 0;
    ``"drop"`` drops such features one by one and refits. Unselected features keep their bins
    with coefficient 0. Numerics start from up to ``max_prebins`` quantile pre-bins before the
    supervised merging; a category needs ``min(min_bin_share * rows, min_category_rows)`` rows
    to be kept apart from ``(other)`` (see :mod:`.binning`).

    Defaults since issue 10 (chosen on development folds, docs/benchmarks.md): the bounded fit,
    every feature eligible (``min_information_value`` 0, ``max_features`` 100) and categories
    of 100 rows kept; before: drop, 0.02, 20 and the minimum share alone.
    """

    logit_C: float = checked(as_float, 1.0, strictly_positive=True)
    woe_smoothing: float = checked(as_float, 10.0, strictly_positive=True)
    max_iter: int = checked(as_int, 1000, minimum=1)
    min_information_value: float = checked(as_float, 0.0, minimum=0)
    max_features: int = checked(as_int, 100, minimum=1)
    max_prebins: int = checked(as_int, 20, minimum=1)
    sign_policy: str = checked(as_choice, "bound", choices=SIGN_POLICIES)
    min_category_rows: int = checked(as_int, 100, minimum=1)


@dataclass(frozen=True)
class GBMParams(HistGBMParams):
    """Hyper-parameters of the challenger's ``HistGradientBoostingClassifier`` (checks and the
    other defaults: :class:`~..params.HistGBMParams`)."""

    max_iter: int = 100
    max_leaf_nodes: int = 8
    min_samples_leaf: int = 50


@dataclass(frozen=True)
class PlattParams(Checked):
    """Platt calibration ``pd = sigmoid(a + b * logit)``: an L2 logistic regression on the model's
    logit (the same for the scorecard and the challenger)."""

    C: float = checked(as_float, 1.0, strictly_positive=True)
    max_iter: int = checked(as_int, 1000, minimum=1)


@dataclass(frozen=True)
class ScoreCalibrationParams(Checked):
    """How the scorecard maps its integer score to a probability of default.

    ``method``: ``"platt"`` (the Platt-calibrated log-odds the score stands for on its scale),
    ``"isotonic"`` (a non-increasing isotonic regression of the outcome on the integer score) or
    ``"auto"``: chosen on the calibration rows by ``n_folds``-fold cross-fitting -- each candidate
    fitted on the other folds and scored on the held-out one; isotonic only when its pooled
    out-of-fold log loss is lower than Platt's (ties and too few defaults to cross-fit: Platt, the
    smoother map). The points are Platt's in every case, so they keep meaning log-odds.
    """

    method: str = checked(as_choice, AUTO, choices=(*CALIBRATION_METHODS, AUTO))
    n_folds: int = checked(as_int, 5, minimum=2)


@dataclass(frozen=True, kw_only=True)
class CreditParams(Checked):
    """Everything a credit training run depends on.

    * ``random_seed`` -- dbt var ``random_seed`` (the challenger's ``random_state``).
    * ``scaling`` -- the score scale, stored in the fitted scorecard.
    * ``as_of_date`` -- the scoring date (labels the training log; ``None`` outside dbt).
    * ``excluded_features`` -- features the model must not use: names, or comma-separated text
      as the dbt var ``decision_excluded_features`` renders (``"age_years,region"``), the
      project's one exclusion policy (the purchasing-power model obeys it too).
    * ``n_bins`` (>= 1) -- at most this many bins per feature (plus ``(other)`` / ``(missing)``).
    * ``min_bin_share`` in [0, 1) -- every (pre-)bin holds at least this share of the rows.
    * ``scorecard``, ``gbm``, ``calibration`` -- the models' hyper-parameters.
    * ``score_calibration`` -- the scorecard's score-to-PD map (Platt, isotonic or chosen).
    """

    random_seed: int = checked(as_int, minimum=0)
    scaling: ScoreScaling = checked(as_instance, cls=ScoreScaling)
    as_of_date: dt.date | None = checked(as_date, None)
    excluded_features: tuple[str, ...] = checked(as_name_list, ())
    n_bins: int = checked(as_int, 6, minimum=1)
    min_bin_share: float = checked(as_float, 0.05, minimum=0, below=1)
    scorecard: ScorecardParams = checked(as_instance, default_factory=ScorecardParams, cls=ScorecardParams)
    gbm: GBMParams = checked(as_instance, default_factory=GBMParams, cls=GBMParams)
    calibration: PlattParams = checked(as_instance, default_factory=PlattParams, cls=PlattParams)
    score_calibration: ScoreCalibrationParams = checked(as_instance, default_factory=ScoreCalibrationParams,
                                                        cls=ScoreCalibrationParams)

    @classmethod
    def from_dbt(cls, context, *, random_seed, excluded_features, base_score, base_odds,
                 points_to_double_odds) -> "CreditParams":
        """Parameters of the dbt model ``ml_credit_training``.

        ``context``: the one-row frame of ``int_scoring_context`` (``as_of_date`` is read from
        it); the keywords are the values of the model's ``dbt.config.get`` statements
        (``random_seed``, ``decision_excluded_features``, ``credit_base_score``,
        ``credit_base_odds``, ``credit_points_to_double_odds``), as text or numbers.
        """
        if "as_of_date" not in getattr(context, "columns", ()):
            raise ParameterError("the scoring context must be a frame with an 'as_of_date' column")
        if len(context) != 1:
            raise ParameterError(f"the scoring context must hold exactly one row, got {len(context)}"
                                 + _EMPTY_CONTEXT_HINT * (len(context) == 0))
        return cls(
            as_of_date=as_date("as_of_date", context["as_of_date"].iloc[0], required=True),
            random_seed=random_seed,
            excluded_features=excluded_features,
            scaling=ScoreScaling(base_score=base_score, base_odds=base_odds,
                                 points_to_double_odds=points_to_double_odds),
        )
