"""A customer's rights over their data: find every conversation of theirs, give it to them, or erase it.

A customer is found by the reference the shop signed (``core/identity.py``),
any other identity of their record (a phone number, a Telegram id...), or a
conversation id (an anonymous web visitor quoting it). The export holds what
they really wrote: their own masked personal data is unsealed for them.

It holds their tickets too, each with its internal notes: what an agent wrote
about them is personal data of theirs (GDPR art. 15, PIPL art. 45), though
the console never shows it to them.

And the pictures they attached in the web chat (``bot/uploads.py``), kept with the conversation: each under
``pictures`` with its content type and its bytes in base64, beside the transcript line that names it
(``message_id``; the line's ``meta.media.upload_id``). What they sent on a messaging channel (Telegram, WeChat) the
hub keeps no copy of: ``privacy/channel_files.py`` fetches it from the platform into the export, or lists why not.
"""

from __future__ import annotations

import base64
import json

import redis

from core.redis import Keys
from core.vault import Vault
from customers.store import CustomerRecord
from tickets.store import ticket_from_hash

HIDDEN_FIELDS = ("token_hash",)


def tickets_of(client: redis.Redis, keys: Keys, cids: set[str]) -> dict[str, list[str]]:
    """Conversation id -> the ids of its tickets, every one it ever had (the conversation's hash names only the
    latest: a chat escalated again after its ticket closed gets a new one). One pass over all tickets."""
    found: dict[str, list[str]] = {}
    ids = client.zrange(keys.tickets_all, 0, -1)
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        pipe = client.pipeline(transaction=False)
        for ticket_id in chunk:
            pipe.hget(keys.ticket(ticket_id), "conversation_id")
        for ticket_id, cid in zip(chunk, pipe.execute()):
            if cid in cids:
                found.setdefault(cid, []).append(ticket_id)
    for cid in cids:  # a ticket missing from the index is still found through its conversation
        latest = client.hget(keys.conv(cid), "ticket_id")
        if latest and latest not in found.get(cid, []):
            found.setdefault(cid, []).append(latest)
    return found


def pictures_of(client: redis.Redis, keys: Keys, cid: str, messages: list[dict]) -> list[dict]:
    """The pictures kept with the conversation (``Keys.uploads``: upload id -> base64, id + ":type" -> its type), in
    transcript order, each with the line that names it; one whose line is gone is still theirs, and listed last."""
    kept = client.hgetall(keys.uploads(cid))
    lines = {str((m.get("meta") or {}).get("media", {}).get("upload_id")): m["id"] for m in messages
             if (m.get("meta") or {}).get("kind") == "attachment" and (m.get("meta") or {}).get("media", {}).get("upload_id")}
    order = list(lines) + sorted(k for k in kept if ":" not in k and k not in lines)
    pictures = []
    for upload_id in order:
        data = kept.get(upload_id)
        if data is None:
            continue  # named by a line, no longer kept (it expired with its hash)
        pictures.append({"message_id": lines.get(upload_id), "upload_id": upload_id, "content_type": kept.get(f"{upload_id}:type"),
                         "size": len(base64.b64decode(data)), "data_base64": data})
    return pictures


def export(client: redis.Redis, keys: Keys, vault: Vault, cids: set[str], records: list[CustomerRecord] = ()) -> dict:
    """``customer``: the record found first (None without one); ``customers``: every record found (a number left on
    several records finds each)."""
    out = []
    tickets = tickets_of(client, keys, cids)
    for cid in sorted(cids):
        conv = {k: v for k, v in client.hgetall(keys.conv(cid)).items() if k not in HIDDEN_FIELDS}
        originals = client.hgetall(keys.pii(cid))
        messages = []
        for mid, fields in client.xrange(keys.transcript(cid)):
            body = json.loads(fields["m"])
            if mid in originals:
                body["text"] = vault.open(originals[mid]) or body["text"]
            body.get("meta", {}).pop("hits", None)
            messages.append({"id": mid, **body})
        packet = client.get(keys.packet(cid))
        mine = []
        for ticket_id in tickets.get(cid, []):
            raw = client.hgetall(keys.ticket(ticket_id))
            if raw:
                notes = [{"id": nid, **json.loads(fields["n"])} for nid, fields in client.xrange(keys.ticket_notes(ticket_id))]
                mine.append({"ticket": ticket_from_hash(raw).model_dump(mode="json"), "internal_notes": notes})
        out.append({"conversation": conv, "messages": messages, "pictures": pictures_of(client, keys, cid, messages),
                    "handoff_packet": json.loads(packet) if packet else None, "tickets": mine})
    found = [record.model_dump() for record in records]
    return {"customer": found[0] if found else None, "customers": found, "conversations": out}
