"""Request bodies over a size limit are refused with 413, declared or chunked, and bodies that stall with 408 (starlette
shape: options in ``__init__``, work in ``__call__``)."""

from __future__ import annotations

import asyncio
import json
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """Refuse request bodies over a size limit with 413, whether or not they declare a ``Content-Length``.

    A declared length over the limit is refused before anything is read; a
    chunked body is counted as it arrives and refused the moment it passes the
    limit, so no route ever reads more than the limit into memory.
    ``larger`` gives some paths their own limit (file uploads): each key a regular expression matched at the start
    of the path (a plain prefix is one).

    A body that stops arriving (nothing for ``idle_seconds`` before its end) is answered 408 and its connection
    closed: uvicorn waits for the rest of a body for ever, so a client that sent the head of an upload and then a
    byte now and then (slowloris) held a connection, and what it had sent, as long as it liked, and a few thousand of
    them held the hub's memory and file descriptors. Only while the body is still coming: after it, a route
    listening for the client to go away (a streamed download) waits as long as it needs.
    """

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None, idle_seconds: float = 30.0) -> None:
        self.app = app
        self.limit = limit
        self.idle_seconds = idle_seconds
        self._larger = [(re.compile(pattern), n) for pattern, n in (larger or {}).items()]

    def limit_for(self, path: str) -> int:
        return next((n for pattern, n in self._larger if pattern.match(path)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _answer(send, _TooLarge(limit))
            return
        received = 0
        responded = False
        body_done = False

        async def counting_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.idle_seconds)
            except TimeoutError:
                raise _Stalled(self.idle_seconds) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except (_TooLarge, _Stalled) as exc:
            if not responded:
                await _answer(send, exc)


class _TooLarge(HTTPException):
    """Raised inside the body read: FastAPI turns it into the 413 response (or, outside a route, ``BodyLimit`` does)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large (limit {limit} bytes)")


class _Stalled(HTTPException):
    """Raised inside the body read when nothing more came for ``idle_seconds``: a 408, as ``_TooLarge`` is a 413."""

    def __init__(self, idle_seconds: float) -> None:
        super().__init__(408, f"the request body stopped arriving (nothing for {idle_seconds:g} s)", headers={"Connection": "close"})


async def _answer(send: Send, refusal: _TooLarge | _Stalled) -> None:
    """The refusal as ``{"detail": ...}``, and the connection closed: the rest of the body is never read."""
    body = json.dumps({"detail": refusal.detail}).encode()
    await send({"type": "http.response.start", "status": refusal.status_code, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
