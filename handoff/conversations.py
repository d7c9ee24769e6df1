"""Conversations: status, owner, append-only transcript, and the events every change leaves behind.

The hub is the only writer, and every write that depends on the conversation's
state is one Lua script (``handoff/scripts.py``), atomic across hub workers:

- A status change is a check-and-set (``transition``): two agents claiming one
  chat, or an agent resolving while the customer cancels, can never both win.
  Every change also starts a new ownership *episode* (the ``epoch`` counter).
- A reply is appended only if the conversation is still as its writer saw it
  (``append`` with a ``Guard``): the bot's answer to a question asked before
  the customer was queued is dropped (and recorded as an event), never shown
  after "Bob has joined".
- A customer message is stored and its turn queued in the same step
  (``append_customer``), so a crash can never leave a stored message that
  nobody will answer (see ``bot/turns.py``).

Every change is an event in one Redis stream; analytics derive from events.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Literal

import redis.asyncio as aioredis

from core import clock
from core.errors import AtCapacity, CustomerWrote, NotOwner, ServiceError, Stale, UnknownAgent, UnknownConversation, WrongStatus
from core.redis import LAST_STREAM_ID, Keys
from core.text import shown_as_typed
from core.vault import PersonalData
from handoff import scripts
from handoff.events import Event, Frame
from handoff.models import Conversation, HandoffPacket, Message, Sender, Status

Refusal = Literal["unknown", "wrong_status", "not_owner", "stale", "at_capacity", "unknown_agent", "customer_writing", "unseen"]


@dataclass(frozen=True)
class Notice:
    """The system line that announces a status change, appended in the same step: no customer message can
    come between the change and what the customer is told about it."""

    text: str
    meta: dict
    channel: str = "web"


@dataclass(frozen=True)
class Move:
    """One status change and everything that moves with it."""

    allowed_from: frozenset[Status]
    to: Status
    event: dict
    owner: str = ""  # only if this agent owns the conversation
    epoch: int | None = None  # only if nobody else changed the conversation since this episode began
    queue: Literal["add", "remove"] | None = None
    queue_score: float = 0.0
    capacity: int = 0  # of the agent taking it (0: no limit)
    release_from: str = ""  # agent whose chat list loses it
    assign_to: str = ""  # agent whose chat list gains it
    fields: dict[str, str] = field(default_factory=dict)
    settled: bool = False  # only if no customer message still waits for its turn (it was written to the current owner)
    seen: str = ""  # only if the customer wrote nothing after this message id (what the agent was shown; '' = no check)
    notice: Notice | None = None


@dataclass(frozen=True)
class Guard:
    """What must still be true for a message to be appended."""

    statuses: frozenset[Status] = frozenset()  # empty: any
    agent: str = ""  # only while this agent owns it
    epoch: int | None = None  # only in this ownership episode


@dataclass
class TransitionResult:
    ok: bool
    previous: str = ""  # the status before the move (on success) or now (on refusal)
    refusal: Refusal | None = None
    epoch: int = 0  # the new episode, on success
    notice_id: str = ""  # the id of the move's notice, if it had one (on success)

    def raise_for(self, action: str) -> None:
        """Turn a refusal into the named error a caller can act on."""
        if self.ok:
            return
        error: ServiceError = {
            "unknown": UnknownConversation(),
            "unknown_agent": UnknownAgent(),
            "not_owner": NotOwner(f"cannot {action}: another agent owns this conversation"),
            "at_capacity": AtCapacity(f"cannot {action}: at maximum concurrent chats"),
            "stale": Stale(f"cannot {action}: the conversation changed meanwhile"),
            "customer_writing": CustomerWrote(f"cannot {action}: the customer has just written; their message is on its way to you"),
            "unseen": CustomerWrote(f"cannot {action}: the customer has written since; read their message first"),
        }.get(self.refusal or "", WrongStatus(f"cannot {action}: conversation is {self.previous}"))
        raise error


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _event_json(cid: str, type_: Event, data: dict) -> str:
    return json.dumps({"type": type_, "conversation_id": cid, "ts": clock.now(), **data}, ensure_ascii=False)


def _message_json(sender: Sender, text: str, ts: float, channel: str, client_message_id: str | None, author: str | None, meta: dict) -> str:
    body = {"sender": sender, "text": text, "ts": ts, "channel": channel, "client_message_id": client_message_id, "author": author, "meta": meta}
    return json.dumps(body, ensure_ascii=False)


def conversation_from_hash(raw: dict[str, str]) -> Conversation | None:
    """The conversation stored as ``raw`` (its hash's fields), None for an empty hash (no such conversation)."""
    if not raw:
        return None
    return Conversation(**{k: v for k, v in raw.items() if k in Conversation.model_fields and v != ""})


class ConversationStore:
    def __init__(self, client: aioredis.Redis, keys: Keys, personal_data: PersonalData | None = None) -> None:
        self.r = client
        self.k = keys
        self.personal_data = personal_data  # masks what customers write before it is stored (privacy/)
        self._transition = self.r.register_script(scripts.TRANSITION)
        self._append = self.r.register_script(scripts.APPEND)
        self._append_customer = self.r.register_script(scripts.APPEND_CUSTOMER)
        self._rate = self.r.register_script(scripts.RATE)
        self._set_language = self.r.register_script(scripts.SET_LANGUAGE)
        self._record_event = self.r.register_script(scripts.RECORD_EVENT)
        self._save_packet = self.r.register_script(scripts.SAVE_PACKET)
        self._set_fields = self.r.register_script(scripts.SET_FIELDS)

    # lifecycle
    async def create(self, channel: str, language: str, customer_name: str = "", customer_tier: str = "standard", customer_ref: str = "",
                     *, verified: bool = False, customer_id: str = "") -> tuple[Conversation, str]:
        """A new conversation and its customer token. ``verified``: the shop signed the customer's identity;
        ``customer_id``: the customer record it belongs to (customers/store.py)."""
        cid = uuid.uuid4().hex
        token = secrets.token_urlsafe(32)
        now = clock.now()
        customer_name = shown_as_typed(customer_name)
        conv = Conversation(id=cid, status="bot", channel=channel, language=language, customer_name=customer_name, customer_tier=customer_tier,
                            customer_verified=verified, customer_id=customer_id or None, created_at=now, updated_at=now)
        fields = {k: ("" if v is None else str(v)) for k, v in conv.model_dump().items()}
        fields.update(token_hash=_hash_token(token), customer_ref=customer_ref)
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.k.conv(cid), mapping=fields)
        pipe.zadd(self.k.conversations, {cid: now})
        if customer_id:
            pipe.zadd(self.k.customer_conversations(customer_id), {cid: now})
        pipe.xadd(self.k.events, {"e": json.dumps({"type": Event.CONVERSATION_STARTED, "conversation_id": cid, "ts": now, "channel": channel, "language": language, "customer_tier": customer_tier})})
        await pipe.execute()
        return conv, token

    async def get(self, cid: str) -> Conversation | None:
        return conversation_from_hash(await self.r.hgetall(self.k.conv(cid)))

    async def customer_names(self, cids: list[str]) -> list[str]:
        """Each conversation's customer name ("" when none or gone), in one round trip."""
        pipe = self.r.pipeline(transaction=False)
        for cid in cids:
            pipe.hget(self.k.conv(cid), "customer_name")
        return [name or "" for name in await pipe.execute()]

    async def require(self, cid: str) -> Conversation:
        conv = await self.get(cid)
        if conv is None:
            raise UnknownConversation()
        return conv

    async def get_with_token(self, cid: str, token: str) -> tuple[Conversation | None, bool]:
        """The conversation and whether ``token`` is its customer token, in one read (every customer request asks both)."""
        raw = await self.r.hgetall(self.k.conv(cid))
        stored = raw.get("token_hash")
        return conversation_from_hash(raw), bool(stored and token) and secrets.compare_digest(stored, _hash_token(token))

    async def set_fields(self, cid: str, **fields: str) -> bool:
        """Set fields of the conversation, unless it is gone (erased meanwhile): returns whether they were set."""
        pairs = [str(part) for item in fields.items() for part in item]
        return bool(await self._set_fields(keys=[self.k.conv(cid)], args=pairs))

    async def set_language(self, cid: str, language: str) -> bool:
        """The language the customer chose for their chat: the notices they are sent from now on speak it (False: no such conversation)."""
        return bool(await self._set_language(keys=[self.k.conv(cid)], args=[language]))

    async def rate(self, cid: str, score: int, comment: str, agent: str | None) -> tuple[TransitionResult, bool]:
        """Store a resolved conversation's rating (``comment`` already masked) and its event.
        Returns the result and whether it was the first rating of this resolution."""
        event = _event_json(cid, Event.RATED, {"score": score, "comment": comment, "agent": agent})
        ok, *rest = await self._rate(keys=[self.k.conv(cid), self.k.events], args=[str(score), comment, event])
        if not ok:
            refusal, current = rest
            return TransitionResult(False, current, refusal), False
        return TransitionResult(True, "resolved"), rest[0] in ("", b"")

    async def transition(self, cid: str, move: Move) -> TransitionResult:
        """Change status only if the conversation is in one of ``move.allowed_from`` (and the other conditions hold)."""
        now = clock.now()
        event = {**move.event, "conversation_id": cid, "ts": now, "to": move.to}
        pairs: list[str] = ["updated_at", str(now)]
        for key, value in move.fields.items():
            pairs += [key, value]
        keys = [self.k.conv(cid), self.k.events, self.k.queue, self.k.agent_chats(move.release_from or "-"), self.k.agent_chats(move.assign_to or "-"),
                self.k.pending_turns(cid), self.k.transcript(cid), self.k.outbox(cid), self.k.deliveries(cid), self.k.outbox_due]
        notice = move.notice and _message_json("system", move.notice.text, now, move.notice.channel, None, None, move.notice.meta)
        args = [
            cid, ",".join(sorted(move.allowed_from)), move.to, move.owner, "" if move.epoch is None else str(move.epoch),
            move.queue or "", move.queue_score, move.capacity, "1" if move.release_from else "", "1" if move.assign_to else "",
            json.dumps(event), "1" if move.settled else "", move.seen, notice or "", self.k.conv_channel(cid), time.time(),  # real time: the outbox works on it
            *pairs,
        ]
        ok, *rest = await self._transition(keys=keys, args=args)
        if not ok:
            refusal, current = rest
            return TransitionResult(False, current, refusal)
        previous, epoch, notice_id = rest
        await self.publish(cid, {"type": Frame.STATUS, "status": move.to})
        if move.queue == "remove":  # everyone behind moved up a place: tell them
            for waiting in await self.r.zrange(self.k.queue, 0, -1):
                await self.publish(waiting, {"type": Frame.STATUS, "status": "queued"})
        await self.publish_agents({"type": Frame.CONVERSATION_CHANGED, "conversation_id": cid, "status": move.to, "event": event["type"], "at": now})
        return TransitionResult(True, previous, None, int(epoch), notice_id or "")

    async def record_event(self, cid: str, type_: Event, **data) -> bool:
        """Record an event about the conversation, unless it is gone (erased while this worker was busy with it):
        returns whether it was recorded."""
        return bool(await self._record_event(keys=[self.k.conv(cid), self.k.events], args=[_event_json(cid, type_, data)]))

    # transcript
    async def append(self, cid: str, sender: Sender, text: str, *, channel: str = "web", author: str | None = None, meta: dict | None = None, guard: Guard | None = None,
                     event: tuple[Event, dict] | None = None) -> Message | None:
        """Append a bot, agent or system message; with a ``guard``, only if it still holds (else ``None``, and an event says why).

        ``event``: ``(type, data)`` recorded after the message in the same step, only if it is appended.
        """
        message, _ = await self.append_once(cid, sender, text, None, channel=channel, author=author, meta=meta, guard=guard, event=event)
        return message

    async def append_once(self, cid: str, sender: Sender, text: str, client_message_id: str | None, *, channel: str = "web", author: str | None = None,
                          meta: dict | None = None, guard: Guard | None = None, event: tuple[Event, dict] | None = None,
                          reads_transcript: bool = False) -> tuple[Message | None, bool]:
        """``append``, safe to send again: a ``client_message_id`` this sender used before in the conversation stores
        nothing and returns ``(the message stored then, True)`` (an agent's reply resent after a lost answer).
        ``reads_transcript``: the customer's own line written where they read the transcript (a picture attached in
        the web chat): replies stop going to a messaging channel they wrote from before, as ``append_customer``'s."""
        guard = guard or Guard()
        ts = clock.now()
        meta = meta or {}
        text, author = shown_as_typed(text), shown_as_typed(author) if author else author
        body = _message_json(sender, text, ts, channel, client_message_id, author, meta)
        refused = json.dumps({"type": Event.MESSAGE_DROPPED, "conversation_id": cid, "ts": ts, "sender": sender, "text": text[:500], "kind": meta.get("kind"),
                              "required": {"statuses": sorted(guard.statuses), "agent": guard.agent, "epoch": guard.epoch}}, ensure_ascii=False)
        # Internal lines (an agent's note) never go to the customer's messaging channel, nor the customer's own lines.
        for_customer = sender != "customer" and not (meta.get("internal") or meta.get("kind") == "note")
        # The customer's own ids share the hash unprefixed (append_customer): the sender in front keeps them apart.
        client_key = f"{sender}:{client_message_id}" if client_message_id else ""
        written = await self._append(
            keys=[self.k.conv(cid), self.k.transcript(cid), self.k.events, self.k.outbox(cid), self.k.deliveries(cid), self.k.outbox_due, self.k.client_ids(cid)],
            args=[cid, self.k.conv_channel(cid), body, ",".join(sorted(guard.statuses)), guard.agent, "" if guard.epoch is None else str(guard.epoch), refused, time.time(),  # real time: the outbox works on it
                  "1" if for_customer else "", _event_json(cid, *event) if event else "", client_key,
                  "1" if reads_transcript and sender == "customer" else ""],
        )
        if not written:
            return None, False
        appended, mid = written
        if not appended:
            return await self.message(cid, mid), True
        return Message(id=mid, conversation_id=cid, sender=sender, text=text, ts=ts, channel=channel, client_message_id=client_message_id, author=author, meta=meta), False

    async def append_customer(self, cid: str, text: str, *, channel: str = "web", client_message_id: str | None = None, meta: dict | None = None,
                              reads_transcript: bool = False, language: str = "") -> tuple[Message, bool]:
        """Store a customer message (personal data masked, the original sealed apart) and queue its turn.

        Returns ``(message, duplicate)``: a client message id seen before returns
        the message stored then, and stores nothing. ``reads_transcript``: written
        where the customer reads the transcript (the web chat), so replies stop
        going to a messaging channel they wrote from before. ``language``: the conversation's
        language from this message on (its notices, the default of the next message), set in the same step.
        ``UnknownConversation`` if it is gone (erased).
        """
        ts = clock.now()
        meta = dict(meta or {})
        sealed = ""
        text = shown_as_typed(text)
        if self.personal_data is not None:
            protected = self.personal_data.protect(text)
            text, sealed = protected.text, protected.sealed or ""
            if protected.kinds:
                meta["pii"] = protected.kinds
        body = _message_json("customer", text, ts, channel, client_message_id, None, meta)
        stored, mid = await self._append_customer(
            keys=[self.k.conv(cid), self.k.transcript(cid), self.k.client_ids(cid), self.k.pending_turns(cid), self.k.open_turns, self.k.pii(cid)],
            args=[cid, self.k.conv_channel(cid), body, client_message_id or "", time.time(), sealed,  # real time: turn recovery works on it
                  "1" if reads_transcript else "", language],
        )
        if stored == -1:  # erased after the caller found it: nothing was stored
            raise UnknownConversation()
        if not stored:
            return await self.message(cid, mid) or Message(id=mid, conversation_id=cid, sender="customer", text=text, ts=ts, channel=channel, client_message_id=client_message_id, meta=meta), True
        return Message(id=mid, conversation_id=cid, sender="customer", text=text, ts=ts, channel=channel, client_message_id=client_message_id, meta=meta), False

    def masked(self, text: str) -> str:
        """Customer text that is stored without a sealed original (a rating comment): masked only."""
        text = shown_as_typed(text)
        return self.personal_data.masked(text) if self.personal_data else text

    async def original(self, cid: str, mid: str) -> str | None:
        """What the customer really wrote in a message whose personal data was masked (for a permitted, audited reveal)."""
        sealed = await self.r.hget(self.k.pii(cid), mid)
        if not sealed or self.personal_data is None:
            return None
        return self.personal_data.vault.open(sealed)

    async def messages(self, cid: str, after: str | None = None, limit: int | None = None) -> list[Message]:
        if after == LAST_STREAM_ID:  # nothing can follow it, and Redis refuses it as an exclusive start
            return []
        start = f"({after}" if after else "-"
        rows = await self.r.xrange(self.k.transcript(cid), start, "+", count=limit)
        return [self._message(cid, mid, fields) for mid, fields in rows]

    async def recent(self, cid: str, count: int) -> list[Message]:
        """The last ``count`` messages, newest first."""
        rows = await self.r.xrevrange(self.k.transcript(cid), "+", "-", count=count)
        return [self._message(cid, mid, fields) for mid, fields in rows]

    async def message(self, cid: str, mid: str) -> Message | None:
        rows = await self.r.xrange(self.k.transcript(cid), mid, mid)
        return self._message(cid, *rows[0]) if rows else None

    async def by_client_id(self, cid: str, sender: Sender, client_message_id: str) -> Message | None:
        """The line ``sender`` stored under ``client_message_id`` (``append_once``), if any."""
        mid = await self.r.hget(self.k.client_ids(cid), f"{sender}:{client_message_id}")
        return await self.message(cid, mid) if mid else None

    async def messages_by_id(self, cid: str, ids: list[str]) -> list[Message]:
        if not ids:
            return []
        async with self.r.pipeline(transaction=False) as pipe:  # a turn's replies: one round trip, not one each
            for mid in ids:
                pipe.xrange(self.k.transcript(cid), mid, mid)
            found = await pipe.execute()
        return [self._message(cid, *rows[0]) for rows in found if rows]

    @staticmethod
    def _message(cid: str, mid: str, fields: dict) -> Message:
        return Message(id=mid, conversation_id=cid, **json.loads(fields["m"]))

    # handoff packet
    async def save_packet(self, cid: str, packet: HandoffPacket) -> bool:
        """Save the hand-over packet, unless the conversation is gone (erased while the bot was thinking): returns
        whether it was saved."""
        return bool(await self._save_packet(keys=[self.k.conv(cid), self.k.packet(cid)], args=[packet.model_dump_json()]))

    async def packet(self, cid: str) -> HandoffPacket | None:
        raw = await self.r.get(self.k.packet(cid))
        return HandoffPacket.model_validate_json(raw) if raw else None

    # fan-out
    async def publish(self, cid: str, payload: dict) -> None:
        await self.r.publish(self.k.conv_channel(cid), json.dumps(payload, ensure_ascii=False))

    async def publish_agents(self, payload: dict) -> None:
        await self.r.publish(self.k.agents_channel, json.dumps(payload, ensure_ascii=False))
