"""Credit risk: probability of default, credit score, grade inputs and reason codes.

Modules (split by concern, as optbinning separates binning from scorecard)
-------
* :mod:`.params` -- :class:`CreditParams` (typed, frozen; :meth:`CreditParams.from_dbt`) and the
  models' hyper-parameters :class:`ScorecardParams`, :class:`GBMParams`, :class:`PlattParams`,
  :class:`ScoreCalibrationParams`.
* :mod:`.scaling` -- :class:`ScoreScaling`, :func:`pd_to_score` and :func:`score_to_pd`.
* :mod:`.binning` -- :class:`FeatureBinning`: bins, weights of evidence, information value.
* :mod:`.selection` -- the scorecard's logistic regression under the sign rule.
* :mod:`.calibration` -- Platt calibration, the step after ``fit``, and the scorecard's isotonic
  score-to-PD map.
* :mod:`.scorecard` -- :class:`CreditScorecard`, the champion (integer points, score-to-PD scale,
  reason codes).
* :mod:`.challenger` -- :class:`CreditGBM` (challenger) and :class:`BaseRateClassifier` (baseline).
* :mod:`.protocol` -- the out-of-time stage plan as a pure function (:func:`plan_stages`).
* :mod:`.training` -- :func:`fit_model` and :func:`fit_and_evaluate` (the training log).
* :mod:`.scoring` -- :func:`score`, :func:`scorecard_tables` (the scorecard as data),
  :func:`scorecard_points`, :func:`empty_scores`.
* :mod:`.reports` -- :func:`score_cohort` (the out-of-time test cohort scored by the test stage's
  champion) and :func:`calibration_table` (by score decile, with the Hosmer-Lemeshow statistic).

Models
------
* ``credit_scorecard_logit`` -- the explainable champion, always.  Per-feature binning fitted on
  the training rows: up to 20 quantile pre-bins for numerics (missing values in their own bin),
  categories ordered by bad rate (small ones merged with their neighbours, only the rarest pooled
  into ``(other)``), every pre-bin holding at least ``min_bin_share`` of the rows; pre-bins merged
  into at most ``n_bins`` groups whose bad rate is monotone or has a single peak / valley, keeping
  the most information value.  Then smoothed weight of evidence (WOE) per bin, an L2 logistic
  regression on the WOE columns with every coefficient bounded to the side that makes each bin's
  points follow its risk (:mod:`.selection`), then Platt calibration (a logistic regression on the
  model's logit; it sets the integer points) and the score-to-PD map, Platt or isotonic, chosen on
  the validation cohort by cross-fitting.
* ``credit_gbm`` -- challenger, ``HistGradientBoostingClassifier`` with the same Platt
  calibration.  Compared in the metrics table, never champion.
* ``credit_base_rate`` -- the training default rate for every account.

Every model is a scikit-learn style estimator: the constructor takes typed parameters only,
``fit(X, y)`` and ``calibrate(X, y)`` return the estimator, fitted attributes end in ``_``,
``predict_proba(X)[:, 1]`` is the probability of default. The stages (validation, test, final)
and their fallbacks are described in :mod:`.protocol`; :func:`fit_model` runs the same fit +
calibration outside that protocol (e.g. on a cross-validation fold; ``bench/credit_cv.py``).

``gender`` is a protected attribute: it is never used as a feature -- it is kept in the data for
fairness monitoring only.
"""

from __future__ import annotations

from ..params import ParameterError
from .binning import OTHER_CATEGORY, FeatureBinning
from .calibration import IsotonicScoreMap, PlattScaling
from .challenger import BaseRateClassifier, CreditGBM
from .params import (
    AUTO,
    CALIBRATION_METHODS,
    ISOTONIC,
    PLATT,
    CreditParams,
    GBMParams,
    PlattParams,
    ScoreCalibrationParams,
    ScorecardParams,
)
from .protocol import BASE_RATE, GBM, MODELS, SCORECARD, SPLITS, STAGES, StagePlan, compose_note, plan_stages
from .scaling import PD_CLIP, ScoreScaling, pd_to_score, score_to_pd
from .scorecard import MAX_REASONS, MISSING_SUFFIX, CreditScorecard
from .scoring import (
    SCORE_COLUMNS,
    ScorecardTables,
    champion_scorecard_table,
    empty_scorecard_tables,
    empty_scores,
    load_scorecard,
    score,
    scorecard_points,
    scorecard_tables,
)
from .training import (
    METRIC_COLUMNS,
    RESULT_COLUMNS,
    TrainingResult,
    evaluation_metrics,
    fit_and_evaluate,
    fit_model,
    make_model,
    no_model_result,
    version_params,
)
from .reports import CALIBRATION_COLUMNS, COHORT_COLUMNS, calibration_table, empty_cohort_scores, score_cohort

__all__ = [
    # names and columns
    "SCORECARD", "GBM", "BASE_RATE", "MODELS", "SPLITS", "STAGES",
    "METRIC_COLUMNS", "RESULT_COLUMNS", "SCORE_COLUMNS", "PD_CLIP", "OTHER_CATEGORY", "MISSING_SUFFIX", "MAX_REASONS",
    "COHORT_COLUMNS", "CALIBRATION_COLUMNS", "PLATT", "ISOTONIC", "AUTO", "CALIBRATION_METHODS",
    # parameters
    "CreditParams", "ScoreScaling", "ScorecardParams", "GBMParams", "PlattParams", "ScoreCalibrationParams",
    "ParameterError",
    # estimators
    "FeatureBinning", "PlattScaling", "IsotonicScoreMap", "CreditScorecard", "CreditGBM", "BaseRateClassifier",
    # protocol and training
    "StagePlan", "plan_stages", "compose_note", "TrainingResult", "make_model", "version_params",
    "fit_model", "fit_and_evaluate", "evaluation_metrics", "no_model_result",
    # reports on the out-of-time test cohort
    "score_cohort", "empty_cohort_scores", "calibration_table",
    # scoring
    "pd_to_score", "score_to_pd", "load_scorecard", "score", "scorecard_points", "scorecard_tables", "ScorecardTables",
    "champion_scorecard_table",
    "empty_scores", "empty_scorecard_tables",
]
