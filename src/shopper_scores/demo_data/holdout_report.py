"""Holdout metrics of a built warehouse next to the oracle's, on the same rows.

The oracle predicts with the planted truth: each customer's expected net spend given their latent
purchase rate, spend level and churn time, and each credit account's true probability of default.
It is scored on exactly the rows the project's test split used (the latest complete label window
for purchasing power, the latest matured opening cohort for credit), so the two are comparable.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from shopper_scores.ml.metrics import classification_metrics, regression_metrics
from shopper_scores.ml.purchasing_power import horizon_scaled_spend

from . import oracle

REGRESSION_COLUMNS = ["mae", "rmse", "r2", "spearman", "normalised_gini", "top_decile_capture"]
CLASSIFICATION_COLUMNS = ["auc", "ks", "gini", "brier", "log_loss"]


def _read(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(sql).df()


def purchasing_power_oracle(warehouse: Path, raw_dir: Path) -> dict:
    """Oracle regression metrics on the purchasing-power test rows (the 'test' window). The
    oracle's expectation over the label window and the label are scaled to the horizon the way the
    project's inner metrics scale labels (:func:`~shopper_scores.ml.purchasing_power.horizon_scaled_spend`)."""
    context = _read(warehouse, "select horizon_days, label_window_days from intermediate.int_scoring_context")
    rows = _read(
        warehouse,
        """
        select customer_id, feature_date, label_window_spend
        from intermediate.int_purchasing_power_training_set
        where cutoff_role = 'test'
        order by customer_id
        """,
    )
    truth = pd.read_parquet(Path(raw_dir) / "truth" / "customer_truth.parquet")
    window_days = int(context["label_window_days"].iloc[0])
    horizon_days = int(context["horizon_days"].iloc[0])
    expected = oracle.expected_net_spend(truth, pd.Timestamp(rows["feature_date"].iloc[0]), window_days)
    expected.index = expected.index.astype(str)
    expected_in_window = expected.reindex(rows["customer_id"].astype(str)).fillna(0.0).to_numpy()
    prediction = horizon_scaled_spend(expected_in_window, window_days, horizon_days)
    label = horizon_scaled_spend(rows["label_window_spend"].to_numpy(dtype=float), window_days, horizon_days)
    return {"n_eval": len(rows), **regression_metrics(label, prediction)}


def credit_oracle(warehouse: Path, raw_dir: Path) -> dict:
    """Oracle classification metrics (true PD) on the credit test cohort."""
    accounts = _read(
        warehouse,
        "select credit_account_id, is_default from intermediate.int_credit_training_set where split = 'test'",
    )
    truth = pd.read_parquet(Path(raw_dir) / "truth" / "credit_account_truth.parquet")
    true_pd = oracle.true_pd(truth)
    true_pd.index = true_pd.index.astype(str)
    prediction = true_pd.reindex(accounts["credit_account_id"].astype(str)).to_numpy()
    return {"n_eval": len(accounts), **classification_metrics(accounts["is_default"].to_numpy(), prediction)}


def comparison_table(warehouse: Path, raw_dir: Path) -> pd.DataFrame:
    """One row per (family, model) of the test split, plus the oracle row of each family."""
    metrics = _read(
        warehouse,
        """
        -- model_metrics keeps every version ever scored (model_metrics_wide: a column per metric);
        -- report the ones of the latest build.
        select * from main.model_metrics_wide
        where split = 'test'
            and model_version in (
                select model_version from ml.ml_purchasing_power_training
                union all
                select model_version from ml.ml_credit_training
            )
        order by model_family desc, model_name
        """,
    )
    rows = []
    for family, oracle_metrics in (
        ("purchasing_power", purchasing_power_oracle(warehouse, raw_dir)),
        ("credit", credit_oracle(warehouse, raw_dir)),
    ):
        columns = REGRESSION_COLUMNS if family == "purchasing_power" else CLASSIFICATION_COLUMNS
        for _, row in metrics[metrics["model_family"] == family].iterrows():
            name = row["model_name"] + (" (champion)" if row["is_champion"] else "")
            rows.append({"family": family, "model": name, "n_eval": row["n_eval"], **{c: row[c] for c in columns}})
        rows.append({"family": family, "model": "oracle (planted truth)", **{c: oracle_metrics[c] for c in ["n_eval", *columns]}})
    return pd.DataFrame(rows)
