"""Own BG/NBD x Gamma-Gamma fit: recovers simulated parameters; expectations behave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import btyd

TRUE = {"r": 0.6, "alpha_weeks": 4.0, "a": 1.2, "b": 3.0}


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    """Customers drawn from a BG/NBD process, observed 10..40 weeks after their first order."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha_weeks"], n)
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    T = rng.uniform(10, 40, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > T[i]:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({
        "orders_lifetime": x + 1,
        "days_since_first_order": T * 7,
        "recency_days": (T - t_x) * 7,
        "net_spend_lifetime": (x + 1) * rng.gamma(5.0, 4.0, n),
    })


@pytest.fixture(scope="module")
def fitted():
    frame = simulate(6000)
    model, note = btyd.fit(frame, horizon_days=90)
    assert note is None
    return frame, model


def test_bgnbd_recovers_simulated_parameters(fitted):
    _, model = fitted
    r, alpha, a, b = model.bgnbd
    assert r == pytest.approx(TRUE["r"], rel=0.2)
    assert alpha == pytest.approx(TRUE["alpha_weeks"], rel=0.25)
    assert a / (a + b) == pytest.approx(TRUE["a"] / (TRUE["a"] + TRUE["b"]), rel=0.3)


def test_expectations_grow_with_the_horizon_and_with_activity(fitted):
    frame, model = fitted
    short, long = model.expected_orders(frame, 30), model.expected_orders(frame, 90)
    assert np.all(np.isfinite(long)) and np.all(long >= short)
    out = model.transform(frame)
    assert set(btyd.FEATURE_NAMES) <= set(out.columns)
    assert out["btyd_p_alive"].between(0, 1).all()
    # More repeat orders at the same recency and age: more expected orders.
    probe = pd.DataFrame({"orders_lifetime": [2, 6], "days_since_first_order": [140, 140],
                          "recency_days": [7, 7], "net_spend_lifetime": [40, 120]})
    assert np.diff(model.expected_orders(probe, 90))[0] > 0


def test_horizon_ratio_is_below_the_constant_rate_and_one_without_extrapolation(fitted):
    frame, model = fitted
    ratio = model.horizon_ratio(frame, 30)
    assert np.all(ratio > 1) and np.all(ratio <= 3.0 + 1e-9)
    assert np.all(model.horizon_ratio(frame, 90) == 1)


def test_too_little_data_gives_no_features_and_a_note():
    frame = simulate(10)
    frame["orders_lifetime"] = 1
    model, note = btyd.fit(frame, horizon_days=90)
    assert model.bgnbd is None and "too few repeat buyers" in note
    assert model.transform(frame)[btyd.FEATURE_NAMES].isna().all().all()


def test_expectation_stays_finite_at_a_equal_to_one(fitted):
    frame, model = fitted
    r, alpha, _, b = model.bgnbd
    at_one = btyd.BTYDModel(90, (r, alpha, 1.0, b), None).expected_orders(frame, 90)
    beside = btyd.BTYDModel(90, (r, alpha, 1.0 + 1e-4, b), None).expected_orders(frame, 90)
    assert np.all(np.isfinite(at_one))
    np.testing.assert_allclose(at_one, beside, rtol=1e-3)


def test_customers_without_a_live_order_do_not_enter_the_fit(fitted):
    frame, model = fitted
    cancelled_only = frame.head(500).assign(orders_lifetime=0, recency_days=np.nan)
    refit, _ = btyd.fit(pd.concat([frame, cancelled_only], ignore_index=True), horizon_days=90)
    assert refit.bgnbd == model.bgnbd
