"""The champion: a WOE logistic scorecard with Platt calibration, integer points and reason codes.

``fit``: a :class:`~.binning.FeatureBinning` per feature on the fit rows, then an L2 logistic
regression on the WOE columns of the features with some information value (strongest first; none
whose coefficient contradicts its WOE). ``calibrate``: Platt scaling on the calibration rows.

Points, score and probability of default
----------------------------------------
With the stored :class:`~.scaling.ScoreScaling` (``factor`` = PDO / ln 2) and the Platt
calibration ``(a, b)``, the calibrated log-odds of *good* of a row are
``-(a + b * (intercept + sum_j coef_j * woe_j))``, so the score decomposes exactly as

    base  = base_score - factor * (ln(base_odds) + a + b * intercept)
    points_j(bin) = -factor * b * coef_j * woe_j(bin)

The deployed scorecard rounds both to **integers** (half up): ``credit_score = base_points +
sum_j points_j`` (an integer every consumer computes the same way, in Python or in SQL), and the
probability of default is a function of that integer score only, read from :meth:`score_scale`
(``pd = 1 / (1 + base_odds * 2 ** ((score - base_score) / PDO))``). ``predict_proba`` goes the
same way, so the metrics are those of the deployed scores.

Reason codes
------------
A customer's shortfall on feature *j* is the best (integer) points *j* can give minus the points
of the customer's bin; the up to four features with the largest positive shortfall (ties by
feature name) are the reasons, in that order (US Reg B practice: no more than four).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..features import FeatureSpec, prepare_features
from ..threads import with_fixed_threads
from .binning import FeatureBinning
from .calibration import CalibratedClassifier, smoothed_logit
from .params import PlattParams, ScorecardParams
from .scaling import PD_CLIP, ScoreScaling
from .selection import fit_signed_logit

__all__ = ["MISSING_SUFFIX", "MAX_REASONS", "CreditScorecard", "round_half_up"]

MISSING_SUFFIX = ":missing"  # appended to a reason code whose feature value is missing
MAX_REASONS = 4  # adverse-action practice (US Reg B): more than four reasons is not helpful
SINGLE_CLASS_NOTE = "training rows hold a single class: scorecard is the smoothed base rate"
NO_FEATURE_NOTE = "no feature passed the information-value and sign checks: base rate only"


def round_half_up(x) -> np.ndarray:
    """Integers (int64) nearest to ``x``, halves rounded up (as the published score always was)."""
    return np.floor(np.asarray(x, dtype=float) + 0.5).astype(np.int64)


class CreditScorecard(CalibratedClassifier):
    """WOE scorecard: binning + logistic regression (``fit``) + Platt calibration
    (``calibrate``) + the score scale it is published with (``scaling``).

    Fitted: ``binnings_`` (one per feature, in ``feature_spec.names`` order), ``coef_`` (0 for
    unselected features), ``intercept_``, ``fit_note_``; after ``calibrate``: ``calibration_``.
    ``version`` is the model version the training protocol gives it (``None`` outside it).
    """

    def __init__(self, feature_spec: FeatureSpec, *, scaling: ScoreScaling, n_bins: int = 6,
                 min_bin_share: float = 0.05, params: ScorecardParams = ScorecardParams(),
                 calibration: PlattParams = PlattParams(), version: str | None = None):
        super().__init__(feature_spec, params=params, calibration=calibration, version=version)
        self.scaling = scaling
        self.n_bins = n_bins
        self.min_bin_share = min_bin_share

    # ---- fitting

    @with_fixed_threads
    def fit(self, X: pd.DataFrame, y) -> "CreditScorecard":
        y = np.asarray(y, dtype=float)
        spec, params = self.feature_spec, self.params
        prepared = prepare_features(X, spec)
        binnings, woe_cols = [], []
        for name in spec.names:
            kind = "numeric" if name in spec.numeric else "categorical"
            values = prepared[name].to_numpy()
            binning = FeatureBinning(name, kind, max_n_bins=self.n_bins, min_bin_share=self.min_bin_share,
                                     max_prebins=params.max_prebins, woe_smoothing=params.woe_smoothing,
                                     min_category_rows=params.min_category_rows)
            binning.fit(values, y)
            binnings.append(binning)
            woe_cols.append(binning.woe_[binning.transform(values)])
        self.binnings_ = binnings
        woe = np.column_stack(woe_cols) if woe_cols else np.zeros((len(prepared), 0))
        self.coef_ = np.zeros(len(binnings))
        self.intercept_ = smoothed_logit(y)
        if len(y) == 0 or y.min() == y.max():
            self.fit_note_ = SINGLE_CLASS_NOTE
            return self
        values = np.array([b.information_value_ for b in binnings])
        ranked = [j for j in np.argsort(-values, kind="stable") if values[j] >= params.min_information_value]
        selected = ranked[: params.max_features]
        if selected:
            coef, intercept = fit_signed_logit(woe[:, selected], y, params.sign_policy, params.logit_C,
                                               params.max_iter)
            if np.isfinite(intercept):
                self.coef_[selected] = coef
                self.intercept_ = intercept
            selected = [j for j, c in zip(selected, coef) if c != 0]
        self.fit_note_ = None if selected else NO_FEATURE_NOTE
        return self

    # ---- prediction

    def bin_indices(self, X: pd.DataFrame) -> np.ndarray:
        """Bin of every row (rows) for every feature (columns, in ``binnings_`` order)."""
        check_is_fitted(self, "binnings_")
        prepared = prepare_features(X, self.feature_spec)
        if not self.binnings_:
            return np.zeros((len(prepared), 0), dtype=np.int64)
        return np.column_stack([b.transform(prepared[b.feature].to_numpy()) for b in self.binnings_])

    def _woe(self, bins: np.ndarray) -> np.ndarray:
        if not self.binnings_:
            return np.zeros((bins.shape[0], 0))
        return np.column_stack([b.woe_[bins[:, j]] for j, b in enumerate(self.binnings_)])

    def logit_from_bins(self, bins: np.ndarray) -> np.ndarray:
        """Uncalibrated log-odds of default of rows binned by :meth:`bin_indices`."""
        # A per-row sum, not a BLAS product: a row's log-odds must not depend on the rows
        # batched with it (see purchasing_power.estimators.RowwiseRidge).
        return self.intercept_ + (self._woe(bins) * self.coef_).sum(axis=1)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Uncalibrated log-odds of default."""
        return self.logit_from_bins(self.bin_indices(X))

    # ---- the deployed (integer) scorecard

    def _exact_points(self) -> list[np.ndarray]:
        factor, platt_b = self.scaling.factor, self.platt_[1]
        return [-factor * platt_b * self.coef_[j] * b.woe_ for j, b in enumerate(self.binnings_)]

    def bin_points(self) -> list[np.ndarray]:
        """Integer points (int64) per bin of every feature (higher = lower risk); 0 for every bin
        of a feature the model does not use."""
        check_is_fitted(self, "binnings_")
        return [round_half_up(points) for points in self._exact_points()]

    @property
    def base_points_(self) -> int:
        """Points every customer starts from: the intercept and calibration on the score scale."""
        check_is_fitted(self, "binnings_")
        a, b = self.platt_
        scaling = self.scaling
        exact = scaling.base_score - scaling.factor * (np.log(scaling.base_odds) + a + b * self.intercept_)
        return int(round_half_up(exact))

    @property
    def score_range_(self) -> tuple[int, int]:
        """Lowest and highest score the integer scorecard can give."""
        points = self.bin_points()
        low = self.base_points_ + sum(int(p.min()) for p in points)
        high = self.base_points_ + sum(int(p.max()) for p in points)
        return low, high

    def score_from_bins(self, bins: np.ndarray) -> np.ndarray:
        """Credit score (int64): base points plus the integer points of each row's bins."""
        score = np.full(bins.shape[0], self.base_points_, dtype=np.int64)
        for j, points in enumerate(self.bin_points()):
            score += points[bins[:, j]]
        return score

    def score_scale(self) -> pd.DataFrame:
        """``credit_score, probability_of_default`` for every score in :attr:`score_range_`: the
        one mapping from the integer score to PD (what the Platt-calibrated log-odds of that score
        imply on the stored scale), read by Python scoring and published for SQL scoring."""
        low, high = self.score_range_
        scores = np.arange(low, high + 1, dtype=np.int64)
        scaling = self.scaling
        log_odds_good = (scores - scaling.base_score) / scaling.factor + np.log(scaling.base_odds)
        probability = np.clip(1.0 / (1.0 + np.exp(log_odds_good)), PD_CLIP, 1 - PD_CLIP)
        return pd.DataFrame({"credit_score": scores, "probability_of_default": probability})

    def pd_from_score(self, scores) -> np.ndarray:
        """Probability of default of integer scores, looked up in :meth:`score_scale`."""
        table = self.score_scale()
        scores = np.asarray(scores, dtype=np.int64)
        low = int(table["credit_score"].iloc[0])
        position = scores - low
        if len(scores) and (position.min() < 0 or position.max() >= len(table)):
            raise ValueError("credit: a score outside the scorecard's range (was it changed after fitting?)")
        return table["probability_of_default"].to_numpy()[position]

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities (n x 2, column 1 = P(default)) of the deployed integer score."""
        p = self.pd_from_score(self.score_from_bins(self.bin_indices(X)))
        return np.column_stack([1.0 - p, p])

    # ---- explanation

    def top_shortfalls(self, bins: np.ndarray, n_codes: int = MAX_REASONS) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the ``n_codes`` features (indices into ``binnings_``) with the largest points
        shortfall against their best bin (ties by feature name), and those shortfalls (int64)."""
        n = bins.shape[0]
        if n == 0 or not self.binnings_:
            return np.zeros((n, 0), dtype=np.int64), np.zeros((n, 0), dtype=np.int64)
        points = self.bin_points()
        shortfall = np.column_stack([pts.max() - pts[bins[:, j]] for j, pts in enumerate(points)])
        # columns in name order, then a stable sort on -shortfall: ties resolve by name
        by_name = np.argsort(np.asarray([b.feature for b in self.binnings_], dtype=object), kind="stable")
        order = np.argsort(-shortfall[:, by_name], axis=1, kind="stable")[:, :n_codes]
        features = by_name[order]
        return features, np.take_along_axis(shortfall, features, axis=1)

    def reason_codes(self, bins: np.ndarray, n_codes: int = MAX_REASONS) -> list[list[str | None]]:
        """Top ``n_codes`` features by positive points shortfall per row (ties by name); a
        feature whose value is missing for the row is reported as ``name:missing``.
        ``bins`` as returned by :meth:`bin_indices`."""
        n = bins.shape[0]
        codes: list[list[str | None]] = [[None] * n for _ in range(n_codes)]
        features, shortfall = self.top_shortfalls(bins, n_codes)
        missing_bin = np.array([b.n_bins_ - 1 for b in self.binnings_])
        for k in range(features.shape[1]):
            # A reason that rests on a missing value says so ("late_instalment_share:missing"): a
            # customer without instalments has no late share, and must not be told it is high.
            is_missing = bins[np.arange(n), features[:, k]] == missing_bin[features[:, k]]
            codes[k] = [
                (self.binnings_[j].feature + (MISSING_SUFFIX if m else "")) if v > 0 else None
                for j, v, m in zip(features[:, k], shortfall[:, k], is_missing)
            ]
        return codes
