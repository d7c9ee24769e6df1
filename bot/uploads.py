"""Pictures a web-chat customer attaches (the broken item, the wrong parcel): kept with the conversation for the agent.

A picture is taken only if its first bytes say JPEG, PNG, WebP or GIF (``bot/channels/media.py:sniff``; what the
browser claims is not trusted) and it is at most ``Settings.web_image_max_bytes``, and at most ``MAX_PIXELS`` as its
header declares (``pixels``; nothing here decodes it): a few hundred KB of PNG can declare 20000 x 20000 pixels, which
the console shows as a thumbnail, and ten of them (within a chat's picture limit) left the agent's console unable to
draw a frame for over a minute, each decoded to 1.6 GB. A phone's 48-megapixel photo is well within it. It is stored in the conversation's
own hash (``Keys.uploads``, base64: the hub's Redis clients speak text), so it lives exactly as long as the
transcript: the retention sweep and a customer's erasure delete every key named after the conversation
(``Keys.of_conversation``, ``privacy/erase.py``), this one with them; and the hash expires on its own after
``Settings.retention_days`` since the last picture, should the conversation outlive it in no other way.

A picture is kept only while its conversation exists, checked in the same step as it is written (``KEEP``): an
upload whose body was still arriving when the conversation was erased found no conversation, and its picture was
kept under the erased conversation's name for ``retention_days``, where nothing would ever delete it early.

The transcript gets an attachment line like a channel's photo (``ChannelGateway.attachment``): ``meta.media`` names
the upload (``upload_id``), and the agent opens it through the same endpoint (``hub/routes/attachments.py``).

What an agent sends the customer (``store_for_customer``: a return label as a PDF, a size chart, a screenshot) is kept
the same way, in the same hash: a picture, or a PDF (``%PDF-`` first), at most ``Settings.agent_attachment_max_bytes``.
The web chat shows it from there; the outbox sends it to a messaging channel from there (``bot/outbox.py``).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

import redis.asyncio as aioredis

from bot.channels.media import MAX_PIXELS, pixels, safe_filename, sniff
from core.errors import Invalid, NotFound, UnknownConversation
from core.redis import Keys

class NotAnImage(Invalid):
    pass


class ImageTooLarge(Invalid):
    pass


class ImageTooManyPixels(Invalid):
    pass


class UploadGone(NotFound):
    pass


class NotAPictureOrPdf(Invalid):
    pass


class FileTooLarge(Invalid):
    pass


PDF = "application/pdf"

# KEYS: the conversation, its uploads; ARGV: upload id, the bytes (base64), id + ":type", the type, seconds to keep.
# 0 if the conversation is gone (erased meanwhile): nothing is written.
KEEP = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
redis.call('expire', KEYS[2], ARGV[5])
return 1
"""


def sniff_sendable(head: bytes) -> str | None:
    """What an agent may send a customer, read from the first bytes: a picture's type, ``application/pdf``, or ``None``."""
    return sniff(head) or (PDF if head.startswith(b"%PDF-") else None)


def _checked(data: bytes, limit: int, kind_of: Callable[[bytes], str | None], too_large: Invalid, wrong_kind: Invalid) -> str:
    """``data``'s type by its first bytes, if it is within ``limit`` and of a kind ``kind_of`` names, and a picture
    within ``MAX_PIXELS``; else the refusal."""
    if len(data) > limit:
        raise too_large
    kind = kind_of(data[:16])
    if kind is None:
        raise wrong_kind
    if (count := pixels(data, kind)) is not None and count > MAX_PIXELS:
        raise ImageTooManyPixels(f"the picture declares {count} pixels; the limit is {MAX_PIXELS} (8000 x 8000)")
    return kind


class Uploads:
    def __init__(self, client: aioredis.Redis, keys: Keys, *, max_bytes: int, keep_seconds: int, agent_max_bytes: int = 10 * 1024 * 1024) -> None:
        self.r = client
        self.k = keys
        self.max_bytes = max_bytes
        self.agent_max_bytes = agent_max_bytes
        self.keep_seconds = keep_seconds
        self._keep_script = client.register_script(KEEP)

    def check(self, data: bytes) -> str:
        """The picture's type; ``NotAnImage``, ``ImageTooLarge`` or ``ImageTooManyPixels`` if it cannot be taken."""
        return _checked(data, self.max_bytes, sniff, ImageTooLarge(f"the picture is {len(data)} bytes; the limit is {self.max_bytes}"),
                        NotAnImage("only JPEG, PNG, WebP and GIF pictures can be attached"))

    async def store(self, cid: str, data: bytes) -> dict:
        """Keep the picture; the ``media`` of its transcript line."""
        kind = self.check(data)
        upload_id = await self._keep(cid, data, kind)
        return {"type": "image", "upload_id": upload_id, "content_type": kind, "size": len(data), "line": "[image]"}

    def check_for_customer(self, data: bytes) -> str:
        """The type of what an agent sends; ``NotAPictureOrPdf``, ``FileTooLarge`` or (a picture) ``ImageTooManyPixels`` if it
        cannot be sent."""
        return _checked(data, self.agent_max_bytes, sniff_sendable, FileTooLarge(f"the file is {len(data)} bytes; the limit is {self.agent_max_bytes}"),
                        NotAPictureOrPdf("only JPEG, PNG, WebP and GIF pictures and PDF files can be sent"))

    async def store_for_customer(self, cid: str, data: bytes, name: str) -> dict:
        """Keep what an agent sends the customer; the ``media`` of the agent's transcript line (``type`` image or file)."""
        kind = self.check_for_customer(data)
        upload_id = await self._keep(cid, data, kind)
        if kind == PDF:
            name = safe_filename(name, "document.pdf")
            if not name.lower().endswith(".pdf"):
                name += ".pdf"
            return {"type": "file", "upload_id": upload_id, "content_type": kind, "size": len(data), "name": name, "line": f"[file] {name}"}
        return {"type": "image", "upload_id": upload_id, "content_type": kind, "size": len(data), "name": safe_filename(name, "image"), "line": "[image]"}

    async def _keep(self, cid: str, data: bytes, kind: str) -> str:
        upload_id = secrets.token_urlsafe(18)
        kept = await self._keep_script(keys=[self.k.conv(cid), self.k.uploads(cid)],
                                       args=[upload_id, base64.b64encode(data).decode(), f"{upload_id}:type", kind, int(self.keep_seconds)])
        if not kept:
            raise UnknownConversation("this conversation no longer exists (it was erased)")
        return upload_id

    async def open(self, cid: str, upload_id: str) -> tuple[bytes, str]:
        """The picture and its type; ``UploadGone`` if it is not kept (any more)."""
        data, kind = await self.r.hmget(self.k.uploads(cid), [upload_id, f"{upload_id}:type"])
        if not data or not kind:
            raise UploadGone("this picture is no longer kept")
        return base64.b64decode(data), kind
