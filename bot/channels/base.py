"""The one small interface every channel adapter implements, and what adapters exchange with the hub.

An adapter only translates; it decides nothing (the model is httpx's ``BaseTransport``):

- ``parse``: the channel's wire format -> ``Inbound`` (what the customer did: wrote, tapped a choice, rated).
  ``bot/channels/gateway.py`` turns it into ``Orchestrator`` calls, the same for every channel.
- ``render``: a transcript ``Message`` -> ``Outbound`` (plain text, choices, a rating request); shared here,
  so every channel offers the same choices and each only draws them its own way.
- ``pieces``: an ``Outbound`` as the messages the channel takes (Telegram: 4096 characters each, WeChat:
  2,000 bytes), and ``deliver``: send one piece to an address. ``bot/outbox.py`` sends the pieces one by
  one and remembers how many went, so a failure midway resumes at the first piece not sent; it retries
  what ``DeliveryError`` says may be retried.

The orchestrator never sees a channel: it stores messages, and the outbox carries them out.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from markdown_it import MarkdownIt

from bot.channels.texts import RATING_TITLES, channel_say
from core.redis import is_stream_id
from customers.store import IdentityKind
from handoff.models import Message

# unfollow: the customer can no longer be written to; unmapped_menu: a custom-menu button the shop gave no meaning (WeChat)
InboundKind = Literal["message", "choice", "rating", "start", "attachment", "unfollow", "unmapped_menu"]
RATING_SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Inbound:
    """What a customer did on a channel, in the hub's terms."""

    kind: InboundKind
    address: str  # where replies go: a Telegram chat id, a WeChat openid
    user_id: str  # who it is (the identity on the customer record): a Telegram user id, a WeChat openid
    event_id: str  # the channel's own id for this event, so its retries are recognised (update id, MsgId)
    text: str = ""
    choice: str = ""  # the data of a tapped choice (``choice_data``)
    payload: str = ""  # sent to the bot instead of the text (``/greet`` for a start, a menu key)
    rating: int = 0
    language: str | None = None  # the channel's hint (Telegram's language_code), else the text decides
    name: str = ""
    ack: str = ""  # an id the channel wants acknowledged (a Telegram callback query)
    # an attachment's kind ("photo", "voice", "location"...), the transcript's line for it ("line") and the channel's
    # reference that fetches it (a Telegram file_id, a WeChat MediaId or picture URL); ``text``: what came with it (a caption)
    media: dict = field(default_factory=dict)
    edited_of: str = ""  # an edit of an earlier message: that message's ``event_id`` (the edit is taken in as a new message)


@dataclass(frozen=True)
class Choice:
    title: str
    data: str  # comes back in ``Inbound.choice`` when tapped


@dataclass(frozen=True)
class OutboundFile:
    """A picture or a PDF an agent sends the customer (``bot/uploads.py``): its bytes, type (read from the bytes) and name."""

    data: bytes
    content_type: str
    name: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@dataclass
class Outbound:
    """A message as every channel can show it: plain text and, optionally, choices to tap; or a file the agent sends
    (``file``; ``text`` is then its caption, if any)."""

    text: str
    choices: list[Choice] = field(default_factory=list)
    file: OutboundFile | None = None


class DeliveryError(Exception):
    """A send that did not go through. ``permanent``: retrying cannot help (the customer blocked the bot,
    the reply window closed); else the outbox retries, after ``retry_after`` seconds if the channel said so."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"DeliveryError({self.reason!r}, permanent={self.permanent}, retry_after={self.retry_after})"


# Choice data is short (Telegram allows 64 bytes): which message's button, or a rating.
def choice_data(message_id: str, index: int) -> str:
    return f"b:{message_id}:{index}"


def rating_data(score: int) -> str:
    return f"r:{score}"


def vote_data(message_id: str, helpful: bool) -> str:
    return f"v:{message_id}:{int(helpful)}"


def read_choice(data: str) -> tuple[str, int] | int | None:
    """``(message id, button index)`` for a bot choice, the score for a rating, ``None`` if it is neither."""
    if (m := re.fullmatch(r"b:([0-9]{1,20}-[0-9]{1,20}):([0-9]{1,2})", data)) and is_stream_id(m.group(1)):
        return m.group(1), int(m.group(2))
    if m := re.fullmatch(r"r:([1-5])", data):
        return int(m.group(1))
    return None


def read_vote(data: str) -> tuple[str, bool] | None:
    """``(message id, helpful)`` for a tap on a bot answer's helpful / not helpful choice."""
    if (m := re.fullmatch(r"v:([0-9]{1,20}-[0-9]{1,20}):([01])", data)) and is_stream_id(m.group(1)):
        return m.group(1), m.group(2) == "1"
    return None


def language_of(code: str | None) -> str | None:
    """A client's language tag (``zh-hans``, ``en-US``) as one of the bot's languages, ``None`` if unknown."""
    if not code:
        return None
    return "zh" if code.lower().startswith("zh") else "en"


_md = MarkdownIt("commonmark")


def plain_text(markdown: str) -> str:
    """Markdown as plain text for channels that show no markup: paragraphs kept, lists bulleted, links as "text (url)"."""
    out: list[str] = []
    ordinal: list[int] = []
    for tok in _md.parse(markdown):
        if tok.type == "inline":
            out.append(_inline_text(tok.children or []))
        elif tok.type in ("paragraph_close", "heading_close"):
            out.append("\n" if tok.hidden else "\n\n")
        elif tok.type == "ordered_list_open":
            ordinal.append(0)
        elif tok.type == "bullet_list_open":
            ordinal.append(-1)
        elif tok.type in ("ordered_list_close", "bullet_list_close"):
            ordinal.pop()
            out.append("\n")
        elif tok.type == "list_item_open":
            if ordinal and ordinal[-1] >= 0:
                ordinal[-1] += 1
                out.append(f"{ordinal[-1]}. ")
            else:
                out.append("• ")
        elif tok.type in ("fence", "code_block"):
            out.append(tok.content + "\n")
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def _inline_text(children: list) -> str:
    parts: list[str] = []
    href = ""
    start = 0
    for tok in children:
        if tok.type == "text":
            # CommonMark does not open emphasis between a CJK character and a symbol ("满**¥99**包邮"): drop the leftover markers
            parts.append(tok.content.replace("**", ""))
        elif tok.type == "code_inline":
            parts.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif tok.type == "link_open":
            href, start = tok.attrGet("href") or "", len(parts)
        elif tok.type == "link_close":
            label = "".join(parts[start:])
            if href and href != label:
                parts.append(f" ({href})")
    return "".join(parts)


class Channel(ABC):
    """A messaging channel's adapter. ``name`` is what messages and deliveries record; ``identity`` the kind of
    identity its users have on the customer record."""

    name: ClassVar[str]
    identity: ClassVar[IdentityKind]
    default_language: ClassVar[str] = "en"  # a new customer's language when neither the channel nor the text tells
    votes: ClassVar[bool] = False  # offer "helpful / not helpful" under the bot's answers (as the web chat does)

    def render(self, message: Message, rating_titles: tuple[str, ...] = RATING_TITLES) -> Outbound:
        """The bot's choices (``meta.buttons``), a rating request and (where the channel votes) an answer's
        helpful / not helpful become choices; everything else is text."""
        text = plain_text(message.text) if message.sender in ("bot", "agent") else message.text
        if message.meta.get("kind") == "rating_request":
            return Outbound(text, [Choice(title, rating_data(score)) for title, score in zip(rating_titles, RATING_SCORES)])
        buttons = message.meta.get("buttons") or []
        if not buttons and self.votes and message.sender == "bot" and message.meta.get("decision") == "answer":
            language = message.meta.get("language") or "en"
            return Outbound(text, [Choice(channel_say("helpful", language), vote_data(message.id, True)),
                                   Choice(channel_say("not_helpful", language), vote_data(message.id, False))])
        return Outbound(text, [Choice(b.get("title") or str(i + 1), choice_data(message.id, i)) for i, b in enumerate(buttons)])

    def reply_window_closed(self, last_inbound_at: float) -> str:
        """Why the channel no longer lets the business write to this customer (WeChat: 48 hours after they last wrote), "" if it does."""
        return ""

    def pieces(self, outbound: Outbound) -> list[Outbound]:
        """``outbound`` as the messages this channel sends it in (one, unless it is too long for one)."""
        return [outbound]

    @abstractmethod
    async def deliver(self, address: str, piece: Outbound) -> str:
        """Send one of ``pieces`` to ``address``; the channel's id for what was sent. Raises ``DeliveryError``."""

    async def acknowledge(self, inbound: Inbound, text: str = "") -> None:
        """Tell the channel an event was handled (Telegram stops the button's spinner). Nothing for most channels."""

    async def aclose(self) -> None:
        """Release connections."""
