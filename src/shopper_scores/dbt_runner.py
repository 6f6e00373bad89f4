"""Run the project's dbt against a scratch warehouse (tests and benchmarks; never the real one).

Each call names its own warehouse file, target and log directories, so runs never touch
``warehouse/shopper_scores.duckdb`` or each other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


class DbtRunError(RuntimeError):
    pass


def dbt_env(warehouse: Path) -> dict:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "SHOPPER_SCORES_DUCKDB_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_command(args: list[str], *, raw_dir: Path, work_dir: Path, extra_vars: dict | None = None) -> list[str]:
    """The dbt command line for ``args``; the vars are passed as JSON (valid YAML), so a path with
    quotes, spaces, backslashes or non-ASCII characters reaches dbt unchanged."""
    dbt_vars = {"raw_data_path": str(raw_dir), **(extra_vars or {})}
    vars_yaml = json.dumps(dbt_vars)
    return [
        str(Path(sys.executable).with_name("dbt")), *args,
        "--vars", vars_yaml,
        "--target-path", str(Path(work_dir) / "target"),
        "--log-path", str(Path(work_dir) / "logs"),
    ]


def run_dbt(args: list[str], *, warehouse: Path, raw_dir: Path, work_dir: Path,
            extra_vars: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run a dbt command against ``warehouse`` with raw data from ``raw_dir``; raise with dbt's output
    when it fails (``check=False``: return the result whatever it is, e.g. a build that must stop)."""
    result = subprocess.run(
        dbt_command(args, raw_dir=raw_dir, work_dir=work_dir, extra_vars=extra_vars),
        cwd=PROJECT_DIR, env=dbt_env(warehouse), capture_output=True, text=True,
    )
    if check and result.returncode != 0:
        raise DbtRunError(
            f"dbt {' '.join(args)} failed (exit {result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        )
    return result
