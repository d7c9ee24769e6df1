"""Customer turns: every stored customer message is processed once, in the order it was stored, even across hub workers and crashes.

Storing a message queues its turn in the same atomic step
(``ConversationStore.append_customer``). Whoever holds the conversation's turn
lock processes its queue oldest first, so a customer's three quick messages
are answered one after another, each seeing the state the previous one left
(after "I want a person" the next question goes to the agents, not the bot).

The lock is renewed while its holder lives and expires soon after it dies;
every hub worker runs a recovery loop that picks up turns left behind, so a
message stored just before a crash is still answered (or queued for a human).
A turn's outcome, the ids of the messages it produced, is kept: a client that
retries with the same ``client_message_id`` gets the original replies. A turn
taken again after its worker died is told so (``taken`` > 1): if it had already
spoken (the bot's replies carry the turn's id), it is not answered twice.

A turn still running when its conversation is erased (the bot was thinking) leaves nothing behind: the hub's
writes about a conversation check, in the same step, that it still exists, and the step that ends the turn deletes
what Rasa wrote meanwhile (its tracker and lock), which the hub cannot stop Rasa from writing.

Taking the lock, the oldest pending turn, its message and the conversation's fields is one
script call, and completing a turn returns the next one the same way, or lets the lock go when
none is left: a customer message costs the turn queue two round trips, whatever worker runs it,
and the turn and its reply need no read of the conversation of their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.loops import every
from core.redis import Keys
from handoff import scripts
from handoff.events import Event
from handoff.models import Message

log = logging.getLogger(__name__)

# A turn: the customer's message, the conversation's fields as the turn was taken (one read with it), and how
# many times the turn has been taken (1: the first; more: a worker began it and died or failed before completing it).
TurnHandler = Callable[[Message, dict[str, str], int], Awaitable[list[Message]]]


@dataclass(frozen=True)
class TurnOutcome:
    """What a customer message's turn produced: the ids, and, when this worker ran it, the messages themselves and
    the conversation's fields as the turn left them (read in the step that completed it)."""

    ids: list[str]
    messages: list[Message] | None = None
    conversation: dict[str, str] | None = None


def _fields(flat: list[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2]))


# Release a lock only if we still hold it; extend it only if we still hold it.
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
_EXTEND = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"


class TurnQueue:
    def __init__(self, client: aioredis.Redis, keys: Keys, handler: TurnHandler, *, lock_seconds: float = 10.0) -> None:
        self.r = client
        self.k = keys
        self.handler = handler
        self.lock_ms = int(lock_seconds * 1000)
        self._take = self.r.register_script(scripts.TAKE_TURNS)
        self._complete = self.r.register_script(scripts.COMPLETE_TURN)
        self._release = self.r.register_script(_RELEASE)
        self._extend = self.r.register_script(_EXTEND)
        self._record_event = self.r.register_script(scripts.RECORD_EVENT)
        self._forget_if_gone = self.r.register_script(scripts.FORGET_IF_GONE)

    async def outcome(self, cid: str, mid: str) -> list[str] | None:
        """The ids of the messages the turn produced, or ``None`` while it is still pending."""
        # One transaction: read apart, a turn completing between the two reads would look
        # like a message that never had a turn, and a retry would get no replies.
        async with self.r.pipeline(transaction=True) as pipe:
            raw, position = await pipe.hget(self.k.turn_outcomes(cid), mid).lpos(self.k.pending_turns(cid), mid).execute()
        if raw is not None:
            return json.loads(raw)
        if position is None:
            return []  # stored before turns were tracked: nothing to wait for
        return None

    async def settle(self, cid: str, mid: str, wait_seconds: float) -> TurnOutcome | None:
        """Process pending turns of ``cid`` (if no one else is) until ``mid``'s is done; its outcome.

        Returns ``None`` if it is still pending after ``wait_seconds`` (another
        worker is slow with an earlier turn); its replies will still arrive live.
        """
        deadline = time.monotonic() + wait_seconds
        pause = 0.02
        while True:
            # Drain first: a message just stored is pending, so asking for its outcome first
            # would cost two Redis round trips per message for nothing.
            outcomes: dict[str, TurnOutcome] = {}
            drained = await self.drain(cid, outcomes)
            if mid in outcomes:
                return outcomes[mid]
            done = await self.outcome(cid, mid)
            if done is not None:
                return TurnOutcome(done)
            if not drained:
                if time.monotonic() > deadline:
                    return None
                await asyncio.sleep(pause)
                pause = min(pause * 1.5, 0.25)

    async def drain(self, cid: str, outcomes: dict[str, TurnOutcome] | None = None) -> bool:
        """Process every pending turn of ``cid`` in order, if its lock is free. False if someone else holds it.

        ``outcomes``: filled with what each turn processed here produced (saves reading it back).
        """
        token = uuid.uuid4().hex
        # Nothing pending forgets the conversation (a recovery found it done); so does completing the last turn.
        taken, *head = await self._take(keys=[self.k.turn_lock(cid), self.k.pending_turns(cid), self.k.transcript(cid), self.k.open_turns,
                                              self.k.conv(cid), self.k.turn_outcomes(cid)], args=[token, self.lock_ms, cid])
        if not int(taken):
            return False
        if not head[0]:
            return True  # nothing pending: the script let the lock go
        keeper = asyncio.create_task(self._keep_lock(cid, token))
        released = False
        try:
            while head[0]:
                head = await self._process(cid, token, *head, outcomes)
            released = True  # completing the last turn let the lock go in the same step
        finally:
            keeper.cancel()
            if not released:
                try:
                    await self._release(keys=[self.k.turn_lock(cid)], args=[token])
                    # A turn that failed may have failed because the conversation was erased under it, after Rasa wrote
                    # its tracker again: what a completed turn deletes (COMPLETE_TURN), a failed one deletes too.
                    await self._forget_if_gone(keys=self.k.of_conversation(cid), args=[])
                except RedisError:
                    pass  # it expires by itself
        return True

    async def _process(self, cid: str, token: str, mid: str, body: str, taken: int, conversation: list[str],
                       outcomes: dict[str, TurnOutcome] | None = None) -> list:
        """Run one turn (``body``: its stored message, '' if gone; ``taken``: times taken, this one included;
        ``conversation``: the hash's fields as a flat list) and record its outcome; the next pending turn as
        ``[id, message, taken, conversation]``, id and message '' when there is none (the turn lock is then let go)."""
        produced: list[Message] = []
        if body:
            produced = await self.handler(Message(id=mid, conversation_id=cid, **json.loads(body)), _fields(conversation), int(taken))
        # The conversation's keys go along: if it was erased while the turn ran, Rasa (and any write begun before the
        # erasure) may have made some again, and the script deletes them in the step that finds it gone.
        completed, *head = await self._complete(keys=[self.k.pending_turns(cid), self.k.turn_outcomes(cid), self.k.open_turns, self.k.transcript(cid),
                                                      self.k.turn_lock(cid), self.k.conv(cid), *self.k.of_conversation(cid)],
                                                args=[cid, mid, json.dumps([m.id for m in produced]), token])
        if int(completed) and outcomes is not None:
            outcomes[mid] = TurnOutcome([m.id for m in produced], produced, _fields(head[3]))
        return head

    async def _keep_lock(self, cid: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.lock_ms / 3000)
            try:
                if not await self._extend(keys=[self.k.turn_lock(cid)], args=[token, self.lock_ms]):
                    log.warning("conversation %s: turn lock lost while processing", cid)
                    return
            except RedisError as exc:
                log.warning("conversation %s: could not renew the turn lock: %s", cid, exc)

    async def recover(self, older_than: float) -> int:
        """Process turns stored more than ``older_than`` seconds ago that nobody is processing. Returns how many conversations."""
        cutoff = time.time() - older_than
        recovered = 0
        for cid in await self.r.zrangebyscore(self.k.open_turns, "-inf", cutoff, start=0, num=100):
            pending = await self.r.llen(self.k.pending_turns(cid))
            if await self.drain(cid) and pending:
                log.warning("conversation %s: recovered %d unfinished turn(s)", cid, pending)
                event = {"type": Event.TURN_RECOVERED, "conversation_id": cid, "ts": time.time(), "turns": pending}
                await self._record_event(keys=[self.k.conv(cid), self.k.events], args=[json.dumps(event)])  # not if erased meanwhile
                recovered += 1
        return recovered

    async def run_recovery(self, interval: float, older_than: float) -> None:
        """The recovery loop every hub worker runs, from its start (so a restart picks up at once)."""
        await every(interval, lambda: self.recover(older_than), "turn recovery")
