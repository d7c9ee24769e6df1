"""Canned replies: answers agents send often, in Chinese and English, found by words or typed as ``/shortcut``.

Admins manage them; agents search and insert them. Stored as one Redis hash
(a shop has tens or hundreds, not millions).
"""

from __future__ import annotations

import json
import uuid

import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from core.redis import Keys


class CannedReply(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    shortcut: str = Field(pattern=r"^[a-z0-9_-]{1,30}$", description='typed as "/shortcut" in the reply box')
    language: str = Field(pattern=r"^(en|zh)$")
    title: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=2000)


class CannedReplies:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.r = client
        self.key = keys.canned_replies

    async def all(self) -> list[CannedReply]:
        return sorted((CannedReply(**json.loads(v)) for v in (await self.r.hgetall(self.key)).values()), key=lambda c: (c.language, c.shortcut))

    async def search(self, q: str = "", language: str | None = None) -> list[CannedReply]:
        """Shortcut matches first, then title and text matches; ``q`` may start with "/"."""
        needle = q.strip().lower().removeprefix("/")
        found = [c for c in await self.all() if not language or c.language == language]
        if not needle:
            return found
        by_shortcut = [c for c in found if c.shortcut.startswith(needle)]
        by_words = [c for c in found if c not in by_shortcut and (needle in c.title.lower() or needle in c.text.lower())]
        return by_shortcut + by_words

    async def save(self, reply: CannedReply) -> CannedReply:
        clash = next((c for c in await self.all() if c.shortcut == reply.shortcut and c.language == reply.language and c.id != reply.id), None)
        if clash:
            raise ValueError(f'/{reply.shortcut} already exists in {reply.language} ("{clash.title}")')
        await self.r.hset(self.key, reply.id, reply.model_dump_json())
        return reply

    async def get(self, reply_id: str) -> CannedReply | None:
        raw = await self.r.hget(self.key, reply_id)
        return CannedReply(**json.loads(raw)) if raw else None

    async def delete(self, reply_id: str) -> bool:
        return bool(await self.r.hdel(self.key, reply_id))
