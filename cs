#!/usr/bin/env bash
# Command line for operators: ./cs kb <import|export|search|reindex|eval> ..., ./cs agents <add|list|remove> ...
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
  kb) shift; exec .venv/bin/python -m kb "$@" ;;
  agents) shift; exec .venv/bin/python -m handoff "$@" ;;
  *) echo "usage: ./cs kb <import|export|search|reindex|eval> ... | ./cs agents <add|list|remove> ..." >&2; exit 2 ;;
esac
