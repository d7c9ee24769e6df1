"""Retention: conversations nobody touched for ``retention_days`` are erased, empty ones after ``abandoned_conversation_hours``.

Only conversations at rest are purged (with the bot, or resolved); a chat
waiting for or with a human stays until it is closed. Every hub worker runs
the sweep loop, but a Redis lock lets one sweep at a time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from core.redis import Keys
from privacy.erase import Erased, Eraser

AT_REST = ("bot", "resolved")


@dataclass(frozen=True)
class RetentionPolicy:
    retention_seconds: float
    abandoned_seconds: float


def due(client: redis.Redis, keys: Keys, policy: RetentionPolicy, now: float | None = None) -> set[str]:
    """The conversations the policy says to erase now."""
    now = now or time.time()
    doomed: set[str] = set()
    # Created before the shorter cutoff: nothing younger can be due.
    candidates = client.zrangebyscore(keys.conversations, "-inf", now - min(policy.retention_seconds, policy.abandoned_seconds))
    for cid in candidates:
        conv = client.hmget(keys.conv(cid), "status", "updated_at", "created_at")
        status, updated = conv[0], float(conv[1] or conv[2] or 0)
        if status is None:
            doomed.add(cid)  # an index entry left without its conversation
        elif status not in AT_REST:
            continue
        elif now - updated > policy.retention_seconds:
            doomed.add(cid)
        elif now - updated > policy.abandoned_seconds and client.xlen(keys.transcript(cid)) == 0:
            doomed.add(cid)
    return doomed


def sweep(client: redis.Redis, keys: Keys, eraser: Eraser, policy: RetentionPolicy, lock_seconds: int = 600) -> Erased | None:
    """Erase what is due, unless another worker is sweeping right now (then ``None``)."""
    if not client.set(keys.retention_lock, "1", nx=True, ex=lock_seconds):
        return None
    try:
        return eraser.erase(due(client, keys, policy))
    finally:
        client.delete(keys.retention_lock)
