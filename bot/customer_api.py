"""The customer channel: REST and WebSocket endpoints any client (the web widget, a messaging bridge) uses.

A customer starts a conversation and gets a token; the token is the only key
to that conversation (send ``Authorization: Bearer <token>``, or ``?token=`` on
the WebSocket).
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Literal

from fastapi.concurrency import run_in_threadpool
from fastapi import APIRouter, Depends, Header, HTTPException, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError

from bot.services import Services, check_message_length, get_services
from bot.texts import say
from handoff.models import Conversation, Message

router = APIRouter(prefix="/api/conversations", tags=["customer"])


class CustomerInfo(BaseModel):
    name: str = Field("", max_length=100)
    ref: str = Field("", max_length=200, description="your own id for this customer")
    tier: Literal["standard", "vip"] = "standard"


class StartConversation(BaseModel):
    channel: str = Field("web", max_length=40)
    language: Literal["en", "zh"] = "en"
    customer: CustomerInfo = CustomerInfo()


class Started(BaseModel):
    conversation_id: str
    token: str
    conversation: Conversation


class SendMessage(BaseModel):
    text: str = Field(min_length=1)
    client_message_id: str | None = Field(None, max_length=100, description="idempotency key: resending the same id never duplicates the message")
    payload: str | None = Field(None, max_length=500, description="a quick-reply button's payload, sent to the bot instead of the text")


class QueueInfo(BaseModel):
    position: int
    estimated_wait_seconds: int
    agents_online: int


class ConversationView(BaseModel):
    conversation: Conversation
    queue: QueueInfo | None = None


class SendResult(ConversationView):
    message: Message
    replies: list[Message]
    duplicate: bool = False


class Rating(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class Feedback(BaseModel):
    message_id: str
    helpful: bool


async def _authorized(cid: str, token: str | None, services: Services) -> Conversation:
    conv = await services.conversations.get(cid)
    if conv is None:
        raise HTTPException(404, "unknown conversation")
    if not token or not await services.conversations.token_matches(cid, token):
        raise HTTPException(403, "this token does not give access to this conversation")
    return conv


async def customer_conversation(cid: str, services: Annotated[Services, Depends(get_services)], authorization: Annotated[str | None, Header()] = None) -> Conversation:
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    return await _authorized(cid, token, services)


Svc = Annotated[Services, Depends(get_services)]
Conv = Annotated[Conversation, Depends(customer_conversation)]


async def _view(services: Services, conv: Conversation) -> dict:
    spot = await services.queue.spot(conv.id) if conv.status == "queued" else None
    return {"conversation": conv, "queue": spot.__dict__ if spot else None}


@router.post("", response_model=Started, status_code=201, summary="Start a conversation")
async def start(body: StartConversation, services: Svc) -> Started:
    conv, token = await services.conversations.create(body.channel, body.language, body.customer.name, body.customer.tier, body.customer.ref)
    return Started(conversation_id=conv.id, token=token, conversation=conv)


@router.get("/{cid}", response_model=ConversationView, summary="Status and queue position")
async def status(conv: Conv, services: Svc) -> dict:
    return await _view(services, conv)


@router.post("/{cid}/messages", response_model=SendResult, summary="Send a message; the bot's replies come back in the response")
async def send(body: SendMessage, conv: Conv, services: Svc) -> dict:
    check_message_length(body.text, services.settings)
    outcome = await services.orchestrator.customer_message(conv, body.text, client_message_id=body.client_message_id, payload=body.payload)
    return {"message": outcome.message, "replies": outcome.replies, "duplicate": outcome.duplicate, **await _view(services, outcome.conversation or conv)}


@router.get("/{cid}/messages", response_model=list[Message], summary="The transcript, optionally only after a message id")
async def transcript(conv: Conv, services: Svc, after: str | None = None) -> list[Message]:
    return await services.conversations.messages(conv.id, after)


@router.post("/{cid}/handoff", response_model=ConversationView, summary="Ask for a human (the widget's 'talk to a person' button)")
async def request_human(conv: Conv, services: Svc) -> dict:
    if conv.status == "bot" or conv.status == "resolved":
        text = "转人工" if conv.language == "zh" else "I want to talk to a person"
        outcome = await services.orchestrator.customer_message(conv, text)
        conv = outcome.conversation or conv
    return await _view(services, conv)


@router.post("/{cid}/cancel", response_model=ConversationView, summary="Leave the queue and go back to the bot")
async def cancel(conv: Conv, services: Svc) -> dict:
    result = await services.queue.cancel(conv.id)
    if not result.ok:
        raise HTTPException(409, f"not waiting in the queue (status: {result.detail})")
    await services.conversations.append(conv.id, "system", say("queue_left", conv.language), meta={"kind": "queue_left"})
    return await _view(services, await services.conversations.get(conv.id) or conv)


@router.post("/{cid}/rating", response_model=ConversationView, summary="Rate a resolved conversation (CSAT, 1-5)")
async def rate(body: Rating, conv: Conv, services: Svc) -> dict:
    if conv.status != "resolved":
        raise HTTPException(409, "only a resolved conversation can be rated")
    await services.conversations.set_fields(conv.id, rating=str(body.score), rating_comment=body.comment)
    await services.conversations.record_event(conv.id, "rated", score=body.score, comment=body.comment, agent=conv.agent)
    await services.conversations.append(conv.id, "system", say("rating_thanks", conv.language), meta={"kind": "rating_thanks", "score": body.score})
    return await _view(services, await services.conversations.get(conv.id) or conv)


@router.post("/{cid}/feedback", status_code=204, summary="Vote a bot answer helpful or not helpful")
async def feedback(body: Feedback, conv: Conv, services: Svc) -> None:
    message = await services.conversations.message(conv.id, body.message_id)
    if message is None or message.sender != "bot":
        raise HTTPException(404, "no bot message with that id in this conversation")
    await services.conversations.record_event(conv.id, "answer_feedback", message_id=body.message_id, helpful=body.helpful, hits=message.meta.get("hits", []), question=message.meta.get("query", ""))
    if not body.helpful and message.meta.get("query"):
        await run_in_threadpool(services.gaps.record, message.meta["query"], message.meta.get("language", conv.language), "not_helpful", conv.id)


@router.websocket("/{cid}/ws")
async def live(websocket: WebSocket, cid: str, token: str = Query(""), after: str | None = Query(None)) -> None:
    """Server sends ``{"type": "message", "message": ...}``, ``{"type": "status", ...}`` and
    ``{"type": "typing", "sender", "author", "active"}``; client sends ``{"type": "message", "text",
    "client_message_id"}`` or ``{"type": "typing", "active": true}``.

    On connect the server first replays every message after ``after`` (the last id
    the client has), so a reconnect loses nothing and duplicates nothing.
    """
    services: Services = websocket.app.state.services
    conv = await services.conversations.get(cid)
    if conv is None or not await services.conversations.token_matches(cid, token):
        await websocket.close(code=4403, reason="unknown conversation or wrong token")
        return
    await websocket.accept()
    pubsub = services.redis.pubsub()
    await pubsub.subscribe(services.keys.conv_channel(cid))
    try:
        for message in await services.conversations.messages(cid, after):
            await websocket.send_json({"type": "message", "message": message.model_dump()})
        await websocket.send_json({"type": "status", **json.loads(json.dumps(await _view(services, conv), default=lambda o: o.model_dump()))})
        pump = asyncio.create_task(_forward(pubsub, websocket, services, cid))
        try:
            while True:
                data = await websocket.receive_json()
                await _client_frame(data, cid, services, websocket)
        finally:
            pump.cancel()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()


async def _client_frame(data: object, cid: str, services: Services, websocket: WebSocket) -> None:
    if isinstance(data, dict) and data.get("type") == "typing":
        # Ephemeral: shown to the agent, never stored in the transcript.
        await services.conversations.publish(cid, {"type": "typing", "sender": "customer", "active": bool(data.get("active", True))})
        return
    try:
        body = SendMessage.model_validate(data.get("message", data) if isinstance(data, dict) else data)
        check_message_length(body.text, services.settings)
    except (ValidationError, HTTPException) as exc:
        await websocket.send_json({"type": "error", "detail": getattr(exc, "detail", None) or str(exc)})
        return
    conv = await services.conversations.get(cid)
    await services.orchestrator.customer_message(conv, body.text, client_message_id=body.client_message_id, payload=body.payload)


async def _forward(pubsub, websocket: WebSocket, services: Services, cid: str) -> None:
    async for item in pubsub.listen():
        if item.get("type") != "message":
            continue
        payload = json.loads(item["data"])
        if payload.get("type") == "typing" and payload.get("sender") == "customer":
            continue  # the customer's own typing notice is for the agent
        if payload.get("type") == "status":
            conv = await services.conversations.get(cid)
            payload = {"type": "status", **json.loads(json.dumps(await _view(services, conv), default=lambda o: o.model_dump()))}
        await websocket.send_json(payload)
