"""Rate limits that hold across every hub worker: fixed-window counters in Redis.

A limit is "N per S seconds" (``Limit.parse("20/600")``). Each hit counts in
the current window of its (scope, identity) key; past N the caller is told how
many seconds remain until the window ends (the ``Retry-After``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import redis.asyncio as aioredis

from core.redis import Keys

# Count one hit in a window that starts with the first hit.
# KEYS[1] counter   ARGV[1] window length (ms)
# Returns {hits so far in this window, ms until the window ends}.
_HIT = """
local counter, window = KEYS[1], tonumber(ARGV[1])
local hits = redis.call('INCR', counter)
if hits == 1 then redis.call('PEXPIRE', counter, window) end
local left = redis.call('PTTL', counter)
if left < 0 then redis.call('PEXPIRE', counter, window); left = window end
return {hits, left}
"""


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Limit":
        count, _, seconds = text.partition("/")
        return cls(int(count), int(seconds or 60))


class RateLimiter:
    def __init__(self, client: aioredis.Redis, keys: Keys) -> None:
        self.k = keys
        self._hit = client.register_script(_HIT)

    async def hit(self, scope: str, ident: str, limit: Limit) -> int:
        """Count one hit; 0 if allowed, else the seconds to wait."""
        hits, left_ms = await self._hit(keys=[self.k.rate(scope, ident)], args=[limit.seconds * 1000])
        return 0 if int(hits) <= limit.count else max(1, math.ceil(int(left_ms) / 1000))
