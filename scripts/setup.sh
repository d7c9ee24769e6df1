#!/usr/bin/env bash
# Installs everything the product needs, idempotently: the app venv (.venv, Python 3.11)
# and the Rasa venv (.venv-rasa, Python 3.10), each from its committed lock file.
# A venv is re-installed only when its lock file changed (stamp file inside the venv).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

find_python() {  # find_python 3.10 -> path of a python3.10 interpreter
  local v=$1 p
  for p in "python$v" "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)/versions/$(pyenv versions --bare 2>/dev/null | grep -E "^$v(\.|$)" | tail -1)/bin/python$v")"; do
    if [ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && "$p" -c 'import venv' 2>/dev/null; then command -v "$p"; return 0; fi
  done
  return 1
}

install_venv() {  # install_venv DIR PYTHON_VERSION LOCKFILE [pre-install args...]
  local dir=$1 version=$2 lock=$3; shift 3
  local stamp="$dir/.installed-$(sha256sum "$lock" | cut -c1-16)"
  if [ -f "$stamp" ]; then log "$dir up to date"; return 0; fi
  local py; py=$(find_python "$version") || { echo "Python $version not found (install it, e.g. with pyenv)" >&2; exit 1; }
  log "creating $dir with $py (first run: a few minutes)"
  rm -rf "$dir"
  "$py" -m venv "$dir"
  "$dir/bin/pip" install -q --upgrade pip
  if [ $# -gt 0 ]; then "$dir/bin/pip" install -q "$@"; fi
  "$dir/bin/pip" install -q -r "$lock"
  touch "$stamp"
  log "$dir ready"
}

# torch first and pinned: pip then takes the CPU wheel instead of a multi-GB CUDA build.
install_venv .venv 3.11 requirements/app.lock torch==2.13.0
install_venv .venv-rasa 3.10 requirements/rasa.lock

# Front-end packages from package-lock.json: ECharts (served by the hub to the dashboard and inlined in the
# briefing: no CDN), Swagger UI (the API reference at /docs) and axe-core (the browser tests' accessibility checker).
lock_stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$lock_stamp" ]; then
  command -v npm >/dev/null 2>&1 || { echo "npm not found (install Node.js 18 or later)" >&2; exit 1; }
  log "installing the npm packages (npm ci)"
  npm ci --no-audit --no-fund --silent && touch "$lock_stamp"
fi

# The briefing's PDF (./cs report, the scheduled weekly/monthly ones) is printed by Debian's Chromium, and a Chinese
# briefing needs CJK fonts (without them the PDF is boxes). The product needs both, not only the tests.
if ! command -v chromium >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  log "installing Debian's chromium and CJK fonts for the briefing's PDF"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
