"""Unusable raw files stop the build before any model runs, with a message naming the file, the
column or line, and the problem; compatible files (other numeric or timestamp types, extra or
missing optional columns, a 0-byte optional file, a path with a quote, a space and unicode) build.

The checks run in check_raw_inputs (on-run-start), so each stop case is one cheap `dbt run` of a
single view; every case uses the same raw directory and vars, so dbt's partial parsing is reused
and only the first invocation per file format parses the project.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from shopper_scores.demo_data import generate

from .conftest import query, run_dbt, stopped_cleanly

pytestmark = pytest.mark.dbt

# A quote, spaces and non-ASCII characters: everything SQL or YAML quoting can trip over.
RAW_DIR_NAME = "it's a shop ü"
CSV = {"raw_file_format": "csv"}
TABLES = ("customers", "products", "orders", "order_items", "events", "reviews", "credit_accounts",
          "repayments", "extraction_manifest")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A small demo shop (``source``) and the work and raw directories every case reuses."""
    work_dir = tmp_path_factory.mktemp("raw_files")
    source = work_dir / "demo"
    generate(source, n_customers=200, seed=11)
    raw = work_dir / RAW_DIR_NAME
    raw.mkdir()
    return source, work_dir, raw


def _reset(raw):
    for path in raw.iterdir():
        path.unlink()


def _demo(source, table: str) -> pd.DataFrame:
    return pd.read_parquet(source / f"{table}.parquet", dtype_backend="numpy_nullable")


def _copy_parquet(source, raw):
    for table in TABLES:
        shutil.copy(source / f"{table}.parquet", raw)


def _stopped(work_dir, raw, extra_vars=None) -> str:
    """Run the on-run-start checks (and one view); assert dbt stopped cleanly; return its output."""
    output = stopped_cleanly(run_dbt(
        ["run", "--select", "stg_shop__extraction_manifest"], warehouse=work_dir / "warehouse.duckdb",
        raw_dir=raw, work_dir=work_dir, extra_vars=extra_vars, check=False))
    assert "shopper_scores: unusable raw file(s)" in output or "shopper_scores: the orders file" in output, output[-3000:]
    return output


def _problem(output: str, file_name: str) -> str:
    """The message line about ``file_name`` (each unusable file gets one line)."""
    lines = [line for line in output.splitlines() if f"{RAW_DIR_NAME}/{file_name}'" in line and "- raw file" in line]
    assert len(lines) == 1, output[-4000:]
    return lines[0]


def test_parquet_columns_of_the_wrong_type_stop_naming_file_column_and_types(shop):
    source, work_dir, raw = shop
    _reset(raw)
    _copy_parquet(source, raw)
    orders = _demo(source, "orders")
    orders["discount_amount"] = orders["discount_amount"].notna()       # boolean for a number
    orders["ordered_at"] = orders["ordered_at"].astype("int64") // 10**9  # epoch seconds for a timestamp
    orders["payment_method"] = [{"kind": "card"}] * len(orders)          # a struct
    orders.to_parquet(raw / "orders.parquet", index=False)
    items = _demo(source, "order_items")
    items["quantity"] = [[1, 2]] * len(items)                            # a list
    items.to_parquet(raw / "order_items.parquet", index=False)
    customers = _demo(source, "customers")
    customers["customer_id"] = customers["customer_id"].astype("float64") + 2.0**53  # ids beyond 2^53
    customers.to_parquet(raw / "customers.parquet", index=False)
    reviews = _demo(source, "reviews")
    reviews["review_id"] = reviews["review_id"].astype("float64") + 0.5  # non-integral ids
    reviews.to_parquet(raw / "reviews.parquet", index=False)
    # Compatible types and an all-null column of the wrong type do not count as problems.
    products = _demo(source, "products")
    products["list_price"] = products["list_price"].astype("string")
    products["category"] = pd.array([None] * len(products), dtype="boolean")
    products.to_parquet(raw / "products.parquet", index=False)

    output = _stopped(work_dir, raw)
    line = _problem(output, "orders.parquet")
    assert "ordered_at is BIGINT, expected timestamp" in line and "epoch" in line
    assert "discount_amount is BOOLEAN, expected double" in line
    assert "payment_method is STRUCT(kind VARCHAR), expected varchar" in line
    assert "quantity is BIGINT[], expected integer" in _problem(output, "order_items.parquet")
    n_ids = customers["customer_id"].notna().sum()  # the demo plants a few null keys
    assert (f"customer_id is DOUBLE with {n_ids} value(s) that are not whole numbers below 2^53"
            in _problem(output, "customers.parquet"))
    assert (f"review_id is DOUBLE with {reviews['review_id'].notna().sum()} value(s) that are not whole numbers below 2^53"
            in _problem(output, "reviews.parquet"))
    assert "products.parquet" not in output


def test_an_empty_orders_file_is_a_clear_stop_and_an_empty_optional_file_a_warning(shop):
    source, work_dir, raw = shop
    _reset(raw)
    _copy_parquet(source, raw)
    (raw / "orders.parquet").write_bytes(b"")
    output = _stopped(work_dir, raw)
    assert f"the orders file '{raw}/orders.parquet' is empty" in output


def test_compatible_files_build_from_a_path_with_a_quote_a_space_and_unicode(shop):
    source, work_dir, raw = shop
    _reset(raw)
    _copy_parquet(source, raw)
    orders = _demo(source, "orders")
    expected_ordered_at = orders.set_index(orders["order_id"].astype("string"))["ordered_at"]
    compatible = orders.drop(columns=["payment_method"]).assign(  # a missing optional column
        ordered_at=orders["ordered_at"].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin"),  # with time zone
        order_id=orders["order_id"].astype("float64"),                                         # integral float ids
        order_amount=orders["order_amount"].astype("string"),                                  # text that parses
        internal_note="ignored",                                                               # undocumented
    )
    compatible.to_parquet(raw / "orders.parquet", index=False)
    customers = _demo(source, "customers")
    customers.assign(customer_id=customers["customer_id"].astype("Int32"),
                     signup_at=customers["signup_at"].dt.normalize().dt.date).to_parquet(
        raw / "customers.parquet", index=False)                                               # a date for a timestamp
    (raw / "events.parquet").write_bytes(b"")                                                  # 0-byte optional file

    result = run_dbt(["build", "--select", "path:models/staging", "quarantined_rows", "raw_row_accounting"],
                     warehouse=work_dir / "warehouse.duckdb", raw_dir=raw, work_dir=work_dir)
    assert (f"raw file '{raw}/events.parquet' is empty (no header, no rows); events is read as an empty table"
            in result.stdout)
    warehouse = work_dir / "warehouse.duckdb"
    accounting = query(warehouse, "select * from main.raw_row_accounting").set_index("source_table")
    assert (accounting["raw_rows"] == accounting["clean_rows"] + accounting["quarantined_rows"]).all()
    assert accounting.loc["orders", "raw_rows"] == len(orders)
    assert accounting.loc["customers", "raw_rows"] == len(customers)
    assert accounting.loc["events", "raw_rows"] == 0 and not accounting.loc["events", "is_source_present"]
    base = query(warehouse, "select order_id, ordered_at, payment_method, rejection_reason "
                            "from staging.base_shop__orders").set_index("order_id")
    assert base["payment_method"].isna().all()
    # The same instants, in UTC, under the same (integer) ids (rows with a planted null key aside).
    def by_id(series):
        return {key: pd.Timestamp(value) for key, value in series.items() if pd.notna(key)}
    assert by_id(base["ordered_at"]) == by_id(expected_ordered_at)
    assert query(warehouse, "select count(*) as n from staging.stg_shop__orders")["n"].iloc[0] > 0


def _inject(raw, table: str, line_number: int, text: bytes):
    """Insert ``text`` as physical line ``line_number`` (1 = the header) of ``table``'s CSV file."""
    path = raw / f"{table}.csv"
    lines = path.read_bytes().split(b"\n")
    lines.insert(line_number - 1, text)
    path.write_bytes(b"\n".join(lines))


def test_malformed_csv_lines_stop_naming_file_line_and_problem(shop):
    source, work_dir, raw = shop
    _reset(raw)
    for table in TABLES:
        _demo(source, table).to_csv(raw / f"{table}.csv", index=False)
    _inject(raw, "orders", 5, b"1,2,2025-01-01,3,4,5,6,7,8,9,10,11,12")   # 13 fields for 12
    _inject(raw, "customers", 4, b"1,2")                                     # 2 fields for 6
    _inject(raw, "products", 3, b"9,shoes\rfancy,brand,3.0")                 # a bare CR splits the row
    _inject(raw, "reviews", 6, b'9,"1,2,3,4,5')                              # unterminated quote
    _inject(raw, "events", 7, b"9,M\xfcller,1,2025-01-01,view,3")            # latin-1, not UTF-8
    (raw / "credit_accounts.csv").write_bytes(b"")                          # empty: read as absent
    (raw / "repayments.csv").write_text("credit_account_id,installment_number,due_date,amount_due\n")  # header only: fine

    output = _stopped(work_dir, raw, CSV)
    assert "line 5: too many fields (Expected Number of Columns: 12 Found: 13)" in _problem(output, "orders.csv")
    assert "line 4: too few fields" in _problem(output, "customers.csv")
    products = _problem(output, "products.csv")
    assert "2 malformed CSV line(s); line 3: too few fields" in products and "bare carriage return" in products
    reviews = _problem(output, "reviews.csv")
    assert "line 6: too few fields" in reviews and "unterminated quote" in reviews
    assert "line 7: bytes that are not UTF-8" in _problem(output, "events.csv")
    assert (f"raw file '{raw}/credit_accounts.csv' is empty (no header, no rows); credit_accounts is read as an "
            "empty table") in output
    assert "repayments.csv" not in output


def test_an_empty_csv_is_called_empty(shop):
    source, work_dir, raw = shop
    _reset(raw)
    (raw / "orders.csv").write_bytes(b"\n")
    output = _stopped(work_dir, raw, CSV)
    assert f"the orders file '{raw}/orders.csv' is empty" in output
    assert "column0" not in output
