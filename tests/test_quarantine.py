"""Every raw row ends in exactly one place: the clean staging model or the quarantine, with a reason."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pyarrow.parquet as pq
import pytest

from .conftest import query

pytestmark = pytest.mark.dbt

# The generator's name for each planted problem -> the first check the row must fail in dbt.
EXPECTED_REASON = {
    "duplicate": "duplicate",
    "null_primary_key": "null_key",
    "unknown_customer": "unknown_customer",
    "negative_amount": "negative_amount",
    "absurd_amount": "implausible_amount",
    "future_dated": "future_dated",
    "non_positive_quantity": "invalid_value",
    "rating_out_of_range": "invalid_value",
}


def test_raw_rows_equal_clean_plus_quarantined(built_warehouse, demo_raw):
    accounting = query(built_warehouse, "select * from main.raw_row_accounting").set_index("source_table")
    assert len(accounting) == 9
    for table, row in accounting.iterrows():
        assert row["raw_rows"] == row["clean_rows"] + row["quarantined_rows"], table
        if table == "refunds":
            # The demo shop books refunds on the order rows; it writes no refund documents.
            assert not row["is_source_present"] and row["raw_rows"] == 0
            continue
        # Count the raw file independently of dbt.
        assert row["raw_rows"] == pq.ParquetFile(demo_raw / f"{table}.parquet").metadata.num_rows, table
        assert row["is_source_present"]


def test_every_planted_dirty_row_is_quarantined_with_its_reason(built_warehouse, demo_raw):
    planted = pd.read_parquet(demo_raw / "truth" / "planted_dirty_rows.parquet")
    assert len(planted) > 0
    expected = Counter(
        (row.source_table, row.row_key, EXPECTED_REASON[row.planted_issue]) for row in planted.itertuples()
    )
    quarantined = query(built_warehouse, "select source_table, row_key, rejection_reason from main.quarantined_rows")
    actual = Counter(map(tuple, quarantined.itertuples(index=False)))
    missing = expected - actual
    unexpected = actual - expected
    assert not missing, f"planted rows not quarantined as expected: {list(missing.items())[:10]}"
    # Only rows that depend on a planted row may be quarantined on top (e.g. lines of a bad order).
    assert all(reason == "parent_quarantined" for _, _, reason in unexpected), list(unexpected.items())[:10]


def test_clean_models_hold_no_row_after_the_cut(built_warehouse):
    late = query(
        built_warehouse,
        """
        select
            (select count(*) from staging.stg_shop__orders, staging.stg_shop__extraction_manifest as m
             where ordered_at > m.extracted_at or returned_at > m.extracted_at) as orders,
            (select count(*) from staging.stg_shop__events, staging.stg_shop__extraction_manifest as m
             where event_at > m.extracted_at) as events,
            (select count(*) from staging.stg_shop__repayments, staging.stg_shop__extraction_manifest as m
             where paid_at > m.extracted_at) as repayments
        """,
    )
    assert late.iloc[0].sum() == 0


def test_outlier_amounts_are_capped_and_flagged_not_dropped(built_warehouse):
    orders = query(
        built_warehouse,
        "select order_amount, order_amount_raw, is_amount_capped from staging.stg_shop__orders",
    )
    cap = 20000
    assert (orders["order_amount"] <= cap).all()
    capped = orders[orders["is_amount_capped"]]
    assert (capped["order_amount"] == cap).all()
    assert (capped["order_amount_raw"] > cap).all()
    assert (orders.loc[~orders["is_amount_capped"], "order_amount"] == orders.loc[~orders["is_amount_capped"], "order_amount_raw"]).all()
