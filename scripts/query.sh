#!/usr/bin/env bash
# Read-only SQL against the BI snapshot of the warehouse, e.g.
#   bash scripts/query.sh "select * from credit_scores limit 5"
# The snapshot (<warehouse>_bi.duckdb) is what BI tools should open: builds never lock it.
set -euo pipefail
cd "$(dirname "$0")/.."
warehouse="${SHOPPER_SCORES_DUCKDB_PATH:-warehouse/shopper_scores.duckdb}"
warehouse="${warehouse%.duckdb}_bi.duckdb"
exec .venv/bin/python - "$warehouse" "${1:?usage: scripts/query.sh \"<sql>\"}" <<'PY'
import sys
import duckdb
with duckdb.connect(sys.argv[1], read_only=True) as connection:
    connection.sql(sys.argv[2]).show(max_rows=50)
PY
