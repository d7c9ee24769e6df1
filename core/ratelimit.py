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

# Count one hit in each counter, in a window that starts with its first hit. One round trip for every
# limit a request is under (a customer message is under three).
# KEYS[i] counter   ARGV[i] its window length (ms)
# Returns {hits so far in counter 1's window, ms until it ends, hits of counter 2, ...}.
_HIT = """
local out = {}
for i, counter in ipairs(KEYS) do
  local window = tonumber(ARGV[i])
  local hits = redis.call('INCR', counter)
  if hits == 1 then redis.call('PEXPIRE', counter, window) end
  local left = redis.call('PTTL', counter)
  if left < 0 then redis.call('PEXPIRE', counter, window); left = window end
  out[#out + 1] = hits
  out[#out + 1] = left
end
return out
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
        return await self.hit_all([(scope, ident, limit)])

    async def hit_all(self, hits: list[tuple[str, str, Limit]]) -> int:
        """Count one hit under each ``(scope, identity, limit)`` in one round trip; 0 if all allow it, else the longest wait."""
        if not hits:
            return 0
        counts = await self._hit(keys=[self.k.rate(scope, ident) for scope, ident, _ in hits],
                                 args=[limit.seconds * 1000 for _, _, limit in hits])
        waits = [0 if int(n) <= limit.count else max(1, math.ceil(int(left_ms) / 1000))
                 for (_, _, limit), n, left_ms in zip(hits, counts[::2], counts[1::2])]
        return max(waits)
