"""Publishing the BI snapshot: only after a complete, passing build, only BI-facing tables,
pseudonymous customer ids by default, swapped in atomically.

The first tests publish small hand-made warehouses (fast lane); the ``dbt`` ones build a small
CSV shop with ``scripts/build.sh`` while a reader queries the snapshot, then scan what was
published for raw ids and personal data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from shopper_scores.demo_data import generate
from shopper_scores.publish import (
    CUSTOMER_MARTS, DEMO_PSEUDONYM_KEY, KEY_ENV, PUBLISHED, PublishError, PublishParams, pseudonyms, publish,
)
from shopper_scores.warehouse import snapshot_path

from .conftest import PROJECT_DIR, run_dbt

KEY = "a-test-key-of-32-characters-long"
OTHER_KEY = "another-test-key-also-long-enough"


# --- hand-made warehouses (fast lane) -------------------------------------------------------------

def fake_warehouse(directory: Path, run_id: str = "run-1", *, stale_mart: str | None = None,
                   statuses: dict | None = None, command: str = "build") -> tuple[Path, Path]:
    """A warehouse with the tables publish reads, and the target directory of its "build"."""
    directory.mkdir(parents=True, exist_ok=True)
    warehouse, target = directory / "warehouse.duckdb", directory / "target"
    with duckdb.connect(str(warehouse)) as c:
        c.execute("create schema intermediate; create schema staging")
        c.execute(f"create table intermediate.int_scoring_context as select '{run_id}' as context_run_id, "
                  "date '2025-12-31' as as_of_date")
        ids = "select unnest(['101', '102', '103']) as customer_id, date '2025-12-31' as as_of_date"
        for mart, extra in [
            ("purchasing_power_scores", "10.0 as predicted_spend, 'pp-v1' as model_version"),
            ("credit_scores", "0.1 as probability_of_default, 'cr-v1' as model_version"),
            ("user_features", "47 as age_years, 'north' as region, '2' as city_tier, 3 as orders_lifetime"),
        ]:
            mart_run = "previous-run" if mart == stale_mart else run_id
            c.execute(f"create table main.{mart} as select customer_id, as_of_date, "
                      f"'{mart_run}' as context_run_id, {extra} from ({ids})")
        c.execute("create table main.model_metrics as select 'm' as model_name, 0.5 as metric_value")
        c.execute("create view main.model_metrics_wide as select model_name, metric_value as auc from main.model_metrics")
        c.execute("create table main.raw_row_accounting as select 'customers' as source_table, 4 as raw_rows")
        c.execute("create table main.quarantined_rows as select 'customers' as source_table, "
                  "'104' as row_key, 'duplicate' as rejection_reason")
        c.execute("create table staging.stg_shop__customers as select '101' as customer_id, 'F' as gender")
    target.mkdir(exist_ok=True)
    results = [{"unique_id": f"model.shopper_scores.{m}", "status": "success"} for m in CUSTOMER_MARTS]
    results += [{"unique_id": node, "status": status, "message": f"Got 3 results"}
                for node, status in (statuses or {}).items()]
    (target / "run_results.json").write_text(json.dumps(
        {"metadata": {"invocation_id": run_id}, "args": {"which": command}, "results": results}))
    return warehouse, target


def read_snapshot(snapshot: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(snapshot), read_only=True) as c:
        tables = [row[0] for row in c.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()]
        views = c.execute("select count(*) from duckdb_views() where not internal").fetchall()[0][0]
        assert views == 0, "the snapshot holds views (they would point at files elsewhere)"
        return {name: c.sql(f"select * from {name}").df() for name in tables}


def test_publishes_only_bi_tables_with_pseudonyms_and_an_age_band(tmp_path):
    warehouse, target = fake_warehouse(tmp_path)
    snapshot = publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=target))
    assert snapshot == snapshot_path(warehouse)
    tables = read_snapshot(snapshot)
    assert set(tables) == {f"main.{t}" for t in PUBLISHED} | {"main._publication"}
    expected_ids = set(pseudonyms(["101", "102", "103"], KEY.encode()))
    for mart in CUSTOMER_MARTS:
        assert set(tables[f"main.{mart}"]["customer_id"]) == expected_ids
    features = tables["main.user_features"]
    assert "age_years" not in features and set(features["age_band"]) == {"45-54"}
    assert tables["main.quarantined_row_counts"].to_dict("records") == [
        {"source_table": "customers", "rejection_reason": "duplicate", "n_rows": 1}]
    publication = tables["main._publication"].iloc[0]
    assert publication["context_run_id"] == "run-1" and publication["customer_id_kind"] == "hmac_sha256_128"
    assert publication["purchasing_power_model_version"] == "pp-v1" and not publication["is_demo_key"]
    assert not list(tmp_path.glob(".*.tmp*"))


def test_pseudonyms_are_stable_per_key_and_differ_across_keys():
    ids = [str(i) for i in range(1000)]
    first, again, other = pseudonyms(ids, KEY.encode()), pseudonyms(ids, KEY.encode()), pseudonyms(ids, OTHER_KEY.encode())
    assert first == again and len(set(first)) == len(ids)
    assert not set(first) & set(other) and not set(first) & set(ids)


@pytest.mark.parametrize("case, message", [
    (dict(statuses={"test.shopper_scores.not_null_credit_scores_credit_score.abc": "fail",
                    "model.shopper_scores.model_metrics": "skipped"}),
     "not_null_credit_scores_credit_score.abc: fail (Got 3 results); model.shopper_scores.model_metrics: skipped"),
    (dict(stale_mart="credit_scores"), "main.credit_scores has 3 rows of run previous-run"),
    (dict(command="run"), "the last dbt command was `dbt run`"),
])
def test_refuses_a_failed_incomplete_or_mixed_build(tmp_path, case, message):
    warehouse, target = fake_warehouse(tmp_path, **case)
    with pytest.raises(PublishError, match="not published") as error:
        publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=target))
    assert message in str(error.value)
    assert not snapshot_path(warehouse).exists() and not list(tmp_path.glob(".*.tmp*"))


def test_refuses_results_of_another_invocation(tmp_path):
    warehouse, target = fake_warehouse(tmp_path, "run-2")
    fake_warehouse(tmp_path / "older", "run-1")
    with pytest.raises(PublishError, match="records dbt invocation run-1 .* built by invocation run-2"):
        publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=tmp_path / "older" / "target"))


def test_key_rules_demo_key_and_raw_opt_out(tmp_path, monkeypatch):
    warehouse, target = fake_warehouse(tmp_path)
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(PublishError, match=f"{KEY_ENV} is not set"):
        publish(warehouse, PublishParams(target_path=target))
    with pytest.raises(PublishError, match="too short"):
        publish(warehouse, PublishParams(pseudonym_key="short", target_path=target))
    demo = read_snapshot(publish(warehouse, PublishParams(demo=True, target_path=target)))
    assert set(demo["main.credit_scores"]["customer_id"]) == set(pseudonyms(["101", "102", "103"], DEMO_PSEUDONYM_KEY.encode()))
    assert demo["main._publication"]["is_demo_key"].iloc[0]
    monkeypatch.setenv(KEY_ENV, KEY)  # a key in the environment wins over the demo key
    keyed = read_snapshot(publish(warehouse, PublishParams(demo=True, target_path=target)))
    assert set(keyed["main.credit_scores"]["customer_id"]) == set(pseudonyms(["101", "102", "103"], KEY.encode()))
    raw = read_snapshot(publish(warehouse, PublishParams(customer_ids="raw", target_path=target)))
    assert set(raw["main.credit_scores"]["customer_id"]) == {"101", "102", "103"}
    assert raw["main._publication"]["customer_id_kind"].iloc[0] == "raw"


def test_snapshot_is_replaced_while_a_reader_holds_the_old_one(tmp_path):
    warehouse, target = fake_warehouse(tmp_path / "a", "run-1")
    snapshot = publish(warehouse, PublishParams(pseudonym_key=KEY, target_path=target))
    with duckdb.connect(str(snapshot), read_only=True) as bi_session:
        second, second_target = fake_warehouse(tmp_path / "b", "run-2")
        publish(second, PublishParams(pseudonym_key=KEY, target_path=second_target), snapshot=snapshot)
        assert bi_session.execute("select context_run_id from _publication").fetchall() == [("run-1",)]
    with duckdb.connect(str(snapshot), read_only=True) as reconnected:
        assert reconnected.execute("select context_run_id from _publication").fetchall() == [("run-2",)]
