"""``canned``: the team's canned replies from the command line (``./cs canned add hi --lang en --title ... --text ...``).

A reply is named by its shortcut and, where the shortcut exists in both languages, ``--lang``. Every change leaves
an audit line, as the console's "Canned replies" view does. ``seed`` is what the first start runs: the starter
replies, once (``tickets/canned.py:CannedReplies.seed``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import ValidationError

from core.audit import AuditLog
from core.cli import run
from core.redis import Keys, async_client
from core.settings import get_settings
from tickets.canned import STARTER, TEXT_MAX, TITLE_MAX, CannedReplies, CannedReply, ShortcutTaken, load_starters, plain_shortcut

ACTOR = "cli"


class Refused(Exception):
    """What the operator asked for cannot be done; the message says why and what to do."""


def _reasons(exc: ValidationError) -> str:
    """Pydantic's reasons in the operator's words: ``text: must not be empty``."""
    said = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(p) for p in error.get("loc", ()))
        kind, ctx = error.get("type"), error.get("ctx") or {}
        if kind == "string_too_short":
            reason = "must not be empty"
        elif kind == "string_too_long":
            reason = f"too long: at most {ctx.get('max_length')} characters"
        elif field == "shortcut" and kind == "string_pattern_mismatch":
            reason = "use letters a-z, digits, - and _ only, at most 30 (typed as /shortcut)"
        elif field == "language":
            reason = "en or zh"
        else:
            reason = str(error.get("msg", "invalid"))
        said.append(f"{field}: {reason}")
    return "; ".join(said)


async def _named(store: CannedReplies, shortcut: str, language: str | None) -> CannedReply:
    """The reply called ``/shortcut`` (in ``language``, which may be left out when the shortcut exists in one only)."""
    wanted = plain_shortcut(shortcut)
    found = await store.by_shortcut(wanted, language)
    if not found:
        raise Refused(f"no canned reply /{wanted}" + (f" in {language}" if language else "") + " (./cs canned list shows them)")
    if len(found) > 1:
        raise Refused(f"/{wanted} exists in {' and '.join(c.language for c in found)}: say which with --lang")
    return found[0]


def _text(given: str | None) -> str | None:
    """``--text -`` reads the text from standard input (a long reply, several lines)."""
    return sys.stdin.read() if given == "-" else given


def _show(c: CannedReply) -> str:
    text = " ".join(c.text.split())
    return f"/{c.shortcut:<20} {c.language}  {c.title}: {text if len(text) <= 80 else text[:79] + '…'}"


async def _run(args: argparse.Namespace) -> int:
    client = async_client(get_settings())
    keys = Keys(get_settings().key_prefix)
    store = CannedReplies(client, keys)
    audit = AuditLog(keys, client)
    try:
        if args.command == "list":
            replies = await store.search(args.search or "", args.lang)
            for c in replies:
                print(_show(c))
            if not replies:
                print("no canned replies" + (" match" if args.search else " yet: add one with ./cs canned add"), file=sys.stderr)
        elif args.command == "add":
            reply = await store.save(CannedReply(shortcut=args.shortcut, language=args.lang, title=args.title, text=_text(args.text) or ""))
            await audit.record(ACTOR, "canned_saved", reply.id, shortcut=reply.shortcut)
            print(f"added /{reply.shortcut} ({reply.language})")
        elif args.command == "edit":
            before = await _named(store, args.shortcut, args.lang)
            if args.new_shortcut is None and args.title is None and args.text is None:
                raise Refused("nothing to change: give --shortcut, --title or --text")
            changed = before.model_dump()
            for field, value in (("shortcut", args.new_shortcut), ("title", args.title), ("text", _text(args.text))):
                if value is not None:
                    changed[field] = value
            reply = await store.save(CannedReply(**changed))
            await audit.record(ACTOR, "canned_saved", reply.id, shortcut=reply.shortcut)
            print(f"saved /{reply.shortcut} ({reply.language})")
        elif args.command == "remove":
            gone = await _named(store, args.shortcut, args.lang)
            await store.delete(gone.id)
            await audit.record(ACTOR, "canned_deleted", gone.id)
            print(f"removed /{gone.shortcut} ({gone.language})")
        elif args.command == "seed":
            added = await store.seed(load_starters(Path(args.file)))
            print({-1: "canned replies: starters were offered before; nothing changed",
                   0: "canned replies: the team has its own; no starters added"}.get(added, f"canned replies: added {added} starter replies"))
        return 0
    except ValidationError as exc:
        print(f"error: {_reasons(exc)}", file=sys.stderr)
        return 1
    except (ShortcutTaken, Refused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="canned", description="Manage canned replies: the answers agents insert by typing /shortcut in the console.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="show the replies (shortcut, language, title, text)")
    p.add_argument("--lang", choices=["en", "zh"], help="only this language")
    p.add_argument("--search", help="only replies whose shortcut starts with, or title or text contains, these words")
    p = sub.add_parser("add", help="add a reply")
    p.add_argument("shortcut", help='what agents type after "/" (a-z, 0-9, - and _, at most 30)')
    p.add_argument("--lang", choices=["en", "zh"], required=True, help="the language of the chats it is for")
    p.add_argument("--title", required=True, help=f"a few words saying what it is for (at most {TITLE_MAX} characters)")
    p.add_argument("--text", required=True, help=f"what the customer is sent (at most {TEXT_MAX} characters; - reads it from standard input)")
    p = sub.add_parser("edit", help="change a reply's shortcut, title or text")
    p.add_argument("shortcut", help="the reply's shortcut now")
    p.add_argument("--lang", choices=["en", "zh"], help="which one, when the shortcut exists in both languages")
    p.add_argument("--shortcut", dest="new_shortcut", help='a new shortcut (a-z, 0-9, - and _, at most 30)')
    p.add_argument("--title", help=f"a new title (at most {TITLE_MAX} characters)")
    p.add_argument("--text", help=f"a new text (at most {TEXT_MAX} characters; - reads it from standard input)")
    p = sub.add_parser("remove", help="delete a reply")
    p.add_argument("shortcut", help="the reply's shortcut (./cs canned list shows them)")
    p.add_argument("--lang", choices=["en", "zh"], help="which one, when the shortcut exists in both languages")
    p = sub.add_parser("seed", help="first start: add the starter replies if the team has none and none were ever added")
    p.add_argument("--file", default=str(STARTER), help="the starter replies (default: data/canned/starter.json)")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(run(main))
