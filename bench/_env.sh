# Sourced by the benchmark runners: creates/updates .venv-bench (the project's pins plus the peer
# libraries in bench/requirements.txt) and activates it. The project's own .venv stays peer-free.
set -euo pipefail
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT_DIR"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv-bench/bin/python ]; then
    echo "== creating .venv-bench"
    "$PYTHON" -m venv .venv-bench
fi
stamp="$(cat requirements.txt bench/requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ "$(cat .venv-bench/.installed 2>/dev/null || true)" != "$stamp" ]; then
    echo "== installing benchmark requirements into .venv-bench"
    .venv-bench/bin/python -m pip install --quiet --upgrade pip
    .venv-bench/bin/python -m pip install --quiet -r bench/requirements.txt
    .venv-bench/bin/python -m pip install --quiet -e .
    echo "$stamp" > .venv-bench/.installed
fi
# shellcheck disable=SC1091
source .venv-bench/bin/activate
export DBT_PROFILES_DIR="$PROJECT_DIR/profiles"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
# Public datasets live beside the repository and are read in place, never copied in.
export SHOPPER_SCORES_SHARED_DATA="${SHOPPER_SCORES_SHARED_DATA:-$PROJECT_DIR/../shared/data}"
