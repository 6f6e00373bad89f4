"""The champion: a WOE logistic scorecard with Platt calibration, integer points and reason codes.

``fit``: a :class:`~.binning.FeatureBinning` per feature on the fit rows, then an L2 logistic
regression on the WOE columns of the features with some information value (strongest first; none
whose coefficient contradicts its WOE). ``calibrate``: Platt scaling on the calibration rows (it
sets the points), then the score-to-PD map (see "Calibration method" below).

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
(Platt: ``pd = 1 / (1 + base_odds * 2 ** ((score - base_score) / PDO))``; isotonic: the fitted
step function of the score). ``predict_proba`` goes the same way, so the metrics are those of the
deployed scores.

Calibration method
------------------
The points are always those of the Platt-scaled logistic regression, so they keep meaning
log-odds. The map from the integer score to PD is :class:`~.params.ScoreCalibrationParams`'
``method``: ``platt`` (the formula above), ``isotonic`` (an :class:`~.calibration.IsotonicScoreMap`
of the outcome on the integer score of the calibration rows) or ``auto``, chosen without
in-sample bias by K-fold cross-fitting within the calibration rows: for each fold, Platt is fitted
on the other folds (giving their integer scores), the Platt PD and an isotonic map fitted on the
other folds' scores predict the held-out fold; the pooled out-of-fold log losses are compared and
isotonic is chosen only when its loss is strictly lower (Platt otherwise, and when there are fewer
than two defaults or non-defaults to cross-fit). Stratified folds in row order (the training
protocol sorts the rows by feature date, so each fold is a slice of the cohort in time). The
chosen method is then fitted on all calibration rows; ``calibration_method_`` and the note say
which, with both losses.

Reason codes
------------
A customer's shortfall on feature *j* is the best (integer) points *j* can give minus the points
of the customer's bin; the up to four features with the largest positive shortfall (ties by
feature name) are the reasons, in that order (US Reg B practice: no more than four).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from ..features import FeatureSpec, prepare_features
from ..threads import with_fixed_threads
from ..training_log import join_notes
from .binning import FeatureBinning
from .calibration import CalibratedClassifier, IsotonicScoreMap, PlattScaling, smoothed_logit
from .params import AUTO, ISOTONIC, PLATT, PlattParams, ScoreCalibrationParams, ScorecardParams
from .scaling import ScoreScaling, score_to_pd
from .selection import fit_signed_logit

__all__ = ["MISSING_SUFFIX", "MAX_REASONS", "CreditScorecard", "round_half_up"]

MISSING_SUFFIX = ":missing"  # appended to a reason code whose feature value is missing
MAX_REASONS = 4  # adverse-action practice (US Reg B): more than four reasons is not helpful
SINGLE_CLASS_NOTE = "training rows hold a single class: scorecard is the smoothed base rate"
NO_FEATURE_NOTE = "no feature passed the information-value and sign checks: base rate only"
TOO_FEW_TO_CHOOSE = "too few defaults or non-defaults to cross-fit the choice"
SINGLE_CLASS_MAP = "calibration rows hold a single class: isotonic map skipped"


def round_half_up(x) -> np.ndarray:
    """Integers (int64) nearest to ``x``, halves rounded up (as the published score always was)."""
    return np.floor(np.asarray(x, dtype=float) + 0.5).astype(np.int64)


class CreditScorecard(CalibratedClassifier):
    """WOE scorecard: binning + logistic regression (``fit``) + Platt calibration and the
    score-to-PD map of ``score_calibration`` (``calibrate``) + the score scale it is published
    with (``scaling``).

    Fitted: ``binnings_`` (one per feature, in ``feature_spec.names`` order), ``coef_`` (0 for
    unselected features), ``intercept_``, ``fit_note_``; after ``calibrate``: ``calibration_``
    (Platt), ``calibration_method_`` ('platt' or 'isotonic'), ``isotonic_`` (the
    :class:`~.calibration.IsotonicScoreMap`, None under Platt) and ``calibration_cv_log_loss_``
    (out-of-fold log loss per method when the method was chosen, else None).
    ``version`` is the model version the training protocol gives it (``None`` outside it).
    """

    def __init__(self, feature_spec: FeatureSpec, *, scaling: ScoreScaling, n_bins: int = 6,
                 min_bin_share: float = 0.05, params: ScorecardParams = ScorecardParams(),
                 calibration: PlattParams = PlattParams(),
                 score_calibration: ScoreCalibrationParams = ScoreCalibrationParams(), version: str | None = None):
        super().__init__(feature_spec, params=params, calibration=calibration, version=version)
        self.scaling = scaling
        self.n_bins = n_bins
        self.min_bin_share = min_bin_share
        self.score_calibration = score_calibration

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

    # ---- calibration

    def calibrate(self, X, y) -> "CreditScorecard":
        """Platt scaling on rows ``X`` with outcomes ``y`` (0/1) -- it sets the points -- then the
        score-to-PD map of ``score_calibration`` (Platt, isotonic, or chosen by cross-fitting
        within these rows; see the module docstring). Returns self."""
        check_is_fitted(self, "binnings_")
        y = np.asarray(y, dtype=int)
        bins = self.bin_indices(X)
        logit = self.logit_from_bins(bins)
        method, self.calibration_cv_log_loss_, choice_note = self.score_calibration.method, None, None
        if method == AUTO:
            method, self.calibration_cv_log_loss_, choice_note = self._choose_method(bins, logit, y)
        if method == ISOTONIC and (len(y) == 0 or y.min() == y.max()):
            method, choice_note = PLATT, join_notes(choice_note, SINGLE_CLASS_MAP)
        self.calibration_ = PlattScaling(self.calibration).fit(logit, y)
        self.calibration_method_ = method
        self.isotonic_ = IsotonicScoreMap().fit(self.score_from_bins(bins), y) if method == ISOTONIC else None
        self.calibration_choice_note_ = f"score-to-PD map: {method}" + (f" ({choice_note})" if choice_note else "")
        return self

    def _choose_method(self, bins: np.ndarray, logit: np.ndarray, y: np.ndarray) -> tuple[str, dict | None, str]:
        """Platt or isotonic by cross-fitted log loss on these rows: ``(method, losses, note)``."""
        n_folds = min(self.score_calibration.n_folds, int(y.sum()), int(len(y) - y.sum()))
        if n_folds < 2:
            return PLATT, None, TOO_FEW_TO_CHOOSE
        held_out_pd = {PLATT: np.empty(len(y)), ISOTONIC: np.empty(len(y))}
        # No shuffle: the folds are slices of the rows' order, so no seed is needed.
        for fit_rows, held_out in StratifiedKFold(n_splits=n_folds).split(logit.reshape(-1, 1), y):
            platt = PlattScaling(self.calibration).fit(logit[fit_rows], y[fit_rows])
            score = self._score_from_bins(bins, (platt.a_, platt.b_))
            held_out_pd[PLATT][held_out] = score_to_pd(score[held_out], self.scaling)
            isotonic = IsotonicScoreMap().fit(score[fit_rows], y[fit_rows])
            held_out_pd[ISOTONIC][held_out] = isotonic.predict(score[held_out])
        losses = {method: _log_loss(y, p) for method, p in held_out_pd.items()}
        method = ISOTONIC if losses[ISOTONIC] < losses[PLATT] else PLATT
        note = (f"chosen by {n_folds}-fold cross-fitting on the calibration rows, out-of-fold log loss "
                f"platt {losses[PLATT]:.5f} vs isotonic {losses[ISOTONIC]:.5f}")
        return method, losses, note

    @property
    def calibration_note_(self) -> str | None:
        """What the Platt calibration and the choice of the score-to-PD map had to say."""
        return join_notes(super().calibration_note_, getattr(self, "calibration_choice_note_", None))

    # ---- the deployed (integer) scorecard

    def _deployed_points(self, platt: tuple[float, float]) -> tuple[int, list[np.ndarray]]:
        """Integer base points and integer points per bin under the Platt calibration ``(a, b)``."""
        a, b = platt
        scaling = self.scaling
        points = [round_half_up(-scaling.factor * b * self.coef_[j] * binning.woe_)
                  for j, binning in enumerate(self.binnings_)]
        exact_base = scaling.base_score - scaling.factor * (np.log(scaling.base_odds) + a + b * self.intercept_)
        return int(round_half_up(exact_base)), points

    def bin_points(self) -> list[np.ndarray]:
        """Integer points (int64) per bin of every feature (higher = lower risk); 0 for every bin
        of a feature the model does not use."""
        check_is_fitted(self, "binnings_")
        return self._deployed_points(self.platt_)[1]

    @property
    def base_points_(self) -> int:
        """Points every customer starts from: the intercept and calibration on the score scale."""
        check_is_fitted(self, "binnings_")
        return self._deployed_points(self.platt_)[0]

    @property
    def score_range_(self) -> tuple[int, int]:
        """Lowest and highest score the integer scorecard can give."""
        points = self.bin_points()
        low = self.base_points_ + sum(int(p.min()) for p in points)
        high = self.base_points_ + sum(int(p.max()) for p in points)
        return low, high

    def _score_from_bins(self, bins: np.ndarray, platt: tuple[float, float]) -> np.ndarray:
        base, bin_points = self._deployed_points(platt)
        score = np.full(bins.shape[0], base, dtype=np.int64)
        for j, points in enumerate(bin_points):
            score += points[bins[:, j]]
        return score

    def score_from_bins(self, bins: np.ndarray) -> np.ndarray:
        """Credit score (int64): base points plus the integer points of each row's bins."""
        check_is_fitted(self, "binnings_")
        return self._score_from_bins(bins, self.platt_)

    @property
    def score_map_(self) -> str:
        """The score-to-PD map in use: 'isotonic' or 'platt' (also before :meth:`calibrate`)."""
        return ISOTONIC if getattr(self, "isotonic_", None) is not None else PLATT

    def score_scale(self) -> pd.DataFrame:
        """``credit_score, probability_of_default`` for every score in :attr:`score_range_`: the
        one mapping from the integer score to PD (Platt: what the calibrated log-odds of that score
        imply on the stored scale; isotonic: the fitted step function, ties allowed), read by
        Python scoring and published for SQL scoring."""
        low, high = self.score_range_
        scores = np.arange(low, high + 1, dtype=np.int64)
        isotonic = getattr(self, "isotonic_", None)
        probability = score_to_pd(scores, self.scaling) if isotonic is None else isotonic.predict(scores)
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


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean log loss of 0/1 outcomes ``y`` under PDs ``p`` (already within [1e-6, 1 - 1e-6])."""
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))
