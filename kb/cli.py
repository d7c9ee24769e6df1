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
from rich.markup import escape
from rich.table import Table

from core.redis import sync_client
from kb import io as kbio
from kb.calibration import OBJECTIVES
from kb.datasets import DATASETS
from kb.embeddings import EmbedderSet, prepare_models
from kb.publishing import publish
from kb.search import Searcher
from kb.store import NOTHING_TO_REPLACE_WITH, KbStore

console = Console(stderr=True)


def _store(args: argparse.Namespace) -> KbStore:
    client = sync_client()
    try:
        client.ping()
    except Exception as exc:  # redis raises several connection error types
        console.print(f"[red]Cannot reach Redis ({exc}).[/red] Start the product with ./run.sh, or set REDIS_URL.")
        sys.exit(2)
    return KbStore(client, args.namespace)


def import_file(store: KbStore, path: Path, author: str, do_publish: bool = True, progress: bool = True, replace: bool = False) -> dict:
    """Validate the whole file first; write nothing unless every row is good. ``replace``: entries not in the file
    are deleted in the same atomic step (a shop's own FAQ over the starter one)."""
    parsed = kbio.read_file(path)
    if parsed.errors:
        return {"ok": False, "errors": [e.__dict__ for e in parsed.errors], "entries": len(parsed.entries), "file_problem": parsed.file_problem()}
    deleted = 0
    if replace and not parsed.entries:
        return {"ok": False, "errors": [], "entries": 0, "file_problem": NOTHING_TO_REPLACE_WITH}
    if replace:
        created, updated, deleted = store.replace_all(parsed.entries, author)
    else:
        created, updated = store.save_many(parsed.entries, author)
    result: dict = {"ok": True, "created": created, "updated": updated, "unchanged": len(parsed.entries) - created - updated, "deleted": deleted}
    if do_publish:
        result["published"] = publish(store, EmbedderSet.from_settings(), author, progress=progress)
    return result


def cmd_import(args: argparse.Namespace) -> int:
    result = import_file(_store(args), Path(args.file), args.author, not args.no_publish, replace=getattr(args, "replace", False))
    if not result["ok"]:
        if result["file_problem"]:
            console.print(f"[red]{escape(args.file)}: {escape(result['file_problem'])}; nothing was imported.[/red]")
            return 1
        console.print(f"[red]{args.file}: {len(result['errors'])} bad row(s); nothing was imported.[/red]")
        for e in result["errors"]:
            console.print(f"  row {e['row']}" + (f" (id {e['id']})" if e["id"] else "") + f": {e['message']}")
        return 1
    console.print(f"imported: {result['created']} new, {result['updated']} changed, {result['unchanged']} unchanged"
                  + (f", {result['deleted']} deleted (not in the file)" if result["deleted"] else ""))
    if "published" in result:
        p = result["published"]
        console.print(f"published version {p['version']}: {p['entries']} entries, {p['texts']} texts, {p['build_seconds']} s")
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    """First start: import the starter file into an empty KB; publish a KB that has never been published,
    or whose live version predates the learned ranking and calibrated gate."""
    store = _store(args)
    prepare_models(EmbedderSet.from_settings())  # the serving processes then never pay it on a first question
    if store.count() == 0:
        return cmd_import(args)
    live = store.published_version()
    if live is None or not all(v.get("gates") for v in store.versions() if v["version"] == live):
        return cmd_reindex(args)
    console.print("knowledge base already published")
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


def gate_summary(gate: dict) -> str:
    """One line saying which thresholds decided and what they are expected to give."""
    source = gate.get("source") or {}
    if "override" in source:
        origin = f"overridden in settings ({source['override']})"
    elif source.get("uncalibrated"):
        origin = "not calibrated (published before calibration; run `./cs kb reindex`)"
    else:
        origin = (f"calibrated at publish on {source.get('held_out_wordings', 0)} held-out wordings + "
                  f"{source.get('off_topic_probes', 0)} off-topic probes")
    expected = gate.get("expected_precision")
    precision = f", expected answer precision {expected:.0%}" if expected is not None else ""
    return f"gate: answer >= {gate['answer']:g} with margin {gate['margin']:g}, suggest >= {gate['suggest']:g}; {origin}{precision}"


def cmd_search(args: argparse.Namespace) -> int:
    searcher = Searcher(_store(args), EmbedderSet.from_settings())
    result = searcher.search(args.query, args.lang, k=args.k, context=args.after)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    title = f"{result.decision.upper()}  ({result.language}, version {result.version})"
    if result.searched_as:
        title += f"\nsearched as a follow-up: {result.searched_as}"
    table = Table(title=title, caption=gate_summary(result.gate) if result.gate else None)
    for col in ("id", "question", "score", "dense", "lexical", "chars"):
        table.add_column(col)
    for h in result.hits:
        table.add_row(h.id + (" (verbatim)" if h.exact else ""), h.question, f"{h.score:.3f}", f"{h.dense:.3f}", f"{h.lexical:.3f}", f"{h.chars:.3f}")
    Console().print(table)
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    info = publish(_store(args), EmbedderSet.from_settings(), args.author, progress=True)
    console.print(f"published version {info['version']}: {info['entries']} entries, {info['texts']} texts, {info['build_seconds']} s")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Measure retrieval on a labelled data set (kb/eval, docs/retrieval.md)."""
    from core.redis import redis_url, shown_url
    from kb.datasets import DatasetError, load
    from kb.eval.report import table
    from kb.eval.run import EvalOptions, run_eval

    try:
        dataset = load(args.dataset, Path(args.data_dir) if args.data_dir else None, k=args.k, labels=args.labels, seed=args.seed)
    except DatasetError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    client = sync_client()
    try:
        client.ping()
    except Exception as exc:  # redis raises several connection error types
        console.print(f"[red]Cannot reach Redis at {shown_url(redis_url())} ({exc}).[/red] Start one (./run.sh) or set REDIS_URL.")
        return 2
    namespace = args.eval_namespace or f"eval-{args.dataset}"
    if namespace == "default" or not namespace.startswith("eval-"):
        console.print(f"[red]--eval-namespace must start with 'eval-' (it is cleared first), got {namespace!r}[/red]")
        return 2
    options = EvalOptions(
        namespace=namespace, model=args.model, objective=args.objective, min_precision=args.min_precision,
        validate=not args.no_validate, limit=args.limit, seed=args.seed, progress=not args.no_progress, keep_questions=args.questions,
    )
    report = run_eval(client, dataset, options)
    report["k"] = args.k
    report["labels"] = args.labels
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    out = Console(width=max(Console().width, 130))
    out.print(table(report))
    out.print(f"top-1 over every evaluated question (val + test): {report['top1_all']:.1%}" if report["top1_all"] is not None else "")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kb", description="Manage the FAQ knowledge base.")
    parser.add_argument("--namespace", default="default", help="which knowledge base (default: %(default)s)")
    parser.add_argument("--author", default="cli", help="recorded in each revision")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import", help="add or update entries from a .json, .csv or .xlsx file, then publish")
    p.add_argument("file")
    p.add_argument("--no-publish", action="store_true", help="save the entries but do not build a new index version")
    p.add_argument("--replace", action="store_true",
                   help="make the knowledge base exactly this file: every entry not in it is deleted (e.g. the starter FAQ)")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("bootstrap", help="import FILE if the knowledge base is empty, publish it if never published")
    p.add_argument("file")
    p.set_defaults(func=cmd_bootstrap, no_publish=False)
    p = sub.add_parser("export", help="write every entry to a .json, .csv or .xlsx file")
    p.add_argument("file")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("search", help="show what the bot would retrieve for a question")
    p.add_argument("query")
    p.add_argument("--lang", choices=["en", "zh"], help="default: detected from the text")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--after", help="the previous question, to search QUERY as a possible follow-up to it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("reindex", help="build and publish a new index version from the published entries")
    p.set_defaults(func=cmd_reindex)
    p = sub.add_parser("eval", help="measure retrieval and calibrate the gate on a labelled data set (own namespace eval-<dataset>)")
    p.add_argument("dataset", choices=list(DATASETS))
    p.add_argument("--data-dir", help="folder holding banking77/, clinc150/ and dialogflow/ (default: ../shared/eval-data from the repo root)")
    p.add_argument("--k", type=int, help="keep only K phrasings per entry besides its question (seeded sample)")
    p.add_argument("--labels", type=int, help="use only the first N labels (entries)")
    p.add_argument("--limit", type=int, help="cap the questions (per split when the data set has a validation split), seeded sample")
    p.add_argument("--model", help="override the language's embedding model (else CS_EMBEDDING_MODELS)")
    p.add_argument("--objective", choices=list(OBJECTIVES), default="precision", help="objective of the comparison gate calibrated on the validation split (docs/retrieval.md)")
    p.add_argument("--min-precision", type=float, default=0.9, help="answer precision floor for --objective precision")
    p.add_argument("--no-validate", action="store_true", help="no validation split: every test question, at the gate calibrated at publish only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-namespace", help="KB namespace to (clear and) use; default eval-<dataset>")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--questions", action="store_true", help="include every question with its hits in the JSON")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_eval)
    args = parser.parse_args(argv)
    return args.func(args)
