"""The handoff queue: escalate, claim, transfer, resolve, hand back; position and wait estimates.

Order: priority first (VIP, then complaints), then who has waited longest.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from core.settings import get_settings
from handoff.agents import AgentDirectory
from handoff.conversations import ConversationStore, TransitionResult
from handoff.models import Conversation, HandoffPacket
from handoff.triage import priority as priority_of

_PRIORITY_SPAN = 1e11  # larger than any epoch-seconds timestamp


@dataclass
class QueueSpot:
    position: int
    estimated_wait_seconds: int
    agents_online: int


class HandoffQueue:
    def __init__(self, conversations: ConversationStore, agents: AgentDirectory) -> None:
        self.conversations = conversations
        self.agents = agents
        self.r = conversations.r
        self.k = conversations.k

    async def escalate(self, conv: Conversation, packet: HandoffPacket) -> TransitionResult:
        prio = priority_of(packet.reason, conv.customer_tier)
        now = time.time()
        await self.conversations.save_packet(conv.id, packet)
        result = await self.conversations.transition(
            conv.id, {"bot"}, "queued",
            {"type": "escalated", "reason": packet.reason, "category": packet.category, "priority": prio},
            queue_op="add", queue_score=(2 - prio) * _PRIORITY_SPAN + now,
            fields={"queued_at": str(now), "priority": str(prio), "agent": ""},
        )
        return result

    async def cancel(self, cid: str) -> TransitionResult:
        """The customer leaves the queue and goes back to the bot."""
        return await self.conversations.transition(cid, {"queued"}, "bot", {"type": "queue_left"}, queue_op="rem")

    async def claim(self, cid: str, username: str) -> TransitionResult:
        agent = await self.agents.get(username)
        capacity = agent.capacity if agent else get_settings().default_agent_capacity
        return await self.conversations.transition(
            cid, {"queued"}, "assigned", {"type": "assigned", "agent": username},
            queue_op="rem", capacity=capacity, assign_to=username,
            fields={"agent": username, "assigned_at": str(time.time())},
        )

    async def transfer(self, cid: str, from_agent: str, to_agent: str) -> TransitionResult:
        target = await self.agents.get(to_agent)
        if target is None:
            return TransitionResult(False, "unknown_agent")
        return await self.conversations.transition(
            cid, {"assigned"}, "assigned", {"type": "transferred", "from": from_agent, "agent": to_agent},
            owner=from_agent, capacity=target.capacity, release_from=from_agent, assign_to=to_agent,
            fields={"agent": to_agent},
        )

    async def resolve(self, cid: str, username: str) -> TransitionResult:
        conv = await self.conversations.get(cid)
        result = await self.conversations.transition(
            cid, {"assigned"}, "resolved", {"type": "resolved", "agent": username},
            owner=username, release_from=username, fields={"resolved_at": str(time.time())},
        )
        if result.ok and conv and conv.assigned_at:
            pipe = self.r.pipeline()
            pipe.lpush(self.k.handle_times, round(time.time() - conv.assigned_at, 1))
            pipe.ltrim(self.k.handle_times, 0, 199)
            await pipe.execute()
        return result

    async def hand_back(self, cid: str, username: str) -> TransitionResult:
        return await self.conversations.transition(
            cid, {"assigned"}, "bot", {"type": "handed_back", "agent": username},
            owner=username, release_from=username, fields={"agent": ""},
        )

    async def reopen(self, cid: str) -> TransitionResult:
        """A customer writing into a resolved conversation starts a new bot episode in it."""
        return await self.conversations.transition(cid, {"resolved"}, "bot", {"type": "reopened"}, fields={"agent": "", "rating": ""})

    async def queued_ids(self) -> list[str]:
        return list(await self.r.zrange(self.k.queue, 0, -1))

    async def spot(self, cid: str) -> QueueSpot | None:
        rank = await self.r.zrank(self.k.queue, cid)
        if rank is None:
            return None
        online = [a for a in await self.agents.all() if a.presence == "online"]
        handle = [float(x) for x in await self.r.lrange(self.k.handle_times, 0, 49)]
        avg = sum(handle) / len(handle) if handle else get_settings().default_handle_seconds
        slots = max(1, sum(a.capacity for a in online))
        wait = math.ceil((rank + 1) / slots) * avg if online else 0
        return QueueSpot(rank + 1, int(wait), len(online))
