"""The hub's HTTP/1.1 protocol: uvicorn's httptools one, with limits on the size of a request's head and its time.

httptools (llhttp) keeps a request line and headers of any size until they end: one client sending a header line
of a gigabyte made the hub hold a gigabyte (200 MB of header raised its memory by 280 MB, and was answered 200).
h11's own limit is 16 KiB, nginx's 8 KiB per line. A request whose head (request line and headers) passes
``max_header_bytes`` is answered 431 and its connection closed as soon as that many bytes arrived, before the rest
is read. The head is counted as it arrives, a read of the socket (at most 256 KiB) at a time.

uvicorn times out an idle keep-alive connection only after a response: a connection that opens and sends nothing,
or a head a byte at a time (slowloris), was held for ever, a file descriptor and a protocol object each. A head not
complete ``head_timeout_seconds`` after the connection opened or its request began is answered 408 (closed without
an answer when nothing came at all, as nginx does) and closed. Bodies have their own idle limit
(``hub/middleware/body_limit.py``); a WebSocket's head ends at its upgrade.
"""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.settings import get_settings


class BoundedHeadProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._head_limit = settings.max_header_bytes
        self._head_timeout = settings.head_timeout_seconds
        self._head_bytes = 0
        self._in_head = False
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        self._in_head, self._head_bytes = True, 0
        self._arm_head_timer()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_head_timer()
        super().on_headers_complete()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self._head_timeout, self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._in_head:  # else nothing came at all: closed without an answer
            self._refuse(b"408 Request Timeout", f"request head not complete within {self._head_timeout:g} s")
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > self._head_limit:
            self._refuse(b"431 Request Header Fields Too Large", f"request headers too large (limit {self._head_limit} bytes)")

    def _refuse(self, status: bytes, detail: str) -> None:
        """Answer ``status`` with ``{"detail": ...}`` and close the connection; the answer is left out while an earlier
        request's response is still being written (it would land inside it)."""
        if self.cycle is None or self.cycle.response_complete:
            body = json.dumps({"detail": detail}).encode()
            self.transport.write(b"HTTP/1.1 %s\r\ncontent-type: application/json\r\n"
                                 b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, len(body), body))
        self.transport.close()
