#!/usr/bin/env bash
# Sets up (first run only) and runs the whole test suite against a real stack:
# Rasa with a trained model, the action server, the hub, an embedded Valkey,
# the real embedding model and FAISS, and headless Chromium for the web pages.
# Extra arguments go to pytest (e.g. ./test.sh -k queue).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
# Chinese fonts too, so screenshots of the Chinese UI show characters, not boxes.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  echo "[setup] installing Debian's chromium and CJK fonts for the browser tests"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
fi
# axe-core (the accessibility checker the browser tests run in every page), from package-lock.json.
lock_stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$lock_stamp" ]; then
  echo "[setup] installing the browser tests' npm packages (npm ci)"
  npm ci --no-audit --no-fund --silent && touch "$lock_stamp"
fi
exec .venv/bin/python -m pytest "$@"
