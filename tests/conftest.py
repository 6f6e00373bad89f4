"""Shared fixtures: small generated shops and dbt builds into temporary DuckDB warehouses.

Tests that run dbt are marked ``dbt``; ``pytest -m "not dbt"`` is the fast lane. Every dbt
invocation gets its own warehouse file, target and log directories, so tests never touch
warehouse/shopper_scores.duckdb or each other.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from pathlib import Path

# One OpenMP thread per process: scikit-learn's gradient boosting otherwise spawns a thread per
# core in every process (pytest and each dbt build's two Python-model threads), oversubscribing
# a 2-core machine several times over (a test went 88 s -> 20 s). Set before scikit-learn is
# imported; dbt subprocesses inherit it. Results do not depend on the thread count
# (tests/unit/test_thread_count.py fits both gradient boostings with one and two threads).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, Phase, settings  # noqa: E402

from shopper_scores.dbt_runner import PROJECT_DIR, run_dbt  # noqa: E402,F401  (re-exported)
from shopper_scores.demo_data import generate  # noqa: E402


# Hypothesis profiles of the property-based suite (tests/property), registered here so that
# --hypothesis-profile works from the repository root: `ci` (default, bounded, derandomized) and
# `thorough` (by hand).
_COMMON = dict(
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture),
    print_blob=True,
)
settings.register_profile("ci", max_examples=1, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=25, **_COMMON)


def pytest_configure(config):
    # --hypothesis-profile (read by hypothesis' plugin) wins; otherwise the bounded CI profile.
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci")


# Small enough for CI on 2 cores, large enough for the planted signal to show on the test window.
TEST_CUSTOMERS = 3000
TEST_SEED = 7


def query(warehouse: Path, sql: str):
    """Read-only query returning a pandas frame (a reader never blocks the next build)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(sql).df()


# A Python error reaching the user instead of a message (issue 7: "never a bare stack trace").
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|IndexError|KeyError|AttributeError")


def dbt_output(result) -> str:
    """dbt's whole console output of a run, colour codes removed."""
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


def stopped_cleanly(result) -> str:
    """Assert a dbt run stopped (non-zero exit) with a message, not a Python traceback; its output."""
    output = dbt_output(result)
    assert result.returncode != 0, f"dbt did not stop:\n{output[-3000:]}"
    assert not TRACEBACK.search(output), f"a Python traceback instead of a message:\n{output[-3000:]}"
    return output


def new_shop(tmp_path_factory, name: str) -> tuple[Path, Path]:
    """A fresh work directory for a test's own shop and the empty ``raw`` folder in it."""
    work_dir = tmp_path_factory.mktemp(name)
    raw = work_dir / "raw"
    raw.mkdir()
    return work_dir, raw


def read_demo(demo_raw: Path, table: str) -> pd.DataFrame:
    """A raw table of the demo shop, with nullable dtypes (as a test changes it before writing it)."""
    return pd.read_parquet(demo_raw / f"{table}.parquet", dtype_backend="numpy_nullable")


def build_shop(raw: Path, work_dir: Path, extra_vars: dict | None = None) -> Path:
    """`dbt build` of the raw files in ``raw`` into ``work_dir``'s own warehouse (returned)."""
    warehouse = work_dir / "warehouse.duckdb"
    run_dbt(["build"], warehouse=warehouse, raw_dir=raw, work_dir=work_dir, extra_vars=extra_vars)
    return warehouse


def _once_per_session(tmp_path_factory, name: str, make) -> Path:
    """``make(directory)`` run once per test session, however many pytest-xdist workers ask for
    it (``scripts/test.sh`` runs two): the first to take the lock makes it, the others wait and
    reuse it. The workers' temporary directories share one parent, fresh for every session."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    directory = root / f"shared_{name}"
    failed = root / f"shared_{name}.failed"
    with open(root / f"shared_{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():  # another worker tried and failed: say so at once, do not retry
            pytest.fail(f"the shared {name} could not be made (see the first failure):\n"
                        + failed.read_text()[-3000:], pytrace=False)
        if not (directory / ".done").exists():
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()
            try:
                make(directory)
            except BaseException as error:
                failed.write_text(str(error))
                raise
            (directory / ".done").touch()
    return directory


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    """The small demo shop's raw files (tests copy them before changing anything)."""
    return _once_per_session(
        tmp_path_factory, "raw_demo", lambda out: generate(out, n_customers=TEST_CUSTOMERS, seed=TEST_SEED))


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory, demo_raw) -> Path:
    """The full `dbt build` (seeds, models, Python models, data tests, unit tests) on the demo shop;
    tests only read it."""
    work_dir = _once_per_session(
        tmp_path_factory, "build_demo",
        lambda out: run_dbt(["build"], warehouse=out / "warehouse.duckdb", raw_dir=demo_raw, work_dir=out))
    return work_dir / "warehouse.duckdb"


# The slowest test files first (each builds its own shops; measured with --durations), then the
# other dbt tests, then the unit tests: with two workers taking a file at a time, longest first
# lets both finish together. test_pipeline's first test builds the shared demo warehouse while
# the other worker runs the history test, which builds its own.
SLOW_FIRST = (
    "test_spark", "test_cut_and_stops", "test_hostile_rows", "test_model_metrics_history", "test_pipeline", "test_publish",
    "test_hostile_files", "test_raw_files",
    "test_hostile_values", "test_orders_only", "test_refunds_and_partial_files", "test_sql_lint",
    "test_leakage", "test_determinism",
)
# Likewise the slowest files without dbt (the fast lane's; 4-11 s each, the rest under 2 s): longest
# first, so that the short files fill in at the end instead of one worker running a long file alone.
SLOW_UNIT_FIRST = (
    "test_ml_purchasing_power", "test_ml_purchasing_power_sampling", "test_concurrent_import",
    "test_ml_purchasing_power_regression", "test_ml_purchasing_power_estimators",
    "test_ml_purchasing_power_candidates", "test_thread_count",
)


def pytest_collection_modifyitems(items):
    def rank(item):
        module = item.module.__name__.rsplit(".", 1)[-1]
        if module in SLOW_FIRST:
            return SLOW_FIRST.index(module)
        if item.get_closest_marker("dbt"):
            return len(SLOW_FIRST)
        if module in SLOW_UNIT_FIRST:
            return len(SLOW_FIRST) + 1 + SLOW_UNIT_FIRST.index(module)
        return len(SLOW_FIRST) + 1 + len(SLOW_UNIT_FIRST)

    items.sort(key=rank)  # stable: the order within a file is kept
