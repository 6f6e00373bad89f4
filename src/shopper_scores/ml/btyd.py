"""Buy-till-you-die expectations as features: BG/NBD (Fader, Hardie & Lee 2005) x Gamma-Gamma.

The purchasing-power models use these as extra columns (the issue's "blending with the BG/NBD
expectation as a feature"): a GBM extrapolates a short label window to the horizon poorly, while
BG/NBD's conditional expectation is built for exactly that. Own maximum-likelihood fits (scipy),
no peer library.

Inputs per row, all as of the row's ``feature_date`` and derived from its point-in-time features:

* ``x``   repeat orders = ``orders_lifetime - 1`` (orders, not purchase days; >= 0)
* ``t_x`` days from the first to the last order = ``days_since_first_order - recency_days``
* ``T``   days from the first order to the feature date = ``days_since_first_order``
* ``m``   mean net value per order = ``net_spend_lifetime / orders_lifetime`` (the first order
  included, unlike the textbook Gamma-Gamma, which uses repeat orders only)

Time is measured in weeks inside the fits for numerical scale. Rows without any order get the
population expectation of a customer with ``x = 0`` and ``T = 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

from .features import to_float
from .threads import with_fixed_threads

REQUIRED_COLUMNS = ("orders_lifetime", "days_since_first_order", "recency_days", "net_spend_lifetime")
FEATURE_NAMES = ["btyd_expected_orders", "btyd_p_alive", "btyd_expected_order_value", "btyd_expected_spend"]
# Fits see at most this many rows (a fixed-seed uniform sample, weights kept), so time stays
# bounded with many customers: a likelihood evaluation costs time in proportion to the rows
# (about 50 ms at 180k rows on a 2-core VM, some 1,600 evaluations per fit, three fits per
# training run), while four population parameters are pinned far better than the sampling noise
# of the label windows by 50,000 buyers. Shops with fewer rows per stage fit on every row.
MAX_FIT_ROWS = 50_000
_WEEK = 7.0
_A_NEAR_ONE = 1e-6
# A fit whose final simplex spans less than this relative change of the likelihood has settled.
_LIKELIHOOD_RTOL = 1e-8


def _inputs(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    orders = np.nan_to_num(to_float(frame["orders_lifetime"]), nan=0.0)
    first = np.nan_to_num(to_float(frame["days_since_first_order"]), nan=0.0)
    recency = to_float(frame["recency_days"])
    spend = np.nan_to_num(to_float(frame["net_spend_lifetime"]), nan=0.0)
    x = np.maximum(orders - 1.0, 0.0)
    T = np.maximum(first, 0.0) / _WEEK
    t_x = np.clip(np.nan_to_num(first - recency, nan=0.0), 0.0, None) / _WEEK
    t_x = np.minimum(t_x, T)
    m = np.where(orders > 0, spend / np.maximum(orders, 1.0), 0.0)
    return x, t_x, T, m


def _mean(ll: np.ndarray, weights: np.ndarray | None) -> float:
    """The (weighted) mean log-likelihood; unweighted exactly as before weights existed."""
    if weights is None:
        return float(np.sum(ll)) / len(ll)
    return float(np.sum(weights * ll) / np.sum(weights))


def _bgnbd_negative_log_likelihood(log_params: np.ndarray, x, t_x, T, weights=None) -> float:
    r, alpha, a, b = np.exp(log_params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x), -np.inf)
    ll = a1 + a2 + np.logaddexp(a3, a4)
    return -_mean(ll, weights)


def _gamma_gamma_negative_log_likelihood(log_params: np.ndarray, x, m, weights=None) -> float:
    p, q, v = np.exp(log_params)
    ll = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
          + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))
    return -_mean(ll, weights)


def _fit(objective, start: np.ndarray, args: tuple) -> tuple[np.ndarray, bool]:
    """Maximum likelihood over log-parameters (Nelder-Mead); returns parameters and convergence."""
    def bounded(log_params: np.ndarray, *data) -> float:
        # Parameters far outside any plausible range (e^±30) or a non-finite likelihood are
        # simply infeasible for the simplex, not numpy warnings.
        if np.any(np.abs(log_params) > 30):
            return np.inf
        with np.errstate(all="ignore"):
            value = objective(log_params, *data)
        return value if np.isfinite(value) else np.inf

    result = minimize(bounded, np.log(start), args=args, method="Nelder-Mead",
                      options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-9})
    # Nelder-Mead also stops on maxiter when the optimum lies along a flat ridge (e.g. no visible
    # dropout: a, b -> infinity with a / b fixed), where the parameters keep moving but the
    # likelihood no longer changes: that is a fit. Whether xatol is met there first depends on
    # the last bits of the machine's sums, so without this the verdict differed between CPUs.
    spread = float(np.ptp(result.final_simplex[1]))
    settled = np.isfinite(result.fun) and spread <= _LIKELIHOOD_RTOL * max(1.0, abs(float(result.fun)))
    return np.exp(result.x), bool(result.success or settled)


@dataclass
class BTYDModel:
    """Fitted population parameters; :meth:`transform` adds :data:`FEATURE_NAMES` to any frame."""

    horizon_days: float
    bgnbd: tuple[float, float, float, float] | None  # r, alpha, a, b
    gamma_gamma: tuple[float, float, float] | None  # p, q, v

    def _alive_odds(self, x, t_x, T) -> np.ndarray:
        """Odds that a customer with this history has dropped out (0 without repeat orders)."""
        r, alpha, a, b = self.bgnbd
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.where(x > 0, a / np.maximum(b + x - 1, 1e-12) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)

    def expected_orders(self, frame: pd.DataFrame, days: float) -> np.ndarray:
        """BG/NBD conditional expectation of orders over the next ``days`` (NaN when unfitted)."""
        if self.bgnbd is None:
            return np.full(len(frame), np.nan)
        x, t_x, T, _ = _inputs(frame)
        return self._expected_orders(x, t_x, T, days)

    def _expected_orders(self, x, t_x, T, days: float) -> np.ndarray:
        r, alpha, a, b = self.bgnbd
        if abs(a - 1.0) < _A_NEAR_ONE:
            # The expectation divides by a - 1 (a removable singularity): evaluate just beside it.
            a = 1.0 + math.copysign(_A_NEAR_ONE, a - 1.0)
        t = days / _WEEK
        alive_odds = self._alive_odds(x, t_x, T)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = t / (alpha + T + t)
            expected = ((a + b + x - 1) / (a - 1)
                        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
                        / (1 + alive_odds))
        return np.where(np.isfinite(expected), np.clip(expected, 0.0, None), np.nan)

    def growth_ratio(self, frame: pd.DataFrame, from_days: float, to_days: float) -> np.ndarray:
        """E[orders over ``to_days``] / E[orders over ``from_days``], per row: how a forecast over
        ``from_days`` grows (or shrinks) to ``to_days`` when customers may drop out (BG/NBD), in
        place of the constant-rate factor ``to_days / from_days``, which also bounds a growth.
        The constant-rate factor where BG/NBD is not fitted or the ratio is undefined."""
        constant_rate = to_days / from_days
        if to_days == from_days:
            return np.ones(len(frame))
        if self.bgnbd is None:
            return np.full(len(frame), constant_rate)
        x, t_x, T, _ = _inputs(frame)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self._expected_orders(x, t_x, T, to_days) / self._expected_orders(x, t_x, T, from_days)
        usable = np.isfinite(ratio) & (ratio > 0)
        if to_days > from_days:
            ratio = np.minimum(ratio, constant_rate)
        return np.where(usable, ratio, constant_rate)

    def horizon_ratio(self, frame: pd.DataFrame, label_window_days: float) -> np.ndarray:
        """:meth:`growth_ratio` from the label window to the horizon (1 when the window is at
        least as long as the horizon: a forecast over L >= H is never shrunk here)."""
        if label_window_days >= self.horizon_days:
            return np.ones(len(frame))
        return self.growth_ratio(frame, label_window_days, self.horizon_days)

    def expected_spend(self, frame: pd.DataFrame, days: float) -> np.ndarray:
        """Expected orders over ``days`` x expected order value (NaN where either is unknown)."""
        return self.expected_orders(frame, days) * self.expected_order_value(frame)

    def expected_order_value(self, frame: pd.DataFrame) -> np.ndarray:
        """Gamma-Gamma expected value per order (NaN when Gamma-Gamma is not fitted)."""
        if self.gamma_gamma is None or len(frame) == 0:
            return np.full(len(frame), np.nan)
        x, _, _, m = _inputs(frame)
        p, q, v = self.gamma_gamma
        n = x + 1.0  # the first order counts towards m here (see module docstring)
        return np.where(m > 0, p * (v + n * m) / (p * n + q - 1), p * v / (q - 1))

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        if self.bgnbd is None or len(frame) == 0:
            for name in FEATURE_NAMES:
                out[name] = np.nan
            return out
        x, t_x, T, _ = _inputs(frame)
        p_alive = 1.0 / (1.0 + self._alive_odds(x, t_x, T))
        expected = self._expected_orders(x, t_x, T, self.horizon_days)
        value = self.expected_order_value(frame)
        out["btyd_expected_orders"] = expected
        out["btyd_p_alive"] = p_alive
        out["btyd_expected_order_value"] = value
        out["btyd_expected_spend"] = expected * value
        return out


@with_fixed_threads
def fit(frame: pd.DataFrame, horizon_days: float, seed: int = 42,
        sample_weight=None) -> tuple[BTYDModel, str | None]:
    """Fit BG/NBD and Gamma-Gamma on the rows' point-in-time inputs (no labels are used).

    ``sample_weight``: per-row weights of a stratified sample (1 / inclusion rate), so the fitted
    population is the one sampled from; None fits every row alike.
    """
    if any(col not in frame.columns for col in REQUIRED_COLUMNS):
        return BTYDModel(horizon_days, None, None), f"BTYD features need columns {', '.join(REQUIRED_COLUMNS)}"
    x, t_x, T, m = _inputs(frame)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    # Only customers with a live (not cancelled) order are buyers: one whose orders were all
    # cancelled has no purchase history for BG/NBD, whatever days_since_first_order says.
    live = np.nan_to_num(to_float(frame["orders_lifetime"]), nan=0.0) > 0
    x, t_x, T, m = x[live], t_x[live], T[live], m[live]
    # Row order must not matter (SQL gives none): fit on the inputs sorted, so every sum in the
    # likelihood runs in the same order and reruns give bit-identical parameters.
    if w is None:
        order = np.lexsort((m, T, t_x, x))
    else:
        w = w[live]
        order = np.lexsort((w, m, T, t_x, x))
    if len(order) > MAX_FIT_ROWS:
        order = order[np.sort(np.random.default_rng(seed).choice(len(order), size=MAX_FIT_ROWS, replace=False))]
    x, t_x, T, m = x[order], t_x[order], T[order], m[order]
    w = None if w is None else w[order]
    buyers = T > 0
    if buyers.sum() < 20 or (x[buyers] > 0).sum() < 5:
        return BTYDModel(horizon_days, None, None), "too few repeat buyers to fit BG/NBD: no BTYD features"
    bgnbd, converged = _fit(_bgnbd_negative_log_likelihood,
                            np.array([0.5, max(float(T[buyers].mean()), 1.0), 1.0, 2.0]),
                            (x[buyers], t_x[buyers], T[buyers], None if w is None else w[buyers]))
    if not converged:
        return BTYDModel(horizon_days, None, None), "BG/NBD fit did not converge: no BTYD features"
    note = None
    repeat = (x > 0) & (m > 0)
    gamma_gamma = None
    if repeat.sum() >= 5:
        gg, gg_converged = _fit(_gamma_gamma_negative_log_likelihood,
                                np.array([1.0, 2.0, max(float(m[repeat].mean()), 1.0)]),
                                (x[repeat] + 1.0, m[repeat], None if w is None else w[repeat]))
        gamma_gamma = tuple(float(v) for v in gg) if gg_converged and gg[1] > 1.0 else None
    if gamma_gamma is None:
        note = "Gamma-Gamma not fitted (too few repeat buyers, no convergence or q <= 1): order value feature empty"
    return BTYDModel(horizon_days, tuple(float(v) for v in bgnbd), gamma_gamma), note
