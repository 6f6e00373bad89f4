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
=============  ==========================  ============  =====================================
stage          fit on windows              evaluated     purpose
=============  ==========================  ============  =====================================
validation     the K just older than the   'validation'  choose the champion (selection_metric)
               validation window
test           the K just older than the   'test'        report quality; played no part in the
               test window                               fitting or the choice
final          1 .. K (the most recent)    --            refit every candidate; the champion scores
=============  ==========================  ============  =====================================

No stage ever sees its evaluation window or a later one. A young shop may lack windows: a stage
then trains on the windows it has, or is reported with empty metrics and a ``note``; without a
validation window the champion defaults to the GBM.

Candidates (:mod:`.estimators`)
-------------------------------
* ``purchasing_power_gbm``: ``HistGradientBoostingRegressor`` with Poisson loss, categoricals
  ordinal-encoded and handled natively, fixed seed, no early stopping (labels clipped at 0).
* ``purchasing_power_linear``: signed ``log1p`` of numerics, median imputation with missing
  indicators, standardisation, one-hot categoricals, Ridge; predictions clipped at 0.
* ``purchasing_power_gbm_btyd_blend``: the same fitted GBM, its prediction averaged half and half
  with the BG/NBD x Gamma-Gamma expected spend (weight fixed a priori; the GBM alone when BTYD
  could not be fitted).

The fitted candidates also see buy-till-you-die expectations (:mod:`shopper_scores.ml.btyd`:
BG/NBD x Gamma-Gamma fitted on the same training rows' features, no labels) as extra numeric
columns, and with L < H they learn the spend over L and grow it to H by the BG/NBD ratio of
expected orders. Hyper-parameters: :data:`GBM_PARAMS`, :data:`LINEAR_PARAMS`,
:data:`BLEND_PARAMS`; run parameters: :class:`PurchasingPowerParams`.

Baselines (metrics only, never champions): ``purchasing_power_naive`` (lifetime net spend per day
of tenure times the horizon) and ``purchasing_power_mean`` (mean H-scaled training label).

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
