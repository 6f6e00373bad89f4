"""The champion: a WOE logistic scorecard with Platt calibration, points and reason codes.

``fit``: a :class:`~.binning.FeatureBinning` per feature on the fit rows, then an L2 logistic
regression on the WOE columns of the features with some information value (strongest first; none
whose coefficient contradicts its WOE). ``calibrate``: Platt scaling on the calibration rows.

Reason codes
------------
The points of feature *j* in bin *b* are ``-factor * platt_slope * coef_j * woe_j(b)``.  A
customer's shortfall on *j* is the best points *j* can give minus the points of the customer's
bin; the up to three features with the largest positive shortfall (ties by feature name) are
``reason_code_1..3``.
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
from .scaling import ScoreScaling
from .selection import fit_signed_logit

__all__ = ["MISSING_SUFFIX", "CreditScorecard"]

MISSING_SUFFIX = ":missing"  # appended to a reason code whose feature value is missing
SINGLE_CLASS_NOTE = "training rows hold a single class: scorecard is the smoothed base rate"
NO_FEATURE_NOTE = "no feature passed the information-value and sign checks: base rate only"


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

    # ---- explanation

    def bin_points(self) -> list[np.ndarray]:
        """Points per bin of every feature (higher = lower risk), on the stored scale."""
        check_is_fitted(self, "binnings_")
        factor = self.scaling.factor
        platt_b = self.platt_[1]
        return [-factor * platt_b * self.coef_[j] * b.woe_ for j, b in enumerate(self.binnings_)]

    def reason_codes(self, bins: np.ndarray, n_codes: int = 3) -> list[list[str | None]]:
        """Top ``n_codes`` features by positive points shortfall per row (ties by name); a
        feature whose value is missing for the row is reported as ``name:missing``.
        ``bins`` as returned by :meth:`bin_indices`."""
        n = bins.shape[0]
        codes: list[list[str | None]] = [[None] * n for _ in range(n_codes)]
        if n == 0 or not self.binnings_:
            return codes
        points = self.bin_points()
        names_in_order = [b.feature for b in self.binnings_]
        shortfall = np.column_stack([pts.max() - pts[bins[:, j]] for j, pts in enumerate(points)])
        shortfall = np.round(shortfall, 9)  # ties across features are ties, not float noise
        # columns in name order, then a stable sort on -shortfall: ties resolve by name
        by_name = np.argsort(np.asarray(names_in_order, dtype=object), kind="stable")
        names = np.asarray(names_in_order, dtype=object)[by_name]
        shortfall = shortfall[:, by_name]
        order = np.argsort(-shortfall, axis=1, kind="stable")[:, :n_codes]
        top = np.take_along_axis(shortfall, order, axis=1)
        # A reason that rests on a missing value says so ("late_instalment_share:missing"): a
        # customer without instalments has no late share, and must not be told it is high.
        missing_bin = np.array([b.n_bins_ - 1 for b in self.binnings_])[by_name]
        is_missing = np.take_along_axis(bins[:, by_name] == missing_bin, order, axis=1)
        for k in range(order.shape[1]):
            codes[k] = [
                (str(names[j]) + (MISSING_SUFFIX if m else "")) if v > 0 else None
                for j, v, m in zip(order[:, k], top[:, k], is_missing[:, k])
            ]
        return codes
