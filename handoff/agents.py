"""Agent accounts (argon2-hashed passwords), login sessions, presence and capacity.

Hashing a password costs ~50 ms of CPU and ~60 MB: it runs in worker threads,
a few at a time, so a burst of logins queues behind itself instead of freezing
every other request on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from typing import Literal

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, Field

from core.redis import Keys

Role = Literal["agent", "editor", "admin"]
Presence = Literal["online", "away", "offline"]

_hasher = PasswordHasher()


class Agent(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_.\-]{2,40}$")
    display_name: str
    role: Role = "agent"
    capacity: int = 3
    skills: list[str] = Field(default_factory=list)  # categories or languages this agent takes
    presence: Presence = "offline"


class AgentDirectory:
    def __init__(self, client: aioredis.Redis, keys: Keys, *, hash_concurrency: int = 2) -> None:
        self.r = client
        self.k = keys
        self._hashing = asyncio.Semaphore(hash_concurrency)

    async def _off_loop(self, fn, *args):
        async with self._hashing:
            return await asyncio.to_thread(fn, *args)

    async def create(self, agent: Agent, password: str) -> None:
        if len(password) < 8:
            raise ValueError("password must be at least 8 characters")
        password_hash = await self._off_loop(_hasher.hash, password)
        fields = {**{k: (json.dumps(v) if isinstance(v, list) else str(v)) for k, v in agent.model_dump().items()}, "password_hash": password_hash}
        await self.r.hset(self.k.agent(agent.username), mapping=fields)
        await self.r.sadd(self.k.agents, agent.username)

    async def remove(self, username: str) -> bool:
        await self.r.srem(self.k.agents, username)
        return bool(await self.r.delete(self.k.agent(username)))

    async def get(self, username: str) -> Agent | None:
        raw = await self.r.hgetall(self.k.agent(username))
        if not raw:
            return None
        raw["skills"] = json.loads(raw.get("skills") or "[]")
        return Agent(**{k: v for k, v in raw.items() if k in Agent.model_fields})

    async def all(self) -> list[Agent]:
        names = sorted(await self.r.smembers(self.k.agents))
        return [a for a in [await self.get(n) for n in names] if a]

    async def verify_password(self, username: str, password: str) -> Agent | None:
        stored = await self.r.hget(self.k.agent(username), "password_hash")
        if not stored:
            await self._off_loop(_hasher.hash, password)  # same cost as a real check: do not reveal which usernames exist
            return None
        try:
            await self._off_loop(_hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return await self.get(username)

    async def set_presence(self, username: str, presence: Presence) -> None:
        await self.r.hset(self.k.agent(username), "presence", presence)

    async def load(self, username: str) -> int:
        return int(await self.r.scard(self.k.agent_chats(username)))

    async def chats(self, username: str) -> set[str]:
        return set(await self.r.smembers(self.k.agent_chats(username)))

    # sessions: opaque bearer tokens, stored hashed, expiring
    async def open_session(self, username: str, ttl_seconds: int) -> str:
        token = secrets.token_urlsafe(32)
        await self.r.set(self.k.session(_digest(token)), username, ex=ttl_seconds)
        return token

    async def session_user(self, token: str) -> Agent | None:
        username = await self.r.get(self.k.session(_digest(token)))
        return await self.get(username) if username else None

    async def close_session(self, token: str) -> None:
        await self.r.delete(self.k.session(_digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
