"""Customers' helpful / not helpful votes on bot answers.

A vote is kept per conversation (the handoff packet shows the agent which
answers did not help) and, when it is "not helpful", per question across all
conversations (the editor's content gaps link to the answer that was voted
down). The bot's follow-up to a vote lives in ``bot/feedback.py``.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis
from pydantic import BaseModel

from core.redis import Keys
from handoff import scripts
from handoff.models import VotedAnswer


class VotedDown(BaseModel):
    """One question whose answer customers voted not helpful, with the answer and how often."""

    question: str
    language: str
    entry_id: str
    entry_question: str = ""
    votes: int
    last_at: float


class AnswerVotes:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.r = client
        self.k = keys
        self._record = self.r.register_script(scripts.RECORD_VOTE)

    async def record(self, cid: str, helpful: bool, answer: VotedAnswer) -> bool:
        """Keep the vote, unless the conversation is gone (erased meanwhile): returns whether it was kept."""
        vote = json.dumps({"helpful": helpful, **answer.model_dump()}, ensure_ascii=False)
        if not await self._record(keys=[self.k.conv(cid), self.k.answer_votes(cid)], args=[answer.message_id, vote]):
            return False
        if not helpful and answer.question and answer.entry_id:
            await self._count_down(answer)
        return True

    async def _count_down(self, answer: VotedAnswer) -> None:
        raw = await self.r.hget(self.k.voted_down, answer.question)
        before = VotedDown.model_validate_json(raw) if raw else None
        same_entry = before is not None and before.entry_id == answer.entry_id
        row = VotedDown(question=answer.question, language=answer.language, entry_id=answer.entry_id, entry_question=answer.entry_question,
                        votes=(before.votes if same_entry else 0) + 1, last_at=answer.ts)
        await self.r.hset(self.k.voted_down, answer.question, row.model_dump_json())

    async def not_helpful(self, cid: str) -> list[VotedAnswer]:
        """This conversation's answers voted not helpful, oldest first (a later "helpful" on the same answer wins)."""
        rows = [json.loads(v) for v in (await self.r.hgetall(self.k.answer_votes(cid))).values()]
        return sorted((VotedAnswer(**{k: v for k, v in row.items() if k != "helpful"}) for row in rows if not row.get("helpful")), key=lambda a: a.ts)

    async def voted_down(self) -> list[VotedDown]:
        """Every question whose answer was voted not helpful, most votes first."""
        rows = [VotedDown.model_validate_json(v) for v in (await self.r.hgetall(self.k.voted_down)).values()]
        return sorted(rows, key=lambda v: (v.votes, v.last_at), reverse=True)
