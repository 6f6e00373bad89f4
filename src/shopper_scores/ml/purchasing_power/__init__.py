"""Purchasing power: a regressor of each customer's net spend over the next horizon.

Training data
-------------
One row per (customer, label window). ``window_index`` 1 is the most recent complete label
window (it ends at the scoring date), 2 the one before, and so on; ``cutoff_role`` names each
window's part in the protocol (``test``, ``validation``, ``training``). ``label_window_spend`` is
the net spend over the window's ``label_window_days`` (L) days, as SQL computed it: how it
relates to the horizon H is decided once, in :mod:`.labels` (metrics and baselines use the
H-scaled value ``spend x H / L``). Features are as of ``feature_date`` (the window start).

Honest protocol (K = ``n_train_windows``; :func:`plan_stages`)
-------------------------------------------------------------
=============  ==========================  =============  ====================================
stage          fit on windows              evaluated      purpose
=============  ==========================  =============  ====================================
validation     the K just older than the   'validation'   choose the champion, with ...
               validation window
extrapolation  the windows older than the  the second-    ... a window whose horizon label
               second-oldest (up to K)     oldest window  runs longest towards H
test           the K just older than the   'test'         report quality; played no part in
               test window                                the fitting or the choice
final          1 .. K (the most recent)    --             refit every candidate; the champion
                                                          scores
=============  ==========================  =============  ====================================

Every evaluated stage scores a window's *horizon label* (SQL: its net spend over up to H days,
never reaching into the test window), and every candidate forecasts that span itself
(``predict(X, horizon_days=span)``): the choice sees how forecasts grow from L towards H, not
only the label window. No stage ever sees its evaluation window or a later one. A young shop may
lack windows: a stage then trains on the windows it has, or is reported with empty metrics and
a ``note``; without a choice window the champion is the naive rate.

Choosing the champion (``selection_metric``, default ``'must_win'``: the mean relative gain over
RMSE, Spearman, normalised Gini and top-10 % capture): the better of the *simple answers* (naive
rate, BTYD expected spend) is the default; a learnt candidate replaces it only when its mean gain
over both choice windows is positive and on neither window its RMSE is significantly worse (a
one-sided Diebold-Mariano test). When no choice window spans half of H, growth to H is untested
and only the simple answers may win (the note says so). Learnt candidates' levels (Σ predicted
= Σ actual) and the stack's weights are learnt on the choice windows, cross-fitted between them
for the choice itself.

Candidates (:mod:`.estimators`)
-------------------------------
* ``purchasing_power_naive``: lifetime net spend per day observed (the shop's history before the
  cut-off, at most a year, at least the tenure) times the span.
* ``purchasing_power_btyd``: BG/NBD expected orders x Gamma-Gamma expected order value
  (:mod:`shopper_scores.ml.btyd`, own maximum-likelihood fits, no labels).
* ``purchasing_power_btyd_boosted``: the BTYD expected spend times a gradient-boosted correction
  (Poisson loss with the BTYD expectation as offset).
* ``purchasing_power_gbm``: ``HistGradientBoostingRegressor`` with Poisson loss, categoricals
  ordinal-encoded and handled natively, fixed seed, no early stopping (labels clipped at 0).
* ``purchasing_power_two_part``: P(any purchase in the window), a gradient-boosted classifier,
  times the spend given a purchase, a gamma-loss gradient-boosted regressor.
* ``purchasing_power_linear``: signed ``log1p`` of numerics, median imputation with missing
  indicators, standardisation, one-hot categoricals, Ridge; predictions clipped at 0.
* ``purchasing_power_mlp``: the same design matrix, scikit-learn's ``MLPRegressor`` on ``log1p``
  of the spend.
* ``purchasing_power_gbm_btyd_blend``: the fitted GBM averaged half and half with the BTYD
  expected spend (weight fixed a priori).
* ``purchasing_power_stack``: non-negative least-squares weights on the GBM, BTYD and naive
  forecasts, learnt out of time on the choice windows (the weights also set the level).

The learnt candidates see the BTYD expectations as extra numeric columns, and with L < H they
learn the spend over L and grow it to any span by the BG/NBD ratio of expected orders.
Hyper-parameters are fixed a priori (:mod:`.params`); run parameters:
:class:`PurchasingPowerParams`. The mean baseline (``purchasing_power_mean``, mean H-scaled
training label) appears in the evaluated stages only, never as champion.

The champion's final refit also carries its 80 % prediction interval (:mod:`.intervals`, learnt on
its choice-window forecasts; coverage on the test window is ``interval_coverage``) and its driver
explainer (:mod:`.explain`); :func:`score` returns both beside the BTYD decomposition.

Feature columns are selected generically (see :mod:`shopper_scores.ml.features`); the protected
attribute ``gender`` is never used as a feature -- it is kept in the data for fairness
monitoring only.
"""

from __future__ import annotations

from . import estimators
from .estimators import *  # noqa: F403 -- the model names and estimators, as listed in estimators.__all__
from .labels import fit_target, grows_by_btyd, horizon_scaled_spend
from .params import (
    BLEND_PARAMS,
    GBM_PARAMS,
    LINEAR_PARAMS,
    MLP_PARAMS,
    SELECTION_METRICS,
    TWO_PART_PARAMS,
    BlendParams,
    GBMParams,
    LinearParams,
    MLPParams,
    PurchasingPowerParams,
    TwoPartParams,
)
from .protocol import LABEL_ROLES, Stage, StagePlan, plan_stages
from .scoring import load_model, score
from .training import METRIC_COLUMNS, REQUIRED_COLUMNS, RESULT_COLUMNS, TrainingResult, fit_and_evaluate

__all__ = [
    # model names and estimators
    *estimators.__all__,
    # parameters
    "PurchasingPowerParams", "GBMParams", "LinearParams", "BlendParams", "TwoPartParams", "MLPParams",
    "GBM_PARAMS", "LINEAR_PARAMS", "BLEND_PARAMS", "TWO_PART_PARAMS", "MLP_PARAMS", "SELECTION_METRICS",
    # labels
    "horizon_scaled_spend", "fit_target", "grows_by_btyd",
    # protocol
    "LABEL_ROLES", "Stage", "StagePlan", "plan_stages",
    # training and scoring
    "METRIC_COLUMNS", "RESULT_COLUMNS", "REQUIRED_COLUMNS", "TrainingResult", "fit_and_evaluate",
    "load_model", "score",
]
