"""One record per customer, whatever channel they write from: so nobody asks them to repeat themselves.

A record has identities, each a ``(kind, value)`` pair that points at it: a
web visitor (the random id the chat page keeps), the shop's signed customer
reference, a Telegram user id, a WeChat openid, a phone or an e-mail address.
A conversation is attached to the record of the identity it started with;
agents see the record beside the chat with every earlier conversation.

Two records found to be one person are merged (an agent links them): the
identities and conversations of one move to the other, which every later
lookup of the old id follows.

A phone number or e-mail address the customer typed themselves (the offline
form) is a *contact*, not an identity: it is on their record for whoever calls
them back, and finds them for a privacy request, but nothing proves it is
theirs. Taken as an identity, anyone who typed a customer's number would be
merged into their record: shown their name and history, and sent the
messages they write next from another channel. An agent who has checked makes
it an identity with Link.
"""

from __future__ import annotations

import time
import uuid
from typing import Literal

import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from core.redis import Keys
from core.text import shown_as_typed

IdentityKind = Literal["web", "shop", "telegram", "wechat", "phone", "email"]
MAX_MERGE_HOPS = 10


class CustomerRecord(BaseModel):
    id: str
    name: str = ""
    tier: str = "standard"
    language: str = ""
    phone: str = ""
    email: str = ""
    dedicated_agent: str = ""  # 专属客服: a VIP's own agent, who gets their chats when online
    created_at: float = 0.0
    identities: list[str] = Field(default_factory=list, description='"kind:value", e.g. "telegram:123456"')


def identity_key(kind: IdentityKind, value: str) -> str:
    return f"{kind}:{value.strip()}"


class CustomerStore:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.r = client
        self.k = keys

    async def resolve(self, customer_id: str) -> str | None:
        """Follow merges to the record that lives on (``None``: no such customer)."""
        for _ in range(MAX_MERGE_HOPS):
            merged_into = await self.r.hget(self.k.customer_record(customer_id), "merged_into")
            if merged_into is None:
                return customer_id if await self.r.exists(self.k.customer_record(customer_id)) else None
            if not merged_into:
                return customer_id
            customer_id = merged_into
        return customer_id

    async def find(self, kind: IdentityKind, value: str) -> str | None:
        found = await self.r.hget(self.k.customer_identities, identity_key(kind, value))
        return await self.resolve(found) if found else None

    async def identify(self, kind: IdentityKind, value: str, **details: str) -> str:
        """The customer this identity belongs to, created on first sight. ``details`` fill empty fields (name, tier, language...)."""
        key = identity_key(kind, value)
        found = await self.find(kind, value)
        if found is None:
            candidate = uuid.uuid4().hex
            # Two first messages at once from one new identity: one record wins, both use it.
            if await self.r.hsetnx(self.k.customer_identities, key, candidate):
                await self.r.hset(self.k.customer_record(candidate), mapping={"created_at": str(time.time()), "merged_into": ""})
                await self.r.sadd(self.k.customer_record_identities(candidate), key)
            found = await self.find(kind, value)
        await self.fill(found, **details)
        return found

    async def fill(self, customer_id: str, overwrite: bool = False, **details: str) -> None:
        details = {k: shown_as_typed(v) for k, v in details.items() if v and k in ("name", "tier", "language", "phone", "email", "dedicated_agent")}
        if not details:
            return
        if not overwrite:
            current = await self.r.hmget(self.k.customer_record(customer_id), list(details))
            details = {k: v for (k, v), now in zip(details.items(), current) if not now}
        if details:
            await self.r.hset(self.k.customer_record(customer_id), mapping=details)

    async def set_service(self, customer_id: str, *, dedicated_agent: str, tier: str | None = None) -> CustomerRecord | None:
        """The customer's service plan as a supervisor sets it: their own agent ("" for none) and, if given, their group."""
        live = await self.resolve(customer_id)
        if live is None:
            return None
        await self.r.hset(self.k.customer_record(live), mapping={"dedicated_agent": dedicated_agent, **({"tier": tier} if tier else {})})
        return await self.get(live)

    async def add_identity(self, customer_id: str, kind: IdentityKind, value: str) -> str:
        """Attach an identity (a contact the customer gave); if it already belongs to another record, the records are merged."""
        other = await self.find(kind, value)
        if other and other != customer_id:
            return await self.merge(into=customer_id, other=other)
        key = identity_key(kind, value)
        await self.r.hset(self.k.customer_identities, key, customer_id)
        await self.r.sadd(self.k.customer_record_identities(customer_id), key)
        return customer_id

    async def add_contact(self, customer_id: str, kind: Literal["phone", "email"], value: str) -> None:
        """A contact the customer typed (module docstring): on the record, findable, never merging or routing."""
        contact = identity_key(kind, value)
        await self.fill(customer_id, overwrite=True, **{kind: value})
        pipe = self.r.pipeline(transaction=True)
        pipe.sadd(self.k.customer_contact(contact), customer_id)
        pipe.sadd(self.k.customer_record_contacts(customer_id), contact)
        await pipe.execute()

    async def with_contact(self, kind: IdentityKind, value: str) -> list[str]:
        """Every record that left this contact (a privacy request names a person by their number)."""
        found = [await self.resolve(cid) for cid in sorted(await self.r.smembers(self.k.customer_contact(identity_key(kind, value))))]
        return list(dict.fromkeys(cid for cid in found if cid))

    async def attach(self, customer_id: str, cid: str, at: float) -> None:
        await self.r.zadd(self.k.customer_conversations(customer_id), {cid: at})

    async def get(self, customer_id: str) -> CustomerRecord | None:
        live = await self.resolve(customer_id)
        if live is None:
            return None
        raw = await self.r.hgetall(self.k.customer_record(live))
        identities = sorted(await self.r.smembers(self.k.customer_record_identities(live)))
        return CustomerRecord(id=live, identities=identities, **{k: v for k, v in raw.items() if k in CustomerRecord.model_fields and k != "id" and v != ""})

    async def conversations(self, customer_id: str) -> list[str]:
        """Every conversation of the customer, newest first."""
        live = await self.resolve(customer_id)
        return list(await self.r.zrevrange(self.k.customer_conversations(live), 0, -1)) if live else []

    async def merge(self, into: str, other: str) -> str:
        """Make ``other`` part of ``into``: its identities, conversations and missing details move over."""
        into, other = await self.resolve(into), await self.resolve(other)
        if into is None or other is None:
            raise KeyError("no such customer")
        if into == other:
            return into
        identities = await self.r.smembers(self.k.customer_record_identities(other))
        contacts = await self.r.smembers(self.k.customer_record_contacts(other))
        conversations = await self.r.zrange(self.k.customer_conversations(other), 0, -1, withscores=True)
        details = await self.r.hgetall(self.k.customer_record(other))
        pipe = self.r.pipeline(transaction=True)
        for key in identities:
            pipe.hset(self.k.customer_identities, key, into)
            pipe.sadd(self.k.customer_record_identities(into), key)
        for contact in contacts:
            pipe.srem(self.k.customer_contact(contact), other)
            pipe.sadd(self.k.customer_contact(contact), into)
            pipe.sadd(self.k.customer_record_contacts(into), contact)
        if conversations:
            pipe.zadd(self.k.customer_conversations(into), dict(conversations))
        pipe.delete(self.k.customer_record_identities(other), self.k.customer_record_contacts(other), self.k.customer_conversations(other))
        pipe.hset(self.k.customer_record(other), "merged_into", into)
        await pipe.execute()
        await self.fill(into, **{k: v for k, v in details.items() if k in ("name", "tier", "language", "phone", "email")})
        return into

    async def remove(self, customer_id: str) -> None:
        """Erase the record (a customer's erasure request): identities, details, the list of conversations."""
        live = await self.resolve(customer_id)
        if live is None:
            return
        identities = await self.r.smembers(self.k.customer_record_identities(live))
        contacts = await self.r.smembers(self.k.customer_record_contacts(live))
        pipe = self.r.pipeline(transaction=True)
        if identities:
            pipe.hdel(self.k.customer_identities, *identities)
        for contact in contacts:
            pipe.srem(self.k.customer_contact(contact), live)
        pipe.delete(self.k.customer_record(live), self.k.customer_record_identities(live), self.k.customer_record_contacts(live),
                    self.k.customer_conversations(live))
        await pipe.execute()
