"""SLA clocks (tickets/sla.py), pure: stopping a clock judges the working time it ran against its target, whether it
was running or paused, and every clock stops at once when a ticket is solved or closed."""

from __future__ import annotations

from core.settings import BusinessHours, SlaPolicy
from tickets.hours import Hours
from tickets.models import Ticket
from tickets.sla import SlaClocks

H = 3600.0
T0 = 1_700_000_000.0


def clocks() -> SlaClocks:
    policy = SlaPolicy(name="standard", first_response_seconds=300, resolution_seconds=72 * H, business_hours_only=False)
    return SlaClocks([policy], Hours(BusinessHours(always_open=True)))


def ticket(c: SlaClocks) -> Ticket:
    t = Ticket(id="t1", number=1, conversation_id="c1", created_at=T0)
    c.start(t, T0)
    return t


def test_a_clock_paused_after_its_due_time_is_breached_when_stopped():
    c = clocks()
    t = ticket(c)
    c.pause(t, T0 + 73 * H)  # already late when the agent set pending customer
    assert c.stop(t, "resolution", T0 + 80 * H) is False
    assert t.sla.clocks["resolution"].state == "breached"


def test_a_clock_paused_in_time_is_met_when_stopped_however_long_the_pause():
    c = clocks()
    t = ticket(c)
    c.pause(t, T0 + 1 * H)  # 1 h used of 72; waiting for the customer does not count
    assert c.stop(t, "resolution", T0 + 80 * H) is True


def test_the_time_paused_pushes_the_due_time_and_no_more():
    c = clocks()
    t = ticket(c)
    c.pause(t, T0 + 1 * H)
    c.resume(t, T0 + 3 * H)  # two hours paused: due at 74 h
    assert t.sla.clocks["resolution"].due_at == T0 + 74 * H
    late = t.model_copy(deep=True)
    assert c.stop(t, "resolution", T0 + 73.5 * H) is True
    assert c.stop(late, "resolution", T0 + 80 * H) is False


def test_stopping_every_clock_judges_each_and_leaves_stopped_ones_alone():
    c = clocks()
    t = ticket(c)
    assert c.stop(t, "first_response", T0 + 60) is True
    version = t.sla.clocks["first_response"].version
    assert c.stop_all(t, T0 + 80 * H) == {"resolution": False}
    assert {n: k.state for n, k in t.sla.clocks.items()} == {"first_response": "met", "resolution": "breached"}
    assert t.sla.clocks["first_response"].version == version


def test_solving_without_a_reply_judges_the_first_response_clock_too():
    c = clocks()
    t = ticket(c)
    assert c.stop_all(t, T0 + 600) == {"first_response": False, "resolution": True}
    quick = ticket(c)
    assert c.stop_all(quick, T0 + 120) == {"first_response": True, "resolution": True}


def test_the_time_to_a_reply_counts_working_time_under_a_business_hours_policy_and_every_hour_otherwise():
    """A ticket opened at 22:00, after closing, and answered at 09:02: two minutes of the desk's time, not eleven hours."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    hours = Hours(BusinessHours(timezone="Asia/Shanghai", opens="09:00", closes="21:00"))
    opened = datetime(2026, 3, 2, 22, 0, tzinfo=zone).timestamp()
    replied = datetime(2026, 3, 3, 9, 2, tzinfo=zone).timestamp()
    office = SlaClocks([SlaPolicy(name="standard", first_response_seconds=300)], hours)
    t = Ticket(id="t1", number=1, conversation_id="c1", created_at=opened)
    office.start(t, opened)
    assert office.working_seconds(t, opened, replied) == 120
    round_the_clock = SlaClocks([SlaPolicy(name="standard", first_response_seconds=300, business_hours_only=False)], hours)
    t2 = Ticket(id="t2", number=2, conversation_id="c2", created_at=opened)
    round_the_clock.start(t2, opened)
    assert round_the_clock.working_seconds(t2, opened, replied) == replied - opened
