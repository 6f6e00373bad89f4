"""Batch scoring with a serialised candidate: stateless, so safe to call batch by batch."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import decode_blob
from ..threads import with_fixed_threads
from .estimators import PurchasingPowerModel

__all__ = ["load_model", "score"]


def load_model(model_blob: str) -> PurchasingPowerModel:
    """The fitted candidate a ``model_blob`` of ``ml_purchasing_power_training`` holds."""
    return decode_blob(model_blob, expected=PurchasingPowerModel)


@with_fixed_threads
def score(model_blob: str, features: pd.DataFrame) -> pd.DataFrame:
    """Predict spend over the horizon for one batch of customers with the blob's ``predict``.

    Returns ``customer_id`` and ``predicted_spend`` (>= 0), row-aligned with ``features``.
    """
    if "customer_id" not in features.columns:
        raise KeyError("features must contain customer_id")
    prediction = load_model(model_blob).predict(features)
    return pd.DataFrame({
        "customer_id": features["customer_id"].to_numpy(),
        "predicted_spend": np.asarray(prediction, dtype=float),
    })
