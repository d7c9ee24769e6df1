"""``./cs privacy``: a customer's data export and erasure, the retention purge, and the audit log, from the command line.

Every export and erasure leaves an audit line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from core.audit import AuditLog
from core.pii import parse_contact
from core.redis import Keys, async_client, sync_client
from core.secrets import write_private
from core.settings import get_settings
from core.vault import Vault
from customers.store import CustomerRecord, CustomerStore
from kb.gaps import GapLog
from bot.channels.media import Attachments
from bot.channels.registry import configured_channels
from privacy.channel_files import Fetched, add_channel_files
from privacy.erase import Eraser
from privacy.retention import RetentionPolicy, due
from privacy.subject import export

ACTOR = "cli"


def _write(data: object, out: str | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out:
        path = Path(out)
        write_private(path, text + "\n")
        print(f"written to {path}", file=sys.stderr)
    else:
        print(text)


async def _subject(settings, keys: Keys, args: argparse.Namespace) -> tuple[list[CustomerRecord], set[str]]:
    """The customer records named on the command line (if any) and every conversation of theirs.

    A phone number or e-mail names the record it is an identity of and every record that left it as a contact
    (customers/store.py): a person asking for their data is found wherever they typed their number."""
    client = async_client(settings)
    try:
        customers = CustomerStore(client, keys)
        customer_ids: list[str] = []
        if args.customer:
            customer_ids = [found] if (found := await customers.find("shop", args.customer)) else []
        elif args.identity:
            kind, _, value = args.identity.partition(":")
            parsed = parse_contact(value) if kind in ("phone", "email") else None
            values = [value] + ([parsed[1]] if parsed and parsed[0] == kind else [])  # stored as the offline form keeps it: +8613812345678
            for each in values:
                customer_ids += [found] if (found := await customers.find(kind, each)) else []
                customer_ids += await customers.with_contact(kind, each) if parsed else []
        customer_ids = list(dict.fromkeys(customer_ids))
        records = [record for cid in customer_ids if (record := await customers.get(cid))]
        cids = {conv for record in records for conv in await customers.conversations(record.id)}
        if args.conversation and await client.exists(keys.conv(args.conversation)):
            cids.add(args.conversation)
            owner = await client.hget(keys.conv(args.conversation), "customer_id")
            if not records and owner and set(await customers.conversations(owner)) <= cids:
                # A record made for this conversation alone (a visitor who left a phone number or e-mail on the offline
                # form): it is theirs with the conversation. One that other conversations share is not theirs to take.
                records = [record] if (record := await customers.get(owner)) else []
        return records, cids
    finally:
        await client.aclose()


async def _channel_files(settings, keys: Keys, exported: dict) -> Fetched:
    """What the customer sent on Telegram / WeChat, fetched from the platform into the export (privacy/channel_files.py),
    with this machine's channel credentials (the hub's settings)."""
    client = async_client(settings)
    channels = configured_channels(settings, client, keys)
    attachments = Attachments(channels, max_bytes=settings.attachment_max_bytes)
    try:
        return await add_channel_files(attachments, exported["conversations"], budget=settings.export_channel_files_max_bytes, progress=True)
    finally:
        await attachments.aclose()
        for channel in channels.values():
            await channel.aclose()
        await client.aclose()


async def _forget(settings, keys: Keys, customer_id: str) -> None:
    client = async_client(settings)
    try:
        await CustomerStore(client, keys).remove(customer_id)
    finally:
        await client.aclose()


def _moment(text: str) -> float:
    """``--since``: an ISO date or time, as epoch seconds; anything else is a usage error, not a traceback."""
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or time (e.g. 2026-11-01 or 2026-11-01T09:00)") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="privacy", description="Personal data: export or erase a customer's, purge what retention says, read the audit log.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("export", "everything stored about a customer, as JSON (their masked data unsealed)"),
                            ("delete", "erase everything stored about a customer, everywhere")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--customer", help="the customer reference your site signs")
        p.add_argument("--identity", help='any identity of the customer, "kind:value": phone:13812345678, email:..., telegram:123, wechat:openid')
        p.add_argument("--conversation", help="a conversation id (an anonymous visitor quoting it)")
        if name == "export":
            p.add_argument("--out", help="file to write (default: standard output)")
        else:
            p.add_argument("--yes", action="store_true", help="do it (without: show what would be erased)")
    p = sub.add_parser("purge", help="erase what the retention settings say is due now")
    p.add_argument("--dry-run", action="store_true")
    p = sub.add_parser("audit", help="the audit log as JSON lines")
    p.add_argument("--since", type=_moment, help="ISO date or time, e.g. 2026-11-01")
    p.add_argument("--out")
    args = parser.parse_args(argv)

    settings = get_settings()
    client = sync_client(settings)
    keys = Keys(settings.key_prefix)
    audit = AuditLog(keys, sync=client)
    eraser = Eraser(client, keys, [GapLog(client, keys).key])
    if args.command in ("export", "delete"):
        if not (args.customer or args.identity or args.conversation):
            parser.error("name the customer (--customer REF or --identity KIND:VALUE) or a conversation (--conversation ID)")
        records, cids = asyncio.run(_subject(settings, keys, args))
        target = args.customer or args.identity or args.conversation
        named = "" if not records else " and the customer record" if len(records) == 1 else f" and {len(records)} customer records"
        if args.command == "export":
            exported = export(client, keys, Vault(settings.secret("pii-key")), cids, records)
            fetched = asyncio.run(_channel_files(settings, keys, exported))
            _write(exported, args.out)
            if fetched.not_fetched:
                print(f"{fetched.not_fetched} file(s) the customer sent on a messaging channel could not be fetched: "
                      "listed under channel_files_not_fetched, with why", file=sys.stderr)
            audit.record_sync(ACTOR, "pii_exported", target, conversations=len(cids), channel_files=fetched.files,
                              channel_files_not_fetched=fetched.not_fetched)
        elif not args.yes:
            print(f"would erase {len(cids)} conversation(s): {', '.join(sorted(cids)) or '-'}{named} (add --yes)")
        else:
            erased = eraser.erase(cids)
            for record in records:
                asyncio.run(_forget(settings, keys, record.id))
            audit.record_sync(ACTOR, "customer_erased", target, conversations=erased.conversations, tickets=erased.tickets, events=erased.events,
                              gap_records=erased.gap_records)
            print(f"erased {erased.conversations} conversation(s), {erased.tickets} ticket(s), {erased.keys} keys, {erased.events} events, "
                  f"{erased.gap_records} content-gap records{named.replace(' and', ',')}")
    elif args.command == "purge":
        policy = RetentionPolicy(settings.retention_days * 86400, settings.abandoned_conversation_hours * 3600)
        cids = due(client, keys, policy)
        if args.dry_run:
            print(f"{len(cids)} conversation(s) are due")
        else:
            erased = eraser.erase(cids)
            audit.record_sync(ACTOR, "retention_purge", "", conversations=erased.conversations)
            print(f"erased {erased.conversations} conversation(s)")
    elif args.command == "audit":
        since = args.since or 0.0
        lines = "\n".join(json.dumps(e, ensure_ascii=False) for e in audit.entries_sync(since))
        if args.out:
            write_private(Path(args.out), lines + "\n")
        else:
            print(lines)
        audit.record_sync(ACTOR, "audit_exported", "", since=since, at=time.time())
    return 0
