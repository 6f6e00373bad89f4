"""sqlfluff lint (dbt templater, the project's .sqlfluff) passes on every SQL model and test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECT_DIR

# The dbt templater compiles the whole project: it belongs to the dbt lane, not the fast one.
pytestmark = pytest.mark.dbt


def test_sqlfluff_lint_passes(tmp_path):
    sqlfluff = str(Path(sys.executable).with_name("sqlfluff"))
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "SHOPPER_SCORES_DUCKDB_PATH": str(tmp_path / "lint.duckdb"),
    }
    result = subprocess.run(
        [sqlfluff, "lint", "models", "tests/dbt", "--processes", "2", "--disable-progress-bar"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
