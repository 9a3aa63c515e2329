#!/usr/bin/env bash
# Install, prepare the embedded database with demo data, and start examcentre at
# http://127.0.0.1:5000 (SQLite in instance/, scheduler in-process).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/examcentre db upgrade
.venv/bin/examcentre demo
exec .venv/bin/examcentre serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
