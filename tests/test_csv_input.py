"""Raw CSV files (var raw_file_format: csv) with hostile values: nothing crashes, nothing is lost.
Values that do not parse are quarantined as unparseable_value; timestamps with a UTC offset are
stored as UTC."""

from __future__ import annotations

import pandas as pd
import pytest

from .conftest import query, run_dbt

pytestmark = pytest.mark.dbt

HOSTILE = [
    # order_id, customer_id, ordered_at, order_amount -> expected outcome
    ("900000001", "1", "2025-03-01 10:00:00", "n/a"),          # unparseable amount
    ("900000002", "1", "2025-13-45 10:00:00", "25.00"),        # impossible date
    ("900000003", "1", "2025-03-01T10:00:00+02:00", "30.00"),  # offset: stored as 08:00 UTC
    ("900000004", "1", "2025-03-02 10:00:00", "1e400"),        # parses as infinity: non-finite
]


@pytest.fixture(scope="module")
def csv_shop(tmp_path_factory, demo_raw):
    work_dir = tmp_path_factory.mktemp("csv_shop")
    raw = work_dir / "raw 'csv' ü"  # read_csv gets an escaped path
    raw.mkdir()
    orders = pd.read_parquet(demo_raw / "orders.parquet", dtype_backend="numpy_nullable").head(3000)
    text = orders.astype("string")
    hostile = pd.DataFrame(HOSTILE, columns=["order_id", "customer_id", "ordered_at", "order_amount"])
    pd.concat([text, hostile], ignore_index=True).to_csv(raw / "orders.csv", index=False)
    pd.read_parquet(demo_raw / "extraction_manifest.parquet").to_csv(raw / "extraction_manifest.csv", index=False)
    # A header-only file is a valid empty table; a 0-byte one is read as absent, with a warning.
    (raw / "reviews.csv").write_text("review_id,customer_id,product_id,order_id,rating,reviewed_at\n")
    (raw / "events.csv").write_bytes(b"")
    warehouse = work_dir / "warehouse.duckdb"
    result = run_dbt(["run", "--select", "+raw_row_accounting"], warehouse=warehouse, raw_dir=raw,
                     work_dir=work_dir, extra_vars={"raw_file_format": "csv"})
    return warehouse, len(orders) + len(HOSTILE), result.stdout


def test_csv_rows_are_all_accounted_for(csv_shop):
    warehouse, n_rows, _ = csv_shop
    accounting = query(warehouse, "select * from main.raw_row_accounting").set_index("source_table")
    assert accounting.loc["orders", "raw_rows"] == n_rows
    assert accounting.loc["orders", "raw_rows"] == (
        accounting.loc["orders", "clean_rows"] + accounting.loc["orders", "quarantined_rows"]
    )


def test_unparseable_values_are_quarantined_with_their_reason(csv_shop):
    warehouse, _, _ = csv_shop
    reasons = query(
        warehouse,
        "select row_key, rejection_reason from main.quarantined_rows where row_key like '90000000%'",
    ).set_index("row_key")["rejection_reason"].to_dict()
    assert reasons == {
        "900000001": "unparseable_value",
        "900000002": "unparseable_value",
        "900000004": "non_finite_value",
    }


def test_timestamps_with_an_offset_are_stored_in_utc(csv_shop):
    warehouse, _, _ = csv_shop
    ordered_at = query(warehouse, "select ordered_at from staging.stg_shop__orders where order_id = '900000003'")
    assert ordered_at["ordered_at"].iloc[0] == pd.Timestamp("2025-03-01 08:00:00")


def test_header_only_and_empty_csv_files(csv_shop):
    warehouse, _, output = csv_shop
    accounting = query(warehouse, "select * from main.raw_row_accounting").set_index("source_table")
    assert accounting.loc["reviews", "is_source_present"] and accounting.loc["reviews", "raw_rows"] == 0
    assert not accounting.loc["events", "is_source_present"] and accounting.loc["events", "raw_rows"] == 0
    assert "events.csv' is empty (no header, no rows); events is read as an empty table" in output
    assert "reviews.csv" not in output
