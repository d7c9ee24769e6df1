"""Security headers on every response (OWASP ASVS V14.4): a strict CSP, framing rules, no MIME sniffing, HSTS on HTTPS.

The pages load every script and style from the hub itself (no inline script,
no CDN), so the policy can forbid everything else. Only the customer chat
(the widget's iframe) may be framed, and only by the shop origins in
``CS_WIDGET_ORIGINS``; the agent console and the editor may not be framed at all.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRAMEABLE = ("/chat", "/static/chat/")  # the widget's iframe and what it loads
EMBEDDED = ("/widget.js", "/chat", "/static/chat/")  # loaded by shop pages on other sites


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, widget_origins: list[str], https: bool) -> None:
        self.app = app
        embedders = " ".join(["'self'", *widget_origins])
        self.common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if https:
            self.common.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        base = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
                "connect-src 'self' {ws}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}")
        self._csp_framed = base.replace("{ancestors}", embedders)
        self._csp_unframed = base.replace("{ancestors}", "'none'")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        frameable = path == FRAMEABLE[0] or path.startswith(FRAMEABLE[1])
        host = Headers(scope=scope).get("host", "")
        # The page's own WebSocket origin (CSP 'self' does not cover ws: in every browser).
        ws = f"ws://{host} wss://{host}" if host else ""
        csp = (self._csp_framed if frameable else self._csp_unframed).replace("{ws}", ws).encode("latin-1")
        embedded = path == EMBEDDED[0] or path == EMBEDDED[1] or path.startswith(EMBEDDED[2])
        extra = [*self.common, (b"content-security-policy", csp),
                 (b"cross-origin-resource-policy", b"cross-origin" if embedded else b"same-origin")]
        if not frameable:
            extra.append((b"x-frame-options", b"DENY"))
            extra.append((b"cross-origin-opener-policy", b"same-origin"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
