"""CDNOW (Fader & Hardie's master file, as shipped in the ``lifetimes`` package): orders only.

One CDNOW row is one purchase (customer, day, CDs, dollars); several purchases on one day are
kept as separate orders. The adapter only reshapes: every row becomes an order with
``order_id = <customer_id>-<n>`` (n counts the customer's rows in file order), ``ordered_at`` at
midnight UTC of its day and ``order_amount`` = dollar value (zero-dollar rows stay; staging
decides). ``to_raw_layout`` writes only the rows before ``cutoff`` so the pipeline never sees the
holdout; :func:`holdout_spend` is the benchmark's truth.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from .holdout import spend_in_window
from .raw_layout import write_raw_tables
from .shared_data import dataset_file

DATASET = "cdnow"
CALIBRATION_END = dt.date(1997, 9, 30)
# The classic protocol: 39 weeks after the calibration period (1997-10-01 .. 1998-06-30).
HOLDOUT_DAYS = 273


def read_transactions(file_name: str = "cdnow_master.parquet") -> pd.DataFrame:
    """``customer_id``, ``date`` (datetime) and ``spend`` (dollar value), one row per purchase."""
    frame = pd.read_parquet(dataset_file(DATASET, file_name), columns=["customer_id", "date", "dollar_value"])
    return pd.DataFrame({
        "customer_id": frame["customer_id"].astype(str),
        "date": pd.to_datetime(frame["date"]),
        "spend": frame["dollar_value"].astype(float),
    })


def to_orders(transactions: pd.DataFrame) -> pd.DataFrame:
    sequence = transactions.groupby("customer_id", sort=False).cumcount() + 1
    return pd.DataFrame({
        "order_id": transactions["customer_id"].astype(str) + "-" + sequence.astype(str),
        "customer_id": transactions["customer_id"],
        "ordered_at": transactions["date"].astype("datetime64[us]"),
        "order_amount": transactions["spend"],
    })


def to_raw_layout(transactions: pd.DataFrame, out_dir: Path, cutoff: dt.date) -> dict[str, int]:
    """Orders placed before ``cutoff`` (a date; the extract is taken at its midnight)."""
    cut = pd.Timestamp(cutoff)
    orders = to_orders(transactions)
    return write_raw_tables(out_dir, {"orders": orders[orders["ordered_at"] < cut]}, cut.to_pydatetime())


def holdout_spend(transactions: pd.DataFrame, start: dt.date, days: int) -> pd.Series:
    """Spend over [start, start + days) of every customer who bought before ``start`` (CDNOW has
    no refunds, so any row is a purchase); zero for those without any."""
    known = transactions.loc[transactions["date"] < pd.Timestamp(start), "customer_id"].unique()
    return spend_in_window(transactions, start, days, known)
