"""Staff sign-in sessions: opaque bearer tokens, stored hashed, with an idle and an absolute expiry (OWASP ASVS V3).

A session ends when it has not been used for ``idle_seconds``, when it is
``absolute_seconds`` old whatever its use, at logout, and, for every session of
the account at once, when its password changes. An ending that someone caused
(logout, ``close_all``) is published on ``Keys.sessions_channel``: a console
WebSocket was let in by the session at connect, so every hub worker closes the
sockets of the sessions that ended (``hub/routes/agent.py:live``). One that
ends by itself (idle, too old) is found by the socket's own periodic check
(``Sessions.live``), which does not count as use.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time

import redis.asyncio as aioredis

from core.redis import Keys


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, client: aioredis.Redis, keys: Keys, *, idle_seconds: int, absolute_seconds: int) -> None:
        self.r = client
        self.k = keys
        self.idle = max(1, idle_seconds)
        self.absolute = max(self.idle, absolute_seconds)

    async def open(self, username: str) -> str:
        token = secrets.token_urlsafe(32)
        digest = _digest(token)
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.k.session(digest), mapping={"user": username, "created": str(time.time())})
        pipe.expire(self.k.session(digest), self.idle)
        pipe.sadd(self.k.agent_sessions(username), digest)
        pipe.expire(self.k.agent_sessions(username), self.absolute)
        await pipe.execute()
        return token

    async def user(self, token: str) -> str | None:
        """The username a live session belongs to (and the idle clock restarts), else ``None``."""
        key = self.k.session(_digest(token))
        raw = await self.r.hgetall(key)
        if not raw:
            return None
        if time.time() - float(raw.get("created") or 0) > self.absolute:
            await self.r.delete(key)
            return None
        await self.r.expire(key, self.idle)
        return raw.get("user")

    async def live(self, token: str) -> bool:
        """Whether the session has neither idled out nor grown too old, without counting as use: an open
        console socket is not the agent at work, and must not keep an abandoned session alive."""
        created = await self.r.hget(self.k.session(_digest(token)), "created")
        return created is not None and time.time() - float(created) <= self.absolute

    async def close(self, token: str, reason: str = "signed out") -> None:
        """End one session (logout); ``reason`` is what its open WebSockets are closed with."""
        digest = _digest(token)
        username = await self.r.hget(self.k.session(digest), "user")
        await self.r.delete(self.k.session(digest))
        if username:
            await self.r.srem(self.k.agent_sessions(username), digest)
            await self._ended(username, digest, reason)

    async def close_all(self, username: str, reason: str = "the account changed: sign in again") -> int:
        """End every session of an account (password changed or reset, role changed, account removed)."""
        digests = await self.r.smembers(self.k.agent_sessions(username))
        pipe = self.r.pipeline(transaction=True)
        for digest in digests:
            pipe.delete(self.k.session(digest))
        pipe.delete(self.k.agent_sessions(username))
        results = await pipe.execute()
        await self._ended(username, None, reason)
        return sum(1 for r in results[:-1] if r)

    async def _ended(self, username: str, digest: str | None, reason: str) -> None:
        """Tell every hub worker (``digest`` None: every session of the account)."""
        await self.r.publish(self.k.sessions_channel, json.dumps({"agent": username, "session": digest, "reason": reason}, ensure_ascii=False))

    @staticmethod
    def ends(item: dict, username: str, token: str) -> bool:
        """Whether an item published on ``sessions_channel`` ends the session of ``token`` (held by ``username``)."""
        return item.get("agent") == username and item.get("session") in (None, _digest(token))
