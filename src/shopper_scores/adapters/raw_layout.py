"""Write reshaped frames into the project's raw layout (``<dir>/<table>.parquet``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd


def write_raw_tables(out_dir: Path, tables: dict[str, pd.DataFrame], extracted_at: dt.datetime) -> dict[str, int]:
    """Write each table and the one-row extraction manifest; returns rows written per table."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {**tables, "extraction_manifest": pd.DataFrame({"extracted_at": [pd.Timestamp(extracted_at)]})}
    for name, frame in tables.items():
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
    return {name: len(frame) for name, frame in tables.items()}
