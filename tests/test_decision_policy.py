"""One exclusion policy for every model that feeds a decision, checked on what the demo build
stored: every final model of ml_purchasing_power_training (its predicted spend sizes
credit_offers' limits) and of ml_credit_training uses none of var decision_excluded_features, nor
gender. Also the demo's credit_offers against the rules it documents."""

from __future__ import annotations

import json

import pytest
import yaml

from shopper_scores.ml.features import PROTECTED_ATTRIBUTES, FeatureSpec, decode_blob
from shopper_scores.ml.params import as_name_list

from .conftest import PROJECT_DIR, query

pytestmark = pytest.mark.dbt

TRAINING_MODELS = ("ml_purchasing_power_training", "ml_credit_training")


def project_policy() -> tuple[str, ...]:
    """The policy as dbt_project.yml declares it (the demo build passes no override)."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return as_name_list("decision_excluded_features", project["vars"]["decision_excluded_features"])


def stored_feature_names(model) -> set[str]:
    """Every feature name a decoded model holds, at any depth (the stack, blend and two-part
    candidates nest models; a scorecard keeps its binned features): each FeatureSpec, each fitted
    scikit-learn estimator's feature_names_in_ and a driver explainer's kept features."""
    names: set[str] = set()
    seen: set[int] = set()
    pending = [model]
    while pending:
        item = pending.pop()
        if id(item) in seen or item is None or isinstance(item, (str, bytes, int, float, bool, type)):
            continue
        seen.add(id(item))
        if isinstance(item, FeatureSpec):
            names.update(item.names)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            pending.extend(item)
        elif hasattr(item, "__dict__"):
            attributes = vars(item)
            names.update(str(name) for name in attributes.get("feature_names_in_", ()))
            if type(item).__name__ == "DriverExplainer":
                names.update(attributes.get("features_", ()))
            pending.extend(attributes.values())
    return names


@pytest.fixture(scope="module")
def final_models(built_warehouse):
    """(training model, model_name, decoded model) of every final row that stores a model."""
    models = []
    for table in TRAINING_MODELS:
        rows = query(built_warehouse, f"select model_name, model_blob from ml.{table} "
                                      "where stage = 'final' and model_blob is not null")
        models += [(table, name, decode_blob(blob)) for name, blob in zip(rows["model_name"], rows["model_blob"])]
    return models


def test_both_training_models_were_built_with_the_one_policy(built_warehouse):
    policy = project_policy()
    assert {"age_years", "region", "city_tier"} <= set(policy)
    manifest = json.loads((built_warehouse.parent / "target" / "manifest.json").read_text())
    for table in TRAINING_MODELS:
        config = manifest["nodes"][f"model.shopper_scores.{table}"]["config"]
        assert as_name_list("policy", config["decision_excluded_features"]) == policy, table


def test_no_stored_model_uses_an_excluded_or_protected_feature(built_warehouse, final_models):
    policy = set(project_policy())
    forbidden = policy | set(PROTECTED_ATTRIBUTES)
    # Not vacuous: the training sets hold the policy's columns, so leaving them out took the
    # policy (gender never reaches a training set).
    for table in ("int_purchasing_power_training_set", "int_credit_training_set"):
        columns = set(query(built_warehouse, f"select * from intermediate.{table} limit 0").columns)
        assert policy <= columns, f"{table} lacks {policy - columns}"
    families = {table for table, _, _ in final_models}
    assert families == set(TRAINING_MODELS)
    for table, name, model in final_models:
        names = stored_feature_names(model)
        assert names, f"{table}.{name}: no feature list found in the stored model"
        assert not names & forbidden, f"{table}.{name} uses {sorted(names & forbidden)}"


def test_credit_offers_follow_their_rules(built_warehouse):
    offers = query(built_warehouse, "select * from main.credit_offers")
    credit = query(built_warehouse, "select customer_id from main.credit_scores")
    assert len(offers) == len(credit) and set(offers["customer_id"]) == set(credit["customer_id"])
    assert set(offers["decision"]) <= {"approve", "refer", "decline"}
    assert (offers.loc[offers["decision"] == "decline", "suggested_limit"] == 0).all()
    assert (offers.loc[offers["score_status"] == "no_history", "decision"] == "refer").all()
    assert (offers["suggested_limit"] >= 0).all() and offers["offer_reason"].notna().all()
    # The limit only moves with predicted spend within a grade and decision: never above the formula.
    sized = offers[offers["limit_rule"] == "formula"]
    assert (sized["suggested_limit"] <= sized["predicted_spend"] * sized["limit_multiplier"] + 1e-6).all()
