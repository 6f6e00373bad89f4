"""Fitting the scorecard's logistic regression on WOE columns under the sign rule.

WOE is ln(good share / bad share), so a feature's points follow its bins' risk exactly when its
coefficient is <= 0. Two policies keep every coefficient on that side (``ScorecardParams.sign_policy``):

* ``"drop"`` -- an unconstrained L2 logistic regression; while some coefficient is positive, the
  feature with the largest positive coefficient is dropped and the rest refitted (greedy).
* ``"bound"`` -- one L2 logistic regression with the bound ``coef <= 0`` on every feature
  (L-BFGS-B): a feature that only helps with the "wrong" sign -- typically one of several
  correlated views of the same history -- ends at exactly 0 instead of being removed with its
  useful part, and the others are fitted jointly with it. Where no bound is active the result is
  the unconstrained fit's.

Both minimise scikit-learn's ``LogisticRegression`` objective ``0.5 * |w|^2 + C * sum(log-loss)``
(intercept not penalised), so ``C`` means the same in both.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

__all__ = ["SIGN_POLICIES", "fit_sign_bounded_logit", "fit_sign_dropped_logit", "fit_signed_logit"]

SIGN_POLICIES = ("drop", "bound")


def fit_sign_bounded_logit(X, y, C: float = 1.0, max_iter: int = 1000) -> tuple[np.ndarray, float]:
    """``(coef, intercept)`` of the L2 logistic regression of ``y`` (0/1) on ``X`` with every
    coefficient <= 0. Deterministic (L-BFGS-B from a fixed start)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, p = X.shape
    sign = 2.0 * y - 1.0  # +1 default, -1 good

    def objective(theta):
        w, b = theta[:p], theta[p]
        z = X @ w + b
        margin = sign * z
        loss = np.logaddexp(0.0, -margin).sum()
        # d loss / d z = sigmoid(z) - y, written stably through the margin
        residual = -sign * np.exp(-np.logaddexp(0.0, margin))
        grad_w = C * (X.T @ residual) + w
        grad_b = C * residual.sum()
        return 0.5 * float(w @ w) + C * float(loss), np.r_[grad_w, grad_b]

    rate = (y.sum() + 0.5) / (n + 1.0)
    start = np.r_[np.zeros(p), np.log(rate / (1.0 - rate))]
    bounds = [(None, 0.0)] * p + [(None, None)]
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": max_iter, "ftol": 1e-12, "gtol": 1e-8})
    coef = np.minimum(result.x[:p], 0.0)
    return coef, float(result.x[p])


def fit_sign_dropped_logit(X, y, C: float = 1.0, max_iter: int = 1000) -> tuple[np.ndarray, float]:
    """``(coef, intercept)``: unconstrained L2 logistic regressions, dropping the column with the
    largest positive coefficient until none is positive (dropped columns get coefficient 0; with
    every column dropped, the intercept is ``nan`` and the caller keeps its base rate)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(int)
    coef = np.zeros(X.shape[1])
    selected = list(range(X.shape[1]))
    while selected:
        lr = LogisticRegression(C=C, max_iter=max_iter)
        lr.fit(X[:, selected], y)
        fitted = lr.coef_[0]
        if (fitted <= 0).all():
            coef[selected] = fitted
            return coef, float(lr.intercept_[0])
        selected = [j for k, j in enumerate(selected) if k != int(np.argmax(fitted))]
    return coef, float("nan")


def fit_signed_logit(X, y, policy: str, C: float = 1.0, max_iter: int = 1000) -> tuple[np.ndarray, float]:
    """The logistic regression of ``policy`` (one of :data:`SIGN_POLICIES`)."""
    if policy == "drop":
        return fit_sign_dropped_logit(X, y, C, max_iter)
    if policy == "bound":
        return fit_sign_bounded_logit(X, y, C, max_iter)
    raise ValueError(f"sign policy must be one of {SIGN_POLICIES}, got {policy!r}")
