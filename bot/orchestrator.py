"""The conversation service: every customer message is stored first, then routed to whoever owns the chat.

Owner ``bot``: the message goes to Rasa and the replies are stored. Owner
``queued``/``assigned``: it goes to the agents only; the bot stays silent. A
Rasa that is down, slow or silent never drops the message: the customer is
told and the conversation is queued for a human.

Turns are processed one at a time per conversation (``bot/turns.py``), and
every bot reply is appended only if the bot still owns the conversation in the
episode it started answering in: one speaker at a time.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from fastapi.concurrency import run_in_threadpool
from redis.exceptions import RedisError

from bot.feedback import with_person_choice
from bot.language_slot import LanguageSlot
from bot.query_prefetch import QueryPrefetch
from bot.rasa_client import BotTurn, BotUnavailable, RasaClient, as_typed
from bot.ratings import typed_score
from bot.thanks import only_thanks
from bot.turns import TurnOutcome, TurnQueue
from core import clock, telemetry
from core.errors import ServiceError, UnknownConversation
from core.language import detect_language, is_command
from core.redis import Keys
from handoff.conversations import ConversationStore, Guard, conversation_from_hash
from handoff.events import Event, Frame
from handoff.models import HUMAN_PAYLOAD, Conversation, HandoffPacket, Message
from handoff.notices import say
from kb.gaps import GapLog
from tickets.desk import TicketDesk

log = logging.getLogger(__name__)
OFFERS_LOOKBACK = 50  # messages back in which a button the bot showed can still be pressed
SAID_LOOKAHEAD = 50  # messages after a customer's in which a turn run again looks for what it had said


@dataclass
class Outcome:
    message: Message
    replies: list[Message] = field(default_factory=list)
    conversation: Conversation | None = None
    duplicate: bool = False
    pending: bool = False  # the turn was not finished in time; its replies will still come (WebSocket, transcript)


class Orchestrator:
    def __init__(
        self, client: aioredis.Redis, keys: Keys, conversations: ConversationStore, desk: TicketDesk, rasa: RasaClient,
        gaps: GapLog | None = None, *, turn_lock_seconds: float = 10.0, turn_wait_seconds: float = 30.0,
        tracker_ttl_seconds: int = 2 * 24 * 3600, prefetch: QueryPrefetch | None = None,
    ) -> None:
        self.conversations = conversations
        self.desk = desk  # escalations become tickets, pushed to an agent (tickets/desk.py)
        self.rasa = rasa
        # The slot's memory expires an hour before Rasa's tracker, so it never claims a slot a vanished tracker lost.
        self.language_slot = LanguageSlot(client, keys, rasa, tracker_ttl_seconds - 3600)
        self.gaps = gaps  # where questions the bot could not answer are recorded for editors
        self.prefetch = prefetch  # the message's embedding, started beside Rasa's turn (bot/query_prefetch.py)
        self.turns = TurnQueue(client, keys, self._turn, lock_seconds=turn_lock_seconds)
        self.turn_wait_seconds = turn_wait_seconds

    async def started(self, conv: Conversation) -> None:
        """A web chat just opened: tell Rasa its language now, while the customer types (best effort)."""
        await self.language_slot.prepare(conv.id, conv.language)

    async def customer_message(self, conv: Conversation, text: str, *, client_message_id: str | None = None, payload: str | None = None) -> Outcome:
        """Store the message, then wait for its turn's outcome (processing it here if no one else is).

        A retry with a ``client_message_id`` seen before stores nothing and returns
        the original turn's replies, waiting for them if that turn is still running.
        A ``payload`` is a command to Rasa, so only one the bot offered in this chat is
        sent; any other is dropped and the button's text read as typed.
        """
        if payload is not None and not await self._offered(conv.id, payload):
            payload = None
        message, duplicate = await self.accept(conv, text, client_message_id=client_message_id, payload=payload, reads_transcript=True)
        turn = await self.turns.settle(conv.id, message.id, self.turn_wait_seconds)
        after = conversation_from_hash(turn.conversation) if turn is not None and turn.conversation is not None else await self.conversations.get(conv.id)
        return Outcome(message, await self.replies(conv.id, turn), after, duplicate=duplicate, pending=turn is None)

    async def replies(self, cid: str, turn: TurnOutcome | None) -> list[Message]:
        """What a turn said: as kept by the worker that ran it here, else read back (another worker ran it)."""
        if turn is None:
            return []
        return turn.messages if turn.messages is not None else await self.conversations.messages_by_id(cid, turn.ids)

    async def accept(self, conv: Conversation, text: str, *, client_message_id: str | None = None, payload: str | None = None,
                     channel: str | None = None, reads_transcript: bool = False, too_long: bool = False,
                     edited_of: str | None = None) -> tuple[Message, bool]:
        """Store the message and queue its turn, without waiting for it: ``(message, duplicate)``.

        Messaging channels (``bot/channels/``) answer their webhook once the message
        is safe, and the turn's replies reach the customer through the outbox.
        ``channel``: where this message came from, if not the conversation's own channel.
        ``reads_transcript``: the customer wrote from the web chat, which shows the transcript
        itself: a linked customer who wrote from a messaging channel before gets the replies here now.
        ``too_long``: longer than the web chat accepts (``Settings.max_message_chars``), from a channel that cannot be
        told so: stored whole, and its turn passes it to a person instead of the bot (``_pass_long_message``).
        ``edited_of``: the customer edited an earlier message on their channel (the id of that line, "" if it is not in
        this conversation): a new message, answered like any, marked ``meta.edited_of`` for the agent.
        """
        # A button's title or a command says nothing of the customer's language; links, codes and product names
        # neither (core/language.py): the conversation keeps its language unless the customer wrote real words.
        language = conv.language if payload or is_command(text) else detect_language(text, default=conv.language)
        meta = {"language": language, **({"payload": payload} if payload else {}), **({"too_long": True} if too_long else {}),
                **({"edited_of": edited_of} if edited_of is not None else {})}
        return await self.conversations.append_customer(conv.id, text, channel=channel or conv.channel, client_message_id=client_message_id, meta=meta,
                                                        reads_transcript=reads_transcript, language=language)

    async def _turn(self, message: Message, fields: dict[str, str], taken: int = 1) -> list[Message]:
        """One customer turn, run by whoever holds the conversation's turn lock (``fields``: the conversation as the
        turn was taken, read in the same step; ``taken``: more than 1 when a worker began it and died)."""
        conv = conversation_from_hash(fields)
        if conv is None:
            raise UnknownConversation()
        if taken > 1 and (said := await self._said(conv, message)):
            return said
        language = message.meta.get("language") or conv.language
        if conv.status == "bot" and not conv.ticket_id:  # no person has or had it: nobody can be closing it
            conv, notices, reopened = await self._arrive(conv, language, message)
        else:
            async with self.desk.closing(conv.id):  # an agent resolving right now finishes first; held for Redis calls only
                conv, notices, reopened = await self._arrive(await self.conversations.require(conv.id), language, message)
        if notices is not None:
            return notices
        if reopened:
            await self.rasa.set_slot(conv.id, "failed_attempts", 0)
        if conv.status in ("queued", "assigned"):
            await self.conversations.publish_agents({"type": Frame.CUSTOMER_MESSAGE, "conversation_id": conv.id, "agent": conv.agent})
            return []
        if message.meta.get("too_long") and not message.meta.get("payload"):
            return await self._pass_long_message(conv, message, language)
        return await self._ask_bot(conv, message.meta.get("payload") or as_typed(message.text), language, turn_id=message.id)

    async def _pass_long_message(self, conv: Conversation, message: Message, language: str) -> list[Message]:
        """A message longer than the web chat accepts, from a messaging channel (which has no way to refuse it): a
        pasted complaint or a whole story, not a question the bot can match (it would only say it did not understand).
        A person reads it: the customer is told so, and the chat is handed over with the message as its summary."""
        packet = HandoffPacket(reason="long_message", language=language, customer_tier=conv.customer_tier, summary=message.text[:300],
                               last_customer_message=message.text, created_at=clock.now())
        await self.conversations.save_packet(conv.id, packet)  # before the note, as for any hand-over (``_said``)
        note = await self.conversations.append(conv.id, "system", say("long_message", language), channel=conv.channel,
                                               meta={"kind": "long_message", "turn": message.id}, guard=Guard(frozenset({"bot"}), epoch=conv.epoch))
        if note is None:
            return []
        return [note, *await self.desk.escalate(conv, packet, epoch=conv.epoch)]

    async def _said(self, conv: Conversation, message: Message) -> list[Message]:
        """What a turn begun by a worker that died had already said (its messages carry the turn's id): said
        once, not again. A hand-over the bot had decided (its packet saved before the replies) still happens."""
        after = await self.conversations.messages(conv.id, after=message.id, limit=SAID_LOOKAHEAD)
        said = [m for m in after if m.meta.get("turn") == message.id]
        if not said:
            return []
        log.warning("conversation %s: turn %s was answered before its worker stopped; not answered again", conv.id, message.id)
        packet = await self.conversations.packet(conv.id) if conv.status in ("bot", "queued", "assigned") else None
        if packet is None or packet.created_at < message.ts:
            return said
        if conv.status == "bot":
            return said + await self.desk.escalate(conv, packet, epoch=conv.epoch)
        if conv.status == "assigned":  # pushed to an agent: the worker may have died before the ticket said so
            await self.desk.settle(conv.id, by="routing")
            return said
        # Queued already: the worker died after the move to the queue, maybe before the ticket, the notice or the push.
        told = any(m.sender == "system" and m.meta.get("kind") in ("queued", "offline") for m in after)
        return said + await self.desk.queued(conv, packet, conv.epoch, told=told)

    async def _last_written(self, cid: str) -> str:
        """The customer's last message of their own words (a button pressed is not one), for the agent's packet."""
        return next((m.text for m in await self.conversations.recent(cid, OFFERS_LOOKBACK) if m.sender == "customer" and not m.meta.get("payload")), "")

    async def _offered(self, cid: str, payload: str) -> bool:
        """Whether the bot showed a button with this payload in the chat's recent messages (asking for a person always may)."""
        if payload == HUMAN_PAYLOAD:
            return True
        return any(any(b.get("payload") == payload for b in m.meta.get("buttons") or ())
                   for m in await self.conversations.recent(cid, OFFERS_LOOKBACK) if m.sender in ("bot", "system"))

    async def _arrive(self, conv: Conversation, language: str, message: Message) -> tuple[Conversation, list[Message] | None, bool]:
        """Where a customer's message lands: ``(conversation as it now is, the desk's notices if a solved ticket
        reopened to the humans (or the reply to a thank-you after resolution), whether a resolved chat reopened to the bot)``."""
        await self.conversations.record_event(conv.id, Event.CUSTOMER_MESSAGE, language=language, to=conv.status)
        if conv.status == "resolved" and not message.meta.get("payload") and only_thanks(message.text):
            # "好的谢谢" after the agent resolved: courtesy, answered in kind; nothing reopens, nothing counts as a reopen.
            reply = await self.conversations.append(conv.id, "system", say("welcome_after_resolved", language), channel=conv.channel,
                                                    meta={"kind": "welcome_after_resolved", "turn": message.id},
                                                    guard=Guard(frozenset({"resolved"}), epoch=conv.epoch))
            return conv, [reply] if reply else [], False
        if conv.status == "resolved" and not message.meta.get("payload") and (score := typed_score(message.text)):
            # "5" or "五星" under "rate us from 1 to 5": the rating, typed (a messaging channel's choices are easy to miss).
            with suppress(ServiceError):  # no longer resolved (an agent reopened it): an ordinary message after all
                thanks = await self.desk.rate(conv, score, turn=message.id)
                return conv, [thanks] if thanks else [], False
        notices = await self.desk.customer_wrote(conv, language)  # a solved ticket reopens (to the humans); a pending one runs again
        if notices is not None or conv.status != "resolved":
            return conv, notices, False
        await self.desk.queue.reopen(conv.id)
        return await self.conversations.require(conv.id), None, True

    async def _send_to_rasa(self, conversation_id: str, text: str, language: str, metadata: dict) -> BotTurn:
        """The message to Rasa, with its embedding started beside it (``QueryPrefetch.beside``)."""
        async with self.prefetch.beside(conversation_id, text, language) if self.prefetch is not None else nullcontext():
            await self.language_slot.ensure(conversation_id, language)
            return await self.rasa.send(conversation_id, text, metadata)

    async def _ask_bot(self, conv: Conversation, text: str, language: str, *, turn_id: str = "") -> list[Message]:
        """``turn_id``: the customer message's id; what the bot says carries it, so a turn run again after a crash
        finds what it had said (``_said``)."""
        # Everything the bot says in this turn holds only while it still owns this episode.
        guard = Guard(frozenset({"bot"}), epoch=conv.epoch)
        metadata = {"language": language, "channel": conv.channel, "customer_tier": conv.customer_tier}
        try:
            turn = await self._send_to_rasa(conv.id, text, language, metadata)
        except RedisError:
            raise
        except Exception as exc:  # BotUnavailable, or a reply the hub cannot read: a human takes over
            if not isinstance(exc, BotUnavailable):
                log.exception("conversation %s: unreadable bot turn", conv.id)
            log.warning("conversation %s: bot unavailable: %s", conv.id, exc)
            written = text if not is_command(text) else await self._last_written(conv.id)  # never a button's payload
            packet = HandoffPacket(reason="bot_unavailable", language=language, customer_tier=conv.customer_tier, summary=written[:300],
                                   last_customer_message=written, created_at=clock.now())
            await self.conversations.save_packet(conv.id, packet)  # before the note, as for any hand-over (``_said``)
            note = await self.conversations.append(conv.id, "system", say("bot_unavailable", language), channel=conv.channel,
                                                   meta={"kind": "bot_unavailable", "turn": turn_id}, guard=guard)
            if note is None:
                return []
            await self.conversations.record_event(conv.id, Event.BOT_TURN, decision="unavailable", language=language)
            telemetry.BOT_DECISIONS.labels("unavailable").inc()
            return [note, *await self.desk.escalate(conv, packet, epoch=conv.epoch)]
        # Questions the knowledge base could not answer are content gaps. A turn handed over as a complaint is
        # not one (the person who takes it serves it), even from an action server that still reports it as a miss.
        complaint = turn.handoff is not None and turn.handoff.get("reason") == "complaint"
        misses = [] if complaint else [t.get("query") for t in turn.kb_turns if t.get("decision") == "fallback" and t.get("query")]
        if misses and self.gaps is not None:
            await run_in_threadpool(lambda: [self.gaps.record(q, language, "fallback", conv.id) for q in misses])
        decision = _decision(turn)
        bot_turn = {"decision": decision, "intent": turn.intent, "confidence": turn.confidence, "language": language}
        packet: HandoffPacket | None = None
        if turn.handoff is not None:  # saved before the replies: a turn run again after a crash still hands over
            packet = HandoffPacket(**{"reason": "customer_request", "language": language, "customer_tier": conv.customer_tier, **turn.handoff,
                                      "created_at": clock.now()})
            await self.conversations.save_packet(conv.id, packet)
        replies: list[Message] = []
        for i, reply in enumerate(turn.replies, 1):
            meta = {**reply.meta, "language": language, "turn": turn_id}
            meta.setdefault("intent", turn.intent)
            meta.setdefault("confidence", turn.confidence)
            if reply.buttons:
                meta["buttons"] = with_person_choice(reply.buttons, language)
            last = i == len(turn.replies)  # the turn's event goes with its last reply, in the same step
            appended = await self.conversations.append(conv.id, "bot", reply.text, channel=conv.channel, meta=meta, guard=guard,
                                                       event=(Event.BOT_TURN, bot_turn) if last else None)
            if appended is None:
                return replies  # the bot lost the conversation meanwhile: the rest is dropped too
            replies.append(appended)
        if not turn.replies:
            await self.conversations.record_event(conv.id, Event.BOT_TURN, **bot_turn)
        telemetry.BOT_DECISIONS.labels(decision).inc()
        if packet is not None:
            replies += await self.desk.escalate(conv, packet, epoch=conv.epoch)
        return replies


def _decision(turn) -> str:
    """What the bot did with the turn: its knowledge-base decision, a hand-over, or something else (a greeting)."""
    if turn.handoff is not None:
        return "handoff"
    decisions = [t.get("decision") for t in turn.kb_turns if t.get("decision")]
    return decisions[-1] if decisions else "other"
