"""Typed, frozen parameters of the credit models.

:class:`CreditParams` is built once per run -- by the dbt model with :meth:`CreditParams.from_dbt`
from the scoring context and its plain ``dbt.config.get`` statements, or directly (benchmarks,
tests). Values that are dbt vars (``random_seed``, ``credit_excluded_features``, the score scale)
have no default here: they are declared once, in ``dbt_project.yml``. The hyper-parameters of the
models (:class:`ScorecardParams`, :class:`GBMParams`, :class:`PlattParams`) are the package's own
and keep their defaults here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..params import ParameterError, as_date, as_float, as_int, as_name_list
from .scaling import ScoreScaling

__all__ = ["CreditParams", "ScorecardParams", "GBMParams", "PlattParams", "ScoreScaling", "ParameterError"]


def _set(obj, name: str, value) -> None:
    object.__setattr__(obj, name, value)


def _as_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"parameter {name!r} must be True or False, got {value!r}")
    return value


def _as_instance(name: str, value, cls: type):
    if not isinstance(value, cls):
        raise ParameterError(f"parameter {name!r} must be a {cls.__name__}, got {value!r}")
    return value


@dataclass(frozen=True)
class ScorecardParams:
    """Hyper-parameters of the WOE scorecard.

    Scorecard practice: only features with some univariate power (information value >=
    ``min_information_value``), the strongest first (at most ``max_features``), and none whose
    coefficient contradicts its WOE (signs must be negative, WOE being ln(good/bad)); unselected
    features keep their bins with coefficient 0. Numerics start from up to ``max_prebins``
    quantile pre-bins before the supervised merging (see :mod:`.binning`).
    """

    logit_C: float = 1.0
    woe_smoothing: float = 10.0
    max_iter: int = 1000
    min_information_value: float = 0.02
    max_features: int = 20
    max_prebins: int = 20

    def __post_init__(self) -> None:
        _set(self, "logit_C", as_float("logit_C", self.logit_C, strictly_positive=True))
        _set(self, "woe_smoothing", as_float("woe_smoothing", self.woe_smoothing, strictly_positive=True))
        _set(self, "max_iter", as_int("max_iter", self.max_iter, minimum=1))
        _set(self, "min_information_value", as_float("min_information_value", self.min_information_value, minimum=0))
        _set(self, "max_features", as_int("max_features", self.max_features, minimum=1))
        _set(self, "max_prebins", as_int("max_prebins", self.max_prebins, minimum=1))


@dataclass(frozen=True)
class GBMParams:
    """Hyper-parameters of the challenger's ``HistGradientBoostingClassifier``."""

    learning_rate: float = 0.05
    max_iter: int = 100
    max_leaf_nodes: int = 8
    min_samples_leaf: int = 50
    l2_regularization: float = 1.0
    max_bins: int = 255
    early_stopping: bool = False

    def __post_init__(self) -> None:
        _set(self, "learning_rate", as_float("learning_rate", self.learning_rate, strictly_positive=True))
        _set(self, "max_iter", as_int("max_iter", self.max_iter, minimum=1))
        _set(self, "max_leaf_nodes", as_int("max_leaf_nodes", self.max_leaf_nodes, minimum=2))
        _set(self, "min_samples_leaf", as_int("min_samples_leaf", self.min_samples_leaf, minimum=1))
        _set(self, "l2_regularization", as_float("l2_regularization", self.l2_regularization, minimum=0))
        max_bins = as_int("max_bins", self.max_bins, minimum=2)
        if max_bins > 255:
            raise ParameterError(f"parameter 'max_bins' must be <= 255, got {max_bins}")
        _set(self, "max_bins", max_bins)
        _set(self, "early_stopping", _as_bool("early_stopping", self.early_stopping))


@dataclass(frozen=True)
class PlattParams:
    """Platt calibration ``pd = sigmoid(a + b * logit)``: an L2 logistic regression on the model's
    logit (the same for the scorecard and the challenger)."""

    C: float = 1.0
    max_iter: int = 1000

    def __post_init__(self) -> None:
        _set(self, "C", as_float("C", self.C, strictly_positive=True))
        _set(self, "max_iter", as_int("max_iter", self.max_iter, minimum=1))


@dataclass(frozen=True, kw_only=True)
class CreditParams:
    """Everything a credit training run depends on.

    * ``random_seed`` -- dbt var ``random_seed`` (the challenger's ``random_state``).
    * ``scaling`` -- the score scale, stored in the fitted scorecard.
    * ``as_of_date`` -- the scoring date (labels the training log; ``None`` outside dbt).
    * ``excluded_features`` -- features the model must not use: names, or comma-separated text
      as the dbt var ``credit_excluded_features`` renders (``"age_years,region"``).
    * ``n_bins`` (>= 1) -- at most this many bins per feature (plus ``(other)`` / ``(missing)``).
    * ``min_bin_share`` in [0, 1) -- every (pre-)bin holds at least this share of the rows.
    * ``scorecard``, ``gbm``, ``calibration`` -- the models' hyper-parameters.
    """

    random_seed: int
    scaling: ScoreScaling
    as_of_date: dt.date | None = None
    excluded_features: tuple[str, ...] = ()
    n_bins: int = 6
    min_bin_share: float = 0.05
    scorecard: ScorecardParams = field(default_factory=ScorecardParams)
    gbm: GBMParams = field(default_factory=GBMParams)
    calibration: PlattParams = field(default_factory=PlattParams)

    def __post_init__(self) -> None:
        _set(self, "random_seed", as_int("random_seed", self.random_seed, minimum=0))
        _as_instance("scaling", self.scaling, ScoreScaling)
        _set(self, "as_of_date", as_date("as_of_date", self.as_of_date))
        _set(self, "excluded_features", as_name_list("excluded_features", self.excluded_features))
        _set(self, "n_bins", as_int("n_bins", self.n_bins, minimum=1))
        _set(self, "min_bin_share", as_float("min_bin_share", self.min_bin_share, minimum=0, below=1))
        _as_instance("scorecard", self.scorecard, ScorecardParams)
        _as_instance("gbm", self.gbm, GBMParams)
        _as_instance("calibration", self.calibration, PlattParams)

    @classmethod
    def from_dbt(cls, context, *, random_seed, excluded_features, base_score, base_odds,
                 points_to_double_odds) -> "CreditParams":
        """Parameters of the dbt model ``ml_credit_training``.

        ``context``: the one-row frame of ``int_scoring_context`` (``as_of_date`` is read from
        it); the keywords are the values of the model's ``dbt.config.get`` statements
        (``random_seed``, ``credit_excluded_features``, ``credit_base_score``,
        ``credit_base_odds``, ``credit_points_to_double_odds``), as text or numbers.
        """
        if "as_of_date" not in getattr(context, "columns", ()):
            raise ParameterError("the scoring context must be a frame with an 'as_of_date' column")
        if len(context) != 1:
            raise ParameterError(f"the scoring context must hold exactly one row, got {len(context)}")
        return cls(
            as_of_date=as_date("as_of_date", context["as_of_date"].iloc[0], required=True),
            random_seed=random_seed,
            excluded_features=excluded_features,
            scaling=ScoreScaling(base_score=base_score, base_odds=base_odds,
                                 points_to_double_odds=points_to_double_odds),
        )
