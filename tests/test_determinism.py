"""Re-running `dbt build` on the same data gives the same tables."""

from __future__ import annotations

import pandas as pd
import pytest

from .conftest import query, run_dbt

pytestmark = pytest.mark.dbt

TABLES = [
    "main.user_features",
    "main.purchasing_power_scores",
    "main.credit_scores",
    "main.quarantined_rows",
    "ml.ml_purchasing_power_training",
    "ml.ml_credit_training",
]


def _snapshot(warehouse, table):
    # model_blob is a pickle: what must repeat is what it does (versions, metrics, scores), not
    # its bytes.
    frame = query(warehouse, f"select * from {table}").drop(columns=["model_blob"], errors="ignore")
    return frame.sort_values(list(frame.columns)[:4]).reset_index(drop=True)


def test_two_builds_on_the_same_data_give_identical_tables(tmp_path, demo_raw, built_warehouse):
    second = tmp_path / "second.duckdb"
    run_dbt(["build", "--exclude", "resource_type:test", "resource_type:unit_test"],
            warehouse=second, raw_dir=demo_raw, work_dir=tmp_path)
    for table in TABLES:
        pd.testing.assert_frame_equal(_snapshot(built_warehouse, table), _snapshot(second, table), obj=table)
