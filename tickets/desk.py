"""The service desk: every escalation is a ticket with SLA clocks, pushed to the right agent, followed up.

The conversation's owner (bot, queue, agent) is still decided by the handoff
queue's atomic transitions (``handoff/queue.py``); the desk wraps each of them
with what the service practice adds: the ticket and its number, the SLA
clocks and the due work they schedule, push assignment, reopening, auto-close
and the follow-up call after a complaint. Every change is an event.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio.lock import Lock
from redis.exceptions import RedisError

from core import telemetry
from core.clock import now as current_time
from core.errors import Conflict, NotAllowed, WrongStatus
from core.pii import parse_contact
from core.text import shown_as_typed
from customers.store import CustomerRecord, CustomerStore
from handoff.agents import Agent, AgentDirectory
from handoff.consoles import Consoles
from handoff.conversations import ConversationStore, Guard
from handoff.events import Event, Frame
from handoff.models import Conversation, HandoffPacket, Message
from handoff.notices import say
from handoff.queue import HandoffQueue
from tickets.hours import Hours
from tickets.models import ACTIVE, Ticket
from tickets.routing import Candidate, ranked
from tickets.scheduler import Scheduler
from tickets.sla import SlaClocks
from tickets.store import TicketStore

log = logging.getLogger(__name__)


class IllegalStatus(Conflict):
    pass


# What an agent may set a ticket to by hand, and from which status (the rest follows what happens to the chat).
_MANUAL_FROM: dict[str, frozenset[str]] = {"pending_customer": frozenset({"open"}), "open": frozenset({"pending_customer"})}


class AgentOffline(Conflict):
    """A transfer or reassignment to an agent who is offline."""


class InvalidContact(ValueError):
    pass


@dataclass(frozen=True)
class DeskTimes:
    auto_close_seconds: float = 3 * 86400  # a solved ticket closes after this long without a word from the customer
    followup_seconds: float = 86400  # the follow-up call after a complaint is due this long after solving
    presence_grace_seconds: float = 60.0  # an agent whose consoles all closed is offline after this long
    console_lease_seconds: float = 60.0  # an open console's lease lapses this long after its last renewal
    auto_assign: bool = True  # push new tickets to agents, unless a supervisor switched the desk to manual


def _tier(conv: Conversation, record: CustomerRecord | None) -> str:
    """The ticket's customer group: the conversation's (the shop's signed word when it started), or VIP if the customer's
    record says so (a supervisor marked them VIP in the console: their next hand-over is a VIP's)."""
    return "vip" if record is not None and record.tier == "vip" else conv.customer_tier


class TicketDesk:
    def __init__(self, conversations: ConversationStore, agents: AgentDirectory, queue: HandoffQueue, tickets: TicketStore,
                 customers: CustomerStore, clocks: SlaClocks, hours: Hours, scheduler: Scheduler, times: DeskTimes = DeskTimes()) -> None:
        self.conversations = conversations
        self.agents = agents
        self.queue = queue
        self.tickets = tickets
        self.customers = customers
        self.clocks = clocks
        self.hours = hours
        self.scheduler = scheduler
        self.times = times
        self.r = conversations.r
        self.k = conversations.k
        self._take_sweep_script = self.r.register_script(_TAKE_SWEEP)
        self.consoles = agents.consoles or Consoles(self.r, self.k, lease_seconds=times.console_lease_seconds, grace_seconds=times.presence_grace_seconds)

    @classmethod
    def from_settings(cls, settings, conversations: ConversationStore, agents: AgentDirectory, queue: HandoffQueue,
                      customers: CustomerStore, scheduler: Scheduler) -> "TicketDesk":
        """The desk with the SLA policies, business hours and times from configuration (hub and scheduler alike)."""
        hours = Hours(settings.business_hours)
        times = DeskTimes(auto_close_seconds=settings.ticket_auto_close_hours * 3600, followup_seconds=settings.followup_after_hours * 3600,
                          presence_grace_seconds=settings.presence_grace_seconds, console_lease_seconds=settings.console_lease_seconds,
                          auto_assign=settings.auto_assign)
        return cls(conversations, agents, queue, TicketStore(conversations.r, conversations.k), customers,
                   SlaClocks(settings.sla_policies, hours), hours, scheduler, times)

    def closing(self, cid: str) -> Lock:
        """Closing a chat and routing a customer's message into it exclude each other.

        Without it a message arriving while an agent resolves could find the chat resolved
        but its ticket not yet solved: it went to the bot, or to an agent who had just left.
        Held for a few Redis round trips, never while the bot thinks.
        """
        return self.r.lock(self.k.desk_lock(cid), timeout=10, blocking_timeout=10)

    # ---------------------------------------------------------------- escalation
    async def escalate(self, conv: Conversation, packet: HandoffPacket, *, epoch: int | None = None,
                       from_statuses: frozenset[str] = frozenset({"bot"})) -> list[Message]:
        """Queue the conversation, open (or reopen) its ticket, tell the customer, and push it to an agent."""
        new_epoch = await self.queue.escalate(conv, packet, epoch=epoch, from_statuses=from_statuses)
        if new_epoch is None:
            return []
        return await self.queued(conv, packet, new_epoch)

    async def queued(self, conv: Conversation, packet: HandoffPacket, epoch: int, *, told: bool = False) -> list[Message]:
        """What follows the move to the queue (``epoch``: the episode it began): the ticket, the customer told, the
        chat pushed to an agent. Run again for a hand-over whose hub died part way (``Orchestrator._said``): the
        ticket opened then is kept, and ``told``: the customer was told already."""
        ticket = await self._ticket_for(conv, packet)
        now = await self.conversations.get(conv.id)
        if now is not None and now.status == "bot" and ticket.status in ACTIVE:
            # The customer left the queue while the ticket was being opened: their leaving found no ticket to close.
            await self._close(ticket.id, by="customer", reason="cancelled")
            return []
        notice = None
        if not told:
            # Once per episode, whoever writes it: a turn taken again while its first worker still runs (the turn lock
            # expired under a stalled Redis) may get here twice at once.
            text, meta, _at_once = await self._queue_notice(conv.id, ticket.ref, packet.language, ticket)
            notice, again = await self.conversations.append_once(conv.id, "system", text, f"queued-{epoch}", channel=conv.channel, meta=meta,
                                                                 guard=Guard(frozenset({"queued"}), epoch=epoch))
            notice = None if again else notice
        joined = await self.route(ticket)
        return [m for m in (notice, joined) if m is not None]

    async def _queue_notice(self, cid: str, ref: str, language: str, ticket: Ticket | None = None) -> tuple[str, dict, bool]:
        """What a customer just put in the queue is told (``ref``: their ticket's number): taken at once, their place
        and wait, or that nobody is available (with the contact form, ``ask_contact``); and whether it is "at once".

        ``ticket``: the new ticket about to be routed: "at once" is then whether an agent online fits it now (has room,
        speaks its language), not the queue's free capacity. The estimate counts every waiting chat and every free
        seat: a Chinese customer behind an English chat nobody online speaks was told "第 2 位，约 1 分钟" and joined at
        once; an English customer with only Chinese speakers free was told "an agent will be with you in a moment"."""
        now = current_time()
        spot = await self.queue.spot(cid)
        staffed = spot is not None and spot.agents_online > 0 and self.hours.is_open(now)
        meta = {"kind": "queued", "ticket": ref, **(spot.__dict__ if spot else {})}
        if not staffed:
            back = self.hours.next_open(now) if not self.hours.is_open(now) else None
            when = say("back_at", language, when=self.hours.when(back, language, now)) if back else ""
            return say("queued_nobody_online", language, ticket=ref, back=when), {**meta, "kind": "offline", "ask_contact": True, "back_at": back}, False
        if ticket is not None:
            at_once = ticket.status == "new" and await self.pushes() and bool(ranked(ticket, await self.candidates()))
        else:
            at_once = spot.estimated_wait_seconds <= 0 and await self.pushes()  # free capacity: routing assigns the chat right away
        if at_once:
            return say("queued_now", language, ticket=ref), meta, True
        minutes = max(1, round(spot.estimated_wait_seconds / 60))
        return say("queued", language, ticket=ref, position=spot.position, ahead=spot.position - 1, minutes=minutes), meta, False

    async def _ticket_for(self, conv: Conversation, packet: HandoffPacket) -> Ticket:
        """The conversation's ticket: a solved one is reopened, an active one kept, otherwise a new one."""
        now = current_time()
        current = await self.tickets.get(conv.ticket_id) if conv.ticket_id else None
        if current and current.status == "solved":
            def reopen(t: Ticket) -> dict | None:
                if t.status != "solved":
                    return None  # reopened meanwhile (another worker finishing the same hand-over): once
                previous = t.assignee
                t.status, t.reopened, t.solved_at = "new", t.reopened + 1, None
                # A new episode: the customer is owed a first reply again, within the target from now (the first
                # episode's reply answered another message), and a resolution.
                t.reopened_at, t.first_response_at = now, None
                self.clocks.restart(t, "first_response", now)
                self.clocks.restart(t, "resolution", now)
                return {"from": "solved", "previous": previous}
            return await self._clocks_step(current.id, lambda: self.tickets.change(current.id, reopen, Event.TICKET_REOPENED))
        if current and current.status in ACTIVE:
            return current
        record = await self.customers.get(conv.customer_id) if conv.customer_id else None
        ticket = await self.tickets.create(
            conversation_id=conv.id, channel=conv.channel, language=packet.language or conv.language, customer_id=record.id if record else None,
            customer_tier=_tier(conv, record), category=packet.category, reason=packet.reason, priority=conv.priority or 0,
            summary=packet.summary[:300], contact=(record.phone or record.email) if record else "",
        )
        refreshed = await self.conversations.get(conv.id)
        ticket.priority = refreshed.priority if refreshed else ticket.priority
        self.clocks.start(ticket, now)
        # Another worker finishing the same hand-over may have opened it first: that one is kept, its clocks its own.
        stored = await self._clocks_step(ticket.id, lambda: self.tickets.save_new(ticket, {"reason": packet.reason}, replaces=conv.ticket_id or ""),
                                         schedule=lambda written: written.id == ticket.id)
        if stored.id != ticket.id:
            return stored
        await self._announce(ticket)
        return ticket

    # ---------------------------------------------------------------- routing
    async def pushes(self) -> bool:
        """Whether new tickets are pushed to agents (else agents claim them from the queue)."""
        mode = await self.r.get(self.k.desk_assignment)
        return self.times.auto_assign if mode is None else mode == "push"

    async def set_pushes(self, on: bool) -> None:
        await self.r.set(self.k.desk_assignment, "push" if on else "manual")
        if on:
            await self.drain()

    async def candidates(self) -> list[Candidate]:
        """Everyone who could take a chat now, with their load: two round trips to Redis, whatever the team's size."""
        last = dict(await self.r.zrange(self.k.agent_last_assigned(), 0, -1, withscores=True))
        return [Candidate(a.username, frozenset(a.skills), load, a.capacity, last.get(a.username, 0.0))
                for a, load in await self.agents.with_loads(online=True) if not a.must_change_password]

    async def route(self, ticket: Ticket, candidates: list[Candidate] | None = None) -> Message | None:
        """Push a waiting ticket to the best available agent (``tickets/routing.py``). Returns the "has joined" notice.
        ``candidates``: as just read by the caller (each claim checks the agent's room again anyway).

        Out of business hours nothing is pushed: the desk is closed, the ticket waits for the morning (an
        agent who is online may still claim it by hand). With push assignment off, nothing is pushed either."""
        if ticket.status != "new" or not self.hours.is_open(current_time()) or not await self.pushes():
            return None
        record = await self.customers.get(ticket.customer_id) if ticket.customer_id else None
        candidates = candidates if candidates is not None else await self.candidates()
        # A waiting ticket that still names an assignee was solved by them and reopened: they come first if free.
        for username in ranked(ticket, candidates, record.dedicated_agent if record else None, previous=ticket.assignee):
            agent = await self.agents.get(username)
            try:
                joined = await self.queue.claim(ticket.conversation_id, agent, by="routing")
            except Conflict:
                continue  # full meanwhile, or somebody claimed it: try the next, or stop
            except Exception:
                return None
            await self._assigned(ticket.conversation_id, agent.username, by="routing")
            return joined
        return None

    async def drain(self) -> int:
        """Offer every waiting ticket, oldest first, to whoever is free now (an agent came online or finished a chat).

        Stops as soon as nobody online has room: with a long queue and a full team, the chat that just freed a seat
        is offered the first waiting ticket, not every one (each resolve read the whole queue, ~45 Redis commands a
        waiting chat: 6000 for 135 waiting). A waiting chat nobody free can take (their language) costs a few round
        trips, not a routing: the sweep drains every few seconds, with a queue of Chinese chats and an idle English agent.
        The team is read again only after a routing was tried (a seat taken, or lost to another worker): a chat nobody
        free can take leaves it as it was (each read is every agent's record, presence and load). Out of business
        hours, or with push assignment off, nothing is read: ``route`` would push nothing (it checks both again
        before each push, should a supervisor switch the desk meanwhile)."""
        if not self.hours.is_open(current_time()) or not await self.pushes():
            return 0
        assigned = 0
        candidates: list[Candidate] | None = None
        for cid in await self.queue.queued_ids():
            if candidates is None:
                candidates = await self.candidates()
            if not any(c.has_room for c in candidates):
                break
            conv = await self.conversations.get(cid)
            ticket = await self.tickets.get(conv.ticket_id) if conv and conv.ticket_id else None
            if ticket and ranked(ticket, candidates):
                if await self.route(ticket, candidates):
                    assigned += 1
                candidates = None
        return assigned

    async def _assigned(self, cid: str, username: str, *, by: str, follow: bool = True) -> Ticket | None:
        """The ticket names ``username``, to whom the chat just went (claimed, pushed, transferred). ``follow``: then,
        if the chat moved on meanwhile (transferred again, back in the queue), the ticket follows it (``settle``)."""
        conv = await self.conversations.require(cid)
        if not conv.ticket_id:
            return None
        if follow and (conv.status != "assigned" or conv.agent != username):
            await self.settle(cid, by=by)  # moved on already: the ticket follows where it is, no transfer counted twice
            return await self.tickets.get(conv.ticket_id)
        now = current_time()

        resumed = [False]  # taken over while pending the customer: its clocks run again and need their jobs

        def assign(t: Ticket) -> dict | None:
            if t.assignee == username and t.status == "open":
                return None  # said already (a repair and the step it repairs, both at once): one event, one transfer counted
            previous = t.assignee
            t.assignee, resumed[0] = username, t.status == "pending_customer"
            self._set_status(t, "open", now)
            if previous and previous != username:
                t.transfers += 1
            return {"by": by, "previous": previous}

        # Only if it resumed: otherwise the jobs of its running clocks are already scheduled (every claim comes here).
        ticket = await self._clocks_step(conv.ticket_id, lambda: self.tickets.change(conv.ticket_id, assign, Event.TICKET_ASSIGNED),
                                         schedule=lambda _: resumed[0])
        await self.r.zadd(self.k.agent_last_assigned(), {username: now})
        await self._announce(ticket)
        if follow:
            # Two moves of one chat finish their tickets in either order (a transfer to bob, then bob's own to carol,
            # whose ticket step came first): the last ticket write must not name bob while carol has the chat.
            now_conv = await self.conversations.get(cid)
            if now_conv is not None and not _agrees(now_conv, ticket):
                await self.settle(cid, by=by)
        return ticket

    async def _unassigned(self, ticket_id: str, *, by: str, reason: str) -> Ticket:
        """The ticket waits for an agent again ("new", nobody's): its chat went back to the queue."""
        def unassign(t: Ticket) -> dict | None:
            if t.status not in ("open", "pending_customer"):
                return None  # waiting already, or closed meanwhile
            previous, t.assignee = t.assignee, None
            self._set_status(t, "new", current_time())
            return {"by": by, "previous": previous, "reason": reason}

        ticket = await self._clocks_step(ticket_id, lambda: self.tickets.change(ticket_id, unassign, Event.TICKET_ASSIGNED))
        await self._announce(ticket)
        return ticket

    async def settle(self, cid: str, *, by: str = "recovery") -> None:
        """Make the chat's ticket say what the chat says, whatever step of a hand-over was cut short (idempotent).

        A chat's move (claim, push, transfer, back to the queue) is one atomic step; its ticket's is the next. A hub
        that died between them left an assigned chat whose ticket named the agent who had it before (a transfer),
        or nobody ("new": a claim), or a chat back in the queue whose ticket still named the agent who left ("open":
        routing offers only "new" tickets, so it waited for good). The ticket follows the chat: assigned, it names
        the chat's agent and is open; queued, it is "new" again (``drain`` then offers it). Run by the sweep for every
        chat that disagrees with its ticket, and after every ticket step whose chat moved on meanwhile."""
        for _ in range(3):  # the chat may move again while its ticket is made to follow (each move then settles it too)
            conv = await self.conversations.get(cid)
            ticket = await self.tickets.get(conv.ticket_id) if conv and conv.ticket_id else None
            if conv is None or ticket is None or _agrees(conv, ticket):
                return
            if conv.status == "assigned":
                log.warning("conversation %s: its ticket did not name %s, who has the chat: it does now", cid, conv.agent)
                await self.queue.remember(conv.agent, cid)  # the step between the chat's and the ticket's
                await self._assigned(cid, conv.agent, by=by, follow=False)
            else:
                log.warning("conversation %s: back in the queue, its ticket still named %s: waiting again", cid, ticket.assignee)
                if ticket.assignee:  # the move back to the queue is the agent leaving: the customer is told, if not yet
                    await self._tell_stepped_away(conv, await self._display_name(ticket.assignee), conv.epoch)
                await self._unassigned(ticket.id, by=by, reason="chat back in the queue")

    async def _display_name(self, username: str) -> str:
        agent = await self.agents.get(username)
        return agent.display_name if agent else await self.r.hget(self.k.agents_departed, username) or username

    async def _disagreeing(self) -> list[str]:
        """The chats, assigned or waiting, whose ticket does not say what they say: a few round trips, whatever the
        team's size (every agent's chats, the queue, then their conversations and tickets, one pipeline each)."""
        names = sorted(await self.r.smembers(self.k.agents))
        pipe = self.r.pipeline(transaction=False)
        for name in names:
            pipe.smembers(self.k.agent_chats(name))
        pipe.zrange(self.k.queue, 0, -1)
        cids = sorted({cid for found in await pipe.execute() for cid in found})
        if not cids:
            return []
        for cid in cids:
            pipe.hmget(self.k.conv(cid), "status", "agent", "ticket_id")
        convs = [(cid, status, agent, ticket_id) for cid, (status, agent, ticket_id) in zip(cids, await pipe.execute()) if ticket_id]
        for _, _, _, ticket_id in convs:
            pipe.hmget(self.k.ticket(ticket_id), "status", "assignee")
        return [cid for (cid, status, agent, _), (t_status, assignee) in zip(convs, await pipe.execute())
                if _disagree_raw(status or "", agent or "", t_status or "", assignee or "")]

    async def _left_holding_chats(self) -> list[Agent]:
        """Agents who hold chats nobody answers: offline (or no longer taking chats) and at no console for the grace
        period, as the presence check finds them. Going offline and giving the chats back are two steps (signing
        out, the presence check, an admin's role change): a hub that died between them, or a transfer that reached
        an agent at the moment they left, left the chats with them, and nothing moved them again."""
        staff = await self.agents.all()
        loads = await self.agents.loads([a.username for a in staff])
        holding = [a for a, load in zip(staff, loads) if load and (a.presence == "offline" or not a.chats)]
        present = await self.consoles.present([a.username for a in holding]) if holding else []
        return [a for a, here in zip(holding, present) if not here or not a.chats]

    async def sweep(self, hold_seconds: float) -> int | None:
        """One sweep of the desk, by one hub worker of however many (``Settings.desk_sweep_seconds``): chats left with
        an agent who is gone go back to the queue (``agent_gone``), tickets left behind by a hand-over cut short follow
        their chat (``settle``), then the queue is offered to whoever has room
        (``drain``). The events that drain it (a chat resolved, an agent online) can be missed: the hub restarted
        between them, a seat freed by an erasure or by a transfer's hub dying, the desk opening in the morning.
        Returns how many chats were assigned, ``None`` if another worker holds this sweep (``hold_seconds``)."""
        if not await self._take_sweep(hold_seconds):
            return None
        telemetry.DESK_SWEEPS.inc()
        mends = [("departed", f"{name}'s chats (account removed)", lambda name=name, shown=shown: self._departed(name, shown))
                 for name, shown in (await self.r.hgetall(self.k.agents_departed)).items()]
        mends += [("agent_gone", f"{a.username}'s chats", lambda a=a: self.agent_gone(a.username)) for a in await self._left_holding_chats()]
        mends += [("ticket", f"conversation {cid}", lambda cid=cid: self.settle(cid)) for cid in await self._disagreeing()]
        mends += [("sla_jobs", f"the SLA jobs of ticket {mark.partition('|')[0]}", lambda mark=mark: self._finish_clocks_step(mark))
                  for mark in await self.r.zrangebyscore(self.k.desk_clock_steps, "-inf", time.time() - _STEP_SECONDS)]
        for kind, what, mend in mends:
            log.warning("desk sweep: mending %s", what)
            telemetry.DESK_SWEEP_MENDS.labels(kind).inc()
            try:
                await mend()
            except RedisError:
                raise
            except Exception:  # one that cannot be mended (erased meanwhile) must not keep the queue waiting
                log.exception("desk sweep: %s could not be mended", what)
        return await self.drain()

    async def _take_sweep(self, hold_seconds: float) -> bool:
        """Whether this worker sweeps this time: the lock for ``hold_seconds``, and the sweep recorded as it is taken
        (``Keys.desk_sweeps``: which worker, when by Redis's own clock), in one step."""
        return bool(await self._take_sweep_script(keys=[self.k.desk_sweep_lock, self.k.desk_sweeps], args=[_worker(), max(1, int(hold_seconds * 1000))]))

    async def _departed(self, username: str, display_name: str) -> None:
        """A removed account whose chats may not all have gone back to the queue (its hub died between the two steps):
        they do now, the customers told. An account of that name created again meanwhile keeps its chats."""
        if await self.agents.get(username) is not None:
            await self.r.hdel(self.k.agents_departed, username)
            return
        await self.conversations.publish_agents({"type": Frame.PRESENCE, "agent": username, "presence": "offline"})
        await self.agent_gone(username, display_name)

    # ---------------------------------------------------------------- what agents do
    async def claim(self, cid: str, agent: Agent) -> None:
        """The agent takes a waiting chat. Sent again by its owner (the answer to the first was lost: its hub worker
        died), it is theirs already: the ticket is made to say so, if it does not yet, and the claim succeeds."""
        try:
            await self.queue.claim(cid, agent)
        except WrongStatus:
            conv = await self.conversations.get(cid)
            if conv is None or conv.status != "assigned" or conv.agent != agent.username:
                raise
            await self.settle(cid, by="claim")  # the ticket says so too, if its step was cut short
            return
        await self._assigned(cid, agent.username, by="claim")

    async def replied(self, cid: str, agent: Agent) -> None:
        """An agent wrote to the customer: the first response clock stops (met or breached), once per episode (the
        ticket's opening, each reopen)."""
        conv = await self.conversations.get(cid)
        if not conv:
            return
        await self.conversations.record_event(cid, Event.AGENT_MESSAGE, agent=agent.username)
        if not conv.ticket_id:
            return
        now = current_time()

        def first_response(t: Ticket) -> dict | None:
            if t.first_response_at is not None:
                return None
            t.first_response_at = now
            met = self.clocks.stop(t, "first_response", now)
            # From this episode's start (a reopen owes a new first response). seconds: wall-clock, as the customer lived
            # it; working_seconds: as the SLA clock counts it (the figure).
            start = t.reopened_at or t.created_at
            return {"agent": agent.username, "seconds": round(now - start, 1),
                    "working_seconds": round(self.clocks.working_seconds(t, start, now), 1), "met": met}

        ticket = await self.tickets.change(conv.ticket_id, first_response, Event.TICKET_FIRST_RESPONSE)
        await self._announce(ticket)

    async def set_status(self, cid: str, agent: Agent, status: str) -> Ticket:
        """``pending_customer`` (the clocks pause) or ``open`` (they run again)."""
        conv = await self.conversations.require(cid)
        ticket = await self.tickets.require(conv.ticket_id) if conv.ticket_id else None
        if ticket is None:
            raise IllegalStatus("this conversation has no ticket")
        # Checked in the change itself, under the lock solving and handing back hold: a chat resolved at the same
        # instant is either solved after this change, or refuses it (409), never left with an active ticket.
        async with self.closing(cid):
            return await self._move(ticket.id, status, by=agent.username, allowed_from=_MANUAL_FROM.get(status, frozenset()))

    async def _move(self, ticket_id: str, status: str, *, by: str, allowed_from: frozenset[str] | None = None) -> Ticket:
        """``allowed_from``: the statuses the ticket may be in at the instant it changes (``IllegalStatus`` otherwise)."""
        now = current_time()

        def move(t: Ticket) -> dict | None:
            if allowed_from is not None and t.status not in allowed_from:
                raise IllegalStatus(f"cannot go from {t.status} to {status} (solve the ticket, or mark an open one pending customer)")
            if t.status == status:
                return None
            previous = t.status
            self._set_status(t, status, now)
            return {"from": previous, "by": by}

        ticket = await self._clocks_step(ticket_id, lambda: self.tickets.change(ticket_id, move, Event.TICKET_STATUS))
        await self._announce(ticket)
        return ticket

    async def solve(self, conv: Conversation, agent: Agent, *, hand_back: bool = False, seen: str = "") -> None:
        """Resolve the chat (or hand it back to the bot) and solve its ticket; a complaint gets a follow-up call.
        ``seen``: the last message the agent was shown (``CustomerWrote`` if the customer wrote after it)."""
        async with self.closing(conv.id):
            if hand_back:
                await self.queue.hand_back(conv, agent.username, seen=seen)
            else:
                await self.queue.resolve(conv, agent.username, seen=seen)
            if conv.ticket_id:
                now = current_time()

                def solve(t: Ticket) -> dict:
                    # Every clock stops: the resolution clock judges the solve; a first-response clock still running
                    # (solved without a reply) is judged by the time it ran too, so it can never breach afterwards.
                    previous = t.status
                    t.solved_at = now
                    verdicts = self._set_status(t, "solved", now)
                    resolution = t.sla.clocks.get("resolution")
                    met = verdicts.get("resolution", resolution is None or resolution.state == "met")
                    if t.reason in ("complaint", "negative_feedback"):
                        t.followup_due, t.followup_done_at = now + self.times.followup_seconds, None
                    extra = {"first_response_met": verdicts["first_response"]} if "first_response" in verdicts else {}
                    return {"from": previous, "by": agent.username, "resolution_seconds": round(now - t.created_at, 1), "met": met,
                            "hand_back": hand_back, **extra}

                ticket = await self.tickets.change(conv.ticket_id, solve, Event.TICKET_STATUS)
                if ticket.followup_due:
                    await self.r.zadd(self.k.followups, {ticket.id: ticket.followup_due})
                await self.scheduler.at(now + self.times.auto_close_seconds, "tickets.jobs.close_if_quiet", ticket.id, now,
                                        job_id=f"close-{ticket.id}-{int(now * 1000)}")
                await self._announce(ticket)
        await self.drain()  # a slot is free

    async def _reachable(self, username: str) -> None:
        """A chat handed to someone who is offline would be stranded: nothing routes it on, nobody sees it."""
        target = await self.agents.get(username)
        if target is not None and target.presence == "offline":
            raise AgentOffline(f"{username} is offline: pick someone who is online")

    async def transfer(self, conv: Conversation, from_agent: str, to_agent: str, note: str = "") -> None:
        """Hand an assigned chat to another agent, who must not be offline (``AgentOffline``). ``note``: what the
        agent handing it over tells the colleague, kept as an internal note of the chat's ticket (never the customer's)."""
        await self._reachable(to_agent)
        await self.queue.transfer(conv, from_agent, to_agent)
        await self._assigned(conv.id, to_agent, by=from_agent)
        if note.strip() and conv.ticket_id:
            await self._add_note(conv.ticket_id, from_agent, note.strip(), kind="handover", to=to_agent)
        await self.drain()  # a seat of the agent who gave it up is free

    async def handover_note(self, conv: Conversation) -> dict | None:
        """The note left for the agent who has the chat now by whoever transferred it to them, if they left one (the
        latest hand-over, if it was to them)."""
        if conv.status != "assigned" or not conv.agent or not conv.ticket_id:
            return None
        latest = next((n for n in reversed(await self.tickets.notes(conv.ticket_id)) if n.get("kind") == "handover"), None)
        return latest if latest and latest.get("to") == conv.agent else None

    async def reassign(self, cid: str, supervisor: Agent, to_agent: str) -> None:
        """A supervisor moves a chat to another agent (waiting or already taken)."""
        conv = await self.conversations.require(cid)
        target = await self.agents.get(to_agent)
        if target is None or not target.chats:
            raise NotAllowed(f"{to_agent} does not take chats")
        await self._reachable(to_agent)
        if conv.status == "queued":
            await self.queue.claim(cid, target, by=supervisor.username)
            await self._assigned(cid, to_agent, by=supervisor.username)
        elif conv.status == "assigned" and conv.agent:
            await self.transfer(conv, conv.agent, to_agent)
        else:
            raise IllegalStatus(f"only a waiting or assigned chat can be reassigned (it is {conv.status})")

    async def cancel(self, conv: Conversation) -> None:
        """The customer left the queue: the ticket closes, unanswered."""
        await self.queue.cancel(conv)
        # The ticket as it is now: a hand-over still under way may have opened it since ``conv`` was read (it closes
        # the ticket itself if it opens it after this, ``queued``).
        now = await self.conversations.get(conv.id)
        if ticket_id := (now.ticket_id if now else None) or conv.ticket_id:
            await self._close(ticket_id, by="customer", reason="cancelled")

    async def note(self, ticket_id: str, agent: Agent, text: str) -> dict:
        return await self._add_note(ticket_id, agent.username, text)

    async def _add_note(self, ticket_id: str, author: str, text: str, **extra: str) -> dict:
        ticket = await self.tickets.require(ticket_id)
        note = await self.tickets.add_note(ticket.id, author, text, **extra)
        await self.tickets.change(ticket.id, lambda t: {"by": author, "note_id": note["id"]}, Event.TICKET_NOTE)
        # Every console hears this: which ticket has a new note, never what it says (notes are read through the ticket,
        # by its agent, supervisors and admins: hub/routes/tickets.py).
        await self.conversations.publish_agents({"type": Frame.TICKET_CHANGED, "ticket_id": ticket.id, "conversation_id": ticket.conversation_id,
                                                 "note_id": note["id"]})
        return note

    async def update(self, ticket_id: str, agent: Agent, *, category: str | None = None, tags: list[str] | None = None) -> Ticket:
        if tags is not None:
            tags = [clean for clean in (shown_as_typed(tag) for tag in tags) if clean.strip()]

        def update(t: Ticket) -> dict | None:
            changes = {}
            if category and category != t.category:
                changes["category"], t.category = {"from": t.category, "to": category}, category
            if tags is not None and tags != t.tags:
                changes["tags"], t.tags = tags, tags
            return {**changes, "by": agent.username} if changes else None

        ticket = await self.tickets.change(ticket_id, update, Event.TICKET_UPDATED)
        await self._announce(ticket)
        return ticket

    async def followup_done(self, ticket_id: str, agent: Agent, note: str) -> Ticket:
        now = current_time()

        def done(t: Ticket) -> dict:
            if not t.followup_due:
                raise IllegalStatus("this ticket has no follow-up")
            t.followup_done_at = now
            return {"by": agent.username, "note": note[:500], "late": now > t.followup_due}

        ticket = await self.tickets.change(ticket_id, done, Event.FOLLOWUP_DONE)
        await self.r.zrem(self.k.followups, ticket_id)
        if note:
            await self.tickets.add_note(ticket_id, agent.username, note)
        return ticket

    # ---------------------------------------------------------------- what customers do
    async def customer_wrote(self, conv: Conversation, language: str) -> list[Message] | None:
        """Before a customer's turn: a waiting-for-customer ticket runs again; a solved one reopens and goes
        back to the humans (returns the notices). ``None``: nothing for the desk, the turn goes on as usual."""
        ticket = await self.tickets.get(conv.ticket_id) if conv.ticket_id else None
        if ticket is None:
            return None
        if ticket.status == "pending_customer":
            await self._move(ticket.id, "open", by="customer")
            return None
        if ticket.status == "solved" and conv.status == "resolved":
            packet = (await self.conversations.packet(conv.id)) or HandoffPacket(reason="customer_request", language=language)
            packet = packet.model_copy(update={"created_at": current_time()})
            # "We reopened your ticket" comes before what the reopening does ("you are in the queue", "Bob has
            # joined"), and only while the chat is still the resolved one this turn saw.
            reopened = await self.conversations.append(conv.id, "system", say("ticket_reopened", language, ticket=ticket.ref), channel=conv.channel,
                                                       meta={"kind": "ticket_reopened", "ticket": ticket.ref},
                                                       guard=Guard(frozenset({"resolved"}), epoch=conv.epoch))
            notices = await self.escalate(conv, packet, from_statuses=frozenset({"resolved"}))
            return [reopened, *notices] if reopened else notices
        return None

    async def leave_contact(self, conv: Conversation, contact: str) -> Message | None:
        """The offline form: a phone number or e-mail to reach the customer, on the ticket and their record.

        Unverified, so a contact and never an identity (customers/store.py): typing someone's number must not
        join their record or receive their messages."""
        parsed = parse_contact(contact)
        if parsed is None:
            raise InvalidContact("not a phone number or e-mail address we can use")
        kind, value = parsed
        customer_id = conv.customer_id or await self.customers.identify("web", f"conversation-{conv.id}", language=conv.language)
        if not conv.customer_id:
            await self.conversations.set_fields(conv.id, customer_id=customer_id)
            await self.customers.attach(customer_id, conv.id, conv.created_at)
        await self.customers.add_contact(customer_id, kind, value)
        if conv.ticket_id:
            await self.tickets.change(conv.ticket_id, lambda t: _set_contact(t, value), Event.TICKET_UPDATED)
        return await self.conversations.append(conv.id, "system", say("contact_saved", conv.language, contact=value), channel=conv.channel, meta={"kind": "contact_saved"})

    # ---------------------------------------------------------------- agents coming and going
    async def agent_available(self, username: str) -> int:
        return await self.drain()

    async def agent_gone(self, username: str, display_name: str = "") -> int:
        """The agent is offline (or their account removed, or their role takes no chats): their chats go back to the
        queue (keeping their place) and to whoever can take them. ``display_name``: for an account already removed."""
        moved = 0
        agent = await self.agents.get(username)
        name = agent.display_name if agent else display_name or await self.r.hget(self.k.agents_departed, username) or username
        for cid in await self.agents.chats(username):
            conv = await self.conversations.get(cid)
            if conv is None or conv.status != "assigned":
                continue
            epoch = await self.queue.requeue(conv, username)
            if not epoch:
                continue
            moved += 1
            await self._tell_stepped_away(conv, name, epoch)
            if conv.ticket_id:
                await self._unassigned(conv.ticket_id, by="presence", reason="agent offline")
        if moved:
            log.info("%s went offline: %d chat(s) back in the queue", username, moved)
        if agent is None:
            await self.r.hdel(self.k.agents_departed, username)  # a removed account's chats are all back: nothing left to finish
        await self.drain()
        return moved

    async def _tell_stepped_away(self, conv: Conversation, agent_name: str, epoch: int) -> None:
        """The customer whose agent left hears it ("had to step away"), once for the move back to the queue that began
        ``epoch``: said by the step that moved the chat, or by the sweep mending a move whose hub died right after it
        (``settle``), never twice."""
        text, meta = await self._requeued_notice(conv, agent_name)
        await self.conversations.append_once(conv.id, "system", text, f"requeued-{epoch}", channel=conv.channel, meta=meta)

    async def _requeued_notice(self, conv: Conversation, agent_name: str) -> tuple[str, dict]:
        """What a customer whose agent left is told, true to who is there: another agent with room takes them at
        once ("connecting you to another agent"); otherwise what a hand-over at this moment is told after "had to
        step away" (their place and wait, or that nobody is available, with the contact form)."""
        text, meta, at_once = await self._queue_notice(conv.id, conv.ticket_ref or "", conv.language)
        if at_once:
            return say("requeued", conv.language, agent=agent_name), {"kind": "requeued"}
        return say("stepped_away", conv.language, agent=agent_name) + text, {**meta, "kind": "requeued"}

    async def signed_in(self, username: str) -> None:
        """The agent signed in to take chats: if no console of theirs connects within the grace period, they are
        offline (and any chat they hold goes to others), as when their last console closes."""
        await self.scheduler.at(time.time() + self.times.presence_grace_seconds, "tickets.jobs.presence_check", username,
                                job_id=f"presence-signin-{username}-{int(time.time() * 1000)}")

    async def socket_closed(self, username: str) -> None:
        """The agent's last console closed: if none is back within the grace period, they are offline."""
        await self.scheduler.at(time.time() + self.times.presence_grace_seconds, "tickets.jobs.presence_check", username,
                                job_id=f"presence-{username}-{int(time.time() * 1000)}")

    async def watch_presence(self, username: str, lapses: float) -> None:
        """A console's lease was renewed until ``lapses``: if its hub worker dies before renewing again, a check
        after the lapse and the grace period finds no live console and sets the agent offline.

        Called at every renewal of every console, so the checks are grouped per agent into slots one lease long
        (one job per slot, whoever asks first): about one check per agent per lease, at most a lease late.
        """
        slot = math.ceil((lapses + self.times.presence_grace_seconds) / self.times.console_lease_seconds)
        await self.scheduler.at(slot * self.times.console_lease_seconds, "tickets.jobs.presence_check", username,
                                job_id=f"presence-watch-{username}-{slot}")

    async def presence_check(self, username: str) -> None:
        if await self.consoles.live(username) > 0:
            return
        agent = await self.agents.get(username)
        if agent is None or not agent.chats:  # removed, or no longer taking chats: nothing may stay with them
            await self.agent_gone(username)
        elif agent.presence == "online":
            await self.agents.set_presence(username, "offline")
            await self.conversations.publish_agents({"type": Frame.PRESENCE, "agent": username, "presence": "offline"})
            await self.agent_gone(username)

    # ---------------------------------------------------------------- due work (tickets.jobs)
    async def sla_due(self, ticket_id: str, name: str, version: int, kind: str) -> None:
        """A clock's warning or breach moment: act only if the clock is still the one the job was scheduled for."""
        ticket = await self.tickets.get(ticket_id)
        clock = ticket.sla.clocks.get(name) if ticket else None
        if clock is None or clock.version != version or clock.state != "running" or ticket.status not in ACTIVE:
            return  # a solved or closed ticket alerts nobody, whatever its clocks say
        now = current_time()
        acted = [False]  # the clock changed under the job (a reply, a solve) between the read and the write: no alert
        if kind == "warn":
            def warn(t: Ticket) -> dict | None:
                c, acted[0] = t.sla.clocks[name], False  # may run again on contention
                if c.version != version or c.warned or t.status not in ACTIVE:
                    return None
                c.warned = acted[0] = True
                return {"clock": name, "due_at": c.due_at, "seconds_left": round(c.due_at - now, 1)}

            ticket = await self.tickets.change(ticket_id, warn, Event.SLA_WARNING)
            if acted[0]:
                await self.conversations.publish_agents({"type": Frame.SLA_ALERT, "kind": "warning", "clock": name, "ticket_id": ticket_id,
                                                     "ticket": ticket.ref, "conversation_id": ticket.conversation_id, "agent": ticket.assignee})
        else:
            def breach(t: Ticket) -> dict | None:
                c, acted[0] = t.sla.clocks[name], False
                if c.version != version or c.state != "running" or t.status not in ACTIVE:
                    return None
                acted[0] = True
                c.state, c.stopped_at = "breached", now
                c.version += 1
                t.escalated = True
                return {"clock": name, "due_at": c.due_at, "late_seconds": round(now - c.due_at, 1), "escalated_to": "supervisors"}

            ticket = await self.tickets.change(ticket_id, breach, Event.SLA_BREACHED)
            if acted[0]:
                await self.conversations.publish_agents({"type": Frame.SLA_ALERT, "kind": "breach", "clock": name, "ticket_id": ticket_id,
                                                     "ticket": ticket.ref, "conversation_id": ticket.conversation_id, "agent": ticket.assignee, "to": "supervisors"})

    async def run_due(self, func: str, args: list) -> None:
        """Run one piece of due work by its job name (``tickets.jobs.*``): the demo clock's way of running what rq would."""
        work = {"tickets.jobs.sla_due": self.sla_due, "tickets.jobs.close_if_quiet": self.close_if_quiet, "tickets.jobs.presence_check": self.presence_check}
        if func in work:
            await work[func](*args)

    async def close_if_quiet(self, ticket_id: str, solved_at: float) -> None:
        ticket = await self.tickets.get(ticket_id)
        if ticket and ticket.status == "solved" and ticket.solved_at and abs(ticket.solved_at - solved_at) < 0.001:
            await self._close(ticket_id, by="auto", reason="quiet")

    async def _close(self, ticket_id: str, *, by: str, reason: str) -> None:
        now = current_time()

        def close(t: Ticket) -> dict | None:
            if t.status == "closed":
                return None
            previous, t.closed_at = t.status, now
            self._set_status(t, "closed", now)  # every clock still running or paused stops, judged by the time it ran
            return {"from": previous, "by": by, "reason": reason}

        ticket = await self.tickets.change(ticket_id, close, Event.TICKET_STATUS)
        await self._announce(ticket)

    async def rate(self, conv: Conversation, score: int, comment: str = "", *, turn: str = "") -> Message | None:
        """The customer rates the resolved chat, from whichever channel: the conversation's rating and its ticket's.
        Returns the thanks line if one was said (``HandoffQueue.rate``). Raises ``ServiceError`` if it is not resolved."""
        thanks = await self.queue.rate(conv, score, comment, turn=turn)
        await self.rated(conv, score)
        return thanks

    async def rated(self, conv: Conversation, score: int) -> None:
        if conv.ticket_id:
            def rate(t: Ticket) -> dict:
                t.rating = score
                return {"rating": score, "agent": t.assignee}

            await self.tickets.change(conv.ticket_id, rate, Event.TICKET_UPDATED)

    # ---------------------------------------------------------------- helpers
    def _set_status(self, t: Ticket, status: str, now: float) -> dict[str, bool]:
        """Change a ticket's status and keep its clocks true to it, whatever made it change (an agent, a transfer, an
        agent leaving, solving, closing): pending the customer pauses them, leaving that state runs them again (the
        due time pushed by the pause), solved or closed stops every one. Returns the verdicts of the clocks it stopped."""
        previous, t.status = t.status, status
        if status in ("solved", "closed"):
            return self.clocks.stop_all(t, now)
        if status == "pending_customer" and previous != "pending_customer":
            self.clocks.pause(t, now)
        elif previous == "pending_customer" and status != "pending_customer":
            self.clocks.resume(t, now)
        return {}

    async def _schedule_clocks(self, ticket: Ticket) -> None:
        """Schedule the warning and breach of each running clock. Once each: a job id names its ticket, clock and the
        clock's version, so the step and the sweep finishing it may both schedule it (``_clocks_step``)."""
        for name, clock in ticket.sla.clocks.items():
            if clock.state != "running":
                continue
            if not clock.warned:
                await self.scheduler.at(clock.warn_at, "tickets.jobs.sla_due", ticket.id, name, clock.version, "warn",
                                        job_id=f"sla-{ticket.id}-{name}-{clock.version}-warn")
            await self.scheduler.at(clock.due_at, "tickets.jobs.sla_due", ticket.id, name, clock.version, "breach",
                                    job_id=f"sla-{ticket.id}-{name}-{clock.version}-breach")

    async def _clocks_step(self, ticket_id: str, write: Callable[[], Awaitable[Ticket]],
                           schedule: Callable[[Ticket], bool] = lambda _: True) -> Ticket:
        """A ticket write that may start or resume its clocks (a new ticket, a reopen, one pending the customer taken
        over or answered), then their jobs scheduled (if ``schedule`` says so of the ticket written).

        Two steps: a hub worker dying between them left running clocks with no warning and no breach job, their due
        times right on the ticket and no alert ever. So a trace is taken before the write (``Keys.desk_clock_steps``)
        and dropped once the jobs are scheduled: the desk's sweep finishes a step whose trace is older than any step
        takes (``_finish_clocks_step``)."""
        mark = f"{ticket_id}|{uuid.uuid4().hex[:12]}"
        await self.r.zadd(self.k.desk_clock_steps, {mark: time.time()})
        try:
            ticket = await write()
        except Exception:
            await self.r.zrem(self.k.desk_clock_steps, mark)  # nothing written, nothing to schedule
            raise
        if schedule(ticket):
            await self._schedule_clocks(ticket)
        await self.r.zrem(self.k.desk_clock_steps, mark)
        return ticket

    async def _finish_clocks_step(self, mark: str) -> None:
        """A ticket's clocks step whose worker died before its end: the jobs of the clocks running now are scheduled
        (if the write did land; those scheduled already stay one job each)."""
        ticket = await self.tickets.get(mark.partition("|")[0])
        if ticket is not None and ticket.status in ACTIVE:
            await self._schedule_clocks(ticket)
        await self.r.zrem(self.k.desk_clock_steps, mark)

    async def _announce(self, ticket: Ticket) -> None:
        await self.conversations.publish_agents({"type": Frame.TICKET_CHANGED, "ticket_id": ticket.id, "ticket": ticket.ref,
                                                 "conversation_id": ticket.conversation_id, "status": ticket.status, "assignee": ticket.assignee})


_STEP_SECONDS = 15.0  # longer than any step of the desk takes from its trace to its last job scheduled (``_clocks_step``)


def _worker() -> str:
    """This hub worker, in the record of the sweeps it ran (asked each time: a worker process may be forked)."""
    return f"{socket.gethostname()}:{os.getpid()}"


# Take the desk's sweep, if no worker holds it, and record it (the entry's id is the time it was taken).
# KEYS[1] lock: the sweep's lock (``Keys.desk_sweep_lock``)   KEYS[2] record: the sweeps (``Keys.desk_sweeps``)
# ARGV[1] worker: who sweeps   ARGV[2] hold_ms: how long the lock holds
# Returns 1 if taken, nil if another worker holds it.
_TAKE_SWEEP = """
local lock, record = KEYS[1], KEYS[2]
local worker, hold_ms = ARGV[1], ARGV[2]
if not redis.call('SET', lock, worker, 'NX', 'PX', hold_ms) then return false end
redis.call('XADD', record, 'MAXLEN', '~', '1000', '*', 'worker', worker, 'hold_ms', hold_ms)
return 1
"""


def _disagree_raw(status: str, agent: str, ticket_status: str, assignee: str) -> bool:
    """Whether a chat (its status and agent) and its ticket disagree about who has it: assigned, with an active ticket
    that is waiting ("new") or names someone else; waiting, with a ticket still taken ("open", "pending_customer")."""
    if ticket_status not in ACTIVE:
        return False
    if status == "assigned":
        return bool(agent) and (ticket_status == "new" or assignee != agent)
    return status == "queued" and ticket_status in ("open", "pending_customer")


def _agrees(conv: Conversation, ticket: Ticket) -> bool:
    return conv.ticket_id != ticket.id or not _disagree_raw(conv.status, conv.agent or "", ticket.status, ticket.assignee or "")


def _set_contact(ticket: Ticket, value: str) -> dict:
    ticket.contact = value
    return {"contact": "set"}  # the value itself stays out of the event stream
