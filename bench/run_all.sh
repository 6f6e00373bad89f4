#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md in one run (by hand; prints markdown tables to paste).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/run_purchasing_power.sh" --grid
bash "$here/run_credit.sh" --product-exclusions
bash "$here/../scripts/build.sh"
"$here/../.venv/bin/python" "$here/demo_holdout_vs_oracle.py"
