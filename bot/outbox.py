"""The outbox: every bot, agent and system line for a customer on a messaging channel is delivered, once, in order.

A line is queued in the same atomic step that appends it to the transcript
(``handoff/scripts.py`` APPEND, when the conversation has a reply route), so
nothing appended can be left unsent. Everything lives in Redis, nothing in a
worker's memory: the queue survives restarts and is shared by every hub worker.

- ``Keys.outbox(cid)``: the conversation's undelivered message ids, oldest first.
  One conversation's lines go out in order: a line that failed holds back the
  ones after it (the customer never reads an answer before its question's reply).
- ``Keys.outbox_due``: conversation id -> when to work on it next.
- ``Keys.outbox_lease(cid)``: the one sender working on it, renewed before every
  send (a slow send must not let a second worker take the same line). A sender
  that dies loses it after ``lease_seconds`` and another worker carries on.
- ``Keys.deliveries(cid)``: each line's delivery, which the console shows:
  ``pending`` -> ``delivered`` | ``retrying`` (failed, will retry) | ``failed``
  (retrying cannot help: the channel refused, the reply window closed, or the
  attempts ran out).

A line too long for one message goes out in pieces (``Channel.pieces``); each
piece sent is counted in its delivery (``pieces_sent``), so a retry resumes at
the first piece the customer does not have yet.

A failed send is retried after the channel's ``retry_after`` (Telegram's 429,
WeChat's quota errors) or an exponential backoff. A line is marked delivered
only while its sender still holds the lease, so two senders never both send it.
An error no channel foresaw (a bug, an address the channel cannot read) fails
that line once, with the error for the agent and a traceback in the log: it
neither stops the sender nor holds the conversation's later lines back forever.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as aioredis
from pydantic import BaseModel
from redis.exceptions import RedisError

from bot.channels.base import Channel, DeliveryError, Outbound, OutboundFile
from bot.uploads import Uploads, UploadGone
from core.redis import Keys
from core.settings import Settings
from handoff.conversations import ConversationStore
from handoff.events import Frame
from handoff.models import Message

log = logging.getLogger(__name__)

DeliveryState = Literal["pending", "delivered", "retrying", "failed"]

# Lease a conversation's outbox if it is due and nobody holds it; it is not due again until the lease ends.
#
# KEYS[1] outbox due sorted set   KEYS[2] the conversation's lease
# ARGV[1] conversation id         ARGV[2] lease token   ARGV[3] now (s)   ARGV[4] lease (ms)
# Returns 1 if leased, else 0.
LEASE = """
local due, lease = KEYS[1], KEYS[2]
local cid, token, now, lease_ms = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

local score = redis.call('ZSCORE', due, cid)
if not score or tonumber(score) > now then return 0 end
if not redis.call('SET', lease, token, 'NX', 'PX', lease_ms) then return 0 end
redis.call('ZADD', due, now + lease_ms / 1000, cid)
return 1
"""

# Record a line's delivery, only while holding the lease; ``done`` also takes it off the head of the outbox.
#
# KEYS[1] the conversation's lease   KEYS[2] outbox list   KEYS[3] deliveries hash
# ARGV[1] lease token   ARGV[2] message id   ARGV[3] delivery JSON   ARGV[4] '1' = done with this line
# Returns 1, or 0 when the lease was lost (someone else carries on) or the line is not at the head.
RECORD = """
local lease, outbox, deliveries = KEYS[1], KEYS[2], KEYS[3]
local token, mid, delivery, done = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

if redis.call('GET', lease) ~= token then return 0 end
if done == '1' then
  if redis.call('LINDEX', outbox, 0) ~= mid then return 0 end
  redis.call('LPOP', outbox)
end
redis.call('HSET', deliveries, mid, delivery)
return 1
"""

# Keep the lease for another ``lease`` ms (before each send), only if we still hold it.
#
# KEYS[1] the conversation's lease   KEYS[2] outbox due sorted set
# ARGV[1] lease token   ARGV[2] conversation id   ARGV[3] now (s)   ARGV[4] lease (ms)
# Returns 1, or 0 when the lease was lost (someone else carries on).
RENEW = """
local lease, due = KEYS[1], KEYS[2]
local token, cid, now, lease_ms = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

if redis.call('GET', lease) ~= token then return 0 end
redis.call('PEXPIRE', lease, lease_ms)
redis.call('ZADD', due, 'XX', now + lease_ms / 1000, cid)
return 1
"""

# Give the lease back: the conversation is due again at ``next`` if lines are left, else it leaves the due set.
#
# KEYS[1] the conversation's lease   KEYS[2] outbox list   KEYS[3] outbox due sorted set
# ARGV[1] lease token   ARGV[2] conversation id   ARGV[3] next due (s)
RELEASE = """
local lease, outbox, due = KEYS[1], KEYS[2], KEYS[3]
local token, cid, next_due = ARGV[1], ARGV[2], ARGV[3]

if redis.call('GET', lease) ~= token then return 0 end
redis.call('DEL', lease)
if redis.call('LLEN', outbox) == 0 then redis.call('ZREM', due, cid) else redis.call('ZADD', due, next_due, cid) end
return 1
"""

# End a passive-reply hold early (the caller answered without the replies): they are due now, not at hold_until.
# A conversation due later for another reason (a retry's wait) keeps its time.
#
# KEYS[1] conversation hash   KEYS[2] outbox due sorted set
# ARGV[1] conversation id     ARGV[2] now (s)
UNHOLD = """
local conv, due = KEYS[1], KEYS[2]
local cid, now = ARGV[1], tonumber(ARGV[2])

local held = tonumber(redis.call('HGET', conv, 'hold_until') or '0') or 0
if held <= now then return 0 end
redis.call('HSET', conv, 'hold_until', '0')
local at = redis.call('ZSCORE', due, cid)
if at and tonumber(at) == held then redis.call('ZADD', due, 'XX', now, cid) end
return 1
"""

# Hand the first lines of the outbox to a reply the caller sends itself (WeChat's passive reply), if no sender
# holds the conversation and those lines are exactly the head of the outbox (order is kept).
#
# KEYS[1] the conversation's lease   KEYS[2] outbox list   KEYS[3] deliveries hash
# ARGV[1] now (s)   ARGV[2] how it went out   ARGV[3...] message ids
# Returns 1 if the caller now owns them (they are marked delivered), else 0.
CLAIM = """
local lease, outbox, deliveries = KEYS[1], KEYS[2], KEYS[3]
local now, via = tonumber(ARGV[1]), ARGV[2]
local n = #ARGV - 2

if n < 1 or redis.call('EXISTS', lease) == 1 then return 0 end
local head = redis.call('LRANGE', outbox, 0, n - 1)
if #head ~= n then return 0 end
for i = 1, n do if head[i] ~= ARGV[i + 2] then return 0 end end
for i = 1, n do
  redis.call('LPOP', outbox)
  local d = cjson.decode(redis.call('HGET', deliveries, ARGV[i + 2]) or '{}')
  d.state, d.via, d.delivered_at = 'delivered', via, now
  redis.call('HSET', deliveries, ARGV[i + 2], cjson.encode(d))
end
return 1
"""


class Delivery(BaseModel):
    """How one line reached (or did not reach) the customer's messaging channel."""

    state: DeliveryState = "pending"
    channel: str = ""
    to: str = ""
    attempts: int = 0
    queued_at: float = 0.0
    delivered_at: float | None = None
    next_attempt_at: float | None = None
    error: str = ""
    via: str = ""  # "api", or "passive_reply" (WeChat: in the answer to the customer's own push)
    pieces: int = 0  # the messages the line goes out in (a long text is several), once known
    pieces_sent: int = 0  # how many of them the customer has: a retry sends the rest


class Outbox:
    """The outbox in Redis: what is waiting, who works on it, how each line went."""

    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.r = client
        self.k = keys
        self._lease = self.r.register_script(LEASE)
        self._record = self.r.register_script(RECORD)
        self._release = self.r.register_script(RELEASE)
        self._renew = self.r.register_script(RENEW)
        self._unhold = self.r.register_script(UNHOLD)
        self._claim = self.r.register_script(CLAIM)

    async def deliveries(self, cid: str) -> dict[str, Delivery]:
        raw = await self.r.hgetall(self.k.deliveries(cid))
        return {mid: Delivery.model_validate_json(value) for mid, value in raw.items()}

    async def delivery(self, cid: str, mid: str) -> Delivery | None:
        raw = await self.r.hget(self.k.deliveries(cid), mid)
        return Delivery.model_validate_json(raw) if raw else None

    async def due(self, limit: int = 50) -> list[str]:
        return list(await self.r.zrangebyscore(self.k.outbox_due, "-inf", time.time(), start=0, num=limit))

    async def lease(self, cid: str, token: str, seconds: float) -> bool:
        return bool(await self._lease(keys=[self.k.outbox_due, self.k.outbox_lease(cid)], args=[cid, token, time.time(), int(seconds * 1000)]))

    async def renew(self, cid: str, token: str, seconds: float) -> bool:
        """Hold the conversation ``seconds`` more; ``False`` if the lease was lost meanwhile."""
        return bool(await self._renew(keys=[self.k.outbox_lease(cid), self.k.outbox_due], args=[token, cid, time.time(), int(seconds * 1000)]))

    async def head(self, cid: str) -> str | None:
        return await self.r.lindex(self.k.outbox(cid), 0)

    async def record(self, cid: str, token: str, mid: str, delivery: Delivery, *, done: bool) -> bool:
        return bool(await self._record(keys=[self.k.outbox_lease(cid), self.k.outbox(cid), self.k.deliveries(cid)],
                                       args=[token, mid, delivery.model_dump_json(), "1" if done else ""]))

    async def release(self, cid: str, token: str, next_due: float) -> None:
        await self._release(keys=[self.k.outbox_lease(cid), self.k.outbox(cid), self.k.outbox_due], args=[token, cid, next_due])

    async def unhold(self, cid: str) -> None:
        """The passive reply will not carry the held lines: send them now."""
        await self._unhold(keys=[self.k.conv(cid), self.k.outbox_due], args=[cid, time.time()])

    async def claim(self, cid: str, mids: list[str], via: str) -> bool:
        """Take ``mids`` (the head of the outbox) for a reply the caller sends itself; ``False``: the outbox sends them."""
        return bool(await self._claim(keys=[self.k.outbox_lease(cid), self.k.outbox(cid), self.k.deliveries(cid)], args=[time.time(), via, *mids]))


@dataclass(frozen=True)
class SendPolicy:
    """How senders share the work and retry (``CS_OUTBOX_*`` in ``core/settings.py``)."""

    lease_seconds: float = 30.0  # a sender holds a conversation this long; one that dies frees it then
    backoff_seconds: float = 1.0  # the first retry's wait, doubled each time ...
    backoff_max_seconds: float = 300.0  # ... up to this (a channel's own retry_after wins when longer)
    max_attempts: int = 30  # then the line is marked failed for the agent
    poll_seconds: float = 0.5  # how often to look for due work when no new line wakes the sender

    @classmethod
    def from_settings(cls, s: Settings) -> "SendPolicy":
        return cls(s.outbox_lease_seconds, s.outbox_backoff_seconds, s.outbox_backoff_max_seconds, s.outbox_max_attempts, s.outbox_poll_seconds)

    def wait_before(self, attempt: int, retry_after: float | None) -> float:
        return max(retry_after or 0.0, min(self.backoff_seconds * 2 ** (attempt - 1), self.backoff_max_seconds))


class OutboxSender:
    """The loop every hub worker with channels runs: lease due conversations, send their lines in order, record how it went."""

    def __init__(self, outbox: Outbox, conversations: ConversationStore, channels: dict[str, Channel], policy: SendPolicy,
                 uploads: Uploads | None = None) -> None:
        self.outbox = outbox
        self.conversations = conversations
        self.channels = channels
        self.policy = policy
        self.uploads = uploads  # what agents send customers (a picture, a PDF): sent from where it is kept
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was appended somewhere: look now rather than at the next poll (a line for a channel is sent at once)."""
        self._wake.set()

    async def run(self) -> None:
        delay = self.policy.poll_seconds
        while True:
            try:
                self._wake.clear()
                cids = await self.outbox.due()
                if cids:
                    await asyncio.gather(*(self.work(cid) for cid in cids))
                delay = self.policy.poll_seconds
            except asyncio.CancelledError:
                raise
            except RedisError as exc:
                log.debug("outbox: Redis unavailable (%s)", exc)
                delay = min(delay * 2, 5.0)
            except Exception:
                log.exception("outbox sender failed")
                delay = min(delay * 2, 5.0)
            try:  # until the next poll, or sooner when a message is appended (retries wait for their due time)
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass

    async def work(self, cid: str) -> None:
        """Send the conversation's waiting lines, oldest first, until one must wait (then it is due again later)."""
        token = uuid.uuid4().hex
        if not await self.outbox.lease(cid, token, self.policy.lease_seconds):
            return
        next_due = time.time()
        try:
            while (mid := await self.outbox.head(cid)) is not None:
                wait = await self._send(cid, token, mid)
                if wait is None:  # the lease was lost: whoever holds it now carries on
                    return
                if wait > 0:
                    next_due = time.time() + wait
                    break
        finally:
            await self.outbox.release(cid, token, next_due)

    async def _send(self, cid: str, token: str, mid: str) -> float | None:
        """Send one line: 0 if done with it (delivered or failed for good), seconds to wait before retrying, ``None`` if the lease was lost."""
        delivery = await self.outbox.delivery(cid, mid) or Delivery(state="failed", error="no delivery record")
        message = await self.conversations.message(cid, mid)
        channel = self.channels.get(delivery.channel)
        if message is None or channel is None:
            reason = "the message was erased" if message is None else f"the {delivery.channel} channel is not configured on this hub"
            return await self._finish(cid, token, mid, delivery.model_copy(update={"state": "failed", "error": reason}))
        closed = channel.reply_window_closed(await self._last_inbound(cid))
        if closed:
            return await self._finish(cid, token, mid, delivery.model_copy(update={"state": "failed", "error": closed}))
        attempt = delivery.attempts + 1
        try:
            pieces = channel.pieces(await self._outbound(channel, cid, message))
        except UploadGone:
            return await self._finish(cid, token, mid, delivery.model_copy(update={"state": "failed", "attempts": attempt, "error": "the file was erased"}))
        except Exception as exc:
            return await self._unexpected(cid, token, mid, delivery, attempt, exc)
        delivery = delivery.model_copy(update={"pieces": len(pieces)})
        for index in range(min(delivery.pieces_sent, len(pieces)), len(pieces)):
            # Renewed before every send: a slow send must not outlast the lease and let another worker send the line again.
            if not await self.outbox.renew(cid, token, self.policy.lease_seconds):
                return None
            try:
                await channel.deliver(delivery.to, pieces[index])
            except DeliveryError as exc:
                return await self._failed(cid, token, mid, delivery, attempt, exc)
            except Exception as exc:
                return await self._unexpected(cid, token, mid, delivery, attempt, exc)
            delivery = delivery.model_copy(update={"pieces_sent": index + 1})
            if index + 1 < len(pieces) and not await self.outbox.record(cid, token, mid, delivery, done=False):
                return None  # the lease was lost: whoever holds it now resumes after this piece
        done = delivery.model_copy(update={"state": "delivered", "attempts": attempt, "delivered_at": time.time(), "error": "", "next_attempt_at": None, "via": "api"})
        return await self._finish(cid, token, mid, done)

    async def _outbound(self, channel: Channel, cid: str, message: Message) -> Outbound:
        """The line as the channel sends it; a file an agent sent (``meta.media.upload_id``) with its bytes."""
        media = message.meta.get("media") or {}
        if message.sender == "agent" and message.meta.get("kind") == "attachment" and media.get("upload_id") and self.uploads is not None:
            data, kind = await self.uploads.open(cid, str(media["upload_id"]))
            return Outbound("", file=OutboundFile(data, kind, str(media.get("name") or "")))
        return channel.render(message)

    async def _failed(self, cid: str, token: str, mid: str, delivery: Delivery, attempt: int, exc: DeliveryError) -> float | None:
        """A send the channel refused: failed for good, or retried later (from the first piece not sent)."""
        if exc.permanent or attempt >= self.policy.max_attempts:
            why = exc.reason if exc.permanent else f"gave up after {attempt} attempts: {exc.reason}"
            return await self._finish(cid, token, mid, delivery.model_copy(update={"state": "failed", "attempts": attempt, "error": why, "next_attempt_at": None}))
        wait = self.policy.wait_before(attempt, exc.retry_after)
        retrying = delivery.model_copy(update={"state": "retrying", "attempts": attempt, "error": exc.reason, "next_attempt_at": time.time() + wait})
        if not await self.outbox.record(cid, token, mid, retrying, done=False):
            return None
        await self._announce(cid, mid, retrying)
        log.info("outbox: %s message %s/%s not delivered (attempt %d): %s; retrying in %.1f s", delivery.channel, cid, mid, attempt, exc.reason, wait)
        return wait

    async def _unexpected(self, cid: str, token: str, mid: str, delivery: Delivery, attempt: int, exc: Exception) -> float | None:
        """An error no channel foresaw: retrying the same line would fail the same way, forever, holding back every
        later line. It fails once, saying what went wrong, and the conversation's next lines go on."""
        if isinstance(exc, RedisError):
            raise exc  # the outbox's own store: nothing was decided, the sender's loop tries again
        log.exception("outbox: %s message %s/%s could not be sent (unexpected error); marked failed", delivery.channel, cid, mid)
        why = f"could not be sent (unexpected error: {type(exc).__name__}: {str(exc)[:200]})"
        return await self._finish(cid, token, mid, delivery.model_copy(update={"state": "failed", "attempts": attempt, "error": why, "next_attempt_at": None}))

    async def _finish(self, cid: str, token: str, mid: str, delivery: Delivery) -> float | None:
        if not await self.outbox.record(cid, token, mid, delivery, done=True):
            return None
        await self._announce(cid, mid, delivery)
        return 0.0

    async def _last_inbound(self, cid: str) -> float:
        raw = await self.conversations.r.hget(self.conversations.k.conv(cid), "last_inbound_at")
        return float(raw or 0)

    async def _announce(self, cid: str, mid: str, delivery: Delivery) -> None:
        await announce(self.conversations, cid, mid, delivery)


async def announce(conversations: ConversationStore, cid: str, mid: str, delivery: Delivery) -> None:
    """The console shows each line's delivery as it changes. Every console hears it: without the customer's address on
    the channel (their Telegram id, WeChat openid), which only staff who may see the customer read, through the
    conversation's deliveries."""
    await conversations.publish_agents({"type": Frame.DELIVERY, "conversation_id": cid, "message_id": mid,
                                        "delivery": delivery.model_dump(mode="json", exclude={"to"})})
