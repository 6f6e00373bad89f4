#!/usr/bin/env bash
# Set everything up and run the main job: pinned .venv, demo data on first run, `dbt build` on the
# embedded DuckDB warehouse (warehouse/shopper_scores.duckdb, or $SHOPPER_SCORES_DUCKDB_PATH), then
# the one publish step that refreshes the BI snapshot (only if the build and its tests passed).
# Extra arguments go to dbt build, e.g.  bash scripts/build.sh --vars '{horizon_days: 60}'
# (your --vars are merged with the raw data path, not replaced by it).
# Demo size: DEMO_CUSTOMERS (default 20000). Your own data: SHOPPER_SCORES_RAW_DIR=/path/to/raw,
# and then SHOPPER_SCORES_PSEUDONYM_KEY=<secret> for the published pseudonymous customer ids.
set -euo pipefail
source "$(dirname "$0")/_env.sh"

raw_dir="${SHOPPER_SCORES_RAW_DIR:-data/demo}"
publish_args=()
if [ -z "${SHOPPER_SCORES_RAW_DIR:-}" ]; then
    python -m shopper_scores.demo_data --out "$raw_dir" --customers "${DEMO_CUSTOMERS:-20000}" \
        --seed 42 --skip-if-present
    publish_args+=(--demo)  # the generated demo may use the public demo pseudonym key
fi

# dbt keeps only the last --vars it is given: merge the user's into the one we pass.
user_vars=""
dbt_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --vars) user_vars="${2:?--vars needs a value}"; shift 2 ;;
        --vars=*) user_vars="${1#--vars=}"; shift ;;
        *) dbt_args+=("$1"); shift ;;
    esac
done
dbt_vars="$(python -m shopper_scores.warehouse dbt-vars "$raw_dir" "$user_vars")"

warehouse="${SHOPPER_SCORES_DUCKDB_PATH:-warehouse/shopper_scores.duckdb}"
mkdir -p "$(dirname "$warehouse")"
# DuckDB allows one writer or many readers: say so clearly if a session holds the warehouse open.
python -m shopper_scores.warehouse check "$warehouse"
dbt build --vars "$dbt_vars" ${dbt_args[@]+"${dbt_args[@]}"}
# The one publish step (also after a plain `dbt build`): checks the build, then swaps the snapshot.
python -m shopper_scores.warehouse publish "$warehouse" ${publish_args[@]+"${publish_args[@]}"}

echo
echo "== done. Score tables are in $warehouse (schema main); BI tools read the snapshot above. Try:"
echo "   bash scripts/query.sh \"select * from credit_scores limit 5\""
