"""The CDNOW and Online Retail adapters reshape a small slice correctly (no row lost or invented)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from shopper_scores.adapters import cdnow, online_retail
from shopper_scores.adapters.shared_data import shared_data_dir

pytestmark = pytest.mark.skipif(
    not (shared_data_dir() / "cdnow").is_dir() or not (shared_data_dir() / "uci_online_retail").is_dir(),
    reason=f"public datasets not found under {shared_data_dir()} (set SHOPPER_SCORES_SHARED_DATA)",
)


@pytest.fixture(scope="module")
def cdnow_slice():
    transactions = cdnow.read_transactions()
    assert len(transactions) == 69_659 and transactions["customer_id"].nunique() == 23_570
    return transactions[transactions["customer_id"].isin(transactions["customer_id"].unique()[:200])]


def test_cdnow_orders_keep_every_purchase(cdnow_slice):
    orders = cdnow.to_orders(cdnow_slice)
    assert len(orders) == len(cdnow_slice) and orders["order_id"].is_unique
    assert orders["order_amount"].sum() == pytest.approx(cdnow_slice["spend"].sum())
    # Two purchases on one day stay two orders (customer 00002 bought twice on 1997-01-12).
    assert (orders["customer_id"] == "00002").sum() == (cdnow_slice["customer_id"] == "00002").sum() >= 2


def test_cdnow_raw_layout_holds_only_the_calibration_period(cdnow_slice, tmp_path):
    cut = dt.date(1997, 10, 1)
    written = cdnow.to_raw_layout(cdnow_slice, tmp_path, cut)
    orders = pd.read_parquet(tmp_path / "orders.parquet")
    assert written["orders"] == len(orders) == (cdnow_slice["date"] < pd.Timestamp(cut)).sum()
    assert orders["ordered_at"].max() < pd.Timestamp(cut)
    assert pd.read_parquet(tmp_path / "extraction_manifest.parquet")["extracted_at"].iloc[0] == pd.Timestamp(cut)
    truth = cdnow.holdout_spend(cdnow_slice, cut, cdnow.HOLDOUT_DAYS)
    assert truth.index.is_unique and len(truth) == cdnow_slice.loc[cdnow_slice["date"] < pd.Timestamp(cut), "customer_id"].nunique()
    in_holdout = cdnow_slice[(cdnow_slice["date"] >= pd.Timestamp(cut)) & (cdnow_slice["date"] < pd.Timestamp("1998-07-01"))]
    assert truth.sum() == pytest.approx(in_holdout["spend"].sum())


@pytest.fixture(scope="module")
def retail_slice():
    lines = online_retail.read_lines()
    assert len(lines) == 541_909
    # Two known customers, one with a cancellation, plus lines without a customer.
    with_cancellation = lines.loc[lines["is_cancellation"] & lines["customer_id"].notna(), "customer_id"].iloc[0]
    anonymous = lines.loc[lines["customer_id"].isna(), "InvoiceNo"].iloc[0]
    keep = lines["customer_id"].isin([with_cancellation, "17850"]) | (lines["InvoiceNo"] == anonymous)
    return lines[keep], with_cancellation


def test_online_retail_tables_reshape_without_filtering(retail_slice):
    lines, with_cancellation = retail_slice
    tables = online_retail.to_tables(lines)
    purchases, cancellations = lines[~lines["is_cancellation"]], lines[lines["is_cancellation"]]
    assert len(tables["order_items"]) == len(purchases)
    assert tables["orders"]["order_id"].is_unique and len(tables["orders"]) == purchases["InvoiceNo"].nunique()
    assert tables["orders"]["order_amount"].sum() == pytest.approx((purchases["Quantity"] * purchases["UnitPrice"]).sum())
    # Orders without a customer are kept (dbt quarantines them as null_key).
    assert tables["orders"]["customer_id"].isna().sum() == 1
    # A cancellation invoice is a positive refund dated at its own invoice date.
    refunds = tables["refunds"]
    assert len(refunds) == cancellations["InvoiceNo"].nunique() and (refunds["refund_amount"] > 0).all()
    first = refunds.iloc[0]
    own = cancellations[cancellations["InvoiceNo"] == first["refund_id"]]
    assert first["refunded_at"] == own["InvoiceDate"].iloc[0]
    assert first["refund_amount"] == pytest.approx(-(own["Quantity"] * own["UnitPrice"]).sum())
    customers = tables["customers"].set_index("customer_id")
    assert set(customers.index) == {with_cancellation, "17850"} and customers.loc["17850", "region"] == "United Kingdom"


def test_online_retail_holdout_is_net_of_cancellations(retail_slice):
    lines, _ = retail_slice
    lines = lines[lines["customer_id"].notna()]
    transactions = lines.groupby("InvoiceNo").agg(customer_id=("customer_id", "first"), date=("InvoiceDate", "first"),
                                                  spend=("line_amount", "sum")).reset_index(drop=True)
    start = online_retail.AS_OF_DATE
    truth = online_retail.holdout_spend(transactions, start, online_retail.HORIZON_DAYS)
    window = transactions[(transactions["date"] >= pd.Timestamp(start))
                          & (transactions["date"] < pd.Timestamp(start) + pd.Timedelta(days=90))]
    assert truth.sum() == pytest.approx(window.loc[window["customer_id"].isin(truth.index), "spend"].sum())
