"""Shared fixtures: small generated shops and dbt builds into temporary DuckDB warehouses.

Every dbt invocation gets its own warehouse file, target and log directories, so tests never touch
warehouse/shopper_scores.duckdb or each other.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from shopper_scores.demo_data import generate

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))

# Small enough for CI on 2 cores, large enough for the planted signal to show on the test window.
TEST_CUSTOMERS = 3000
TEST_SEED = 7


def run_dbt(args, *, warehouse: Path, raw_dir: Path, work_dir: Path, extra_vars: dict | None = None):
    """Run a dbt command against `warehouse` with raw data from `raw_dir`; fail with dbt's output."""
    dbt_vars = {"raw_data_path": str(raw_dir), **(extra_vars or {})}
    vars_yaml = "{" + ", ".join(f"{k}: '{v}'" for k, v in dbt_vars.items()) + "}"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "SHOPPER_SCORES_DUCKDB_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        DBT, *args,
        "--vars", vars_yaml,
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
    ]
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed (exit {result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        )
    return result


def query(warehouse: Path, sql: str):
    """Read-only query returning a pandas frame (a reader never blocks the next build)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(sql).df()


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    raw_dir = tmp_path_factory.mktemp("raw_demo")
    generate(raw_dir, n_customers=TEST_CUSTOMERS, seed=TEST_SEED)
    return raw_dir


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory, demo_raw) -> Path:
    """The full `dbt build` (seeds, models, Python models, data tests, unit tests) on the demo shop."""
    work_dir = tmp_path_factory.mktemp("build_demo")
    warehouse = work_dir / "warehouse.duckdb"
    run_dbt(["build"], warehouse=warehouse, raw_dir=demo_raw, work_dir=work_dir)
    return warehouse
