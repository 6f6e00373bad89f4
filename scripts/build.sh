#!/usr/bin/env bash
# Set everything up and run the main job: pinned .venv, demo data on first run, then `dbt build`
# on the embedded DuckDB warehouse (warehouse/shopper_scores.duckdb, or $SHOPPER_SCORES_DUCKDB_PATH).
# Extra arguments go to dbt build, e.g.  bash scripts/build.sh --vars '{horizon_days: 60}'
# Demo size: DEMO_CUSTOMERS (default 20000). Your own data: SHOPPER_SCORES_RAW_DIR=/path/to/raw.
set -euo pipefail
source "$(dirname "$0")/_env.sh"

raw_dir="${SHOPPER_SCORES_RAW_DIR:-data/demo}"
if [ -z "${SHOPPER_SCORES_RAW_DIR:-}" ]; then
    python -m shopper_scores.demo_data --out "$raw_dir" --customers "${DEMO_CUSTOMERS:-20000}" \
        --seed 42 --skip-if-present
fi

warehouse="${SHOPPER_SCORES_DUCKDB_PATH:-warehouse/shopper_scores.duckdb}"
mkdir -p "$(dirname "$warehouse")"
# DuckDB allows one writer or many readers: say so clearly if a session holds the warehouse open.
python -m shopper_scores.warehouse check "$warehouse"
dbt build --vars "{raw_data_path: '$raw_dir'}" "$@"
# Only after a successful build: refresh the snapshot BI tools read (builds never lock it).
python -m shopper_scores.warehouse publish "$warehouse"

echo
echo "== done. Score tables are in $warehouse (schema main); BI tools read the snapshot above. Try:"
echo "   bash scripts/query.sh \"select * from credit_scores limit 5\""
