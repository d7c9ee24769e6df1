"""WeChat Official Account (公众号) "message push": signed XML in, passive replies and customer-service messages out.

wechatpy does the protocol: the URL signature (``check_signature``), safe mode's
AES (``WeChatCrypto``, which also checks ``msg_signature`` and the AppID),
parsing the XML (``parse_message``) and rendering replies (``TextReply``).

WeChat waits 5 seconds for the answer to a push and then retries it (up to
three times, the same ``MsgId``). ``hub/routes/channels.py`` answers
passively (in the HTTP response) when the bot is done in time, else ``success``
at once; the answer then goes out through the customer-service message API
(``deliver``), which WeChat allows for 48 hours after the customer last wrote.

The ``access_token`` those calls need is fetched with the AppSecret, kept in
Redis for every worker, renewed before it expires by one worker at a time (a
new token makes the old one stale, so two workers renewing at once would
invalidate each other's), and renewed at once when WeChat says it is stale.
wechatpy's own client is synchronous (requests) and keeps its token per process
without that single-flight renewal, so the two API calls are made here with httpx.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from urllib.parse import unquote

import httpx
import redis.asyncio as aioredis
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.messages import TextMessage
from wechatpy.events import ClickEvent, SubscribeEvent, SubscribeScanEvent, UnsubscribeEvent
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.channels.base import Channel, DeliveryError, Inbound, Outbound, OutboundFile
from core.redis import Keys
from handoff.models import HUMAN_PAYLOAD

WEBHOOK_PATH = "/api/channels/wechat"
GREET_PAYLOAD = "/greet"
# Custom-menu keys every account has (whatever ``Settings.wechat_menu`` says): a person. A key starting with "/" is an intent.
HUMAN_KEYS = ("human", "agent", HUMAN_PAYLOAD)
REPLY_LIMIT_BYTES = 2000  # a passive text reply (WeChat allows 2048 bytes); longer answers go through the API
CUSTOM_TEXT_LIMIT_BYTES = 2000
# errcodes (https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html)
# What a customer-service message can carry of an agent's files: a picture (WeChat takes PNG, JPEG and GIF as
# temporary media). An official account cannot send a file (a PDF) or a WebP picture: the console refuses them.
WECHAT_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")
STALE_TOKEN = {40001, 40014, 42001}  # invalid / expired access_token: renew it and send again
BUSY = {-1}  # system busy: try again shortly
QUOTA = {45009}  # the daily API quota is used up: try again much later
REFUSED = {
    45015: "outside WeChat's 48-hour reply window: the customer must write again first",
    45047: "WeChat allows no more messages until the customer writes again",
    43004: "the customer no longer follows the account",
    40003: "not a follower of this account (invalid openid)",
    48001: "the account is not allowed to send customer-service messages",
}


# The fields of a push that are read (each must be one plain value).
READ_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Content", "Event", "EventKey", "bizmsgmenuid",
               "MediaId", "PicUrl", "Url", "Format", "Title", "Label", "Location_X", "Location_Y", "Recognition")


class InvalidPush(Exception):
    """A push that is not well-formed WeChat XML (a 400), as opposed to a forged one (``InvalidSignatureException``, a 403)."""


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatChannel(Channel):
    name = "wechat"
    identity = "wechat"
    default_language = "zh"

    def __init__(self, app_id: str, app_secret: str, token: str, encoding_aes_key: str | None, api_base: str, client: aioredis.Redis, keys: Keys,
                 *, reply_window_seconds: float, refresh_margin_seconds: float, timeout: float = 10.0, menu: dict[str, str] | None = None) -> None:
        self.app_id = app_id
        self.menu = dict(menu or {})  # the shop's custom-menu keys (Settings.wechat_menu): key -> a text, "human" or "/intent"
        self._secret = app_secret
        self.token = token
        self.crypto = WeChatCrypto(token, encoding_aes_key, app_id) if encoding_aes_key else None
        self.api_base = api_base.rstrip("/")
        self.r = client
        self.k = keys
        self.reply_window_seconds = reply_window_seconds
        self.refresh_margin = refresh_margin_seconds
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0))

    # inbound
    @staticmethod
    def push_digest(signature: str, timestamp: str, nonce: str, body: bytes) -> str:
        """One push as WeChat posted it: its URL signature covers only the timestamp and nonce, so the body counts too."""
        return hashlib.sha256("\n".join((timestamp, nonce, signature, hashlib.sha256(body).hexdigest())).encode()).hexdigest()

    async def handled_before(self, digest: str) -> bool:
        """Whether this very push was taken in already (``remember``): a replay, or WeChat's own retry of it."""
        return bool(await self.r.exists(self.k.wechat_push(digest)))

    async def remember(self, digest: str, *, window_seconds: float) -> None:
        """Marked once taken in, not on arrival: WeChat retries a push it got no answer to (same body, MsgId and, when it
        reuses them, URL), and a retry after a first attempt that failed before storing must still get in. Kept as
        long as a timestamp can be accepted."""
        await self.r.set(self.k.wechat_push(digest), "1", ex=int(2 * window_seconds) + 1)

    def signed(self, signature: str, timestamp: str, nonce: str) -> bool:
        """The URL signature every push (and the URL check) carries: sha1 of the sorted token, timestamp and nonce."""
        try:
            check_signature(self.token, signature, timestamp, nonce)
            return True
        except InvalidSignatureException:
            return False

    def open(self, body: bytes, *, encrypted: bool, msg_signature: str, timestamp: str, nonce: str) -> str:
        """The push's XML: as sent (plaintext mode) or decrypted (safe mode, ``encrypt_type=aes``).

        Raises ``InvalidSignatureException`` (forged or for another account) or ``InvalidPush`` (malformed).
        """
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidPush("the body is not UTF-8") from None
        outer = self._xml(text)  # malformed XML is a 400 before any crypto
        if not encrypted:
            return text
        if self.crypto is None:
            raise InvalidPush("an encrypted push, but no EncodingAESKey is configured (CS_WECHAT_ENCODING_AES_KEY)")
        if not isinstance(outer.get("Encrypt"), str) or not outer["Encrypt"]:
            raise InvalidPush("an encrypted push without its Encrypt element")
        try:
            plain = self.crypto.decrypt_message(text, msg_signature, timestamp, nonce)
        except Exception:  # a wrong msg_signature, or content that is not sealed with this account's key and AppID
            raise InvalidSignatureException() from None
        self._xml(plain)
        return plain

    @staticmethod
    def _xml(text: str) -> dict:
        try:
            data = xmltodict.parse(text, disable_entities=True)
        except Exception:
            raise InvalidPush("malformed XML") from None
        if not isinstance(data, dict) or not isinstance(data.get("xml"), dict):
            raise InvalidPush("not a WeChat push (no <xml> element)")
        return data["xml"]

    def parse(self, xml: str) -> Inbound | None:
        """The push as what the customer did; ``None`` for what needs no answer (location reports, template receipts...)."""
        raw = self._xml(xml)
        for key in READ_FIELDS:  # one value each: an element nested or repeated here is no push of WeChat's
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise InvalidPush(f"<{key}> is not a plain value")
        if not raw.get("FromUserName") or not raw.get("MsgType"):
            raise InvalidPush("a push without FromUserName or MsgType")
        if raw["MsgType"] != "event" and not str(raw.get("MsgId") or "").isdigit():
            raise InvalidPush("a message without its numeric MsgId")
        if not str(raw.get("CreateTime") or "0").isdigit():
            raise InvalidPush("a push whose CreateTime is not a number")
        try:
            message = parse_message(xml)
        except Exception:  # wechatpy's own reading of a field we do not check
            raise InvalidPush("not a WeChat push wechatpy can read") from None
        openid = message.source
        common = dict(address=openid, user_id=openid)
        if isinstance(message, TextMessage):
            menu_choice = raw.get("bizmsgmenuid")  # a tapped choice of a menu message (see render_reply)
            if menu_choice:
                return Inbound("choice", event_id=f"msg:{message.id}", text=message.content, choice=unquote(str(menu_choice)), **common)
            return Inbound("message", event_id=f"msg:{message.id}", text=(message.content or "").strip() or "…", **common)
        # Events carry no MsgId: WeChat's advice is to de-duplicate them by FromUserName + CreateTime.
        event_id = f"event:{openid}:{raw.get('CreateTime', '')}:{raw.get('Event', '')}:{raw.get('EventKey') or ''}"
        if isinstance(message, (SubscribeEvent, SubscribeScanEvent)):
            return Inbound("start", event_id=event_id, text="[关注公众号]", payload=GREET_PAYLOAD, **common)
        if isinstance(message, UnsubscribeEvent):  # nothing reaches them any more: the agent must know before replying
            return Inbound("unfollow", event_id=event_id, **common)
        if isinstance(message, ClickEvent):
            return self._menu_click((message.key or "").strip(), event_id, common)
        if raw.get("MsgType") == "event":
            return None
        # an image, a voice message, a place...: kept in the transcript with what an agent needs to find it; what WeChat
        # heard in a voice message (Recognition, when the account has it on) is read like a text
        text = _plain(raw, "Recognition") if raw.get("MsgType") == "voice" else ""
        return Inbound("attachment", event_id=f"msg:{raw.get('MsgId', event_id)}", text=text, media=media_of(raw), **common)

    def _menu_click(self, key: str, event_id: str, common: dict) -> Inbound:
        """A custom-menu button (a CLICK event with its EventKey), as the shop mapped it (``Settings.wechat_menu``): a text
        the bot reads as if the customer had typed it, ``human`` (a person) or an intent (``/...``). Unmapped, the built-in
        keys still work (``human``, ``/...``); any other key is ``unmapped_menu``: the customer is told the button does
        nothing yet and offered a person, rather than the bot guessing at a key it was never taught."""
        action = self.menu.get(key)
        if action is None:
            action = key if key.lower() in HUMAN_KEYS or key.startswith("/") else None
        if action is None:
            return Inbound("unmapped_menu", event_id=event_id, text=f"[菜单] {key}", **common)
        if action.strip().lower() in HUMAN_KEYS:
            return Inbound("message", event_id=event_id, text=f"[菜单] {key}", payload=HUMAN_PAYLOAD, **common)
        if action.startswith("/"):
            return Inbound("message", event_id=event_id, text=f"[菜单] {key}", payload=action, **common)
        return Inbound("message", event_id=event_id, text=action, **common)

    def account(self, xml: str) -> str:
        """The official account a push was sent to (its ToUserName): the sender of the passive reply."""
        return str(self._xml(xml).get("ToUserName") or "")

    def reply(self, to_openid: str, from_account: str, outbounds: list[Outbound], *, encrypted: bool, nonce: str, timestamp: str) -> str | None:
        """The passive reply carrying ``outbounds`` (encrypted in safe mode), or ``None`` if it would be too long for one."""
        content = "\n\n".join(render_text(o) for o in outbounds)
        if not content or len(content.encode()) > REPLY_LIMIT_BYTES:
            return None
        xml = TextReply(source=from_account, target=to_openid, content=content).render()
        return self.crypto.encrypt_message(xml, nonce, timestamp) if encrypted and self.crypto else xml

    # outbound
    def reply_window_closed(self, last_inbound_at: float) -> str:
        if last_inbound_at and time.time() - last_inbound_at > self.reply_window_seconds:
            return REFUSED[45015]
        return ""

    def pieces(self, outbound: Outbound) -> list[Outbound]:
        """A menu message is one, a picture is one; a text over 2,000 bytes is several."""
        if outbound.choices or outbound.file is not None:
            return [outbound]
        return [Outbound(part) for part in split_bytes(outbound.text or "…", CUSTOM_TEXT_LIMIT_BYTES)]

    async def deliver(self, address: str, piece: Outbound) -> str:
        if piece.file is not None:  # an agent's picture: uploaded as temporary media (kept three days), then sent by its media_id
            if piece.file.content_type not in WECHAT_IMAGE_TYPES:
                raise DeliveryError(f"WeChat official accounts cannot send a customer this file ({piece.file.content_type})", permanent=True)
            media_id = await self._upload(piece.file)
            await self._send({"touser": address, "msgtype": "image", "image": {"media_id": media_id}})
        elif piece.choices:  # a menu message: each choice comes back as a text push with its bizmsgmenuid
            await self._send({"touser": address, "msgtype": "msgmenu", "msgmenu": {
                "head_content": piece.text, "list": [{"id": c.data, "content": c.title} for c in piece.choices], "tail_content": ""}})
        else:
            await self._send({"touser": address, "msgtype": "text", "text": {"content": piece.text or "…"}})
        return ""

    async def _upload(self, file: OutboundFile) -> str:
        """``/cgi-bin/media/upload`` (type image, multipart field ``media``): the temporary media's id."""
        suffix = file.content_type.split("/")[1].replace("jpeg", "jpg")
        name = file.name if file.name.lower().endswith(f".{suffix}") else f"image.{suffix}"
        for renewed in (False, True):
            try:
                token = await self.access_token(stale=None)
                result = await self._call("POST", "/cgi-bin/media/upload", params={"access_token": token, "type": "image"},
                                          files={"media": (name, file.data, file.content_type)})
                return str(result["media_id"])
            except WeChatApiError as exc:
                if exc.errcode in STALE_TOKEN and not renewed:
                    await self.access_token(stale=token)
                    continue
                raise _delivery_error(exc) from None
            except KeyError:
                raise DeliveryError("WeChat answered the media upload without a media_id") from None
        raise DeliveryError("WeChat kept refusing the access_token")

    async def _send(self, body: dict) -> None:
        for renewed in (False, True):
            try:
                token = await self.access_token(stale=None)
                result = await self._call("POST", "/cgi-bin/message/custom/send", params={"access_token": token}, json=body)
                return result
            except WeChatApiError as exc:
                if exc.errcode in STALE_TOKEN and not renewed:
                    await self.access_token(stale=token)
                    continue
                raise _delivery_error(exc) from None
        raise DeliveryError("WeChat kept refusing the access_token")

    async def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            resp = await self._http.request(method, f"{self.api_base}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"WeChat unreachable: {type(exc).__name__}") from None
        if resp.status_code >= 500 or resp.status_code == 429:
            raise DeliveryError(f"WeChat answered HTTP {resp.status_code}")
        try:
            data = resp.json()
        except ValueError:
            raise DeliveryError(f"WeChat answered HTTP {resp.status_code} without JSON") from None
        if data.get("errcode"):
            raise WeChatApiError(int(data["errcode"]), str(data.get("errmsg", "")))
        return data

    async def access_token(self, *, stale: str | None) -> str:
        """The account's access_token from Redis; fetched (by one worker at a time) if missing, or if it is ``stale``."""
        key, lock = self.k.wechat_access_token(self.app_id), self.k.wechat_token_lock(self.app_id)
        deadline = time.monotonic() + 15
        while True:
            cached = await self.r.get(key)
            if cached and cached != stale:
                return cached
            me = uuid.uuid4().hex
            if await self.r.set(lock, me, nx=True, px=15000):
                try:
                    cached = await self.r.get(key)
                    if cached and cached != stale:
                        return cached
                    try:
                        data = await self._call("GET", "/cgi-bin/token", params={"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret})
                    except WeChatApiError as exc:
                        raise DeliveryError(f"WeChat refused the access_token request ({exc}): check CS_WECHAT_APP_ID and CS_WECHAT_APP_SECRET",
                                            retry_after=60) from None
                    token, lifetime = str(data["access_token"]), float(data.get("expires_in", 7200))
                    await self.r.set(key, token, ex=max(60, int(lifetime - self.refresh_margin)))
                    return token
                finally:
                    if await self.r.get(lock) == me:
                        await self.r.delete(lock)
            if time.monotonic() > deadline:
                raise DeliveryError("timed out waiting for another worker to renew the WeChat access_token")
            await asyncio.sleep(0.05)

    async def aclose(self) -> None:
        await self._http.aclose()


def _plain(raw: dict, key: str) -> str:
    value = raw.get(key)
    return value.strip() if isinstance(value, str) else ""


def media_of(raw: dict) -> dict:
    """What a push other than a text carries, for the transcript: its kind, a line an agent can read (the picture's
    address, a place's name and coordinates, a link) and the ``MediaId`` that fetches it (``/cgi-bin/media/get``,
    for three days)."""
    kind = _plain(raw, "MsgType") or "attachment"
    media: dict = {"type": kind}
    for key, field_name in (("MediaId", "media_id"), ("PicUrl", "url"), ("Url", "url"), ("Format", "format"), ("Title", "title"), ("Label", "label")):
        if value := _plain(raw, key):
            media[field_name] = value
    detail = ""
    if kind == "image":
        detail = media.get("url", "")
    elif kind == "location":
        media.update(latitude=_plain(raw, "Location_X"), longitude=_plain(raw, "Location_Y"))
        detail = f"{media.get('label', '')} ({media['latitude']}, {media['longitude']})".strip()
    elif kind in ("link", "file"):
        detail = f"{media.get('title', '')} {media.get('url', '')}".strip()
    media["line"] = f"[{kind}] {detail}".strip()
    return media


def _delivery_error(exc: WeChatApiError) -> DeliveryError:
    if exc.errcode in BUSY:
        return DeliveryError(f"WeChat busy ({exc})")
    if exc.errcode in QUOTA:
        return DeliveryError(f"WeChat API quota used up ({exc})", retry_after=600)
    if exc.errcode in REFUSED:
        return DeliveryError(REFUSED[exc.errcode], permanent=True)
    return DeliveryError(f"WeChat refused the message ({exc})", permanent=True)


def render_text(outbound: Outbound) -> str:
    """The text of a passive reply: choices as WeChat's menu links (a tap sends the title back with its ``bizmsgmenuid``)."""
    lines = [outbound.text] if outbound.text else []
    for choice in outbound.choices:
        title = re.sub(r'[<>&"]', "", choice.title)
        lines.append(f'<a href="weixin://bizmsgmenu?msgmenucontent={title}&msgmenuid={choice.data}">{title}</a>')
    return "\n".join(lines)


def split_bytes(text: str, limit: int) -> list[str]:
    """Text in pieces of at most ``limit`` UTF-8 bytes (WeChat counts bytes), never splitting a character."""
    parts, current, size = [], [], 0
    for ch in text:
        n = len(ch.encode())
        if size + n > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    return [*parts, "".join(current)]
