"""Oracle: the best possible predictions, computed from the planted latents (truth/*.parquet).

``expected_net_spend`` is E[sum of (order_amount - discount_amount - refund_amount) over the
customer's non-cancelled orders placed in [as_of, as_of + horizon_days)] given the customer's
latents:

    purchase_rate_per_year / YEAR_DAYS * ∫ s(t) dt over [max(as_of, signup_at),
                                                       min(as_of + horizon, churn_at))
    * (1 - cancel_prob) * spend_level * (1 - discount_share)
    * (1 - return_prob * refund_fraction_mean)

with the generator's own seasonality s(t) integrated numerically (model.seasonal_exposure).
The window is *not* cut at extracted_at: this is the latent process, so for a window reaching past
the data cut it predicts what the shop would see.  Edge effects are ignored: refunds are counted in
full for orders placed in the window even if the return would happen after the window (or after
extracted_at, where the raw data has no refund yet), and cancellations dated after extracted_at
(visible as not cancelled) are treated as cancelled; the gross order value equals spend_level up to
cent rounding.

``true_pd`` returns the planted probability of default of each credit account.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import model as M


def expected_net_spend(customer_truth: pd.DataFrame, as_of, horizon_days: int) -> pd.Series:
    """Expected net spend per customer over [as_of, as_of + horizon_days), by customer_id."""
    ct = customer_truth
    a = float(M.to_days(as_of))
    b = a + float(horizon_days)
    lo = np.maximum(a, M.to_days(ct["signup_at"]))
    hi = np.minimum(b, M.to_days(ct["churn_at"]))
    exposure = M.seasonal_exposure(lo, hi)  # days of seasonally weighted time, 0 if empty
    n_orders = ct["purchase_rate_per_year"].to_numpy(dtype=float) / M.YEAR_DAYS * exposure
    value = M.expected_net_order_value(
        ct["spend_level"].to_numpy(dtype=float),
        ct["discount_share"].to_numpy(dtype=float),
        ct["cancel_prob"].to_numpy(dtype=float),
        ct["return_prob"].to_numpy(dtype=float),
        ct["refund_fraction_mean"].to_numpy(dtype=float),
    )
    return pd.Series(
        n_orders * value,
        index=pd.Index(ct["customer_id"].to_numpy(dtype=np.int64), name="customer_id"),
        name="expected_net_spend",
    )


def expected_order_count(customer_truth: pd.DataFrame, as_of, horizon_days: int) -> pd.Series:
    """Expected number of placed orders (cancelled ones included) in the window, by customer_id."""
    ct = customer_truth
    a = float(M.to_days(as_of))
    lo = np.maximum(a, M.to_days(ct["signup_at"]))
    hi = np.minimum(a + float(horizon_days), M.to_days(ct["churn_at"]))
    rate = ct["purchase_rate_per_year"].to_numpy(dtype=float)
    n = rate / M.YEAR_DAYS * M.seasonal_exposure(lo, hi)
    return pd.Series(
        n,
        index=pd.Index(ct["customer_id"].to_numpy(dtype=np.int64), name="customer_id"),
        name="expected_orders",
    )


def true_pd(credit_account_truth: pd.DataFrame) -> pd.Series:
    """Planted probability of default, indexed by credit_account_id."""
    return pd.Series(
        credit_account_truth["true_pd"].to_numpy(dtype=float),
        index=pd.Index(
            credit_account_truth["credit_account_id"].to_numpy(dtype=np.int64),
            name="credit_account_id",
        ),
        name="true_pd",
    )


def realised_net_spend(orders: pd.DataFrame, as_of, horizon_days: int) -> pd.Series:
    """Realised net spend per customer_id from raw (clean) orders placed in the window.

    Non-cancelled orders (cancelled_at null) with ordered_at in [as_of, as_of + horizon_days):
    order_amount - discount_amount - coalesce(refund_amount, 0).  Customers without such orders
    are absent (reindex against the oracle with fill_value=0).
    """
    a = pd.Timestamp(as_of)
    b = a + pd.Timedelta(days=horizon_days)
    in_window = (orders["ordered_at"] >= a) & (orders["ordered_at"] < b)
    o = orders[in_window & orders["cancelled_at"].isna()]
    net = o["order_amount"] - o["discount_amount"] - o["refund_amount"].fillna(0.0)
    return net.groupby(o["customer_id"]).sum().rename("realised_net_spend")
