"""The oracle's expectations agree with what the generator actually produced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopper_scores.demo_data import generate, model, oracle

AS_OF = pd.Timestamp("2024-01-01")
HORIZON = 540  # ends 2025-06-24, well before the cut (returns and refunds are all visible)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("oracle")
    generate(path, n_customers=3_000, seed=123, chunk_size=1_200, dirty=False)
    return {
        "orders": pd.read_parquet(path / "orders.parquet"),
        "customer_truth": pd.read_parquet(path / "truth/customer_truth.parquet"),
        "credit_account_truth": pd.read_parquet(path / "truth/credit_account_truth.parquet"),
    }


def test_seasonality_normalised_and_integrated():
    t0 = float(model.to_days("2023-01-01"))
    grid = np.linspace(t0, t0 + model.YEAR_DAYS, 200_001)
    s = model.seasonality(grid)
    assert abs(np.trapezoid(s, grid) / model.YEAR_DAYS - 1) < 1e-4
    assert s.max() <= model.SEASONALITY_MAX
    nov = model.seasonality(model.to_days("2023-11-26"))
    jul = model.seasonality(model.to_days("2023-07-15"))
    assert nov > 1.4 * jul
    # exposure == brute-force integral over arbitrary windows
    a = t0 + np.array([0.0, 37.3, 300.0, 500.5])
    b = a + np.array([10.0, 200.0, 90.25, 800.0])
    brute = [np.trapezoid(model.seasonality(g), g) for g in (np.linspace(x, y, 100_001) for x, y in zip(a, b))]
    assert np.allclose(model.seasonal_exposure(a, b), brute, rtol=1e-5)
    assert model.seasonal_exposure(b, a).tolist() == [0.0] * 4


def test_expected_net_spend_matches_realised(data):
    ct, od = data["customer_truth"], data["orders"]
    expected = oracle.expected_net_spend(ct, AS_OF, HORIZON)
    assert expected.index.name == "customer_id" and len(expected) == len(ct)
    realised = oracle.realised_net_spend(od, AS_OF, HORIZON).reindex(expected.index, fill_value=0.0)
    # realised by hand, to not only trust the helper
    end = AS_OF + pd.Timedelta(days=HORIZON)
    w = od[(od["ordered_at"] >= AS_OF) & (od["ordered_at"] < end) & od["cancelled_at"].isna()]
    by_hand = (w["order_amount"] - w["discount_amount"] - w["refund_amount"].fillna(0)).sum()
    assert realised.sum() == pytest.approx(by_hand)
    assert realised.sum() / expected.sum() == pytest.approx(1.0, abs=0.05)
    assert expected.corr(realised, method="spearman") > 0.5
    # order counts too (cancelled included)
    n_exp = oracle.expected_order_count(ct, AS_OF, HORIZON).sum()
    n_real = ((od["ordered_at"] >= AS_OF) & (od["ordered_at"] < end)).sum()
    assert n_real / n_exp == pytest.approx(1.0, abs=0.05)


def test_expected_net_spend_respects_signup_and_churn(data):
    ct = data["customer_truth"]
    e = oracle.expected_net_spend(ct, AS_OF, HORIZON).to_numpy()
    end = AS_OF + pd.Timedelta(days=HORIZON)
    dead = (ct["churn_at"] <= AS_OF) | (ct["signup_at"] >= end)
    assert dead.any() and (e[dead.to_numpy()] == 0).all()
    assert (e[~dead.to_numpy()] > 0).all()
    # a window twice as long (fully alive customers) gives about twice the spend
    alive = ((ct["signup_at"] <= AS_OF) & (ct["churn_at"] >= AS_OF + pd.Timedelta(days=2 * 365.2425))).to_numpy()
    one = oracle.expected_net_spend(ct, AS_OF, 365.2425).to_numpy()[alive]
    two = oracle.expected_net_spend(ct, AS_OF, 2 * 365.2425).to_numpy()[alive]
    assert np.allclose(two, 2 * one, rtol=1e-6)
    # full year of exposure == rate * expected net value per order
    per_order = model.expected_net_order_value(
        *(ct[c].to_numpy()[alive] for c in
          ("spend_level", "discount_share", "cancel_prob", "return_prob", "refund_fraction_mean"))
    )  # fmt: skip
    assert np.allclose(one, ct["purchase_rate_per_year"].to_numpy()[alive] * per_order, rtol=1e-6)


def test_true_pd(data):
    cat = data["credit_account_truth"]
    pd_ = oracle.true_pd(cat)
    assert pd_.index.name == "credit_account_id"
    assert pd_.index.tolist() == cat["credit_account_id"].tolist()
    assert np.allclose(pd_.to_numpy(), cat["true_pd"].to_numpy())
    assert pd_.between(0, 1).all()
    # the planted PD is calibrated against the planted default draws
    assert abs(pd_.mean() - cat["defaulted"].mean()) < 0.03
