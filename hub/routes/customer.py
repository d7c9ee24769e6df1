"""The customer channel: REST and WebSocket endpoints any client (the web widget, a messaging bridge) uses.

A customer starts a conversation and gets a token; the token is the only key
to that conversation (send ``Authorization: Bearer <token>``, or ``?token=`` on
the WebSocket).
"""

from __future__ import annotations

import re
import time
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, WebSocket
from pydantic import BaseModel, Field, ValidationError
from redis.exceptions import RedisError

from bot.intake import SignedCustomer
from core.errors import UnknownConversation
from core.identity import identity_is_signed
from core.language import SUPPORTED
from core.ratelimit import Limit
from core.redis import PoolBusy, is_stream_id
from tickets.desk import InvalidContact
from core.relay import RESYNC
from core.sockets import Cap
from handoff.events import Frame
from handoff.models import Conversation, Message
from handoff.summary import HUMAN_REQUEST_TEXT
from hub.deps import CONVERSATION_ID, AfterId, Conv, MessageId, MessageText, Svc, check_message_length, client_address
from hub.errors import BUSY, BUSY_RETRY_AFTER_SECONDS, STORE_DOWN, plain_errors
from hub.live import Socket, TypingBudget, admit, refuse, release, serve, stream_position, unavailable
from hub.services import Services

router = APIRouter(prefix="/api/conversations", tags=["customer"])

CLIENT_FRAMES = ("message", "typing")  # what a customer's client may send over the live socket


class CustomerInfo(BaseModel):
    """Who the customer is, as the shop's site knows them. Trusted only with a valid ``signature``
    (``hex(HMAC-SHA256(identity secret, ref + "\\n" + tier + "\\n" + name))``): otherwise the
    conversation is an anonymous standard customer."""

    name: str = Field("", max_length=100)
    ref: str = Field("", max_length=200, description="your own id for this customer")
    tier: Literal["standard", "vip"] = "standard"
    signature: str | None = Field(None, max_length=128, description="HMAC-SHA256 (hex) of ref, tier and name with the identity secret")


class StartConversation(BaseModel):
    channel: str = Field("web", max_length=40, pattern=r"^[a-z0-9_-]+$")
    language: Literal["en", "zh"] = "en"
    customer: CustomerInfo = CustomerInfo()
    visitor_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{16,64}$",
                                   description="a random id the client keeps for this visitor (the chat page's local storage): their visits form one customer record")


class Started(BaseModel):
    conversation_id: str
    token: str
    conversation: Conversation


ChatLanguage = Literal["en", "zh"]
LANGUAGE_FIELD = ("the language the customer chose for the chat (the page's 中文 / English switch): the conversation's notices follow it, "
                  "and a message without words of either language (a tracking number, a link) is read in it")


class SendMessage(BaseModel):
    text: MessageText
    language: ChatLanguage | None = Field(None, description=LANGUAGE_FIELD)
    client_message_id: str | None = Field(None, max_length=100, description="idempotency key: resending the same id never duplicates the message, and returns the original replies")
    payload: str | None = Field(None, max_length=500, description="a quick-reply button's payload, sent to the bot instead of the text if the bot offered that button in this chat (otherwise the text is used)")


class ChosenLanguage(BaseModel):
    language: ChatLanguage = Field(description=LANGUAGE_FIELD)


class HumanRequest(BaseModel):
    language: ChatLanguage | None = Field(None, description=LANGUAGE_FIELD + "; the request is written in it (转人工)")


class QueueInfo(BaseModel):
    position: int
    estimated_wait_seconds: int
    agents_online: int
    open_now: bool = Field(True, description="within business hours: false means no agent will be pushed the chat until back_at")
    back_at: float | None = Field(None, description="when humans are back (epoch seconds), out of business hours")
    back_at_text: dict[ChatLanguage, str] | None = Field(None, description="back_at as the chat's notices say it, per language: the shop's clock "
                                                                          "and time zone (\"Sat 29 Nov, 09:00 UTC+8\"), never the reader's")


class ConversationView(BaseModel):
    conversation: Conversation
    queue: QueueInfo | None = None


class SendResult(ConversationView):
    message: Message
    replies: list[Message]
    duplicate: bool = False
    pending: bool = Field(False, description="the bot is still working on it: its replies arrive on the WebSocket and in the transcript")


class Rating(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class ChatLimits(BaseModel):
    max_message_chars: int = Field(description="longest message a customer may send (characters)")
    max_image_bytes: int = Field(0, description="largest picture a customer may attach (POST /api/conversations/{cid}/attachments), in bytes")


class Feedback(BaseModel):
    message_id: MessageId
    helpful: bool


async def _message_wait(services: Services, cid: str, address: str) -> int:
    """Seconds a message sent over the WebSocket must wait under the message limits (0: go ahead)."""
    limits = services.settings.rate_limits
    return await services.limiter.hit_all([(rule, ident, Limit.parse(limits[rule])) for rule, ident in (
        ("messages_per_conversation", cid), ("messages_per_address", address)) if rule in limits])


async def _view(services: Services, conv: Conversation) -> ConversationView:
    spot = await services.queue.spot(conv.id) if conv.status == "queued" else None
    if spot is None:
        return ConversationView(conversation=conv)
    now = time.time()
    hours = services.desk.hours
    if hours.is_open(now):
        return ConversationView(conversation=conv, queue=QueueInfo(**spot.__dict__))
    back = hours.next_open(now)
    return ConversationView(conversation=conv, queue=QueueInfo(**spot.__dict__, open_now=False, back_at=back,
                                                               back_at_text={language: hours.when(back, language, now) for language in SUPPORTED}))


@router.post("", response_model=Started, status_code=201, summary="Start a conversation")
async def start(body: StartConversation, services: Svc) -> Started:
    who = body.customer
    signed = SignedCustomer(who.ref, who.tier, who.name) if identity_is_signed(services.settings.secret("identity-secret"), who.ref, who.tier, who.name, who.signature) else None
    identity = ("web", body.visitor_id) if body.visitor_id else None
    conv, token = await services.intake.start(body.channel, body.language, identity=identity, signed=signed)
    await services.orchestrator.started(conv)  # the first reply need not wait for Rasa to learn the language
    return Started(conversation_id=conv.id, token=token, conversation=conv)


@router.get("/limits", response_model=ChatLimits, summary="What a chat client must respect before it sends (the chat shows a counter near the limit)")
async def limits(services: Svc) -> ChatLimits:
    return ChatLimits(max_message_chars=services.settings.max_message_chars, max_image_bytes=services.settings.web_image_max_bytes)


@router.get("/{cid}", response_model=ConversationView, summary="Status and queue position")
async def status(conv: Conv, services: Svc) -> ConversationView:
    return await _view(services, conv)


@router.post("/{cid}/messages", response_model=SendResult, summary="Send a message; the bot's replies come back in the response")
async def send(body: SendMessage, conv: Conv, services: Svc) -> SendResult:
    check_message_length(body.text, services.settings)
    outcome = await services.orchestrator.customer_message(_in_language(conv, body.language), body.text, client_message_id=body.client_message_id,
                                                           payload=body.payload)
    view = await _view(services, outcome.conversation or conv)
    return SendResult(**view.model_dump(), message=outcome.message, replies=outcome.replies, duplicate=outcome.duplicate, pending=outcome.pending)


@router.get("/{cid}/messages", response_model=list[Message], summary="The transcript, optionally only after a message id")
async def transcript(conv: Conv, services: Svc, after: AfterId = None) -> list[Message]:
    return await services.conversations.messages(conv.id, after)


@router.post("/{cid}/handoff", response_model=ConversationView, summary="Ask for a human (the widget's 'talk to a person' button)")
async def request_human(conv: Conv, services: Svc, body: HumanRequest | None = None) -> ConversationView:
    language = body.language if body is not None else None
    if conv.status in ("bot", "resolved"):
        conv = _in_language(conv, language)
        outcome = await services.orchestrator.customer_message(conv, HUMAN_REQUEST_TEXT["zh" if conv.language == "zh" else "en"])
        conv = outcome.conversation or conv
    elif language and language != conv.language:  # already with the humans: what they send next speaks it
        await services.conversations.set_language(conv.id, language)
        conv = conv.model_copy(update={"language": language})
    return await _view(services, conv)


@router.post("/{cid}/language", response_model=ConversationView, summary="The language the customer chose for the chat (the page's 中文 / English switch)",
             description="Queue, agent and desk notices sent from now on speak it; the bot answers each message in the language it is written in.")
async def choose_language(body: ChosenLanguage, conv: Conv, services: Svc) -> ConversationView:
    if body.language != conv.language and not await services.conversations.set_language(conv.id, body.language):
        raise UnknownConversation()
    return await _view(services, conv.model_copy(update={"language": body.language}))


def _in_language(conv: Conversation, language: str | None) -> Conversation:
    """The conversation as the customer's page sees it: in the language they chose there, if it said one (stored with their message)."""
    return conv.model_copy(update={"language": language}) if language else conv


@router.post("/{cid}/cancel", response_model=ConversationView, summary="Leave the queue and go back to the bot")
async def cancel(conv: Conv, services: Svc) -> ConversationView:
    await services.desk.cancel(conv)
    return await _view(services, await services.conversations.require(conv.id))


class Contact(BaseModel):
    contact: str = Field(min_length=3, max_length=100, description="a phone number or e-mail address to reach the customer")


@router.post("/{cid}/contact", response_model=ConversationView, responses={422: {"description": "not a phone number or e-mail address"}},
             summary="Leave a phone number or e-mail (the offline form): on the ticket and the customer's record")
async def leave_contact(body: Contact, conv: Conv, services: Svc) -> ConversationView:
    try:
        await services.desk.leave_contact(conv, body.contact)
    except InvalidContact as exc:
        raise HTTPException(422, str(exc)) from None
    return await _view(services, await services.conversations.require(conv.id))


@router.post("/{cid}/rating", response_model=ConversationView, summary="Rate a resolved conversation (CSAT, 1-5)")
async def rate(body: Rating, conv: Conv, services: Svc) -> ConversationView:
    await services.desk.rate(conv, body.score, body.comment)
    return await _view(services, await services.conversations.require(conv.id))


@router.post("/{cid}/feedback", status_code=204, summary="Vote a bot answer helpful or not helpful",
             description="After 'not helpful' the bot offers the next best answers and a person (a new bot message: WebSocket and transcript).")
async def feedback(body: Feedback, conv: Conv, services: Svc) -> None:
    message = await services.conversations.message(conv.id, body.message_id)
    if message is None or message.sender != "bot":
        raise HTTPException(404, "no bot message with that id in this conversation")
    await services.feedback.vote(conv, message, body.helpful)


@router.websocket("/{cid}/ws")
async def live(websocket: WebSocket, cid: str, token: str = Query(""), after: str | None = Query(None)) -> None:
    """Server sends ``{"type": "message", "message": ...}``, ``{"type": "status", ...}``,
    ``{"type": "typing", "sender", "author", "active"}`` and ``{"type": "error", "detail"}``;
    client sends ``{"type": "message", "text", "client_message_id"}`` or ``{"type": "typing", "active": true}``.

    On connect the server first replays every message after ``after`` (the last id
    the client has), so a reconnect loses nothing and duplicates nothing. Close
    codes: 4403 unknown conversation or wrong token, 4422 malformed ``after``,
    1009 frame too large, 1011 the service is briefly unavailable (reconnect), 1013 busy or briefly
    unavailable (reconnect after a moment), or "too many open connections ..." when this chat, or the client's
    address, has as many sockets open as ``CS_SOCKET_LIMITS`` allows (try again later: one may have closed). A message frame the hub could not take gets an ``error`` frame with
    ``retry: true`` (and ``retry_after`` seconds when the hub was only busy): send it again, same ``client_message_id``.
    """
    services: Services = websocket.app.state.services
    if after is not None and not is_stream_id(after):
        await refuse(websocket, 4422, "after must be a message id")
        return
    try:
        conv, allowed = await services.conversations.get_with_token(cid, token) if re.fullmatch(CONVERSATION_ID, cid) else (None, False)
    except RedisError as exc:
        await refuse(websocket, *unavailable(exc))
        return
    if not allowed:
        await refuse(websocket, 4403, "unknown conversation or wrong token")
        return
    address = client_address(websocket)
    limits = services.settings.socket_limits
    held = await admit(websocket, services.sockets, [Cap("conversation", cid, limits.per_conversation), Cap("address", address, limits.per_address)])
    if held is None:
        return
    try:
        await _live(websocket, services, cid, address, after)
    finally:
        await release(services.sockets, held)


async def _live(websocket: WebSocket, services: Services, cid: str, address: str, after: str | None) -> None:
    """The customer's socket, once admitted: the transcript after ``after``, then live updates until either side ends."""
    await websocket.accept()
    socket = Socket(websocket)
    # Listen before reading the transcript: a message stored in between comes both ways and is sent once.
    sub = services.relay.subscribe(channels=(services.keys.conv_channel(cid),))
    last = after
    typing = TypingBudget()

    async def catch_up() -> None:
        nonlocal last
        for message in await services.conversations.messages(cid, last):
            await socket.send({"type": Frame.MESSAGE, "message": message.model_dump(mode="json")})
            last = message.id
        await send_status()

    async def send_status() -> None:
        view = await _view(services, await services.conversations.require(cid))
        await socket.send({"type": Frame.STATUS, **view.model_dump(mode="json")})

    async def on_item(channel: str, payload: dict) -> None:
        nonlocal last
        kind = payload.get("type")
        if channel == RESYNC:
            await catch_up()
        elif kind == Frame.MESSAGE:
            mid = payload["message"]["id"]
            if last is None or stream_position(mid) > stream_position(last):
                await socket.send(payload)
                last = mid
        elif kind == Frame.STATUS:
            await send_status()
        elif kind == Frame.TYPING and payload.get("sender") != "customer":  # the customer's own notice is for the agent
            await socket.send(payload)

    async def on_frame(frame: dict) -> None:
        kind = frame.get("type", "message")  # a frame without a type is a message, as it always was
        if kind == "typing":
            # Ephemeral: shown to the agent, never stored in the transcript; a flood of them is dropped.
            if typing.take():
                await services.conversations.publish(cid, {"type": Frame.TYPING, "sender": "customer", "active": bool(frame.get("active", True))})
            return
        if kind != "message":
            await socket.error(f"unknown frame type {str(kind)[:40]!r} (expected: {', '.join(CLIENT_FRAMES)})")
            return
        try:
            body = SendMessage.model_validate(frame.get("message", frame))
            check_message_length(body.text, services.settings)
        except ValidationError as exc:
            await socket.error(plain_errors(exc))  # the same words as the REST API, not pydantic's dump
            return
        except HTTPException as exc:
            await socket.error(str(exc.detail))
            return
        try:
            wait = await _message_wait(services, cid, address)
            if wait:  # the same limits as the REST endpoint (hub/middleware/rate_limit.py)
                await socket.send({"type": Frame.ERROR, "detail": f"too many messages: please wait {wait} s", "retry_after": wait, "client_message_id": body.client_message_id})
                return
            conv = await services.conversations.require(cid)
            await services.orchestrator.customer_message(_in_language(conv, body.language), body.text, client_message_id=body.client_message_id,
                                                         payload=body.payload)
        except PoolBusy:  # Redis is fine, this worker is crowded: the client sends it again in a moment
            await socket.send({"type": Frame.ERROR, "detail": BUSY, "retry": True, "retry_after": BUSY_RETRY_AFTER_SECONDS,
                               "client_message_id": body.client_message_id})
        except RedisError:
            await socket.send({"type": Frame.ERROR, "detail": STORE_DOWN, "retry": True, "client_message_id": body.client_message_id})

    try:
        await catch_up()
    except RedisError as exc:
        sub.close()
        code, reason = unavailable(exc, 1011)
        await websocket.close(code=code, reason=reason)
        return
    await serve(socket, sub, on_item, on_frame)
