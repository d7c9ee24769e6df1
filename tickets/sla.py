"""SLA policies and clocks: which promise applies to a ticket, and how its clocks run, pause and end. Pure.

The defaults follow the service practice (DESIGN.md): a first response within
5 minutes (1 minute for VIP customers), complaints resolved within 24 hours,
everything else within 72. Clocks count working time only when the policy
says so (``business_hours_only``), pause while the ticket waits for the
customer, and warn the assignee at ``warn_fraction`` of the time.
"""

from __future__ import annotations

from core.settings import SlaPolicy
from tickets.hours import Hours
from tickets.models import Clock, Sla, Ticket

COMPLAINT_REASONS = ("complaint", "negative_feedback")


def matches(policy: SlaPolicy, ticket: Ticket) -> bool:
    if policy.tier is not None and ticket.customer_tier != policy.tier:
        return False
    if policy.complaint is not None and (ticket.reason in COMPLAINT_REASONS) != policy.complaint:
        return False
    return True


def policy_for(ticket: Ticket, policies: list[SlaPolicy]) -> SlaPolicy | None:
    """The first policy (in the configured order) that applies to the ticket."""
    return next((p for p in policies if matches(p, ticket)), None)


def _deadlines(clock: Clock, start: float, working_seconds: float, hours: Hours | None, warn_fraction: float) -> None:
    add = hours.add_working_seconds if hours else (lambda t, s: t + s)
    clock.due_at = add(start, working_seconds)
    clock.warn_at = add(start, max(0.0, working_seconds - clock.target_seconds * (1 - warn_fraction)))


class SlaClocks:
    """Starts, pauses, resumes and stops the clocks of ``Ticket.sla`` in place; each change bumps the clock's version."""

    def __init__(self, policies: list[SlaPolicy], hours: Hours) -> None:
        self.policies = policies
        self.hours = hours

    def _hours(self, sla: Sla) -> Hours | None:
        return self.hours if sla.business_hours_only else None

    def working_seconds(self, ticket: Ticket, start: float, end: float) -> float:
        """The time from ``start`` to ``end`` as the ticket's clocks count it: working time under a business-hours
        policy (a ticket opened at 22:00 and answered at 09:02 waited two minutes of the desk's time), every second
        otherwise. The first response is reported in it (analytics), so the figure and the SLA verdict agree."""
        hours = self._hours(ticket.sla)
        return hours.working_seconds_between(start, end) if hours else max(0.0, end - start)

    def _warn_fraction(self, sla: Sla) -> float:
        policy = next((p for p in self.policies if p.name == sla.policy), None)
        return policy.warn_fraction if policy else 0.8

    def start(self, ticket: Ticket, now: float) -> list[str]:
        """Attach the matching policy's clocks to a new ticket; returns the names of the clocks started."""
        policy = policy_for(ticket, self.policies)
        if policy is None:
            return []
        ticket.sla = Sla(policy=policy.name, business_hours_only=policy.business_hours_only)
        targets = {"first_response": policy.first_response_seconds, "resolution": policy.resolution_seconds}
        for name, seconds in targets.items():
            if seconds:
                clock = Clock(target_seconds=seconds, version=1)
                _deadlines(clock, now, seconds, self._hours(ticket.sla), policy.warn_fraction)
                ticket.sla.clocks[name] = clock
        return list(ticket.sla.clocks)

    def stop(self, ticket: Ticket, name: str, now: float) -> bool:
        """The promise was kept (or not): returns whether it was met.

        Judged by the working time the clock ran against its target, paused or not: a running clock's due time
        already carries every pause (``resume`` pushes it), and a paused clock ran out if nothing was left of it
        when it paused."""
        clock = ticket.sla.clocks.get(name)
        if clock is None or clock.state in ("met", "breached"):
            return bool(clock and clock.state == "met")
        met = clock.remaining > 0 if clock.state == "paused" else now <= clock.due_at
        clock.state, clock.stopped_at = ("met" if met else "breached"), now
        clock.version += 1
        return met

    def stop_all(self, ticket: Ticket, now: float) -> dict[str, bool]:
        """The ticket is solved or closed: every clock still running or paused stops. Returns each one's verdict."""
        return {name: self.stop(ticket, name, now) for name, clock in ticket.sla.clocks.items() if clock.state in ("running", "paused")}

    def pause(self, ticket: Ticket, now: float) -> None:
        for clock in ticket.sla.clocks.values():
            if clock.state == "running":
                hours = self._hours(ticket.sla)
                clock.remaining = hours.working_seconds_between(now, clock.due_at) if hours else max(0.0, clock.due_at - now)
                clock.state = "paused"
                clock.version += 1

    def resume(self, ticket: Ticket, now: float) -> None:
        for clock in ticket.sla.clocks.values():
            if clock.state == "paused":
                clock.state = "running"
                _deadlines(clock, now, clock.remaining, self._hours(ticket.sla), self._warn_fraction(ticket.sla))
                clock.version += 1

    def restart(self, ticket: Ticket, name: str, now: float) -> None:
        """A reopened ticket: the promise starts over from ``now``, its full target ahead (first response and resolution alike)."""
        clock = ticket.sla.clocks.get(name)
        if clock is None:
            return
        clock.state, clock.warned, clock.stopped_at = "running", False, None
        _deadlines(clock, now, clock.target_seconds, self._hours(ticket.sla), self._warn_fraction(ticket.sla))
        clock.version += 1


def current_clock(ticket: Ticket, now: float) -> dict:
    """The clock that matters now for an open ``ticket`` (the dashboard's "Open now", the console's order):
    ``{"name", "state": breached|running|paused|none, "due_at", "seconds_left", "warning"}``; ``seconds_left`` is negative once overdue, a paused clock's working time left, None without a clock.

    Breached while a promise is broken and still owed: a running clock past its due time (its breach job may not have
    run yet), a breached resolution clock, or a breached first response with the customer still unanswered (once
    answered, the late reply is history)."""
    clocks = ticket.sla.clocks
    owed = [(n, c) for n, c in clocks.items()
            if c.state == "breached" and (n == "resolution" or ticket.first_response_at is None)]
    running = sorted(((n, c) for n, c in clocks.items() if c.state == "running"), key=lambda nc: nc[1].due_at)
    late = [(n, c) for n, c in running if c.due_at <= now]
    if owed or late:
        name, c = min(owed + late, key=lambda nc: nc[1].due_at)
        return {"name": name, "state": "breached", "due_at": c.due_at, "seconds_left": min(0.0, c.due_at - now), "warning": True}
    if running:
        name, c = running[0]
        return {"name": name, "state": "running", "due_at": c.due_at, "seconds_left": c.due_at - now, "warning": c.warned or c.warn_at <= now}
    paused = sorted(((n, c) for n, c in clocks.items() if c.state == "paused"), key=lambda nc: nc[1].remaining)
    if paused:
        name, c = paused[0]
        return {"name": name, "state": "paused", "due_at": None, "seconds_left": c.remaining, "warning": False}
    return {"name": None, "state": "none", "due_at": None, "seconds_left": None, "warning": False}
