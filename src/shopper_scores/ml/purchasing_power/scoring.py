"""Batch scoring with a serialised candidate: stateless, so safe to call batch by batch.

Beside the predicted spend, every customer gets what a CLV user expects (each from an object the
fitted champion carries; a column stays null when the champion lacks it):

* ``expected_orders``, ``p_alive``, ``expected_order_value`` -- the buy-till-you-die
  decomposition, from the champion's BG/NBD x Gamma-Gamma fit (``btyd_model_``,
  :meth:`~shopper_scores.ml.btyd.BTYDModel.transform`);
* ``predicted_spend_p10``, ``predicted_spend_p90`` -- the 80 % prediction interval of
  :class:`~.intervals.SpendIntervalCalibrator` (``interval_``, learned on held-out predictions);
* ``top_drivers`` -- :class:`~.explain.DriverExplainer` text (``explainer_``, fitted on the final
  refit's training rows).

Each row's values depend on that row alone, so the batches may be cut anywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import decode_blob, to_float
from ..threads import with_fixed_threads
from .estimators import PurchasingPowerModel

__all__ = ["SCORE_COLUMNS", "load_model", "score"]

SCORE_COLUMNS = [
    "customer_id", "predicted_spend",
    "expected_orders", "p_alive", "expected_order_value",
    "predicted_spend_p10", "predicted_spend_p90",
    "top_drivers",
]
# BTYDModel.transform's columns behind the decomposition.
_BTYD_COLUMNS = {
    "expected_orders": "btyd_expected_orders",
    "p_alive": "btyd_p_alive",
    "expected_order_value": "btyd_expected_order_value",
}


def load_model(model_blob: str) -> PurchasingPowerModel:
    """The fitted candidate a ``model_blob`` of ``ml_purchasing_power_training`` holds."""
    return decode_blob(model_blob, expected=PurchasingPowerModel)


def _btyd_decomposition(model, features: pd.DataFrame) -> dict[str, np.ndarray]:
    """The champion's BTYD expectations per row (NaN everywhere without a fitted BG/NBD; NaN
    where BG/NBD gives no finite value or Gamma-Gamma was not fitted)."""
    btyd_model = getattr(model, "btyd_model_", None)
    if btyd_model is None or getattr(btyd_model, "bgnbd", None) is None or len(features) == 0:
        return {name: np.full(len(features), np.nan) for name in _BTYD_COLUMNS}
    transformed = btyd_model.transform(features)
    return {name: to_float(transformed[column]) for name, column in _BTYD_COLUMNS.items()}


def _interval(model, prediction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    calibrator = getattr(model, "interval_", None)
    if calibrator is None:
        return np.full(len(prediction), np.nan), np.full(len(prediction), np.nan)
    lower, upper = calibrator.predict(prediction)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def _drivers(model, features: pd.DataFrame, prediction: np.ndarray) -> pd.Series:
    explainer = getattr(model, "explainer_", None)
    if explainer is None:
        return pd.Series([pd.NA] * len(features), dtype="string")
    return explainer.explain(model, features, prediction=prediction)


@with_fixed_threads
def score(model_blob: str, features: pd.DataFrame) -> pd.DataFrame:
    """Score one batch of customers with the blob's model.

    Returns :data:`SCORE_COLUMNS`, row-aligned with ``features``: ``customer_id``,
    ``predicted_spend`` (>= 0, the model's ``predict``), the BTYD decomposition, the interval and
    the drivers (module docstring; null where the champion carries no such part).
    """
    if "customer_id" not in features.columns:
        raise KeyError("features must contain customer_id")
    model = load_model(model_blob)
    features = features.reset_index(drop=True)
    prediction = np.asarray(model.predict(features), dtype=float)
    lower, upper = _interval(model, prediction)
    out = pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "predicted_spend": prediction,
        **_btyd_decomposition(model, features),
        "predicted_spend_p10": lower,
        "predicted_spend_p90": upper,
    })
    # a string column even when every value is null (DuckDB types an all-None object column NULL)
    out["top_drivers"] = pd.Series(_drivers(model, features, prediction).to_numpy(), dtype="string")
    return out[SCORE_COLUMNS]
