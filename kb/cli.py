"""``kb``: import, export, search and re-publish the knowledge base from a terminal.

Run as ``./cs kb <command>`` (or ``.venv/bin/python -m kb``). It talks to the
product's Redis (``REDIS_URL``, or the embedded server ``./run.sh`` started).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from core.redis import sync_client
from kb import io as kbio
from kb.embeddings import EmbedderSet
from kb.publishing import publish
from kb.search import Searcher
from kb.store import KbStore

console = Console(stderr=True)


def _store(args: argparse.Namespace) -> KbStore:
    client = sync_client()
    try:
        client.ping()
    except Exception as exc:  # redis raises several connection error types
        console.print(f"[red]Cannot reach Redis ({exc}).[/red] Start the product with ./run.sh, or set REDIS_URL.")
        sys.exit(2)
    return KbStore(client, args.namespace)


def import_file(store: KbStore, path: Path, author: str, do_publish: bool = True, progress: bool = True) -> dict:
    """Validate the whole file first; write nothing unless every row is good."""
    parsed = kbio.read_file(path)
    if parsed.errors:
        return {"ok": False, "errors": [e.__dict__ for e in parsed.errors], "entries": len(parsed.entries)}
    created, updated = store.save_many(parsed.entries, author)
    result: dict = {"ok": True, "created": created, "updated": updated, "unchanged": len(parsed.entries) - created - updated}
    if do_publish:
        result["published"] = publish(store, EmbedderSet.from_settings(), author, progress=progress)
    return result


def cmd_import(args: argparse.Namespace) -> int:
    result = import_file(_store(args), Path(args.file), args.author, not args.no_publish)
    if not result["ok"]:
        console.print(f"[red]{args.file}: {len(result['errors'])} bad row(s); nothing was imported.[/red]")
        for e in result["errors"]:
            console.print(f"  row {e['row']}" + (f" (id {e['id']})" if e["id"] else "") + f": {e['message']}")
        return 1
    console.print(f"imported: {result['created']} new, {result['updated']} changed, {result['unchanged']} unchanged")
    if "published" in result:
        p = result["published"]
        console.print(f"published version {p['version']}: {p['entries']} entries, {p['texts']} texts, {p['build_seconds']} s")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    entries = _store(args).list_entries()
    path = Path(args.file)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(kbio.to_json(entries), encoding="utf-8")
    elif suffix == ".csv":
        path.write_text(kbio.to_csv(entries), encoding="utf-8")
    elif suffix == ".xlsx":
        path.write_bytes(kbio.to_xlsx(entries))
    else:
        console.print(f"[red]unsupported file type {suffix!r}; use .json, .csv or .xlsx[/red]")
        return 2
    console.print(f"exported {len(entries)} entries to {path}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    searcher = Searcher(_store(args), EmbedderSet.from_settings())
    result = searcher.search(args.query, args.lang, k=args.k)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    table = Table(title=f"{result.decision.upper()}  ({result.language}, version {result.version})")
    for col in ("id", "question", "fused", "dense", "lexical"):
        table.add_column(col)
    for h in result.hits:
        table.add_row(h.id, h.question, f"{h.score:.3f}", f"{h.dense:.3f}", f"{h.lexical:.3f}")
    Console().print(table)
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    info = publish(_store(args), EmbedderSet.from_settings(), args.author, progress=True)
    console.print(f"published version {info['version']}: {info['entries']} entries, {info['texts']} texts, {info['build_seconds']} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kb", description="Manage the FAQ knowledge base.")
    parser.add_argument("--namespace", default="default", help="which knowledge base (default: %(default)s)")
    parser.add_argument("--author", default="cli", help="recorded in each revision")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import", help="add or update entries from a .json, .csv or .xlsx file, then publish")
    p.add_argument("file")
    p.add_argument("--no-publish", action="store_true", help="save the entries but do not build a new index version")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("export", help="write every entry to a .json, .csv or .xlsx file")
    p.add_argument("file")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("search", help="show what the bot would retrieve for a question")
    p.add_argument("query")
    p.add_argument("--lang", choices=["en", "zh"], help="default: detected from the text")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("reindex", help="build and publish a new index version from the published entries")
    p.set_defaults(func=cmd_reindex)
    args = parser.parse_args(argv)
    return args.func(args)
