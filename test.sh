#!/usr/bin/env bash
# Sets up (first run only) and runs the whole test suite against a real stack:
# Rasa with a trained model, the action server, the hub, an embedded Valkey,
# the real embedding model and FAISS, and headless Chromium for the web pages.
# Extra arguments go to pytest (e.g. ./test.sh -k queue).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
# The tests also need chromedriver beside the chromium and CJK fonts setup.sh installs (screenshots of the Chinese
# UI show characters, not boxes), and poppler-utils (pdftotext, pdftoppm) to read the briefing's PDF back.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ] \
   || ! command -v pdftotext >/dev/null 2>&1; then
  echo "[setup] installing Debian's chromium, CJK fonts and poppler-utils for the browser and report tests"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk poppler-utils >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
