#!/usr/bin/env bash
# Sets up (first run only) and runs the whole product in the foreground. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m core.launcher
