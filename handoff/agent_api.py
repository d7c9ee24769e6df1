"""The agent console's API: log in, see the queue, claim, reply, transfer, resolve, hand back.

Authenticate with ``Authorization: Bearer <session token>`` from ``/login``
(the console also gets it as an HttpOnly cookie).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Header, HTTPException, Query, Response, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from bot.services import Services, check_message_length, get_services
from bot.texts import say
from handoff.agents import Agent, Presence
from handoff.conversations import TransitionResult
from handoff.models import Conversation, HandoffPacket, Message
from kb.search import NoPublishedIndex

router = APIRouter(prefix="/api/agent", tags=["agent"])
COOKIE = "cs_agent"
Svc = Annotated[Services, Depends(get_services)]


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
    to: str = Field(description="username of the agent who takes over")


class QueueItem(BaseModel):
    conversation: Conversation
    packet: HandoffPacket | None
    position: int
    waiting_seconds: int


class ConversationDetail(BaseModel):
    conversation: Conversation
    packet: HandoffPacket | None
    messages: list[Message]


async def current_agent(services: Svc, authorization: Annotated[str | None, Header()] = None, cs_agent: Annotated[str | None, Cookie()] = None) -> Agent:
    token = authorization.removeprefix("Bearer ").strip() if authorization else cs_agent
    agent = await services.agents.session_user(token) if token else None
    if agent is None:
        raise HTTPException(401, "log in first (POST /api/agent/login)")
    return agent


Me = Annotated[Agent, Depends(current_agent)]


def _refused(result: TransitionResult, action: str) -> HTTPException:
    messages = {
        "unknown": (404, "unknown conversation"),
        "not_owner": (403, f"cannot {action}: another agent owns this conversation"),
        "at_capacity": (409, f"cannot {action}: at maximum concurrent chats"),
        "unknown_agent": (404, "no such agent"),
    }
    code, text = messages.get(result.detail, (409, f"cannot {action}: conversation is {result.detail}"))
    return HTTPException(code, text)


@router.post("/login", response_model=LoggedIn)
async def login(body: Login, response: Response, services: Svc) -> LoggedIn:
    agent = await services.agents.verify_password(body.username, body.password)
    if agent is None:
        raise HTTPException(401, "wrong username or password")
    ttl = int(services.settings.agent_session_hours * 3600)
    token = await services.agents.open_session(agent.username, ttl)
    if agent.role != "editor":  # editors edit the KB; they are not counted as agents available for chats
        await services.agents.set_presence(agent.username, "online")
        agent = agent.model_copy(update={"presence": "online"})
    response.set_cookie(COOKIE, token, max_age=ttl, httponly=True, samesite="strict")
    return LoggedIn(token=token, agent=agent)


@router.post("/logout", status_code=204)
async def logout(me: Me, response: Response, services: Svc, authorization: Annotated[str | None, Header()] = None, cs_agent: Annotated[str | None, Cookie()] = None) -> None:
    token = authorization.removeprefix("Bearer ").strip() if authorization else cs_agent
    await services.agents.close_session(token or "")
    await services.agents.set_presence(me.username, "offline")
    response.delete_cookie(COOKIE)


@router.get("/me", response_model=Agent)
async def me(me: Me) -> Agent:
    return me


@router.post("/presence", response_model=Agent)
async def presence(body: PresenceBody, me: Me, services: Svc) -> Agent:
    await services.agents.set_presence(me.username, body.presence)
    await services.conversations.publish_agents({"type": "presence", "agent": me.username, "presence": body.presence})
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
        items.append(QueueItem(conversation=conv, packet=await services.conversations.packet(cid), position=position, waiting_seconds=waited))
    return items


@router.get("/conversations", response_model=list[Conversation], summary="The conversations this agent owns")
async def mine(me: Me, services: Svc) -> list[Conversation]:
    convs = [await services.conversations.get(cid) for cid in await services.agents.chats(me.username)]
    return sorted((c for c in convs if c), key=lambda c: c.assigned_at or 0)


async def _detail(services: Services, cid: str) -> ConversationDetail:
    conv = await services.conversations.get(cid)
    if conv is None:
        raise HTTPException(404, "unknown conversation")
    return ConversationDetail(conversation=conv, packet=await services.conversations.packet(cid), messages=await services.conversations.messages(cid))


@router.get("/conversations/{cid}", response_model=ConversationDetail)
async def detail(cid: str, me: Me, services: Svc) -> ConversationDetail:
    return await _detail(services, cid)


@router.post("/conversations/{cid}/claim", response_model=ConversationDetail, responses={409: {"description": "already claimed, or at capacity"}})
async def claim(cid: str, me: Me, services: Svc) -> ConversationDetail:
    result = await services.queue.claim(cid, me.username)
    if not result.ok:
        raise _refused(result, "claim")
    conv = await services.conversations.get(cid)
    await services.conversations.append(cid, "system", say("assigned", conv.language, agent=me.display_name), meta={"kind": "assigned", "agent": me.display_name})
    return await _detail(services, cid)


async def _owned(cid: str, me: Agent, services: Services) -> Conversation:
    conv = await services.conversations.get(cid)
    if conv is None:
        raise HTTPException(404, "unknown conversation")
    if conv.status != "assigned" or conv.agent != me.username:
        raise HTTPException(403, "you do not own this conversation")
    return conv


@router.post("/conversations/{cid}/messages", response_model=Message)
async def reply(cid: str, body: Reply, me: Me, services: Svc) -> Message:
    check_message_length(body.text, services.settings)
    conv = await _owned(cid, me, services)
    return await services.conversations.append(cid, "agent", body.text, channel=conv.channel, author=me.display_name, meta={"agent": me.username})


@router.post("/conversations/{cid}/resolve", response_model=ConversationDetail)
async def resolve(cid: str, me: Me, services: Svc) -> ConversationDetail:
    conv = await _owned(cid, me, services)
    result = await services.queue.resolve(cid, me.username)
    if not result.ok:
        raise _refused(result, "resolve")
    await services.conversations.append(cid, "system", say("resolved", conv.language), meta={"kind": "rating_request"})
    return await _detail(services, cid)


@router.post("/conversations/{cid}/handback", response_model=ConversationDetail)
async def hand_back(cid: str, me: Me, services: Svc) -> ConversationDetail:
    conv = await _owned(cid, me, services)
    result = await services.queue.hand_back(cid, me.username)
    if not result.ok:
        raise _refused(result, "hand back")
    await services.rasa.set_slot(cid, "failed_attempts", 0)
    await services.conversations.append(cid, "system", say("handed_back", conv.language), meta={"kind": "handed_back"})
    return await _detail(services, cid)


@router.post("/conversations/{cid}/transfer", response_model=ConversationDetail)
async def transfer(cid: str, body: Transfer, me: Me, services: Svc) -> ConversationDetail:
    conv = await _owned(cid, me, services)
    result = await services.queue.transfer(cid, me.username, body.to)
    if not result.ok:
        raise _refused(result, "transfer")
    target = await services.agents.get(body.to)
    await services.conversations.append(cid, "system", say("transferred", conv.language, agent=target.display_name), meta={"kind": "transferred", "agent": target.display_name})
    return await _detail(services, cid)


@router.websocket("/ws")
async def live(websocket: WebSocket, token: str = Query("")) -> None:
    """Pushes ``conversation_changed`` (queue and status moves), ``customer_message``,
    ``message`` (new transcript lines of this agent's conversations) and ``typing`` (the
    customer is typing) as they happen. Send ``{"type": "typing", "conversation_id", "active"}``
    to show the customer that you are typing; any other frame is a keep-alive."""
    services: Services = websocket.app.state.services
    agent = await services.agents.session_user(token) if token else None
    if agent is None:
        await websocket.close(code=4401, reason="log in first")
        return
    await websocket.accept()
    pubsub = services.redis.pubsub()
    await pubsub.subscribe(services.keys.agents_channel)
    await pubsub.psubscribe(services.keys.conv_channel("*"))
    prefix = services.keys.conv_channel("")

    async def pump() -> None:
        async for item in pubsub.listen():
            if item.get("type") not in ("message", "pmessage"):
                continue
            payload = json.loads(item["data"])
            if item.get("type") == "pmessage":
                if payload.get("type") not in ("message", "typing") or payload.get("sender") == "agent":
                    continue
                if payload["type"] == "typing":
                    payload = {**payload, "conversation_id": item["channel"].removeprefix(prefix)}
                cid = item["channel"].removeprefix(prefix)
                if cid not in await services.agents.chats(agent.username):
                    continue
            await websocket.send_json(payload)

    task = asyncio.create_task(pump())
    try:
        while True:
            raw = await websocket.receive_text()  # keep-alive pings, and typing notices
            try:
                frame = json.loads(raw)
            except ValueError:
                continue
            if isinstance(frame, dict) and frame.get("type") == "typing" and frame.get("conversation_id") in await services.agents.chats(agent.username):
                await services.conversations.publish(frame["conversation_id"], {"type": "typing", "sender": "agent", "author": agent.display_name, "active": bool(frame.get("active", True))})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        task.cancel()
        await pubsub.aclose()


class Suggestion(BaseModel):
    id: str
    question: str
    answer: str
    score: float


@router.get("/conversations/{cid}/suggestions", response_model=list[Suggestion], summary="KB entries for the customer's latest question, to insert with one click")
async def suggestions(cid: str, me: Me, services: Svc) -> list[Suggestion]:
    conv = await services.conversations.get(cid)
    if conv is None:
        raise HTTPException(404, "unknown conversation")
    latest = next((m for m in reversed(await services.conversations.messages(cid)) if m.sender == "customer"), None)
    if latest is None:
        return []
    language = latest.meta.get("language") or conv.language
    try:
        result = await run_in_threadpool(services.searcher.search, latest.text, language, 3)
    except NoPublishedIndex:
        return []
    return [Suggestion(id=h.id, question=h.question, answer=h.answer, score=h.score) for h in result.hits]
