"""A picture the web-chat customer attaches (``bot/web/composer.js``): kept with the conversation (``bot/uploads.py``)
and put in the transcript as an attachment line, with what follows it on any channel (``ChannelGateway.attachment``:
the agents' consoles are told, or the customer hears that an agent can look at it, one tap away). Sent from the page where the customer reads the
transcript, it brings replies back there from a messaging channel they wrote from before, as a typed line does.

The body is the picture itself (``Content-Type: image/jpeg``, ``image/png``, ``image/webp`` or ``image/gif``), at most
``Settings.web_image_max_bytes`` (a larger body is a 413 before it is read, ``hub/middleware/body_limit.py``); what
it is, is read from its first bytes: anything else is a 422 ``not_an_image``. Counted as a message against the chat's
message limits, and against ``images_per_conversation`` (``hub/middleware/rate_limit.py``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from handoff.models import Message
from hub.deps import Conv, Svc

router = APIRouter(prefix="/api/conversations", tags=["customer"])

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
UPLOAD_PATH = r"^/api/conversations/[0-9a-f]{32}/attachments$"  # the body limit for pictures (hub/app.py)


@router.post("/{cid}/attachments", response_model=Message, status_code=201, summary="Attach a picture (JPEG, PNG, WebP or GIF): the body is the picture",
             openapi_extra={"requestBody": {"required": True, "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in IMAGE_TYPES}}},
             responses={413: {"description": "larger than the limit (GET /api/conversations/limits)"},
                        422: {"description": "not a JPEG, PNG, WebP or GIF picture (code not_an_image)"}})
async def attach(conv: Conv, request: Request, services: Svc,
                 client_message_id: Annotated[str | None, Query(max_length=100, description="idempotency key: sending the same picture again with it stores it once")] = None) -> Message:
    if client_message_id and (before := await services.conversations.by_client_id(conv.id, "customer", client_message_id)):
        return before
    media = await services.uploads.store(conv.id, await request.body())
    message, _ = await services.gateway.attachment(conv, "web", media, client_message_id=client_message_id, reads_transcript=True)
    return message
