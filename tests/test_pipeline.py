"""End to end on a small planted shop: the score tables exist, cover every customer once, are in
range, and the holdout metrics beat trivial baselines — with the oracle's metrics beside them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopper_scores.demo_data import holdout_report
from shopper_scores.ml import credit, purchasing_power

from .conftest import query

pytestmark = pytest.mark.dbt


def test_score_tables_cover_every_known_customer_once(built_warehouse):
    known = query(
        built_warehouse,
        """
        select count(*) as n
        from intermediate.int_customers_unified
        cross join (select as_of_date from main.user_features limit 1) as scoring
        where first_seen_at is null or first_seen_at < scoring.as_of_date
        """,
    )["n"].iloc[0]
    assert known > 0
    for table in ["user_features", "purchasing_power_scores", "credit_scores", "credit_offers"]:
        counts = query(
            built_warehouse,
            f"select count(*) as n, count(distinct customer_id) as n_customers from main.{table}",
        )
        assert counts["n"].iloc[0] == known, table
        assert counts["n_customers"].iloc[0] == known, table


def test_scores_are_in_range_and_banded(built_warehouse):
    pp = query(built_warehouse, "select * from main.purchasing_power_scores")
    assert (pp["predicted_spend"] >= 0).all()
    assert pp["purchasing_power_score"].between(0, 100).all()
    assert set(pp["purchasing_power_tier"]) <= {"entry", "core", "plus", "premium"}
    # Higher predicted spend never gets a lower percentile.
    ordered = pp.sort_values("predicted_spend")
    assert ordered["purchasing_power_score"].is_monotonic_increasing

    credit = query(built_warehouse, "select * from main.credit_scores")
    assert credit["probability_of_default"].between(0, 1, inclusive="neither").all()
    assert credit["credit_grade"].notna().all()
    ordered = credit.sort_values("probability_of_default")
    assert ordered["credit_score"].is_monotonic_decreasing
    assert set(credit["score_status"]) <= {"scored", "thin_history", "no_history"}
    assert (credit["score_status"] == "scored").mean() > 0.3
    # Reasons are features of the scorecard, with a text.
    with_reason = credit[credit["reason_1_feature"].notna()]
    assert len(with_reason) > 0.5 * len(credit)
    assert with_reason["reason_1_text"].notna().all()


def test_credit_model_uses_no_excluded_or_protected_feature(built_warehouse):
    excluded = {"age_years", "region", "city_tier", "gender"}  # var decision_excluded_features + gender
    reasons = query(
        built_warehouse,
        """
        select reason_1_feature as feature from main.credit_scores
        union select reason_2_feature from main.credit_scores
        union select reason_3_feature from main.credit_scores
        """,
    )["feature"].dropna()
    assert len(reasons) > 0
    assert not set(reasons) & excluded
    blob = query(built_warehouse, "select model_blob from ml.ml_credit_training where stage = 'final' and is_champion")
    points = credit.scorecard_points(blob["model_blob"].iloc[0])
    assert not set(points["feature"]) & excluded
    # The purchasing-power model obeys the same policy (its spend sizes credit offers; every
    # stored model: tests/test_decision_policy.py).
    blob = query(built_warehouse, "select model_blob from ml.ml_purchasing_power_training where stage = 'final' and is_champion")
    assert not set(purchasing_power.load_model(blob["model_blob"].iloc[0]).spec.names) & excluded


def test_reasons_never_call_a_missing_value_high(built_warehouse):
    # A customer without instalments due has no late-payment share: a reason on it must say that
    # there is no history, not that the share is high.
    wrong = query(
        built_warehouse,
        """
        select count(*) as n
        from main.credit_scores as c
        inner join main.user_features as f using (customer_id, as_of_date)
        cross join (select reason_text from reference.credit_reason_codes
                    where feature_name = 'late_instalment_share') as r
        where f.instalments_due = 0
            and r.reason_text in (c.reason_1_text, c.reason_2_text, c.reason_3_text)
        """,
    )["n"].iloc[0]
    assert wrong == 0


def test_model_versions_are_content_hashes(built_warehouse):
    metrics = query(built_warehouse, "select * from main.model_metrics")
    assert metrics["model_version"].str.fullmatch(r"[0-9a-f]{16}").all()
    scores = query(built_warehouse, "select distinct model_version from main.purchasing_power_scores")
    final = metrics[(metrics["model_family"] == "purchasing_power") & (metrics["split"] == "final")]
    assert set(scores["model_version"]) == set(final.loc[final["is_champion"], "model_version"])


def _test_metrics(built_warehouse, family):
    metrics = query(
        built_warehouse,
        f"select * from main.model_metrics_wide where model_family = '{family}' and split = 'test'",
    )
    return metrics.set_index("model_name")


def test_purchasing_power_beats_baselines_on_the_holdout_and_trails_the_oracle(built_warehouse, demo_raw):
    test = _test_metrics(built_warehouse, "purchasing_power")
    champion = test[test["is_champion"]].iloc[0]
    for baseline in ["purchasing_power_mean", "purchasing_power_naive"]:
        assert champion["rmse"] < test.loc[baseline, "rmse"], baseline
        assert champion["mae"] < test.loc[baseline, "mae"], baseline
    assert champion["spearman"] > test.loc["purchasing_power_naive", "spearman"]
    assert champion["normalised_gini"] > 0.5

    # The oracle (true latent rates) scored on exactly the test rows of the protocol.
    oracle_metrics = holdout_report.purchasing_power_oracle(built_warehouse, demo_raw)
    assert oracle_metrics["n_eval"] == champion["n_eval"]
    print(f"\npurchasing power test: champion {champion.to_dict()}\noracle {oracle_metrics}")
    assert oracle_metrics["spearman"] > champion["spearman"] - 0.02
    assert oracle_metrics["rmse"] < test.loc["purchasing_power_mean", "rmse"]


def test_credit_scorecard_beats_base_rate_on_the_holdout_and_trails_the_oracle(built_warehouse, demo_raw):
    test = _test_metrics(built_warehouse, "credit")
    champion = test.loc["credit_scorecard_logit"]
    assert champion["is_champion"]
    assert champion["auc"] > 0.6
    assert champion["brier"] <= test.loc["credit_base_rate", "brier"] + 1e-9

    oracle_metrics = holdout_report.credit_oracle(built_warehouse, demo_raw)
    assert oracle_metrics["n_eval"] == champion["n_eval"]
    print(f"\ncredit test: champion {champion.to_dict()}\noracle {oracle_metrics}")
    # The planted outcome follows the project's default rule: dbt's labels must equal the truth's.
    accounts = query(
        built_warehouse,
        "select credit_account_id, is_default from intermediate.int_credit_training_set",
    )
    truth = pd.read_parquet(demo_raw / "truth" / "credit_account_truth.parquet")
    realised = truth.set_index(truth["credit_account_id"].astype(str))["defaulted"]
    assert np.array_equal(
        realised.reindex(accounts["credit_account_id"]).to_numpy(), accounts["is_default"].to_numpy()
    )
    assert oracle_metrics["auc"] > champion["auc"] - 0.05


def test_same_period_last_year_is_null_exactly_when_the_history_is_short(built_warehouse):
    rows = query(built_warehouse, """
        select features.feature_date, features.net_spend_same_period_last_year, context.first_order_date
        from intermediate.int_user_features_point_in_time as features
        cross join intermediate.int_scoring_context as context
    """)
    covered = pd.to_datetime(rows["feature_date"]) - pd.Timedelta(days=365) >= pd.to_datetime(rows["first_order_date"])
    assert covered.any()  # the demo reaches a year back from its later cut-offs
    assert rows.loc[covered, "net_spend_same_period_last_year"].notna().all()
    assert rows.loc[~covered, "net_spend_same_period_last_year"].isna().all()
