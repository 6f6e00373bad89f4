"""Scoring with the stored scorecard, and the scorecard as tables.

Everything comes from the pickled :class:`~.scorecard.CreditScorecard`: its integer points, the
score scale it was fitted with and its score-to-PD mapping -- so a score always matches the
model_version of the row it came from, and :func:`scorecard_tables` publishes exactly what
:func:`score` computes (the SQL scorer, macro ``credit_scorecard_points``, reads those tables).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..features import MISSING_CATEGORY, decode_blob, prepare_features
from ..threads import with_fixed_threads
from .binning import FeatureBinning
from .scorecard import MAX_REASONS, CreditScorecard

__all__ = [
    "SCORE_COLUMNS", "ScorecardTables", "load_scorecard", "score", "scorecard_points", "scorecard_tables",
    "champion_scorecard_table", "empty_scorecard_tables", "empty_scores",
]

REASON_CODE_COLUMNS = [f"reason_code_{k}" for k in range(1, MAX_REASONS + 1)]
REASON_VALUE_COLUMNS = [f"reason_value_{k}" for k in range(1, MAX_REASONS + 1)]
SCORE_COLUMNS = [
    "customer_id", "probability_of_default", "credit_score", *REASON_CODE_COLUMNS, *REASON_VALUE_COLUMNS,
]


def load_scorecard(model_blob: str) -> CreditScorecard:
    return decode_blob(model_blob, expected=CreditScorecard)


def _value_text(value) -> str | None:
    """A feature value as text for the reason texts (which format it): whole numbers without a
    decimal point, others to 15 significant digits (cents of large amounts survive), categories
    as they are, missing as None."""
    if isinstance(value, str):
        return None if value == MISSING_CATEGORY else value
    value = float(value)
    if np.isnan(value):
        return None
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else format(value, ".15g")


@with_fixed_threads
def score(model_blob: str, features: pd.DataFrame) -> pd.DataFrame:
    """Score one batch (stateless; safe to call batch by batch).

    Returns ``customer_id, probability_of_default, credit_score`` (the integer score: base points
    plus each bin's integer points; the PD is that score's entry in the score scale),
    ``reason_code_1..4`` (feature name, ``name:missing`` when the customer has no value) and
    ``reason_value_1..4`` (the customer's value of that feature as text, None when missing).
    """
    if "customer_id" not in features.columns:
        raise KeyError("features must contain customer_id")
    card = load_scorecard(model_blob)
    bins = card.bin_indices(features)  # once: the score and the reason codes both read them
    credit_score = card.score_from_bins(bins)
    out = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "probability_of_default": card.pd_from_score(credit_score).astype(float),
        "credit_score": credit_score,
    })
    codes = card.reason_codes(bins)
    prepared = prepare_features(features, card.feature_spec)
    for k, (code_column, value_column) in enumerate(zip(REASON_CODE_COLUMNS, REASON_VALUE_COLUMNS)):
        out[code_column] = pd.Series(codes[k], dtype=object, index=out.index)
        names = [None if code is None else code.split(":", 1)[0] for code in codes[k]]
        out[value_column] = pd.Series(
            [None if name is None else _value_text(prepared.at[i, name]) for i, name in enumerate(names)],
            dtype=object, index=out.index,
        )
    return out[SCORE_COLUMNS]


@dataclass(frozen=True)
class ScorecardTables:
    """The deployable scorecard as three frames (published by the ``credit_scorecard*`` marts).

    * ``bins`` -- every bin of every candidate feature: ``feature_name, feature_type, bin_id,
      bin_label, bin_type`` ('interval', 'categories', 'other', 'missing'), ``lower_bound``
      (exclusive; None = -inf), ``upper_bound`` (inclusive; None = +inf), ``n_rows, n_bads,
      event_rate, woe, iv_contribution, feature_iv, coefficient, points`` (integer),
      ``is_in_scorecard`` (the model uses the feature).
    * ``categories`` -- ``feature_name, category, bin_id`` of every kept category (others fall in
      the feature's 'other' bin, missing values in its 'missing' bin).
    * ``score_scale`` -- ``credit_score, probability_of_default`` for every reachable score, with
      ``base_points``, the scaling (``base_score, base_odds, points_to_double_odds``) and the
      ``calibration_method`` that maps the score to PD ('platt' or 'isotonic').
    """

    bins: pd.DataFrame
    categories: pd.DataFrame
    score_scale: pd.DataFrame


BIN_COLUMNS = [
    "feature_name", "feature_type", "bin_id", "bin_label", "bin_type", "lower_bound", "upper_bound",
    "n_rows", "n_bads", "event_rate", "woe", "iv_contribution", "feature_iv", "coefficient", "points",
    "is_in_scorecard",
]
CATEGORY_COLUMNS = ["feature_name", "category", "bin_id"]
SCALE_COLUMNS = [
    "credit_score", "probability_of_default", "base_points", "base_score", "base_odds", "points_to_double_odds",
    "calibration_method",
]


def _bin_rows(binning: FeatureBinning, coefficient: float, points: np.ndarray) -> list[dict]:
    n_rows, n_bad = binning.n_rows_.astype(float), binning.n_bad_.astype(float)
    n_good = n_rows - n_bad
    if n_bad.sum() > 0 and n_good.sum() > 0:
        iv_terms = (n_good / n_good.sum() - n_bad / n_bad.sum()) * binning.woe_
    else:
        iv_terms = np.zeros(binning.n_bins_)
    numeric = binning.kind == "numeric"
    n_bins = binning.n_bins_
    rows = []
    for bin_id, label in enumerate(binning.labels_):
        lower = upper = None
        if bin_id == n_bins - 1:
            bin_type = "missing"
        elif numeric:
            bin_type = "interval"
            lower = float(binning.edges_[bin_id - 1]) if bin_id > 0 else None
            upper = float(binning.edges_[bin_id]) if bin_id < len(binning.edges_) else None
        else:
            bin_type = "other" if bin_id == n_bins - 2 else "categories"
        rows.append({
            "feature_name": binning.feature, "feature_type": binning.kind, "bin_id": bin_id,
            "bin_label": label, "bin_type": bin_type, "lower_bound": lower, "upper_bound": upper,
            "n_rows": int(n_rows[bin_id]), "n_bads": int(n_bad[bin_id]),
            "event_rate": float(n_bad[bin_id] / n_rows[bin_id]) if n_rows[bin_id] else None,
            "woe": float(binning.woe_[bin_id]), "iv_contribution": float(iv_terms[bin_id]),
            "feature_iv": float(binning.information_value_), "coefficient": float(coefficient),
            "points": int(points[bin_id]), "is_in_scorecard": bool(coefficient != 0),
        })
    return rows


def scorecard_tables(model_blob: str) -> ScorecardTables:
    """The stored scorecard as :class:`ScorecardTables` (what :func:`score` computes, as data)."""
    card = load_scorecard(model_blob)
    bins = []
    categories = []
    for binning, coefficient, points in zip(card.binnings_, card.coef_, card.bin_points()):
        bins.extend(_bin_rows(binning, coefficient, points))
        categories.extend({"feature_name": binning.feature, "category": c, "bin_id": int(g)}
                          for c, g in zip(binning.categories_, binning.groups_))
    scale = card.score_scale()
    scale["base_points"] = card.base_points_
    scaling = card.scaling
    scale["base_score"] = float(scaling.base_score)
    scale["base_odds"] = float(scaling.base_odds)
    scale["points_to_double_odds"] = float(scaling.points_to_double_odds)
    scale["calibration_method"] = card.score_map_
    return ScorecardTables(
        bins=_typed(pd.DataFrame.from_records(bins, columns=BIN_COLUMNS), BIN_DTYPES),
        categories=_typed(pd.DataFrame.from_records(categories, columns=CATEGORY_COLUMNS), CATEGORY_DTYPES),
        score_scale=_typed(scale[SCALE_COLUMNS], SCALE_DTYPES),
    )


BIN_DTYPES = {
    "feature_name": "string", "feature_type": "string", "bin_id": "int64", "bin_label": "string",
    "bin_type": "string", "lower_bound": "float64", "upper_bound": "float64", "n_rows": "int64",
    "n_bads": "int64", "event_rate": "float64", "woe": "float64", "iv_contribution": "float64",
    "feature_iv": "float64", "coefficient": "float64", "points": "int64", "is_in_scorecard": "bool",
}
CATEGORY_DTYPES = {"feature_name": "string", "category": "string", "bin_id": "int64"}
SCALE_DTYPES = {
    "credit_score": "int64", "probability_of_default": "float64", "base_points": "int64",
    "base_score": "float64", "base_odds": "float64", "points_to_double_odds": "float64",
    "calibration_method": "string",
}


def _typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """``frame`` with fixed dtypes: an empty table (no model) keeps the same schema."""
    return frame.astype(dtypes)


def empty_scorecard_tables() -> ScorecardTables:
    """Typed, empty tables for runs without a credit model."""
    return ScorecardTables(
        bins=_typed(pd.DataFrame(columns=BIN_COLUMNS), BIN_DTYPES),
        categories=_typed(pd.DataFrame(columns=CATEGORY_COLUMNS), CATEGORY_DTYPES),
        score_scale=_typed(pd.DataFrame(columns=SCALE_COLUMNS), SCALE_DTYPES),
    )


def scorecard_points(model_blob: str) -> pd.DataFrame:
    """The scorecard for documentation: ``feature, bin_label, woe, points`` per bin."""
    bins = scorecard_tables(model_blob).bins
    return pd.DataFrame({
        "feature": bins["feature_name"].astype(object), "bin_label": bins["bin_label"].astype(object),
        "woe": bins["woe"].astype(float), "points": bins["points"].astype("int64"),
    })


def empty_scores() -> pd.DataFrame:
    """The (typed, empty) output of :func:`score`, for runs without a credit model."""
    return pd.DataFrame({
        "customer_id": pd.Series(dtype="string"),
        "probability_of_default": pd.Series(dtype="float64"),
        "credit_score": pd.Series(dtype="int64"),
        **{column: pd.Series(dtype="string") for column in REASON_CODE_COLUMNS + REASON_VALUE_COLUMNS},
    })


def champion_scorecard_table(champion: pd.Series | None, table: str) -> pd.DataFrame:
    """One of the :class:`ScorecardTables` (``"bins"``, ``"categories"`` or ``"score_scale"``)
    of the final champion row of the training log, tagged with its ``model_name`` and
    ``model_version``; typed and empty when training produced no model."""
    if table not in ("bins", "categories", "score_scale"):
        raise ValueError(f"credit: unknown scorecard table {table!r}")
    tables = empty_scorecard_tables() if champion is None else scorecard_tables(champion["model_blob"])
    frame = getattr(tables, table).copy()
    frame["model_name"] = pd.Series(None if champion is None else champion["model_name"],
                                    index=frame.index, dtype="string")
    frame["model_version"] = pd.Series(None if champion is None else champion["model_version"],
                                       index=frame.index, dtype="string")
    return frame
