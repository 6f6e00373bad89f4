"""The training label and how it relates to the horizon: decided here, and nowhere else.

SQL passes each training row's net spend over its label window (``label_window_spend``, L =
``label_window_days`` days); the models forecast spend over the horizon H. Two functions relate
the two:

* :func:`horizon_scaled_spend` -- the spend over L at the horizon's scale under a constant rate,
  ``spend x H / L``. The inner metrics compare predictions with it, the mean baseline averages it,
  and a candidate learns it when nothing better grows its forecast to H.
* :func:`fit_target` -- what a candidate learns: the spend over L itself when a fitted BG/NBD
  grows the forecast to the horizon (L < H: :meth:`~shopper_scores.ml.btyd.BTYDModel.horizon_ratio`
  at prediction time), else the H-scaled value.

With L = H both are the spend over the window.
"""

from __future__ import annotations

import numpy as np

__all__ = ["horizon_scaled_spend", "grows_by_btyd", "fit_target"]


def horizon_scaled_spend(label_window_spend, label_window_days: float, horizon_days: float) -> np.ndarray:
    """``label_window_spend x horizon_days / label_window_days`` as float64 (NaN stays NaN)."""
    spend = np.asarray(label_window_spend, dtype=float)
    return spend * horizon_days / label_window_days


def grows_by_btyd(btyd_fitted: bool, label_window_days: float, horizon_days: float) -> bool:
    """Does a forecast learnt over L grow to H by the BG/NBD ratio (a fitted BG/NBD and L < H)?"""
    return bool(btyd_fitted) and label_window_days < horizon_days


def fit_target(label_window_spend, label_window_days: float, horizon_days: float, *,
               btyd_fitted: bool) -> tuple[np.ndarray, bool]:
    """What a candidate learns from the label-window spend, and whether its predictions then grow
    by the BG/NBD ratio (:func:`grows_by_btyd`): the spend over L when they do, else
    :func:`horizon_scaled_spend`."""
    grows = grows_by_btyd(btyd_fitted, label_window_days, horizon_days)
    if grows:
        return np.asarray(label_window_spend, dtype=float), True
    return horizon_scaled_spend(label_window_spend, label_window_days, horizon_days), False
