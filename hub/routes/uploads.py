"""A picture the web-chat customer attaches (``bot/web/composer.js``): kept with the conversation (``bot/uploads.py``)
and put in the transcript as an attachment line, with what follows it on any channel (``ChannelGateway.attachment``:
the agents' consoles are told, or the customer hears that an agent can look at it, one tap away). Sent from the page where the customer reads the
transcript, it brings replies back there from a messaging channel they wrote from before, as a typed line does.

The body is the picture itself (``Content-Type: image/jpeg``, ``image/png``, ``image/webp`` or ``image/gif``), at most
``Settings.web_image_max_bytes`` (a larger body is a 413 before it is read, ``hub/middleware/body_limit.py``); what
it is, is read from its first bytes: anything else is a 422 ``not_an_image``; one whose header declares more than
8000 x 8000 pixels (``bot/channels/media.py:MAX_PIXELS``) a 422 ``image_too_many_pixels``. Counted as a message against the chat's
message limits, and against ``images_per_conversation`` (``hub/middleware/rate_limit.py``).

``GET /api/conversations/{cid}/messages/{mid}/picture``: the customer's own view of a picture they attached (their chat
shows it again after a reload), authorised by their conversation's token exactly like their transcript (``hub.deps.Conv``:
another conversation's token is a 403). Only a line of theirs naming a picture kept with the conversation is served,
never an id of their own choosing (404 ``not_an_attachment`` / ``upload_gone``); its type is read from its bytes
again, ``nosniff``, and it is cached only privately (it is personal data). A picture an agent sent the customer
(``hub/routes/attachments.py``) is served the same way, from the agent's line.

``GET /api/conversations/{cid}/messages/{mid}/file``: its sibling for a PDF an agent sent (a return label): the same
authorisation, only an agent's attachment line naming a kept PDF (else 404), always as a download
(``Content-Disposition: attachment``, under the name the agent gave it), ``nosniff``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from bot.channels.media import NotAnAttachment, content_disposition_name, sniff
from bot.uploads import PDF
from core.errors import UnknownConversation
from handoff.models import Message
from hub.deps import Conv, MessagePathId, Svc
from hub.services import Services

router = APIRouter(prefix="/api/conversations", tags=["customer"])

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
UPLOAD_PATH = r"^/api/conversations/[0-9a-f]{32}/attachments$"  # the body limit for pictures (hub/app.py)


# Personal data: cached by the customer's browser only, and only for the token that asked.
_PERSONAL = {"Cache-Control": "private, max-age=3600", "Vary": "Authorization"}


@router.post("/{cid}/attachments", response_model=Message, status_code=201, summary="Attach a picture (JPEG, PNG, WebP or GIF): the body is the picture",
             openapi_extra={"requestBody": {"required": True, "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in IMAGE_TYPES}}},
             responses={413: {"description": "larger than the limit (GET /api/conversations/limits)"},
                        422: {"description": "not a JPEG, PNG, WebP or GIF picture (code not_an_image), or more than 8000 x 8000 pixels (image_too_many_pixels)"}})
async def attach(conv: Conv, request: Request, services: Svc,
                 client_message_id: Annotated[str | None, Query(max_length=100, description="idempotency key: sending the same picture again with it stores it once")] = None) -> Message:
    if client_message_id and (before := await services.conversations.by_client_id(conv.id, "customer", client_message_id)):
        return before
    media = await services.uploads.store(conv.id, await request.body())
    message, _ = await services.gateway.attachment(conv, "web", media, client_message_id=client_message_id, reads_transcript=True)
    if message is None:  # erased while the picture was on its way (erasure deleted the picture with it)
        raise UnknownConversation()
    return message


@router.get("/{cid}/messages/{mid}/picture", response_class=Response, summary="A picture the customer attached on this line, for their own chat",
            responses={200: {"content": {kind: {} for kind in IMAGE_TYPES}},
                       403: {"description": "the token is not this conversation's"},
                       404: {"description": "no picture of the customer's on this line (code not_an_attachment), or no longer kept (upload_gone)"}})
async def picture(conv: Conv, mid: MessagePathId, services: Svc) -> Response:
    data, _ = await _kept(services, conv.id, mid, ("customer", "agent"))
    kind = sniff(data[:16])
    if kind is None:  # stored only after the same check (bot/uploads.py): never served as anything else
        raise NotAnAttachment("no picture of yours on this line")
    # X-Content-Type-Options: nosniff is on every answer of the hub (hub/middleware/security_headers.py)
    return Response(data, media_type=kind, headers={"Content-Disposition": "inline", **_PERSONAL})


@router.get("/{cid}/messages/{mid}/file", response_class=Response, summary="A PDF the agent sent on this line, as a download",
            responses={200: {"content": {PDF: {}}},
                       403: {"description": "the token is not this conversation's"},
                       404: {"description": "no file of the agent's on this line (code not_an_attachment), or no longer kept (upload_gone)"}})
async def file(conv: Conv, mid: MessagePathId, services: Svc) -> Response:
    data, media = await _kept(services, conv.id, mid, ("agent",))
    if not data.startswith(b"%PDF-"):
        raise NotAnAttachment("no file on this line")
    name = str(media.get("name") or "document.pdf")
    return Response(data, media_type=PDF, headers={"Content-Disposition": f"attachment; {content_disposition_name(name)}", **_PERSONAL})


async def _kept(services: Services, cid: str, mid: str, senders: tuple[str, ...]) -> tuple[bytes, dict]:
    """What the attachment line ``mid`` of one of ``senders`` names, kept with the conversation: never an id of the caller's choosing."""
    message = await services.conversations.message(cid, mid)
    media = (message.meta.get("media") or {}) if message is not None else {}
    if message is None or message.sender not in senders or message.meta.get("kind") != "attachment" or not media.get("upload_id"):
        raise NotAnAttachment("no attachment on this line")
    data, _ = await services.uploads.open(cid, str(media["upload_id"]))
    return data, media
