"""Warehouse file helpers for the scripts: the BI snapshot's path, a clear lock message, dbt vars.

DuckDB allows one writer or many readers per file, across processes: even a read-only connection
holds a shared lock, and while it is open `dbt build` cannot write the file. So BI tools read a
snapshot, :func:`snapshot_path` of the warehouse, that :mod:`shopper_scores.publish` writes after a
successful build (BI-facing tables only, pseudonymous customer ids by default) into a temporary
file beside it and renames over the old snapshot in one atomic step. Builds never open the
snapshot, so a BI session on it never blocks a build; a reader that still holds the previous
snapshot keeps reading it until it reconnects.

    python -m shopper_scores.warehouse check         WAREHOUSE   # exit 1 with a message if locked
    python -m shopper_scores.warehouse publish       WAREHOUSE [options]   # see shopper_scores.publish
    python -m shopper_scores.warehouse snapshot-path WAREHOUSE   # print the BI snapshot's path
    python -m shopper_scores.warehouse dbt-vars      RAW_DIR [USER_VARS]   # --vars for scripts/build.sh
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import yaml


def snapshot_path(warehouse: Path) -> Path:
    """The BI snapshot of ``warehouse``: ``<stem>_bi<suffix>`` beside it (``x.duckdb`` ->
    ``x_bi.duckdb``, ``x.db`` -> ``x_bi.db``). The only place this name is made: scripts ask here."""
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


def merged_dbt_vars(raw_dir: str, user_vars: str | None = None) -> str:
    """The ``--vars`` of one dbt call: the user's vars (YAML, as dbt parses them) with
    ``raw_data_path`` added unless the user set it. dbt keeps only the last ``--vars`` it is given,
    so a script must merge rather than pass its own beside the user's."""
    parsed = yaml.safe_load(user_vars) if user_vars and user_vars.strip() else {}
    if not isinstance(parsed, dict):
        raise ValueError(f"--vars must be a YAML mapping, e.g. '{{raw_file_format: csv}}'; got {user_vars!r}")
    return json.dumps({"raw_data_path": str(raw_dir), **parsed})


def main(argv: list[str]) -> int:
    if argv[:1] == ["publish"]:
        from shopper_scores.publish import main as publish_main

        return publish_main(argv[1:])
    if len(argv) == 2 and argv[0] == "check":
        problem = lock_problem(Path(argv[1]))
        if problem:
            print(f"shopper_scores: {problem}", file=sys.stderr)
            return 1
        return 0
    if len(argv) == 2 and argv[0] == "snapshot-path":
        print(snapshot_path(Path(argv[1])))
        return 0
    if len(argv) in (2, 3) and argv[0] == "dbt-vars":
        try:
            print(merged_dbt_vars(*argv[1:]))
        except (ValueError, yaml.YAMLError) as exc:
            print(f"shopper_scores: {exc}", file=sys.stderr)
            return 2
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
