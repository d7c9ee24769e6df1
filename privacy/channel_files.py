"""What a customer sent on a messaging channel (a photo of the broken item, a receipt, a voice message), put into
their data export (``./cs privacy export``).

The hub keeps no copy of these: a transcript line holds the platform's reference (a Telegram ``file_id``, a WeChat
``MediaId`` or picture address), and the console fetches the file when an agent opens it. An export that only named
the references would hand the customer ids they cannot use, so at export time each one is fetched through the same
code the console uses (``bot/channels/media.py``), while the platform still serves it: Telegram keeps a bot's files
for a long time, WeChat a customer's media three days.

Each conversation of the export gets two lists, in transcript order:

- ``channel_files``: each fetched file, beside the line that names it (``message_id``), with the reference,
  its content type (an image type only when its first bytes are one), its name, size and bytes in base64;
- ``channel_files_not_fetched``: each one that could not be, with the same ``code`` the console shows
  (``attachment_gone``: the platform no longer has it; ``channel_unreachable``; ``channel_refused``, also when this
  machine has no credentials for the channel; ``attachment_too_large``), or ``export_size_limit`` once
  ``Settings.export_channel_files_max_bytes`` is spent, or ``fetch_failed``, and a ``reason`` in words (never a URL:
  Telegram's holds the bot token). Nothing is left out silently.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from tqdm import tqdm

from bot.channels.media import AttachmentTooLarge, Attachments, openable
from core.errors import ServiceError

log = logging.getLogger(__name__)


@dataclass
class Fetched:
    files: int = 0
    not_fetched: int = 0
    bytes: int = 0


def channel_attachments(messages: list[dict]) -> list[dict]:
    """The customer's lines that name a file kept by a messaging platform (not by the hub: no ``upload_id``)."""
    found = []
    for m in messages:
        meta = m.get("meta") or {}
        media = meta.get("media") or {}
        if m.get("sender") == "customer" and meta.get("kind") == "attachment" and not media.get("upload_id") and openable(media):
            found.append(m)
    return found


async def add_channel_files(attachments: Attachments, conversations: list[dict], *, budget: int, progress: bool = False) -> Fetched:
    """Fill in ``channel_files`` and ``channel_files_not_fetched`` of each exported conversation (``privacy.subject.export``);
    at most ``budget`` bytes in all. ``progress``: a bar on stderr, file by file (a platform that is down costs each
    file its timeout, so an export of many can take minutes)."""
    done = Fetched()
    named_files = [(exported, channel_attachments(exported.get("messages") or [])) for exported in conversations]
    total = sum(len(found) for _, found in named_files)
    with tqdm(total=total, desc="channel files", unit="file", disable=not progress or not total) as bar:
        for exported, found in named_files:
            fetched, missing = [], []
            channel_of_conversation = (exported.get("conversation") or {}).get("channel", "")
            for m in found:
                named = {"message_id": m["id"], "channel": m.get("channel") or channel_of_conversation, "media": m["meta"]["media"]}
                try:
                    download, data = await _fetch(attachments, named, budget - done.bytes, budget)
                except ServiceError as exc:
                    log.info("export: %s line %s not fetched: %s", named["channel"], m["id"], exc.code)
                    missing.append({**named, "code": exc.code, "reason": exc.detail})
                except Exception as exc:  # one file's failure never costs the customer the rest of their export
                    log.exception("export: %s line %s not fetched", named["channel"], m["id"])
                    missing.append({**named, "code": "fetch_failed", "reason": f"fetching it failed ({type(exc).__name__})"})
                else:
                    done.bytes += len(data)
                    fetched.append({**named, "content_type": download.media_type, "file_name": download.filename, "size": len(data),
                                    "data_base64": base64.b64encode(data).decode("ascii")})
                bar.update(1)
            exported["channel_files"] = fetched
            exported["channel_files_not_fetched"] = missing
            done.files += len(fetched)
            done.not_fetched += len(missing)
    return done


async def _fetch(attachments: Attachments, named: dict, left: int, budget: int):
    """One file, at most ``left`` bytes: ``_SizeLimit`` when the export's allowance (not the file's own) is what ran out."""
    if left <= 0:
        raise _SizeLimit(budget)
    try:
        return await attachments.read(named["channel"], named["media"], named["message_id"], max_bytes=left)
    except AttachmentTooLarge:
        if left < attachments.max_bytes:  # it may fit on its own: the export's allowance is what ran out
            raise _SizeLimit(budget) from None
        raise


class _SizeLimit(ServiceError):
    def __init__(self, budget: int) -> None:
        super().__init__(f"the export already holds {budget} bytes of channel files (CS_EXPORT_CHANNEL_FILES_MAX_BYTES): "
                         "export this conversation on its own, or raise the limit")

    @property
    def code(self) -> str:
        return "export_size_limit"
