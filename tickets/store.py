"""Tickets in Redis: numbered, indexed, changed only in transactions that also write the event.

Every change is a read-modify-write under ``WATCH`` (retried if someone changed
the ticket meanwhile) that writes the new ticket and its event in one
``MULTI``: the event stream never disagrees with the tickets, whichever hub
worker or scheduler job made the change.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from core import clock
from core.errors import NotFound, UnknownConversation
from core.redis import Keys
from core.text import shown_as_typed
from handoff.events import Event
from tickets.models import ACTIVE, Ticket

Change = Callable[[Ticket], dict | None]  # mutates the ticket; returns the event's fields, or None for "no change"

# Store a new ticket, its places in the indexes and its event, only while its conversation exists. A hand-over that
# opens the ticket a moment after the conversation was erased (privacy/erase.py) must not leave a ticket behind: the
# customer's words in its summary, an event the analytics would count, a number that names the erased conversation.
#
# With ``replaces`` (the ticket the conversation had when the caller read it, '' for none), the ticket becomes the
# conversation's in the same step, only if the conversation still has that one: two workers finishing the same
# hand-over at once (``TicketDesk.queued``) open one ticket, and the second is handed the first one's.
#
# KEYS[1] the conversation's hash   KEYS[2] ticket hash   KEYS[3] ticket numbers hash
# KEYS[4] active tickets            KEYS[5] all tickets   KEYS[6] events stream
# ARGV[1] ticket id   ARGV[2] ticket number   ARGV[3] created at   ARGV[4] event JSON
# ARGV[5] '1': the conversation's ticket from now on   ARGV[6] the ticket it replaces   ARGV[7] the ticket's ref
# ARGV[8...] the ticket's field, value pairs
# Returns 1 when stored, 0 when the conversation is gone, or the id of the ticket another worker gave it meanwhile.
SAVE_NEW = """
local conv, ticket, numbers, active, all, events = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id, number, created_at, event = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local attach, replaces, ref = ARGV[5], ARGV[6], ARGV[7]

if redis.call('EXISTS', conv) == 0 then return 0 end
if attach == '1' then
  local current = redis.call('HGET', conv, 'ticket_id') or ''
  if current ~= replaces then return current end
  redis.call('HSET', conv, 'ticket_id', id, 'ticket_ref', ref)
end
for i = 8, #ARGV, 2 do redis.call('HSET', ticket, ARGV[i], ARGV[i + 1]) end
redis.call('HSET', numbers, number, id)
redis.call('ZADD', active, created_at, id)
redis.call('ZADD', all, created_at, id)
redis.call('XADD', events, '*', 'e', event)
return 1
"""


class UnknownTicket(NotFound):
    def __init__(self) -> None:
        super().__init__("unknown ticket")


def _fields(ticket: Ticket) -> dict[str, str]:
    out = {}
    for key, value in ticket.model_dump(exclude={"ref"}).items():
        if key in ("tags", "sla"):
            out[key] = json.dumps(value)
        else:
            out[key] = "" if value is None else str(value)
    return out


def ticket_from_hash(raw: dict[str, str]) -> Ticket:
    """A ticket as its Redis hash holds it (also read by the privacy export, privacy/subject.py)."""
    data = {k: v for k, v in raw.items() if k in Ticket.model_fields and v != ""}
    for key in ("tags", "sla"):
        if key in data:
            data[key] = json.loads(data[key])
    for key in ("escalated",):
        if key in data:
            data[key] = data[key] == "True"
    return Ticket(**data)


class TicketStore:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.r = client
        self.k = keys
        self._save_new = self.r.register_script(SAVE_NEW)

    async def create(self, **fields: object) -> Ticket:
        now = clock.now()
        number = await self.r.incr(self.k.ticket_sequence)
        ticket = Ticket(id=uuid.uuid4().hex, number=number, created_at=now, updated_at=now, **fields)
        return ticket

    async def save_new(self, ticket: Ticket, event: dict, *, replaces: str | None = None) -> Ticket:
        """Store a new ticket, unless its conversation is gone (erased meanwhile): ``UnknownConversation`` then.

        ``replaces``: the conversation's ticket as the caller read it ('' for none): the new one becomes the
        conversation's, unless another was given it meanwhile: that one is returned, and nothing stored."""
        keys = [self.k.conv(ticket.conversation_id), self.k.ticket(ticket.id), self.k.ticket_numbers, self.k.tickets_active, self.k.tickets_all, self.k.events]
        body = json.dumps({"type": Event.TICKET_CREATED, **_event_base(ticket), **event})
        pairs = [part for item in _fields(ticket).items() for part in item]
        stored = await self._save_new(keys=keys, args=[ticket.id, str(ticket.number), repr(ticket.created_at), body,
                                                       "" if replaces is None else "1", replaces or "", ticket.ref, *pairs])
        if stored == 0:
            raise UnknownConversation()
        if stored != 1:
            return await self.get(stored) or ticket  # (a ticket erased this instant: the conversation goes with it)
        return ticket

    async def get(self, ticket_id: str) -> Ticket | None:
        raw = await self.r.hgetall(self.k.ticket(ticket_id))
        return ticket_from_hash(raw) if raw else None

    async def require(self, ticket_id: str) -> Ticket:
        ticket = await self.get(ticket_id)
        if ticket is None:
            raise UnknownTicket()
        return ticket

    async def by_ref(self, ref: str) -> Ticket | None:
        number = ref.upper().removeprefix("T-").lstrip("0") or "0"
        ticket_id = await self.r.hget(self.k.ticket_numbers, number)
        return await self.get(ticket_id) if ticket_id else None

    async def change(self, ticket_id: str, change: Change, event_type: Event) -> Ticket:
        """Apply ``change`` atomically; the event it returns is written with the new ticket. Returns the ticket as it is now."""
        key = self.k.ticket(ticket_id)
        for _ in range(50):
            async with self.r.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.hgetall(key)
                    if not raw:
                        raise UnknownTicket()
                    ticket = ticket_from_hash(raw)
                    event = change(ticket)
                    if event is None:
                        await pipe.unwatch()
                        return ticket
                    ticket.updated_at = clock.now()
                    pipe.multi()
                    pipe.hset(key, mapping=_fields(ticket))
                    if ticket.status in ACTIVE:
                        pipe.zadd(self.k.tickets_active, {ticket.id: ticket.created_at})
                    else:
                        pipe.zrem(self.k.tickets_active, ticket.id)
                    pipe.xadd(self.k.events, {"e": json.dumps({"type": event_type, **_event_base(ticket), **event}, ensure_ascii=False)})
                    await pipe.execute()
                    return ticket
                except WatchError:
                    continue
        raise RuntimeError(f"ticket {ticket_id}: too much contention")

    async def active(self) -> list[Ticket]:
        return await self._many(await self.r.zrange(self.k.tickets_active, 0, -1))

    async def recent(self, limit: int = 200) -> list[Ticket]:
        return await self._many(await self.r.zrevrange(self.k.tickets_all, 0, limit - 1))

    async def newest(self, scan: int, batch: int = 500) -> AsyncIterator[Ticket]:
        """Every ticket, newest first, up to ``scan`` of them, read ``batch`` at a time (a caller that found
        what it wanted stops reading)."""
        for start in range(0, scan, batch):
            ids = await self.r.zrevrange(self.k.tickets_all, start, min(start + batch, scan) - 1)
            for ticket in await self._many(ids):
                yield ticket
            if len(ids) < batch:
                return

    async def _many(self, ids: list[str]) -> list[Ticket]:
        """The tickets of ``ids`` that exist, in order: one pipeline (one round trip each made the
        supervisors' ticket list take ~60 ms at 300 active tickets)."""
        pipe = self.r.pipeline(transaction=False)
        for ticket_id in ids:
            pipe.hgetall(self.k.ticket(ticket_id))
        return [ticket_from_hash(raw) for raw in await pipe.execute() if raw]

    # internal notes: a stream per ticket, never part of the customer's transcript
    async def add_note(self, ticket_id: str, author: str, text: str, **extra: str) -> dict:
        """``extra``: what kind of note it is beyond a plain one (a hand-over note: ``kind="handover", to=<username>``)."""
        note = {"author": author, "text": shown_as_typed(text), "ts": time.time(), **extra}
        note_id = await self.r.xadd(self.k.ticket_notes(ticket_id), {"n": json.dumps(note, ensure_ascii=False)})
        return {"id": note_id, **note}

    async def notes(self, ticket_id: str) -> list[dict]:
        return [{"id": nid, **json.loads(fields["n"])} for nid, fields in await self.r.xrange(self.k.ticket_notes(ticket_id))]


def _event_base(ticket: Ticket) -> dict:
    return {"ts": clock.now(), "ticket_id": ticket.id, "ticket": ticket.ref, "conversation_id": ticket.conversation_id,
            "status": ticket.status, "assignee": ticket.assignee, "category": ticket.category, "priority": ticket.priority,
            "channel": ticket.channel, "language": ticket.language, "customer_tier": ticket.customer_tier, "policy": ticket.sla.policy}
