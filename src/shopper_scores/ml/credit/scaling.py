"""Score scaling: probability of default -> credit score (higher score = lower risk).

``odds_good = (1 - pd) / pd`` with pd clipped to [1e-6, 1 - 1e-6];
``factor = points_to_double_odds / ln 2``;
``score = base_score + factor * (ln(odds_good) - ln(base_odds))`` rounded half up; and back,
``pd = 1 / (1 + base_odds * 2 ** ((score - base_score) / PDO))`` (:func:`score_to_pd`).

The scaling is fixed when the scorecard is fitted and stored in it: scoring always uses the stored
scaling, so a credit_score never disagrees with the model_version that produced it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..params import Checked, as_float, checked

__all__ = ["PD_CLIP", "ScoreScaling", "pd_to_score", "score_to_pd"]

PD_CLIP = 1e-6


@dataclass(frozen=True)
class ScoreScaling(Checked):
    """``base_score`` points at good:bad odds of ``base_odds``; every ``points_to_double_odds``
    (PDO) more points double the odds. Values from the dbt vars ``credit_base_score``,
    ``credit_base_odds`` and ``credit_points_to_double_odds`` (text is accepted)."""

    base_score: float = checked(as_float)
    base_odds: float = checked(as_float, strictly_positive=True)
    points_to_double_odds: float = checked(as_float, strictly_positive=True)

    @property
    def factor(self) -> float:
        """Points per unit of log-odds: ``points_to_double_odds / ln 2``."""
        return self.points_to_double_odds / math.log(2.0)


def pd_to_score(probability_of_default, scaling: ScoreScaling) -> np.ndarray:
    """Credit score (int64) from probabilities of default; higher score = lower risk."""
    if not isinstance(scaling, ScoreScaling):
        raise TypeError(f"scaling must be a ScoreScaling, got {type(scaling).__name__}")
    p = np.clip(np.asarray(probability_of_default, dtype=float), PD_CLIP, 1 - PD_CLIP)
    log_odds_good = np.log1p(-p) - np.log(p)
    raw = scaling.base_score + scaling.factor * (log_odds_good - math.log(scaling.base_odds))
    return np.floor(raw + 0.5).astype("int64")


def score_to_pd(credit_score, scaling: ScoreScaling) -> np.ndarray:
    """Probability of default that the scale gives a (possibly fractional) score: the odds of
    good the score stands for, ``base_odds * 2 ** ((score - base_score) / PDO)``, clipped to
    [1e-6, 1 - 1e-6]. The Platt-calibrated scorecard's score-to-PD map."""
    if not isinstance(scaling, ScoreScaling):
        raise TypeError(f"scaling must be a ScoreScaling, got {type(scaling).__name__}")
    score = np.asarray(credit_score, dtype=float)
    log_odds_good = (score - scaling.base_score) / scaling.factor + math.log(scaling.base_odds)
    # |log-odds| beyond 50 is far outside the clip (1e-6): bounded so that exp never overflows
    return np.clip(1.0 / (1.0 + np.exp(np.clip(log_odds_good, -50.0, 50.0))), PD_CLIP, 1 - PD_CLIP)
