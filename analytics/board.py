"""The supervisor's questions, answered from the rollup: a period's figures beside the previous period's, and the conversations behind any figure."""

from __future__ import annotations

from dataclasses import asdict
from zoneinfo import ZoneInfo

from analytics.facts import ConversationFacts
from analytics.metrics import SELECTORS, Filters, Targets, select, summarize
from analytics.periods import InvalidPeriod, Period
from analytics.rollup import Rollup


def _row(f: ConversationFacts) -> dict:
    """What a drill-down list shows for one conversation."""
    return {"conversation_id": f.conversation_id, "started_at": f.started_at, "channel": f.channel, "language": f.language,
            "customer_tier": f.customer_tier, "status": f.status, "reason": f.reason, "category": f.category, "agent": f.agent,
            "ticket": f.ticket, "rating": f.rating, "first_response_seconds": f.first_response_seconds, "transfers": f.transfers,
            "reopens": f.reopens, "sla": f.sla, "contained": f.contained, "first_contact_resolved": f.first_contact_resolved}


class Dashboard:
    def __init__(self, rollup: Rollup, targets: Targets, zone: ZoneInfo) -> None:
        self.rollup = rollup
        self.targets = targets
        self.zone = zone

    async def _facts(self, period: Period, filters: Filters) -> list[ConversationFacts]:
        return [f for f in await self.rollup.facts(period) if filters.keep(f)]

    async def summary(self, period: Period, filters: Filters, now: float) -> dict:
        """Every figure for the period and for the period before it (same length), with the targets."""
        await self.rollup.catch_up()
        previous = period.previous()
        current = summarize(await self._facts(period, filters), self.targets, self.zone, now)
        before = summarize(await self._facts(previous, filters), self.targets, self.zone, now)
        return {"period": period.as_dict(), "previous_period": previous.as_dict(), "filters": asdict(filters),
                "targets": asdict(self.targets), "current": current, "previous": before}

    async def conversations(self, period: Period, filters: Filters, figure: str, key: str = "", limit: int = 500) -> dict:
        """The conversations a figure counts, newest first."""
        if figure not in SELECTORS:
            raise InvalidPeriod(f"unknown figure {figure!r}: one of {', '.join(sorted(SELECTORS))}")
        await self.rollup.catch_up()
        chosen = sorted(select(await self._facts(period, filters), figure, key), key=lambda f: f.started_at, reverse=True)
        return {"figure": figure, "key": key, "total": len(chosen), "conversations": [_row(f) for f in chosen[:limit]]}
