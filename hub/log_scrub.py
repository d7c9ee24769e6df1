"""Keep credentials out of the hub's logs: WebSocket URLs carry ``?token=``, and uvicorn logs every URL.

A filter on uvicorn's loggers rewrites ``token=<value>`` (and ``password=``) in
each record's arguments to ``token=***`` before anything is written.
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAMS = re.compile(r"((?:^|[?&;\s])(?:token|access_token|password)=)[^&\s\"']+", re.IGNORECASE)


def scrub(text: str) -> str:
    return _SECRET_PARAMS.sub(r"\1***", text)


class ScrubSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn"):
        logging.getLogger(name).addFilter(ScrubSecrets())
