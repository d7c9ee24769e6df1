"""One conversation's history, folded from its events: the unit every metric is computed over.

``fold`` is pure: the same events in the same order always give the same facts,
which is what lets the rollup (``analytics/rollup.py``) be rebuilt from the
stream at any time. Events of a conversation arrive in stream order, so each
``fold`` only ever adds to what it knows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tickets.hours import Hours

COMPLAINT_REASONS = ("complaint", "negative_feedback")  # the same rule as the complaint SLA policy (tickets/sla.py)


@dataclass
class ConversationFacts:
    conversation_id: str
    started_at: float = 0.0
    last_at: float = 0.0
    channel: str = "web"
    language: str = "en"
    customer_tier: str = "standard"
    status: str = "bot"
    # the customer and the bot
    customer_messages: int = 0
    agent_messages: int = 0
    bot_turns: int = 0
    decisions: dict[str, int] = field(default_factory=dict)  # answer / suggest / fallback / handoff
    votes_helpful: int = 0
    votes_not_helpful: int = 0
    # the humans
    escalated_at: float | None = None  # the first escalation
    escalations: int = 0
    reason: str = ""  # of the first escalation
    category: str = ""  # the ticket's category (last known)
    assigned_at: float | None = None  # the first time an agent took it
    queued_since: float | None = None  # the escalation an agent has not taken yet (the open episode's start)
    waits: list[float] = field(default_factory=list)  # queue wait of each escalation an agent took: escalation -> taken
    agent: str = ""  # who has (or last had) it
    agents: list[str] = field(default_factory=list)  # everyone who had it, in order
    first_response_at: float | None = None
    first_responder: str = ""  # the agent who sent the first human reply (not necessarily the first to hold the chat)
    first_response_seconds: float | None = None  # measured by the desk: ticket opened -> first agent reply, wall-clock
    first_response_working_seconds: float | None = None  # the same in working time, as the SLA clock counts it (the figure)
    resolved_at: float | None = None  # the first resolution
    resolved_by: str = ""
    transfers: int = 0
    reopens: int = 0
    handed_back: int = 0
    queue_left: int = 0
    # satisfaction
    rating: int | None = None
    rating_comment: str = ""
    rated_agent: str = ""
    # service desk
    ticket: str = ""
    policy: str = ""
    sla: dict[str, str] = field(default_factory=dict)  # clock -> "met" / "breached"
    sla_due: dict[str, float] = field(default_factory=dict)  # clock -> due time of a breach
    solved_at: float | None = None  # the ticket's first solve

    @property
    def escalated(self) -> bool:
        return self.escalations > 0

    @property
    def contained(self) -> bool:
        """The bot closed it without a human: the customer talked to the bot and was never queued."""
        return self.bot_turns > 0 and not self.escalated

    @property
    def complaint(self) -> bool:
        return self.reason in COMPLAINT_REASONS

    @property
    def first_contact_resolved(self) -> bool:
        """Solved by a human without a reopen and without a transfer (docs/metrics.md)."""
        return self.resolved_at is not None and self.reopens == 0 and self.transfers == 0

    @property
    def first_response(self) -> float | None:
        """The first response figure: working time (closed hours do not count), else the wall-clock time of facts
        that have no working time (stored by an older version, until ``./cs report --rebuild``)."""
        return self.first_response_working_seconds if self.first_response_working_seconds is not None else self.first_response_seconds

    @property
    def handle_time(self) -> float | None:
        return None if self.assigned_at is None or self.resolved_at is None else max(0.0, self.resolved_at - self.assigned_at)

    @property
    def resolution_time(self) -> float | None:
        return None if self.escalated_at is None or self.resolved_at is None else max(0.0, self.resolved_at - self.escalated_at)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ConversationFacts":
        """Facts as stored in the rollup, by this version or an older one (unknown fields are ignored)."""
        f = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        if "waits" not in data:  # stored before waits were kept per escalation: the one wait those versions counted
            if f.escalated_at is not None and f.assigned_at is not None:  # first escalation -> first assignment
                f.waits = [max(0.0, f.assigned_at - f.escalated_at)]
            f.queued_since = f.escalated_at if f.status == "queued" and f.assigned_at is None else None
        if "first_responder" not in data and f.first_response_at is not None:  # credited to the first agent, as then
            f.first_responder = f.agents[0] if f.agents else f.agent
        # first_response_working_seconds missing: ``first_response`` falls back to the wall-clock seconds. Exact
        # figures for such facts come from refolding the stream: ./cs report --rebuild.
        return f


def _first(current: float | None, ts: float) -> float:
    return ts if current is None else current


def fold(facts: ConversationFacts, event: dict, hours: Hours | None = None) -> ConversationFacts:
    """Apply one event (as written to ``Keys.events``) to the conversation's facts; unknown types are ignored.

    ``hours``: the shop's business hours, for events written before the desk measured the first response in
    working time (their working time is counted from the wall-clock seconds they carry)."""
    kind = event.get("type", "")
    ts = float(event.get("ts") or 0.0)
    f = facts
    f.last_at = max(f.last_at, ts)
    if kind == "conversation_started":
        f.started_at = ts
        f.channel = event.get("channel") or f.channel
        f.language = event.get("language") or f.language
        f.customer_tier = event.get("customer_tier") or f.customer_tier
    elif kind == "customer_message":
        f.customer_messages += 1
    elif kind == "bot_turn":
        f.bot_turns += 1
        decision = event.get("decision") or "other"
        f.decisions[decision] = f.decisions.get(decision, 0) + 1
    elif kind == "agent_message":
        f.agent_messages += 1
    elif kind == "answer_feedback":
        if event.get("helpful"):
            f.votes_helpful += 1
        else:
            f.votes_not_helpful += 1
    elif kind == "escalated":
        f.escalations += 1
        f.queued_since = ts  # an episode with people starts: its wait runs until an agent takes it
        if f.escalated_at is None:
            f.escalated_at = ts
            f.reason = event.get("reason") or ""
        f.category = event.get("category") or f.category
    elif kind == "assigned":
        f.assigned_at = _first(f.assigned_at, ts)
        if f.queued_since is not None:  # the episode's first taker; a chat requeued after its agent left is the same episode
            f.waits.append(max(0.0, ts - f.queued_since))
            f.queued_since = None
        f.agent = event.get("agent") or f.agent
        if f.agent and f.agent not in f.agents:
            f.agents.append(f.agent)
    elif kind == "transferred":
        f.transfers += 1
        f.agent = event.get("agent") or f.agent
        if f.agent and f.agent not in f.agents:
            f.agents.append(f.agent)
    elif kind == "resolved":
        if f.resolved_at is None:
            f.resolved_at = ts
            f.resolved_by = event.get("agent") or f.agent
    elif kind == "reopened" or kind == "ticket_reopened":
        f.reopens += 1
    elif kind == "handed_back":
        f.handed_back += 1
    elif kind == "queue_left":
        f.queue_left += 1
        f.queued_since = None  # the customer gave up waiting: no wait of a taken chat
    elif kind == "rated":
        f.rating = int(event.get("score") or 0) or None
        f.rating_comment = event.get("comment") or ""
        f.rated_agent = event.get("agent") or f.agent
    elif kind == "ticket_first_response":
        if f.first_response_at is None:
            f.first_response_at = ts
            f.first_responder = event.get("agent") or f.agent
            if event.get("seconds") is not None:
                f.first_response_seconds = float(event["seconds"])
            if event.get("working_seconds") is not None:
                f.first_response_working_seconds = float(event["working_seconds"])
            elif hours is not None and f.first_response_seconds is not None:
                f.first_response_working_seconds = round(hours.working_seconds_between(ts - f.first_response_seconds, ts), 1)
        _clock(f, "first_response", event.get("met"))
    elif kind == "sla_breached":
        clock = event.get("clock") or ""
        f.sla[clock] = "breached"
        f.sla_due[clock] = float(event.get("due_at") or ts)
    elif kind == "ticket_status" and event.get("status") == "solved":
        f.solved_at = _first(f.solved_at, ts)
        _clock(f, "resolution", event.get("met"))
    if kind.startswith("ticket_") or kind.startswith("sla_"):
        f.ticket = event.get("ticket") or f.ticket
        f.policy = event.get("policy") or f.policy
        f.category = event.get("category") or f.category
    if kind in ("escalated", "queue_left", "assigned", "transferred", "resolved", "handed_back", "requeued", "reopened"):
        f.status = event.get("to") or f.status
    return f


def _clock(f: ConversationFacts, name: str, met: object) -> None:
    """A clock's outcome; a breach recorded by the scheduler is never overwritten by a late "met"."""
    if met is None or f.sla.get(name) == "breached":
        return
    f.sla[name] = "met" if met else "breached"
