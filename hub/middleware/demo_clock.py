"""DEMO ONLY: a request may say what time it is (``X-Simulated-Time``, epoch seconds) when ``Settings.demo_clock`` is on.

``./cs demo`` uses it to play weeks of customers in minutes (core/clock.py).
The middleware is installed only when the setting is on; a value that is not
a number, or lies in the future, is refused with 422.
"""

from __future__ import annotations

import time

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from core import clock

HEADER = b"x-simulated-time"


class DemoClock:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = dict(scope.get("headers") or []).get(HEADER) if scope["type"] == "http" else None
        if raw is None:
            await self.app(scope, receive, send)
            return
        try:
            ts = float(raw)
        except ValueError:
            ts = -1.0
        if not 0 < ts <= time.time() + 60:
            await PlainTextResponse("X-Simulated-Time must be epoch seconds, not in the future", 422)(scope, receive, send)
            return
        with clock.simulated(ts):
            await self.app(scope, receive, send)
