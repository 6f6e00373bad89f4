"""The models the scorecard is compared with: a gradient-boosted challenger and the base rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted

from ..features import FeatureSpec, hist_gbm_pipeline, prepare_features
from ..threads import with_fixed_threads
from .calibration import CalibratedClassifier, smoothed_logit
from .params import GBMParams, PlattParams
from .scaling import PD_CLIP

__all__ = ["CreditGBM", "BaseRateClassifier"]

SINGLE_CLASS_NOTE = "training rows hold a single class: GBM is the smoothed base rate"
BASE_RATE_NOTE = "training default rate"


class CreditGBM(CalibratedClassifier):
    """Challenger: ``HistGradientBoostingClassifier`` on the ordinal-encoded features, then the
    same Platt calibration as the scorecard. Compared in the metrics table, never champion.

    Fitted: ``pipeline_`` (``None`` when the fit rows hold a single class: the model is then the
    smoothed base rate ``constant_logit_``), ``fit_note_``; after ``calibrate``: ``calibration_``.
    """

    def __init__(self, feature_spec: FeatureSpec, *, random_seed: int, params: GBMParams = GBMParams(),
                 calibration: PlattParams = PlattParams(), version: str | None = None):
        super().__init__(feature_spec, params=params, calibration=calibration, version=version)
        self.random_seed = random_seed

    @with_fixed_threads
    def fit(self, X: pd.DataFrame, y) -> "CreditGBM":
        y = np.asarray(y, dtype=int)
        if len(y) < 2 or y.min() == y.max():
            self.pipeline_, self.constant_logit_ = None, smoothed_logit(y.astype(float))
            self.fit_note_ = SINGLE_CLASS_NOTE
            return self
        pipeline = hist_gbm_pipeline(HistGradientBoostingClassifier, self.feature_spec, self.params, self.random_seed)
        pipeline.fit(prepare_features(X, self.feature_spec), y)
        self.pipeline_, self.constant_logit_, self.fit_note_ = pipeline, 0.0, None
        return self

    @with_fixed_threads
    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Uncalibrated log-odds of default."""
        check_is_fitted(self, "constant_logit_")
        if self.pipeline_ is None:
            return np.full(len(X), self.constant_logit_)
        return np.asarray(self.pipeline_.decision_function(prepare_features(X, self.feature_spec)), dtype=float)


class BaseRateClassifier(ClassifierMixin, BaseEstimator):
    """Baseline: the training default rate for every row -- scikit-learn's
    ``DummyClassifier(strategy="prior")``, its rate clipped to [1e-6, 1 - 1e-6] so that a
    single-class training set still gives two finite columns. Not calibrated.

    Fitted: ``dummy_``, ``rate_``, ``classes_`` (always 0, 1), ``fit_note_``,
    ``calibration_note_`` (None: never calibrated)."""

    def __init__(self, version: str | None = None):
        self.version = version

    def fit(self, X, y) -> "BaseRateClassifier":
        y = np.asarray(y, dtype=int)
        self.dummy_ = DummyClassifier(strategy="prior").fit(np.zeros((len(y), 1)), y)
        prior = dict(zip(self.dummy_.classes_.tolist(), self.dummy_.class_prior_))
        self.rate_ = float(np.clip(prior.get(1, 0.0), PD_CLIP, 1 - PD_CLIP))
        self.classes_ = np.array([0, 1])
        self.fit_note_ = BASE_RATE_NOTE
        self.calibration_note_ = None
        return self

    @property
    def note_(self) -> str | None:
        return getattr(self, "fit_note_", None)

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "rate_")
        p = np.full(len(X), self.rate_)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "rate_")
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
