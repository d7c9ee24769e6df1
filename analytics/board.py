"""The supervisor's questions, answered from the rollup: a period's figures beside the previous period's, and the conversations behind any figure."""

from __future__ import annotations

import json
from dataclasses import asdict
from zoneinfo import ZoneInfo

from analytics.facts import ConversationFacts
from analytics.index import filter_tags, tag_of
from analytics.metrics import DEFINITIONS, SELECTORS, Filters, Partial, Targets, finish, partial
from analytics.periods import InvalidPeriod, Period
from analytics.rollup import Rollup, day_range
from handoff.agents import AgentDirectory

CACHE_LIMIT = 20_000  # (day, filters) entries kept per process
PAGE = 100  # conversations per drill-down page, unless the caller asks for another size


def _row(f: ConversationFacts) -> dict:
    """What a drill-down list shows for one conversation."""
    return {"conversation_id": f.conversation_id, "started_at": f.started_at, "channel": f.channel, "language": f.language,
            "customer_tier": f.customer_tier, "status": f.status, "reason": f.reason, "category": f.category, "agent": f.agent,
            "ticket": f.ticket, "rating": f.rating, "first_response_seconds": f.first_response_seconds,
            "first_response_working_seconds": f.first_response, "transfers": f.transfers,
            "reopens": f.reopens, "sla": f.sla, "contained": f.contained, "first_contact_resolved": f.first_contact_resolved}


def _filters_field(filters: Filters) -> str:
    return "&".join(f"{name}={value}" for name, value in asdict(filters).items() if value) or "all"


class Dashboard:
    def __init__(self, rollup: Rollup, targets: Targets, zone: ZoneInfo, agents: AgentDirectory | None = None) -> None:
        self.rollup = rollup
        self.targets = targets
        self.zone = zone
        self.agents = agents  # who the staff are: the figures name agents as the team knows them (their display name)
        # Each day's partial figures, per filter set, kept while the day's version is unchanged and the figures hold
        # (``Partial.holds_at``): a 30-day period then recomputes only the days that moved (today). The same partials
        # are persisted in Redis (``Keys.analytics_partials``), so a new process (a hub start, ./cs report) merges
        # them instead of parsing every fact of the period.
        self._days: dict[tuple[str, Filters], tuple[str, Partial]] = {}

    def _remember(self, day: str, filters: Filters, version: str, part: Partial) -> None:
        if len(self._days) > CACHE_LIMIT:
            self._days.clear()
        self._days[(day, filters)] = (version, part)

    async def _figures(self, period: Period, filters: Filters, now: float) -> dict:
        days = day_range(period.first_day, period.last_day)
        versions = await self.rollup.versions(days)
        total, stale = Partial(), []
        for day, version in zip(days, versions):
            hit = self._days.get((day, filters))
            if hit and hit[0] == version and hit[1].holds_at(now):
                total.merge(hit[1])
            else:
                stale.append((day, version))
        if not stale:
            return finish(total, self.targets, days)
        field = _filters_field(filters)
        missing = []
        for (day, version), raw in zip(stale, await self.rollup.stored_partials([d for d, _ in stale], field)):
            stored = json.loads(raw) if raw else None
            current = stored and stored["version"] == version and stored.get("definitions") == DEFINITIONS  # not an older version's
            part = Partial.from_dict(stored["partial"]) if current else None
            if part is not None and part.holds_at(now):
                self._remember(day, filters, version, part)
                total.merge(part)
            else:
                missing.append((day, version))
        if missing:
            loaded = await self.rollup.facts_of_days([d for d, _ in missing])
            persist = {}
            for day, version in missing:
                part = partial([f for f in loaded[day] if filters.keep(f)], self.targets, self.zone, now)
                self._remember(day, filters, version, part)
                total.merge(part)
                if version:  # a day never written stays without keys
                    persist[day] = (version, json.dumps({"version": version, "definitions": DEFINITIONS, "partial": part.to_dict()},
                                                        ensure_ascii=False))
            if persist:
                await self.rollup.store_partials(field, persist)
        return finish(total, self.targets, days)

    async def summary(self, period: Period, filters: Filters, now: float) -> dict:
        """Every figure for the period and for the period before it (``Period.previous``), with the targets."""
        await self.rollup.catch_up()
        previous = period.previous()
        current = await self._figures(period, filters, now)
        before = await self._figures(previous, filters, now)
        names = await self.agent_names()
        return {"period": period.as_dict(), "previous_period": previous.as_dict(), "filters": asdict(filters),
                "targets": asdict(self.targets), "current": named(current, names), "previous": named(before, names)}

    async def agent_names(self) -> dict[str, str]:
        """Each account's display name ("Alice Wang") by its sign-in name ("alice"). The figures keep the sign-in name
        (the events record it, and the filters and drill-downs take it); people read the display name."""
        if self.agents is None:
            return {}
        return {a.username: a.display_name for a in await self.agents.all() if a.display_name}

    async def conversations(self, period: Period, filters: Filters, figure: str, key: str = "", offset: int = 0, limit: int = PAGE) -> dict:
        """One page of the conversations a figure counts, newest first, and how many there are in all. Read through the
        drill-down index (analytics/index.py): only the ids behind the figure, and the facts of this page."""
        if figure not in SELECTORS:
            raise InvalidPeriod(f"unknown figure {figure!r}: one of {', '.join(sorted(SELECTORS))}")
        await self.rollup.catch_up()
        total, facts = await self.rollup.page(period.first_day, period.last_day, period.start, period.end,
                                              [tag_of(figure, key), *filter_tags(filters)], offset, limit)
        names = await self.agent_names()
        rows = [{**_row(f), "agent_name": display_name(f.agent, names)} for f in facts]
        return {"figure": figure, "key": key, "total": total, "offset": offset, "limit": limit, "conversations": rows}


def display_name(username: str | None, names: dict[str, str]) -> str | None:
    """The name an agent is known by: their display name, else their sign-in name (an account removed since, or one
    without a name); None for no agent."""
    return (names.get(username) or username) if username else None


def named(figures: dict, names: dict[str, str]) -> dict:
    """The figures with every agent they mention named as the team knows them (``name`` beside ``agent`` in the
    agents table, ``agent_name`` in the SLA breaches and the low-rated comments), the agents table in the order of
    those names. New dicts: the figures' own rows are cached partials, never changed in place."""
    sla, satisfaction = figures["sla"], figures["satisfaction"]
    agents = sorted(({**row, "name": display_name(row["agent"], names)} for row in figures["agents"]),
                    key=lambda row: (row["name"].casefold(), row["agent"]))
    return {**figures, "agents": agents,
            "sla": {**sla, "breaches": [{**b, "agent_name": display_name(b.get("agent"), names)} for b in sla["breaches"]]},
            "satisfaction": {**satisfaction, "low_comments": [{**c, "agent_name": display_name(c.get("agent"), names)} for c in satisfaction["low_comments"]]}}
