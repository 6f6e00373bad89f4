"""Point-in-time correctness: changing or adding data on or after a cut-off leaves the features at
that cut-off unchanged — and (negative control) changing data before it does change them."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from .conftest import query, run_dbt

pytestmark = pytest.mark.dbt

FEATURES_SELECTOR = ["run", "--select", "+int_user_features_point_in_time"]


def _features_at(warehouse, cutoff):
    frame = query(
        warehouse,
        f"""
        select * from intermediate.int_user_features_point_in_time
        where feature_date = date '{cutoff.date()}'
        order by customer_id
        """,
    )
    return frame.reset_index(drop=True)


def _read(path):
    # Nullable dtypes keep integer ids integers (plain pandas would turn them into floats).
    return pd.read_parquet(path, dtype_backend="numpy_nullable")


def _copy_raw(source, target):
    shutil.copytree(source, target)
    return target


def _tamper_after(raw_dir, cutoff):
    """Change and add rows dated on or after `cutoff`; rows before it are left alone."""
    orders = _read(raw_dir / "orders.parquet")
    after = orders["ordered_at"] >= cutoff
    orders.loc[after, "order_amount"] = orders.loc[after, "order_amount"] * 3 + 1
    # Later lifecycle states of earlier orders: a cancellation and a return dated after the cut-off.
    before = orders.index[~after & orders["cancelled_at"].isna() & orders["returned_at"].isna()]
    orders.loc[before[:50], "cancelled_at"] = cutoff + pd.Timedelta(days=2)
    orders.loc[before[50:100], "returned_at"] = cutoff + pd.Timedelta(days=3)
    orders.loc[before[50:100], "refund_amount"] = 1.0
    # New orders after the cut-off for existing customers.
    extra = orders[~after].head(200).copy()
    extra["order_id"] = extra["order_id"].max() + 10_000_000 + np.arange(len(extra))
    extra["ordered_at"] = cutoff + pd.Timedelta(hours=5)
    for column in ["paid_at", "shipped_at", "delivered_at", "cancelled_at", "returned_at", "refund_amount"]:
        extra[column] = None
    pd.concat([orders, extra]).to_parquet(raw_dir / "orders.parquet", index=False)

    events = _read(raw_dir / "events.parquet")
    events = events[~((events["event_at"] >= cutoff) & (events.index % 2 == 0))]
    events.to_parquet(raw_dir / "events.parquet", index=False)

    reviews = _read(raw_dir / "reviews.parquet")
    reviews.loc[reviews["reviewed_at"] >= cutoff, "rating"] = 1
    reviews.to_parquet(raw_dir / "reviews.parquet", index=False)

    repayments = _read(raw_dir / "repayments.parquet")
    late = repayments["paid_at"] >= cutoff
    repayments.loc[late, "paid_at"] = None
    repayments.loc[late, "amount_paid"] = None
    repayments.to_parquet(raw_dir / "repayments.parquet", index=False)

    customers = _read(raw_dir / "customers.parquet")
    newcomers = customers.head(20).copy()
    newcomers["customer_id"] = customers["customer_id"].max() + 1 + np.arange(len(newcomers))
    newcomers["signup_at"] = cutoff + pd.Timedelta(days=1)
    pd.concat([customers, newcomers]).to_parquet(raw_dir / "customers.parquet", index=False)


def test_features_at_a_cutoff_ignore_data_on_or_after_it(tmp_path, demo_raw, built_warehouse):
    cutoffs = query(built_warehouse, "select * from intermediate.int_feature_cutoffs order by window_index")
    cutoff = pd.Timestamp(cutoffs.loc[cutoffs["window_index"] == 2, "feature_date"].iloc[0])
    baseline = _features_at(built_warehouse, cutoff)
    assert len(baseline) > 100

    tampered_raw = _copy_raw(demo_raw, tmp_path / "raw_after")
    _tamper_after(tampered_raw, cutoff)
    warehouse = tmp_path / "after.duckdb"
    run_dbt(FEATURES_SELECTOR, warehouse=warehouse, raw_dir=tampered_raw, work_dir=tmp_path)
    same_cutoffs = query(warehouse, "select * from intermediate.int_feature_cutoffs order by window_index")
    pd.testing.assert_frame_equal(cutoffs, same_cutoffs)
    # The protocol must not move. The build's id and start time and the clean-order counts (which
    # report on the data, tampered rows included) differ by design.
    context_sql = (
        "select * exclude (context_run_id, scored_at, clean_orders, clean_orders_in_horizon_before,"
        " clean_orders_in_label_windows) from intermediate.int_scoring_context"
    )
    pd.testing.assert_frame_equal(query(built_warehouse, context_sql), query(warehouse, context_sql))
    pd.testing.assert_frame_equal(baseline, _features_at(warehouse, cutoff))


def test_negative_control_changing_data_before_the_cutoff_changes_features(tmp_path, demo_raw, built_warehouse):
    cutoffs = query(built_warehouse, "select * from intermediate.int_feature_cutoffs")
    cutoff = pd.Timestamp(cutoffs.loc[cutoffs["window_index"] == 2, "feature_date"].iloc[0])
    baseline = _features_at(built_warehouse, cutoff)

    raw = _copy_raw(demo_raw, tmp_path / "raw_before")
    orders = _read(raw / "orders.parquet")
    inside = orders["ordered_at"].between(cutoff - pd.Timedelta(days=30), cutoff - pd.Timedelta(days=1))
    orders.loc[inside, "discount_amount"] = 0.0
    orders.to_parquet(raw / "orders.parquet", index=False)
    warehouse = tmp_path / "before.duckdb"
    run_dbt(FEATURES_SELECTOR, warehouse=warehouse, raw_dir=raw, work_dir=tmp_path)
    changed = _features_at(warehouse, cutoff)
    assert not baseline["net_spend_30d"].equals(changed["net_spend_30d"])


def test_horizon_labels_stop_before_the_test_window(built_warehouse):
    # The choice stages score forecasts on the horizon label of older windows: it must never reach
    # into the test window [as_of_date - L, as_of_date), or the test would no longer be unseen.
    labels = query(built_warehouse, """
        select labels.window_index, labels.cutoff_role, labels.feature_date, labels.label_end_date,
               labels.horizon_label_days, labels.horizon_label_end_date,
               labels.label_net_spend_in_window, labels.horizon_label_net_spend,
               test.feature_date as test_start, context.as_of_date
        from intermediate.int_purchasing_power_labels as labels
        cross join intermediate.int_scoring_context as context
        cross join (select feature_date from intermediate.int_feature_cutoffs where cutoff_role = 'test') as test
    """)
    assert len(labels) > 100
    older = labels[labels["cutoff_role"] != "test"]
    assert (older["horizon_label_end_date"] <= older["test_start"]).all()
    test = labels[labels["cutoff_role"] == "test"]
    assert (test["horizon_label_end_date"] <= test["as_of_date"]).all()
    # over the same span as the label window, the horizon label is the label
    same = labels[labels["horizon_label_end_date"] == labels["label_end_date"]]
    assert len(same) > 0
    np.testing.assert_allclose(same["horizon_label_net_spend"], same["label_net_spend_in_window"])
