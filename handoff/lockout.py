"""Failed sign-ins slow down, then lock, per account and per client address (OWASP ASVS V2.2).

Per account: the first ``free_attempts`` failures in a window cost nothing;
after that each failure makes the next attempt wait 1, 2, 4, ... seconds; at
``lock_after`` failures the account is locked for ``lock_seconds`` (an admin
can lift it earlier). Per address: ``address_lock_after`` failures lock that
address. While locked, even the right password is refused: the check comes
before the password is looked at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import redis.asyncio as aioredis

from core.redis import Keys


@dataclass(frozen=True)
class Refusal:
    scope: str  # "account" or "address"
    retry_after: int
    locked: bool  # locked (an admin can lift it) rather than just slowed down


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

    @staticmethod
    def _ids(username: str, address: str) -> list[tuple[str, str]]:
        return [("account", username.strip().lower()), ("address", address)]

    async def check(self, username: str, address: str) -> Refusal | None:
        for scope, ident in self._ids(username, address):
            key = self.k.login_lock(scope, ident)
            left = await self.r.pttl(key)
            if left > 0:
                return Refusal(scope, max(1, math.ceil(left / 1000)), await self.r.get(key) == "locked")
        return None

    async def failed(self, username: str, address: str) -> list[str]:
        """Count a failure; returns the scopes that became locked by it (for the audit log)."""
        p = self.policy
        locked_now = []
        for scope, ident in self._ids(username, address):
            counter = self.k.login_failures(scope, ident)
            failures = await self.r.incr(counter)
            if failures == 1:
                await self.r.expire(counter, p.window_seconds)
            threshold = p.lock_after if scope == "account" else p.address_lock_after
            if failures >= threshold:
                if await self.r.set(self.k.login_lock(scope, ident), "locked", ex=p.lock_seconds, get=True) != "locked":
                    locked_now.append(scope)
            elif scope == "account" and failures > p.free_attempts:
                await self.r.set(self.k.login_lock(scope, ident), "slowed", ex=2 ** min(failures - p.free_attempts - 1, 10))
        return locked_now

    async def succeeded(self, username: str) -> None:
        await self.r.delete(self.k.login_failures("account", username.strip().lower()), self.k.login_lock("account", username.strip().lower()))

    async def unlock(self, username: str) -> bool:
        ident = username.strip().lower()
        return bool(await self.r.delete(self.k.login_lock("account", ident), self.k.login_failures("account", ident)))
