"""The definitions of every figure (docs/metrics.md), as pure functions over conversation facts.

A conversation counts in the period it *started* in, whatever happened later,
so a figure for a closed period never changes once its conversations are
settled, and the previous period is computed the same way. A ratio whose
denominator is empty is ``None`` ("no data"), never 0 % and never an error.
Percentiles are nearest-rank: the smallest value with at least p % of the
values at or below it (always one of the measured values).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from analytics.facts import ConversationFacts

CATEGORIES = ("product_quality", "service_attitude", "logistics", "after_sales", "billing", "other")
DECISIONS = ("answer", "suggest", "fallback", "handoff")
LOW_RATING = 3  # ratings 1-3 are not satisfied; 4-5 are (CSAT)


@dataclass(frozen=True)
class Targets:
    """What the service is judged against (core/settings.py ``report_targets``)."""

    fcr: float = 0.95
    csat: float = 0.90
    first_response_seconds: float = 300.0
    complaint_hours: float = 24.0


@dataclass(frozen=True)
class Filters:
    channel: str | None = None
    language: str | None = None
    category: str | None = None
    agent: str | None = None
    tier: str | None = None

    def keep(self, f: ConversationFacts) -> bool:
        return ((not self.channel or f.channel == self.channel) and (not self.language or f.language == self.language)
                and (not self.category or f.category == self.category) and (not self.agent or self.agent in f.agents)
                and (not self.tier or f.customer_tier == self.tier))


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile; ``None`` for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def mean(values: list[float]) -> float | None:
    return None if not values else sum(values) / len(values)


def _present(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None]


# ---------------------------------------------------------------- the groups of figures
def volume(facts: list[ConversationFacts], zone: ZoneInfo) -> dict:
    heat = [[0] * 24 for _ in range(7)]  # [weekday 0 = Monday][hour]
    days: Counter[str] = Counter()
    for f in facts:
        local = datetime.fromtimestamp(f.started_at, zone)
        heat[local.weekday()][local.hour] += 1
        days[local.date().isoformat()] += 1
    return {
        "conversations": len(facts),
        "tickets": sum(1 for f in facts if f.ticket or f.escalated),
        "messages": sum(f.customer_messages + f.agent_messages for f in facts),
        "by_channel": dict(Counter(f.channel for f in facts)),
        "by_language": dict(Counter(f.language for f in facts)),
        "heatmap": heat,
        "by_day": dict(sorted(days.items())),
    }


def bot(facts: list[ConversationFacts]) -> dict:
    talked = [f for f in facts if f.bot_turns > 0]
    mix: Counter[str] = Counter()
    for f in facts:
        mix.update(f.decisions)
    helpful, not_helpful = sum(f.votes_helpful for f in facts), sum(f.votes_not_helpful for f in facts)
    return {
        "conversations_with_bot": len(talked),
        "contained": sum(1 for f in talked if f.contained),
        "containment": ratio(sum(1 for f in talked if f.contained), len(talked)),
        "turns": sum(f.bot_turns for f in facts),
        "decisions": {d: mix.get(d, 0) for d in DECISIONS} | {k: v for k, v in mix.items() if k not in DECISIONS},
        "votes": {"helpful": helpful, "not_helpful": not_helpful, "helpful_share": ratio(helpful, helpful + not_helpful)},
        "escalation_reasons": dict(Counter(f.reason for f in facts if f.escalated)),
    }


def humans(facts: list[ConversationFacts], targets: Targets) -> dict:
    escalated = [f for f in facts if f.escalated]
    waits = _present(f.queue_wait for f in escalated)
    frts = _present(f.first_response_seconds for f in escalated)
    handles = _present(f.handle_time for f in escalated)
    resolutions = _present(f.resolution_time for f in escalated)
    resolved = [f for f in escalated if f.resolved_at is not None]
    return {
        "escalated": len(escalated),
        "queue_wait": {"p50": percentile(waits, 50), "p90": percentile(waits, 90), "count": len(waits)},
        "first_response": {"p50": percentile(frts, 50), "p90": percentile(frts, 90), "count": len(frts),
                           "within_target": ratio(sum(1 for s in frts if s <= targets.first_response_seconds), len(frts)),
                           "target_seconds": targets.first_response_seconds},
        "handle_time": {"mean": mean(handles), "p50": percentile(handles, 50), "count": len(handles)},
        "resolution_time": {"mean": mean(resolutions), "p50": percentile(resolutions, 50), "count": len(resolutions)},
        "resolved": len(resolved),
        "fcr": ratio(sum(1 for f in resolved if f.first_contact_resolved), len(resolved)),
        "fcr_target": targets.fcr,
        "reopen_rate": ratio(sum(1 for f in resolved if f.reopens > 0), len(resolved)),
        "transfers": sum(f.transfers for f in escalated),
        "transferred_share": ratio(sum(1 for f in escalated if f.transfers > 0), len(escalated)),
    }


def complaint_handled_in_time(f: ConversationFacts, hours: float, now: float) -> bool | None:
    """Solved within ``hours`` of the escalation: True/False, or None while it may still make it."""
    done = f.solved_at or f.resolved_at
    if done is not None and f.escalated_at is not None:
        return done - f.escalated_at <= hours * 3600
    if f.escalated_at is not None and now - f.escalated_at > hours * 3600:
        return False
    return None


def complaints(facts: list[ConversationFacts], targets: Targets, now: float, zone: ZoneInfo) -> dict:
    rows = [f for f in facts if f.complaint]
    by_category = Counter(f.category or "other" for f in rows)
    decided = [v for v in (complaint_handled_in_time(f, targets.complaint_hours, now) for f in rows) if v is not None]
    trend: Counter[str] = Counter(datetime.fromtimestamp(f.started_at, zone).date().isoformat() for f in rows)
    ordered = sorted(set(CATEGORIES) | set(by_category), key=lambda c: (-by_category.get(c, 0), CATEGORIES.index(c) if c in CATEGORIES else 99))
    return {
        "count": len(rows),
        "by_category": [{"category": c, "count": by_category.get(c, 0), "share": ratio(by_category.get(c, 0), len(rows))} for c in ordered],
        "within_target": ratio(sum(decided), len(decided)),
        "target_hours": targets.complaint_hours,
        "pending": len(rows) - len(decided),
        "by_day": dict(sorted(trend.items())),
    }


def satisfaction(facts: list[ConversationFacts], targets: Targets) -> dict:
    rated = [f for f in facts if f.rating]
    resolved = [f for f in facts if f.resolved_at is not None]
    dist = Counter(f.rating for f in rated)
    return {
        "ratings": len(rated),
        "csat": ratio(sum(1 for f in rated if f.rating and f.rating > LOW_RATING), len(rated)),
        "csat_target": targets.csat,
        "distribution": {str(s): dist.get(s, 0) for s in range(1, 6)},
        "response_rate": ratio(sum(1 for f in resolved if f.rating), len(resolved)),
        "low_comments": [{"conversation_id": f.conversation_id, "rating": f.rating, "comment": f.rating_comment, "agent": f.rated_agent,
                          "category": f.category} for f in sorted(rated, key=lambda f: f.last_at, reverse=True)
                         if f.rating and f.rating <= LOW_RATING and f.rating_comment][:50],
    }


def sla(facts: list[ConversationFacts]) -> dict:
    per: dict[str, Counter[str]] = {}
    breaches = []
    for f in facts:
        for clock, outcome in f.sla.items():
            per.setdefault(f.policy or "none", Counter())[outcome] += 1
            if outcome == "breached":
                breaches.append({"conversation_id": f.conversation_id, "ticket": f.ticket, "policy": f.policy, "clock": clock,
                                 "agent": f.agent, "category": f.category, "due_at": f.sla_due.get(clock)})
    policies = [{"policy": p, "met": c["met"], "breached": c["breached"], "attainment": ratio(c["met"], c["met"] + c["breached"])}
                for p, c in sorted(per.items())]
    met = sum(p["met"] for p in policies)
    total = met + sum(p["breached"] for p in policies)
    return {"policies": policies, "attainment": ratio(met, total), "breaches": breaches[:200], "breach_count": len(breaches)}


def agents(facts: list[ConversationFacts], targets: Targets) -> list[dict]:
    """One row per agent over the conversations they had (a transferred chat counts for each of its agents)."""
    rows = []
    for name in sorted({a for f in facts for a in f.agents}):
        mine = [f for f in facts if name in f.agents]
        resolved = [f for f in mine if f.resolved_by == name]
        frts = _present(f.first_response_seconds for f in mine if f.agents and f.agents[0] == name)
        rated = [f for f in mine if f.rating and f.rated_agent == name]
        rows.append({
            "agent": name, "chats": len(mine), "resolved": len(resolved),
            "frt_p50": percentile(frts, 50), "frt_within_target": ratio(sum(1 for s in frts if s <= targets.first_response_seconds), len(frts)),
            "handle_time": mean(_present(f.handle_time for f in resolved)),
            "fcr": ratio(sum(1 for f in resolved if f.first_contact_resolved), len(resolved)),
            "csat": ratio(sum(1 for f in rated if f.rating and f.rating > LOW_RATING), len(rated)),
            "breaches": sum(1 for f in mine if f.agent == name and "breached" in f.sla.values()),
        })
    return rows


def summarize(facts: list[ConversationFacts], targets: Targets, zone: ZoneInfo, now: float) -> dict:
    """Every figure of the dashboard and the briefing for one set of conversations."""
    return {
        "empty": not facts,
        "volume": volume(facts, zone),
        "bot": bot(facts),
        "humans": humans(facts, targets),
        "complaints": complaints(facts, targets, now, zone),
        "satisfaction": satisfaction(facts, targets),
        "sla": sla(facts),
        "agents": agents(facts, targets),
    }


# ---------------------------------------------------------------- drill-down: the conversations behind a figure
Selector = Callable[[ConversationFacts, str], bool]

SELECTORS: dict[str, Selector] = {
    "conversations": lambda f, key: True,
    "channel": lambda f, key: f.channel == key,
    "language": lambda f, key: f.language == key,
    "contained": lambda f, key: f.contained,
    "escalated": lambda f, key: f.escalated,
    "reason": lambda f, key: f.escalated and f.reason == key,
    "decision": lambda f, key: f.decisions.get(key, 0) > 0,
    "not_helpful": lambda f, key: f.votes_not_helpful > 0,
    "complaints": lambda f, key: f.complaint and (not key or (f.category or "other") == key),
    "resolved": lambda f, key: f.resolved_at is not None,
    "fcr": lambda f, key: f.first_contact_resolved,
    "not_fcr": lambda f, key: f.resolved_at is not None and not f.first_contact_resolved,
    "reopened": lambda f, key: f.reopens > 0,
    "transferred": lambda f, key: f.transfers > 0,
    "rated": lambda f, key: bool(f.rating) and (not key or str(f.rating) == key),
    "low_rating": lambda f, key: bool(f.rating) and (f.rating or 0) <= LOW_RATING,
    "breached": lambda f, key: "breached" in f.sla.values() and (not key or f.policy == key),
    "agent": lambda f, key: key in f.agents,
}


def select(facts: list[ConversationFacts], figure: str, key: str = "") -> list[ConversationFacts]:
    """The conversations a figure counts (``figure`` is a key of ``SELECTORS``)."""
    chosen = SELECTORS[figure]
    return [f for f in facts if chosen(f, key)]
