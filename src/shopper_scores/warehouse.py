"""Warehouse file helpers for the build script: BI snapshots and a clear lock message.

DuckDB allows one writer or many readers per file, across processes: even a read-only connection
holds a shared lock, and while it is open `dbt build` cannot write the file. So BI tools read a
snapshot, `<warehouse>_bi.duckdb`, that the build script publishes after every successful build:
copied to a temporary file beside it, then renamed over the old snapshot in one atomic step. The
build never opens the snapshot, so a BI session on it never blocks a build; a reader that still
holds the previous snapshot keeps reading it until it reconnects.

    python -m shopper_scores.warehouse check   WAREHOUSE   # exit 1 with a message if locked
    python -m shopper_scores.warehouse publish WAREHOUSE   # refresh the BI snapshot
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import duckdb


def snapshot_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.stem + "_bi" + warehouse.suffix)


def lock_problem(warehouse: Path) -> str | None:
    """None when the build can open `warehouse` for writing, else a message saying why not."""
    warehouse = Path(warehouse)
    if not warehouse.exists():
        return None
    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as exc:
        return (
            f"{warehouse} is open in another process, so dbt cannot write it ({exc}). "
            f"Close that session; for BI, open the snapshot {snapshot_path(warehouse)} instead, "
            "which builds never lock."
        )
    return None


def publish_snapshot(warehouse: Path) -> Path:
    """Atomically replace the BI snapshot with a copy of `warehouse` (which must be closed)."""
    warehouse = Path(warehouse)
    target = snapshot_path(warehouse)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("checkpoint")  # everything in the file itself, nothing left in a WAL
    shutil.copyfile(warehouse, temporary)
    os.replace(temporary, target)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"check", "publish"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, warehouse = argv[0], Path(argv[1])
    if command == "check":
        problem = lock_problem(warehouse)
        if problem:
            print(f"shopper_scores: {problem}", file=sys.stderr)
            return 1
        return 0
    print(f"BI snapshot published: {publish_snapshot(warehouse)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
