"""``python -m tickets.worker``: the service desk's scheduler and job runner (an rq worker), a supervised service of the stack.

Several can run at once (on one machine or many): rq's scheduler lock lets one
of them move due jobs to the queue, and each job is taken by one worker.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from rq import SimpleWorker

from core.redis import Keys, async_client, redis_url
from core.settings import get_settings
from core.vault import PersonalData, Vault
from customers.store import CustomerStore
from handoff.agents import AgentDirectory
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
    agents = AgentDirectory(client, keys)
    queue = HandoffQueue(conversations, agents, default_capacity=settings.default_agent_capacity, default_handle_seconds=settings.default_handle_seconds)
    scheduler = Scheduler(redis_url(settings), keys.scheduler_queue)
    desk = TicketDesk.from_settings(settings, conversations, agents, queue, CustomerStore(client, keys), scheduler)

    async def close() -> None:
        scheduler.close()
        await client.aclose()

    return desk, close


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    scheduler = Scheduler(redis_url(settings), Keys(settings.key_prefix).scheduler_queue)
    # SimpleWorker runs jobs in this process (no fork per job): the due work is small and frequent.
    worker = SimpleWorker([scheduler.queue], connection=scheduler.connection)
    worker.work(with_scheduler=True, logging_level="INFO")


if __name__ == "__main__":
    main()
