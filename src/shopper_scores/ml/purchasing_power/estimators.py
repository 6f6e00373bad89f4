"""The purchasing-power estimators, scikit-learn style: constructors take parameters only,
``fit(X, y)`` returns the estimator, fitted attributes end in ``_``, ``predict(X)`` is the one
prediction path (training evaluation and batch scoring alike).

``X`` is a frame of customer rows holding the feature columns (extra columns are ignored);
predictions are net spend over the horizon, >= 0.

Candidates (:class:`PurchasingPowerModel` subclasses, what a ``model_blob`` holds) learn from
``y`` = the net spend over the label window of ``label_window_days`` days; how that relates to
the horizon is :func:`~.labels.fit_target`'s decision:

* :class:`GBMSpendRegressor` -- ``HistGradientBoostingRegressor`` (:data:`~.params.GBM_PARAMS`),
  categoricals ordinal-encoded and handled natively, labels clipped at 0 (Poisson loss).
* :class:`LinearSpendRegressor` -- signed ``log1p``, median imputation with indicators,
  standardisation, one-hot categoricals, Ridge (:data:`~.params.LINEAR_PARAMS`); predictions
  clipped at 0.
* :class:`BTYDBlendRegressor` -- a fitted GBM's prediction blended with the BG/NBD x Gamma-Gamma
  expected spend (:data:`~.params.BLEND_PARAMS`; the GBM alone without a BTYD fit).

Both fitted candidates see the BTYD expectations (:mod:`shopper_scores.ml.btyd`, fitted on the
training rows' features, no labels) as extra numeric columns; the fitted BTYD model travels
with the estimator, so scoring stays batch by batch. With fewer than two rows (or, for the GBM,
no positive spend) a candidate predicts the mean H-scaled label and says so in ``fit_note_``.

Baselines (metrics only, never champions) are horizon regressors fitted on the H-scaled label:
:func:`mean_baseline` (``DummyRegressor(strategy="mean")``) and :class:`NaiveRateRegressor`
(lifetime net spend per day of tenure times the horizon).
"""

from __future__ import annotations

import copy
import warnings
from abc import ABC, abstractmethod

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from .. import btyd
from ..features import FeatureSpec, hist_gbm_pipeline, prepare_features, to_float
from ..threads import with_fixed_threads
from ..training_log import join_notes
from . import labels
from .params import (
    BLEND_PARAMS,
    GBM_PARAMS,
    LINEAR_PARAMS,
    MLP_PARAMS,
    TWO_PART_PARAMS,
    GBMParams,
    LinearParams,
    MLPParams,
    TwoPartParams,
)

__all__ = [
    "LINEAR",
    "GBM",
    "BLEND",
    "NAIVE",
    "BTYD",
    "STACK",
    "BOOSTED",
    "TWO_PART",
    "MLP",
    "MEAN",
    "SIMPLE_CANDIDATES",
    "MODEL_CANDIDATES",
    "STACK_BASES",
    "CANDIDATES",
    "BASELINES",
    "MissingColumnsError",
    "PurchasingPowerModel",
    "GBMSpendRegressor",
    "LinearSpendRegressor",
    "BTYDBlendRegressor",
    "NaiveRateRegressor",
    "BTYDSpendRegressor",
    "BTYDBoostedRegressor",
    "TwoPartSpendRegressor",
    "MLPSpendRegressor",
    "StackedSpendRegressor",
    "stack_weights",
    "mean_baseline",
]

LINEAR = "purchasing_power_linear"
GBM = "purchasing_power_gbm"
BLEND = "purchasing_power_gbm_btyd_blend"
NAIVE = "purchasing_power_naive"
BTYD = "purchasing_power_btyd"
STACK = "purchasing_power_stack"
BOOSTED = "purchasing_power_btyd_boosted"
TWO_PART = "purchasing_power_two_part"
MLP = "purchasing_power_mlp"
MEAN = "purchasing_power_mean"
# The simple answers: candidates a learnt model must beat on every validation window to replace.
SIMPLE_CANDIDATES = (NAIVE, BTYD)
# Learnt candidates, in order of preference on ties; the stack combines STACK_BASES.
MODEL_CANDIDATES = (BOOSTED, GBM, TWO_PART, LINEAR, MLP, BLEND, STACK)
STACK_BASES = (GBM, TWO_PART, BTYD, NAIVE)
# Order matters: the first simple candidate is the default champion.
CANDIDATES = (*SIMPLE_CANDIDATES, *MODEL_CANDIDATES)
BASELINES = (MEAN,)


# The naive rate looks back over at most a year of the shop's history (a full season cycle).
NAIVE_MAX_PERIOD_DAYS = 365


class MissingColumnsError(ValueError):
    """An estimator needs columns the frame does not have."""


def _signed_log1p(x):
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.log1p(np.abs(x))


class PurchasingPowerModel(RegressorMixin, BaseEstimator):
    """Base of the candidates: what a ``model_blob`` holds and :func:`~.scoring.score` calls."""

    model_name: str = ""

    @property
    def feature_names(self) -> list[str]:
        """The fitted model's input features, sorted by name (BTYD expectations included)."""
        return self.spec.names

    @property
    def spec(self) -> FeatureSpec:
        """The fitted feature spec (alias of ``spec_``)."""
        check_is_fitted(self)
        return self.spec_


class _SpendRegressor(PurchasingPowerModel, ABC):
    """Shared parameters and fit/predict of the GBM and the linear candidate (``params``: their typed
    hyper-parameters); subclasses build the pipeline and give ``params`` its default."""

    _needs_positive_spend = False
    _too_little_note = ""

    def __init__(self, *, features: FeatureSpec, horizon_days: int, label_window_days: int, random_seed: int,
                 params):
        self.features = features
        self.horizon_days = horizon_days
        self.label_window_days = label_window_days
        self.random_seed = random_seed
        self.params = params

    @abstractmethod
    def _pipeline(self, spec: FeatureSpec) -> Pipeline:
        """The unfitted pipeline of this candidate on the features ``spec``."""

    def _fit_y(self, target: np.ndarray) -> np.ndarray:
        return target

    def _usable_spec(self, X: pd.DataFrame, spec: FeatureSpec) -> tuple[FeatureSpec, str | None]:
        """The features this model can learn from in ``X`` (all of them unless a subclass says
        otherwise) and a note on those it leaves out."""
        return spec, None

    @with_fixed_threads
    def fit(self, X: pd.DataFrame, y, btyd_fit: tuple[btyd.BTYDModel, str | None] | None = None,
            sample_weight=None):
        """Fit on training rows ``X`` and their label-window spend ``y``.

        ``btyd_fit``: ``btyd.fit(X, horizon_days, random_seed, sample_weight)`` of these same rows,
        when one BTYD fit is shared by several candidates; fitted here when None.
        ``sample_weight``: weights of a stratified sample (1 / inclusion rate), or None.
        """
        y = np.asarray(y, dtype=float)
        if len(y) < 2 or (self._needs_positive_spend and np.clip(y, 0.0, None).sum() <= 0):
            return self._fit_constant(y, f"{self._too_little_note}: constant prediction", sample_weight)
        self.spec_ = self.features
        self.btyd_model_ = None
        self.constant_ = None
        self.level_ = 1.0
        btyd_model, self.fit_note_ = btyd_fit if btyd_fit is not None else btyd.fit(
            X, self.horizon_days, self.random_seed, sample_weight)
        if btyd_model.bgnbd is not None:
            X = btyd_model.transform(X)
            self.spec_ = FeatureSpec(sorted(set(self.features.numeric) | set(btyd.FEATURE_NAMES)),
                                     self.features.categorical)
            self.btyd_model_ = btyd_model
        self.spec_, left_out = self._usable_spec(X, self.spec_)
        if not self.spec_.names:
            return self._fit_constant(y, join_notes(left_out, "no feature to learn from: constant prediction"),
                                      sample_weight)
        self.fit_note_ = join_notes(self.fit_note_, left_out)
        target, self.grows_by_btyd_ = labels.fit_target(y, self.label_window_days, self.horizon_days,
                                                        btyd_fitted=self.btyd_model_ is not None)
        pipeline = self._pipeline(self.spec_)
        weights = {} if sample_weight is None else {f"{pipeline.steps[-1][0]}__sample_weight": sample_weight}
        self.estimator_ = pipeline.fit(prepare_features(X, self.spec_), self._fit_y(target), **weights)
        return self

    def _fit_constant(self, y: np.ndarray, note: str, sample_weight=None):
        """Nothing to learn: predict the mean label at the horizon's scale (no BTYD, no growth)."""
        self.spec_ = self.features
        self.btyd_model_ = None
        self.grows_by_btyd_ = False
        self.estimator_ = None
        self.level_ = 1.0
        fit_y = self._fit_y(labels.horizon_scaled_spend(y, self.label_window_days, self.horizon_days))
        if not len(y):
            self.constant_ = 0.0
        else:
            self.constant_ = float(fit_y.mean() if sample_weight is None else np.average(fit_y, weights=sample_weight))
        self.fit_note_ = note
        return self

    def _predict_with_features(self, X: pd.DataFrame, days: float) -> tuple[np.ndarray, pd.DataFrame]:
        """Predictions over ``days`` of a fitted (non-constant) model and ``X`` with its BTYD columns.

        The estimator learnt the spend over L (grown by the BG/NBD ratio) or over H (constant
        rate): either way the span asked for is reached the same way.
        """
        if len(X) == 0:
            return np.zeros(0), X
        if self.btyd_model_ is not None:
            X = self.btyd_model_.transform(X)
        prediction = self._raw_prediction(prepare_features(X, self.spec_))
        if self.grows_by_btyd_:
            prediction = prediction * self.btyd_model_.growth_ratio(X, self.label_window_days, days)
        elif days != self.horizon_days:
            prediction = prediction * (days / self.horizon_days)
        return prediction * self.level_, X

    def _raw_prediction(self, design: pd.DataFrame) -> np.ndarray:
        """The fitted estimator's forecast of what it learnt, floored at 0."""
        return np.clip(np.asarray(self.estimator_.predict(design), dtype=float), 0.0, None)

    @with_fixed_threads
    def predict(self, X: pd.DataFrame, horizon_days: float | None = None) -> np.ndarray:
        """Net spend over ``horizon_days`` (default: the horizon H the model was fitted for)."""
        check_is_fitted(self)
        days = self.horizon_days if horizon_days is None else float(horizon_days)
        if self.estimator_ is None:
            return np.full(len(X), max(self.constant_, 0.0) * days / self.horizon_days * self.level_)
        return self._predict_with_features(X, days)[0]


class GBMSpendRegressor(_SpendRegressor):
    """The GBM candidate (``params``: :class:`~.params.GBMParams`)."""

    model_name = GBM
    _needs_positive_spend = True
    _too_little_note = "too little positive spend to fit the GBM"

    def __init__(self, *, features: FeatureSpec, horizon_days: int, label_window_days: int, random_seed: int,
                 params: GBMParams = GBM_PARAMS):
        super().__init__(features=features, horizon_days=horizon_days, label_window_days=label_window_days,
                         random_seed=random_seed, params=params)

    def _fit_y(self, target: np.ndarray) -> np.ndarray:
        return np.clip(target, 0.0, None)  # Poisson loss needs non-negative labels

    def _usable_spec(self, X: pd.DataFrame, spec: FeatureSpec) -> tuple[FeatureSpec, str | None]:
        # HistGradientBoosting cannot bin a column without a single value (it raises), e.g. a
        # source that only exists in recent windows, or the BTYD order value when Gamma-Gamma
        # was not fitted: the GBM leaves such columns out (the linear model imputes them).
        empty = [name for name in spec.numeric if np.isnan(to_float(X[name])).all()]
        if not empty:
            return spec, None
        usable = FeatureSpec([name for name in spec.numeric if name not in empty], spec.categorical)
        return usable, f"not used by the GBM, no value in its training rows: {', '.join(empty)}"

    def _pipeline(self, spec: FeatureSpec) -> Pipeline:
        return hist_gbm_pipeline(HistGradientBoostingRegressor, spec, self.params, self.random_seed)


# BG/NBD may call a customer all but gone (expected spend ~0) who still buys: dividing by that
# makes a tree leaf's correction explode for every row in it. The expectation is floored at this
# share of its training mean, and no correction exceeds BOOSTED_MAX_CORRECTION.
BOOSTED_EXPOSURE_FLOOR = 0.05
BOOSTED_MAX_CORRECTION = 20.0


class BTYDBoostedRegressor(GBMSpendRegressor):
    """The BTYD expected spend times a GBM's multiplicative correction: gradient boosting with
    Poisson loss and the BTYD expectation as offset, i.e. the label-window spend divided by the
    expected spend over the label window, weighted by that expectation (the two are the same
    likelihood). The forecast starts from BG/NBD x Gamma-Gamma, which extrapolates to any span,
    and the trees learn only what the features say it gets wrong; the correction is assumed not
    to depend on the span. Without a BG/NBD fit the candidate predicts a constant (note).
    """

    model_name = BOOSTED
    _too_little_note = "too little positive spend to boost the BTYD expectation"

    def _exposure(self, X_with_btyd: pd.DataFrame, days: float) -> np.ndarray:
        """Expected spend over ``days`` (order value: Gamma-Gamma's, else the fitted mean), floored
        at :data:`BOOSTED_EXPOSURE_FLOOR` of its training mean so that no row divides by ~0."""
        orders = self.btyd_model_.expected_orders(X_with_btyd, days)
        value = (self.btyd_model_.expected_order_value(X_with_btyd) if self.order_value_ is None
                 else np.full(len(X_with_btyd), self.order_value_))
        expected = np.nan_to_num(orders * value, nan=0.0)
        return np.maximum(expected, self.exposure_floor_ * days / self.label_window_days)

    @with_fixed_threads
    def fit(self, X: pd.DataFrame, y, btyd_fit: tuple[btyd.BTYDModel, str | None] | None = None,
            sample_weight=None):
        y = np.asarray(y, dtype=float)
        btyd_model, note = btyd_fit if btyd_fit is not None else btyd.fit(
            X, self.horizon_days, self.random_seed, sample_weight)
        if btyd_model.bgnbd is None or len(y) < 2 or np.clip(y, 0.0, None).sum() <= 0:
            return self._fit_constant(y, join_notes(note, f"{self._too_little_note}: constant prediction"),
                                      sample_weight)
        self.btyd_model_, self.constant_, self.level_, self.grows_by_btyd_ = btyd_model, None, 1.0, False
        self.order_value_ = None
        if btyd_model.gamma_gamma is None:
            fallback = BTYDSpendRegressor(horizon_days=self.horizon_days, label_window_days=self.label_window_days,
                                          random_seed=self.random_seed).fit(X, y, btyd_fit=(btyd_model, None),
                                                                            sample_weight=sample_weight)
            self.order_value_ = fallback.order_value_
        X = btyd_model.transform(X)
        spec = FeatureSpec(sorted(set(self.features.numeric) | set(btyd.FEATURE_NAMES)), self.features.categorical)
        self.spec_, left_out = self._usable_spec(X, spec)
        self.fit_note_ = join_notes(note, left_out)
        self.exposure_floor_ = 0.0
        raw = self._exposure(X, self.label_window_days)
        self.exposure_floor_ = BOOSTED_EXPOSURE_FLOOR * float(np.average(raw, weights=sample_weight))
        exposure = self._exposure(X, self.label_window_days)
        weights = exposure if sample_weight is None else exposure * np.asarray(sample_weight, dtype=float)
        self.estimator_ = self._pipeline(self.spec_).fit(prepare_features(X, self.spec_),
                                                         np.clip(y, 0.0, None) / exposure, gbm__sample_weight=weights)
        return self

    @with_fixed_threads
    def predict(self, X: pd.DataFrame, horizon_days: float | None = None) -> np.ndarray:
        check_is_fitted(self)
        days = self.horizon_days if horizon_days is None else float(horizon_days)
        if self.estimator_ is None:
            return super().predict(X, days)
        if len(X) == 0:
            return np.zeros(0)
        X = self.btyd_model_.transform(X)
        correction = np.clip(np.asarray(self.estimator_.predict(prepare_features(X, self.spec_)), dtype=float),
                             0.0, BOOSTED_MAX_CORRECTION)
        return self._exposure(X, days) * correction * self.level_


class RowwiseRidge(Ridge):
    """``Ridge`` whose prediction of a row depends on that row alone.

    ``Ridge.predict`` is a BLAS matrix-vector product, whose kernels add a row's terms in an order
    that depends on where the row sits in the batch (measured: a few rows in 5,000 change in the
    last bit when the rows are shuffled); scoring batches are cut wherever the table's row order
    puts them. A per-row sum does not depend on the batch.
    """

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return (np.asarray(X, dtype=float) * self.coef_).sum(axis=1) + self.intercept_


class LinearSpendRegressor(_SpendRegressor):
    """The linear candidate (``params``: :class:`~.params.LinearParams`)."""

    model_name = LINEAR
    _too_little_note = "too few rows to fit the linear model"

    def __init__(self, *, features: FeatureSpec, horizon_days: int, label_window_days: int, random_seed: int,
                 params: LinearParams = LINEAR_PARAMS):
        super().__init__(features=features, horizon_days=horizon_days, label_window_days=label_window_days,
                         random_seed=random_seed, params=params)

    def _pipeline(self, spec: FeatureSpec) -> Pipeline:
        return Pipeline([
            ("prepare", _scaled_design(spec, self.params.onehot_min_frequency)),
            ("ridge", RowwiseRidge(alpha=self.params.alpha)),
        ])


def _scaled_design(spec: FeatureSpec, onehot_min_frequency: int) -> ColumnTransformer:
    """Signed ``log1p`` of the numerics, median imputation with missing indicators,
    standardisation; one-hot categoricals (rarer levels pooled): the linear and MLP candidates'
    design matrix."""
    transformers = []
    if spec.numeric:
        transformers.append((
            "num",
            Pipeline([
                ("signed_log1p", FunctionTransformer(_signed_log1p, feature_names_out="one-to-one")),
                ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                ("scale", StandardScaler()),
            ]),
            spec.numeric,
        ))
    if spec.categorical:
        transformers.append((
            "cat",
            OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=onehot_min_frequency,
                          sparse_output=False),
            spec.categorical,
        ))
    return ColumnTransformer(transformers, remainder="drop")


class TwoPartSpendRegressor(GBMSpendRegressor):
    """P(any purchase in the label window) x E[spend | a purchase], two gradient-boosted models
    (:data:`~.params.TWO_PART_PARAMS`): a classifier of ``spend > 0`` on every row and a gamma-loss
    regressor on the buyers' spend. A zero-heavy target is two questions -- will they buy, and
    how much then -- that one Poisson model answers at once. The product is the spend over L,
    grown to any span by the BG/NBD ratio (constant rate without BG/NBD). Net refunds count as
    no purchase. Fewer than ``min_buyers`` buyers (or no non-buyer): a constant (note).
    """

    model_name = TWO_PART
    _too_little_note = "too few buyers (or no non-buyer) to fit the two-part model"

    def __init__(self, *, features: FeatureSpec, horizon_days: int, label_window_days: int, random_seed: int,
                 params: TwoPartParams = TWO_PART_PARAMS):
        _SpendRegressor.__init__(self, features=features, horizon_days=horizon_days,
                                 label_window_days=label_window_days, random_seed=random_seed, params=params)

    @with_fixed_threads
    def fit(self, X: pd.DataFrame, y, btyd_fit: tuple[btyd.BTYDModel, str | None] | None = None,
            sample_weight=None):
        y = np.asarray(y, dtype=float)
        bought = y > 0
        if len(y) < 2 or bought.sum() < self.params.min_buyers or bought.all():
            return self._fit_constant(y, f"{self._too_little_note}: constant prediction", sample_weight)
        btyd_model, note = btyd_fit if btyd_fit is not None else btyd.fit(
            X, self.horizon_days, self.random_seed, sample_weight)
        self.constant_, self.level_ = None, 1.0
        self.btyd_model_ = btyd_model if btyd_model.bgnbd is not None else None
        self.grows_by_btyd_ = self.btyd_model_ is not None
        spec = self.features
        if self.btyd_model_ is not None:
            X = self.btyd_model_.transform(X)
            spec = FeatureSpec(sorted(set(spec.numeric) | set(btyd.FEATURE_NAMES)), spec.categorical)
        self.spec_, left_out = self._usable_spec(X, spec)
        self.fit_note_ = join_notes(note, left_out)
        design = prepare_features(X, self.spec_)
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.purchase_ = hist_gbm_pipeline(HistGradientBoostingClassifier, self.spec_, self.params.purchase,
                                           self.random_seed).fit(design, bought, gbm__sample_weight=weights)
        self.estimator_ = hist_gbm_pipeline(HistGradientBoostingRegressor, self.spec_, self.params.value,
                                            self.random_seed).fit(design[bought], y[bought],
                                                                  gbm__sample_weight=weights[bought])
        return self

    def _predict_with_features(self, X: pd.DataFrame, days: float) -> tuple[np.ndarray, pd.DataFrame]:
        if len(X) == 0:
            return np.zeros(0), X
        if self.btyd_model_ is not None:
            X = self.btyd_model_.transform(X)
        design = prepare_features(X, self.spec_)
        p_buy = self.purchase_.predict_proba(design)[:, list(self.purchase_.classes_).index(True)]
        spend = p_buy * np.clip(np.asarray(self.estimator_.predict(design), dtype=float), 0.0, None)
        if self.btyd_model_ is not None:
            spend = spend * self.btyd_model_.growth_ratio(X, self.label_window_days, days)
        else:
            spend = spend * (days / self.label_window_days)
        return spend * self.level_, X


class MLPSpendRegressor(_SpendRegressor):
    """The neural-network candidate (:data:`~.params.MLP_PARAMS`): the linear candidate's design
    matrix, then ``MLPRegressor`` on ``log1p`` of the spend (non-negative part), back-transformed
    with ``expm1``. Fitted on at most ``max_rows`` rows (a fixed-seed sample, their weights kept).
    Like the GBM it learns the spend over L and grows it by the BG/NBD ratio when it can."""

    model_name = MLP
    _too_little_note = "too few rows to fit the MLP"

    def __init__(self, *, features: FeatureSpec, horizon_days: int, label_window_days: int, random_seed: int,
                 params: MLPParams = MLP_PARAMS):
        super().__init__(features=features, horizon_days=horizon_days, label_window_days=label_window_days,
                         random_seed=random_seed, params=params)

    def _fit_y(self, target: np.ndarray) -> np.ndarray:
        return np.clip(target, 0.0, None)

    def _pipeline(self, spec: FeatureSpec) -> Pipeline:
        network = MLPRegressor(hidden_layer_sizes=tuple(self.params.hidden_layer_sizes), alpha=self.params.alpha,
                               learning_rate_init=self.params.learning_rate_init, max_iter=self.params.max_iter,
                               random_state=self.random_seed)
        return Pipeline([
            ("prepare", _scaled_design(spec, self.params.onehot_min_frequency)),
            ("mlp", TransformedTargetRegressor(regressor=network, func=np.log1p, inverse_func=np.expm1,
                                               check_inverse=False)),
        ])

    @with_fixed_threads
    def fit(self, X: pd.DataFrame, y, btyd_fit: tuple[btyd.BTYDModel, str | None] | None = None,
            sample_weight=None):
        y = np.asarray(y, dtype=float)
        note = None
        if len(y) > self.params.max_rows:
            keep = np.sort(np.random.default_rng(self.random_seed).choice(len(y), self.params.max_rows, replace=False))
            note = f"MLP fitted on a uniform sample of {self.params.max_rows} of {len(y)} rows"
            X, y = X.iloc[keep].reset_index(drop=True), y[keep]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[keep]
        with warnings.catch_warnings():
            # max_iter bounds the time; an unfinished optimisation is still a fit (the choice
            # windows judge it)
            warnings.simplefilter("ignore", ConvergenceWarning)
            super().fit(X, y, btyd_fit=btyd_fit, sample_weight=sample_weight)
        # expm1 of an extrapolated log forecast can explode: never above twice the largest
        # spend it learnt from
        scale = 1.0 if self.grows_by_btyd_ else self.horizon_days / self.label_window_days  # as fit_target
        self.prediction_cap_ = 2.0 * scale * float(np.clip(y, 0.0, None).max()) if len(y) else 0.0
        self.fit_note_ = join_notes(self.fit_note_, note)
        return self

    def _raw_prediction(self, design: pd.DataFrame) -> np.ndarray:
        return np.clip(super()._raw_prediction(design), 0.0, self.prediction_cap_)


class BTYDBlendRegressor(PurchasingPowerModel):
    """``(1 - btyd_weight) x estimator + btyd_weight x BTYD expected spend`` (clipped at 0; the
    estimator's prediction where the expectation is not finite).

    ``estimator``: a :class:`GBMSpendRegressor`; with ``prefit=True`` it is already fitted and
    :meth:`fit` only wraps it (the blend reuses the GBM candidate rather than fitting it again).
    Without a BTYD fit behind the estimator, or when it predicts a constant, the blend is the
    estimator. Its own ``level_`` (set by the training run) scales the blended forecast.
    """

    model_name = BLEND

    def __init__(self, estimator: GBMSpendRegressor, *, btyd_weight: float = BLEND_PARAMS.btyd_weight,
                 prefit: bool = False):
        self.estimator = estimator
        self.btyd_weight = btyd_weight
        self.prefit = prefit

    def fit(self, X: pd.DataFrame, y, btyd_fit: tuple[btyd.BTYDModel, str | None] | None = None,
            sample_weight=None):
        if self.prefit:
            check_is_fitted(self.estimator)
            # a copy: the training run sets each candidate's level_ on its own object
            self.estimator_ = copy.copy(self.estimator)
            self.estimator_.level_ = 1.0
        else:
            self.estimator_ = clone(self.estimator).fit(X, y, btyd_fit=btyd_fit, sample_weight=sample_weight)
        self.spec_ = self.estimator_.spec_
        self.btyd_model_ = self.estimator_.btyd_model_
        self.horizon_days = self.estimator_.horizon_days
        self.weight_ = None
        self.level_ = 1.0
        self.fit_note_ = self.estimator_.fit_note_
        if self.estimator_.estimator_ is not None:
            if self.estimator_.btyd_model_ is None:
                self.fit_note_ = join_notes(self.fit_note_, "no BTYD expectation to blend with: the blend is the GBM")
            else:
                self.weight_ = float(self.btyd_weight)
        return self

    def predict(self, X: pd.DataFrame, horizon_days: float | None = None) -> np.ndarray:
        check_is_fitted(self)
        days = self.horizon_days if horizon_days is None else float(horizon_days)
        if self.weight_ is None:
            return self.estimator_.predict(X, days) * self.level_
        prediction, with_btyd = self.estimator_._predict_with_features(X, days)
        if len(X) == 0:
            return prediction
        expected = np.clip(self.btyd_model_.expected_spend(with_btyd, days), 0.0, None)
        blended = (1 - self.weight_) * prediction + self.weight_ * expected
        return np.where(np.isfinite(blended), blended, prediction) * self.level_


class NaiveRateRegressor(PurchasingPowerModel):
    """The simple answer, a candidate: lifetime net spend per day observed, times the span,
    floored at 0. Learns nothing from ``y``; :meth:`fit` checks that its columns exist.

    Days observed: from ``history_start`` (the shop's first clean order) to the row's date
    (``feature_date``, else ``as_of_date``), at most :data:`NAIVE_MAX_PERIOD_DAYS`, and never less
    than the customer's tenure: the classic calibration-period rate, which does not blow up for a
    customer whose first order was days ago (as spend per day of tenure does). Without
    ``history_start`` or a date column, the tenure (at least one day). ``btyd_fit`` is only
    carried along (``btyd_model_``) for the BTYD decomposition of the scores.
    """

    model_name = NAIVE
    required_columns = ("net_spend_lifetime", "tenure_days")

    def __init__(self, *, horizon_days: int, history_start=None):
        self.horizon_days = horizon_days
        self.history_start = history_start

    def _check_columns(self, X: pd.DataFrame) -> None:
        if any(col not in X.columns for col in self.required_columns):
            raise MissingColumnsError(f"naive baseline needs columns {' and '.join(self.required_columns)}")

    def _days_observed(self, X: pd.DataFrame) -> np.ndarray:
        tenure = np.maximum(np.nan_to_num(to_float(X["tenure_days"]), nan=0.0), 1.0)
        date_column = next((c for c in ("feature_date", "as_of_date") if c in X.columns), None)
        if self.history_start is None or date_column is None:
            return tenure
        dates = pd.to_datetime(X[date_column]).to_numpy(dtype="datetime64[D]")
        history = (dates - np.datetime64(pd.Timestamp(self.history_start).date(), "D")).astype(float)
        history = np.minimum(np.nan_to_num(history, nan=0.0), NAIVE_MAX_PERIOD_DAYS)
        return np.maximum(tenure, history)

    def fit(self, X: pd.DataFrame, y=None, btyd_fit: tuple[btyd.BTYDModel, str | None] | None = None,
            sample_weight=None):
        self._check_columns(X)
        self.horizon_days_ = float(self.horizon_days)
        self.spec_ = FeatureSpec(sorted(self.required_columns), [])
        self.btyd_model_ = None if btyd_fit is None or btyd_fit[0].bgnbd is None else btyd_fit[0]
        self.level_ = 1.0
        self.fit_note_ = None
        return self

    def predict(self, X: pd.DataFrame, horizon_days: float | None = None) -> np.ndarray:
        check_is_fitted(self)
        self._check_columns(X)
        days = self.horizon_days_ if horizon_days is None else float(horizon_days)
        spend = np.nan_to_num(to_float(X["net_spend_lifetime"]), nan=0.0)
        rate = spend / self._days_observed(X)
        return np.clip(rate * days, 0.0, None) * self.level_


class BTYDSpendRegressor(PurchasingPowerModel):
    """The parametric answer, a candidate: BG/NBD expected orders over the span x Gamma-Gamma
    expected order value (:mod:`shopper_scores.ml.btyd`, fitted on the rows' features, no labels).

    Without Gamma-Gamma the order value is the training buyers' weighted mean net value per
    order; without BG/NBD the candidate predicts the mean H-scaled label (``fit_note_`` says so).
    """

    model_name = BTYD

    def __init__(self, *, horizon_days: int, label_window_days: int, random_seed: int):
        self.horizon_days = horizon_days
        self.label_window_days = label_window_days
        self.random_seed = random_seed

    def fit(self, X: pd.DataFrame, y, btyd_fit: tuple[btyd.BTYDModel, str | None] | None = None,
            sample_weight=None):
        y = np.asarray(y, dtype=float)
        model, self.fit_note_ = btyd_fit if btyd_fit is not None else btyd.fit(
            X, self.horizon_days, self.random_seed, sample_weight)
        self.level_ = 1.0
        self.btyd_model_ = model if model.bgnbd is not None else None
        self.spec_ = FeatureSpec(sorted(btyd.REQUIRED_COLUMNS) if self.btyd_model_ is not None else [], [])
        self.constant_ = None
        self.order_value_ = None
        if self.btyd_model_ is None:
            scaled = labels.horizon_scaled_spend(y, self.label_window_days, self.horizon_days)
            self.constant_ = float(np.average(scaled, weights=sample_weight)) if len(y) else 0.0
            self.fit_note_ = join_notes(self.fit_note_, "no BG/NBD fit: constant prediction (mean label)")
        elif model.gamma_gamma is None:
            orders = np.nan_to_num(to_float(X["orders_lifetime"]), nan=0.0)
            spend = np.nan_to_num(to_float(X["net_spend_lifetime"]), nan=0.0)
            buyers = orders > 0
            weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[buyers]
            value = spend[buyers] / orders[buyers]
            self.order_value_ = float(np.average(value, weights=weights)) if buyers.any() else 0.0
            self.fit_note_ = join_notes(self.fit_note_, "order value: the training buyers' mean net value per order")
        return self

    def predict(self, X: pd.DataFrame, horizon_days: float | None = None) -> np.ndarray:
        check_is_fitted(self)
        days = self.horizon_days if horizon_days is None else float(horizon_days)
        if self.btyd_model_ is None:
            return np.full(len(X), max(self.constant_, 0.0) * days / self.horizon_days * self.level_)
        if len(X) == 0:
            return np.zeros(0)
        orders = self.btyd_model_.expected_orders(X, days)
        value = (self.btyd_model_.expected_order_value(X) if self.order_value_ is None
                 else np.full(len(X), self.order_value_))
        return np.clip(np.nan_to_num(orders * value, nan=0.0), 0.0, None) * self.level_


def _without_level(model):
    plain = copy.copy(model)
    plain.level_ = 1.0
    return plain


def stack_weights(predictions: np.ndarray, actual: np.ndarray, sample_weight=None) -> np.ndarray:
    """Non-negative least-squares weights of the columns of ``predictions`` (one per base model)
    for ``actual``, no intercept: the combination also sets the level, so that on the rows it is
    learnt from the forecasts' total follows the actual total. Rows with weights count that often."""
    from scipy.optimize import nnls

    P = np.asarray(predictions, dtype=float)
    y = np.asarray(actual, dtype=float)
    if P.ndim != 2 or len(P) != len(y) or len(y) == 0:
        raise ValueError("stack_weights: predictions must be a non-empty (rows x models) array matching actual")
    if not (np.all(np.isfinite(P)) and np.all(np.isfinite(y))):
        raise ValueError("stack_weights: predictions and actual must be finite")
    root = np.ones(len(y)) if sample_weight is None else np.sqrt(np.asarray(sample_weight, dtype=float))
    weights, _ = nnls(P * root[:, None], y * root)
    return weights


class StackedSpendRegressor(PurchasingPowerModel):
    """``sum_j weight_j x estimator_j.predict(X, days)``: fitted candidates combined with
    non-negative weights learnt out of time (:func:`stack_weights` on inner windows the
    estimators were not fitted on; the training run supplies them).

    ``estimators``: fitted candidates, by name; ``weights``: one per estimator, >= 0.
    """

    model_name = STACK

    def __init__(self, estimators: dict, weights):
        self.estimators = estimators
        self.weights = weights

    def fit(self, X=None, y=None, sample_weight=None):
        weights = np.asarray(self.weights, dtype=float)
        if len(weights) != len(self.estimators) or not np.all(np.isfinite(weights) & (weights >= 0)):
            raise ValueError("StackedSpendRegressor: one finite weight >= 0 per estimator")
        for model in self.estimators.values():
            check_is_fitted(model)
        # the bases as fitted (a training run's level on a base is not the stack's: the weights set it)
        self.estimators_ = {name: _without_level(model) for name, model in self.estimators.items()}
        self.weights_ = dict(zip(self.estimators_, weights.tolist()))
        first = next(iter(self.estimators_.values()))
        self.horizon_days = first.horizon_days
        self.btyd_model_ = next((m.btyd_model_ for m in self.estimators_.values()
                                 if getattr(m, "btyd_model_", None) is not None), None)
        self.spec_ = FeatureSpec(sorted({n for m in self.estimators_.values() for n in m.spec.numeric}),
                                 sorted({n for m in self.estimators_.values() for n in m.spec.categorical}))
        self.level_ = 1.0
        self.fit_note_ = "stack weights: " + ", ".join(
            f"{name.removeprefix('purchasing_power_')} {w:.3f}" for name, w in self.weights_.items())
        return self

    def predict(self, X: pd.DataFrame, horizon_days: float | None = None) -> np.ndarray:
        check_is_fitted(self)
        total = np.zeros(len(X))
        for name, model in self.estimators_.items():
            if self.weights_[name] > 0:
                total = total + self.weights_[name] * model.predict(X, horizon_days)
        return total * self.level_


def mean_baseline() -> DummyRegressor:
    """Baseline: the mean training label (fit it on the H-scaled label)."""
    return DummyRegressor(strategy="mean")
