"""Failed sign-ins slow down, then lock, per account and per client address (OWASP ASVS V2.2).

Per account: the first ``free_attempts`` failures in a window cost nothing;
after that each failure makes the next attempt wait 1, 2, 4, ... seconds; at
``lock_after`` failures the account is locked for ``lock_seconds`` (an admin
can lift it earlier). Per address: ``address_lock_after`` failures lock that
address. While locked, even the right password is refused: the check comes
before the password is looked at.

Every attempt counts as a failure from the moment it is let in, in one script
with the check (``begin``), and a right password takes it back: checked first
and counted after the slow password hash, a burst of parallel guesses all
passed the check before any was counted, and the lock never came.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from core.redis import Keys

# KEYS: account lock, account failures, address lock, address failures.
# ARGV: window seconds, free attempts, account lock after, lock seconds, address lock after.
# Returns {0, scope index, ms left, lock value} when refused, else {1, scopes this attempt locked...}.
_BEGIN = """
for i = 1, 3, 2 do
  local left = redis.call('PTTL', KEYS[i])
  if left > 0 then return {0, (i + 1) / 2, left, redis.call('GET', KEYS[i])} end
end
local out = {1}
local window, free, lock_seconds = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local thresholds = {tonumber(ARGV[3]), tonumber(ARGV[5])}
for scope = 1, 2 do
  local lock, counter = KEYS[2 * scope - 1], KEYS[2 * scope]
  local failures = redis.call('INCR', counter)
  if failures == 1 then redis.call('EXPIRE', counter, window) end
  if failures >= thresholds[scope] then
    redis.call('SET', lock, 'locked', 'EX', lock_seconds)
    table.insert(out, scope)
  elseif scope == 1 and failures > free then
    redis.call('SET', lock, 'slowed', 'EX', 2 ^ math.min(failures - free - 1, 10))
  end
end
return out
"""
SCOPES = ("account", "address")


@dataclass(frozen=True)
class Refusal:
    scope: str  # "account" or "address"
    retry_after: int
    locked: bool  # locked (an admin can lift it) rather than just slowed down


@dataclass(frozen=True)
class Attempt:
    """An attempt let in: already counted as a failure; ``locks`` are the scopes it locked if it fails."""

    locks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LockoutPolicy:
    window_seconds: int = 900
    free_attempts: int = 5
    lock_after: int = 10
    lock_seconds: int = 900
    address_lock_after: int = 50


class LoginGuard:
    def __init__(self, client: aioredis.Redis, keys: Keys, policy: LockoutPolicy) -> None:
        self.r = client
        self.k = keys
        self.policy = policy
        self._begin = client.register_script(_BEGIN)

    @staticmethod
    def _ids(username: str, address: str) -> list[tuple[str, str]]:
        return [("account", username.strip().lower()), ("address", address)]

    async def begin(self, username: str, address: str) -> Refusal | Attempt:
        """Refuse while locked or slowed; else let the attempt in, counted as a failure until ``succeeded``."""
        keys = [key for scope, ident in self._ids(username, address) for key in (self.k.login_lock(scope, ident), self.k.login_failures(scope, ident))]
        p = self.policy
        out = await self._begin(keys=keys, args=[p.window_seconds, p.free_attempts, p.lock_after, p.lock_seconds, p.address_lock_after])
        if int(out[0]) == 0:
            value = out[3].decode() if isinstance(out[3], bytes) else out[3]
            return Refusal(SCOPES[int(out[1]) - 1], max(1, math.ceil(int(out[2]) / 1000)), value == "locked")
        return Attempt([SCOPES[int(scope) - 1] for scope in out[1:]])

    async def succeeded(self, username: str, address: str) -> None:
        """The right password: the account starts afresh, and the address's count gives back this attempt."""
        ident = username.strip().lower()
        await self.r.delete(self.k.login_failures("account", ident), self.k.login_lock("account", ident))
        await self.r.decr(self.k.login_failures("address", address))

    async def unlock(self, username: str) -> bool:
        ident = username.strip().lower()
        return bool(await self.r.delete(self.k.login_lock("account", ident), self.k.login_failures("account", ident)))
