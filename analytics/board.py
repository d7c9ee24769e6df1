"""The supervisor's questions, answered from the rollup: a period's figures beside the previous period's, and the conversations behind any figure."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.facts import ConversationFacts
from analytics.metrics import SELECTORS, Filters, Partial, Targets, finish, partial, select
from analytics.periods import InvalidPeriod, Period
from analytics.rollup import Rollup, day_range

SETTLED_DAYS = 3  # a day this old has no complaint left whose 24-hour outcome still depends on the clock
RECENT_SECONDS = 60.0  # a recent, unchanged day's figures are reused this long (its 24-hour outcomes may move meanwhile)
CACHE_LIMIT = 20_000  # (day, filters) entries kept per process


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
        # Each settled day's partial figures, per filter set, kept while the day's version is unchanged: a 30-day
        # period then recomputes only the days that moved (today), however long the history.
        self._days: dict[tuple[str, Filters], tuple[str, Partial, float]] = {}

    async def _figures(self, period: Period, filters: Filters, now: float) -> dict:
        days = day_range(period.first_day, period.last_day)
        versions = await self.rollup.versions(days)
        settled = (datetime.fromtimestamp(now, self.zone).date() - timedelta(days=SETTLED_DAYS)).isoformat()
        total, stale = Partial(), []
        for day, version in zip(days, versions):
            hit = self._days.get((day, filters))
            if hit and hit[0] == version and (day < settled or now - hit[2] < RECENT_SECONDS):
                total.merge(hit[1])
            else:
                stale.append((day, version))
        if stale:
            loaded = await self.rollup.facts_of_days([d for d, _ in stale])
            if len(self._days) > CACHE_LIMIT:
                self._days.clear()
            for day, version in stale:
                part = partial([f for f in loaded[day] if filters.keep(f)], self.targets, self.zone, now)
                self._days[(day, filters)] = (version, part, now)
                total.merge(part)
        return finish(total, self.targets)

    async def _facts(self, period: Period, filters: Filters) -> list[ConversationFacts]:
        return [f for f in await self.rollup.facts(period) if filters.keep(f)]

    async def summary(self, period: Period, filters: Filters, now: float) -> dict:
        """Every figure for the period and for the period before it (same length), with the targets."""
        await self.rollup.catch_up()
        previous = period.previous()
        current = await self._figures(period, filters, now)
        before = await self._figures(previous, filters, now)
        return {"period": period.as_dict(), "previous_period": previous.as_dict(), "filters": asdict(filters),
                "targets": asdict(self.targets), "current": current, "previous": before}

    async def conversations(self, period: Period, filters: Filters, figure: str, key: str = "", limit: int = 500) -> dict:
        """The conversations a figure counts, newest first."""
        if figure not in SELECTORS:
            raise InvalidPeriod(f"unknown figure {figure!r}: one of {', '.join(sorted(SELECTORS))}")
        await self.rollup.catch_up()
        chosen = sorted(select(await self._facts(period, filters), figure, key), key=lambda f: f.started_at, reverse=True)
        return {"figure": figure, "key": key, "total": len(chosen), "conversations": [_row(f) for f in chosen[:limit]]}
