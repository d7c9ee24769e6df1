"""The conversation service: every customer message is stored first, then routed to whoever owns the chat.

Owner ``bot``: the message goes to Rasa and the replies are stored. Owner
``queued``/``assigned``: it goes to the agents only; the bot stays silent. A
Rasa that is down, slow or silent never drops the message: the customer is
told and the conversation is queued for a human.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from fastapi.concurrency import run_in_threadpool

from bot.rasa_client import BotUnavailable, RasaClient
from bot.texts import say
from core.language import detect_language
from handoff.conversations import ConversationStore
from handoff.models import Conversation, HandoffPacket, Message
from handoff.queue import HandoffQueue, QueueSpot
from kb.gaps import GapLog

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    message: Message
    replies: list[Message] = field(default_factory=list)
    conversation: Conversation | None = None
    duplicate: bool = False


class Orchestrator:
    def __init__(self, conversations: ConversationStore, queue: HandoffQueue, rasa: RasaClient, gaps: GapLog | None = None) -> None:
        self.conversations = conversations
        self.queue = queue
        self.rasa = rasa
        self.gaps = gaps  # where questions the bot could not answer are recorded for editors

    async def customer_message(self, conv: Conversation, text: str, *, client_message_id: str | None = None, payload: str | None = None) -> Outcome:
        if client_message_id:
            existing = await self.conversations.message_for_client_id(conv.id, client_message_id)
            if existing:
                return Outcome(existing, [], conv, duplicate=True)
        language = detect_language(text, default=conv.language)
        message = await self.conversations.append(conv.id, "customer", text, channel=conv.channel, client_message_id=client_message_id, meta={"language": language})
        if conv.status == "resolved":
            await self.queue.reopen(conv.id)
            await self.rasa.set_slot(conv.id, "failed_attempts", 0)
        conv = await self.conversations.get(conv.id) or conv
        if conv.status in ("queued", "assigned"):
            await self.conversations.publish_agents({"type": "customer_message", "conversation_id": conv.id, "agent": conv.agent})
            return Outcome(message, [], conv)
        replies = await self._ask_bot(conv, payload or text, language)
        return Outcome(message, replies, await self.conversations.get(conv.id))

    async def _ask_bot(self, conv: Conversation, text: str, language: str) -> list[Message]:
        metadata = {"language": language, "channel": conv.channel, "customer_tier": conv.customer_tier}
        try:
            turn = await self.rasa.send(conv.id, text, metadata)
        except BotUnavailable as exc:
            log.warning("conversation %s: bot unavailable: %s", conv.id, exc)
            note = await self.conversations.append(conv.id, "system", say("bot_unavailable", language), channel=conv.channel, meta={"kind": "bot_unavailable"})
            packet = HandoffPacket(reason="bot_unavailable", language=language, customer_tier=conv.customer_tier, summary=text[:300], last_customer_message=text, created_at=time.time())
            return [note, *await self.escalate(conv, packet)]
        misses = [t.get("query") for t in turn.kb_turns if t.get("decision") == "fallback" and t.get("query")]
        if misses and self.gaps is not None:
            await run_in_threadpool(lambda: [self.gaps.record(q, language, "fallback", conv.id) for q in misses])
        replies = []
        for reply in turn.replies:
            meta = {**reply.meta, "language": language}
            meta.setdefault("intent", turn.intent)
            meta.setdefault("confidence", turn.confidence)
            if reply.buttons:
                meta["buttons"] = reply.buttons
            replies.append(await self.conversations.append(conv.id, "bot", reply.text, channel=conv.channel, meta=meta))
        if turn.handoff is not None:
            packet = HandoffPacket(**{"reason": "customer_request", "language": language, "customer_tier": conv.customer_tier, **turn.handoff, "created_at": time.time()})
            replies += await self.escalate(conv, packet)
        return replies

    async def escalate(self, conv: Conversation, packet: HandoffPacket) -> list[Message]:
        result = await self.queue.escalate(conv, packet)
        if not result.ok:
            return []
        await self.rasa.set_slot(conv.id, "failed_attempts", 0)
        spot = await self.queue.spot(conv.id)
        return [await self.conversations.append(conv.id, "system", queue_text(spot, packet.language), channel=conv.channel, meta={"kind": "queued", **(spot.__dict__ if spot else {})})]


def queue_text(spot: QueueSpot | None, language: str) -> str:
    if spot is None or spot.agents_online == 0:
        return say("queued_nobody_online", language)
    minutes = max(1, round(spot.estimated_wait_seconds / 60))
    return say("queued", language, position=spot.position, ahead=spot.position - 1, minutes=minutes)
