"""What a customer sent beside their words (a photo of the broken item, a file, a voice message), opened from the console.

``GET /api/agent/conversations/{cid}/messages/{mid}/attachment``: the transcript line ``mid`` names the attachment
(its ``meta.media``: a channel's reference, or a picture the web-chat customer attached), so an agent can open only what was sent in a conversation they may read, under the same rule as
reading it (``hub.deps.may_read``), never an id of their own choosing. The bytes stream from the platform
(``bot/channels/media.py``): an image inline, anything else as a download, ``nosniff`` either way. Refusals carry a
``code`` the console words in the agent's language: 404 ``not_an_attachment`` / ``attachment_gone``, 403
``not_allowed``, 502 ``channel_refused`` / ``channel_unreachable`` / ``attachment_too_large``.

``POST /api/agent/conversations/{cid}/attachments?name=...``: the agent who owns the chat sends the customer a picture
(JPEG, PNG, WebP, GIF) or a PDF (a return label, a size chart); the body is the file. Its type is read from its first
bytes (422 ``not_a_picture_or_pdf``; a picture of more than 8000 x 8000 pixels: ``image_too_many_pixels``), at most ``Settings.agent_attachment_max_bytes`` (a larger body is a 413 before it
is read); not the owner: 403 ``not_owner``. It is kept with the conversation like a customer's picture
(``bot/uploads.py``: retention and erasure delete it) and appended as the agent's line (``meta.kind`` attachment,
``meta.media.upload_id``): the web chat shows it (``hub/routes/uploads.py``), and a messaging channel's customer
gets it through the outbox (Telegram sendPhoto / sendDocument, WeChat temporary media then an image message; a
WeChat customer cannot be sent a PDF or a WebP: 422 ``not_for_this_channel``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from bot.channels.media import Download, NotAnAttachment
from bot.channels.wechat import WECHAT_IMAGE_TYPES
from core.errors import Invalid, NotAllowed, NotOwner
from handoff.conversations import Guard
from handoff.models import Message
from hub.deps import ChatStaff, ConversationId, MessagePathId, Svc, may_read

router = APIRouter(prefix="/api/agent", tags=["agent"])

_ERROR = {"description": "JSON with ``detail`` and ``code``"}
SEND_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf")
SEND_PATH = r"^/api/agent/conversations/[0-9a-f]{32}/attachments$"  # the body limit for what agents send (hub/app.py)


class NotForThisChannel(Invalid):
    pass


class SendLimits(BaseModel):
    max_bytes: int = Field(description="largest picture or PDF an agent may send a customer, in bytes")
    types: list[str] = Field(description="what may be sent (read from the file's first bytes)")


@router.get("/attachments/limits", response_model=SendLimits, summary="What the console may send a customer: types and size")
async def send_limits(me: ChatStaff, services: Svc) -> SendLimits:
    return SendLimits(max_bytes=services.settings.agent_attachment_max_bytes, types=list(SEND_TYPES))


@router.post("/conversations/{cid}/attachments", response_model=Message, status_code=201,
             summary="Send the customer a picture (JPEG, PNG, WebP, GIF) or a PDF: the body is the file",
             openapi_extra={"requestBody": {"required": True, "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in SEND_TYPES}}},
             responses={403: _ERROR, 413: {"description": "larger than agent_attachment_max_bytes"},
                        422: {"description": "not a picture or a PDF (not_a_picture_or_pdf), or not something the customer's channel takes (not_for_this_channel)"}})
async def send(cid: ConversationId, me: ChatStaff, request: Request, services: Svc,
               name: Annotated[str, Query(max_length=200, description="the file's name, shown to the customer")] = "",
               client_message_id: Annotated[str | None, Query(max_length=100, description="idempotency key: sending again with it stores it once")] = None) -> Message:
    conv = await services.conversations.require(cid)
    if conv.status != "assigned" or conv.agent != me.username:
        raise NotOwner("you do not own this conversation")
    if client_message_id and (before := await services.conversations.by_client_id(cid, "agent", client_message_id)):
        return before
    data = await request.body()
    kind = services.uploads.check_for_customer(data)
    if kind not in WECHAT_IMAGE_TYPES and await services.redis.hget(services.keys.conv(cid), "reply_channel") == "wechat":
        raise NotForThisChannel("a WeChat customer can be sent JPEG, PNG and GIF pictures only (official accounts cannot send files)")
    media = await services.uploads.store_for_customer(cid, data, name)
    # Checked again at the instant of writing: a chat transferred meanwhile refuses it.
    sent, repeated = await services.conversations.append_once(cid, "agent", media["line"], client_message_id, channel=conv.channel, author=me.display_name,
                                                              meta={"agent": me.username, "kind": "attachment", "media": media},
                                                              guard=Guard(frozenset({"assigned"}), agent=me.username))
    if sent is None:
        raise NotOwner("you no longer own this conversation")
    if not repeated:
        await services.desk.replied(cid, me)  # the first response clock stops, as for a typed reply
    return sent


@router.get("/conversations/{cid}/messages/{mid}/attachment", response_class=StreamingResponse,
            summary="Open what the customer sent on this line (a photo inline, any other file as a download)",
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/gif": {}, "image/webp": {}, "application/octet-stream": {}}},
                       403: _ERROR, 404: _ERROR, 502: {"description": "the channel refused, failed, or the file is larger than the console opens"}})
async def attachment(cid: ConversationId, mid: MessagePathId, me: ChatStaff, services: Svc) -> StreamingResponse:
    conv = await services.conversations.require(cid)
    if not await may_read(services, me, conv):
        raise NotAllowed("this conversation is not yours (agents see the queue and their own chats)")
    message = await services.conversations.message(cid, mid)
    media = (message.meta.get("media") or {}) if message is not None else {}
    if message is None or message.meta.get("kind") != "attachment" or not (message.sender == "customer" or (message.sender == "agent" and media.get("upload_id"))):
        raise NotAnAttachment("no attachment on this line")
    if media.get("upload_id"):  # a picture the web-chat customer attached, or what an agent sent, kept with the conversation (bot/uploads.py)
        data, kind = await services.uploads.open(cid, str(media["upload_id"]))
        inline = kind.startswith("image/")
        filename = str(media.get("name") or "") if not inline else f"image_{mid.replace('-', '_')}.{kind.split('/')[1].replace('jpeg', 'jpg')}"
        picture = Download(kind if inline else "application/octet-stream", inline, filename or "document.pdf", len(data), _once(data))
        return StreamingResponse(picture.chunks, media_type=picture.media_type, headers=picture.headers())
    download = await services.attachments.open(message.channel, media, mid)
    return StreamingResponse(download.chunks, media_type=download.media_type, headers=download.headers())


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
