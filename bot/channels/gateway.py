"""From any messaging channel into the hub: the same steps for Telegram, WeChat and whatever comes next.

1. Who is it: the customer record of the channel identity (``customers/store.py``),
   so a customer an agent linked to their web or shop identity is recognised.
2. Which conversation: if a person is already on this customer's case on *any*
   channel (queued or assigned), the message joins that conversation, so the
   customer never repeats themselves; else the chat's own conversation (a
   resolved one reopens); else a new one, after a long silence too.
3. Replies go back where the customer last wrote: the conversation's reply route
   (``reply_channel``/``reply_to``) is set before the message is stored, and every
   bot, agent or system line appended from then on is queued in the outbox in
   the same atomic step (``handoff/scripts.py`` APPEND).
4. The message is stored with the channel's own event id as its idempotency key
   (a webhook retried, an update polled twice: stored once), and its turn runs in
   the background; if this worker dies, another one runs it (``bot/turns.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis

from bot.channels.base import Channel, Inbound, read_choice, read_vote
from bot.channels.texts import channel_say
from bot.feedback import AnswerFeedback
from bot.intake import Intake
from bot.orchestrator import Orchestrator
from core.errors import ServiceError
from core.language import detect_language
from core.redis import Keys
from customers.store import CustomerStore
from handoff.conversations import ConversationStore
from handoff.models import Conversation, Message
from handoff.notices import say
from handoff.queue import HandoffQueue

log = logging.getLogger(__name__)

_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
SEEN_SECONDS = 7 * 86400  # how long a handled channel event (a tap, a rating) is remembered against retries


@dataclass
class Receipt:
    """What became of an inbound event: the conversation, and the stored message if it was one."""

    conversation: Conversation | None
    message: Message | None = None
    duplicate: bool = False
    turn: asyncio.Task | None = None  # the message's turn, running; its result is what it produced (bot/turns.TurnOutcome), or None if it outlasted the wait
    notice: str = ""  # a short word for the channel's acknowledgement (a tapped button)


class ChannelGateway:
    def __init__(self, client: aioredis.Redis, keys: Keys, intake: Intake, customers: CustomerStore, conversations: ConversationStore,
                 orchestrator: Orchestrator, queue: HandoffQueue, feedback: AnswerFeedback, *, new_conversation_after_seconds: float,
                 turn_wait_seconds: float) -> None:
        self.r = client
        self.k = keys
        self.intake = intake
        self.customers = customers
        self.conversations = conversations
        self.orchestrator = orchestrator
        self.queue = queue
        self.feedback = feedback
        self.new_conversation_after = new_conversation_after_seconds
        self.turn_wait_seconds = turn_wait_seconds
        self._release = self.r.register_script(_RELEASE)
        self._running: set[asyncio.Task] = set()

    async def receive(self, channel: Channel, inbound: Inbound, *, hold_until: float = 0.0) -> Receipt:
        """Take one inbound event; returns once it is stored (its turn goes on in the background).

        ``hold_until`` (epoch seconds): replies appended before then wait in the outbox, so the
        caller may carry them in its own response instead (WeChat's passive reply, whose
        deadline the caller counts from the request's arrival).
        """
        receipt = await self._receive(channel, inbound, hold_until)
        if inbound.ack:
            await channel.acknowledge(inbound, receipt.notice)
        return receipt

    async def _receive(self, channel: Channel, inbound: Inbound, hold_until: float) -> Receipt:
        said = inbound.text if inbound.kind != "ignore" else ""  # "[photo]" says nothing of the language
        language = inbound.language or detect_language(said, default=channel.default_language)
        customer_id = await self.customers.identify(channel.identity, inbound.user_id, name=inbound.name, language=language)
        conv = await self._conversation(channel, inbound, customer_id, language)
        now = time.time()
        await self.conversations.set_fields(conv.id, reply_channel=channel.name, reply_to=inbound.address, last_inbound_at=str(now),
                                            hold_until=str(hold_until))
        if inbound.kind == "rating":
            return await self._rate(conv, inbound.rating, channel, inbound)
        if inbound.kind == "ignore":  # a photo, a sticker...: in the transcript for the agent; say what the channel can take, once per event
            if await self.r.set(self.k.channel_seen(channel.name, inbound.event_id), "1", nx=True, ex=SEEN_SECONDS):
                await self.conversations.append(conv.id, "customer", self.conversations.masked(inbound.text or "[attachment]"), channel=channel.name,
                                                meta={"kind": "unsupported"})
                await self.conversations.append(conv.id, "system", channel_say("text_only", conv.language), channel=channel.name, meta={"kind": "text_only"})
            return Receipt(conv)
        text, payload = inbound.text, inbound.payload
        if inbound.kind == "choice" and (vote := read_vote(inbound.choice)):
            return await self._vote(conv, *vote, channel, inbound)
        if inbound.kind == "choice":
            picked = read_choice(inbound.choice)
            if isinstance(picked, int):
                return await self._rate(conv, picked, channel, inbound)
            button = await self._button(conv.id, picked)
            if button is None:
                return Receipt(conv, notice=channel_say("choice_expired", conv.language))
            text, payload = button.get("title") or payload, button.get("payload") or ""
        message, duplicate = await self.orchestrator.accept(conv, text, client_message_id=f"{channel.name}:{inbound.event_id}",
                                                            payload=payload or None, channel=channel.name)
        turn = None if duplicate else self._start_turn(conv.id, message.id)
        return Receipt(conv, message, duplicate, turn)

    async def _conversation(self, channel: Channel, inbound: Inbound, customer_id: str, language: str) -> Conversation:
        mapping = self.k.channel_conversation(channel.name, inbound.address)
        async with self._lock(self.k.channel_lock(channel.name, inbound.address)):
            for cid in (await self.customers.conversations(customer_id))[:10]:
                conv = await self.conversations.get(cid)
                if conv is not None and conv.status in ("queued", "assigned"):  # a person is on it: continue there
                    await self.r.set(mapping, conv.id)
                    return conv
            cid = await self.r.get(mapping)
            conv = await self.conversations.get(cid) if cid else None
            if conv is not None and not (conv.status == "resolved" and time.time() - (conv.resolved_at or conv.updated_at) > self.new_conversation_after):
                return conv
            conv, _token = await self.intake.start(channel.name, language, identity=(channel.identity, inbound.user_id))
            await self.r.set(mapping, conv.id)
            return conv

    async def _button(self, cid: str, picked: tuple[str, int] | None) -> dict | None:
        """The bot's button behind a tapped choice, if it is one of this conversation's."""
        if picked is None:
            return None
        mid, index = picked
        shown = await self.conversations.message(cid, mid)
        buttons = (shown.meta.get("buttons") or []) if shown and shown.sender in ("bot", "system") else []
        return buttons[index] if index < len(buttons) else None

    async def _rate(self, conv: Conversation, score: int, channel: Channel, inbound: Inbound) -> Receipt:
        """A rating tap: counted once (a tap retried or repeated does not rate twice)."""
        if not await self.r.set(self.k.channel_seen(channel.name, f"rate:{conv.id}:{conv.epoch}"), inbound.event_id, nx=True, ex=SEEN_SECONDS):
            return Receipt(conv, duplicate=True, notice=say("rating_thanks", conv.language))
        try:
            await self.queue.rate(conv, score, "")
        except ServiceError:  # not resolved (any more): nothing to rate
            await self.r.delete(self.k.channel_seen(channel.name, f"rate:{conv.id}:{conv.epoch}"))
            return Receipt(conv, notice=channel_say("choice_expired", conv.language))
        return Receipt(conv, notice=say("rating_thanks", conv.language))

    async def _vote(self, conv: Conversation, mid: str, helpful: bool, channel: Channel, inbound: Inbound) -> Receipt:
        """Helpful / not helpful on a bot answer, counted once; after "not helpful" the bot offers other answers and a person."""
        answer = await self.conversations.message(conv.id, mid)
        if answer is None or answer.sender != "bot":
            return Receipt(conv, notice=channel_say("choice_expired", conv.language))
        if await self.r.set(self.k.channel_seen(channel.name, f"vote:{conv.id}:{mid}"), inbound.event_id, nx=True, ex=SEEN_SECONDS):
            await self.feedback.vote(conv, answer, helpful)
        return Receipt(conv, notice=channel_say("vote_thanks", answer.meta.get("language") or conv.language))

    def _start_turn(self, cid: str, mid: str) -> asyncio.Task:
        task = asyncio.create_task(self.orchestrator.turns.settle(cid, mid, self.turn_wait_seconds), name=f"turn-{cid}")
        self._running.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:  # the recovery loop will run it again
            log.warning("channel turn failed: %s", task.exception())

    @contextlib.asynccontextmanager
    async def _lock(self, key: str, seconds: float = 10.0) -> AsyncIterator[None]:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + seconds
        while not await self.r.set(key, token, nx=True, px=int(seconds * 1000)):
            if time.monotonic() > deadline:
                break  # a holder that died: its lock expires about now; go on rather than drop the message
            await asyncio.sleep(0.02)
        try:
            yield
        finally:
            await self._release(keys=[key], args=[token])

    async def aclose(self) -> None:
        for task in list(self._running):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
