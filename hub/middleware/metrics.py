"""Request latency, server errors and open WebSockets for ``GET /metrics`` (core/telemetry.py), and each request's arrival time.

Requests are labelled by their route template (``/api/conversations/{cid}``),
never the raw path, so ids cannot explode the number of series.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import telemetry

ARRIVED = "cs.arrived"  # scope key: time.monotonic() when the request reached the hub (its headers were read)


def arrived(scope: Scope) -> float:
    """When the request reached the hub, before any middleware or route waited on anything (now, if unknown)."""
    return scope.get(ARRIVED) or time.monotonic()


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
        scope[ARRIVED] = time.monotonic()  # outermost: the earliest the app sees a request (WeChat's passive-reply deadline counts from it)
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
