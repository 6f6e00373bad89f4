"""Warehouse helpers: one snapshot path for every script, a reader on the warehouse itself reported
clearly (before dbt starts, and by plain `dbt build` through the dbt-duckdb plugin), and the
scripts' --vars merged with the raw path instead of replacing it."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from shopper_scores.dbt_runner import PROJECT_DIR
from shopper_scores.warehouse import lock_problem, merged_dbt_vars, snapshot_path


@pytest.mark.parametrize("name, snapshot", [
    ("shop.duckdb", "shop_bi.duckdb"), ("x.db", "x_bi.db"), ("plain", "plain_bi")])
def test_one_snapshot_path_for_every_suffix(tmp_path, name, snapshot):
    assert snapshot_path(tmp_path / name) == tmp_path / snapshot


def test_query_script_opens_the_snapshot_publish_writes_for_any_suffix(tmp_path):
    warehouse = tmp_path / "x.db"  # not .duckdb: query.sh once opened x.db_bi.duckdb
    with duckdb.connect(str(snapshot_path(warehouse))) as connection:
        connection.execute("create table credit_scores as select 'published here' as marker")
    result = subprocess.run(
        ["bash", str(PROJECT_DIR / "scripts" / "query.sh"), "select marker from credit_scores"],
        env={**os.environ, "SHOPPER_SCORES_DUCKDB_PATH": str(warehouse)}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "published here" in result.stdout


def test_query_script_says_where_the_missing_snapshot_should_be(tmp_path):
    result = subprocess.run(
        ["bash", str(PROJECT_DIR / "scripts" / "query.sh"), "select 1"],
        env={**os.environ, "SHOPPER_SCORES_DUCKDB_PATH": str(tmp_path / "w.db")}, capture_output=True, text=True)
    assert result.returncode != 0
    assert f"no BI snapshot at {tmp_path / 'w_bi.db'}" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("user_vars, expected", [
    (None, {"raw_data_path": "raw/dir"}),
    ("", {"raw_data_path": "raw/dir"}),
    ("{raw_file_format: csv}", {"raw_data_path": "raw/dir", "raw_file_format": "csv"}),
    ("{horizon_days: 60, as_of_date: '2025-06-30'}",
     {"raw_data_path": "raw/dir", "horizon_days": 60, "as_of_date": "2025-06-30"}),
    ('{"raw_data_path": "/mine"}', {"raw_data_path": "/mine"}),  # the user's own path wins
])
def test_user_vars_are_merged_with_the_raw_path(user_vars, expected):
    assert json.loads(merged_dbt_vars("raw/dir", user_vars)) == expected


def test_vars_that_are_not_a_mapping_are_refused():
    with pytest.raises(ValueError, match="YAML mapping"):
        merged_dbt_vars("raw", "[1, 2]")


def _write(path, value):
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"create or replace table scores as select {value} as score")


def _hold_open(warehouse: Path) -> subprocess.Popen:
    """A reader in another process (DuckDB's lock is per process), as a BI tool would hold it."""
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            connection = duckdb.connect({str(warehouse)!r}, read_only=True)
            print("open", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert reader.stdout.readline().strip() == "open"
    return reader


def test_a_reader_on_the_warehouse_itself_is_reported(tmp_path):
    warehouse = tmp_path / "shop.duckdb"
    _write(warehouse, 1)
    reader = _hold_open(warehouse)
    try:
        problem = lock_problem(warehouse)
        assert problem is not None and "snapshot" in problem and "shop_bi.duckdb" in problem
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert lock_problem(warehouse) is None


def test_the_dbt_plugin_turns_the_lock_into_a_dbt_error(tmp_path):
    """What plain `dbt build` runs (profiles.yml loads the plugin before dbt-duckdb connects):
    a DbtRuntimeError, which dbt prints as one message without a stack trace."""
    from dbt_common.exceptions import DbtRuntimeError

    from shopper_scores.dbt_plugin import Plugin

    warehouse = tmp_path / "shop.duckdb"
    _write(warehouse, 1)
    plugin = Plugin(name="lock_check", plugin_config={})
    reader = _hold_open(warehouse)
    try:
        with pytest.raises(DbtRuntimeError, match="is open in another process"):
            plugin.update_connection_config(type("Credentials", (), {"path": str(warehouse)})(), {})
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    plugin.update_connection_config(type("Credentials", (), {"path": str(warehouse)})(), {})
