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
import logging
from datetime import datetime, timezone

import redis
from rq import Queue
from rq.exceptions import DuplicateJobError

log = logging.getLogger(__name__)
RESULT_TTL = 3600  # seconds a finished job's record is kept (for inspection)


class Scheduler:
    def __init__(self, redis_url: str, queue_name: str) -> None:
        self.connection = redis.Redis.from_url(redis_url)  # rq speaks bytes
        self.queue = Queue(queue_name, connection=self.connection)

    async def at(self, when: float, func: str, *args: object, job_id: str) -> None:
        """Run ``func(*args)`` (a dotted path in ``tickets.jobs``) at ``when`` (epoch seconds), once.

        A job that cannot be scheduled is logged, never raised: the request that asked for it
        (an escalation, a reply) must not fail because of a reminder.
        """
        try:
            await asyncio.to_thread(self._schedule, when, func, args, job_id.replace(":", "-"))
        except Exception:
            log.exception("could not schedule %s (%s)", func, job_id)

    def _schedule(self, when: float, func: str, args: tuple, job_id: str) -> None:
        try:
            self.queue.enqueue_at(datetime.fromtimestamp(when, timezone.utc), func, *args, job_id=job_id, unique=True,
                                  result_ttl=RESULT_TTL, failure_ttl=24 * 3600)
        except DuplicateJobError:
            pass  # already scheduled: the same thing, at the same time

    def pending(self) -> int:
        return self.queue.scheduled_job_registry.count

    def close(self) -> None:
        self.connection.close()
