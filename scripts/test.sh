#!/usr/bin/env bash
# The whole test suite: unit tests of the Python package, dbt builds on small generated data in
# temporary warehouses (scores, leakage, quarantine accounting, orders-only shop, determinism),
# dbt data/unit tests, and sqlfluff lint. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/_env.sh"
python -m pytest "$@"
