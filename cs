#!/usr/bin/env bash
# Command line for operators: ./cs kb <import|export|search|reindex|eval> ..., ./cs agents <add|passwd|unlock|list|remove> ...,
# ./cs canned <list|add|edit|remove> ..., ./cs privacy <export|delete|purge|audit> ..., ./cs report [--period last-week] ..., ./cs demo --days N ...
# Runs where it was typed (no cd): a relative file given to import, export or --out is the operator's, not the repo's.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")" && pwd)"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
PY="$ROOT/.venv/bin/python"
case "${1:-}" in
  kb) shift; exec "$PY" -P -m kb "$@" ;;
  agents) shift; exec "$PY" -P -m handoff "$@" ;;
  canned) shift; exec "$PY" -P -m tickets.cli "$@" ;;
  privacy) shift; exec "$PY" -P -m privacy "$@" ;;
  report) shift; exec "$PY" -P -m analytics "$@" ;;
  demo) shift; exec "$PY" -P -m demo "$@" ;;
  *) echo "usage: ./cs kb <import|export|search|reindex|eval> ... | ./cs agents <add|passwd|unlock|list|remove> ... | ./cs canned <list|add|edit|remove> ... | ./cs privacy <export|delete|purge|audit> ... | ./cs report [--period P | --from D --to D] [--lang zh|en] [--format html|pdf|xlsx] | ./cs demo --days N [--wipe]" >&2; exit 2 ;;
esac
