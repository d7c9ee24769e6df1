#!/usr/bin/env bash
# Command line for operators: ./cs kb <import|export|search|reindex|eval> ..., ./cs agents <add|passwd|unlock|list|remove> ...,
# ./cs privacy <export|delete|purge|audit> ...
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
  kb) shift; exec .venv/bin/python -m kb "$@" ;;
  agents) shift; exec .venv/bin/python -m handoff "$@" ;;
  privacy) shift; exec .venv/bin/python -m privacy "$@" ;;
  *) echo "usage: ./cs kb <import|export|search|reindex|eval> ... | ./cs agents <add|passwd|unlock|list|remove> ... | ./cs privacy <export|delete|purge|audit> ..." >&2; exit 2 ;;
esac
