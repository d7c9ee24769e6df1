"""The handoff lifecycle: escalate, claim, transfer, resolve, hand back, leave the queue, rate.

Each use case is one atomic status change followed by the notice the customer
sees, so the HTTP handlers only parse, call and map errors. Refusals raise the
named errors of ``core/errors.py``.

Queue order: priority first (VIP, then complaints), then who has waited longest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from core import clock, telemetry
from core.errors import Invalid
from handoff.agents import Agent, AgentDirectory
from handoff.conversations import ConversationStore, Move, Notice, TransitionResult
from handoff.estimate import estimate_wait
from handoff.events import Event
from handoff.models import Conversation, HandoffPacket, Message
from handoff.notices import say
from handoff.triage import priority as priority_of
from handoff.votes import AnswerVotes

_PRIORITY_SPAN = 1e11  # larger than any epoch-seconds timestamp


@dataclass
class QueueSpot:
    position: int
    estimated_wait_seconds: int
    agents_online: int


class HandoffQueue:
    def __init__(self, conversations: ConversationStore, agents: AgentDirectory, *, votes: AnswerVotes | None = None,
                 default_capacity: int = 3, default_handle_seconds: float = 240.0) -> None:
        self.conversations = conversations
        self.agents = agents
        self.votes = votes or AnswerVotes(conversations.r, conversations.k)
        self.default_capacity = default_capacity
        self.default_handle_seconds = default_handle_seconds
        self.r = conversations.r
        self.k = conversations.k

    async def escalate(self, conv: Conversation, packet: HandoffPacket, *, epoch: int | None = None,
                       from_statuses: frozenset[str] = frozenset({"bot"})) -> int | None:
        """Queue the conversation for a human. Returns the new ownership episode, or ``None`` if it was not
        possible (with ``epoch``: the bot no longer owns the episode it was working in). The desk
        (``tickets/desk.py``) opens the ticket and tells the customer."""
        prio = priority_of(packet.reason, conv.customer_tier)
        now = clock.now()
        packet = packet.model_copy(update={"not_helpful": await self.votes.not_helpful(conv.id)})
        await self.conversations.save_packet(conv.id, packet)
        result = await self.conversations.transition(conv.id, Move(
            from_statuses, "queued", {"type": Event.ESCALATED, "reason": packet.reason, "category": packet.category, "priority": prio},
            epoch=epoch, queue="add", queue_score=queue_score(prio, now),
            fields={"queued_at": str(now), "priority": str(prio), "agent": ""},
        ))
        if result.ok:
            telemetry.ESCALATIONS.labels(packet.reason).inc()
        return result.epoch if result.ok else None

    async def requeue(self, conv: Conversation, from_agent: str) -> int:
        """An agent left (offline, session gone): their chat goes back to the queue, keeping its place. Returns the
        episode it began (what the customer is told of it is said once per episode), 0 if the chat was not theirs."""
        result = await self.conversations.transition(conv.id, Move(
            frozenset({"assigned"}), "queued", {"type": Event.REQUEUED, "from": from_agent},
            owner=from_agent, release_from=from_agent, queue="add", queue_score=queue_score(conv.priority, conv.queued_at or time.time()),
            fields={"agent": ""},
        ))
        return result.epoch if result.ok else 0

    async def cancel(self, conv: Conversation) -> None:
        """The customer leaves the queue and goes back to the bot."""
        result = await self.conversations.transition(conv.id, Move(frozenset({"queued"}), "bot", {"type": Event.QUEUE_LEFT}, queue="remove",
                                                                   notice=Notice(say("queue_left", conv.language), {"kind": "queue_left"}, conv.channel)))
        result.raise_for("leave the queue")

    async def claim(self, cid: str, agent: Agent, *, by: str = "claim") -> Message | None:
        """The agent takes the chat (``by``: "claim", "routing" or a supervisor). Returns the "has joined" notice,
        written in the same step as the claim: a worker that dies right after never leaves the customer untold."""
        conv = await self.conversations.require(cid)
        result = await self.conversations.transition(cid, Move(
            frozenset({"queued"}), "assigned", {"type": Event.ASSIGNED, "agent": agent.username, "by": by},
            queue="remove", capacity=agent.capacity or self.default_capacity, assign_to=agent.username,
            fields={"agent": agent.username, "assigned_at": str(clock.now())},
            notice=Notice(say("assigned", conv.language, agent=agent.display_name), {"kind": "assigned", "agent": agent.display_name}, conv.channel),
        ))
        result.raise_for("claim")
        queued = await self.conversations.get(cid)
        if queued and queued.queued_at and queued.assigned_at:
            telemetry.QUEUE_WAIT.observe(max(0.0, queued.assigned_at - queued.queued_at))
        await self.remember(agent.username, cid)
        return await self.conversations.message(cid, result.notice_id)

    async def transfer(self, conv: Conversation, from_agent: str, to_agent: str) -> None:
        """Hand an assigned chat to another agent. Refused (``Invalid``) when it would stay with the same agent:
        the customer would be told they were transferred, and the transfer counted, for nothing."""
        if to_agent == from_agent:
            raise Invalid(f"this chat is already {to_agent}'s: pick another agent")
        target = await self.agents.get(to_agent)
        if target is None:
            TransitionResult(False, conv.status, "unknown_agent").raise_for("transfer")
        result = await self.conversations.transition(conv.id, Move(
            frozenset({"assigned"}), "assigned", {"type": Event.TRANSFERRED, "from": from_agent, "agent": to_agent},
            owner=from_agent, capacity=target.capacity, release_from=from_agent, assign_to=to_agent, fields={"agent": to_agent},
            notice=Notice(say("transferred", conv.language, agent=target.display_name), {"kind": "transferred", "agent": target.display_name}, conv.channel),
        ))
        result.raise_for("transfer")
        await self.remember(to_agent, conv.id)

    async def resolve(self, conv: Conversation, username: str, *, seen: str = "") -> None:
        """The agent closes the chat. Refused (``CustomerWrote``) while a customer message written to the agent
        waits for its turn, or (``seen``: the last message the agent was shown) the customer wrote after it:
        a message written to the agent is the agent's to answer, never one that reopens what they just solved."""
        result = await self.conversations.transition(conv.id, Move(
            frozenset({"assigned"}), "resolved", {"type": Event.RESOLVED, "agent": username},
            owner=username, release_from=username, fields={"resolved_at": str(clock.now())},
            settled=True, seen=seen, notice=Notice(say("resolved", conv.language), {"kind": "rating_request"}, conv.channel),
        ))
        result.raise_for("resolve")
        if conv.assigned_at:
            pipe = self.r.pipeline()
            pipe.lpush(self.k.handle_times, round(clock.now() - conv.assigned_at, 1))
            pipe.ltrim(self.k.handle_times, 0, 199)
            await pipe.execute()

    async def hand_back(self, conv: Conversation, username: str, *, seen: str = "") -> None:
        """The agent gives the chat back to the bot; refused like ``resolve`` (a question to the agent is not the bot's)."""
        result = await self.conversations.transition(conv.id, Move(
            frozenset({"assigned"}), "bot", {"type": Event.HANDED_BACK, "agent": username},
            owner=username, release_from=username, fields={"agent": ""},
            settled=True, seen=seen, notice=Notice(say("handed_back", conv.language), {"kind": "handed_back"}, conv.channel),
        ))
        result.raise_for("hand back")

    async def reopen(self, cid: str) -> TransitionResult:
        """A customer writing into a resolved conversation starts a new bot episode in it."""
        return await self.conversations.transition(cid, Move(frozenset({"resolved"}), "bot", {"type": Event.REOPENED}, fields={"agent": "", "rating": "", "rating_comment": ""}))

    async def rate(self, conv: Conversation, score: int, comment: str, *, turn: str = "") -> Message | None:
        """The customer rates a resolved chat. Rating it again replaces the score and comment (analytics keep
        one rating per chat, the latest) without a second "thanks for your rating" line. Returns the thanks line,
        if one was said; ``turn``: the customer message that was the rating (a score typed on a messaging channel)."""
        result, first = await self.conversations.rate(conv.id, score, self.conversations.masked(comment), conv.agent)
        result.raise_for("rate (only a resolved conversation can be rated)")
        if not first:
            return None
        return await self.conversations.append(conv.id, "system", say("rating_thanks", conv.language), channel=conv.channel,
                                               meta={"kind": "rating_thanks", "score": score, **({"turn": turn} if turn else {})})

    async def remember(self, username: str, cid: str) -> None:
        """Every chat an agent took stays findable in their "recent" list (``handoff/history.py``)."""
        await self.r.zadd(self.k.agent_history(username), {cid: time.time()})

    async def queued_ids(self) -> list[str]:
        return list(await self.r.zrange(self.k.queue, 0, -1))

    async def queued_at(self) -> dict[str, float | None]:
        """Each waiting customer's conversation, in queue order, and when it was queued: two round trips, however long the queue."""
        queued = await self.queued_ids()
        pipe = self.r.pipeline(transaction=False)
        for cid in queued:
            pipe.hget(self.k.conv(cid), "queued_at")
        return {cid: float(ts) if ts else None for cid, ts in zip(queued, await pipe.execute())}

    async def spot(self, cid: str) -> QueueSpot | None:
        """Where a waiting customer stands, and how long they will wait (``handoff/estimate.py``)."""
        rank = await self.r.zrank(self.k.queue, cid)
        if rank is None:
            return None
        online = await self.agents.with_loads(online=True)
        handle = [float(x) for x in await self.r.lrange(self.k.handle_times, 0, 49)]
        wait = estimate_wait(rank, [a.capacity for a, _ in online], [load for _, load in online], handle or [self.default_handle_seconds])
        return QueueSpot(rank + 1, int(wait), len(online))


def queue_score(priority: int, queued_at: float) -> float:
    """Queue order: higher priority first, then who has waited longest."""
    return (2 - priority) * _PRIORITY_SPAN + queued_at
