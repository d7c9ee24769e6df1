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
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from analytics import themes
from analytics.facts import ConversationFacts

CATEGORIES = ("product_quality", "service_attitude", "logistics", "after_sales", "billing", "other")
DECISIONS = ("answer", "suggest", "fallback", "handoff")
LOW_RATING = 3  # ratings 1-3 are not satisfied; 4-5 are (CSAT)
# The version of these definitions, stored with each day's persisted partial (analytics/board.py): a partial stored
# under other definitions (an older version's) is computed again from the facts instead of being merged.
# 2: first response in working time, a wait per escalation, the first responder credited, every feedback theme.
DEFINITIONS = 2


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
# Figures are computed in two steps, so that days can be cached and merged (analytics/board.py): ``partial`` turns a
# set of conversations into sums, counters and value lists that add up across sets; ``finish`` turns a merged partial
# into the figures (ratios, nearest-rank percentiles). ``summarize`` is both steps at once.
@dataclass
class Partial:
    counts: Counter = field(default_factory=Counter)  # plain sums, by name
    by: dict[str, Counter] = field(default_factory=dict)  # counters by a key (channel, day, category, ...)
    values: dict[str, list] = field(default_factory=dict)  # measured durations, for percentiles and means
    heatmap: list[list[int]] = field(default_factory=list)  # weekday x hour; [] is all zeros (an agent's partial has none)
    agents: dict[str, "Partial"] = field(default_factory=dict)
    low_comments: list[dict] = field(default_factory=list)  # the newest 50, to read; the themes count every one (low_words)
    low_words: list[list[str]] = field(default_factory=list)  # the theme words of every comment of a low rating
    breaches: list[dict] = field(default_factory=list)
    # Until when these figures hold without a new event: a complaint still within its 24 hours decides its outcome
    # by the clock alone (``complaint_handled_in_time``). None: for good.
    valid_until: float | None = None

    def holds_at(self, now: float) -> bool:
        return self.valid_until is None or now <= self.valid_until

    def until(self, moment: float) -> None:
        self.valid_until = moment if self.valid_until is None else min(self.valid_until, moment)

    def to_dict(self) -> dict:
        """Plain JSON-able data, empty parts left out (the dashboard persists each day's partial in Redis, ``analytics/board.py``)."""
        data = {"counts": dict(self.counts), "by": {k: dict(c) for k, c in self.by.items()}, "values": self.values,
                "heatmap": self.heatmap,
                "agents": {k: a.to_dict() for k, a in self.agents.items()}, "low_comments": self.low_comments, "low_words": self.low_words,
                "breaches": self.breaches, "valid_until": self.valid_until}
        return {k: v for k, v in data.items() if v}

    @classmethod
    def from_dict(cls, data: dict) -> "Partial":
        out = cls(counts=Counter(data.get("counts", {})), by={k: Counter(c) for k, c in data.get("by", {}).items()}, values=data.get("values", {}),
                  agents={k: cls.from_dict(a) for k, a in data.get("agents", {}).items()}, low_comments=data.get("low_comments", []),
                  low_words=data.get("low_words", []), breaches=data.get("breaches", []), valid_until=data.get("valid_until"))
        if data.get("heatmap"):
            out.heatmap = data["heatmap"]
        return out

    def counter(self, name: str) -> Counter:
        return self.by.setdefault(name, Counter())

    def add(self, name: str, value: float | None) -> None:
        if value is not None:
            self.values.setdefault(name, []).append(value)

    def merge(self, other: "Partial") -> "Partial":
        self.counts.update(other.counts)
        for name, c in other.by.items():
            self.counter(name).update(c)
        for name, v in other.values.items():
            self.values.setdefault(name, []).extend(v)
        if other.heatmap:
            self.heatmap = [[a + b for a, b in zip(mine, theirs)] for mine, theirs in zip(self.heatmap, other.heatmap)] if self.heatmap \
                else [row[:] for row in other.heatmap]
        for name, a in other.agents.items():
            self.agents.setdefault(name, Partial()).merge(a)
        if other.low_comments:
            self.low_comments = sorted(self.low_comments + other.low_comments, key=lambda c: -c["at"])[:50]
        self.low_words.extend(other.low_words)
        if other.breaches and len(self.breaches) < 200:
            self.breaches = (self.breaches + other.breaches)[:200]
        if other.valid_until is not None:
            self.until(other.valid_until)
        return self


def partial(facts: Iterable[ConversationFacts], targets: Targets, zone: ZoneInfo, now: float) -> Partial:
    p = Partial()
    n = p.counts
    for f in facts:
        if not f.started_at:  # no start: what a writer racing an erasure left (stored before the rollup skipped it); no conversation
            continue
        local = datetime.fromtimestamp(f.started_at, zone)
        day = local.date().isoformat()
        n["conversations"] += 1
        n["messages"] += f.customer_messages + f.agent_messages
        n["tickets"] += 1 if (f.ticket or f.escalated) else 0
        if not p.heatmap:
            p.heatmap = [[0] * 24 for _ in range(7)]
        p.heatmap[local.weekday()][local.hour] += 1
        p.counter("day")[day] += 1
        p.counter("channel")[f.channel] += 1
        p.counter("language")[f.language] += 1
        # the bot
        if f.bot_turns > 0:
            n["talked"] += 1
            n["contained"] += 1 if f.contained else 0
        n["turns"] += f.bot_turns
        p.counter("decision").update(f.decisions)
        n["helpful"] += f.votes_helpful
        n["not_helpful"] += f.votes_not_helpful
        # the humans
        if f.escalated:
            n["escalated"] += 1
            p.counter("reason")[f.reason] += 1
            for wait in f.waits:
                p.add("wait", wait)
            p.add("frt", f.first_response)
            p.add("handle", f.handle_time)
            p.add("resolution", f.resolution_time)
            n["transfers"] += f.transfers
            n["transferred"] += 1 if f.transfers > 0 else 0
            if f.resolved_at is not None:
                n["resolved"] += 1
                n["fcr"] += 1 if f.first_contact_resolved else 0
                n["reopened"] += 1 if f.reopens > 0 else 0
                n["rated_resolved"] += 1 if f.rating else 0
        # complaints
        if f.complaint:
            n["complaints"] += 1
            p.counter("category")[f.category or "other"] += 1
            p.counter("complaint_day")[day] += 1
            in_time = complaint_handled_in_time(f, targets.complaint_hours, now)
            if in_time is not None:
                n["complaints_decided"] += 1
                n["complaints_in_time"] += 1 if in_time else 0
            elif f.escalated_at is not None:  # pending: undecided until its 24 hours are over
                p.until(f.escalated_at + targets.complaint_hours * 3600)
        # satisfaction
        if f.rating:
            n["ratings"] += 1
            n["satisfied"] += 1 if f.rating > LOW_RATING else 0
            p.counter("rating")[str(f.rating)] += 1
            if f.rating <= LOW_RATING and f.rating_comment:
                p.low_words.append(themes.words(f.rating_comment))
                p.low_comments.append({"conversation_id": f.conversation_id, "rating": f.rating, "comment": f.rating_comment,
                                       "agent": f.rated_agent, "category": f.category, "at": f.last_at})
        # SLA
        for clock, outcome in f.sla.items():
            p.counter(f"sla:{f.policy or 'none'}")[outcome] += 1
            if outcome == "breached":
                p.breaches.append({"conversation_id": f.conversation_id, "ticket": f.ticket, "policy": f.policy, "clock": clock,
                                   "agent": f.agent, "category": f.category, "due_at": f.sla_due.get(clock)})
        # agents: a transferred chat counts for each of its agents
        for name in f.agents:
            a = p.agents.setdefault(name, Partial())
            a.counts["chats"] += 1
            if f.first_responder == name and f.first_response is not None:
                a.add("frt", f.first_response)
            if f.resolved_by == name:
                a.counts["resolved"] += 1
                a.counts["fcr"] += 1 if f.first_contact_resolved else 0
                a.add("handle", f.handle_time)
            if f.rating and f.rated_agent == name:
                a.counts["ratings"] += 1
                a.counts["satisfied"] += 1 if f.rating > LOW_RATING else 0
            if f.agent == name and "breached" in f.sla.values():
                a.counts["breaches"] += 1
    p.low_comments = sorted(p.low_comments, key=lambda c: -c["at"])[:50]
    return p


def _within(values: list[float], limit: float) -> float | None:
    return ratio(sum(1 for v in values if v <= limit), len(values))


def _daily(counts: Counter, days: list[str] | None) -> dict[str, int]:
    """A series by day: every day of the period in order, a quiet one at 0 (a chart's axis must not skip it)."""
    if days is None:
        return dict(sorted(counts.items()))
    return {day: counts.get(day, 0) for day in days}


def finish(p: Partial, targets: Targets, days: list[str] | None = None) -> dict:
    """The figures of a (merged) partial: the dashboard's and the briefing's numbers. ``days``: the period's days
    (ISO dates, in order), which every series by day lists; without them, the days with activity only."""
    n, by, v = p.counts, p.by, p.values
    get = lambda name: by.get(name, Counter())  # noqa: E731
    frts, waits, handles, resolutions = v.get("frt", []), v.get("wait", []), v.get("handle", []), v.get("resolution", [])
    decisions = get("decision")
    categories = get("category")
    ordered = sorted(set(CATEGORIES) | set(categories), key=lambda c: (-categories.get(c, 0), CATEGORIES.index(c) if c in CATEGORIES else 99))
    policies = sorted(name.removeprefix("sla:") for name in by if name.startswith("sla:"))
    sla_rows = [{"policy": pol, "met": by[f"sla:{pol}"]["met"], "breached": by[f"sla:{pol}"]["breached"],
                 "attainment": ratio(by[f"sla:{pol}"]["met"], by[f"sla:{pol}"]["met"] + by[f"sla:{pol}"]["breached"])} for pol in policies]
    met, breached = sum(r["met"] for r in sla_rows), sum(r["breached"] for r in sla_rows)
    agents = []
    for name in sorted(p.agents):
        a = p.agents[name]
        a_frt = a.values.get("frt", [])
        agents.append({"agent": name, "chats": a.counts["chats"], "resolved": a.counts["resolved"], "frt_p50": percentile(a_frt, 50),
                       "frt_within_target": _within(a_frt, targets.first_response_seconds), "handle_time": mean(a.values.get("handle", [])),
                       "fcr": ratio(a.counts["fcr"], a.counts["resolved"]), "csat": ratio(a.counts["satisfied"], a.counts["ratings"]),
                       "breaches": a.counts["breaches"]})
    return {
        "empty": n["conversations"] == 0,
        "volume": {"conversations": n["conversations"], "tickets": n["tickets"], "messages": n["messages"], "by_channel": dict(get("channel")),
                   "by_language": dict(get("language")), "heatmap": p.heatmap or [[0] * 24 for _ in range(7)], "by_day": _daily(get("day"), days)},
        "bot": {"conversations_with_bot": n["talked"], "contained": n["contained"], "containment": ratio(n["contained"], n["talked"]),
                "turns": n["turns"], "decisions": {d: decisions.get(d, 0) for d in DECISIONS} | {k: c for k, c in decisions.items() if k not in DECISIONS},
                "votes": {"helpful": n["helpful"], "not_helpful": n["not_helpful"], "helpful_share": ratio(n["helpful"], n["helpful"] + n["not_helpful"])},
                "escalation_reasons": dict(get("reason"))},
        "humans": {"escalated": n["escalated"],
                   "queue_wait": {"p50": percentile(waits, 50), "p90": percentile(waits, 90), "count": len(waits)},
                   "first_response": {"p50": percentile(frts, 50), "p90": percentile(frts, 90), "count": len(frts),
                                      "within_target": _within(frts, targets.first_response_seconds), "target_seconds": targets.first_response_seconds},
                   "handle_time": {"mean": mean(handles), "p50": percentile(handles, 50), "count": len(handles)},
                   "resolution_time": {"mean": mean(resolutions), "p50": percentile(resolutions, 50), "count": len(resolutions)},
                   "resolved": n["resolved"], "fcr": ratio(n["fcr"], n["resolved"]), "fcr_target": targets.fcr,
                   "reopen_rate": ratio(n["reopened"], n["resolved"]), "transfers": n["transfers"],
                   "transferred_share": ratio(n["transferred"], n["escalated"])},
        "complaints": {"count": n["complaints"],
                       "by_category": [{"category": c, "count": categories.get(c, 0), "share": ratio(categories.get(c, 0), n["complaints"])} for c in ordered],
                       "within_target": ratio(n["complaints_in_time"], n["complaints_decided"]), "target_hours": targets.complaint_hours,
                       "pending": n["complaints"] - n["complaints_decided"], "by_day": _daily(get("complaint_day"), days)},
        "satisfaction": {"ratings": n["ratings"], "csat": ratio(n["satisfied"], n["ratings"]), "csat_target": targets.csat,
                         "distribution": {str(s): get("rating").get(str(s), 0) for s in range(1, 6)},
                         "response_rate": ratio(n["rated_resolved"], n["resolved"]),
                         "low_comment_count": len(p.low_words), "themes": themes.group(p.low_words),
                         "low_comments": [{k: c[k] for k in ("conversation_id", "rating", "comment", "agent", "category")} for c in p.low_comments]},
        "sla": {"policies": sla_rows, "attainment": ratio(met, met + breached), "breaches": p.breaches[:200], "breach_count": breached},
        "agents": agents,
    }


def complaint_handled_in_time(f: ConversationFacts, hours: float, now: float) -> bool | None:
    """Solved within ``hours`` of the escalation: True/False, or None while it may still make it."""
    done = f.solved_at or f.resolved_at
    if done is not None and f.escalated_at is not None:
        return done - f.escalated_at <= hours * 3600
    if f.escalated_at is not None and now - f.escalated_at > hours * 3600:
        return False
    return None


def summarize(facts: list[ConversationFacts], targets: Targets, zone: ZoneInfo, now: float, days: list[str] | None = None) -> dict:
    """Every figure of the dashboard and the briefing for one set of conversations (``days``: see ``finish``)."""
    return finish(partial(facts, targets, zone, now), targets, days)


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
