"""The service desk's API: tickets (list, detail, notes, category and tags, status), reassignment, follow-ups, canned replies, agents' load.

Agents see waiting tickets and their own; supervisors and admins see all, and
may reassign. Admins manage canned replies. Every change is an event.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from core.errors import NotAllowed
from handoff.agents import Agent
from handoff.models import Category, Conversation
from hub.deps import Admin, ChatStaff, Overseer, Svc
from hub.services import Services
from hub.visibility import conversation_for, ticket_customer, ticket_for
from tickets.canned import CannedReply, new_id
from tickets.models import ACTIVE, Ticket, TicketStatus
from tickets.sla import current_clock

router = APIRouter(tags=["service desk"])
TicketKey = Annotated[str, Path(pattern=r"^([0-9a-f]{32}|[Tt]-\d{1,9})$", description="ticket id, or its number as T-000123")]
View = Literal["mine", "unassigned", "breaching", "all"]
SOON_SECONDS = 15 * 60  # "breaching soon": a running clock due within this long
DONE_ROWS = 200  # solved and closed tickets listed at most, the latest first
DONE_SCAN = 5000  # how many of the newest tickets a list of solved and closed ones looks through, at most


class TicketRow(BaseModel):
    ticket: Ticket
    customer: str = Field("", description="the customer's name where this agent may see it, else a short id")
    due_at: float | None = Field(None, description="the next SLA deadline of a running clock")
    sla_state: Literal["ok", "warning", "breached", "none"] = "none"


class TicketDetail(TicketRow):
    notes: list[dict]
    conversation: Conversation | None


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class TicketChange(BaseModel):
    category: Category | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(None, max_length=20)


class StatusChange(BaseModel):
    status: Literal["pending_customer", "open"]


class Reassign(BaseModel):
    to: str = Field(max_length=40)


class FollowUpDone(BaseModel):
    note: str = Field("", max_length=2000)


class AgentLoad(BaseModel):
    agent: Agent
    load: int
    available: bool = Field(description="offered chats now: online and at a console (AgentDirectory.available, as routing)")
    tickets: list[str] = Field(description="the ticket numbers they hold")


class Dedicated(BaseModel):
    agent: str | None = Field(None, max_length=40, description="username of the VIP's own agent; null removes it")
    vip: bool | None = Field(None, description="the customer is a VIP (their chats get priority, the VIP group and their own agent); null leaves it")


class ServicePlan(BaseModel):
    customer_id: str
    dedicated_agent: str | None
    vip: bool


def _row(ticket: Ticket, me: Agent, conv: Conversation | None, now: float) -> TicketRow:
    running = [c for c in ticket.sla.clocks.values() if c.state == "running"]
    breached = any(c.state == "breached" for c in ticket.sla.clocks.values())
    due = min((c.due_at for c in running), default=None)
    if breached or (due is not None and due < now):
        state = "breached"
    elif any(c.warned or c.warn_at <= now for c in running):
        state = "warning"
    else:
        state = "ok" if running else "none"
    return TicketRow(ticket=ticket_for(me, ticket), customer=ticket_customer(me, ticket, conv.customer_name if conv else ""), due_at=due, sla_state=state)


async def _visible(services: Services, me: Agent, ticket: Ticket) -> Ticket:
    if me.oversees or ticket.assignee == me.username or ticket.status == "new":
        return ticket
    raise NotAllowed("this ticket is not yours")


async def _ticket(services: Services, key: str, me: Agent) -> Ticket:
    ticket = await (services.desk.tickets.by_ref(key) if key.upper().startswith("T-") else services.desk.tickets.get(key))
    if ticket is None:
        raise HTTPException(404, "unknown ticket")
    return await _visible(services, me, ticket)


@router.get("/api/agent/tickets", response_model=list[TicketRow], summary="Tickets: mine, waiting for an agent, breaching soon, or all (supervisors); by status and category",
            responses={422: {"description": "an unknown view, status or category (the reason lists the allowed values)"}})
async def tickets(me: ChatStaff, services: Svc, view: View = "mine",
                  status: TicketStatus | None = Query(None, description="only this status; solved and closed ones are listed only when asked for"),
                  category: Category | None = None, channel: Annotated[str | None, Query(max_length=40)] = None,
                  include_closed: bool = Query(False, description=f"also solved and closed tickets (the latest {DONE_ROWS}, "
                                                                  f"among the {DONE_SCAN} newest tickets)")) -> list[TicketRow]:
    """Active tickets first: those with a promise broken and still owed, then the SLA deadline nearest first; then the
    solved and closed ones asked for, the latest finished first (an agent following up yesterday's ticket finds it at
    the top)."""
    now = time.time()

    def keep(ticket: Ticket) -> bool:
        if not me.oversees and ticket.assignee != me.username and ticket.status != "new":
            return False
        if view == "mine" and ticket.assignee != me.username or view == "unassigned" and ticket.assignee:
            return False
        return not (status and ticket.status != status or category and ticket.category != category or channel and ticket.channel != channel)

    active = []
    if status is None or status in ACTIVE:
        for ticket in await services.desk.tickets.active():
            if keep(ticket):
                row = _row(ticket, me, await services.conversations.get(ticket.conversation_id), now)
                if view != "breaching" or row.due_at and row.due_at - now < SOON_SECONDS or row.sla_state == "breached":
                    active.append(row)
    done = []
    if view != "breaching" and (include_closed and status is None or status in ("solved", "closed")):
        async for ticket in services.desk.tickets.newest(DONE_SCAN):
            if ticket.status not in ACTIVE and keep(ticket):
                done.append(_row(ticket, me, await services.conversations.get(ticket.conversation_id), now))
                if len(done) >= DONE_ROWS:
                    break
    # A promise broken and still owed first (a first response that breached while nobody answered: its running
    # clock is the resolution, days away, which sank it below tickets that were not late), then by due time.
    owed = {r.ticket.id for r in active if current_clock(r.ticket, now)["state"] == "breached"}
    active.sort(key=lambda r: (r.ticket.id not in owed, r.due_at or float("inf"), r.ticket.created_at))
    done.sort(key=lambda r: -(r.ticket.closed_at or r.ticket.solved_at or r.ticket.updated_at))
    return active + done


@router.get("/api/agent/tickets/{key}", response_model=TicketDetail)
async def ticket(key: TicketKey, me: ChatStaff, services: Svc) -> TicketDetail:
    found = await _ticket(services, key, me)
    conv = await services.conversations.get(found.conversation_id)
    row = _row(found, me, conv, time.time())
    return TicketDetail(**row.model_dump(), notes=await services.desk.tickets.notes(found.id), conversation=conversation_for(me, conv) if conv else None)


@router.post("/api/agent/tickets/{key}/notes", status_code=201, summary="An internal note: agents only, never shown to the customer")
async def add_note(key: TicketKey, body: Note, me: ChatStaff, services: Svc) -> dict:
    found = await _ticket(services, key, me)
    return await services.desk.note(found.id, me, body.text)


@router.patch("/api/agent/tickets/{key}", response_model=Ticket, summary="Correct the category, set the tags")
async def change(key: TicketKey, body: TicketChange, me: ChatStaff, services: Svc) -> Ticket:
    found = await _ticket(services, key, me)
    return ticket_for(me, await services.desk.update(found.id, me, category=body.category, tags=body.tags))


@router.post("/api/agent/tickets/{key}/status", response_model=Ticket, responses={409: {"description": "not possible from the current status"}},
             summary="Pending customer (the SLA clocks pause) or open again")
async def set_status(key: TicketKey, body: StatusChange, me: ChatStaff, services: Svc) -> Ticket:
    found = await _ticket(services, key, me)
    if found.assignee != me.username and not me.oversees:
        raise NotAllowed("only the ticket's agent may change its status")
    return ticket_for(me, await services.desk.set_status(found.conversation_id, me, body.status))


@router.post("/api/agent/tickets/{key}/reassign", response_model=Ticket, summary="Supervisors: give a waiting or taken chat to another agent")
async def reassign(key: TicketKey, body: Reassign, me: Overseer, services: Svc) -> Ticket:
    found = await _ticket(services, key, me)
    await services.desk.reassign(found.conversation_id, me, body.to)
    await services.audit.record(me.username, "ticket_reassigned", found.ref, to=body.to)
    return ticket_for(me, await services.desk.tickets.require(found.id))


@router.get("/api/agent/followups", response_model=list[TicketRow], summary="Follow-up calls (回访) due, after complaints were solved")
async def followups(me: ChatStaff, services: Svc) -> list[TicketRow]:
    now = time.time()
    rows = []
    for ticket_id in await services.redis.zrange(services.keys.followups, 0, -1):
        ticket = await services.desk.tickets.get(ticket_id)
        if ticket and (me.oversees or ticket.assignee == me.username) and not ticket.followup_done_at:
            rows.append(_row(ticket, me, await services.conversations.get(ticket.conversation_id), now))
    return rows


@router.post("/api/agent/tickets/{key}/followup", response_model=Ticket, summary="The follow-up call was made")
async def followup_done(key: TicketKey, body: FollowUpDone, me: ChatStaff, services: Svc) -> Ticket:
    found = await _ticket(services, key, me)
    return ticket_for(me, await services.desk.followup_done(found.id, me, body.note))


@router.get("/api/agent/canned", response_model=list[CannedReply], summary='Canned replies, by words or "/shortcut"')
async def canned(me: ChatStaff, services: Svc, q: Annotated[str, Query(max_length=100)] = "", language: Literal["en", "zh"] | None = None) -> list[CannedReply]:
    return await services.canned.search(q, language)


class Assignment(BaseModel):
    push: bool = Field(description="true: new tickets go straight to the best available agent; false: agents claim them from the queue")


@router.get("/api/agent/desk/assignment", response_model=Assignment, summary="How new tickets reach agents: pushed, or claimed from the queue")
async def assignment(me: ChatStaff, services: Svc) -> Assignment:
    return Assignment(push=await services.desk.pushes())


@router.put("/api/agent/desk/assignment", response_model=Assignment, summary="Supervisors: switch push assignment on or off (on offers the waiting tickets at once)")
async def set_assignment(body: Assignment, me: Overseer, services: Svc) -> Assignment:
    await services.desk.set_pushes(body.push)
    await services.audit.record(me.username, "desk_assignment", "push" if body.push else "manual")
    return Assignment(push=await services.desk.pushes())


@router.get("/api/agent/load", response_model=list[AgentLoad], summary="Supervisors: who is online, how busy, with which tickets")
async def load(me: Overseer, services: Svc) -> list[AgentLoad]:
    out = []
    held: dict[str, list[str]] = {}
    for ticket in await services.desk.tickets.active():
        if ticket.assignee:
            held.setdefault(ticket.assignee, []).append(ticket.ref)
    staff = await services.agents.with_loads()
    for (agent, load), free in zip(staff, await services.agents.available([a for a, _ in staff])):
        out.append(AgentLoad(agent=agent, load=load, available=free, tickets=held.get(agent.username, [])))
    return out


@router.put("/api/agent/conversations/{cid}/customer/dedicated", response_model=ServicePlan,
            summary="Supervisors: whether the customer is a VIP, and a VIP's own agent (专属客服), who gets their chats first",
            responses={409: {"description": "the conversation has no customer record"}, 422: {"description": "the agent does not take chats, or the customer is not a VIP"}})
async def dedicated(cid: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")], body: Dedicated, me: Overseer, services: Svc) -> ServicePlan:
    conv = await services.conversations.require(cid)
    if not conv.customer_id:
        raise HTTPException(409, "this conversation has no customer record")
    if body.agent:
        target = await services.agents.get(body.agent)
        if target is None or not target.chats:
            raise HTTPException(422, f"{body.agent} does not take chats")
    tier = None
    if body.vip is not None:
        # Routing gives a dedicated agent VIPs' chats only (tickets/routing.py): said at once, not kept unused.
        if body.agent and not body.vip:
            raise HTTPException(422, "a dedicated agent is for VIP customers: mark the customer VIP, or remove the dedicated agent")
        tier = "vip" if body.vip else "standard"
    record = await services.customers.set_service(conv.customer_id, dedicated_agent=body.agent or "", tier=tier)
    if record is None:
        raise HTTPException(409, "this conversation has no customer record")
    if tier:
        await services.audit.record(me.username, "customer_tier_set", record.id, tier=tier)
    await services.audit.record(me.username, "dedicated_agent_set", record.id, agent=body.agent or "")
    return ServicePlan(customer_id=record.id, dedicated_agent=record.dedicated_agent or None, vip=record.tier == "vip")


# canned replies: admins
@router.get("/api/admin/canned", response_model=list[CannedReply], tags=["admin"])
async def all_canned(me: Admin, services: Svc) -> list[CannedReply]:
    return await services.canned.all()


@router.post("/api/admin/canned", response_model=CannedReply, status_code=201, tags=["admin"],
             summary="Add a canned reply (409 shortcut_taken: the shortcut exists in that language)")
async def create_canned(body: CannedReply, me: Admin, services: Svc) -> CannedReply:
    saved = await services.canned.save(body.model_copy(update={"id": new_id()}))  # a new reply, never over an existing id
    await services.audit.record(me.username, "canned_saved", saved.id, shortcut=saved.shortcut)
    return saved


@router.put("/api/admin/canned/{reply_id}", response_model=CannedReply, tags=["admin"])
async def update_canned(reply_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")], body: CannedReply, me: Admin, services: Svc) -> CannedReply:
    if await services.canned.get(reply_id) is None:
        raise HTTPException(404, "no such canned reply")
    saved = await services.canned.save(body.model_copy(update={"id": reply_id}))
    await services.audit.record(me.username, "canned_saved", reply_id, shortcut=saved.shortcut)
    return saved


@router.delete("/api/admin/canned/{reply_id}", status_code=204, tags=["admin"])
async def delete_canned(reply_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")], me: Admin, services: Svc) -> None:
    if not await services.canned.delete(reply_id):
        raise HTTPException(404, "no such canned reply")
    await services.audit.record(me.username, "canned_deleted", reply_id)
