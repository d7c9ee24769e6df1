"""Keep credentials out of the hub's logs: WebSocket URLs carry ``?token=``, and uvicorn logs every URL.

A filter on uvicorn's loggers rewrites ``token=<value>`` (and ``password=``) in
each record's arguments to ``token=***`` before anything is written. The same
rewrite is applied to every record any library makes (HTTP clients log the
URLs they call): the Telegram bot token that is part of every Bot API URL
(``/bot<token>/sendMessage``) and the WeChat ``secret=``/``access_token=``
parameters never reach a log.
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAMS = re.compile(r"((?:^|[?&;\s])(?:token|access_token|password|secret)=)[^&\s\"']+", re.IGNORECASE)
_BOT_TOKEN = re.compile(r"/bot[0-9]+:[A-Za-z0-9_-]+")


def scrub(text: str) -> str:
    return _BOT_TOKEN.sub("/bot***", _SECRET_PARAMS.sub(r"\1***", text))


def _scrub_arg(value: object) -> object:
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = str(value)  # an httpx.URL, for one
    cleaned = scrub(text)
    return cleaned if cleaned != text or isinstance(value, str) else value


class ScrubSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_scrub_arg(a) for a in record.args)
        return True


def install() -> None:
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logging.getLogger(name).addFilter(ScrubSecrets())
    # Every record of every library, whatever handler writes it.
    make_record = logging.getLogRecordFactory()
    scrubber = ScrubSecrets()

    def scrubbed_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        scrubber.filter(record)
        return record

    logging.setLogRecordFactory(scrubbed_record)
