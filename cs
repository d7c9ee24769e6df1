#!/usr/bin/env bash
# Command line for operators: ./cs kb <import|export|search|reindex|eval> ..., ./cs agents <add|passwd|unlock|list|remove> ...,
# ./cs privacy <export|delete|purge|audit> ..., ./cs report [--period last-week] ..., ./cs demo --days N ...
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
  kb) shift; exec .venv/bin/python -m kb "$@" ;;
  agents) shift; exec .venv/bin/python -m handoff "$@" ;;
  privacy) shift; exec .venv/bin/python -m privacy "$@" ;;
  report) shift; exec .venv/bin/python -m analytics "$@" ;;
  demo) shift; exec .venv/bin/python -m demo "$@" ;;
  *) echo "usage: ./cs kb <import|export|search|reindex|eval> ... | ./cs agents <add|passwd|unlock|list|remove> ... | ./cs privacy <export|delete|purge|audit> ... | ./cs report [--period P | --from D --to D] [--lang zh|en] [--format html|pdf|xlsx] | ./cs demo --days N [--wipe]" >&2; exit 2 ;;
esac
