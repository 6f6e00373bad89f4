# Sourced by the other scripts: creates/updates .venv from the pinned requirements (only when
# requirements.txt or pyproject.toml changed since the last install) and activates it.
set -euo pipefail
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT_DIR"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$PYTHON" -m venv .venv
fi
stamp="$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ "$(cat .venv/.installed 2>/dev/null || true)" != "$stamp" ]; then
    echo "== installing pinned requirements into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r requirements.txt
    .venv/bin/python -m pip install --quiet -e .
    echo "$stamp" > .venv/.installed
fi
# shellcheck disable=SC1091
source .venv/bin/activate
# This checkout's package first, even where .venv's editable install points at another checkout
# (e.g. a git worktree sharing the venv).
export PYTHONPATH="$PROJECT_DIR/src${PYTHONPATH:+:$PYTHONPATH}"
export DBT_PROFILES_DIR="$PROJECT_DIR/profiles"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
