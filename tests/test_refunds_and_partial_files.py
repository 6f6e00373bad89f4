"""Refund documents (e.g. cancellation invoices) and raw files with only some documented columns,
the shape real exports such as UCI Online Retail arrive in."""

from __future__ import annotations

import pandas as pd
import pytest

from shopper_scores.dbt_runner import DbtRunError

from .conftest import build_shop, new_shop, query, read_demo, run_dbt

pytestmark = pytest.mark.dbt

# refund_id -> the first check it must fail ("clean" = none).
REFUND_OUTCOME = {
    "r1": "clean",
    "r2": "clean",
    "r3": "invalid_value",
    "r4": "null_key",
    "r5": "unknown_order",
    "r6": "unknown_customer",
    "r7": "duplicate",
    "r8": "future_dated",
    "r9": "refund_already_on_order",
}


@pytest.fixture(scope="module")
def partial_shop(tmp_path_factory, demo_raw):
    work_dir, raw = new_shop(tmp_path_factory, "partial_shop")
    orders = read_demo(demo_raw, "orders")
    # The required columns and the refund/cancellation ones, plus one the layout does not
    # document (ignored); payment, shipping and discount columns are absent.
    slim = orders[["order_id", "customer_id", "ordered_at", "order_amount", "cancelled_at", "returned_at",
                   "refund_amount"]].assign(internal_note="x")
    slim.to_parquet(raw / "orders.parquet", index=False)
    customers = read_demo(demo_raw, "customers")
    customers[["customer_id", "region"]].to_parquet(raw / "customers.parquet", index=False)
    extracted_at = pd.read_parquet(demo_raw / "extraction_manifest.parquet")["extracted_at"].iloc[0]
    pd.DataFrame({"extracted_at": [extracted_at]}).to_parquet(raw / "extraction_manifest.parquet", index=False)

    customer = str(int(orders["customer_id"].iloc[0]))
    live = orders["cancelled_at"].isna() & orders["refund_amount"].fillna(0).eq(0)
    order = str(int(orders.loc[live, "order_id"].iloc[0]))
    refunded_order = str(int(orders.loc[orders["refund_amount"].fillna(0) > 0, "order_id"].iloc[0]))
    day = pd.Timestamp(extracted_at) - pd.Timedelta(days=30)
    refunds = pd.DataFrame([
        ("r1", customer, None, day, 10.0),
        ("r2", customer, order, day, 5.0),
        ("r3", customer, None, day, -5.0),
        ("r4", None, None, day, 5.0),
        ("r5", customer, "no-such-order", day, 5.0),
        ("r6", "nobody", None, day, 5.0),
        ("r7", customer, None, day + pd.Timedelta(hours=1), 10.0),
        ("r8", customer, None, pd.Timestamp(extracted_at) + pd.Timedelta(days=1), 5.0),
        ("r9", customer, refunded_order, day, 5.0),
    ], columns=["refund_id", "customer_id", "order_id", "refunded_at", "refund_amount"])
    # r7 repeats r1's key: the earlier version is kept.
    refunds.loc[refunds["refund_id"] == "r7", "refund_id"] = "r1"
    refunds.to_parquet(raw / "refunds.parquet", index=False)
    return build_shop(raw, work_dir), customer


def test_refund_documents_are_cleaned_or_quarantined_with_a_reason(partial_shop):
    warehouse, _ = partial_shop
    base = query(warehouse, "select refund_id, refund_amount, rejection_reason from staging.base_shop__refunds")
    outcomes = sorted((r.refund_id, "clean" if pd.isna(r.rejection_reason) else r.rejection_reason) for r in base.itertuples())
    expected = sorted(("r1" if key == "r7" else key, reason) for key, reason in REFUND_OUTCOME.items())
    assert outcomes == expected
    accounting = query(warehouse, "select * from main.raw_row_accounting where source_table = 'refunds'").iloc[0]
    assert (accounting["raw_rows"], accounting["clean_rows"], accounting["quarantined_rows"]) == (9, 2, 7)


def test_refunds_reach_the_features(partial_shop):
    warehouse, customer = partial_shop
    row = query(warehouse, f"select refunds_lifetime, refunded_amount_lifetime, refunded_amount_90d "
                           f"from main.user_features where customer_id = '{customer}'").iloc[0]
    assert row.tolist() == [2, 15.0, 15.0]


def test_missing_optional_columns_are_read_as_null(partial_shop):
    warehouse, _ = partial_shop
    orders = query(warehouse, "select count(*) as n, count(paid_at) as paid, count(payment_method) as methods, "
                              "sum(discount_amount) as discounts from staging.stg_shop__orders").iloc[0]
    assert orders["n"] > 0 and orders["paid"] == 0 and orders["methods"] == 0 and orders["discounts"] == 0
    scores = query(warehouse, "select count(*) as n from main.purchasing_power_scores")["n"].iloc[0]
    assert scores > 0


def test_a_file_without_a_required_column_is_a_clear_error(tmp_path, demo_raw):
    raw = tmp_path / "raw"
    raw.mkdir()
    orders = pd.read_parquet(demo_raw / "orders.parquet")
    orders.drop(columns=["order_amount"]).to_parquet(raw / "orders.parquet", index=False)
    with pytest.raises(DbtRunError, match=r"orders\.parquet' lacks required column\(s\) order_amount"):
        run_dbt(["build"], warehouse=tmp_path / "w.duckdb", raw_dir=raw, work_dir=tmp_path)
