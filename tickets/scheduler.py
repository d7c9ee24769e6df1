"""Due work (SLA warnings and breaches, auto-close, presence checks) as jobs in Redis, run by rq.

Jobs live in rq's scheduled-job registry, not in any process: a restart loses
nothing, and with several workers each job runs once (rq's scheduler moves a
due job to the queue under a lock, one worker takes it). Job ids are derived
from what they are about (ticket, clock, version), so scheduling the same
thing twice keeps one job; a job for a clock that changed since finds its
version stale and does nothing.

The worker is ``python -m tickets.worker`` (a supervised service of the stack).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from datetime import datetime, timezone

import redis
from rq import Queue
from rq.exceptions import DuplicateJobError

from core import clock

log = logging.getLogger(__name__)
RESULT_TTL = 3600  # seconds a finished job's record is kept (for inspection)


class Scheduler:
    def __init__(self, redis_url: str, queue_name: str, simulated_key: str | None = None) -> None:
        self.connection = redis.Redis.from_url(redis_url)  # rq speaks bytes
        self.queue = Queue(queue_name, connection=self.connection)
        # Demo clock only (core/clock.py): work due at a simulated time waits here for the demo to advance its
        # clock (hub/routes/demo.py), instead of running at once in rq because its time has long passed.
        self.simulated_key = simulated_key

    async def at(self, when: float, func: str, *args: object, job_id: str) -> None:
        """Run ``func(*args)`` (a dotted path in ``tickets.jobs``) at ``when`` (epoch seconds), once.

        A job that cannot be scheduled is logged, never raised: the request that asked for it
        (an escalation, a reply) must not fail because of a reminder.
        """
        if self.simulated_key and clock.is_simulated():
            await asyncio.to_thread(self.connection.zadd, self.simulated_key, {json.dumps([func, list(args), job_id]): when})
            return
        try:
            await asyncio.to_thread(self._schedule, when, func, args, job_id.replace(":", "-"))
        except Exception:
            log.exception("could not schedule %s (%s)", func, job_id)

    def _schedule(self, when: float, func: str, args: tuple, job_id: str) -> None:
        # rq files a job under its time in whole seconds, cut down: a breach due at 12.6 s would run at 12 s,
        # before it is due. Rounded up, due work runs at its moment or within the second after, never before.
        when = math.ceil(when)
        try:
            self.queue.enqueue_at(datetime.fromtimestamp(when, timezone.utc), func, *args, job_id=job_id, unique=True,
                                  result_ttl=RESULT_TTL, failure_ttl=24 * 3600)
        except DuplicateJobError:
            pass  # already scheduled: the same thing, at the same time

    def simulated_due(self, until: float) -> list[tuple[float, str, list]]:
        """Take the simulated work due by ``until``, oldest first: ``(when, func, args)``."""
        rows = self.connection.zrangebyscore(self.simulated_key, "-inf", until, withscores=True) if self.simulated_key else []
        if rows:
            self.connection.zrem(self.simulated_key, *[member for member, _ in rows])
        out = []
        for member, when in rows:
            func, args, _ = json.loads(member)
            out.append((when, func, args))
        return out

    def pending(self) -> int:
        return self.queue.scheduled_job_registry.count

    def close(self) -> None:
        self.connection.close()
