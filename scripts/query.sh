#!/usr/bin/env bash
# Read-only SQL against the BI snapshot of the warehouse, e.g.
#   bash scripts/query.sh "select * from credit_scores limit 5"
# The snapshot (shopper_scores.warehouse.snapshot_path of $SHOPPER_SCORES_DUCKDB_PATH) is what BI
# tools should open: builds never lock it. It holds only the BI-facing tables (schema main).
set -euo pipefail
sql="${1:?usage: scripts/query.sh \"<sql>\"}"
source "$(dirname "$0")/_env.sh"
exec python - "${SHOPPER_SCORES_DUCKDB_PATH:-warehouse/shopper_scores.duckdb}" "$sql" <<'PY'
import sys
from pathlib import Path

import duckdb

from shopper_scores.warehouse import snapshot_path

snapshot = snapshot_path(Path(sys.argv[1]))
if not snapshot.exists():
    sys.exit(f"shopper_scores: no BI snapshot at {snapshot}: run `bash scripts/build.sh`, or after "
             f"`dbt build`: python -m shopper_scores.warehouse publish {sys.argv[1]}")
with duckdb.connect(str(snapshot), read_only=True) as connection:
    connection.sql(sys.argv[2]).show(max_rows=50)
PY
