"""What a customer sent beside their words (a photo of the broken item, a file, a voice message), opened from the console.

``GET /api/agent/conversations/{cid}/messages/{mid}/attachment``: the transcript line ``mid`` names the attachment
(its ``meta.media``: a channel's reference, or a picture the web-chat customer attached), so an agent can open only what was sent in a conversation they may read, under the same rule as
reading it (``hub.deps.may_read``), never an id of their own choosing. The bytes stream from the platform
(``bot/channels/media.py``): an image inline, anything else as a download, ``nosniff`` either way. Refusals carry a
``code`` the console words in the agent's language: 404 ``not_an_attachment`` / ``attachment_gone``, 403
``not_allowed``, 502 ``channel_refused`` / ``channel_unreachable`` / ``attachment_too_large``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from bot.channels.media import Download, NotAnAttachment
from core.errors import NotAllowed
from hub.deps import ChatStaff, ConversationId, MessagePathId, Svc, may_read

router = APIRouter(prefix="/api/agent", tags=["agent"])

_ERROR = {"description": "JSON with ``detail`` and ``code``"}


@router.get("/conversations/{cid}/messages/{mid}/attachment", response_class=StreamingResponse,
            summary="Open what the customer sent on this line (a photo inline, any other file as a download)",
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/gif": {}, "image/webp": {}, "application/octet-stream": {}}},
                       403: _ERROR, 404: _ERROR, 502: {"description": "the channel refused, failed, or the file is larger than the console opens"}})
async def attachment(cid: ConversationId, mid: MessagePathId, me: ChatStaff, services: Svc) -> StreamingResponse:
    conv = await services.conversations.require(cid)
    if not await may_read(services, me, conv):
        raise NotAllowed("this conversation is not yours (agents see the queue and their own chats)")
    message = await services.conversations.message(cid, mid)
    if message is None or message.sender != "customer" or message.meta.get("kind") != "attachment":
        raise NotAnAttachment("no attachment on this line")
    media = message.meta.get("media") or {}
    if media.get("upload_id"):  # a picture the web-chat customer attached, kept with the conversation (bot/uploads.py)
        data, kind = await services.uploads.open(cid, str(media["upload_id"]))
        picture = Download(kind, True, f"image_{mid.replace('-', '_')}.{kind.split('/')[1].replace('jpeg', 'jpg')}", len(data), _once(data))
        return StreamingResponse(picture.chunks, media_type=picture.media_type, headers=picture.headers())
    download = await services.attachments.open(message.channel, media, mid)
    return StreamingResponse(download.chunks, media_type=download.media_type, headers=download.headers())


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
