"""Request latency, server errors and open WebSockets for ``GET /metrics`` (core/telemetry.py).

Requests are labelled by their route template (``/api/conversations/{cid}``),
never the raw path, so ids cannot explode the number of series.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import telemetry


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            telemetry.WEBSOCKETS.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                telemetry.WEBSOCKETS.dec()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("static" if scope["path"].startswith("/static/") else "unmatched")
            code = str(status["code"])
            telemetry.REQUEST_SECONDS.labels(scope["method"], template, code).observe(time.perf_counter() - started)
            if status["code"] >= 500:
                telemetry.ERRORS.labels(template, code).inc()
