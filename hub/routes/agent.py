"""The agent console's API: log in, see the queue, claim, reply, transfer, resolve, hand back.

Authenticate with ``Authorization: Bearer <session token>`` from ``/login``
(the console also gets it as an HttpOnly cookie).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from redis.exceptions import RedisError

from core.errors import Invalid, NotAllowed, NotOwner
from core.pii import parse_contact
from core.passwords import WeakPassword
from core.relay import RESYNC, Subscription
from core.sockets import Cap
from core.secrets import forget_initial_admin_password
from customers.store import CustomerRecord
from handoff.agents import Agent, Presence
from handoff.conversations import Guard
from handoff.events import Frame
from handoff.history import PastConversation
from handoff.lockout import Attempt, Refusal
from handoff.models import Conversation, HandoffPacket, Message
from handoff.sessions import Sessions
from handoff.summary import customer_need
from hub.deps import AGENT_COOKIE, ChatStaff, ConversationId, MessageId, MessagePathId, MessageText, SignedIn, Svc, check_message_length, client_address, epoch_query, staff_token
from hub.live import Ended, Socket, TypingBudget, admit, refuse, release, serve, unavailable
from hub.services import Services
from hub.visibility import conversation_for, customer_for, messages_for
from kb.search import NoPublishedIndex
from tickets.models import TicketStatus

router = APIRouter(prefix="/api/agent", tags=["agent"])


class Login(BaseModel):
    username: str = Field(max_length=40)
    password: str = Field(max_length=200)
    # Signing in to take chats (the console) makes an agent available; signing in to read the
    # dashboard or edit the knowledge base must not start pushing customers to them.
    take_chats: bool = True


class LoggedIn(BaseModel):
    token: str
    agent: Agent


class PasswordChange(BaseModel):
    current: str = Field(max_length=200)
    new: str = Field(max_length=200)


class PresenceBody(BaseModel):
    presence: Presence


class Reply(BaseModel):
    text: MessageText
    client_message_id: str | None = Field(None, max_length=100, description="idempotency key: resending the same id never duplicates the reply, and returns the original")


class Close(BaseModel):
    seen: MessageId | None = Field(None, description="the last customer message the agent was shown: refused (409) if the customer wrote after it")


class Transfer(BaseModel):
    to: str = Field(max_length=40, description="username of the agent who takes over")
    note: str = Field("", max_length=2000, description="for the colleague: kept as an internal note of the chat's ticket, shown to them when they open the chat; never the customer's")


class HandoverNote(BaseModel):
    author: str = Field(description="username of the agent who transferred the chat")
    text: str
    ts: float


class QueueItem(BaseModel):
    conversation: Conversation
    packet: HandoffPacket | None
    position: int
    waiting_seconds: int
    need: str = Field("", description="one line: the customer's last substantive message, or the packet's summary")


class TicketHolder(BaseModel):
    """Who holds the chat's ticket now, and its status: whether its detail (``GET /api/agent/tickets/{ref}``) is
    this agent's to read (its agent, supervisors and admins, anyone while it is new)."""

    ref: str
    status: TicketStatus
    assignee: str | None


class ConversationDetail(BaseModel):
    conversation: Conversation
    packet: HandoffPacket | None
    messages: list[Message]
    ticket: TicketHolder | None = Field(None, description="the chat's ticket, if it has one: its holder and status (a chat transferred to a colleague is read, its ticket is theirs)")
    handover: HandoverNote | None = Field(None, description="the note the colleague who transferred the chat left for its agent (to that agent, supervisors and admins)")


class Suggestion(BaseModel):
    id: str
    question: str
    answer: str
    score: float


@router.post("/login", response_model=LoggedIn, responses={429: {"description": "too many failed sign-ins: wait (Retry-After), or the account is locked"}})
async def login(body: Login, request: Request, response: Response, services: Svc) -> LoggedIn:
    address = client_address(request)
    attempt = await _password_attempt(services, body.username, address, "failed sign-ins")
    agent = await services.agents.verify_password(body.username, body.password)
    if agent is None:
        await services.audit.record(body.username, "login_failed", address=address)
        await _record_locks(services, attempt, body.username, address)
        raise HTTPException(401, "wrong username or password")
    await services.login_guard.succeeded(body.username, address)
    await services.audit.record(agent.username, "login", address=address)
    token = await services.sessions.open(agent.username)
    if agent.chats and body.take_chats and not agent.must_change_password:  # editors are not counted as available for chats
        await services.agents.set_presence(agent.username, "online")
        await services.conversations.publish_agents({"type": Frame.PRESENCE, "agent": agent.username, "presence": "online"})
        agent = agent.model_copy(update={"presence": "online"})
        # Chats are offered to agents at a console (handoff/consoles.py): what waited (overnight) is pushed once the
        # console connects, or now if one is open already. No console within the grace period: offline again.
        await services.desk.agent_available(agent.username)
        await services.desk.signed_in(agent.username)
    _set_cookie(response, token, services)
    return LoggedIn(token=token, agent=agent)


async def _password_attempt(services: Services, username: str, address: str, what: str) -> Attempt:
    """One password try under the sign-in lockout (per account and per address), or 429 while it is held."""
    attempt = await services.login_guard.begin(username, address)
    if isinstance(attempt, Refusal):
        detail = (f"too many {what}: this {attempt.scope} is locked for {attempt.retry_after} s (an admin can unlock it)"
                  if attempt.locked else f"too many {what}: wait {attempt.retry_after} s before trying again")
        raise HTTPException(429, detail, headers={"Retry-After": str(attempt.retry_after)})
    return attempt


async def _record_locks(services: Services, attempt: Attempt, username: str, address: str) -> None:
    """Audit the locks a wrong password just set (the account's, the address's)."""
    for scope in attempt.locks:
        await services.audit.record("system", "login_locked", username if scope == "account" else address, scope=scope)


def _set_cookie(response: Response, token: str, services: Services) -> None:
    s = services.settings
    response.set_cookie(AGENT_COOKIE, token, max_age=int(s.agent_session_hours * 3600), httponly=True, samesite="strict", secure=s.secure_cookies)


@router.post("/logout", status_code=204)
async def logout(me: SignedIn, response: Response, services: Svc, token: Annotated[str | None, Depends(staff_token)]) -> None:
    await services.sessions.close(token or "")
    if me.chats:
        await services.agents.set_presence(me.username, "offline")
        await services.conversations.publish_agents({"type": Frame.PRESENCE, "agent": me.username, "presence": "offline"})
        await services.desk.agent_gone(me.username)  # their open chats go to others
    response.delete_cookie(AGENT_COOKIE)


@router.post("/password", response_model=LoggedIn, summary="Change your own password: every other session of the account ends",
             responses={429: {"description": "too many wrong current passwords: wait (Retry-After), as at sign-in"}})
async def change_password(body: PasswordChange, me: SignedIn, request: Request, response: Response, services: Svc) -> LoggedIn:
    # The current password is checked under the sign-in lockout: a session (left open, or stolen) is no way to
    # guess the password, and with it keep the account, at the rate the hub answers.
    address = client_address(request)
    attempt = await _password_attempt(services, me.username, address, "wrong passwords")
    if await services.agents.verify_password(me.username, body.current) is None:
        await services.audit.record(me.username, "password_change_failed", me.username, address=address)
        await _record_locks(services, attempt, me.username, address)
        raise HTTPException(403, "the current password is wrong")
    await services.login_guard.succeeded(me.username, address)
    if body.new == body.current:
        raise HTTPException(422, "the new password must differ from the current one")
    try:
        await services.agents.set_password(me.username, body.new)
    except WeakPassword as exc:
        raise HTTPException(422, str(exc)) from None
    forget_initial_admin_password(services.settings.var_dir, me.username)
    ended = await services.sessions.close_all(me.username, "the password changed: sign in again")
    await services.audit.record(me.username, "password_changed", me.username, sessions_ended=ended)
    token = await services.sessions.open(me.username)
    _set_cookie(response, token, services)
    return LoggedIn(token=token, agent=await services.agents.get(me.username))


@router.get("/me", response_model=Agent)
async def me(me: SignedIn) -> Agent:
    return me


@router.post("/presence", response_model=Agent)
async def presence(body: PresenceBody, me: ChatStaff, services: Svc) -> Agent:
    await services.agents.set_presence(me.username, body.presence)
    await services.conversations.publish_agents({"type": Frame.PRESENCE, "agent": me.username, "presence": body.presence})
    if body.presence == "online":
        await services.desk.agent_available(me.username)
    elif body.presence == "offline":
        await services.desk.agent_gone(me.username)
    return me.model_copy(update={"presence": body.presence})


@router.get("/agents", response_model=list[Agent], summary="Everyone who takes chats, for transfers")
async def agents(me: ChatStaff, services: Svc) -> list[Agent]:
    return [a for a in await services.agents.all() if a.chats]


@router.get("/queue", response_model=list[QueueItem], summary="Waiting chats (an agent sees who the customer is only once the chat is theirs)")
async def queue(me: ChatStaff, services: Svc) -> list[QueueItem]:
    now = time.time()
    items = []
    for position, cid in enumerate(await services.queue.queued_ids(), start=1):
        conv = await services.conversations.get(cid)
        if conv is None:
            continue
        waited = int(now - (conv.queued_at or now))
        packet = await services.conversations.packet(cid)
        need = customer_need(await services.conversations.messages(cid), packet)
        items.append(QueueItem(conversation=conversation_for(me, conv), packet=packet, position=position, waiting_seconds=waited, need=need))
    return items


async def _may_read(services: Services, agent: Agent, conv: Conversation) -> bool:
    """Supervisors and admins: everything. Agents: the queue, their chats, and the chats they once had (their history)."""
    return agent.oversees or conv.status == "queued" or conv.agent == agent.username or await services.history.took(agent.username, conv.id)


@router.get("/conversations", response_model=list[Conversation], summary="The conversations this agent owns")
async def mine(me: ChatStaff, services: Svc) -> list[Conversation]:
    convs = [await services.conversations.get(cid) for cid in await services.agents.chats(me.username)]
    return sorted((c for c in convs if c), key=lambda c: c.assigned_at or 0)


@router.get("/history", response_model=list[PastConversation], summary="This agent's past conversations, newest first, searchable")
async def history(me: ChatStaff, services: Svc,
                  q: Annotated[str, Query(max_length=200, description="words in the customer's name, the conversation id or any transcript line")] = "",
                  since: Annotated[float | None, epoch_query("last active at or after (epoch seconds)")] = None,
                  until: Annotated[float | None, epoch_query("last active before (epoch seconds)")] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[PastConversation]:
    return await services.history.search(me.username, q, since, until, limit)


async def _detail(services: Services, cid: str, agent: Agent, *, after_acting: bool = False) -> ConversationDetail:
    """The conversation as ``agent`` may see it. ``after_acting``: the answer to the agent's own action on it
    (a chat just handed back or transferred is no longer theirs, yet they get the result)."""
    conv = await services.conversations.require(cid)
    if not after_acting and not await _may_read(services, agent, conv):
        raise NotAllowed("this conversation is not yours (agents see the queue and their own chats)")
    ticket = await services.desk.tickets.get(conv.ticket_id) if conv.ticket_id else None
    # The hand-over note is an internal note of the ticket: read by those who may read its notes (hub/routes/tickets.py).
    note = await services.desk.handover_note(conv) if (agent.oversees or conv.agent == agent.username) else None
    return ConversationDetail(conversation=conversation_for(agent, conv), packet=await services.conversations.packet(cid),
                              messages=messages_for(agent, conv, await services.conversations.messages(cid)),
                              ticket=TicketHolder(ref=ticket.ref, status=ticket.status, assignee=ticket.assignee) if ticket else None,
                              handover=HandoverNote(author=note["author"], text=note["text"], ts=note["ts"]) if note else None)


async def _owned(cid: str, me: Agent, services: Services) -> Conversation:
    conv = await services.conversations.require(cid)
    if conv.status != "assigned" or conv.agent != me.username:
        raise NotOwner("you do not own this conversation")
    return conv


@router.get("/conversations/{cid}", response_model=ConversationDetail)
async def detail(cid: ConversationId, me: ChatStaff, services: Svc) -> ConversationDetail:
    return await _detail(services, cid, me)


@router.post("/conversations/{cid}/claim", response_model=ConversationDetail, responses={409: {"description": "already claimed, or at capacity"}})
async def claim(cid: ConversationId, me: ChatStaff, services: Svc) -> ConversationDetail:
    await services.desk.claim(cid, me)
    return await _detail(services, cid, me, after_acting=True)


@router.post("/conversations/{cid}/messages", response_model=Message)
async def reply(cid: ConversationId, body: Reply, me: ChatStaff, services: Svc) -> Message:
    check_message_length(body.text, services.settings)
    conv = await _owned(cid, me, services)
    # Checked again at the instant of writing: a chat transferred meanwhile refuses the reply.
    sent, repeated = await services.conversations.append_once(cid, "agent", body.text, body.client_message_id, channel=conv.channel, author=me.display_name,
                                                              meta={"agent": me.username}, guard=Guard(frozenset({"assigned"}), agent=me.username))
    if sent is None:
        raise NotOwner("you no longer own this conversation")
    if not repeated:  # a resend of a stored reply is the same reply: counted once
        await services.desk.replied(cid, me)  # the first response clock stops
    return sent


_CLOSE_REFUSED = {409: {"description": "the customer has written something you were not shown yet (read it, then close)"}}


@router.post("/conversations/{cid}/resolve", response_model=ConversationDetail, responses=_CLOSE_REFUSED)
async def resolve(cid: ConversationId, me: ChatStaff, services: Svc, body: Close | None = None) -> ConversationDetail:
    await services.desk.solve(await _owned(cid, me, services), me, seen=(body.seen if body else None) or "")
    return await _detail(services, cid, me, after_acting=True)


@router.post("/conversations/{cid}/handback", response_model=ConversationDetail, responses=_CLOSE_REFUSED)
async def hand_back(cid: ConversationId, me: ChatStaff, services: Svc, body: Close | None = None) -> ConversationDetail:
    await services.desk.solve(await _owned(cid, me, services), me, hand_back=True, seen=(body.seen if body else None) or "")
    await services.rasa.set_slot(cid, "failed_attempts", 0)
    return await _detail(services, cid, me, after_acting=True)


@router.post("/conversations/{cid}/transfer", response_model=ConversationDetail, responses={422: {"description": "the target takes no chats, or is you"}, 409: {"description": "the target is offline"}})
async def transfer(cid: ConversationId, body: Transfer, me: ChatStaff, services: Svc) -> ConversationDetail:
    target = await services.agents.get(body.to)
    if target is not None and not target.chats:
        raise HTTPException(422, f"{body.to} does not take chats (role {target.role})")
    conv = await _owned(cid, me, services)
    if body.to == me.username:
        raise Invalid("this chat is already yours: pick another agent to transfer it to")
    await services.desk.transfer(conv, me.username, body.to, note=body.note)
    return await _detail(services, cid, me, after_acting=True)


class CustomerConversation(BaseModel):
    conversation: Conversation
    need: str = ""


class CustomerView(BaseModel):
    customer: CustomerRecord | None
    conversations: list[CustomerConversation] = Field(description="every conversation of this customer, newest first, on every channel")


class Link(BaseModel):
    identity: str | None = Field(None, pattern=r"^(web|shop|telegram|wechat|phone|email):.{1,200}$", description='"kind:value" of another identity of this customer')
    customer_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$", description="another customer record that is the same person")


@router.get("/conversations/{cid}/customer", response_model=CustomerView, summary="Who the customer is: their record and every conversation, on every channel")
async def customer(cid: ConversationId, me: ChatStaff, services: Svc) -> CustomerView:
    conv = await services.conversations.require(cid)
    if not await _may_read(services, me, conv):
        raise NotAllowed("this conversation is not yours")
    return await _customer_view(services, me, conv)


async def _customer_view(services: Services, me: Agent, conv: Conversation) -> CustomerView:
    record = await services.customers.get(conv.customer_id) if conv.customer_id else None
    cids = await services.customers.conversations(record.id) if record else [conv.id]
    shown = []
    for other in cids[:50]:
        past = await services.conversations.get(other)
        if past:
            shown.append(CustomerConversation(conversation=conversation_for(me, past), need=customer_need(await services.conversations.messages(other), await services.conversations.packet(other))))
    return CustomerView(customer=customer_for(me, conv, record), conversations=shown)


@router.post("/conversations/{cid}/customer/link", response_model=CustomerView,
             summary="This customer is also that identity (or that other record): one record, one history")
async def link_customer(cid: ConversationId, body: Link, me: ChatStaff, services: Svc) -> CustomerView:
    conv = await _owned(cid, me, services) if not me.oversees else await services.conversations.require(cid)
    if not (body.identity or body.customer_id):
        raise HTTPException(422, "name an identity (kind:value) or a customer_id")
    identity = _normal_identity(body.identity) if body.identity else None
    customer_id = conv.customer_id or await services.customers.identify("web", f"conversation-{cid}")
    if not conv.customer_id:
        await services.conversations.set_fields(cid, customer_id=customer_id)
        await services.customers.attach(customer_id, cid, conv.created_at)
    if body.customer_id:
        if await services.customers.resolve(body.customer_id) is None:
            raise HTTPException(404, "no such customer")
        customer_id = await services.customers.merge(into=customer_id, other=body.customer_id)
    if identity:
        customer_id = await services.customers.add_identity(customer_id, *identity)
    await services.audit.record(me.username, "customer_linked", customer_id, conversation=cid, identity=":".join(identity or ()), other=body.customer_id or "")
    return await _customer_view(services, me, await services.conversations.require(cid))


def _normal_identity(identity: str) -> tuple[str, str]:
    """``kind:value`` as stored: a phone number or e-mail as the offline contact form stores it (``+8613812345678``,
    lower case), so that the one an agent links and the one the customer left are the same identity."""
    kind, _, value = identity.partition(":")
    if kind not in ("phone", "email"):
        return kind, value
    parsed = parse_contact(value)
    if parsed is None or parsed[0] != kind:
        raise HTTPException(422, f"not a {'phone number' if kind == 'phone' else 'e-mail address'} we can use")
    return parsed


class Revealed(BaseModel):
    message_id: str
    text: str = Field(description="what the customer wrote, personal data unmasked")


@router.post("/conversations/{cid}/messages/{mid}/reveal", response_model=Revealed,
             summary="Show a message's masked personal data (the chat's agent, supervisors, admins); every reveal is audited")
async def reveal(cid: ConversationId, mid: MessagePathId, me: ChatStaff, services: Svc) -> Revealed:
    conv = await services.conversations.require(cid)
    if not (me.oversees or (conv.status == "assigned" and conv.agent == me.username)):
        raise NotAllowed("only the agent the chat is assigned to, a supervisor or an admin may reveal personal data")
    original = await services.conversations.original(cid, mid)
    if original is None:
        raise HTTPException(404, "nothing masked in that message")
    await services.audit.record(me.username, "pii_revealed", cid, message_id=mid)
    return Revealed(message_id=mid, text=original)


@router.get("/conversations/{cid}/suggestions", response_model=list[Suggestion], summary="KB entries for the customer's latest question, to insert with one click")
async def suggestions(cid: ConversationId, me: ChatStaff, services: Svc) -> list[Suggestion]:
    conv = await services.conversations.require(cid)
    if not await _may_read(services, me, conv):
        raise NotAllowed("this conversation is not yours")
    latest = next((m for m in reversed(await services.conversations.messages(cid)) if m.sender == "customer"), None)
    if latest is None:
        return []
    language = latest.meta.get("language") or conv.language
    try:
        result = await run_in_threadpool(services.searcher.search, latest.text, language, 3)
    except NoPublishedIndex:
        return []
    return [Suggestion(id=h.id, question=h.question, answer=h.answer, score=h.score) for h in result.hits]


@router.websocket("/ws")
async def live(websocket: WebSocket, token: str = Query("")) -> None:
    """Pushes ``conversation_changed`` (queue and status moves), ``customer_message``,
    ``message`` (new transcript lines of this agent's conversations), ``typing`` (the
    customer is typing), ``presence`` and ``resync`` (updates may have been missed:
    reload). Send ``{"type": "typing", "conversation_id", "active"}`` to show the
    customer that you are typing; any other frame is a keep-alive.

    Close codes: 4401 when the session is not (or no longer) valid: refused at
    connect, and closed at once, on whichever hub worker holds the socket, when
    the session ends while the socket is open (logout ends that session's sockets;
    a password change or reset, a role change and the account's removal end every
    socket of the account). The reason says why ("signed out", "the account was
    removed", ...); sign in again. A session that ends by itself (unused for
``CS_SESSION_IDLE_MINUTES``, or older than ``CS_AGENT_SESSION_HOURS``) closes
its sockets with 4401 "the session expired" within a third of
``CS_CONSOLE_LEASE_SECONDS``; an open socket does not count as use. 4403: the account takes no chats (or must change
    its password first). 1013 and 1011: temporarily unavailable, reconnect; 1013 "too many open connections ..." when
    the agent, or the client's address, has as many sockets open as ``CS_SOCKET_LIMITS`` allows."""
    services: Services = websocket.app.state.services
    prefix = services.keys.conv_channel("")
    # Listening before the session is checked: a session that ends after the check is heard of (Sessions.ends).
    sub = services.relay.subscribe(channels=(services.keys.agents_channel, services.keys.sessions_channel), prefixes=(prefix,))
    try:
        username = await services.sessions.user(token) if token else None
        agent = await services.agents.get(username) if username else None
    except RedisError as exc:
        sub.close()
        await refuse(websocket, *unavailable(exc))
        return
    if agent is None:
        sub.close()
        await refuse(websocket, 4401, "log in first")
        return
    if not agent.chats or agent.must_change_password:
        sub.close()
        await refuse(websocket, 4403, "this account does not take chats")
        return
    limits = services.settings.socket_limits
    held = await admit(websocket, services.sockets, [Cap("agent", agent.username, limits.per_agent), Cap("address", client_address(websocket), limits.per_address)])
    if held is None:
        sub.close()
        return
    try:
        await _console(websocket, services, sub, agent, token)
    finally:
        await release(services.sockets, held)


async def _console(websocket: WebSocket, services: Services, sub: Subscription, agent: Agent, token: str) -> None:
    """The agent's console socket, once admitted: its lease (the agent is at a console), then live updates until either side ends."""
    prefix = services.keys.conv_channel("")
    consoles = services.desk.consoles
    # The lease is taken before the handshake completes: a console that is open is counted at once (routing offers
    # chats only to agents at a console), so a chat asked for right after it connected finds the agent, and what
    # waited for them (overnight, or since they signed in) is theirs by the time it has connected, as it was at sign-in.
    try:
        arrived = not (await consoles.present([agent.username]))[0]
        lease, lapses = await consoles.open(agent.username)
        await services.desk.watch_presence(agent.username, lapses)
    except RedisError as exc:
        sub.close()
        await refuse(websocket, *unavailable(exc))
        return
    try:
        if arrived and agent.presence == "online":
            with contextlib.suppress(RedisError):  # a blip: the next chat that moves drains the queue again
                await services.desk.agent_available(agent.username)
        await websocket.accept()
    except BaseException:
        sub.close()
        with contextlib.suppress(RedisError):
            if await consoles.close(agent.username, lease) == 0:
                await services.desk.socket_closed(agent.username)
        raise
    socket = Socket(websocket)
    mine: set[str] | None = None  # this agent's chats, re-read whenever a conversation moves
    typing = TypingBudget()

    async def my_chats() -> set[str]:
        nonlocal mine
        if mine is None:
            mine = await services.agents.chats(agent.username)
        return mine

    async def on_item(channel: str, payload: dict) -> None:
        nonlocal mine
        if channel == services.keys.sessions_channel:  # never forwarded: other staff's sign-outs are not this agent's business
            if Sessions.ends(payload, agent.username, token):
                raise Ended(4401, str(payload.get("reason") or "session ended: sign in again"))
            return
        if channel == RESYNC:
            # A session end may have been published during the gap: check the session again.
            if await services.sessions.user(token) != agent.username:
                raise Ended(4401, "session ended: sign in again")
            mine = None
            await socket.send({"type": Frame.RESYNC})
            return
        if not channel.startswith(prefix):  # the agents' channel: queue moves, presence
            if payload.get("type") == Frame.CONVERSATION_CHANGED:
                mine = None
            await socket.send(payload)
            return
        cid = channel.removeprefix(prefix)
        kind = payload.get("type")
        if kind == Frame.MESSAGE and cid in await my_chats():
            await socket.send(payload)
        elif kind == Frame.TYPING and payload.get("sender") == "customer" and cid in await my_chats():
            await socket.send({**payload, "conversation_id": cid})

    async def on_frame(frame: dict) -> None:
        cid = frame.get("conversation_id")
        if frame.get("type") == "typing" and isinstance(cid, str) and cid in await my_chats() and typing.take():
            await services.conversations.publish(cid, {"type": Frame.TYPING, "sender": "agent", "author": agent.display_name, "active": bool(frame.get("active", True))})

    async def keep() -> None:
        """Renew this console's lease while it is open (a killed hub worker stops renewing, and the lease lapses),
        and close it once its session has ended by itself (idle or too old: nobody announces that)."""
        while True:
            await asyncio.sleep(consoles.renew_every)
            try:
                if not await services.sessions.live(token):
                    raise Ended(4401, "the session expired: sign in again")
                await services.desk.watch_presence(agent.username, await consoles.renew(agent.username, lease))
            except RedisError:
                continue  # a blip: the lease outlives two missed renewals, and the relay resyncs the socket

    try:
        await serve(socket, sub, on_item, on_frame, keep)
    finally:
        # The last console of this agent closed: unless one is back soon, they are offline (tickets/desk.py).
        with contextlib.suppress(RedisError):
            if await consoles.close(agent.username, lease) == 0:
                await services.desk.socket_closed(agent.username)
