"""``python -m tickets.worker``: the service desk's scheduler and job runner (an rq worker), a supervised service of the stack.

Several can run at once (on one machine or many): rq's scheduler lock lets one
of them move due jobs to the queue, and each job is taken by one worker.

A worker that stops without releasing the lock (its Redis went first, or it was
killed) leaves it held for up to a minute, and rq tries again only at its
maintenance interval. So at start the lock of a scheduler that was on this
machine and whose process is gone is released (``release_stale_scheduler_locks``),
and the maintenance interval is short (``Settings.desk_maintenance_seconds``).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable

import redis
from rq import SimpleWorker
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import release_lock

from core.redis import Keys, async_client, redis_url
from core.settings import get_settings
from core.supervisor import pid_alive
from core.vault import PersonalData, Vault
from customers.store import CustomerStore
from handoff.agents import AgentDirectory
from handoff.consoles import Consoles
from handoff.conversations import ConversationStore
from handoff.queue import HandoffQueue
from tickets.desk import TicketDesk
from tickets.scheduler import Scheduler


def desk_for_jobs() -> tuple[TicketDesk, Callable[[], Awaitable[None]]]:
    """A desk on fresh connections (each job runs on its own event loop), and how to close them."""
    settings = get_settings()
    client = async_client(settings, max_connections=10)
    keys = Keys(settings.key_prefix)
    conversations = ConversationStore(client, keys, PersonalData(Vault(settings.secret("pii-key")), enabled=settings.pii_masking))
    consoles = Consoles(client, keys, lease_seconds=settings.console_lease_seconds, grace_seconds=settings.presence_grace_seconds)
    agents = AgentDirectory(client, keys, consoles=consoles)  # routing from due work offers chats to agents at a console too
    queue = HandoffQueue(conversations, agents, default_capacity=settings.default_agent_capacity, default_handle_seconds=settings.default_handle_seconds)
    scheduler = Scheduler(redis_url(settings), keys.scheduler_queue)
    desk = TicketDesk.from_settings(settings, conversations, agents, queue, CustomerStore(client, keys), scheduler)

    async def close() -> None:
        scheduler.close()
        await client.aclose()

    return desk, close


log = logging.getLogger(__name__)


def release_stale_scheduler_locks(connection: redis.Redis, queue_names: list[str], hostname: str | None = None) -> list[str]:
    """Release the scheduler locks of ``queue_names`` held by a scheduler of this host whose process is gone.

    rq's scheduler records its host and pid in its metadata hash (``rq:scheduler:<name>``). A lock whose
    owner has no such hash is left alone (a scheduler that has just taken it writes the hash a moment later),
    and so is one held by another machine's scheduler (its process cannot be checked from here).
    Returns the queue names whose lock was released.
    """
    hostname = hostname or socket.gethostname()
    released = []
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        owner = connection.get(key)
        if not owner:
            continue
        owner = owner.decode() if isinstance(owner, bytes) else owner
        meta = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                for k, v in connection.hgetall(SCHEDULER_KEY_TEMPLATE % owner).items()}
        pid = int(meta.get("pid") or 0)
        if meta.get("hostname") == hostname and pid and not pid_alive(pid):
            if release_lock(connection, key, owner):  # only if still that owner's (token-checked)
                log.warning("released the scheduler lock of %s left by scheduler %s (pid %d, no longer running)", name, owner, pid)
                released.append(name)
    return released


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    scheduler = Scheduler(redis_url(settings), Keys(settings.key_prefix).scheduler_queue)
    release_stale_scheduler_locks(scheduler.connection, [scheduler.queue.name])
    # SimpleWorker runs jobs in this process (no fork per job): the due work is small and frequent.
    # The maintenance interval is also how soon a worker without the scheduler lock tries again to take it; an idle
    # worker looks only after each blocking wait for a job, which lasts worker_ttl - 15 s (rq's default: 405 s).
    every = max(1, int(settings.desk_maintenance_seconds))
    worker = SimpleWorker([scheduler.queue], connection=scheduler.connection, maintenance_interval=every, worker_ttl=every + 15)
    worker.work(with_scheduler=True, logging_level="INFO")


if __name__ == "__main__":
    main()
