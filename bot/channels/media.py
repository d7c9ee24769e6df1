"""What a customer sent on a messaging channel (a photo of the broken item, a voice message, a file), fetched from
the platform for the agent who reads the chat.

The transcript keeps only the platform's reference (``Inbound.media``: a Telegram ``file_id``, a WeChat ``MediaId``
or picture address); ``Attachments.open`` turns it into the bytes, through the adapter's own API base and credentials:

- Telegram: ``getFile`` (the adapter's ``Bot``), then the file from ``<api base>/file/bot<token>/<file_path>``
  (Telegram serves files up to 20 MB to bots).
- WeChat: ``/cgi-bin/media/get`` with the account's access_token (renewed once if WeChat says it is stale; WeChat
  keeps a customer's media three days), or, for a picture without a MediaId, its ``PicUrl``, only from WeChat's own
  picture servers (``*.qpic.cn``, ``*.qlogo.cn``) or the configured API base (``wechat_picture_address``): a
  plaintext-mode push is signed over its timestamp and nonce only, not its body, so a forged one could otherwise
  have the hub fetch an address on its own network (a cloud metadata service, an admin port) into the console and
  into the customer's data export. Never through a redirect. A link's ``Url`` is never fetched: the customer chose it.

Nothing the platform says is trusted for how the browser treats the bytes: an image is served inline only when its
first bytes are a JPEG, PNG, GIF or WebP, with that type, and its header declares at most ``MAX_PIXELS`` (the console
shows every picture as a thumbnail: a few hundred KB can declare 20000 x 20000, 1.6 GB to decode); anything else is
``application/octet-stream``, to download.
Errors, for the hub to map (``core/errors.py``)::

    NotFound
     ├── NotAnAttachment     the line carries nothing to fetch (a place, a contact: the line says it all)
     └── AttachmentGone      the platform no longer has it (expired, or an id it never gave)
    Upstream (502)
     ├── ChannelRefused      the platform refused (the token, the account), or this hub has no such channel
     ├── ChannelUnreachable  the platform did not answer, or answered 5xx
     └── AttachmentTooLarge  bigger than ``Settings.attachment_max_bytes``

Errors never carry a URL (Telegram's has the bot token in it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
from telegram.error import BadRequest, InvalidToken, TelegramError

from bot.channels.base import Channel, DeliveryError
from bot.channels.telegram import TelegramChannel
from bot.channels.wechat import STALE_TOKEN, WeChatChannel
from core.errors import NotFound, Upstream

log = logging.getLogger(__name__)

# first bytes -> the image type a browser may show inline (no SVG: it can carry script)
IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
SNIFF_BYTES = 16
HEADER_BYTES = 128 * 1024  # where a picture's declared size is (a JPEG's frame header follows its EXIF, at most 64 KB)
MAX_PIXELS = 64_000_000  # 8000 x 8000; a 50-megapixel phone photo (8160 x 6144) is 50.1 million
WECHAT_PICTURE_HOSTS = ("qpic.cn", "qlogo.cn")  # where WeChat's PicUrl points (mmbiz.qpic.cn ...)
WECHAT_GONE = {40007}  # invalid media_id: expired (three days) or never this account's
DOWNLOAD = "application/octet-stream"


class NotAnAttachment(NotFound):
    pass


class AttachmentGone(NotFound):
    pass


class ChannelRefused(Upstream):
    pass


class ChannelUnreachable(Upstream):
    pass


class AttachmentTooLarge(Upstream):
    pass


@dataclass
class Download:
    """An attachment on its way: its headers are known, its bytes stream from the platform (``chunks``, once)."""

    media_type: str
    inline: bool  # an image the browser may show; else a file to save
    filename: str
    size: int | None
    chunks: AsyncIterator[bytes] | None = None
    cut_off: bool = False  # set once streamed: it went past the cap, so what came is not the whole file

    def headers(self) -> dict[str, str]:
        disposition = "inline" if self.inline else "attachment"
        # X-Content-Type-Options: nosniff is on every answer of the hub (hub/middleware/security_headers.py)
        headers = {"Content-Disposition": f"{disposition}; {content_disposition_name(self.filename)}", "Cache-Control": "private, max-age=300"}
        if self.size is not None:
            headers["Content-Length"] = str(self.size)
        return headers


def openable(media: dict) -> bool:
    """Whether a transcript line's ``media`` names something a platform can hand over."""
    return bool(media.get("file_id") or media.get("media_id") or (media.get("type") == "image" and media.get("url")))


def sniff(head: bytes) -> str | None:
    """The image type of these first bytes, if a browser may show it inline."""
    for signature, media_type in IMAGE_SIGNATURES:
        if head.startswith(signature):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def wechat_picture_address(url: str, api_base: str) -> bool:
    """Whether ``url`` is a picture address WeChat gives (``PicUrl``): http(s) on WeChat's picture servers, or on the
    configured API base itself (a stand-in, a proxy in front of WeChat); never anything else the hub can reach.
    Read by the parser that fetches it (httpx), so the two cannot disagree on the host."""
    try:
        parts, base = httpx.URL(url), httpx.URL(api_base)
    except (httpx.InvalidURL, TypeError, ValueError):
        return False
    host = parts.host.lower()
    if parts.scheme not in ("http", "https") or not host or parts.userinfo:
        return False
    if (parts.scheme, host, parts.port) == (base.scheme, base.host.lower(), base.port):
        return True
    named = re.fullmatch(r"[a-z0-9.-]+", host) is not None
    return named and parts.port is None and any(host == domain or host.endswith(f".{domain}") for domain in WECHAT_PICTURE_HOSTS)


def pixels(data: bytes, kind: str, *, whole: bool = True) -> int | None:
    """How many pixels the picture's header says a browser will decode (width x height; a GIF: its largest frame's
    extent too), read without decoding; ``None`` where the header cannot be read (a browser cannot show it either),
    or, for the first bytes of a file (``whole=False``), is not in them yet."""
    try:
        if kind == "image/png":  # IHDR: always the first chunk
            return int.from_bytes(data[16:20], "big") * int.from_bytes(data[20:24], "big") if len(data) >= 24 and data[12:16] == b"IHDR" else None
        if kind == "image/gif":
            return _gif_pixels(data, whole)
        if kind == "image/webp":
            return _webp_pixels(data) if len(data) >= 30 else None
        if kind == "image/jpeg":
            return _jpeg_pixels(data)
    except (IndexError, ValueError):
        return None
    return None


def _jpeg_pixels(data: bytes) -> int | None:
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame: the picture's size
            return int.from_bytes(data[i + 5:i + 7], "big") * int.from_bytes(data[i + 7:i + 9], "big")
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return None


def _webp_pixels(data: bytes) -> int | None:
    chunk = data[12:16]
    if chunk == b"VP8X":  # the canvas: 24-bit width - 1, height - 1
        return (int.from_bytes(data[24:27], "little") + 1) * (int.from_bytes(data[27:30], "little") + 1)
    if chunk == b"VP8 ":  # a key frame: 14-bit width and height after the start code
        return (int.from_bytes(data[26:28], "little") & 0x3FFF) * (int.from_bytes(data[28:30], "little") & 0x3FFF)
    if chunk == b"VP8L":  # 14-bit width - 1, height - 1 after the signature byte
        bits = int.from_bytes(data[21:25], "little")
        return ((bits & 0x3FFF) + 1) * (((bits >> 14) & 0x3FFF) + 1)
    return None


def _gif_pixels(data: bytes, whole: bool) -> int | None:
    """The logical screen, grown to every frame's extent (a browser makes room for a frame larger than the screen);
    of the first bytes only (not ``whole``), ``None`` until the trailer is among them or it is already too large."""
    if len(data) < 13:
        return None
    width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    i = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    while i < len(data):
        block = data[i]
        if block == 0x3B:  # trailer
            return width * height
        if block == 0x21:  # extension: label, then sub-blocks
            i += 2
        elif block == 0x2C:  # image descriptor: left, top, width, height, packed; a local colour table; LZW code size
            left, top = int.from_bytes(data[i + 1:i + 3], "little"), int.from_bytes(data[i + 3:i + 5], "little")
            w, h = int.from_bytes(data[i + 5:i + 7], "little"), int.from_bytes(data[i + 7:i + 9], "little")
            width, height = max(width, left + w), max(height, top + h)
            packed = data[i + 9]
            i += 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0) + 1
        else:
            break
        while i < len(data) and data[i]:  # sub-blocks, up to the empty one
            i += data[i] + 1
        i += 1
    return width * height if whole or width * height > MAX_PIXELS else None  # enough to know it is too large


def safe_filename(name: str, fallback: str) -> str:
    """A file name for the download: no path, no control characters, at most 100 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"').strip(" .")
    return name[:100] or fallback


def content_disposition_name(filename: str) -> str:
    """``filename=`` in ASCII for old clients, ``filename*=`` (RFC 6266) for the real name (Chinese included)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "attachment"
    return f"filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Attachments:
    """Fetches attachments from the channels this hub has; one HTTP client for the downloads."""

    def __init__(self, channels: dict[str, Channel], *, max_bytes: int, timeout: float = 30.0) -> None:
        self.channels = channels
        self.max_bytes = max_bytes
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False)

    async def open(self, channel_name: str, media: dict, message_id: str = "") -> Download:
        """The attachment ``media`` (a transcript line's ``meta.media``) as it streams from ``channel_name``."""
        if not openable(media):
            raise NotAnAttachment("this line carries nothing to open (what it says is all there is)")
        channel = self.channels.get(channel_name)
        fallback = f"{media.get('type') or 'attachment'}-{message_id or 'file'}".replace("-", "_")
        if isinstance(channel, TelegramChannel):
            return await self._telegram(channel, media, fallback)
        if isinstance(channel, WeChatChannel):
            return await self._wechat(channel, media, fallback)
        raise ChannelRefused(f"the {channel_name} channel is not configured on this hub: its attachments cannot be fetched")

    async def _telegram(self, channel: TelegramChannel, media: dict, fallback: str) -> Download:
        file_id = str(media.get("file_id") or "")
        if not file_id:
            raise NotAnAttachment("this line carries nothing to open")
        try:
            file = await channel.bot.get_file(file_id)
        except BadRequest as exc:  # "file is too big", "wrong file_id or the file is temporarily unavailable"
            if "too big" in exc.message.lower():
                raise AttachmentTooLarge("Telegram gives bots files up to 20 MB: this one is larger") from None
            raise AttachmentGone(f"Telegram no longer has this file ({exc.message})") from None
        except InvalidToken:
            raise ChannelRefused("Telegram refused the bot token (check CS_TELEGRAM_BOT_TOKEN)") from None
        except TelegramError as exc:
            raise ChannelUnreachable(f"Telegram did not hand the file over ({type(exc).__name__})") from None
        if file.file_size and file.file_size > self.max_bytes:
            raise AttachmentTooLarge(f"the file is {file.file_size} bytes, more than the {self.max_bytes} the console opens")
        if not file.file_path:
            raise AttachmentGone("Telegram gave no path for this file")
        name = str(media.get("file_name") or "") or urlsplit(file.file_path).path.rsplit("/", 1)[-1]
        resp = await self._get("Telegram", file.file_path)
        if resp.status_code != 200:
            await resp.aclose()
            if resp.status_code in (400, 404):
                raise AttachmentGone(f"Telegram no longer has this file (HTTP {resp.status_code})")
            raise ChannelUnreachable(f"Telegram answered HTTP {resp.status_code} for the file")
        return await self._download(resp, safe_filename(name, fallback))

    async def _wechat(self, channel: WeChatChannel, media: dict, fallback: str) -> Download:
        media_id = str(media.get("media_id") or "")
        if not media_id:  # a picture WeChat gave only an address for
            url = str(media.get("url") or "")
            if media.get("type") != "image" or not wechat_picture_address(url, channel.api_base):
                raise NotAnAttachment("this line carries nothing to open (the picture's address is not WeChat's)")
            resp = await self._get("WeChat", url)
            if resp.status_code != 200:
                await resp.aclose()
                raise AttachmentGone(f"WeChat no longer has this picture (HTTP {resp.status_code})")
            return await self._download(resp, fallback)
        stale = None
        for renewed in (False, True):
            try:
                token = await channel.access_token(stale=stale)
            except DeliveryError as exc:
                raise ChannelRefused(f"WeChat gave no access_token: {exc.reason}") from None
            resp = await self._get("WeChat", f"{channel.api_base}/cgi-bin/media/get", params={"access_token": token, "media_id": media_id})
            if resp.status_code != 200:
                await resp.aclose()
                raise ChannelUnreachable(f"WeChat answered HTTP {resp.status_code}")
            if not _is_json(resp):
                name = _disposition_name(resp.headers.get("content-disposition", ""))
                return await self._download(resp, safe_filename(name, fallback))
            answer = await _small_json(resp)
            if answer.get("video_url"):  # a video: WeChat answers with where to fetch it
                video = await self._get("WeChat", str(answer["video_url"]))
                if video.status_code != 200:
                    await video.aclose()
                    raise AttachmentGone(f"WeChat no longer has this video (HTTP {video.status_code})")
                return await self._download(video, fallback)
            errcode = int(answer.get("errcode") or 0)
            if errcode in STALE_TOKEN and not renewed:
                stale = token
                continue
            if errcode in WECHAT_GONE:
                raise AttachmentGone(f"WeChat no longer has this file (it keeps a customer's media three days): errcode {errcode}")
            raise ChannelRefused(f"WeChat refused the file: errcode {errcode} {str(answer.get('errmsg') or '')[:100]}".strip())
        raise ChannelRefused("WeChat kept refusing the access_token")

    async def _get(self, platform: str, url: str, **kwargs) -> httpx.Response:
        try:
            return await self._http.send(self._http.build_request("GET", url, **kwargs), stream=True)
        except httpx.HTTPError as exc:
            raise ChannelUnreachable(f"{platform} could not be reached ({type(exc).__name__})") from None

    async def _download(self, resp: httpx.Response, filename: str) -> Download:
        """The response's bytes as a ``Download``: its size checked first, its first bytes read to tell an image."""
        encoded = resp.headers.get("content-encoding", "identity") != "identity"
        size = None if encoded else _int(resp.headers.get("content-length"))  # decoded here, so only a plain length holds
        if size is not None and size > self.max_bytes:
            await resp.aclose()
            raise AttachmentTooLarge(f"the file is {size} bytes, more than the {self.max_bytes} the console opens")
        body = resp.aiter_bytes()
        head = b""
        try:
            while len(head) < SNIFF_BYTES and (chunk := await anext(body, None)) is not None:
                head += chunk
            image = sniff(head)
            # A picture's declared size: one larger than a browser should draw is a download, never a thumbnail.
            while image and pixels(head, image, whole=False) is None and len(head) < HEADER_BYTES and (chunk := await anext(body, None)) is not None:
                head += chunk
        except httpx.HTTPError as exc:
            await resp.aclose()
            raise ChannelUnreachable(f"the download broke off ({type(exc).__name__})") from None
        if len(head) > self.max_bytes:
            await resp.aclose()
            raise AttachmentTooLarge(f"the file is more than the {self.max_bytes} bytes the console opens")
        if image and (count := pixels(head, image, whole=False)) is not None and count > MAX_PIXELS:
            log.info("a picture declaring %d pixels is served as a download", count)
            image = None
        if image and "." not in filename:
            filename = f"{filename}.{image.split('/')[1].replace('jpeg', 'jpg')}"
        download = Download(image or DOWNLOAD, image is not None, filename, size)
        download.chunks = self._rest(resp, head, body, download)
        return download

    async def read(self, channel_name: str, media: dict, message_id: str = "", *, max_bytes: int | None = None) -> tuple[Download, bytes]:
        """The whole attachment in memory (a data-subject export holds it), at most ``max_bytes`` (this instance's cap
        if smaller): one larger is ``AttachmentTooLarge``, never a part of it."""
        cap = min(self.max_bytes, max_bytes) if max_bytes is not None else self.max_bytes
        download = await self.open(channel_name, media, message_id)
        if download.size is not None and download.size > cap:
            await download.chunks.aclose()
            raise AttachmentTooLarge(f"the file is {download.size} bytes, more than the {cap} allowed here")
        data = bytearray()
        try:
            async for chunk in download.chunks:
                data += chunk
                if len(data) > cap:
                    raise AttachmentTooLarge(f"the file is more than the {cap} bytes allowed here")
        except httpx.HTTPError as exc:
            raise ChannelUnreachable(f"the download broke off ({type(exc).__name__})") from None
        finally:
            await download.chunks.aclose()
        if download.cut_off:
            raise AttachmentTooLarge(f"the file is more than the {self.max_bytes} bytes allowed here")
        return download, bytes(data)

    async def _rest(self, resp: httpx.Response, head: bytes, body: AsyncIterator[bytes], download: Download) -> AsyncIterator[bytes]:
        sent = len(head)
        try:
            if head:
                yield head
            async for chunk in body:
                sent += len(chunk)
                if sent > self.max_bytes:  # more than the platform announced: cut off, never past the cap
                    log.warning("an attachment went past %d bytes while streaming: cut off", self.max_bytes)
                    download.cut_off = True
                    return
                yield chunk
        finally:
            with contextlib.suppress(Exception):
                await resp.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()


def _is_json(resp: httpx.Response) -> bool:
    kind = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("application/json", "text/plain", "text/json")


async def _small_json(resp: httpx.Response) -> dict:
    try:
        raw = b""
        async for chunk in resp.aiter_bytes():
            raw += chunk
            if len(raw) > 64 * 1024:
                break
    finally:
        await resp.aclose()
    try:
        data = json.loads(raw)
    except ValueError:
        raise ChannelRefused("WeChat answered neither a file nor JSON") from None
    return data if isinstance(data, dict) else {}


def _disposition_name(header: str) -> str:
    m = re.search(r'filename="?([^";]+)"?', header)
    return m.group(1) if m else ""


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
