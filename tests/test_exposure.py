"""What faces the network, through the real stack: only the hub; Rasa's API wants its token, Valkey its password;
secrets are owner-only files and never in logs; every response carries the security headers; the console's cookie
cannot be used from another site."""

from __future__ import annotations

import http.client
import json
import stat

import httpx
import pytest
import redis
from websockets.sync.client import connect

from tests.clients import AgentClient


def test_rasa_refuses_its_api_without_the_token(stack, settings):
    assert httpx.get(f"{settings.rasa_url}/status").status_code in (401, 403)
    assert httpx.post(f"{settings.rasa_url}/model/parse", json={"text": "hi"}).status_code in (401, 403)
    assert httpx.get(f"{settings.rasa_url}/status", params={"token": settings.secret("rasa-token")}).status_code == 200


def test_valkey_refuses_clients_without_the_password(stack, settings):
    anonymous = redis.Redis(host=settings.internal_host, port=settings.embedded_redis_port)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    assert redis.Redis(host=settings.internal_host, port=settings.embedded_redis_port, password=settings.secret("valkey-password")).ping()


def test_secrets_are_owner_only_and_never_logged(stack, settings, customer_factory, hub, agents):
    folder = settings.var_dir / "secrets"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    c = customer_factory("en")
    agent = AgentClient(hub, "alice")
    ws_base = settings.hub_url.replace("http", "ws")
    with connect(f"{ws_base}/api/conversations/{c.id}/ws?token={c.token}") as ws:
        ws.recv(timeout=10)
    with connect(f"{ws_base}/api/agent/ws?token={agent.token}"):
        pass
    logs = "\n".join(p.read_text(errors="replace") for p in (settings.var_dir / "logs").glob("*.log"))
    assert "/ws?token=***" in logs  # the connection was logged, the token was not
    for secret in (c.token, agent.token, *(settings.secret(n) for n in ("valkey-password", "pii-key", "identity-secret"))):
        assert secret not in logs


@pytest.mark.parametrize("path", ["/console", "/kb", "/api/agent/queue", "/healthz", "/static/console/console.js"])
def test_staff_pages_and_apis_carry_strict_headers(hub, path):
    resp = hub.get(path)
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in resp.headers  # plain HTTP here: HSTS only when served over HTTPS


def test_only_configured_shops_may_frame_the_chat(hub, settings):
    resp = hub.get("/chat")
    csp = resp.headers["content-security-policy"]
    assert "frame-ancestors 'self' http://127.0.0.1:*" in csp  # CS_WIDGET_ORIGINS of the test stack
    assert "x-frame-options" not in resp.headers


def test_the_console_cookie_cannot_be_used_from_another_site(hub, stack, agents):
    login = hub.post("/api/agent/login", json={"username": "alice", "password": "correct-horse-battery"})
    cookie = {"cs_agent": login.json()["token"]}
    with httpx.Client(base_url=str(hub.base_url), cookies=cookie) as browser:
        forged = browser.post("/api/agent/presence", json={"presence": "away"}, headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403 and "cross-site" in forged.json()["detail"]
        no_origin = browser.post("/api/agent/presence", json={"presence": "away"})
        assert no_origin.status_code == 403
        same_site = browser.post("/api/agent/presence", json={"presence": "online"}, headers={"Origin": str(hub.base_url)})
        assert same_site.status_code == 200
    # An Authorization header with no token in it ("Bearer ") let the request past the guard, and the cookie then signed
    # it in (http.client: httpx refuses to send a header value ending in a space).
    host, port = str(hub.base_url).removeprefix("http://").rstrip("/").split(":")
    for empty in ("Bearer ", "Bearer  ", "Bearer", ""):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("POST", "/api/agent/presence", body=json.dumps({"presence": "away"}), headers={
            "Cookie": f"cs_agent={cookie['cs_agent']}", "Origin": "https://evil.example", "Authorization": empty, "Content-Type": "application/json"})
        status = conn.getresponse().status
        conn.close()
        assert status in (401, 403), (empty, status)


def test_over_https_cookies_are_secure_and_hsts_is_sent(stack, agents, settings):
    from tests.clients import start_hub

    proc, url = start_hub(settings.rasa_port, timeout=15, CS_PUBLIC_URL="https://support.shop.example")
    try:
        login = httpx.post(f"{url}/api/agent/login", json={"username": "alice", "password": "correct-horse-battery"})
        cookie = login.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert "max-age=31536000" in httpx.get(f"{url}/chat").headers["strict-transport-security"]
    finally:
        proc.terminate()
        proc.wait(10)
