"""The credit scorecard as data and as SQL: the plain-SQL scorer (macro credit_scorecard_points,
int_credit_sql_scores) gives exactly the Python scorer's score and probability of default for
every customer, including missing values and categories the scorecard never saw; the reasons are
the features with the largest points shortfalls; the published tables hold integer points."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import credit

from .conftest import build_shop, new_shop, query, read_demo

pytestmark = pytest.mark.dbt

UNSEEN_TIER = 4  # a city tier no training account has
UNSEEN_REGION = "atlantis"


@pytest.fixture(scope="module")
def shop(tmp_path_factory, demo_raw):
    """The demo shop with the models allowed to read city tier and region (the product
    excludes them by default), and customers without credit accounts given an unseen tier, an
    unseen region or no tier at all."""
    work_dir, raw = new_shop(tmp_path_factory, "scorecard_sql")
    for source in demo_raw.iterdir():
        if source.is_file() and source.name != "customers.parquet":
            (raw / source.name).write_bytes(source.read_bytes())
    customers = read_demo(demo_raw, "customers")
    with_credit = set(read_demo(demo_raw, "credit_accounts")["customer_id"])
    no_credit = customers.index[~customers["customer_id"].isin(with_credit)]
    customers.loc[no_credit[::7], "city_tier"] = UNSEEN_TIER
    customers.loc[no_credit[1::7], "city_tier"] = pd.NA
    customers.loc[no_credit[2::7], "region"] = UNSEEN_REGION
    customers.to_parquet(raw / "customers.parquet", index=False)
    warehouse = build_shop(raw, work_dir, {"decision_excluded_features": "age_years"})
    return work_dir, warehouse


def test_the_agreement_tests_ran_and_passed(shop):
    work_dir, _ = shop
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[-1]: r["status"] for r in results}
    assert status["assert_sql_scorer_agrees_with_python"] == "pass"
    assert status["assert_reasons_follow_the_points"] == "pass"


def test_sql_scores_equal_python_scores_for_every_customer(shop):
    _, warehouse = shop
    python = query(warehouse, "select customer_id, credit_score, probability_of_default from ml.ml_credit_scoring")
    sql = query(warehouse, "select customer_id, credit_score, probability_of_default "
                           "from intermediate.int_credit_sql_scores")
    merged = python.merge(sql, on="customer_id", how="outer", suffixes=("_python", "_sql"), indicator=True)
    assert (merged["_merge"] == "both").all() and len(merged) > 1000
    np.testing.assert_array_equal(merged.credit_score_python, merged.credit_score_sql)
    np.testing.assert_array_equal(merged.probability_of_default_python, merged.probability_of_default_sql)


def test_missing_values_and_unseen_categories_are_covered(shop):
    _, warehouse = shop
    scorecard = query(warehouse, "select * from main.credit_scorecard")
    categorical = set(scorecard.loc[scorecard.feature_type == "categorical", "feature_name"])
    assert categorical & {"city_tier", "region"}, "no categorical feature in the scorecard: the test proves nothing"
    points = query(warehouse, """
        select points.*, features.city_tier, features.region
        from intermediate.int_credit_scorecard_points as points
        inner join main.user_features as features on points.customer_id = features.customer_id
    """)
    feature = sorted(categorical & {"city_tier", "region"})[0]
    unseen = str(UNSEEN_TIER) if feature == "city_tier" else UNSEEN_REGION
    rows = points[points.feature_name == feature]
    assert (rows.loc[rows[feature] == unseen, "bin_type"] == "other").all()
    assert (rows[feature] == unseen).sum() > 10
    if feature == "city_tier":
        assert (rows.loc[rows.city_tier.isna(), "bin_type"] == "missing").all() and rows.city_tier.isna().sum() > 10
    numeric_missing = points[(points.feature_type == "numeric") & (points.bin_type == "missing")]
    assert len(numeric_missing) > 10  # customers with a missing numeric value were scored too


def test_published_scorecard_is_the_stored_one(shop):
    _, warehouse = shop
    blob = query(warehouse, "select model_blob from ml.ml_credit_training where stage = 'final' and is_champion")
    tables = credit.scorecard_tables(blob.model_blob.iloc[0])
    bins = query(warehouse, "select * from main.credit_scorecard_bins order by feature_name, bin_id")
    assert bins.points.dtype.kind == "i"
    expected = tables.bins.sort_values(["feature_name", "bin_id"]).reset_index(drop=True)
    np.testing.assert_array_equal(bins.points.to_numpy(), expected.points.to_numpy())
    np.testing.assert_array_equal(bins.woe.to_numpy(), expected.woe.to_numpy())
    scale = query(warehouse, "select * from main.credit_score_scale order by credit_score")
    assert (np.diff(scale.credit_score) == 1).all()
    # PD falls with the score: strictly under Platt, in steps (ties) under the isotonic map
    falls = np.diff(scale.probability_of_default)
    assert (falls < 0).all() if (scale.calibration_method == "platt").all() else (falls <= 0).all()
    scores = query(warehouse, "select credit_score from main.credit_scores")
    assert scores.credit_score.between(scale.credit_score.min(), scale.credit_score.max()).all()
