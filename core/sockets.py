"""How many WebSockets are open at once, per chat, per client address and per agent, across every hub worker.

The rate of opening sockets is limited elsewhere (``hub/middleware/rate_limit.py``); this bounds how many stay open.
Each open socket is a member of one sorted set per thing it counts under (``Keys.open_sockets(scope, ident)``),
scored by when its lease lapses. The hub worker holding the socket renews all of its sockets' leases in one round
trip every third of a lease (``renew_all``, run by ``hub/services.py``) and removes them when they close. A worker
killed with sockets open removes nothing: its leases lapse, and lapsed members are pruned before each count, so a
crash never leaves a chat or an address stuck at its limit (a plain counter, incremented at open and decremented at
close, would have stayed up for ever, as the console counter once did: ``handoff/consoles.py``).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from core.redis import Keys

# Admit a socket under every limit at once, or under none.
# KEYS[i]  the open-socket set of limit i
# ARGV[1]  the socket's id   ARGV[2] now (ms)   ARGV[3] when its lease lapses (ms)   ARGV[4] the sets' time to live (ms)
# ARGV[4 + i]  limit i: how many may be open at once
# Returns 0 (admitted: added to every set), or the index of the first limit that is full (added to none).
_ADMIT = """
local sid, now, lapses, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[4 + i]) then return i end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, lapses, sid)
  redis.call('PEXPIRE', key, ttl)
end
return 0
"""


@dataclass(frozen=True)
class Cap:
    """One limit a socket counts under: ``scope`` (what is counted: "conversation", "address", "agent"), whose."""

    scope: str
    ident: str
    limit: int


class TooManySockets(Exception):
    """The socket would be one too many under ``cap``: nothing was counted."""

    def __init__(self, cap: Cap) -> None:
        super().__init__(f"too many open connections {REASONS.get(cap.scope, 'here')}")
        self.cap = cap


# The close reason's tail per scope; the pages recognise the reason by its start, "too many open connections".
REASONS = {"conversation": "to this chat", "address": "from this address", "agent": "for this agent"}


class OpenSockets:
    def __init__(self, client: aioredis.Redis, keys: Keys, *, lease_seconds: float = 60.0) -> None:
        self.r = client
        self.k = keys
        self.lease_seconds = lease_seconds
        self._admit = client.register_script(_ADMIT)
        self._held: dict[str, list[str]] = {}  # this worker's open sockets: id -> the sets they are counted in

    @property
    def renew_every(self) -> float:
        """Three renewals per lease: one missed (a slow moment, a Redis blip) does not lapse it."""
        return self.lease_seconds / 3

    async def admit(self, caps: list[Cap]) -> str:
        """Count a socket that just connected under every cap; returns its id (give it to ``release`` when it closes).
        Raises ``TooManySockets`` with the first cap that is full, counting it under none."""
        sid = secrets.token_hex(8)
        keys = [self.k.open_sockets(c.scope, c.ident) for c in caps]
        now = time.time()
        full = int(await self._admit(keys=keys, args=[sid, int(now * 1000), int((now + self.lease_seconds) * 1000),
                                                      self._ttl_ms(), *(c.limit for c in caps)]))
        if full:
            raise TooManySockets(caps[full - 1])
        self._held[sid] = keys
        return sid

    async def renew_all(self) -> None:
        """Keep every socket this worker holds counted for another lease, in one round trip: one ZADD and one PEXPIRE
        per set, however many of this worker's sockets are in it."""
        if not self._held:
            return
        lapses = (time.time() + self.lease_seconds) * 1000
        held: dict[str, list[str]] = {}  # each set once, with this worker's sockets in it (an address's: hundreds)
        for sid, keys in self._held.items():
            for key in keys:
                held.setdefault(key, []).append(sid)
        ttl = self._ttl_ms()
        pipe = self.r.pipeline(transaction=False)
        for key, sids in held.items():
            # Only a socket still counted: one released meanwhile (or whose chat was erased, and its key with it:
            # Keys.of_conversation) is not counted again. A lease that lapsed while this worker stalled past it,
            # and was pruned, is not either: that socket no longer counts, which errs on the side of letting in.
            pipe.zadd(key, dict.fromkeys(sids, lapses), xx=True)
            pipe.pexpire(key, ttl)
        await pipe.execute()

    async def release(self, sid: str) -> None:
        """The socket closed: it no longer counts."""
        keys = self._held.pop(sid, [])
        if keys:
            pipe = self.r.pipeline(transaction=False)
            for key in keys:
                pipe.zrem(key, sid)
            await pipe.execute()

    def _ttl_ms(self) -> int:
        """A set nobody renews (every socket in it closed, or its worker died) goes away after two leases."""
        return int(self.lease_seconds * 2000) + 1000
