"""Open now: the open tickets (new, open, pending the customer) with the SLA clock that matters, most urgent first. Pure.

What a supervisor watches all day (the dashboard's "Open now" panel): each ticket's clock as its customer
lives it. A ticket is *breached* while a promise is broken and still owed: a running clock past its due time
(its breach job may not have run yet), a resolution clock that breached, or a first-response clock that
breached with the customer still unanswered (once answered, the late reply is history: the panel shows the
clock still running). Order: breached first (the longest overdue first), then the running clocks by time left
(about to breach first), then the paused ones (pending the customer) by time left, then any without a clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from tickets.models import ACTIVE, Ticket
from tickets.sla import current_clock

STATUSES = ("new", "open", "pending_customer")
_RANK = {"breached": 0, "running": 1, "paused": 2, "none": 3}


def _order(row: dict) -> tuple:
    clock = row["clock"]
    left = clock["seconds_left"]
    return (_RANK[clock["state"]], float("inf") if left is None else left, row["created_at"])


def open_now(tickets: Iterable[Ticket], now: float, customer: Callable[[Ticket], str], names: dict[str, str], limit: int) -> dict:
    """The panel's rows (at most ``limit``, most urgent first) and its counts over every open ticket.

    ``customer``: how the viewer may see the ticket's customer; ``names``: agents' display names by username.
    A ``new`` ticket is waiting for an agent, whoever last held it (a reopened one names them): no assignee.
    """
    rows = []
    for t in tickets:
        if t.status not in ACTIVE:
            continue
        assignee = None if t.status == "new" else t.assignee
        rows.append({"id": t.id, "ref": t.ref, "conversation_id": t.conversation_id, "customer": customer(t), "language": t.language,
                     "vip": t.customer_tier == "vip", "category": t.category, "channel": t.channel, "status": t.status,
                     "assignee": assignee, "assignee_name": names.get(assignee, assignee) if assignee else None,
                     "policy": t.sla.policy, "created_at": t.created_at, "clock": current_clock(t, now)})
    rows.sort(key=_order)
    breached = [r for r in rows if r["clock"]["state"] == "breached"]
    by_status = Counter(r["status"] for r in rows)
    per_agent: dict[str, dict] = {}
    for r in rows:
        if r["assignee"]:
            a = per_agent.setdefault(r["assignee"], {"agent": r["assignee"], "name": r["assignee_name"], "tickets": 0, "breached": 0,
                                                     **{s: 0 for s in STATUSES}})
            a["tickets"] += 1
            a[r["status"]] += 1
            a["breached"] += r["clock"]["state"] == "breached"
    return {
        "now": now,
        "total": len(rows),
        "counts": {**{s: by_status.get(s, 0) for s in STATUSES}, "breached": len(breached),
                   "waiting": sum(1 for r in rows if not r["assignee"])},
        "agents": sorted(per_agent.values(), key=lambda a: (-a["breached"], -a["tickets"], a["name"] or a["agent"])),
        "tickets": rows[:limit],
    }
