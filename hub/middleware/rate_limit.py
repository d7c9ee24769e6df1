"""Abuse limits on the routes people can flood: 429 with ``Retry-After``, counted in Redis so they hold across hub workers.

Each rule names a route (method and path pattern), what it counts by (the
client's address, the conversation, the signed-in user) and its limit from
``Settings.rate_limits``. WebSocket handshakes count under the per-address
ceiling (``requests_per_address``); the messages sent over a socket are
limited by the routes, like the REST ones (hub/routes/customer.py). A refused request never reaches the route: nothing
is stored, and the client can send it again later (customer messages carry a
``client_message_id``, so a retry never duplicates).

Client addresses come from the connection, or from ``X-Forwarded-For`` when
the connection is from a trusted proxy (uvicorn's ``forwarded_allow_ips``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from core.ratelimit import Limit, RateLimiter

log = logging.getLogger(__name__)

Identify = Callable[[Scope, re.Match], str | None]


def by_address(scope: Scope, match: re.Match) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def by_conversation(scope: Scope, match: re.Match) -> str | None:
    return match.groupdict().get("cid")


def by_user(scope: Scope, match: re.Match) -> str | None:
    """The signed-in user's bearer token or console cookie, hashed (the limit follows the session)."""
    headers = dict(scope["headers"])
    token = headers.get(b"authorization", b"").removeprefix(b"Bearer ").strip()
    if not token:
        cookies = headers.get(b"cookie", b"").decode("latin-1")
        token = next((c.split("=", 1)[1] for c in cookies.split("; ") if c.startswith("cs_agent=")), "").encode()
    return hashlib.sha256(token).hexdigest()[:32] if token else by_address(scope, match)


@dataclass(frozen=True)
class Rule:
    name: str  # the key in Settings.rate_limits, and the counter's scope
    method: str
    path: re.Pattern
    identify: Identify


CID = r"(?P<cid>[0-9a-f]{32})"
RULES = [
    Rule("start_per_address", "POST", re.compile(r"^/api/conversations$"), by_address),
    Rule("messages_per_conversation", "POST", re.compile(rf"^/api/conversations/{CID}/(messages|attachments)$"), by_conversation),
    Rule("messages_per_address", "POST", re.compile(rf"^/api/conversations/{CID}/(messages|attachments)$"), by_address),
    Rule("images_per_conversation", "POST", re.compile(rf"^/api/conversations/{CID}/attachments$"), by_conversation),
    Rule("customer_actions_per_conversation", "POST", re.compile(rf"^/api/conversations/{CID}/(handoff|cancel|rating|feedback|language)$"), by_conversation),
    Rule("login_per_address", "POST", re.compile(r"^/api/agent/login$"), by_address),
    Rule("kb_search_per_user", "POST", re.compile(r"^/api/kb/try$"), by_user),
    Rule("kb_search_per_user", "GET", re.compile(r"^/api/kb/entries$"), by_user),
    Rule("kb_search_per_user", "GET", re.compile(rf"^/api/agent/conversations/{CID}/suggestions$"), by_user),
    Rule("requests_per_address", "*", re.compile(r"^/api/"), by_address),
]


class RateLimit:
    def __init__(self, app: ASGIApp, limiter_factory: Callable[[], RateLimiter], limits: dict[str, str]) -> None:
        self.app = app
        self._factory = limiter_factory
        self._limiter: RateLimiter | None = None
        self.limits = {name: Limit.parse(text) for name, text in limits.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wait = await self._check(scope)
        if wait:
            body = json.dumps({"detail": f"too many requests: please wait {wait} s and try again", "retry_after": wait}).encode()
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"retry-after", str(wait).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket handshake is a request like any other under the per-address ceiling: each one reads the
        conversation and sends its transcript again, so a client reconnecting in a loop was a flood nothing counted.
        Refused: accepted and closed at once with 1013 "try again later" and the wait (closing before accepting
        would reach a browser as 1006, which says nothing); clients reconnect after a moment, as after any 1013."""
        wait = await self._check(scope)
        if not wait:
            await self.app(scope, receive, send)
            return
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1013, "reason": f"too many requests: please wait {wait} s"})

    async def _check(self, scope: Scope) -> int:
        limiter = self._limiter or self._factory()
        self._limiter = limiter
        hits = []
        for rule in RULES:
            if rule.method not in ("*", scope.get("method")) or rule.name not in self.limits:
                continue
            match = rule.path.match(scope["path"])
            ident = match and rule.identify(scope, match)
            if ident:
                hits.append((rule.name, ident, self.limits[rule.name]))
        try:
            return await limiter.hit_all(hits)
        except RedisError:
            return 0  # the route itself answers 503; a limit never turns an outage into a 500
