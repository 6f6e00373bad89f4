"""Constants and functions shared by the demo-data generator and its oracle.

Everything here is part of the *latent model*: if a number in this module changes, both the
generated data and the oracle's expectations change together.  Time is handled as float days
since 1970-01-01 (naive UTC) throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- time helpers
US_PER_DAY = 86_400_000_000
SECONDS_PER_DAY = 86_400
MINUTES_PER_DAY = 1_440.0
YEAR_DAYS = 365.2425  # rates are "per year" of this length
_SEASON_EPOCH_DAYS = 10_957.0  # 2000-01-01; phase 0 of the seasonal cycle is 1 January


def to_days(value) -> np.ndarray | float:
    """Timestamp(s) (str, datetime, numpy/pandas, Series) -> float days since 1970-01-01."""
    if isinstance(value, (pd.Series, pd.Index, np.ndarray, list, tuple)):
        arr = np.asarray(pd.to_datetime(np.asarray(value)), dtype="datetime64[us]")
        return arr.astype(np.int64) / US_PER_DAY
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return np.datetime64(ts.as_unit("us").to_datetime64(), "us").astype(np.int64) / US_PER_DAY


# --------------------------------------------------------------------------- seasonality
# s(t) = c * (1 + A cos(2 pi (phase - phi)) + H * wrapped_gauss(phase; mu, sd)), with c chosen so
# that the mean of s over a year is exactly 1 (on the integration grid below).
_ANNUAL_AMPLITUDE = 0.12
_ANNUAL_PEAK_PHASE = 0.02  # mid-January high, mid-July low
_PEAK_HEIGHT = 0.6
_PEAK_CENTER = 0.905  # ~26 November (Black Friday / Cyber Monday)
_PEAK_SD = 0.04  # ~15 days; the bump reaches well into December
_GRID_N = 20_000


def _raw_seasonality(phase: np.ndarray) -> np.ndarray:
    phase = np.asarray(phase, dtype=float)
    out = 1.0 + _ANNUAL_AMPLITUDE * np.cos(2.0 * np.pi * (phase - _ANNUAL_PEAK_PHASE))
    for shift in (-1.0, 0.0, 1.0):
        out = out + _PEAK_HEIGHT * np.exp(-0.5 * ((phase - _PEAK_CENTER + shift) / _PEAK_SD) ** 2)
    return out


_GRID = np.linspace(0.0, 1.0, _GRID_N + 1)
_RAW_ON_GRID = _raw_seasonality(_GRID)
# trapezoid mean over one period (the function is periodic, so this is very accurate)
_NORMALISER = float(np.mean(_RAW_ON_GRID[:-1]))
_S_ON_GRID = _RAW_ON_GRID / _NORMALISER
# G(x) = integral_0^x (s(u) - 1) du over phase units, by cumulative trapezoid; G(1) == 0.
_G_ON_GRID = np.concatenate(
    [[0.0], np.cumsum(0.5 * (_S_ON_GRID[1:] + _S_ON_GRID[:-1]) - 1.0) / _GRID_N]
)
_G_ON_GRID[-1] = 0.0
SEASONALITY_MAX = float(_S_ON_GRID.max()) * 1.0001


def _phase(t_days):
    return np.mod((np.asarray(t_days, dtype=float) - _SEASON_EPOCH_DAYS) / YEAR_DAYS, 1.0)


def seasonality(t_days) -> np.ndarray:
    """Multiplicative seasonal factor s(t) of the order (and browsing) rate; yearly mean 1."""
    return _raw_seasonality(_phase(t_days)) / _NORMALISER


def _cumulative_exposure(t_days) -> np.ndarray:
    """S(t) = t + P * G(phase(t)): an antiderivative of s (in days), P = YEAR_DAYS."""
    t = np.asarray(t_days, dtype=float)
    return t + YEAR_DAYS * np.interp(_phase(t), _GRID, _G_ON_GRID)


def seasonal_exposure(t0_days, t1_days) -> np.ndarray:
    """Numerical integral of s(t) dt over [t0, t1] in days (0 where t1 <= t0)."""
    t0 = np.asarray(t0_days, dtype=float)
    t1 = np.asarray(t1_days, dtype=float)
    out = _cumulative_exposure(t1) - _cumulative_exposure(t0)
    return np.where(t1 > t0, out, 0.0)


# --------------------------------------------------------------------------- catalogue
CATEGORIES = (
    "fashion", "shoes", "electronics", "home_kitchen", "beauty", "sports_outdoors",
    "toys_games", "books_media", "grocery", "garden_diy", "health", "pet_supplies",
)  # fmt: skip
CATEGORY_POPULARITY = np.array(
    [0.16, 0.08, 0.10, 0.11, 0.09, 0.07, 0.07, 0.08, 0.07, 0.06, 0.06, 0.05]
)
CATEGORY_MEDIAN_PRICE = np.array(
    [35.0, 60.0, 90.0, 30.0, 18.0, 40.0, 25.0, 15.0, 8.0, 30.0, 14.0, 20.0]
)
CATEGORY_PRICE_SIGMA = np.array([0.8, 0.6, 1.1, 0.9, 0.7, 0.9, 0.8, 0.6, 0.7, 0.9, 0.7, 0.8])

REGIONS = ("north", "south", "east", "west", "central")
REGION_PROBS = np.array([0.21, 0.22, 0.18, 0.17, 0.22])
CITY_TIER_PROBS = np.array([0.35, 0.40, 0.25])
PAYMENT_METHODS = ("card", "paypal", "bank_transfer", "instalment")
EVENT_TYPES = ("view", "search", "add_to_cart", "remove_from_cart", "favorite", "checkout")
TERMS_MONTHS = (3, 6, 12)

# --------------------------------------------------------------------------- order economics
ORDER_VALUE_SIGMA = 0.5  # lognormal noise of a single order's gross value (mean-one)
DISCOUNT_FRACTION_LOW, DISCOUNT_FRACTION_HIGH = 0.05, 0.35  # of gross, when a discount is used
DISCOUNT_FRACTION_MEAN = 0.5 * (DISCOUNT_FRACTION_LOW + DISCOUNT_FRACTION_HIGH)
REFUND_FRACTION_LOW = 0.5  # refunds are 50-100 % of the net order value

# --------------------------------------------------------------------------- credit
# true PD = sigmoid(PD_INTERCEPT + PD_SLOPE * credit_risk_latent)
PD_INTERCEPT = -3.4
PD_SLOPE = 1.4
INSTALMENT_SPACING_DAYS = 30
DEFAULT_DAYS_PAST_DUE = 60
PERFORMANCE_WINDOW_DAYS = 365
SETTLE_TOLERANCE = 0.01


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def true_pd_from_latent(credit_risk_latent) -> np.ndarray:
    return sigmoid(PD_INTERCEPT + PD_SLOPE * np.asarray(credit_risk_latent, dtype=float))


def expected_net_order_value(
    spend_level, discount_share, cancel_prob, return_prob, refund_fraction_mean
) -> np.ndarray:
    """E[order_amount - discount - refund ; order not cancelled] per *placed* order.

    gross ~ spend_level (mean), discount = discount_share * gross on average (independent of the
    gross), a non-cancelled order is returned with return_prob and then refunds on average
    refund_fraction_mean of its net value.
    """
    m, d, c, rho, rf = (
        np.asarray(x, dtype=float)
        for x in (spend_level, discount_share, cancel_prob, return_prob, refund_fraction_mean)
    )
    return (1.0 - c) * m * (1.0 - d) * (1.0 - rho * rf)
