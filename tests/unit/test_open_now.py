"""The dashboard's "Open now" rows (analytics/open_now.py), pure: which clock a ticket shows, the order (breached,
then by time left, then paused), and the counts per status and agent."""

from __future__ import annotations

from analytics.open_now import open_now
from core.settings import BusinessHours, SlaPolicy
from tickets.hours import Hours
from tickets.models import Ticket
from tickets.sla import SlaClocks

H = 3600.0
T0 = 1_700_000_000.0
CLOCKS = SlaClocks([SlaPolicy(name="standard", first_response_seconds=300, resolution_seconds=72 * H, business_hours_only=False)],
                   Hours(BusinessHours(always_open=True)))


def ticket(n: int, created: float, status: str = "open", assignee: str | None = "amy") -> Ticket:
    t = Ticket(id=f"t{n}", number=n, conversation_id=f"c{n:032d}", created_at=created, status=status, assignee=assignee)
    CLOCKS.start(t, created)
    return t


def board(tickets: list[Ticket], now: float, limit: int = 100) -> dict:
    return open_now(tickets, now, lambda t: "Pat", {"amy": "Amy"}, limit)


def test_breached_first_then_time_left_then_paused():
    now = T0 + 10 * H
    answered_late = ticket(1, T0)  # first response breached, then answered: its resolution clock runs (62 h left)
    answered_late.sla.clocks["first_response"].state = "breached"
    answered_late.first_response_at = T0 + H
    unanswered_breach = ticket(2, T0)  # the breach job ran; nobody answered yet: still owed
    unanswered_breach.sla.clocks["first_response"].state = "breached"
    overdue = ticket(3, now - 400, status="new", assignee=None)  # due 100 s ago, the breach job not run yet
    soon = ticket(4, now - 200)  # 100 s left
    paused = ticket(5, now - 100, status="pending_customer")
    CLOCKS.stop(paused, "first_response", now - 50)
    CLOCKS.pause(paused, now - 50)
    solved = ticket(6, now, status="solved")
    out = board([answered_late, paused, soon, overdue, solved, unanswered_breach], now)
    assert [r["ref"] for r in out["tickets"]] == ["T-000002", "T-000003", "T-000004", "T-000001", "T-000005"]
    clocks = {r["ref"]: r["clock"] for r in out["tickets"]}
    assert clocks["T-000002"]["state"] == "breached" and clocks["T-000002"]["seconds_left"] == -(10 * H - 300)
    assert clocks["T-000003"] == {"name": "first_response", "state": "breached", "due_at": now - 100, "seconds_left": -100, "warning": True}
    assert clocks["T-000004"]["state"] == "running" and clocks["T-000004"]["seconds_left"] == 100
    assert clocks["T-000001"]["name"] == "resolution" and clocks["T-000001"]["state"] == "running"
    assert clocks["T-000005"]["state"] == "paused" and clocks["T-000005"]["due_at"] is None
    assert out["counts"] == {"new": 1, "open": 3, "pending_customer": 1, "breached": 2, "waiting": 1}
    assert out["agents"] == [{"agent": "amy", "name": "Amy", "tickets": 4, "breached": 1, "new": 0, "open": 3, "pending_customer": 1}]
    assert out["total"] == 5


def test_a_waiting_ticket_names_no_assignee_and_the_limit_keeps_the_counts():
    now = T0 + H
    reopened = ticket(1, now - 60, status="new", assignee="amy")  # reopened: still names its last agent, but waits
    others = [ticket(n, now - 10 * n) for n in range(2, 6)]
    out = board([reopened, *others], now, limit=2)
    assert len(out["tickets"]) == 2 and out["total"] == 5
    assert out["counts"]["waiting"] == 1 and out["agents"][0]["tickets"] == 4
    assert next(r for r in board([reopened], now)["tickets"])["assignee"] is None


def test_no_open_tickets():
    assert board([], T0) == {"now": T0, "total": 0, "counts": {"new": 0, "open": 0, "pending_customer": 0, "breached": 0, "waiting": 0},
                             "agents": [], "tickets": []}
