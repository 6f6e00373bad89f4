"""Scoring with the stored scorecard: probability of default, credit score and reason codes.

Everything comes from the pickled :class:`~.scorecard.CreditScorecard` -- its calibrated
``predict_proba``, its reason codes and the score scale it was fitted with -- so a score always
matches the model_version of the row it came from.
"""

from __future__ import annotations

import pandas as pd

from ..features import decode_blob
from ..threads import with_fixed_threads
from .scaling import pd_to_score
from .scorecard import CreditScorecard

__all__ = ["SCORE_COLUMNS", "load_scorecard", "score", "scorecard_points", "empty_scores"]

SCORE_COLUMNS = [
    "customer_id", "probability_of_default", "credit_score",
    "reason_code_1", "reason_code_2", "reason_code_3",
]


def load_scorecard(model_blob: str) -> CreditScorecard:
    return decode_blob(model_blob, expected=CreditScorecard)


@with_fixed_threads
def score(model_blob: str, features: pd.DataFrame) -> pd.DataFrame:
    """Score one batch (stateless; safe to call batch by batch).

    Returns ``customer_id, probability_of_default, credit_score, reason_code_1..3``; the score
    scale is the one stored in the scorecard.
    """
    if "customer_id" not in features.columns:
        raise KeyError("features must contain customer_id")
    card = load_scorecard(model_blob)
    bins = card.bin_indices(features)  # once: the probability and the reason codes both read them
    probability = card.proba_from_logit(card.logit_from_bins(bins))[:, 1]
    codes = card.reason_codes(bins)
    out = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "probability_of_default": probability.astype(float),
        "credit_score": pd_to_score(probability, card.scaling),
    })
    for k in range(3):
        out[f"reason_code_{k + 1}"] = pd.Series(codes[k], dtype=object, index=out.index)
    return out[SCORE_COLUMNS]


def scorecard_points(model_blob: str) -> pd.DataFrame:
    """The scorecard for documentation: ``feature, bin_label, woe, points`` per bin."""
    card = load_scorecard(model_blob)
    records = []
    for binning, points in zip(card.binnings_, card.bin_points()):
        for label, woe, pts in zip(binning.labels_, binning.woe_, points):
            records.append({"feature": binning.feature, "bin_label": label,
                            "woe": float(woe), "points": float(pts)})
    return pd.DataFrame.from_records(records, columns=["feature", "bin_label", "woe", "points"])


def empty_scores() -> pd.DataFrame:
    """The (typed, empty) output of :func:`score`, for runs without a credit model."""
    return pd.DataFrame({
        "customer_id": pd.Series(dtype="string"),
        "probability_of_default": pd.Series(dtype="float64"),
        "credit_score": pd.Series(dtype="int64"),
        "reason_code_1": pd.Series(dtype="string"),
        "reason_code_2": pd.Series(dtype="string"),
        "reason_code_3": pd.Series(dtype="string"),
    })
