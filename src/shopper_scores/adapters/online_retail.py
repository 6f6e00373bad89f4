"""UCI Online Retail (a UK gift shop, 2010-12 .. 2011-12) reshaped into the raw layout.

The adapter only reshapes; every quality decision is left to dbt, which quarantines and counts:

* ``orders``: one per invoice not starting with "C": ``order_id`` = InvoiceNo, ``customer_id``
  = CustomerID (null stays null: dbt quarantines such orders as ``null_key``), ``ordered_at`` =
  InvoiceDate, ``order_amount`` = sum of Quantity x UnitPrice over the invoice's lines (zero,
  negative and absurd amounts stay as they are).
* ``order_items``: one per line of those invoices (``line_number`` in file order, ``product_id``
  = StockCode, quantity and unit price as given: dbt rejects quantities below 1).
* ``refunds``: one per cancellation invoice ("C..."), dated at its own invoice date and worth
  minus the sum of its lines; the order it cancels is not named in the data and is not guessed
  (the earlier order is never rewritten).
* ``products``: the distinct StockCodes (the descriptions are free text, not categories).
* ``customers``: one per CustomerID with its ``region`` = Country (the first one seen, in file
  order, for the few customers listed under two countries).

:func:`to_raw_layout` writes only rows dated before the cut-off (the pipeline never sees the
holdout); :func:`read_transactions` and :func:`holdout_spend` give the benchmark's peers and
truth the same net-spend view (purchases positive, cancellations negative).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from .holdout import spend_in_window
from .raw_layout import write_raw_tables
from .shared_data import dataset_file

DATASET = "uci_online_retail"
AS_OF_DATE = dt.date(2011, 9, 9)
HORIZON_DAYS = 90


def read_lines(file_name: str = "online_retail.parquet") -> pd.DataFrame:
    lines = pd.read_parquet(dataset_file(DATASET, file_name))
    lines["InvoiceNo"] = lines["InvoiceNo"].astype(str)
    lines["is_cancellation"] = lines["InvoiceNo"].str.startswith("C")
    lines["line_amount"] = lines["Quantity"] * lines["UnitPrice"]
    lines["customer_id"] = lines["CustomerID"].astype("string")
    return lines


def to_tables(lines: pd.DataFrame) -> dict[str, pd.DataFrame]:
    invoices = lines[~lines["is_cancellation"]]
    cancellations = lines[lines["is_cancellation"]]
    orders = invoices.groupby("InvoiceNo", sort=False).agg(
        customer_id=("customer_id", "first"), ordered_at=("InvoiceDate", "first"),
        order_amount=("line_amount", "sum"),
    ).reset_index().rename(columns={"InvoiceNo": "order_id"})
    order_items = pd.DataFrame({
        "order_id": invoices["InvoiceNo"],
        "line_number": invoices.groupby("InvoiceNo", sort=False).cumcount() + 1,
        "product_id": invoices["StockCode"].astype(str),
        "quantity": invoices["Quantity"],
        "unit_price": invoices["UnitPrice"],
    })
    refunds = cancellations.groupby("InvoiceNo", sort=False).agg(
        customer_id=("customer_id", "first"), refunded_at=("InvoiceDate", "first"),
        refund_amount=("line_amount", "sum"),
    ).reset_index().rename(columns={"InvoiceNo": "refund_id"})
    refunds["refund_amount"] = -refunds["refund_amount"]
    products = pd.DataFrame({"product_id": lines["StockCode"].astype(str).drop_duplicates()})
    known = lines[lines["customer_id"].notna()]
    customers = known.groupby("customer_id", sort=False)["Country"].first().reset_index()
    customers = customers.rename(columns={"Country": "region"})
    return {"customers": customers, "products": products, "orders": orders,
            "order_items": order_items, "refunds": refunds}


def to_raw_layout(lines: pd.DataFrame, out_dir: Path, cutoff: dt.date) -> dict[str, int]:
    """The raw tables of everything dated before ``cutoff`` (the extract is taken at its midnight)."""
    cut = pd.Timestamp(cutoff)
    tables = to_tables(lines[lines["InvoiceDate"] < cut])
    return write_raw_tables(out_dir, tables, cut.to_pydatetime())


def read_transactions() -> pd.DataFrame:
    """Identified customers' invoices as ``customer_id, date, spend`` (cancellations negative)."""
    lines = read_lines()
    lines = lines[lines["customer_id"].notna()]
    invoices = lines.groupby("InvoiceNo", sort=False).agg(
        customer_id=("customer_id", "first"), date=("InvoiceDate", "first"), spend=("line_amount", "sum"),
    )
    return invoices.reset_index(drop=True)


def holdout_spend(transactions: pd.DataFrame, start: dt.date, days: int) -> pd.Series:
    """Net spend (returns included) over [start, start + days) of every customer with a purchase
    (a positive invoice) before ``start``; zero for those without any."""
    before = transactions[(transactions["date"] < pd.Timestamp(start)) & (transactions["spend"] > 0)]
    return spend_in_window(transactions, start, days, before["customer_id"].unique())
