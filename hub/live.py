"""What the customer and agent WebSockets share: safe reading of client frames, and one pump from the relay to the socket.

Client frames are JSON objects in text frames. A binary frame, invalid JSON or
a non-object gets an ``error`` frame and the socket stays open; a frame over
``max_ws_frame_bytes`` is refused by the server with close code 1009 before it
is read into memory (``hub/__main__.py``). Each socket has one sender lock, so
the pump and the reply to a client frame never interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import WebSocket
from redis.exceptions import RedisError
from starlette.websockets import WebSocketDisconnect, WebSocketState

from core.redis import PoolBusy
from core.relay import Subscription
from core.sockets import Cap, OpenSockets, TooManySockets
from handoff.events import Frame
from handoff.models import stream_position  # noqa: F401  (re-exported: routes order stream ids with it)


class Ended(Exception):
    """Raised by an ``on_item`` handler: close the socket with this code and reason (its session ended)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Socket:
    """A WebSocket with serialised sends that ignores sends after the client left."""

    def __init__(self, websocket: WebSocket) -> None:
        self.ws = websocket
        self._sending = asyncio.Lock()

    async def send(self, frame: dict) -> None:
        async with self._sending:
            if self.ws.application_state == WebSocketState.CONNECTED and self.ws.client_state == WebSocketState.CONNECTED:
                await self.ws.send_text(json.dumps(frame, ensure_ascii=False))

    async def close(self, code: int, reason: str) -> None:
        async with self._sending:
            if self.ws.application_state == WebSocketState.CONNECTED and self.ws.client_state == WebSocketState.CONNECTED:
                await self.ws.close(code=code, reason=reason.encode()[:123].decode(errors="ignore"))  # room for 123 bytes

    async def error(self, detail: str) -> None:
        await self.send({"type": Frame.ERROR, "detail": detail})

    async def frames(self) -> AsyncIterator[dict]:
        """The client's frames, as dicts, until it disconnects."""
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                await self.error("binary frames are not supported: send JSON text frames")
                continue
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):
                await self.error("a frame must be valid JSON")
                continue
            if not isinstance(data, dict):
                await self.error("a frame must be a JSON object")
                continue
            yield data


class TypingBudget:
    """How many typing notices one socket may pass on: a burst of ``burst``, then ``per_second``. The pages send one
    every 2 s while someone types (and one when they stop); a client sending thousands a second had each published
    and forwarded to the other side's screen. Notices over the budget are dropped: they are ephemeral, and the
    "is typing" line hides by itself a few seconds after the last one."""

    def __init__(self, burst: float = 4, per_second: float = 2) -> None:
        self.burst, self.rate = burst, per_second
        self.tokens, self.at = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# Close code and reason when this worker's Redis pool stayed full (core.redis.PoolBusy): Redis is fine, the
# worker is busy. 1013 is "try again later"; the client reconnects with ``after`` as after any 1011/1013.
BUSY_CLOSE = (1013, "busy, try again later")


def unavailable(exc: RedisError, code: int = 1013) -> tuple[int, str]:
    """The close code and reason for a socket Redis failed: ``BUSY_CLOSE`` when only this worker's pool was full, else
    ``code`` (1013, or 1011 once the socket was accepted) and "reconnect"."""
    return BUSY_CLOSE if isinstance(exc, PoolBusy) else (code, "temporarily unavailable, reconnect")


async def refuse(websocket: WebSocket, code: int, reason: str) -> None:
    """Turn a client away with a close code it can act on (4401, 4403, 4422, 1013).

    Closing before ``accept()`` makes the server answer the handshake with HTTP 403, which a
    browser reports as close code 1006 whatever the reason: the chat page could never tell
    "this conversation is gone, start over" (4403) from "reconnect" and retried forever.
    """
    await websocket.accept()
    await websocket.close(code=code, reason=reason)


async def admit(websocket: WebSocket, sockets: OpenSockets, caps: list[Cap]) -> str | None:
    """Count the socket under ``caps`` (how many may be open at once: core/sockets.py); its id, for ``release`` when it closes.
    None when it was turned away: 1013 "too many open connections ..." when one is full (the pages say so, and try
    again after a while: one of the others may have closed by then), or the usual 1013 when Redis is unavailable."""
    try:
        return await sockets.admit(caps)
    except TooManySockets as exc:
        await refuse(websocket, 1013, str(exc))
    except RedisError as exc:
        await refuse(websocket, *unavailable(exc))
    return None


async def release(sockets: OpenSockets, sid: str) -> None:
    """The socket closed: it no longer counts (if Redis is away now, its lease lapses instead)."""
    with contextlib.suppress(RedisError):
        await sockets.release(sid)


async def serve(socket: Socket, sub: Subscription, on_item: Callable[[str, dict], Awaitable[None]], on_frame: Callable[[dict], Awaitable[None]],
                keep: Callable[[], Awaitable[None]] | None = None) -> None:
    """Pump relay items to ``on_item`` while reading client frames into ``on_frame``, until either side ends.

    If the pump fails (Redis went away while building a frame) the socket is
    closed with 1011, so the client reconnects and resumes from its last message id;
    with 1013 "busy, try again later" if the worker's Redis pool was only busy (``PoolBusy``).
    If ``on_item`` raises ``Ended``, the socket is closed with its code and reason.
    ``keep``, if given, runs beside them for as long as the socket is open (the
    console's lease and session check); it may raise ``Ended`` too.
    """

    async def pump() -> None:
        while True:
            channel, payload = await sub.get()
            await on_item(channel, payload)

    async def read() -> None:
        async for frame in socket.frames():
            await on_frame(frame)

    tasks = {asyncio.create_task(pump(), name="ws-pump"), asyncio.create_task(read(), name="ws-read")}
    if keep is not None:
        tasks.add(asyncio.create_task(keep(), name="ws-keep"))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        errors = [t.exception() for t in done if not t.cancelled() and t.exception()]
        ended = next((e for e in errors if isinstance(e, Ended)), None)
        if ended:
            with contextlib.suppress(Exception):
                await socket.close(ended.code, ended.reason)
        elif any(isinstance(e, PoolBusy) for e in errors):
            with contextlib.suppress(Exception):
                await socket.close(*BUSY_CLOSE)
        elif any(not isinstance(e, (WebSocketDisconnect, RuntimeError)) for e in errors):
            with contextlib.suppress(Exception):
                await socket.ws.close(code=1011, reason="temporarily unavailable, reconnect")
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        sub.close()
