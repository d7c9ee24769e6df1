"""The background loops every hub worker runs (turn recovery, deferred channel messages, the analytics fold).

They share one shape: do a round, wait, do the next, forever. A round that fails must not end the loop: Redis away
for a moment is expected (logged quietly: the next round catches up), anything else is a bug (logged with its
traceback) but the next round still comes. Cancelling the task stops it, as does ``stop`` when given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


async def every(seconds: float, work: Callable[[], Awaitable[object]], what: str, stop: asyncio.Event | None = None) -> None:
    """Run ``work`` now and then every ``seconds`` after each round ends, until cancelled or ``stop`` is set.
    ``what`` names the loop in its log lines ("turn recovery")."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except RedisError as exc:
            log.debug("%s: Redis unavailable (%s)", what, exc)
        except Exception:
            log.exception("%s failed", what)
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except asyncio.TimeoutError:
            pass
