"""The out-of-time test cohort scored by the champion of the 'test' stage, and its calibration
report: what ``credit_calibration``, ``credit_grade_summary`` and ``credit_cutoff_tradeoffs``
read.

The test stage's scorecard was fitted on train and calibrated on validation; the test cohort
played no part in it (see :mod:`.protocol`), so its predictions are an honest check of the PDs
that scoring publishes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import hosmer_lemeshow, hosmer_lemeshow_terms, risk_groups
from .scoring import load_scorecard, score
from .training import N_RISK_GROUPS

__all__ = ["COHORT_COLUMNS", "CALIBRATION_COLUMNS", "score_cohort", "empty_cohort_scores", "calibration_table"]

COHORT_KEYS = ["credit_account_id", "customer_id", "feature_date", "is_default"]
COHORT_COLUMNS = [
    *COHORT_KEYS, "probability_of_default", "credit_score", "calibration_method", "model_name", "model_version",
]
COHORT_DTYPES = {
    "credit_account_id": "string", "customer_id": "string", "feature_date": "datetime64[us]",
    "is_default": "int64", "probability_of_default": "float64", "credit_score": "int64",
    "calibration_method": "string", "model_name": "string", "model_version": "string",
}
CALIBRATION_COLUMNS = [
    "score_decile", "min_credit_score", "max_credit_score", "n_accounts", "n_defaults",
    "observed_default_rate", "expected_defaults", "predicted_default_rate", "hosmer_lemeshow_term",
    "hosmer_lemeshow_statistic", "hosmer_lemeshow_df", "hosmer_lemeshow_p_value",
    "first_feature_date", "last_feature_date", "calibration_method", "model_name", "model_version",
]
CALIBRATION_DTYPES = {
    "score_decile": "int64", "min_credit_score": "int64", "max_credit_score": "int64", "n_accounts": "int64",
    "n_defaults": "int64", "observed_default_rate": "float64", "expected_defaults": "float64",
    "predicted_default_rate": "float64", "hosmer_lemeshow_term": "float64", "hosmer_lemeshow_statistic": "float64",
    "hosmer_lemeshow_df": "int64", "hosmer_lemeshow_p_value": "float64", "first_feature_date": "datetime64[us]",
    "last_feature_date": "datetime64[us]", "calibration_method": "string", "model_name": "string",
    "model_version": "string",
}


def empty_cohort_scores() -> pd.DataFrame:
    """The typed, empty output of :func:`score_cohort` (no test-stage champion, or no test rows)."""
    return pd.DataFrame(columns=COHORT_COLUMNS).astype(COHORT_DTYPES)


def score_cohort(champion: pd.Series | None, cohort: pd.DataFrame) -> pd.DataFrame:
    """Every account of ``cohort`` (rows of ``int_credit_training_set``: the keys, ``is_default``
    and the features as of the opening date) scored by ``champion`` (a training-log row with
    ``model_blob``, ``model_name``, ``model_version``; None = no model): the keys, the outcome,
    ``probability_of_default``, ``credit_score`` and the scorecard's ``calibration_method``
    (its score-to-PD map), one row per account, in the cohort's order."""
    missing = [c for c in COHORT_KEYS if c not in cohort.columns]
    if missing:
        raise KeyError(f"credit: the cohort lacks column(s) {missing}")
    if champion is None or len(cohort) == 0:
        return empty_cohort_scores()
    scored = score(champion["model_blob"], cohort)  # keeps the row order
    out = cohort[COHORT_KEYS].reset_index(drop=True).copy()
    out["probability_of_default"] = scored["probability_of_default"].to_numpy()
    out["credit_score"] = scored["credit_score"].to_numpy()
    out["calibration_method"] = load_scorecard(champion["model_blob"]).score_map_
    out["model_name"] = champion["model_name"]
    out["model_version"] = champion["model_version"]
    return out[COHORT_COLUMNS].astype(COHORT_DTYPES)


def calibration_table(predictions: pd.DataFrame, n_groups: int = N_RISK_GROUPS) -> pd.DataFrame:
    """Predicted vs observed default rate by score decile of scored accounts
    (:func:`score_cohort`'s output), one row per non-empty decile.

    Deciles of the integer credit score (:func:`~shopper_scores.ml.metrics.risk_groups`): decile
    1 holds the lowest scores (riskiest), accounts with the same score share a decile, so a decile
    can be missing when one score holds more than a tenth of the accounts. Per decile: score range,
    accounts, defaults, observed rate, expected defaults (sum of PDs) and mean PD, and its term of
    the Hosmer-Lemeshow statistic; every row repeats the statistic, its degrees of freedom (the
    number of deciles: the test stage's calibrator never saw these accounts) and chi-square
    p-value -- the values ``model_metrics`` holds for the champion's test row.
    """
    if len(predictions) == 0:
        return pd.DataFrame(columns=CALIBRATION_COLUMNS).astype(CALIBRATION_DTYPES)
    # SQL promises no row order, and float sums depend on it: one fixed order, the same every build.
    predictions = predictions.sort_values(["credit_score", "credit_account_id"], kind="stable")
    y = predictions["is_default"].to_numpy(dtype=float)
    p = predictions["probability_of_default"].to_numpy(dtype=float)
    score_values = predictions["credit_score"].to_numpy(dtype=np.int64)
    frame = pd.DataFrame({"score_decile": risk_groups(score_values, n_groups), "credit_score": score_values,
                          "is_default": y, "probability_of_default": p})
    table = frame.groupby("score_decile", sort=True).agg(
        min_credit_score=("credit_score", "min"), max_credit_score=("credit_score", "max"),
        n_accounts=("credit_score", "size"), n_defaults=("is_default", "sum"),
        expected_defaults=("probability_of_default", "sum"),
    ).reset_index()
    table["observed_default_rate"] = table["n_defaults"] / table["n_accounts"]
    table["predicted_default_rate"] = table["expected_defaults"] / table["n_accounts"]
    table["hosmer_lemeshow_term"] = hosmer_lemeshow_terms(table["n_defaults"], table["expected_defaults"],
                                                          table["n_accounts"])
    statistic = hosmer_lemeshow(y, p, frame["score_decile"].to_numpy())
    table["hosmer_lemeshow_statistic"] = statistic["hosmer_lemeshow"]
    table["hosmer_lemeshow_df"] = int(statistic["hosmer_lemeshow_df"])
    table["hosmer_lemeshow_p_value"] = statistic["hosmer_lemeshow_p_value"]
    dates = pd.to_datetime(predictions["feature_date"])
    table["first_feature_date"] = dates.min()
    table["last_feature_date"] = dates.max()
    table["calibration_method"] = predictions["calibration_method"].iloc[0]
    table["model_name"] = predictions["model_name"].iloc[0]
    table["model_version"] = predictions["model_version"].iloc[0]
    return table[CALIBRATION_COLUMNS].astype(CALIBRATION_DTYPES)
