"""Prediction intervals of spend over the horizon, learned from held-out predictions.

A point forecast of spend is a mean over a heavily skewed, mostly-zero quantity, so no parametric
error model fits it. :class:`SpendIntervalCalibrator` learns the interval empirically instead:
it bins held-out rows by their predicted value and, per bin, takes the weighted empirical
quantiles of what the customers actually spent. A customer scored later gets the quantiles of
the bin its prediction falls in. Both ``predicted`` and ``actual`` are at the horizon's scale
(the caller passes the H-scaled label).

The bins are quantile bins of ``predicted`` (by rows, so each holds about as many rows),
``n_bins`` of them; tied predictions (e.g. a constant candidate, many customers predicted the
same small value) collapse equal edges, and a bin with fewer than ``min_bin_rows`` rows is
merged into its neighbour, so every quantile rests on enough rows (50 rows: 5 in each 10 % tail).
Then:

* ``lower`` is made non-decreasing across bins by a running minimum from the top bin down, and
  ``upper`` by a running maximum from the bottom up -- both only widen the interval, so the
  coverage learned never drops; a higher prediction never gets a lower bound;
* ``lower >= 0`` (net spend can be negative through refunds; the interval of a spend forecast
  starts at 0) and ``lower <= upper`` (kept by the two adjustments).

The interval need not contain the point prediction: the prediction is an expected value, and for
a customer with an 85 % chance of spending nothing the mean can exceed the 90th percentile.

Coverage is only as good as the held-out window is like the future: :func:`interval_coverage`
measures it on another window (the project reports it on the test window).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["SpendIntervalCalibrator", "interval_coverage", "weighted_quantile"]


def _as_finite_vector(values, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers: {exc}") from exc
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = int((~np.isfinite(array)).sum())
        raise ValueError(f"{name} holds {bad} missing or infinite value(s): drop or fill them first")
    return array


def _weights(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    weights = _as_finite_vector(sample_weight, "sample_weight")
    if len(weights) != n:
        raise ValueError(f"sample_weight has {len(weights)} values for {n} rows")
    if np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("sample_weight must be >= 0 with a positive sum")
    return weights


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The inverse of the weighted empirical distribution function at ``q``: the smallest value
    whose cumulative weight share reaches ``q`` (with unit weights, the classical ``type 1``
    sample quantile). Deterministic: ties in the values do not depend on the row order."""
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cumulative = np.cumsum(weights)
    # a relative tolerance so that q = 0.1 of ten unit weights lands on the first value exactly
    position = int(np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12), side="left"))
    return float(values[min(position, len(values) - 1)])


class SpendIntervalCalibrator(BaseEstimator):
    """Empirical prediction interval of spend per bin of the predicted spend (module docstring).

    ``quantiles``: the (lower, upper) quantile levels, 0 < lower < upper < 1 (default the 80 %
    interval, 10th-90th percentile); ``n_bins``: quantile bins of the predicted value before
    merging; ``min_bin_rows``: fewest rows a bin may rest on (smaller bins are merged).

    Fitted attributes: ``edges_`` (inner bin edges, ascending; a prediction ``p`` falls in bin
    ``searchsorted(edges_, p, side='right')``), ``lower_`` and ``upper_`` (per bin, after the
    monotone adjustments), ``bin_rows_`` (rows per bin).
    """

    def __init__(self, quantiles: tuple[float, float] = (0.1, 0.9), n_bins: int = 10, min_bin_rows: int = 50):
        self.quantiles = quantiles
        self.n_bins = n_bins
        self.min_bin_rows = min_bin_rows

    def _check_params(self) -> tuple[float, float]:
        try:
            low, high = (float(q) for q in self.quantiles)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"quantiles must be two numbers (lower, upper), got {self.quantiles!r}") from exc
        if not 0.0 < low < high < 1.0:
            raise ValueError(f"quantiles must satisfy 0 < lower < upper < 1, got {self.quantiles!r}")
        if not isinstance(self.n_bins, (int, np.integer)) or self.n_bins < 1:
            raise ValueError(f"n_bins must be an integer >= 1, got {self.n_bins!r}")
        if not isinstance(self.min_bin_rows, (int, np.integer)) or self.min_bin_rows < 1:
            raise ValueError(f"min_bin_rows must be an integer >= 1, got {self.min_bin_rows!r}")
        return low, high

    def _bin_edges(self, predicted: np.ndarray) -> np.ndarray:
        """Inner edges of quantile bins of ``predicted`` such that every bin holds at least
        ``min_bin_rows`` rows (ties collapse edges; small bins merge into the next one up, a
        small top bin into the one below). A value equal to an edge belongs to the bin above it."""
        ordered = np.sort(predicted)
        # the edge at level k / n_bins is the first value above that share of the rows
        positions = (np.arange(1, self.n_bins) * len(ordered)) // self.n_bins
        candidates = np.unique(ordered[positions])
        edges: list[float] = []
        start = 0  # rows below the last accepted edge
        for edge in candidates:
            below = int(np.searchsorted(ordered, edge, side="left"))  # rows in bins under this edge
            if below - start >= self.min_bin_rows:
                edges.append(float(edge))
                start = below
        if edges and len(ordered) - start < self.min_bin_rows:
            edges.pop()  # the top bin is too small: merge it into the one below
        return np.asarray(edges, dtype=float)

    def fit(self, predicted, actual, sample_weight=None) -> "SpendIntervalCalibrator":
        """Learn the interval from held-out ``predicted`` spend and the ``actual`` spend of the same
        rows (both at the horizon's scale), weighted by ``sample_weight`` (1 / inclusion rate of a
        sample) when given. Raises ``ValueError`` on missing values, fewer than ``min_bin_rows``
        rows, or an ``actual`` without any positive spend (nothing to learn a spread from)."""
        low, high = self._check_params()
        predicted = _as_finite_vector(predicted, "predicted")
        actual = _as_finite_vector(actual, "actual")
        if len(predicted) != len(actual):
            raise ValueError(f"predicted has {len(predicted)} values, actual {len(actual)}")
        if len(predicted) < self.min_bin_rows:
            raise ValueError(f"an interval needs at least min_bin_rows={self.min_bin_rows} held-out rows, "
                             f"got {len(predicted)}")
        if not np.any(actual > 0):
            raise ValueError("actual spend is zero or negative on every row: no spread to learn an interval from")
        weights = _weights(sample_weight, len(predicted))
        edges = self._bin_edges(predicted)
        bins = np.searchsorted(edges, predicted, side="right")
        n = len(edges) + 1
        lower, upper, rows = np.empty(n), np.empty(n), np.empty(n, dtype=int)
        for k in range(n):
            mask = bins == k
            rows[k] = int(mask.sum())
            w = weights[mask]
            if w.sum() <= 0:  # every row of the bin weighs 0: fall back to unit weights
                w = np.ones(rows[k])
            lower[k] = weighted_quantile(actual[mask], w, low)
            upper[k] = weighted_quantile(actual[mask], w, high)
        lower = np.maximum(lower, 0.0)
        upper = np.maximum(upper, 0.0)
        lower = np.minimum.accumulate(lower[::-1])[::-1]  # non-decreasing, only ever lowered
        upper = np.maximum.accumulate(upper)  # non-decreasing, only ever raised
        self.edges_, self.lower_, self.upper_, self.bin_rows_ = edges, lower, upper, rows
        return self

    def predict(self, predicted) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` bounds for each predicted spend (NaN where the prediction is missing;
        predictions beyond the fitted range get the outermost bin's bounds)."""
        check_is_fitted(self, "edges_")
        try:
            values = np.asarray(predicted, dtype=float).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"predicted must be numbers: {exc}") from exc
        missing = np.isnan(values)
        bins = np.searchsorted(self.edges_, np.where(missing, 0.0, values), side="right")
        lower = np.where(missing, np.nan, self.lower_[bins])
        upper = np.where(missing, np.nan, self.upper_[bins])
        return lower, upper


def interval_coverage(lower, upper, actual, sample_weight=None) -> float:
    """(Weighted) share of rows whose ``actual`` lies in ``[lower, upper]`` (bounds included).
    Raises ``ValueError`` on missing values, mismatched lengths or no rows."""
    lower = _as_finite_vector(lower, "lower")
    upper = _as_finite_vector(upper, "upper")
    actual = _as_finite_vector(actual, "actual")
    if not len(lower) == len(upper) == len(actual):
        raise ValueError(f"lower, upper and actual differ in length: {len(lower)}, {len(upper)}, {len(actual)}")
    if len(actual) == 0:
        raise ValueError("no rows to measure interval coverage on")
    weights = _weights(sample_weight, len(actual))
    inside = (actual >= lower) & (actual <= upper)
    return float(np.sum(weights * inside) / np.sum(weights))
