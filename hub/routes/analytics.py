"""The supervisor's API: a period's figures beside the previous period's, the conversations behind a figure, live now,
the open tickets by their SLA clocks, briefings.

Supervisors and admins only. Every figure is read from the rollup of the event
stream (``analytics/``), the open tickets from the desk's store as they are now
(``analytics/open_now.py``); nothing is computed here. A malformed or impossible
period is a 422 that says why; an empty one is zeros and "no data".
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from analytics.board import PAGE
from analytics.live import live_now
from analytics.open_now import open_now
from analytics.metrics import SELECTORS, Filters
from analytics.periods import NAMED, InvalidPeriod, Period, resolve
from analytics.gaps import top_gaps
from analytics.reports import list_reports
from core import clock
from hub.deps import Overseer, Svc
from hub.services import Services
from hub.visibility import ticket_customer

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

PeriodName = Annotated[str | None, Query(description=f"one of {', '.join(NAMED)}; or give from and to")]
Day = Annotated[str | None, Query(max_length=10, description="ISO date, in the shop's time zone (both ends included)")]
Word = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_.\-]*$")]


def _period(services: Services, period: str | None, start: str | None, end: str | None) -> Period:
    try:
        return resolve(period, start, end, ZoneInfo(services.settings.business_hours.timezone), clock.now())
    except InvalidPeriod as exc:
        raise HTTPException(422, str(exc)) from None


def _filters(channel: str | None, language: str | None, category: str | None, agent: str | None, tier: str | None) -> Filters:
    return Filters(channel or None, language or None, category or None, agent or None, tier or None)


@router.get("/summary", summary="Every figure for a period, beside the previous period (the calendar month before a month; else the same length before)")
async def summary(me: Overseer, services: Svc, period: PeriodName = None, start: Annotated[Day, Query(alias="from")] = None,
                  end: Annotated[Day, Query(alias="to")] = None, channel: Word = None, language: Word = None, category: Word = None,
                  agent: Word = None, tier: Word = None) -> dict:
    chosen = _period(services, period, start, end)
    figures = await services.dashboard.summary(chosen, _filters(channel, language, category, agent, tier), clock.now())
    return {**figures, "simulated": bool(await services.redis.exists(services.keys.demo_info))}


@router.get("/conversations", summary="One page of the conversations behind a figure, and their total (figure: see docs/metrics.md)")
async def conversations(me: Overseer, services: Svc, figure: Annotated[str, Query(max_length=40)], key: Annotated[str, Query(max_length=60)] = "",
                        period: PeriodName = None, start: Annotated[Day, Query(alias="from")] = None, end: Annotated[Day, Query(alias="to")] = None,
                        channel: Word = None, language: Word = None, category: Word = None, agent: Word = None, tier: Word = None,
                        offset: Annotated[int, Query(ge=0, le=10_000_000, description="how many to skip (newest first)")] = 0,
                        limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = PAGE) -> dict:
    if figure not in SELECTORS:
        raise HTTPException(422, f"unknown figure {figure!r}: one of {', '.join(sorted(SELECTORS))}")
    chosen = _period(services, period, start, end)
    return await services.dashboard.conversations(chosen, _filters(channel, language, category, agent, tier), figure, key, offset, limit)


@router.get("/live", summary="Now: customers with the bot, the queue and its longest wait, agents online and their load")
async def live(me: Overseer, services: Svc) -> dict:
    return await live_now(services.queue, services.agents, services.rollup, clock.now())


@router.get("/open", summary="Now: the open tickets (new, open, pending the customer) by their SLA clocks, breached first, with counts per status and agent")
async def open_tickets(me: Overseer, services: Svc, limit: Annotated[int, Query(ge=1, le=1000, description="rows at most (the counts cover all)")] = 300) -> dict:
    """Each row: the ticket's number, customer (as this viewer may see them: the name, else a short id), language,
    VIP, category, status, assignee (none while it waits) and its clock (``analytics/open_now.py``)."""
    tickets = await services.desk.tickets.active()
    names = await services.conversations.customer_names([t.conversation_id for t in tickets])
    shown = {t.id: ticket_customer(me, t, name) for t, name in zip(tickets, names)}
    staff = {a.username: a.display_name or a.username for a in await services.agents.all()}
    return open_now(tickets, clock.now(), lambda t: shown[t.id], staff, limit)


@router.get("/gaps", summary="Top unanswered questions in the period (the content-gap groups)")
async def gaps(me: Overseer, services: Svc, period: PeriodName = None, start: Annotated[Day, Query(alias="from")] = None,
               end: Annotated[Day, Query(alias="to")] = None, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[dict]:
    chosen = _period(services, period, start, end)
    return await run_in_threadpool(top_gaps, services.gaps.recent(5000), services.embedders, chosen, limit)


@router.get("/reports", summary="Briefings written so far (scheduled or by ./cs report), newest first")
async def reports(me: Overseer, services: Svc) -> list[dict]:
    return list_reports(services.settings.reports_dir)


@router.get("/reports/{name}", summary="Download one briefing")
async def report_file(me: Overseer, services: Svc, name: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,120}\.(html|pdf|xlsx)$")]) -> FileResponse:
    path = services.settings.reports_dir / name
    if not path.is_file():
        raise HTTPException(404, "no such report")
    return FileResponse(path, filename=name)
