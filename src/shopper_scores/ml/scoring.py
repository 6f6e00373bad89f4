"""Batch scoring shared by the dbt scoring models: features arrive as Arrow record batches, so
memory stays bounded by the batch size however many customers there are."""

from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd


def final_champion(training_log: pd.DataFrame, table: str) -> pd.Series | None:
    """The final champion row of a training log (its ``stage = 'final' and is_champion`` rows),
    or None when training produced no model; more than one is an error naming ``table``."""
    if len(training_log) > 1:
        raise ValueError(f"{table} holds more than one final champion row")
    return training_log.iloc[0] if len(training_log) else None


def score_in_batches(batches: Iterable, score_batch: Callable[[pd.DataFrame], pd.DataFrame],
                     champion: pd.Series) -> pd.DataFrame:
    """Score each batch with `score_batch` and tag every row with the champion's name and version.

    No customers at all (an Arrow reader then yields no batch) gives the typed empty result of
    scoring an empty frame with the reader's schema.
    """
    frames = [score_batch(batch.to_pandas()) for batch in batches]
    if not frames:
        schema = getattr(batches, "schema", None)
        if schema is None:
            raise ValueError("no feature batches to score, and no Arrow schema to build an empty result from")
        frames = [score_batch(schema.empty_table().to_pandas())]
    scores = pd.concat(frames, ignore_index=True)
    scores["model_name"] = champion["model_name"]
    scores["model_version"] = champion["model_version"]
    return scores
