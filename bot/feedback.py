"""A customer's vote on a bot answer, and what the bot offers after "not helpful".

"Not helpful" is never a dead end: the bot offers the next best answers it
found for the same question and a way to a person. The vote is kept for the
agent's handoff packet and for the editor (a content gap that links to the
answer voted down).
"""

from __future__ import annotations

import time

from fastapi.concurrency import run_in_threadpool

from handoff.conversations import ConversationStore, Guard
from handoff.events import Event
from handoff.models import HUMAN_PAYLOAD, Conversation, Message, VotedAnswer, stream_position
from handoff.notices import say
from handoff.votes import AnswerVotes
from kb.gaps import GapLog

ALTERNATIVES = 2  # next best answers offered after "not helpful"


def faq_payload(entry_id: str) -> str:
    """The payload that makes the bot answer with one entry (the format ``actions/faq.py`` builds its choices with)."""
    return '/faq{"faq_id":"%s"}' % entry_id


def with_person_choice(buttons: list[dict], language: str) -> list[dict]:
    """Every set of choices the bot offers ends with "none of these, talk to a person"."""
    if any(b.get("payload") == HUMAN_PAYLOAD for b in buttons):
        return buttons
    return [*buttons, {"title": say("choice_person", language), "payload": HUMAN_PAYLOAD}]


def answered_entry(meta: dict) -> str:
    """The knowledge-base entry a bot answer came from ("" if it was not a KB answer)."""
    hits = meta.get("hits") or []
    return meta.get("entry_id") or meta.get("chosen") or (hits[0]["id"] if hits and meta.get("decision") == "answer" else "")


class AnswerFeedback:
    def __init__(self, conversations: ConversationStore, votes: AnswerVotes, gaps: GapLog | None) -> None:
        self.conversations = conversations
        self.votes = votes
        self.gaps = gaps

    async def vote(self, conv: Conversation, message: Message, helpful: bool) -> Message | None:
        """Record the vote; after "not helpful" while the bot owns the chat, returns the bot's follow-up (also appended to the transcript)."""
        meta = message.meta
        language = meta.get("language") or conv.language
        question = await self._question(conv.id, message)
        entry_id = answered_entry(meta)
        entry_question = next((h.get("question", "") for h in meta.get("hits") or [] if h.get("id") == entry_id), "")
        answer = VotedAnswer(message_id=message.id, question=question, entry_id=entry_id, entry_question=entry_question, language=language, ts=time.time())
        await self.conversations.record_event(conv.id, Event.ANSWER_FEEDBACK, message_id=message.id, helpful=helpful, hits=meta.get("hits", []), question=question, entry_id=entry_id)
        await self.votes.record(conv.id, helpful, answer)
        if helpful:
            return None
        if question and self.gaps is not None:
            await run_in_threadpool(self.gaps.record, question, language, "not_helpful", conv.id)
        return await self._follow_up(conv, meta, entry_id, language)

    async def _question(self, cid: str, answer: Message) -> str:
        """What the customer asked: the bot's query, or (for an answer picked from choices) the question before the choices."""
        query = answer.meta.get("query") or ""
        if query and not query.startswith("/"):
            return query
        before = stream_position(answer.id)
        earlier = [m for m in await self.conversations.messages(cid) if stream_position(m.id) < before]
        asked = next((m for m in reversed(earlier) if m.sender == "customer" and not m.meta.get("payload")), None)
        return asked.text if asked else ""

    async def _follow_up(self, conv: Conversation, meta: dict, entry_id: str, language: str) -> Message | None:
        others = [h for h in meta.get("hits") or [] if h.get("id") and h["id"] != entry_id][:ALTERNATIVES]
        buttons = with_person_choice([{"title": h.get("question") or h["id"], "payload": faq_payload(h["id"])} for h in others], language)
        text = say("not_helpful_alternatives" if others else "not_helpful_person", language)
        # Only while the bot still owns the conversation: an agent who took over meanwhile speaks for it.
        return await self.conversations.append(conv.id, "bot", text, channel=conv.channel, meta={"kind": "not_helpful_follow_up", "language": language, "buttons": buttons},
                                               guard=Guard(frozenset({"bot"}), epoch=conv.epoch))
