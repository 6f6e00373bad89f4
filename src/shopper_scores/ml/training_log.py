"""The training log both model families return: one row per (model, stage) with sizes, dates,
metrics and notes, plus the final champion's serialised model."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd


def join_notes(*notes) -> str | None:
    """The non-empty notes joined with '; ' (None when there are none)."""
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


@dataclass
class TrainingLog:
    """Rows of one training run; subclasses name their columns and default champion."""

    as_of_date: object
    rows: list[dict] = field(default_factory=list)
    champion: str = ""
    model_blob: str | None = None
    feature_names: list[str] = field(default_factory=list)

    columns: ClassVar[list[str]] = []
    metric_columns: ClassVar[list[str]] = []

    def add_row(self, model_name: str, model_version: str, stage: str, *, is_champion: bool = False,
                train_feature_dates: str | None = None, eval_feature_date: str | None = None,
                n_train: int = 0, n_eval: int = 0, note: str | None = None) -> dict:
        """Append one (model, stage) row, metrics undefined (NaN) until :meth:`record_metrics`,
        and return it for the caller to complete (note, blob)."""
        row = {
            "model_name": model_name,
            "model_version": model_version,
            "as_of_date": self.as_of_date,
            "stage": stage,
            "is_champion": is_champion,
            "train_feature_dates": train_feature_dates,
            "eval_feature_date": eval_feature_date,
            "n_train": n_train,
            "n_eval": n_eval,
            **{col: math.nan for col in self.metric_columns},
            "note": note,
            "model_blob": None,
        }
        self.rows.append(row)
        return row

    def record_metrics(self, row: dict, metrics: dict) -> None:
        """Copy this log's metric columns from ``metrics`` into ``row``."""
        row.update({col: metrics[col] for col in self.metric_columns})

    def to_frame(self) -> pd.DataFrame:
        """Typed frame: metrics as floats, sizes as int64, is_champion as bool, text and dates
        as objects (None where empty, so DuckDB stores NULL rather than NaN)."""
        records = [{col: row.get(col) for col in self.columns} for row in self.rows]
        frame = pd.DataFrame.from_records(records, columns=self.columns)
        for col in self.metric_columns:
            frame[col] = frame[col].astype(float)
        frame["n_train"] = frame["n_train"].astype("int64")
        frame["n_eval"] = frame["n_eval"].astype("int64")
        frame["is_champion"] = frame["is_champion"].astype(bool)
        for col in ("model_name", "model_version", "stage"):
            frame[col] = frame[col].astype(object)
        for col in ("as_of_date", "train_feature_dates", "eval_feature_date", "note", "model_blob"):
            frame[col] = pd.Series([row.get(col) for row in self.rows], dtype=object, index=frame.index)
        return frame
