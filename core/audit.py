"""The audit log: an append-only Redis stream of who did what to whom, kept apart from the analytics events.

Logins and lockouts, reveals and exports of personal data, changes to the
knowledge base, accounts, roles and settings. Entries are never edited;
``./cs audit export`` writes them out (JSON lines) for archiving.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis
import redis.asyncio as aioredis

from core.redis import Keys


def _entry(actor: str, action: str, target: str, details: dict[str, Any]) -> dict[str, str]:
    return {"e": json.dumps({"ts": time.time(), "actor": actor, "action": action, "target": target, **details}, ensure_ascii=False)}


class AuditLog:
    """Writes from async code (the hub's routes); ``record_sync`` for code running in worker threads."""

    def __init__(self, keys: Keys, client: aioredis.Redis | None = None, sync: redis.Redis | None = None) -> None:
        self.key = keys.audit
        self.r = client
        self.sync = sync

    async def record(self, actor: str, action: str, target: str = "", **details: Any) -> None:
        await self.r.xadd(self.key, _entry(actor, action, target, details))

    def record_sync(self, actor: str, action: str, target: str = "", **details: Any) -> None:
        self.sync.xadd(self.key, _entry(actor, action, target, details))

    def entries_sync(self, since: float = 0.0, count: int | None = None) -> list[dict]:
        start = f"{int(since * 1000)}-0" if since else "-"
        return [json.loads(fields["e"]) for _, fields in self.sync.xrange(self.key, start, "+", count=count)]
