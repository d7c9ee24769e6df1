"""A customer's rights over their data: find every conversation of theirs, give it to them, or erase it.

A customer is found by the reference the shop signed (``core/identity.py``),
any other identity of their record (a phone number, a Telegram id...), or a
conversation id (an anonymous web visitor quoting it). The export holds what
they really wrote: their own masked personal data is unsealed for them.
"""

from __future__ import annotations

import json

import redis

from core.redis import Keys
from core.vault import Vault
from customers.store import CustomerRecord

HIDDEN_FIELDS = ("token_hash",)


def export(client: redis.Redis, keys: Keys, vault: Vault, cids: set[str], record: CustomerRecord | None = None) -> dict:
    out = []
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
        out.append({"conversation": conv, "messages": messages, "handoff_packet": json.loads(packet) if packet else None})
    return {"customer": record.model_dump() if record else None, "conversations": out}
