"""Per-feature binning with weights of evidence (WOE) and information value (IV).

Numerics: up to ``max_prebins`` quantile pre-bins (missing values in their own bin);
categoricals: the categories ordered by bad rate, rare ones pooled into ``(other)``. Every
pre-bin holds at least ``min_bin_share`` of the rows; pre-bins are merged into at most
``max_n_bins`` groups whose bad rate is monotone or has a single peak / valley, keeping the most
information value. Then a smoothed WOE per bin.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..features import MISSING_CATEGORY

__all__ = ["OTHER_CATEGORY", "FeatureBinning", "merge_ordered_bins"]

OTHER_CATEGORY = "(other)"


def _format_number(x: float) -> str:
    return format(float(x), ".6g")


def _smaller_neighbour(sizes, i: int) -> int:
    """The neighbour that unit ``i`` of an ordered sequence (at least two units) is merged into:
    the smaller one, left on ties; the only one at either end."""
    if i == 0:
        return 1
    if i == len(sizes) - 1:
        return i - 1
    return i - 1 if sizes[i - 1] <= sizes[i + 1] else i + 1


def _merge_small_numeric_bins(edges: np.ndarray, x: np.ndarray, min_count: float) -> np.ndarray:
    """Remove edges until every non-missing bin holds at least ``min_count`` rows.

    The smallest bin (leftmost on ties) is merged into its smaller neighbour
    (left on ties) -- deterministic.
    """
    edges = list(edges)
    while edges:
        counts = np.bincount(np.searchsorted(np.asarray(edges), x, side="left"), minlength=len(edges) + 1)
        smallest = int(np.argmin(counts))
        if counts[smallest] >= min_count:
            break
        # the edge between the two bins goes (edge k separates bins k and k + 1)
        del edges[min(smallest, _smaller_neighbour(counts, smallest))]
    return np.asarray(edges, dtype=float)


def _merge_small_ordered(counts: np.ndarray, min_count: float) -> np.ndarray:
    """Group index of every unit of an ordered sequence (e.g. categories by bad rate) after
    merging until every group holds at least ``min_count`` rows: the smallest group (leftmost
    on ties) joins its smaller neighbour (left on ties) -- deterministic. One group at least."""
    groups = [[i] for i in range(len(counts))]
    sizes = [float(c) for c in counts]
    while len(groups) > 1:
        smallest = int(np.argmin(sizes))
        if sizes[smallest] >= min_count:
            break
        lo, hi = sorted((smallest, _smaller_neighbour(sizes, smallest)))
        groups[lo:hi + 1] = [groups[lo] + groups[hi]]
        sizes[lo:hi + 1] = [sizes[lo] + sizes[hi]]
    index = np.zeros(len(counts), dtype=np.int64)
    for g, members in enumerate(groups):
        index[members] = g
    return index


def _iv_terms(rows: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Information value of each bin, with half-row pseudo-counts (no infinite terms)."""
    good = rows - bad
    g = (good + 0.5) / (good.sum() + 0.5 * len(rows))
    b = (bad + 0.5) / (bad.sum() + 0.5 * len(rows))
    return (g - b) * np.log(g / b)


def _pool_violators(rows: np.ndarray, bad: np.ndarray, direction: float) -> list[list[float]]:
    """Pool adjacent pre-bins until the bad rate rises (direction 1) or falls (-1) along the
    order.  Blocks are ``[rows, bad, number of pre-bins]``."""
    blocks: list[list[float]] = []
    for r, b in zip(rows.astype(float), bad.astype(float)):
        blocks.append([r, b, 1])
        while len(blocks) > 1 and direction * (
            blocks[-2][1] / max(blocks[-2][0], 1.0) - blocks[-1][1] / max(blocks[-1][0], 1.0)
        ) > 1e-12:
            last = blocks.pop()
            blocks[-1] = [x + y for x, y in zip(blocks[-1], last)]
    return blocks


def _trend_blocks(rows: np.ndarray, bad: np.ndarray):
    """Candidate groupings: bad rate rising, falling, then every peak and valley (rising then
    falling / falling then rising, turning after pre-bin k)."""
    for direction in (1.0, -1.0):
        yield _pool_violators(rows, bad, direction)
    for k in range(1, len(rows)):
        for direction in (1.0, -1.0):
            yield _pool_violators(rows[:k], bad[:k], direction) + _pool_violators(rows[k:], bad[k:], -direction)


def merge_ordered_bins(rows: np.ndarray, bad: np.ndarray, max_bins: int) -> np.ndarray:
    """Supervised merging of ordered pre-bins into at most ``max_bins`` consecutive groups.

    For each trend of :func:`_trend_blocks`, adjacent pre-bins that contradict it are pooled
    (pool-adjacent-violators), then the adjacent pair whose merge loses the least information
    value is merged until ``max_bins`` remain.  The grouping that keeps the most information
    value wins (earlier candidates on ties: monotone before peaks/valleys).  Returns the group
    index of every pre-bin.  Deterministic: ties go to the leftmost pair.
    """
    best_iv, best_groups = -np.inf, np.zeros(len(rows), dtype=np.int64)
    for blocks in _trend_blocks(rows, bad):
        while len(blocks) > max(max_bins, 1):
            r = np.array([blk[0] for blk in blocks])
            b = np.array([blk[1] for blk in blocks])
            terms = _iv_terms(r, b)
            losses = [
                terms[i] + terms[i + 1]
                - _iv_terms(np.r_[r[:i], r[i] + r[i + 1], r[i + 2:]], np.r_[b[:i], b[i] + b[i + 1], b[i + 2:]])[i]
                for i in range(len(blocks) - 1)
            ]
            i = int(np.argmin(np.round(losses, 12)))
            blocks[i:i + 2] = [[x + y for x, y in zip(blocks[i], blocks[i + 1])]]
        value = float(_iv_terms(np.array([blk[0] for blk in blocks]), np.array([blk[1] for blk in blocks])).sum())
        if value > best_iv + 1e-12:
            best_iv = value
            best_groups = np.repeat(np.arange(len(blocks)), [int(blk[2]) for blk in blocks])
    return best_groups


class FeatureBinning(BaseEstimator):
    """Bins of one feature with their weights of evidence.

    ``fit(values, y)`` on the values as produced by ``prepare_features`` (numerics as floats with
    NaN, categoricals as text with ``(missing)``) and 0/1 outcomes; ``transform(values)`` gives
    the bin index of every value.

    Numeric (``kind="numeric"``): right-closed intervals ``(-inf, e1], (e1, e2], ..., (ek, inf)``
    (fitted ``edges_``) followed by a ``(missing)`` bin. Categorical: the kept categories
    (``categories_``, sorted), each in the bin ``groups_[i]`` (a group's label lists its
    categories), ``(other)`` for rare and unseen ones, then ``(missing)``. A category is kept
    when it holds at least ``min(min_bin_share * rows, min_category_rows)`` rows: on large data a
    category of 1 % of the rows has a well-measured bad rate and is worth keeping even though it
    is below the minimum share, on small data the minimum share decides as before. Kept categories
    are ordered by bad rate smoothed with ``woe_smoothing`` pseudo-rows from the prior (ties by
    name), neighbours merged until every pre-bin holds ``min_bin_share`` of the rows, then the
    supervised merging.

    Fitted per bin: ``n_rows_``, ``n_bad_`` and ``woe_`` = ln(good share / bad share), smoothed
    with ``woe_smoothing`` pseudo-rows drawn from the prior (sparse bins shrink towards 0, empty
    bins get exactly 0).
    """

    def __init__(self, feature: str, kind: str = "numeric", max_n_bins: int = 6, min_bin_share: float = 0.05,
                 max_prebins: int = 20, woe_smoothing: float = 10.0, min_category_rows: int = 100):
        self.feature = feature
        self.kind = kind
        self.max_n_bins = max_n_bins
        self.min_bin_share = min_bin_share
        self.max_prebins = max_prebins
        self.woe_smoothing = woe_smoothing
        self.min_category_rows = min_category_rows

    # ---- fitting

    def fit(self, values, y) -> "FeatureBinning":
        if self.kind not in ("numeric", "categorical"):
            raise ValueError(f"FeatureBinning kind must be 'numeric' or 'categorical', got {self.kind!r}")
        values = np.asarray(values, dtype=float if self.kind == "numeric" else object)
        y = np.asarray(y, dtype=float)
        self.edges_ = np.zeros(0)
        self.categories_: list[str] = []
        self.groups_: list[int] = []
        if self.kind == "numeric":
            self._fit_numeric(values, y)
        else:
            self._fit_categorical(values, y)
        self._fit_woe(self.transform(values), y)
        return self

    def _fit_numeric(self, x: np.ndarray, y: np.ndarray) -> None:
        min_count = self.min_bin_share * len(x)
        observed_mask = ~np.isnan(x)
        observed = x[observed_mask]
        if observed.size == 0 or self.max_n_bins < 2:
            return
        n_prebins = max(self.max_n_bins, self.max_prebins)
        quantiles = np.linspace(0.0, 1.0, n_prebins + 1)[1:-1]
        edges = np.unique(np.quantile(observed, quantiles, method="lower"))
        edges = edges[edges < observed.max()]  # no empty top bin
        edges = _merge_small_numeric_bins(edges, observed, min_count)
        prebin = np.searchsorted(edges, observed, side="left")
        rows = np.bincount(prebin, minlength=len(edges) + 1)
        bad = np.bincount(prebin, weights=y[observed_mask], minlength=len(edges) + 1)
        groups = merge_ordered_bins(rows, bad, self.max_n_bins)
        self.edges_ = np.asarray(edges[np.flatnonzero(np.diff(groups))], dtype=float)

    def _fit_categorical(self, values: np.ndarray, y: np.ndarray) -> None:
        min_count = self.min_bin_share * len(values)
        present = values != MISSING_CATEGORY
        stats = (pd.DataFrame({"c": values[present].astype(str), "y": y[present]})
                 .groupby("c")["y"].agg(["size", "sum"]))
        stats = stats[stats["size"] >= max(min(min_count, self.min_category_rows), 1)]
        if stats.empty:
            return
        prior = float(y.mean())
        smoothing = self.woe_smoothing
        # Smoothed rate: a category seen a few times sits near the prior, not at an extreme.
        rate = (stats["sum"] + smoothing * prior) / (stats["size"] + smoothing)
        by_rate = stats.assign(rate=rate).reset_index().sort_values(["rate", "c"], kind="stable")
        if by_rate["size"].sum() < min_count:
            return  # all kept categories together are below the minimum share: (other) pools them
        prebin = _merge_small_ordered(by_rate["size"].to_numpy(), min_count)
        rows = np.bincount(prebin, weights=by_rate["size"].to_numpy(dtype=float))
        bad = np.bincount(prebin, weights=by_rate["sum"].to_numpy(dtype=float))
        groups = merge_ordered_bins(rows, bad, max(self.max_n_bins, 1))[prebin]
        group_of = dict(zip(by_rate["c"], groups))
        self.categories_ = sorted(stats.index)
        self.groups_ = [int(group_of[c]) for c in self.categories_]

    def _fit_woe(self, bins: np.ndarray, y: np.ndarray) -> None:
        n_rows = np.bincount(bins, minlength=self.n_bins_)
        n_bad = np.bincount(bins, weights=y, minlength=self.n_bins_).round().astype(np.int64)
        n_good = n_rows - n_bad
        total_bad, total_good = n_bad.sum(), n_good.sum()
        self.n_rows_, self.n_bad_ = n_rows.astype(np.int64), n_bad
        if total_bad == 0 or total_good == 0:
            self.woe_ = np.zeros(self.n_bins_)
            return
        n = total_bad + total_good
        prior_good, prior_bad = total_good / n, total_bad / n
        smoothing = self.woe_smoothing
        # pseudo-counts drawn from the prior: sparse bins shrink towards WOE 0,
        # empty bins (e.g. an unseen "(missing)") get exactly 0
        self.woe_ = np.log((n_good + smoothing * prior_good) / (n_bad + smoothing * prior_bad)) - math.log(
            prior_good / prior_bad
        )

    # ---- fitted structure

    @property
    def _n_groups(self) -> int:
        return max(self.groups_) + 1 if self.groups_ else 0

    @property
    def n_bins_(self) -> int:
        """Number of bins, ``(other)`` (categoricals) and ``(missing)`` included."""
        if self.kind == "numeric":
            return len(self.edges_) + 2
        return self._n_groups + 2

    @property
    def labels_(self) -> list[str]:
        if self.kind == "numeric":
            bounds = ["-inf", *(_format_number(e) for e in self.edges_), "inf"]
            intervals = [
                f"({lo}, {hi}]" if hi != "inf" else f"({lo}, {hi})"
                for lo, hi in zip(bounds[:-1], bounds[1:])
            ]
            return [*intervals, MISSING_CATEGORY]
        members: list[list[str]] = [[] for _ in range(self._n_groups)]
        for category, group in zip(self.categories_, self.groups_):
            members[group].append(category)
        return [*(", ".join(m) for m in members), OTHER_CATEGORY, MISSING_CATEGORY]

    @property
    def information_value_(self) -> float:
        """Sum over bins of (good share - bad share) * WOE (0 when a class is absent)."""
        n_bad = self.n_bad_.astype(float)
        n_good = self.n_rows_.astype(float) - n_bad
        if n_bad.sum() == 0 or n_good.sum() == 0:
            return 0.0
        return float(np.sum((n_good / n_good.sum() - n_bad / n_bad.sum()) * self.woe_))

    def transform(self, values) -> np.ndarray:
        """Bin index of every value (values as produced by ``prepare_features``)."""
        if self.kind == "numeric":
            x = np.asarray(values, dtype=float)
            idx = np.searchsorted(self.edges_, x, side="left")
            return np.where(np.isnan(x), len(self.edges_) + 1, idx).astype(np.int64)
        lookup = dict(zip(self.categories_, self.groups_))
        other, missing = self._n_groups, self._n_groups + 1
        return np.array(
            [missing if v == MISSING_CATEGORY else lookup.get(v, other) for v in values],
            dtype=np.int64,
        )
