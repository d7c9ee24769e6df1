#!/usr/bin/env bash
# Sets up (first run only) and runs the whole test suite against a real stack:
# Rasa with a trained model, the action server, the hub, an embedded Valkey,
# the real embedding model and FAISS, and headless Chromium for the web pages.
# Extra arguments go to pytest (e.g. ./test.sh -k queue).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "[setup] installing Debian's chromium for the browser tests"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
