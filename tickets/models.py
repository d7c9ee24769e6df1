"""What a ticket is: the record of one request, numbered for people (T-000123), from escalation to closing.

Status: ``new`` (waiting for an agent), ``open`` (an agent has it),
``pending_customer`` (waiting for the customer: the SLA clocks pause),
``solved`` (the agent solved it; it closes by itself after a quiet period, and
the customer writing before that reopens it), ``closed`` (final).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

TicketStatus = Literal["new", "open", "pending_customer", "solved", "closed"]
ACTIVE: frozenset[str] = frozenset({"new", "open", "pending_customer"})
ClockName = Literal["first_response", "resolution"]
ClockState = Literal["running", "paused", "met", "breached"]


class Clock(BaseModel):
    """One SLA clock. Times are epoch seconds; ``version`` changes whenever the clock does, so a job
    scheduled for an older version knows it is stale."""

    target_seconds: float
    state: ClockState = "running"
    due_at: float = 0.0
    warn_at: float = 0.0
    remaining: float = 0.0  # working seconds left, while paused
    warned: bool = False
    stopped_at: float | None = None
    version: int = 0


class Sla(BaseModel):
    policy: str = ""
    business_hours_only: bool = True
    clocks: dict[str, Clock] = Field(default_factory=dict)


class Ticket(BaseModel):
    id: str
    number: int
    conversation_id: str
    channel: str = "web"
    language: str = "en"
    customer_id: str | None = None
    customer_tier: str = "standard"
    category: str = "other"
    reason: str = ""
    priority: int = 0
    status: TicketStatus = "new"
    assignee: str | None = None
    tags: list[str] = Field(default_factory=list)
    summary: str = ""
    contact: str = ""  # a phone number or e-mail the customer left (offline)
    created_at: float = 0.0
    updated_at: float = 0.0
    first_response_at: float | None = None
    solved_at: float | None = None
    closed_at: float | None = None
    reopened: int = 0
    reopened_at: float | None = None  # the last reopen: the episode the current first response is owed for began then
    transfers: int = 0
    escalated: bool = False  # an SLA breach sent it to the supervisors
    followup_due: float | None = None  # 回访: when the owner should call back (complaints)
    followup_done_at: float | None = None
    rating: int | None = None
    sla: Sla = Field(default_factory=Sla)

    @computed_field  # in every API answer: what people say and search for
    @property
    def ref(self) -> str:
        return ticket_ref(self.number)


def ticket_ref(number: int) -> str:
    return f"T-{number:06d}"
