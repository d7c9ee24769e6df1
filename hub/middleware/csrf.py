"""Cross-site request forgery: a state-changing request that relies on the console's cookie must come from the hub's own pages.

Requests with a bearer token cannot be forged by another site (it cannot read
the token), so only cookie-authenticated ``POST``/``PUT``/``PATCH``/``DELETE``
are checked: their ``Origin`` (or, without one, ``Referer``) must be the hub's
own origin (OWASP's "verify the origin with standard headers"). The cookie is
also ``SameSite=Strict``; this holds even for a browser that ignores that.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
COOKIE = "cs_agent="
# Only the staff APIs accept the cookie; the customer API takes bearer tokens only, and signing in needs no session.
COOKIE_PATHS = ("/api/agent/", "/api/kb/", "/api/admin/")
EXEMPT = ("/api/agent/login",)


class CsrfGuard:
    def __init__(self, app: ASGIApp, *, trusted_origins: list[str] | None = None) -> None:
        self.app = app
        self.trusted = {o.rstrip("/") for o in trusted_origins or []}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        guarded = path.startswith(COOKIE_PATHS) and path not in EXEMPT
        if scope["type"] == "http" and scope["method"] in UNSAFE and guarded and not self._allowed(Headers(scope=scope)):
            body = json.dumps({"detail": "cross-site request refused: send it from the console, or with an Authorization header"}).encode()
            await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _allowed(self, headers: Headers) -> bool:
        if COOKIE not in headers.get("cookie", "") or headers.get("authorization", "").removeprefix("Bearer ").strip():
            return True
        source = headers.get("origin") or headers.get("referer")
        if not source:
            return False
        parts = urlsplit(source)
        origin = f"{parts.scheme}://{parts.netloc}"
        return parts.netloc == headers.get("host") or origin in self.trusted
