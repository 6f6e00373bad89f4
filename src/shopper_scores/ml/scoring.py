"""Batch scoring shared by the dbt scoring models: features arrive as Arrow record batches, so
memory stays bounded by the batch size however many customers there are."""

from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd


def score_in_batches(batches: Iterable, score_batch: Callable[[pd.DataFrame], pd.DataFrame],
                     champion: pd.Series) -> pd.DataFrame:
    """Score each batch with `score_batch` and tag every row with the champion's name and version."""
    scores = pd.concat([score_batch(batch.to_pandas()) for batch in batches], ignore_index=True)
    scores["model_name"] = champion["model_name"]
    scores["model_version"] = champion["model_version"]
    return scores
