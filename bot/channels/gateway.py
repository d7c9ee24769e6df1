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
5. A customer writing faster than the message limits allow (``Settings.rate_limits``,
   the same ``messages_per_conversation`` / ``messages_per_address`` as the web chat,
   the chat being the address) is limited the way the web chat is: the web page is
   refused (429) and sends the message again by itself after ``Retry-After``; a
   channel cannot be asked to, so the gateway keeps the message (``Keys.channel_deferred``)
   and takes it again after the wait, in the order written, and the customer is told
   once per window to slow down, in their language. Nothing is dropped.
6. A message longer than the web chat accepts (``Settings.max_message_chars``: the page refuses it and says
   so) cannot be refused on a channel: it is stored whole and passed to a person, and the customer is told
   (``Orchestrator.accept(too_long=True)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.channels.base import Channel, Inbound, read_choice, read_vote
from bot.channels.texts import channel_say
from bot.feedback import AnswerFeedback
from bot.intake import Intake
from bot.orchestrator import Orchestrator
from core.errors import ServiceError
from core.language import detect_language
from core.loops import every
from core.ratelimit import Limit, RateLimiter
from core.redis import Keys
from customers.store import CustomerStore
from handoff.conversations import ConversationStore
from handoff.events import Frame
from handoff.models import HUMAN_PAYLOAD, Conversation, Message
from handoff.notices import say
from handoff.queue import HandoffQueue

log = logging.getLogger(__name__)

_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
SEEN_SECONDS = 7 * 86400  # how long a handled channel event (a tap, a rating) is remembered against retries
MESSAGE_LIMITS = ("messages_per_conversation", "messages_per_address")  # the web chat's (hub/middleware/rate_limit.py)
MAX_DEFERRALS = 30  # as many tries as the web chat makes (bot/web/outbox.js): then it is kept for the agent, unread by the bot
DEFER_LOCK_SECONDS = 30.0  # a worker taking a conversation's deferred messages again holds it this long at most

# Forget a conversation's deferred queue once it is empty, in one step with the check: a message queued behind
# at that instant (RPUSH with ZADD NX) keeps it due. KEYS[1] the queue, KEYS[2] the due set; ARGV[1] conversation id.
_FORGET_IF_EMPTY = """
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) return 1 end
return 0
"""


@dataclass
class Receipt:
    """What became of an inbound event: the conversation, and the stored message if it was one."""

    conversation: Conversation | None
    message: Message | None = None
    duplicate: bool = False
    turn: asyncio.Task | None = None  # the message's turn, running; its result is what it produced (bot/turns.TurnOutcome), or None if it outlasted the wait
    notice: str = ""  # a short word for the channel's acknowledgement (a tapped button)
    deferred: bool = False  # over the message limits: kept, and taken again after the wait


class ChannelGateway:
    def __init__(self, client: aioredis.Redis, keys: Keys, intake: Intake, customers: CustomerStore, conversations: ConversationStore,
                 orchestrator: Orchestrator, queue: HandoffQueue, feedback: AnswerFeedback, *, new_conversation_after_seconds: float,
                 turn_wait_seconds: float, limiter: RateLimiter | None = None, limits: dict[str, str] | None = None,
                 max_message_chars: int = 2000) -> None:
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
        self.max_message_chars = max_message_chars
        self.limiter = limiter
        self.limits = {name: Limit.parse(text) for name, text in (limits or {}).items() if name in MESSAGE_LIMITS}
        self._release = self.r.register_script(_RELEASE)
        self._forget_if_empty = self.r.register_script(_FORGET_IF_EMPTY)
        self._running: set[asyncio.Task] = set()

    async def receive(self, channel: Channel, inbound: Inbound, *, hold_until: float = 0.0, written_at: float | None = None,
                      deferrals: int = 0) -> Receipt:
        """Take one inbound event; returns once it is stored (its turn goes on in the background), or kept for later
        when the customer is over the message limits (``Receipt.deferred``).

        ``hold_until`` (epoch seconds): replies appended before then wait in the outbox, so the
        caller may carry them in its own response instead (WeChat's passive reply, whose
        deadline the caller counts from the request's arrival). ``written_at`` and ``deferrals``:
        a deferred message taken again (``retry_deferred``): when it came, how often it waited.
        """
        receipt = await self._receive(channel, inbound, hold_until, written_at or time.time(), deferrals)
        if inbound.ack:
            await channel.acknowledge(inbound, receipt.notice)
        return receipt

    async def _receive(self, channel: Channel, inbound: Inbound, hold_until: float, written_at: float, deferrals: int) -> Receipt:
        if inbound.kind == "unfollow":
            return await self._unfollowed(channel, inbound)
        said = inbound.text  # a caption's language, if any (a photo alone says nothing of it)
        language = inbound.language or detect_language(said, default=channel.default_language)
        customer_id = await self.customers.identify(channel.identity, inbound.user_id, name=inbound.name, language=language)
        conv = await self._conversation(channel, inbound, customer_id, language)
        await self.conversations.set_fields(conv.id, reply_channel=channel.name, reply_to=inbound.address, last_inbound_at=str(written_at),
                                            hold_until=str(hold_until))
        if inbound.kind == "rating":
            return await self._rate(conv, inbound.rating, channel, inbound)
        if inbound.kind == "unmapped_menu":
            await self._unmapped_menu(conv, channel, inbound)
            return Receipt(conv)
        if inbound.kind == "attachment":
            await self._attachment(conv, channel, inbound)
            if not inbound.text:
                return Receipt(conv)
            inbound = dataclasses.replace(inbound, kind="message", event_id=f"{inbound.event_id}:text")  # its caption, read as a message
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
        client_id = f"{channel.name}:{inbound.event_id}"
        if not deferrals and self.limits and await self.r.llen(self.k.channel_deferred_queue(conv.id)):
            return await self._defer(conv, channel, inbound, 0, written_at, deferrals)  # earlier ones wait: in order, behind them
        if (wait := await self._over_limit(conv, channel, inbound, client_id)) and deferrals < MAX_DEFERRALS:
            return await self._defer(conv, channel, inbound, wait, written_at, deferrals)
        if wait:  # waited as long as the web chat would have tried: kept for the agent, not read by the bot
            log.warning("%s: a message of conversation %s stayed over the message limits %d times; kept for the agent", channel.name, conv.id, deferrals)
            await self.conversations.append(conv.id, "customer", self.conversations.masked(text), channel=channel.name, meta={"kind": "rate_limited"})
            return Receipt(conv)
        edited_of = None
        if inbound.edited_of:  # the transcript line it corrects, if it is in this conversation ("" if not: still marked an edit)
            edited_of = await self.r.hget(self.k.client_ids(conv.id), f"{channel.name}:{inbound.edited_of}") or ""
        message, duplicate = await self.orchestrator.accept(conv, text, client_message_id=client_id, payload=payload or None, channel=channel.name,
                                                            too_long=len(text) > self.max_message_chars, edited_of=edited_of)
        turn = None if duplicate else self._start_turn(conv.id, message.id)
        return Receipt(conv, message, duplicate, turn)

    async def _unfollowed(self, channel: Channel, inbound: Inbound) -> Receipt:
        """The customer unfollowed (WeChat): nothing sent to them arrives any more. Their open conversation gets a line
        saying so for the agent (internal: never queued for the customer), once, so nobody writes into the void; no
        conversation is opened for it, and the reply route stays as it was."""
        cid = await self.r.get(self.k.channel_conversation(channel.name, inbound.address))
        conv = await self.conversations.get(cid) if cid else None
        if conv is None or conv.status == "resolved" or not await self.first_time(channel, inbound.event_id):
            return Receipt(conv)
        await self.conversations.append(conv.id, "system", say("unfollowed", conv.language), channel=channel.name,
                                        meta={"kind": "unfollowed", "internal": True})
        await self._tell_agents(conv)
        return Receipt(conv)

    async def _tell_agents(self, conv: Conversation) -> None:
        """A line came into a chat people hold (queued or assigned): their consoles read it again."""
        if conv.status in ("queued", "assigned"):
            await self.conversations.publish_agents({"type": Frame.CUSTOMER_MESSAGE, "conversation_id": conv.id, "agent": conv.agent})

    async def first_time(self, channel: Channel, event_id: str) -> bool:
        """Whether this is the first time the channel event ``event_id`` is seen (remembered ``SEEN_SECONDS``)."""
        return bool(await self.r.set(self.k.channel_seen(channel.name, event_id), "1", nx=True, ex=SEEN_SECONDS))

    async def _attachment(self, conv: Conversation, channel: Channel, inbound: Inbound) -> None:
        """A photo, a voice message, a file, a place...: a line of the transcript with the channel's reference to it, so
        the agent knows it came and can fetch it. Nothing else happens while a person has the chat (they asked for it,
        perhaps); else, with nothing written beside it, the customer hears that the bot cannot open it and a person can
        (one tap away). Once per event (the channel's retry of it adds nothing); what was written beside it (a caption)
        is the caller's to read as a message."""
        if not await self.first_time(channel, inbound.event_id):
            return
        await self.attachment(conv, channel.name, inbound.media or {"type": "attachment", "line": "[attachment]"}, with_text=bool(inbound.text))

    async def attachment(self, conv: Conversation, channel: str, media: dict, *, with_text: bool = False,
                         client_message_id: str | None = None, reads_transcript: bool = False) -> tuple[Message | None, bool]:
        """The attachment's line in the transcript, and what follows it, the same on every channel (the web chat's
        pictures too, ``hub/routes/uploads.py``). ``with_text``: something was written beside it, which the caller
        reads as a message. ``reads_transcript``: sent from the web chat, where the customer reads the transcript, so
        replies come back there, not to a messaging channel they wrote from before (as a message typed there does).
        Returns ``(the line, duplicate)``: a ``client_message_id`` used before stores nothing."""
        line = self.conversations.masked(media.get("line") or f"[{media.get('type', 'attachment')}]")
        message, duplicate = await self.conversations.append_once(conv.id, "customer", line, client_message_id, channel=channel,
                                                                  meta={"kind": "attachment", "media": media}, reads_transcript=reads_transcript)
        if duplicate or message is None:
            return message, duplicate
        if conv.status in ("queued", "assigned"):
            await self._tell_agents(conv)
        elif not with_text:
            if media.get("type") in ("sticker", "dice"):  # a feeling, not a document of the problem
                await self.conversations.append(conv.id, "system", channel_say("text_only", conv.language), channel=channel, meta={"kind": "text_only"})
            else:
                await self.conversations.append(conv.id, "system", channel_say("media_for_agent", conv.language), channel=channel,
                                                meta={"kind": "media_for_agent",
                                                      "buttons": [{"title": channel_say("to_agent", conv.language), "payload": HUMAN_PAYLOAD}]})
        return message, False

    async def _unmapped_menu(self, conv: Conversation, channel: Channel, inbound: Inbound) -> None:
        """A custom-menu button the shop gave no meaning (``Settings.wechat_menu``): the bot was never taught its key, and
        a tap that is met with silence, or with "I didn't understand" to words the customer never wrote, looks broken.
        The tap is a line of the transcript; unless a person has the chat, the customer hears that the button does nothing
        yet, to type the question instead, or to tap for a person. Once per event."""
        if not await self.first_time(channel, inbound.event_id):
            return
        await self.conversations.append(conv.id, "customer", self.conversations.masked(inbound.text), channel=channel.name, meta={"kind": "menu"})
        if conv.status in ("queued", "assigned"):
            await self._tell_agents(conv)
            return
        await self.conversations.append(conv.id, "system", channel_say("menu_unmapped", conv.language), channel=channel.name,
                                        meta={"kind": "menu_unmapped",
                                              "buttons": [{"title": channel_say("menu_to_agent", conv.language), "payload": HUMAN_PAYLOAD}]})

    async def _over_limit(self, conv: Conversation, channel: Channel, inbound: Inbound, client_id: str) -> int:
        """Seconds the customer must wait under the web chat's message limits (0: go ahead). A channel's retry of a
        message already stored is not counted again."""
        if self.limiter is None or not self.limits or await self.r.hexists(self.k.client_ids(conv.id), client_id):
            return 0
        idents = {"messages_per_conversation": conv.id, "messages_per_address": f"{channel.name}:{inbound.address}"}
        return await self.limiter.hit_all([(name, idents[name], limit) for name, limit in self.limits.items()])

    async def _defer(self, conv: Conversation, channel: Channel, inbound: Inbound, wait: int, written_at: float, deferrals: int) -> Receipt:
        """Keep the message until the limit's window ends (``wait`` seconds; 0: behind earlier ones kept already),
        and tell the customer to slow down, once per window."""
        item = json.dumps({"channel": channel.name, "inbound": dataclasses.asdict(inbound), "written_at": written_at, "deferrals": deferrals + 1},
                          ensure_ascii=False)
        queue = self.k.channel_deferred_queue(conv.id)
        async with self.r.pipeline(transaction=True) as pipe:
            if deferrals:  # the head, taken again and still over: it keeps its place, due after the new wait
                pipe.lset(queue, 0, item).zadd(self.k.channel_deferred, {conv.id: time.time() + wait})
            else:
                pipe.rpush(queue, item).zadd(self.k.channel_deferred, {conv.id: time.time() + max(wait, 1)}, nx=True)
            await pipe.execute()
        notice = ""
        if wait and await self.r.set(self.k.channel_slow_down(conv.id), "1", nx=True, ex=max(1, wait)):
            notice = channel_say("slow_down", conv.language)
            await self.conversations.append(conv.id, "system", notice, channel=channel.name, meta={"kind": "slow_down"})
        return Receipt(conv, deferred=True, notice=notice)

    async def retry_deferred(self, channels: dict[str, Channel], limit: int = 100) -> int:
        """Take again the deferred messages of each conversation whose wait is over, oldest first, until one must
        wait again. Returns how many were taken in."""
        taken = 0
        for cid in await self.r.zrangebyscore(self.k.channel_deferred, "-inf", time.time(), start=0, num=limit):
            lock, token = self.k.channel_deferred_lock(cid), uuid.uuid4().hex
            if not await self.r.set(lock, token, nx=True, px=int(DEFER_LOCK_SECONDS * 1000)):
                continue  # another worker has it
            try:
                queue = self.k.channel_deferred_queue(cid)
                while (raw := await self.r.lindex(queue, 0)) is not None:
                    item = json.loads(raw)
                    channel = channels.get(item["channel"])
                    if channel is None:
                        log.warning("deferred %s messages of %s wait for a hub with that channel configured", item["channel"], cid)
                        await self.r.zadd(self.k.channel_deferred, {cid: time.time() + 60}, xx=True)
                        break
                    try:
                        receipt = await self.receive(channel, Inbound(**item["inbound"]), written_at=item["written_at"], deferrals=item["deferrals"])
                    except RedisError:
                        raise  # still at the head: taken again on the next round
                    except Exception:
                        log.exception("a deferred %s message of %s could not be taken in; dropped", item["channel"], cid)
                        receipt = Receipt(None)
                    if receipt.deferred:
                        break  # still over the limit: due again after the new wait
                    await self.r.lpop(queue)
                    taken += 1
                await self._forget_if_empty(keys=[queue, self.k.channel_deferred], args=[cid])
            finally:
                await self._release(keys=[lock], args=[token])
        return taken

    async def run_deferred(self, channels: dict[str, Channel], poll_seconds: float = 1.0) -> None:
        """Every hub worker with channels: take deferred messages again when their wait is over."""
        await every(poll_seconds, lambda: self.retry_deferred(channels), "deferred channel messages")

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
            await self.orchestrator.desk.rate(conv, score)  # the ticket is rated too, as from the web chat
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
