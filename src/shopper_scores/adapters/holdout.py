"""The benchmarks' truth: net spend per customer over a holdout window."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def spend_in_window(transactions: pd.DataFrame, start: dt.date, days: int, population: pd.Index) -> pd.Series:
    """Net ``spend`` of each customer in ``population`` over [start, start + days), zero for those
    without any. ``transactions``: ``customer_id, date, spend`` (refunds negative)."""
    begin = pd.Timestamp(start)
    end = begin + pd.Timedelta(days=days)
    in_window = transactions[(transactions["date"] >= begin) & (transactions["date"] < end)]
    population = pd.Index(population, name="customer_id")
    return in_window.groupby("customer_id")["spend"].sum().reindex(population, fill_value=0.0).astype(float)
