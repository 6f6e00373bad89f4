"""The scale benchmark's pandas peer (bench/pandas_user_features.py) computes the same user_features
as the warehouse: on the shared demo build, every customer and every column, with the tolerance
the benchmark uses. If the features change in SQL and not in the peer (or the other way round),
this test says which column and which customers."""

from __future__ import annotations

import importlib.util
import json
import sys

import pandas as pd
import pytest

from .conftest import PROJECT_DIR, query

pytestmark = pytest.mark.dbt


def _peer_module():
    """bench/ is not a package: load the peer from its file (registered first, as dataclasses need)."""
    if "pandas_user_features" in sys.modules:
        return sys.modules["pandas_user_features"]
    spec = importlib.util.spec_from_file_location("pandas_user_features", PROJECT_DIR / "bench" / "pandas_user_features.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def peer_and_warehouse(demo_raw, built_warehouse, tmp_path_factory):
    peer = _peer_module()
    context = query(built_warehouse, "select * from intermediate.int_scoring_context").iloc[0]
    out = tmp_path_factory.mktemp("peer") / "user_features.parquet"
    code = peer.main(["--raw", str(demo_raw), "--out", str(out), "--as-of-date", str(context["as_of_date"].date()),
                      "--extracted-at", str(context["extracted_at"]), "--context-run-id", context["context_run_id"]])
    assert code == 0
    return peer, pd.read_parquet(out), query(built_warehouse, "select * from main.user_features")


def test_the_pandas_peer_agrees_with_user_features_on_every_customer_and_column(peer_and_warehouse):
    peer, features, warehouse = peer_and_warehouse
    result = peer.agreement(features, warehouse)
    assert result.agrees, "\n".join(result.problems)
    assert result.customers == len(warehouse) > 1000
    assert result.columns == len(warehouse.columns)


def test_the_agreement_check_catches_a_changed_value_and_a_missing_customer(peer_and_warehouse):
    peer, features, warehouse = peer_and_warehouse
    changed = features.copy()
    spender = changed.index[changed["net_spend_90d"] > 0][0]
    changed.loc[spender, "net_spend_90d"] *= 1 + 1e-6
    changed.loc[changed.index[0], "region"] = "nowhere"
    problems = peer.agreement(changed, warehouse).problems
    assert any(p.startswith("net_spend_90d: 1 of") for p in problems), problems
    assert any(p.startswith("region: 1 of") for p in problems), problems
    assert any("customer sets differ" in p for p in peer.agreement(features.iloc[1:], warehouse).problems)


def test_the_peer_derives_the_cut_from_the_manifest_when_not_given_one(peer_and_warehouse, demo_raw, built_warehouse,
                                                                       tmp_path, capsys):
    peer, features, _ = peer_and_warehouse
    out = tmp_path / "features.parquet"
    assert peer.main(["--raw", str(demo_raw), "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    context = query(built_warehouse, "select as_of_date from intermediate.int_scoring_context").iloc[0]
    assert summary["as_of_date"] == str(context["as_of_date"].date())
    again = pd.read_parquet(out)
    assert again.drop(columns="context_run_id").equals(features.drop(columns="context_run_id"))


def test_the_peer_stops_with_a_message_without_orders(tmp_path, capsys):
    assert _peer_module().main(["--raw", str(tmp_path), "--out", str(tmp_path / "x.parquet")]) == 1
    assert "no orders file" in capsys.readouterr().err
