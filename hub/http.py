"""The hub's HTTP/1.1 protocol: uvicorn's httptools one, with a limit on the size of a request's head.

httptools (llhttp) keeps a request line and headers of any size until they end: one client sending a header line
of a gigabyte made the hub hold a gigabyte (200 MB of header raised its memory by 280 MB, and was answered 200).
h11's own limit is 16 KiB, nginx's 8 KiB per line. A request whose head (request line and headers) passes
``max_header_bytes`` is answered 431 and its connection closed as soon as that many bytes arrived, before the rest
is read. The head is counted as it arrives, a read of the socket (at most 256 KiB) at a time.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.settings import get_settings


class BoundedHeadProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._head_limit = get_settings().max_header_bytes
        self._head_bytes = 0
        self._in_head = False

    def on_message_begin(self) -> None:
        self._in_head, self._head_bytes = True, 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > self._head_limit:
            self._refuse()

    def _refuse(self) -> None:
        if self.cycle is None or self.cycle.response_complete:  # nothing of an earlier request is being written
            body = json.dumps({"detail": f"request headers too large (limit {self._head_limit} bytes)"}).encode()
            self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
                                 b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))
        self.transport.close()
