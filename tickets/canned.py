"""Canned replies: answers agents send often, in Chinese and English, found by words or typed as ``/shortcut``.

Admins manage them (the console's "Canned replies" view, ``./cs canned``); agents search and insert them. Stored as
one Redis hash (a shop has tens or hundreds, not millions). A new install gets a few starter replies
(``data/canned/starter.json``) once: ``seed`` records that it ran, so an admin who edits or deletes them never gets
them back on a restart.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import redis.asyncio as aioredis
from pydantic import BaseModel, Field, field_validator

from core.errors import Conflict
from core.redis import Keys

STARTER = Path(__file__).resolve().parents[1] / "data" / "canned" / "starter.json"
SHORTCUT_PATTERN = r"^[a-z0-9_-]{1,30}$"
TITLE_MAX = 100
TEXT_MAX = 2000

# KEYS: the replies' hash, the "seeded" marker. ARGV: when (seconds), then id, JSON pairs of the starter replies.
# Returns -1: seeded before (nothing done); 0: replies existed already (marked, nothing added); n: n replies added.
SEED = """
local replies, marker = KEYS[1], KEYS[2]
local when = ARGV[1]
if redis.call('EXISTS', marker) == 1 then return -1 end
if redis.call('HLEN', replies) > 0 then
  redis.call('SET', marker, 'existing:' .. when)
  return 0
end
local added = 0
for i = 2, #ARGV, 2 do
  redis.call('HSET', replies, ARGV[i], ARGV[i + 1])
  added = added + 1
end
redis.call('SET', marker, 'starters:' .. when)
return added
"""


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def plain_shortcut(value: str) -> str:
    """A shortcut as it is stored: "/Hello " as an admin may type it is "hello" (agents type it after a "/")."""
    return value.strip().removeprefix("/").lower()


class ShortcutTaken(Conflict):
    """Another reply of the same language already has this shortcut (``/hi`` would be ambiguous)."""


class CannedReply(BaseModel):
    id: str = Field(default_factory=new_id)
    shortcut: str = Field(pattern=SHORTCUT_PATTERN, description='typed as "/shortcut" in the reply box (a leading "/" and capitals are dropped)')
    language: str = Field(pattern=r"^(en|zh)$")
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    text: str = Field(min_length=1, max_length=TEXT_MAX)

    @field_validator("shortcut", mode="before")
    @classmethod
    def _plain_shortcut(cls, value: object) -> object:
        return plain_shortcut(value) if isinstance(value, str) else value

    @field_validator("title", "text", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value  # only spaces is empty, not a reply


def load_starters(path: Path = STARTER) -> list[CannedReply]:
    """The starter replies shipped with the product (a list of shortcut, language, title, text)."""
    return [CannedReply(**row) for row in json.loads(path.read_text(encoding="utf-8"))]


class CannedReplies:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.r = client
        self.key = keys.canned_replies
        self.seeded_key = keys.canned_seeded
        self._seed = client.register_script(SEED)

    async def all(self) -> list[CannedReply]:
        return sorted((CannedReply(**json.loads(v)) for v in (await self.r.hgetall(self.key)).values()), key=lambda c: (c.shortcut, c.language))

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
        clash = next((c for c in await self.by_shortcut(reply.shortcut, reply.language) if c.id != reply.id), None)
        if clash:
            raise ShortcutTaken(f'/{reply.shortcut} already exists in {reply.language} ("{clash.title}")')
        await self.r.hset(self.key, reply.id, reply.model_dump_json())
        return reply

    async def get(self, reply_id: str) -> CannedReply | None:
        raw = await self.r.hget(self.key, reply_id)
        return CannedReply(**json.loads(raw)) if raw else None

    async def by_shortcut(self, shortcut: str, language: str | None = None) -> list[CannedReply]:
        """The replies called ``/shortcut`` (typed as an admin may: ``plain_shortcut``), in ``language`` or in each."""
        wanted = plain_shortcut(shortcut)
        return [c for c in await self.all() if c.shortcut == wanted and (language is None or c.language == language)]

    async def delete(self, reply_id: str) -> bool:
        return bool(await self.r.hdel(self.key, reply_id))

    async def seed(self, starters: list[CannedReply]) -> int:
        """First run only: the starters go in if there are no replies yet, and the marker says it happened, so this
        never adds them again (not after an admin deleted them all, not on the next start). -1: seeded before;
        0: the shop had replies of its own (now marked); n: n starters added. One script: two hubs starting at once
        seed once."""
        pairs = [part for reply in starters for part in (reply.id, reply.model_dump_json())]
        return int(await self._seed(keys=[self.key, self.seeded_key], args=[f"{time.time():.0f}", *pairs]))
