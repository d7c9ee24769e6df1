"""The agent console's API: log in, see the queue, claim, reply, transfer, resolve, hand back.

Authenticate with ``Authorization: Bearer <session token>`` from ``/login``
(the console also gets it as an HttpOnly cookie).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Cookie, Header, HTTPException, Query, Response, WebSocket
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from redis.exceptions import RedisError

from core.errors import NotOwner
from core.relay import RESYNC
from handoff.agents import Agent, Presence
from handoff.conversations import Guard
from handoff.history import PastConversation
from handoff.summary import customer_need
from handoff.events import Frame
from handoff.models import Conversation, HandoffPacket, Message
from hub.deps import AGENT_COOKIE, ConversationId, Me, Svc, bearer, check_message_length
from hub.live import Socket, serve
from hub.services import Services
from kb.search import NoPublishedIndex

router = APIRouter(prefix="/api/agent", tags=["agent"])


class Login(BaseModel):
    username: str = Field(max_length=40)
    password: str = Field(max_length=200)


class LoggedIn(BaseModel):
    token: str
    agent: Agent


class PresenceBody(BaseModel):
    presence: Presence


class Reply(BaseModel):
    text: str = Field(min_length=1)


class Transfer(BaseModel):
    to: str = Field(max_length=40, description="username of the agent who takes over")


class QueueItem(BaseModel):
    conversation: Conversation
    packet: HandoffPacket | None
    position: int
    waiting_seconds: int
    need: str = Field("", description="one line: the customer's last substantive message, or the packet's summary")


class ConversationDetail(BaseModel):
    conversation: Conversation
    packet: HandoffPacket | None
    messages: list[Message]


class Suggestion(BaseModel):
    id: str
    question: str
    answer: str
    score: float


@router.post("/login", response_model=LoggedIn)
async def login(body: Login, response: Response, services: Svc) -> LoggedIn:
    agent = await services.agents.verify_password(body.username, body.password)
    if agent is None:
        raise HTTPException(401, "wrong username or password")
    ttl = int(services.settings.agent_session_hours * 3600)
    token = await services.agents.open_session(agent.username, ttl)
    if agent.role != "editor":  # editors edit the KB; they are not counted as agents available for chats
        await services.agents.set_presence(agent.username, "online")
        await services.conversations.publish_agents({"type": Frame.PRESENCE, "agent": agent.username, "presence": "online"})
        agent = agent.model_copy(update={"presence": "online"})
    response.set_cookie(AGENT_COOKIE, token, max_age=ttl, httponly=True, samesite="strict")
    return LoggedIn(token=token, agent=agent)


@router.post("/logout", status_code=204)
async def logout(me: Me, response: Response, services: Svc, authorization: Annotated[str | None, Header()] = None, cs_agent: Annotated[str | None, Cookie()] = None) -> None:
    await services.agents.close_session(bearer(authorization) or cs_agent or "")
    await services.agents.set_presence(me.username, "offline")
    await services.conversations.publish_agents({"type": Frame.PRESENCE, "agent": me.username, "presence": "offline"})
    response.delete_cookie(AGENT_COOKIE)


@router.get("/me", response_model=Agent)
async def me(me: Me) -> Agent:
    return me


@router.post("/presence", response_model=Agent)
async def presence(body: PresenceBody, me: Me, services: Svc) -> Agent:
    await services.agents.set_presence(me.username, body.presence)
    await services.conversations.publish_agents({"type": Frame.PRESENCE, "agent": me.username, "presence": body.presence})
    return me.model_copy(update={"presence": body.presence})


@router.get("/agents", response_model=list[Agent], summary="Everyone, for transfers")
async def agents(me: Me, services: Svc) -> list[Agent]:
    return await services.agents.all()


@router.get("/queue", response_model=list[QueueItem])
async def queue(me: Me, services: Svc) -> list[QueueItem]:
    now = time.time()
    items = []
    for position, cid in enumerate(await services.queue.queued_ids(), start=1):
        conv = await services.conversations.get(cid)
        if conv is None:
            continue
        waited = int(now - (conv.queued_at or now))
        packet = await services.conversations.packet(cid)
        need = customer_need(await services.conversations.messages(cid), packet)
        items.append(QueueItem(conversation=conv, packet=packet, position=position, waiting_seconds=waited, need=need))
    return items


@router.get("/conversations", response_model=list[Conversation], summary="The conversations this agent owns")
async def mine(me: Me, services: Svc) -> list[Conversation]:
    convs = [await services.conversations.get(cid) for cid in await services.agents.chats(me.username)]
    return sorted((c for c in convs if c), key=lambda c: c.assigned_at or 0)


@router.get("/history", response_model=list[PastConversation], summary="This agent's past conversations, newest first, searchable")
async def history(me: Me, services: Svc,
                  q: Annotated[str, Query(max_length=200, description="words in the customer's name, the conversation id or any transcript line")] = "",
                  since: Annotated[float | None, Query(ge=0, description="last active at or after (epoch seconds)")] = None,
                  until: Annotated[float | None, Query(ge=0, description="last active before (epoch seconds)")] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[PastConversation]:
    return await services.history.search(me.username, q, since, until, limit)


async def _detail(services: Services, cid: str) -> ConversationDetail:
    conv = await services.conversations.require(cid)
    return ConversationDetail(conversation=conv, packet=await services.conversations.packet(cid), messages=await services.conversations.messages(cid))


async def _owned(cid: str, me: Agent, services: Services) -> Conversation:
    conv = await services.conversations.require(cid)
    if conv.status != "assigned" or conv.agent != me.username:
        raise NotOwner("you do not own this conversation")
    return conv


@router.get("/conversations/{cid}", response_model=ConversationDetail)
async def detail(cid: ConversationId, me: Me, services: Svc) -> ConversationDetail:
    return await _detail(services, cid)


@router.post("/conversations/{cid}/claim", response_model=ConversationDetail, responses={409: {"description": "already claimed, or at capacity"}})
async def claim(cid: ConversationId, me: Me, services: Svc) -> ConversationDetail:
    await services.queue.claim(cid, me)
    return await _detail(services, cid)


@router.post("/conversations/{cid}/messages", response_model=Message)
async def reply(cid: ConversationId, body: Reply, me: Me, services: Svc) -> Message:
    check_message_length(body.text, services.settings)
    conv = await _owned(cid, me, services)
    # Checked again at the instant of writing: a chat transferred meanwhile refuses the reply.
    sent = await services.conversations.append(cid, "agent", body.text, channel=conv.channel, author=me.display_name, meta={"agent": me.username},
                                               guard=Guard(frozenset({"assigned"}), agent=me.username))
    if sent is None:
        raise NotOwner("you no longer own this conversation")
    return sent


@router.post("/conversations/{cid}/resolve", response_model=ConversationDetail)
async def resolve(cid: ConversationId, me: Me, services: Svc) -> ConversationDetail:
    await services.queue.resolve(await _owned(cid, me, services), me.username)
    return await _detail(services, cid)


@router.post("/conversations/{cid}/handback", response_model=ConversationDetail)
async def hand_back(cid: ConversationId, me: Me, services: Svc) -> ConversationDetail:
    await services.queue.hand_back(await _owned(cid, me, services), me.username)
    await services.rasa.set_slot(cid, "failed_attempts", 0)
    return await _detail(services, cid)


@router.post("/conversations/{cid}/transfer", response_model=ConversationDetail)
async def transfer(cid: ConversationId, body: Transfer, me: Me, services: Svc) -> ConversationDetail:
    await services.queue.transfer(await _owned(cid, me, services), me.username, body.to)
    return await _detail(services, cid)


@router.get("/conversations/{cid}/suggestions", response_model=list[Suggestion], summary="KB entries for the customer's latest question, to insert with one click")
async def suggestions(cid: ConversationId, me: Me, services: Svc) -> list[Suggestion]:
    conv = await services.conversations.require(cid)
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
    customer that you are typing; any other frame is a keep-alive."""
    services: Services = websocket.app.state.services
    try:
        agent = await services.agents.session_user(token) if token else None
    except RedisError:
        await websocket.close(code=1013, reason="temporarily unavailable, reconnect")
        return
    if agent is None:
        await websocket.close(code=4401, reason="log in first")
        return
    await websocket.accept()
    socket = Socket(websocket)
    prefix = services.keys.conv_channel("")
    sub = services.relay.subscribe(channels=(services.keys.agents_channel,), prefixes=(prefix,))
    mine: set[str] | None = None  # this agent's chats, re-read whenever a conversation moves

    async def my_chats() -> set[str]:
        nonlocal mine
        if mine is None:
            mine = await services.agents.chats(agent.username)
        return mine

    async def on_item(channel: str, payload: dict) -> None:
        nonlocal mine
        if channel == RESYNC:
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
        if frame.get("type") == "typing" and isinstance(cid, str) and cid in await my_chats():
            await services.conversations.publish(cid, {"type": Frame.TYPING, "sender": "agent", "author": agent.display_name, "active": bool(frame.get("active", True))})

    await serve(socket, sub, on_item, on_frame)
