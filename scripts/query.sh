#!/usr/bin/env bash
# Read-only SQL against the warehouse, e.g.  bash scripts/query.sh "select * from credit_scores limit 5"
# A read-only connection never takes the writer lock, so a running `dbt build` is not blocked
# (it sees the last committed tables).
set -euo pipefail
cd "$(dirname "$0")/.."
warehouse="${SHOPPER_SCORES_DUCKDB_PATH:-warehouse/shopper_scores.duckdb}"
exec .venv/bin/python - "$warehouse" "${1:?usage: scripts/query.sh \"<sql>\"}" <<'PY'
import sys
import duckdb
with duckdb.connect(sys.argv[1], read_only=True) as connection:
    connection.sql(sys.argv[2]).show(max_rows=50)
PY
