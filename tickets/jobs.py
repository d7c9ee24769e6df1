"""The due work rq runs (``tickets/scheduler.py``): each job builds the desk, acts only if still relevant, and is safe to run twice.

rq calls plain functions; each runs the desk's coroutine on a fresh event loop
with its own Redis connections, which is cheap at the rate due work arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tickets.desk import TicketDesk


async def _with_desk(act: Callable[[TicketDesk], Awaitable[None]]) -> None:
    from tickets.worker import desk_for_jobs  # the worker's composition, built once per process

    desk, close = desk_for_jobs()
    try:
        await act(desk)
    finally:
        await close()


def sla_due(ticket_id: str, clock: str, version: int, kind: str) -> None:
    asyncio.run(_with_desk(lambda desk: desk.sla_due(ticket_id, clock, version, kind)))


def close_if_quiet(ticket_id: str, solved_at: float) -> None:
    asyncio.run(_with_desk(lambda desk: desk.close_if_quiet(ticket_id, solved_at)))


def presence_check(username: str) -> None:
    asyncio.run(_with_desk(lambda desk: desk.presence_check(username)))
