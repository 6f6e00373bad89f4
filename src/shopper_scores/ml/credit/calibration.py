"""Calibration, a step of its own after ``fit``: ``pd = sigmoid(a + b * logit)`` (Platt), and for
the scorecard optionally an isotonic map of its integer score.

:class:`PlattScaling` is fitted on a model's (uncalibrated) logit of the calibration rows;
:class:`PlattCalibrated` gives a fitted model ``calibrate(X, y)`` (returns the model) and the
calibrated ``predict_proba``. A model that was never calibrated predicts through the identity
(``a = 0``, ``b = 1``). :class:`IsotonicScoreMap` is the scorecard's alternative score-to-PD map
(:class:`~.scorecard.CreditScorecard` chooses between the two on the calibration rows).
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from ..features import FeatureSpec
from ..threads import with_fixed_threads
from ..training_log import join_notes
from .params import PlattParams
from .scaling import PD_CLIP

__all__ = [
    "PlattScaling", "IsotonicScoreMap", "PlattCalibrated", "CalibratedClassifier", "sigmoid", "smoothed_logit",
]

SINGLE_CLASS_NOTE = "calibration set has a single class: Platt calibration skipped (identity)"


def sigmoid(z) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def smoothed_logit(y) -> float:
    """Log-odds of the default rate of ``y`` with half a pseudo-row each way (finite for one class)."""
    y = np.asarray(y)
    rate = (y.sum() + 0.5) / (len(y) + 1.0)
    return float(math.log(rate / (1 - rate)))


class PlattScaling:
    """Logistic regression of the outcome on a model's logit: fitted ``a_`` (intercept) and
    ``b_`` (slope); the identity, with a note, when the calibration rows hold a single class."""

    def __init__(self, params: PlattParams = PlattParams()):
        self.params = params

    @with_fixed_threads
    def fit(self, z, y) -> "PlattScaling":
        y = np.asarray(y)
        if len(y) == 0 or y.min() == y.max():
            self.a_, self.b_, self.note_ = 0.0, 1.0, SINGLE_CLASS_NOTE
            return self
        lr = LogisticRegression(C=self.params.C, max_iter=self.params.max_iter)
        lr.fit(np.asarray(z, dtype=float).reshape(-1, 1), y.astype(int))
        self.a_, self.b_, self.note_ = float(lr.intercept_[0]), float(lr.coef_[0, 0]), None
        return self

    def __repr__(self) -> str:
        return f"PlattScaling(params={self.params!r})"


class IsotonicScoreMap:
    """Probability of default as a non-increasing step function of the integer credit score:
    scikit-learn's ``IsotonicRegression(increasing=False)`` of the outcome on the score, clipped
    to [1e-6, 1 - 1e-6], constant beyond the fitted scores (``out_of_bounds="clip"``). Tied PDs
    over neighbouring scores are expected (the pool-adjacent-violators steps)."""

    def fit(self, credit_score, y) -> "IsotonicScoreMap":
        self.isotonic_ = IsotonicRegression(increasing=False, y_min=PD_CLIP, y_max=1 - PD_CLIP,
                                            out_of_bounds="clip")
        self.isotonic_.fit(np.asarray(credit_score, dtype=float), np.asarray(y, dtype=float))
        return self

    def predict(self, credit_score) -> np.ndarray:
        p = self.isotonic_.predict(np.asarray(credit_score, dtype=float).reshape(-1))
        return np.clip(p, PD_CLIP, 1 - PD_CLIP)

    def __repr__(self) -> str:
        return "IsotonicScoreMap()"


class PlattCalibrated:
    """Mixin of the credit classifiers: ``decision_function`` (uncalibrated log-odds of default,
    from the subclass), ``calibrate``, ``predict_proba`` (n x 2, column 1 = P(default)) and
    ``predict``. Subclasses hold their :class:`~.params.PlattParams` in ``self.calibration``."""

    classes_ = np.array([0, 1])

    def calibrate(self, X, y):
        """Fit the Platt calibrator on rows ``X`` with outcomes ``y`` (0/1); returns self."""
        self.calibration_ = PlattScaling(self.calibration).fit(self.decision_function(X), np.asarray(y, dtype=int))
        return self

    @property
    def platt_(self) -> tuple[float, float]:
        """``(a, b)`` of the calibration; ``(0.0, 1.0)`` (identity) before :meth:`calibrate`."""
        calibration = getattr(self, "calibration_", None)
        return (0.0, 1.0) if calibration is None else (calibration.a_, calibration.b_)

    @property
    def calibration_note_(self) -> str | None:
        """What the calibration had to say (None before :meth:`calibrate`)."""
        calibration = getattr(self, "calibration_", None)
        return None if calibration is None else calibration.note_

    @property
    def note_(self) -> str | None:
        """What the fit and the calibration had to say (e.g. a single-class fallback)."""
        return join_notes(getattr(self, "fit_note_", None), self.calibration_note_)

    def proba_from_logit(self, z) -> np.ndarray:
        """Calibrated probabilities (n x 2) from uncalibrated log-odds ``z``: the one calibrated
        prediction step, shared by :meth:`predict_proba` and batch scoring."""
        a, b = self.platt_
        p = sigmoid(a + b * np.asarray(z, dtype=float))
        return np.column_stack([1.0 - p, p])

    def predict_proba(self, X) -> np.ndarray:
        return self.proba_from_logit(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


class CalibratedClassifier(PlattCalibrated, ClassifierMixin, BaseEstimator):
    """Base of the credit models that learn from features (the scorecard and the challenger): the
    parameters they share -- ``feature_spec``, their typed hyper-parameters ``params``, the
    ``calibration`` and the ``version`` the training protocol gives them (``None`` outside it) --
    and :attr:`feature_names`. Subclasses add their own parameters and ``decision_function``."""

    def __init__(self, feature_spec: FeatureSpec, *, params, calibration: PlattParams = PlattParams(),
                 version: str | None = None):
        self.feature_spec = feature_spec
        self.params = params
        self.calibration = calibration
        self.version = version

    @property
    def feature_names(self) -> list[str]:
        return list(self.feature_spec.names)
