"""Shared fixtures: small generated shops and dbt builds into temporary DuckDB warehouses.

Tests that run dbt are marked ``dbt``; ``pytest -m "not dbt"`` is the fast lane. Every dbt
invocation gets its own warehouse file, target and log directories, so tests never touch
warehouse/shopper_scores.duckdb or each other.
"""

from __future__ import annotations

import os
from pathlib import Path

# One OpenMP thread per process: scikit-learn's gradient boosting otherwise spawns a thread per
# core in every process (pytest and each dbt build's two Python-model threads), oversubscribing
# a 2-core machine several times over (a test went 88 s -> 20 s). Set before scikit-learn is
# imported; dbt subprocesses inherit it. Results do not depend on the thread count (histogram
# sums run per feature), which test_determinism's identical rebuilds and the benchmarks confirm.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import duckdb  # noqa: E402
import pytest  # noqa: E402

from shopper_scores.dbt_runner import PROJECT_DIR, run_dbt  # noqa: E402,F401  (re-exported)
from shopper_scores.demo_data import generate  # noqa: E402


# Small enough for CI on 2 cores, large enough for the planted signal to show on the test window.
TEST_CUSTOMERS = 3000
TEST_SEED = 7


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


def pytest_collection_modifyitems(items):
    """With pytest-xdist (``scripts/test.sh`` runs ``-n 2 --dist loadgroup``), tests that share an
    expensive dbt fixture run on one worker, so each shop is generated and built once."""
    for item in items:
        if "built_warehouse" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("built_warehouse"))
        elif item.get_closest_marker("dbt"):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
