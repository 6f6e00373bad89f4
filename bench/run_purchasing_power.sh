#!/usr/bin/env bash
# Purchasing power on real public data: rolling-origin backtest vs. peers computed in the same run
# (see bench/purchasing_power_backtest.py). One protocol:
#   bash bench/run_purchasing_power.sh --dataset cdnow --as-of 1997-10-01 --horizon-days 273
# The issue-9 grid (8 protocols); the report, JSON and CSV saved as DIR/backtest_grid_<commit>.*:
#   nice bash bench/run_purchasing_power.sh --grid --save-dir DIR
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
python bench/purchasing_power_backtest.py "$@"
