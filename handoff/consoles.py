"""Which agents have a console open: leases that lapse, so a hub worker that dies cannot keep an agent online.

Each open console WebSocket holds a lease, a member of the agent's sorted set scored by when it
lapses. Its hub worker renews it while the socket is open (``hub/routes/agent.py``) and gives it
back when the socket closes. A worker that is killed with sockets open gives nothing back: its
leases simply lapse, and the presence check (``tickets/desk.py``) counts only live ones. A plain
counter, incremented at open and decremented at close, stayed high for ever after such a crash,
and the agent stayed "online" with their chats.

A closed console's lease is not removed but ended (its score set to the moment it closed), and a
lapsed one stays too, for the grace period: an agent is *at a console* (``present``) while a lease
is live or ended less than the grace ago. Routing offers new chats only to agents at a console
(``handoff/agents.py``): one who signed in through the API alone, with no console, was counted
online and pushed chats that then waited for a console that never opened.
"""

from __future__ import annotations

import secrets
import time

import redis.asyncio as aioredis

from core.redis import Keys


class Consoles:
    def __init__(self, client: aioredis.Redis, keys: Keys, *, lease_seconds: float = 60.0, grace_seconds: float = 60.0) -> None:
        self.r = client
        self.k = keys
        self.lease_seconds = max(1.0, lease_seconds)
        self.grace_seconds = max(0.0, grace_seconds)  # how long an agent stays at a console after the last one ended

    @property
    def renew_every(self) -> float:
        """Renewing three times per lease: one missed renewal (a slow moment, a Redis blip) does not lapse it."""
        return self.lease_seconds / 3

    async def open(self, username: str) -> tuple[str, float]:
        """A new lease for a console that just connected: its id, and when it lapses unless renewed."""
        lease = secrets.token_hex(8)
        return lease, await self.renew(username, lease)

    async def renew(self, username: str, lease: str) -> float:
        """Keep ``lease`` live for another ``lease_seconds``; returns when it now lapses."""
        now = time.time()
        lapses = now + self.lease_seconds
        key = self.k.agent_consoles(username)
        pipe = self.r.pipeline(transaction=True)
        pipe.zadd(key, {lease: lapses})
        pipe.zremrangebyscore(key, "-inf", now - self.grace_seconds)  # leases that ended (or lapsed: a dead worker) longer ago
        pipe.expire(key, self._keep())  # and the whole set, once nobody renews anything
        await pipe.execute()
        return lapses

    async def close(self, username: str, lease: str) -> int:
        """End the lease (kept, ended now, for the grace period); returns how many live consoles the agent still has."""
        key = self.k.agent_consoles(username)
        now = time.time()
        pipe = self.r.pipeline(transaction=True)
        pipe.zadd(key, {lease: now}, xx=True)
        pipe.zcount(key, f"({now}", "+inf")
        pipe.expire(key, self._keep())
        return int((await pipe.execute())[1])

    async def live(self, username: str) -> int:
        """How many consoles of the agent hold a lease that has not lapsed or ended."""
        return int(await self.r.zcount(self.k.agent_consoles(username), f"({time.time()}", "+inf"))

    async def present(self, usernames: list[str]) -> list[bool]:
        """For each agent, whether they are at a console: one is open, or the last one ended within the grace period.
        One round trip, whatever the team's size."""
        since = f"({time.time() - self.grace_seconds}"
        pipe = self.r.pipeline(transaction=False)
        for name in usernames:
            pipe.zcount(self.k.agent_consoles(name), since, "+inf")
        return [int(n) > 0 for n in await pipe.execute()]

    def _keep(self) -> int:
        return int(self.lease_seconds * 2 + self.grace_seconds) + 1
