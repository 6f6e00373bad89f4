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
    # Reasons are features of the scorecard, with a code and a text.
    with_reason = credit[credit["reason_1_feature"].notna()]
    assert len(with_reason) > 0.5 * len(credit)
    assert with_reason["reason_1_text"].notna().all()
    assert with_reason["reason_1_code"].str.fullmatch(r"R\d{2}").all()
    # The score range is the scorecard's, and every score lies in it.
    assert (credit["credit_score_min"] <= credit["credit_score"]).all()
    assert (credit["credit_score"] <= credit["credit_score_max"]).all()
    assert credit["scored_at"].notna().all() and credit["scored_at"].nunique() == 1


def test_credit_model_uses_no_excluded_or_protected_feature(built_warehouse):
    excluded = {"age_years", "region", "city_tier", "gender"}  # var decision_excluded_features + gender
    reasons = query(
        built_warehouse,
        """
        select reason_1_feature as feature from main.credit_scores
        union select reason_2_feature from main.credit_scores
        union select reason_3_feature from main.credit_scores
        union select reason_4_feature from main.credit_scores
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


def _reasons(built_warehouse) -> pd.DataFrame:
    """One row per (customer, reason): its code, feature and text, the seed's templates and the
    customer's value of the feature read from user_features (as text, independently of the
    scorer's reason_value)."""
    features = query(built_warehouse, "select * from main.user_features").set_index("customer_id")
    seed = query(built_warehouse, "select * from reference.credit_reason_codes").set_index("feature_name")
    scores = query(built_warehouse, "select * from main.credit_scores")
    rows = []
    for k in range(1, credit.MAX_REASONS + 1):
        given = scores[scores[f"reason_{k}_feature"].notna()]
        for customer, code, feature, text in zip(given["customer_id"], given[f"reason_{k}_code"],
                                                 given[f"reason_{k}_feature"], given[f"reason_{k}_text"]):
            rows.append({"customer_id": customer, "rank": k, "code": code, "feature": feature, "text": text,
                         "value": features.at[customer, feature], **seed.loc[feature].to_dict()})
    return pd.DataFrame(rows)


def _shown_value_matches(shown: str, value, value_format: str) -> bool:
    """Whether ``shown`` (the text a reason put for {value}) is the customer's ``value``."""
    if value_format == "text":
        return shown == str(value)
    if value_format == "share":
        if shown == "< 1 %":
            return 0 < value < 0.005
        if shown == "> 99 %":
            return 0.995 <= value < 1
        assert shown.endswith(" %"), shown
        return abs(float(shown[:-2]) - 100 * value) <= 0.5 + 1e-9
    decimals = {"count": 0, "days": 0, "money": 2, "ratio": 2, "rating": 1}[value_format]
    assert shown.lstrip("-").replace(".", "", 1).isdigit() and shown.count(".") == (decimals > 0), shown
    # the scorer quotes 6 significant digits: a larger amount may differ in its last places
    return abs(float(shown) - float(value)) <= max(0.5 * 10 ** -decimals, 1e-5 * abs(float(value))) + 1e-9


def test_reasons_are_specific_and_quote_the_customers_value(built_warehouse):
    reasons = _reasons(built_warehouse)
    assert len(reasons) > 0 and (reasons["rank"] == 4).any()  # four reasons are really given
    assert reasons["text"].notna().all() and reasons["code"].notna().all()
    assert not reasons["text"].str.contains("higher-risk range|[{}]", case=False).any()
    missing = reasons["value"].isna()
    # A missing value gets the seed's missing-value text, and only a missing value does.
    assert (reasons.loc[missing, "text"] == reasons.loc[missing, "missing_reason_text"]).all()
    assert missing.any() and (~missing).any()
    checked = set()
    for row in reasons[~missing].itertuples(index=False):
        prefix, suffix = row.reason_text.split("{value}")
        assert row.text.startswith(prefix) and row.text.endswith(suffix), (row.text, row.reason_text)
        shown = row.text[len(prefix):len(row.text) - len(suffix)]
        assert _shown_value_matches(shown, row.value, row.value_format), (row.customer_id, row.feature, row.value, row.text)
        checked.add(row.value_format)
    assert {"share", "money", "days"} <= checked  # the demo's reasons use several formats


def test_reasons_are_features_of_the_scorecard(built_warehouse):
    reasons = _reasons(built_warehouse)
    scorecard = set(query(built_warehouse, "select distinct feature_name from main.credit_scorecard")["feature_name"])
    assert set(reasons["feature"]) <= scorecard
    assert len(set(reasons["feature"])) > 3


def test_reasons_never_call_a_missing_value_high(built_warehouse):
    # A customer without instalments due has no late-payment share: a reason on it must say that
    # there is no history, not quote a share.
    reasons = _reasons(built_warehouse)
    features = query(built_warehouse, "select customer_id, instalments_due from main.user_features")
    late = reasons[reasons["feature"] == "late_instalment_share"].merge(features, on="customer_id")
    no_history = late[late["instalments_due"] == 0]
    assert len(no_history) > 0
    assert (no_history["text"] == "No instalment repayment history yet").all()


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
