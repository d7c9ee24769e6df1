"""Live now: customers with the bot, the queue and its longest wait, agents online and their load."""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.periods import between
from analytics.rollup import Rollup
from handoff.agents import AgentDirectory
from handoff.queue import HandoffQueue

ACTIVE_SECONDS = 15 * 60  # a conversation with the bot counts as live if something happened in it this recently


async def live_now(queue: HandoffQueue, agents: AgentDirectory, rollup: Rollup, now: float) -> dict:
    queued = await queue.queued_at()
    waits = [now - ts for ts in queued.values() if ts]
    staff = await agents.with_loads()
    available = await agents.available([a for a, _ in staff])  # what routing uses: online *and* at a console
    await rollup.catch_up()
    today = datetime.fromtimestamp(now, rollup.zone).date()
    recent = await rollup.facts(between(today - timedelta(days=1), today, rollup.zone))
    with_bot = [f for f in recent if f.status == "bot" and f.bot_turns > 0 and now - f.last_at <= ACTIVE_SECONDS]
    return {
        "with_bot": len(with_bot),
        "queue": {"length": len(queued), "longest_wait_seconds": max(waits) if waits else 0.0},
        "agents": [{"agent": a.username, "name": a.display_name, "presence": a.presence, "available": free, "chats": load, "capacity": a.capacity}
                   for (a, load), free in zip(staff, available)],
        "agents_online": sum(available),  # offered chats now (an agent online through the API alone is not)
    }
