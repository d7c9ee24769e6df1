"""Telegram (Bot API) through python-telegram-bot's types and client: updates in, messages with inline keyboards out.

Two ways in, one parser: webhook pushes (``hub/routes/channels.py``, checked against
the ``secret_token`` given to ``setWebhook``) and long polling (``TelegramPoller``:
``getUpdates``, for a shop without a public URL; one poller per deployment).

The token is part of every API URL (``/bot<token>/sendMessage``): it is never
logged (``hub/log_scrub.py`` masks it) and never copied into an error the
console shows (``_scrub``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid
from datetime import timedelta

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.base import Channel, DeliveryError, Inbound, Outbound, language_of
from bot.channels.gateway import ChannelGateway
from bot.channels.texts import channel_say
from core.redis import Keys
from handoff.models import HUMAN_PAYLOAD

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/channels/telegram/webhook"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
GREET_PAYLOAD = "/greet"
TEXT_LIMIT = 4096  # characters in one Telegram message


class MalformedUpdate(ValueError):
    """Not an update the bot can read (broken JSON, no chat, a text that is not text): acknowledged and ignored,
    because Telegram sends an update again until it gets a 2xx, holding the updates after it back meanwhile."""


class InvalidUpdate(ValueError):
    """An update with ids Telegram never sends (a chat id that is not an integer): forged or broken, refused with
    a 400 saying why. Stored, its replies could never be sent."""


def webhook_secret(token: str, configured: str | None = None) -> str:
    """The ``secret_token`` Telegram echoes in ``X-Telegram-Bot-Api-Secret-Token``: configured, or derived from the
    bot token (the same on every worker, nothing more to configure, and it reveals nothing about the token)."""
    return configured or hmac.new(token.encode(), b"cs-telegram-webhook", hashlib.sha256).hexdigest()


class TelegramChannel(Channel):
    name = "telegram"
    identity = "telegram"
    votes = True

    def __init__(self, token: str, api_base: str, *, secret: str, timeout: float = 10.0, poll_timeout: int = 25) -> None:
        self._token = token
        self.secret = secret
        request = HTTPXRequest(connection_pool_size=16, connect_timeout=5.0, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout)
        # getUpdates holds its request open for up to poll_timeout seconds: a connection of its own.
        polling = HTTPXRequest(connection_pool_size=1, connect_timeout=5.0, read_timeout=poll_timeout + 10.0, write_timeout=timeout)
        # files the customer sent come from <api base>/file/bot<token>/<file_path> (bot/channels/media.py)
        self.bot = Bot(token, base_url=f"{api_base.rstrip('/')}/bot", base_file_url=f"{api_base.rstrip('/')}/file/bot", request=request,
                       get_updates_request=polling)
        self.poll_timeout = poll_timeout

    def verify(self, header_secret: str | None) -> bool:
        return bool(header_secret) and hmac.compare_digest(header_secret.encode(), self.secret.encode())

    def update(self, data: object) -> Update:
        """A pushed update's JSON as the Bot API type (``MalformedUpdate`` if it is not one)."""
        if not isinstance(data, dict):
            raise MalformedUpdate(f"not a JSON object but {type(data).__name__}")
        try:
            update = Update.de_json(data, self.bot)
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            raise MalformedUpdate(f"not a Telegram update: {exc}") from None
        if update is None or type(update.update_id) is not int:
            raise MalformedUpdate("not a Telegram update (no integer update_id)")
        return update

    def parse(self, update: Update) -> Inbound | None:
        """The update as what the customer did; ``None`` for what the bot does not handle (groups, a photo's edited caption...).

        An edited text (a corrected order number) is a new message marked as an edit of the earlier one (``edited_of``):
        the transcript keeps both, and the bot answers it as it would any message.

        Raises ``InvalidUpdate`` for ids Telegram never sends, ``MalformedUpdate`` for a message the bot cannot read.
        """
        if update.callback_query is not None:
            query = update.callback_query
            chat = query.message.chat if query.message is not None else None
            if chat is None:
                return None  # a tap on a message too old for Telegram to include: nothing to answer to
            _check_ids(chat.id, query.from_user)
            if chat.type != "private":
                return None
            if not isinstance(query.data, str) or not isinstance(query.id, str):
                raise MalformedUpdate("a callback query without string data")
            return Inbound("choice", str(chat.id), str(query.from_user.id), f"cb:{query.id}", choice=query.data,
                           language=language_of(_text(query.from_user.language_code)), name=_text(query.from_user.full_name), ack=query.id)
        edited = update.message is None and update.edited_message is not None
        message = update.edited_message if edited else update.message
        if message is None:
            return None
        if message.chat is None or message.from_user is None:
            raise MalformedUpdate("a message without its chat or sender")
        _check_ids(message.chat.id, message.from_user)
        if message.chat.type != "private":
            return None
        if type(message.message_id) is not int:
            raise MalformedUpdate("a message whose message_id is not an integer")
        if not isinstance(message.text, str | None) or not isinstance(message.caption, str | None):
            raise MalformedUpdate("a message whose text is not text")
        user = message.from_user
        common = dict(address=str(message.chat.id), user_id=str(user.id), event_id=f"m:{message.chat.id}:{message.message_id}",
                      language=language_of(_text(user.language_code)), name=_text(user.full_name))
        text = (message.text or "").strip()
        if edited:
            if not text:
                return None  # a caption edited: the photo is in the transcript already, the caption was read then
            original = f"m:{message.chat.id}:{message.message_id}"
            # each edit is an update of its own (update_id): a second correction is taken in too, Telegram's retry of one is not
            common.update(event_id=f"e:{message.chat.id}:{message.message_id}:{update.update_id}", edited_of=original)
        if not text:
            # a photo, a voice message, a file...: kept in the transcript with what an agent needs to find it; a caption is read
            return Inbound("attachment", text=(message.caption or "").strip(), media=media_of(message), **common)
        command = text.split()[0].split("@")[0].lower() if text.startswith("/") else ""
        if command == "/start":
            return Inbound("start", text=text, payload=GREET_PAYLOAD, **common)
        if command in ("/human", "/agent"):
            return Inbound("message", text=text, payload=HUMAN_PAYLOAD, **common)
        return Inbound("message", text=text, **common)

    def group_chat(self, update: Update) -> tuple[int, str, str] | None:
        """``(chat id, sender's user id, sender's language)`` for a message written in a group or supergroup, else
        ``None``. The bot serves customers one to one (an order number, an address has no place in a group), so none
        is taken in there."""
        message = update.message
        if message is None or message.chat is None or message.chat.type not in ("group", "supergroup") or type(message.chat.id) is not int:
            return None
        user = message.from_user
        sender = str(user.id) if user is not None and type(user.id) is int else ""
        return message.chat.id, sender, language_of(_text(user.language_code) if user is not None else "") or self.default_language

    def pieces(self, outbound: Outbound) -> list[Outbound]:
        """At most 4096 characters a message; the choices go under the last piece. A file is one."""
        if outbound.file is not None:
            return [outbound]
        parts = split_text(outbound.text or "…", TEXT_LIMIT)
        return [Outbound(part, outbound.choices if i == len(parts) - 1 else []) for i, part in enumerate(parts)]

    async def deliver(self, address: str, piece: Outbound) -> str:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(c.title[:64], callback_data=c.data)] for c in piece.choices]) if piece.choices else None
        try:
            if piece.file is not None:  # an agent's picture (sendPhoto; a GIF as a document, so it moves) or PDF (sendDocument), uploaded
                upload = InputFile(piece.file.data, filename=piece.file.name or None, attach=True)
                if piece.file.is_image and piece.file.content_type != "image/gif":
                    result = await self.bot.send_photo(int(address), upload, caption=piece.text or None)
                else:
                    result = await self.bot.send_document(int(address), upload, caption=piece.text or None)
                return str(result.message_id)
            result = await self.bot.send_message(int(address), piece.text or "…", reply_markup=markup)
        except RetryAfter as exc:
            raise DeliveryError("Telegram: too many requests", retry_after=_seconds(exc.retry_after)) from None
        except Forbidden as exc:  # the customer blocked the bot or deleted the chat
            raise DeliveryError(f"Telegram refused: {self._scrub(exc.message)}", permanent=True) from None
        except BadRequest as exc:
            raise DeliveryError(f"Telegram refused: {self._scrub(exc.message)}", permanent=True) from None
        except InvalidToken:
            raise DeliveryError("Telegram: the bot token is not valid (check CS_TELEGRAM_BOT_TOKEN)") from None
        except (TimedOut, NetworkError, TelegramError) as exc:  # down, 5xx, connection refused: try again later
            raise DeliveryError(f"Telegram unreachable: {type(exc).__name__}: {self._scrub(str(exc))}") from None
        return str(result.message_id)

    async def acknowledge(self, inbound: Inbound, text: str = "") -> None:
        if not inbound.ack:
            return
        try:
            await self.bot.answer_callback_query(inbound.ack, text=text or None)
        except TelegramError as exc:  # an old tap (queries expire): nothing the customer is waiting for
            log.info("telegram: answerCallbackQuery failed: %s", self._scrub(str(exc)))

    async def set_webhook(self, url: str) -> None:
        await self.bot.set_webhook(url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES)

    async def updates(self, offset: int | None) -> tuple[Update, ...]:
        return await self.bot.get_updates(offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***")

    async def aclose(self) -> None:
        await self.bot.shutdown()


def split_text(text: str, limit: int) -> list[str]:
    """Text in pieces of at most ``limit`` characters, cut at line ends where possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text]


def media_of(message: object) -> dict:
    """What a message without text carries, for the transcript: its kind, a line an agent can read (a file's name, a
    place's coordinates, a voice message's length) and the ``file_id`` that fetches it (``getFile``)."""
    for kind in ("photo", "video", "video_note", "animation", "document", "audio", "voice", "sticker", "venue", "location", "contact", "poll", "dice"):
        value = getattr(message, kind, None)
        if value:
            break
    else:
        return {"type": "attachment", "line": "[attachment]"}
    media: dict = {"type": kind}
    item = value[-1] if kind == "photo" else value  # the photo's sizes, smallest first: the largest
    if isinstance(getattr(item, "file_id", None), str):
        media["file_id"] = item.file_id
    detail = ""
    if kind in ("document", "audio", "animation") and isinstance(getattr(item, "file_name", None), str):
        detail = media["file_name"] = item.file_name
    elif kind in ("voice", "audio", "video", "video_note") and isinstance(duration := getattr(item, "duration", None), int | float | timedelta):
        detail = f"{int(_seconds(duration))}s"
    elif kind == "sticker" and isinstance(item.emoji, str):
        detail = item.emoji
    elif kind in ("location", "venue"):
        place = item.location if kind == "venue" else item
        media.update(latitude=place.latitude, longitude=place.longitude)
        detail = f"{_text(getattr(item, 'title', None))} {_text(getattr(item, 'address', None))} ({place.latitude}, {place.longitude})".strip()
    elif kind == "contact":
        detail = f"{_text(item.first_name)} {_text(item.last_name)} {_text(item.phone_number)}".strip()
    elif kind == "poll":
        detail = _text(item.question)
    media["line"] = f"[{kind}] {detail}".strip()
    return media


def _check_ids(chat_id: object, user: object) -> None:
    """Telegram's chat and user ids are integers (``bool`` is not one, though Python says so)."""
    if type(chat_id) is not int:
        raise InvalidUpdate(f"the chat id must be an integer, not {type(chat_id).__name__}")
    if user is None or type(getattr(user, "id", None)) is not int:
        raise InvalidUpdate("the sender's user id must be an integer")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def receive_update(channel: TelegramChannel, gateway: ChannelGateway, update: Update) -> None:
    """One update, pushed or polled: what the customer did goes through the gateway like any channel's.

    Raises ``InvalidUpdate`` (ids Telegram never sends); a malformed update is logged and ignored.
    """
    try:
        inbound = channel.parse(update)
    except MalformedUpdate as exc:
        log.warning("telegram: ignored update %s: %s", update.update_id, exc)
        return
    if inbound is None:
        if (group := channel.group_chat(update)) is not None:
            await _tell_group(channel, gateway, *group)
            return
        log.info("telegram: ignored update %s: not a private message or tap the bot handles", update.update_id)
        return
    await gateway.receive(channel, inbound)


async def _tell_group(channel: TelegramChannel, gateway: ChannelGateway, chat_id: int, sender: str, language: str) -> None:
    """Someone wrote to the bot in a group (/start there, a mention): it tells them once, in the group and in their
    language, to message it privately, and takes nothing in (no conversation, no customer: a group is not one).
    Once per person and group, so a group is not answered at every message."""
    if not await gateway.first_time(channel, f"group:{chat_id}:{sender}"):
        return
    try:
        await channel.deliver(str(chat_id), Outbound(channel_say("private_only", language)))
    except DeliveryError as exc:  # removed from the group meanwhile, or may not write there: nobody waits for an answer
        log.info("telegram: could not tell group %s to write privately: %s", chat_id, exc.reason)


class TelegramPoller:
    """Long polling (``getUpdates``) for a deployment without a public URL.

    Telegram allows one ``getUpdates`` at a time per bot, so one hub worker polls
    (a lease in Redis, renewed while it lives; another worker takes over after it
    dies). The offset is kept in Redis and advanced only once every update of a
    batch was handed over (``handle``: stored safely): a crash re-reads them, and
    the gateway's idempotency keys make that harmless.
    """

    def __init__(self, channel: TelegramChannel, gateway: ChannelGateway, client: aioredis.Redis, keys: Keys, *, lease_seconds: float = 30.0) -> None:
        self.channel = channel
        self.gateway = gateway
        self.r = client
        self.k = keys
        self.lease_ms = int(lease_seconds * 1000)
        self.me = uuid.uuid4().hex

    async def _lead(self) -> bool:
        """Take or keep the poller's lease."""
        key = self.k.channel_leader("telegram")
        if await self.r.set(key, self.me, nx=True, px=self.lease_ms):
            return True
        if await self.r.get(key) == self.me:
            await self.r.pexpire(key, self.lease_ms)
            return True
        return False

    async def run(self) -> None:
        delay = 1.0
        webhook_cleared = False
        while True:
            try:
                if not await self._lead():
                    await asyncio.sleep(self.lease_ms / 3000)
                    continue
                if not webhook_cleared:  # getUpdates is refused while a webhook is set
                    await self.channel.bot.delete_webhook()
                    webhook_cleared = True
                await self.poll_once()
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
            except Conflict:  # another process polls this bot (or a webhook is set): wait and try again
                webhook_cleared = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            except (TelegramError, RedisError, OSError) as exc:
                log.warning("telegram polling: %s: %s (retrying in %.0f s)", type(exc).__name__, self.channel._scrub(str(exc)), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            except Exception:
                log.exception("telegram polling failed")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def poll_once(self) -> int:
        """One ``getUpdates``; hands every update over, then moves the offset past them. Returns how many."""
        state = self.k.channel_state("telegram")
        raw = await self.r.hget(state, "offset")
        updates = await self.channel.updates(int(raw) if raw else None)
        for update in updates:
            try:
                await receive_update(self.channel, self.gateway, update)
            except RedisError:
                raise  # not stored: the offset stays, the batch is read again
            except Exception:  # an update the hub cannot take would otherwise block every later one
                log.exception("telegram: update %s could not be handled; skipped", update.update_id)
        if updates:
            await self.r.hset(state, "offset", max(u.update_id for u in updates) + 1)
        return len(updates)
