#!/usr/bin/env bash
# Credit benchmarks (German credit, Taiwan credit-card default): stratified 5-fold CV of the
# project's credit models against optbinning, scikit-learn and LightGBM. Arguments go to the script.
set -euo pipefail
source "$(dirname "$0")/_env.sh"
python bench/credit_cv.py "$@"
