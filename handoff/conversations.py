"""Conversations: status, owner, append-only transcript, and the events every change leaves behind.

The hub is the only writer. Status changes go through one Lua script so a
check-and-set is atomic across hub workers: two agents claiming one chat, or
an agent resolving while the customer cancels, can never both succeed.
Every change is an event in one Redis stream; analytics derive from events.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis

from core.redis import Keys
from handoff.models import Conversation, HandoffPacket, Message, Sender, Status

_TRANSITION = """
local cid = ARGV[1]
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, 'unknown'} end
if not string.find(',' .. ARGV[2] .. ',', ',' .. status .. ',', 1, true) then return {0, status} end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[1], 'agent') ~= ARGV[4] then return {0, 'not_owner'} end
if tonumber(ARGV[7]) > 0 and redis.call('SCARD', KEYS[5]) >= tonumber(ARGV[7]) then return {0, 'at_capacity'} end
if ARGV[5] == 'add' then redis.call('ZADD', KEYS[3], ARGV[6], cid) end
if ARGV[5] == 'rem' then redis.call('ZREM', KEYS[3], cid) end
if ARGV[8] == 'rem' then redis.call('SREM', KEYS[4], cid) end
if ARGV[9] == 'add' then redis.call('SADD', KEYS[5], cid) end
redis.call('HSET', KEYS[1], 'status', ARGV[3])
for i = 11, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[10])
return {1, status}
"""


@dataclass
class TransitionResult:
    ok: bool
    detail: str  # the previous status on success, else why it was refused


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConversationStore:
    def __init__(self, client: aioredis.Redis, keys: Keys | None = None) -> None:
        self.r = client
        self.k = keys or Keys()
        self._transition = self.r.register_script(_TRANSITION)

    # lifecycle
    async def create(self, channel: str, language: str, customer_name: str = "", customer_tier: str = "standard", customer_ref: str = "") -> tuple[Conversation, str]:
        cid = uuid.uuid4().hex
        token = secrets.token_urlsafe(32)
        now = time.time()
        conv = Conversation(id=cid, status="bot", channel=channel, language=language, customer_name=customer_name, customer_tier=customer_tier, created_at=now, updated_at=now)
        fields = {k: ("" if v is None else str(v)) for k, v in conv.model_dump().items()}
        fields.update(token_hash=_hash_token(token), customer_ref=customer_ref)
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.k.conv(cid), mapping=fields)
        pipe.zadd(self.k.conversations, {cid: now})
        pipe.xadd(self.k.events, {"e": json.dumps({"type": "conversation_started", "conversation_id": cid, "ts": now, "channel": channel, "language": language})})
        await pipe.execute()
        return conv, token

    async def get(self, cid: str) -> Conversation | None:
        raw = await self.r.hgetall(self.k.conv(cid))
        if not raw:
            return None
        data = {k: v for k, v in raw.items() if k in Conversation.model_fields and v != ""}
        return Conversation(**data)

    async def token_matches(self, cid: str, token: str) -> bool:
        stored = await self.r.hget(self.k.conv(cid), "token_hash")
        return bool(stored) and secrets.compare_digest(stored, _hash_token(token))

    async def set_fields(self, cid: str, **fields: str) -> None:
        await self.r.hset(self.k.conv(cid), mapping=fields)

    async def transition(
        self,
        cid: str,
        allowed_from: set[Status],
        to: Status,
        event: dict,
        *,
        owner: str = "",
        queue_op: str = "",
        queue_score: float = 0,
        capacity: int = 0,
        release_from: str = "",
        assign_to: str = "",
        fields: dict[str, str] | None = None,
    ) -> TransitionResult:
        """Change status only if it is one of ``allowed_from`` (and ``owner`` owns it, if given)."""
        now = time.time()
        event = {**event, "conversation_id": cid, "ts": now, "to": to}
        pairs: list[str] = ["updated_at", str(now)]
        for key, value in (fields or {}).items():
            pairs += [key, value]
        keys = [self.k.conv(cid), self.k.events, self.k.queue, self.k.agent_chats(release_from or "-"), self.k.agent_chats(assign_to or "-")]
        args = [cid, ",".join(sorted(allowed_from)), to, owner, queue_op, queue_score, capacity,
                "rem" if release_from else "", "add" if assign_to else "", json.dumps(event), *pairs]
        ok, detail = await self._transition(keys=keys, args=args)
        if ok:
            await self.publish(cid, {"type": "status", "status": to})
            if queue_op == "rem":  # everyone behind moved up a place: tell them
                for waiting in await self.r.zrange(self.k.queue, 0, -1):
                    await self.publish(waiting, {"type": "status", "status": "queued"})
            await self.publish_agents({"type": "conversation_changed", "conversation_id": cid, "status": to, "event": event["type"]})
        return TransitionResult(bool(ok), detail)

    async def record_event(self, cid: str, type_: str, **data) -> None:
        await self.r.xadd(self.k.events, {"e": json.dumps({"type": type_, "conversation_id": cid, "ts": time.time(), **data})})

    # transcript
    async def append(self, cid: str, sender: Sender, text: str, *, channel: str = "web", client_message_id: str | None = None, author: str | None = None, meta: dict | None = None) -> Message:
        ts = time.time()
        body = {"sender": sender, "text": text, "ts": ts, "channel": channel, "client_message_id": client_message_id, "author": author, "meta": meta or {}}
        mid = await self.r.xadd(self.k.transcript(cid), {"m": json.dumps(body, ensure_ascii=False)})
        message = Message(id=mid, conversation_id=cid, **body)
        if client_message_id:
            await self.r.hset(self.k.client_ids(cid), client_message_id, mid)
        await self.publish(cid, {"type": "message", "message": message.model_dump()})
        return message

    async def message_for_client_id(self, cid: str, client_message_id: str) -> Message | None:
        mid = await self.r.hget(self.k.client_ids(cid), client_message_id)
        if not mid:
            return None
        found = await self.r.xrange(self.k.transcript(cid), mid, mid)
        return self._message(cid, *found[0]) if found else None

    async def messages(self, cid: str, after: str | None = None, limit: int | None = None) -> list[Message]:
        start = f"({after}" if after else "-"
        rows = await self.r.xrange(self.k.transcript(cid), start, "+", count=limit)
        return [self._message(cid, mid, fields) for mid, fields in rows]

    async def message(self, cid: str, mid: str) -> Message | None:
        rows = await self.r.xrange(self.k.transcript(cid), mid, mid)
        return self._message(cid, *rows[0]) if rows else None

    @staticmethod
    def _message(cid: str, mid: str, fields: dict) -> Message:
        return Message(id=mid, conversation_id=cid, **json.loads(fields["m"]))

    # handoff packet
    async def save_packet(self, cid: str, packet: HandoffPacket) -> None:
        await self.r.set(self.k.packet(cid), packet.model_dump_json())

    async def packet(self, cid: str) -> HandoffPacket | None:
        raw = await self.r.get(self.k.packet(cid))
        return HandoffPacket.model_validate_json(raw) if raw else None

    # fan-out
    async def publish(self, cid: str, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False)
        await self.r.publish(self.k.conv_channel(cid), data)

    async def publish_agents(self, payload: dict) -> None:
        await self.r.publish(self.k.agents_channel, json.dumps(payload, ensure_ascii=False))
