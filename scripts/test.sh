#!/usr/bin/env bash
# The whole test suite: unit tests of the Python package, dbt builds on small generated data in
# temporary warehouses (scores, leakage, quarantine accounting, orders-only shop, determinism),
# dbt data/unit tests, and sqlfluff lint. Extra arguments go to pytest, e.g. the fast lane:
#   bash scripts/test.sh -m "not dbt"
# Two pytest-xdist workers (one per core; PYTEST_WORKERS to change, 0 = in-process), a test file
# per worker at a time; the demo shop and its build are made once and shared (tests/conftest.py).
set -euo pipefail
source "$(dirname "$0")/_env.sh"
python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
