"""Hostile input over every REST and WebSocket endpoint: never a 5xx, never a hang, and the hub keeps serving.

Malformed ids and stream positions, ids that try to reach other Redis keys, broken and deeply nested
JSON, wrong types, oversize and chunked bodies, non-spreadsheets and zip bombs as imports, binary,
invalid and oversize WebSocket frames.
"""

from __future__ import annotations

import io
import json
import select
import socket
import time
import zipfile

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.clients import PASSWORD, AgentClient, Customer, run_cli

BAD_IDS = ["doesnotexist", "x" * 5000, "..%2F..%2Fetc%2Fpasswd", "%00", "a:transcript", "0" * 32 + ":transcript", "'%20OR%201=1", "%F0%9F%99%82", "%20", "*", "0" * 31 + "G"]
BAD_STREAM_IDS = ["abc", "-1", "99999999999999999999999-1", "1-", "+", "-", "(1-1", "1-1-1", "9" * 30, "%00", "0-0"]
# Twenty digits, as a stream id may have, but past the 64 bits Redis takes ("Invalid stream ID").
PAST_64_BITS = ["99999999999999999999-99999999999999999999", f"{2**64}-0", f"0-{2**64}"]
LAST_STREAM_ID = f"{2**64 - 1}-{2**64 - 1}"  # the largest Redis takes: nothing can come after it
BAD_BODIES: list[bytes] = [
    b"", b"{", b'{"text": "hi",', b"null", b"[]", b"123", b'"text"', b"\xff\xfe\x00",
    b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    json.dumps({"text": 123}).encode(), json.dumps({"text": None}).encode(), json.dumps({"text": ["a"]}).encode(),
    json.dumps({"text": {"$gt": ""}}).encode(), b'{"text": "\\ud800"}', json.dumps({"text": "a\x00b"}).encode(),
    json.dumps({"score": "5", "comment": 7}).encode(), json.dumps({"score": 1e308}).encode(), json.dumps({"language": "xx", "channel": "web/../x"}).encode(),
    json.dumps({"message_id": "abc", "helpful": "maybe"}).encode(), json.dumps({"to": "x" * 500}).encode(), json.dumps({"version": -1}).encode(),
    json.dumps({"question": "", "language": "fr"}).encode(), json.dumps({"username": "a" * 1000, "password": None}).encode(),
    json.dumps({"presence": "invisible"}).encode(), json.dumps({"id": "../x", "question": "q", "answer": "a", "phrasings": "notalist"}).encode(),
    json.dumps({"questions": [], "language": "en", "id": ""}).encode(),
]


def endpoints(cid: str) -> list[tuple[str, str]]:
    """(method, path) of every REST endpoint that takes input, with a real conversation id."""
    return [
        ("POST", "/api/conversations"),
        ("POST", f"/api/conversations/{cid}/messages"), ("POST", f"/api/conversations/{cid}/rating"),
        ("POST", f"/api/conversations/{cid}/feedback"), ("POST", f"/api/conversations/{cid}/handoff"), ("POST", f"/api/conversations/{cid}/cancel"),
        ("POST", "/api/agent/login"), ("POST", "/api/agent/presence"), ("POST", f"/api/agent/conversations/{cid}/messages"),
        ("POST", f"/api/agent/conversations/{cid}/transfer"), ("POST", f"/api/agent/conversations/{cid}/claim"),
        ("POST", "/api/kb/entries"), ("PUT", "/api/kb/entries/some-entry"), ("POST", "/api/kb/try"), ("POST", "/api/kb/rollback"), ("POST", "/api/kb/gaps/draft"),
    ]


@pytest.fixture
def people(hub, agents):
    customer = Customer(hub, "en")
    return {"customer": customer, "agent": AgentClient(hub, "alice"), "editor": AgentClient(hub, "erin")}


def headers_for(path: str, people: dict) -> dict:
    if path.startswith("/api/kb"):
        return people["editor"].headers
    if path.startswith("/api/agent"):
        return people["agent"].headers
    return people["customer"].headers


def check(resp: httpx.Response, what: str) -> None:
    assert resp.status_code < 500, f"{what}: {resp.status_code} {resp.text[:300]}"
    if resp.status_code >= 400 and resp.headers.get("content-type", "").startswith("application/json"):
        assert "detail" in resp.json(), f"{what}: an error must say what is wrong"


def test_bad_bodies_on_every_endpoint(hub, people):
    cid = people["customer"].id
    for method, path in endpoints(cid):
        for body in BAD_BODIES:
            resp = hub.request(method, path, content=body, headers={**headers_for(path, people), "content-type": "application/json"})
            check(resp, f"{method} {path} {body[:40]!r}")
        for content_type in ("text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"):
            resp = hub.request(method, path, content=b"text=hi&&&--x--", headers={**headers_for(path, people), "content-type": content_type})
            check(resp, f"{method} {path} as {content_type}")


def test_bad_ids_never_reach_redis(hub, people):
    customer, agent, editor = people["customer"], people["agent"], people["editor"]
    for bad in BAD_IDS:
        for method, path in [("GET", f"/api/conversations/{bad}"), ("GET", f"/api/conversations/{bad}/messages"), ("POST", f"/api/conversations/{bad}/messages"),
                             ("POST", f"/api/conversations/{bad}/cancel"), ("POST", f"/api/conversations/{bad}/rating")]:
            resp = hub.request(method, path, json={"text": "hi", "score": 3}, headers=customer.headers)
            check(resp, f"{method} {path}")
            assert resp.status_code in (404, 422), (path, resp.status_code)
        for suffix in ("", "/claim", "/messages", "/resolve", "/handback", "/transfer", "/suggestions"):
            method = "GET" if suffix in ("", "/suggestions") else "POST"
            resp = hub.request(method, f"/api/agent/conversations/{bad}{suffix}", json={"text": "hi", "to": "bob"}, headers=agent.headers)
            check(resp, f"agent {method} {bad}{suffix}")
        for suffix in ("", "/history"):
            check(hub.get(f"/api/kb/entries/{bad}{suffix}", headers=editor.headers), f"kb entry {bad}")
    # An id that names a real conversation's other keys is a well-formed-id check, not a Redis type error.
    resp = hub.get(f"/api/conversations/{customer.id}:transcript", headers=customer.headers)
    assert resp.status_code in (404, 422)


def test_usernames_that_name_other_account_keys_are_no_account(hub, people, stack):
    """"alice:chats" is the key of alice's set of chats: signing in as it (no session needed), or an admin changing,
    resetting or removing it, ran a hash command on that set, and the hub answered 500 (WRONGTYPE)."""
    admin_name = "ada-hostile"
    proc = run_cli("-m", "handoff", "add", admin_name, "--name", "Ada", "--role", "admin", "--password", PASSWORD)
    assert proc.returncode == 0, proc.stderr
    admin = AgentClient(hub, admin_name)
    agent = people["agent"]
    for suffix in (":chats", ":sessions", ":history"):
        name = f"alice{suffix}"
        resp = hub.post("/api/agent/login", json={"username": name, "password": PASSWORD})
        assert resp.status_code == 401, (name, resp.status_code, resp.text[:200])
        for method, path in [("PATCH", f"/api/admin/agents/{name}"), ("POST", f"/api/admin/agents/{name}/password"), ("DELETE", f"/api/admin/agents/{name}")]:
            resp = hub.request(method, path, json={"capacity": 5}, headers=admin.headers)
            assert resp.status_code == 404, (method, path, resp.status_code, resp.text[:200])
        assert agent.post(f"/conversations/{people['customer'].id}/transfer", {"to": name}).status_code < 500
        assert hub.post("/api/agent/tickets/T-1/reassign", json={"to": name}, headers=admin.headers).status_code < 500
        assert hub.put(f"/api/agent/conversations/{people['customer'].id}/customer/dedicated", json={"agent": name}, headers=admin.headers).status_code < 500
    assert agent.get("/conversations").status_code == 200  # alice's keys are as they were


def test_bad_stream_positions_and_limits(hub, people):
    customer, editor = people["customer"], people["editor"]
    customer.say("hello")
    first = customer.transcript()[0]
    for bad in BAD_STREAM_IDS:
        resp = hub.get(f"/api/conversations/{customer.id}/messages", params={"after": bad}, headers=customer.headers)
        check(resp, f"after={bad}")
        assert resp.status_code in (200, 422)
        resp = hub.post(f"/api/conversations/{customer.id}/feedback", json={"message_id": bad, "helpful": False}, headers=customer.headers)
        check(resp, f"feedback message_id={bad}")
    assert hub.get(f"/api/conversations/{customer.id}/messages", params={"after": first["id"]}, headers=customer.headers).status_code == 200
    for past in PAST_64_BITS:  # a 422 that says why, not Redis's error as a 500
        resp = hub.get(f"/api/conversations/{customer.id}/messages", params={"after": past}, headers=customer.headers)
        assert resp.status_code == 422 and "2**64" in resp.text, (past, resp.status_code, resp.text[:200])
        resp = hub.post(f"/api/conversations/{customer.id}/feedback", json={"message_id": past, "helpful": False}, headers=customer.headers)
        assert resp.status_code == 422 and "2**64" in resp.text, (past, resp.status_code, resp.text[:200])
        resp = hub.post(f"/api/agent/conversations/{customer.id}/messages/{past}/reveal", headers=people["agent"].headers)
        assert resp.status_code == 422, (past, resp.status_code, resp.text[:200])
    last = hub.get(f"/api/conversations/{customer.id}/messages", params={"after": LAST_STREAM_ID}, headers=customer.headers)
    assert last.status_code == 200 and last.json() == []
    for limit in ("-1", "0", "99999999999999999999", "abc", "1e9"):
        check(hub.get("/api/kb/gaps", params={"limit": limit}, headers=editor.headers), f"gaps limit={limit}")
    for fmt in ("exe", "", "json'"):
        check(hub.get("/api/kb/export", params={"format": fmt}, headers=editor.headers), f"export format={fmt}")
    for q in ("%", "*" * 3000, "\x00", "(?i)"):
        check(hub.get("/api/kb/entries", params={"q": q, "language": "xx"}, headers=editor.headers), f"entries q={q!r}")


def test_oversize_bodies_with_and_without_a_length(hub, people, settings):
    customer = people["customer"]
    url = f"/api/conversations/{customer.id}/messages"

    def chunks():
        for _ in range(160):  # 10 MB, sent chunked: no Content-Length to check up front
            yield b"x" * 65536

    resp = hub.post(url, content=chunks(), headers={**customer.headers, "content-type": "application/json"})
    assert resp.status_code == 413 and "limit" in resp.json()["detail"]
    # A declared length over the limit is refused before the body is read (raw socket: clients refuse to lie).
    host, port = settings.hub_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(f"POST {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {customer.token}\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{{}}".encode())
        assert raw.recv(200).startswith(b"HTTP/1.1 413")
    # Nothing of it was stored.
    assert not [m for m in customer.transcript() if m["text"].startswith("xxxx")]


def test_headers_past_the_limit_are_refused_before_the_rest_is_read(hub, people, settings):
    """Anyone could send a header line as long as they liked (200 MB was held in the hub's memory, and answered 200):
    a head over ``max_header_bytes`` is a 431 and a closed connection, answered while the client is still sending."""
    host, port = settings.hub_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ")
        answer = b""
        try:
            for _ in range(1024):  # 64 MB, 64 kB at a time, until the hub answers
                sock.sendall(b"a" * 65536)
                if select.select([sock], [], [], 0)[0]:
                    break
        except OSError:  # the hub closed the connection: what it answered is in the socket's buffer
            pass
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"too large" in answer
    # A large but reasonable head (a long cookie, many proxy headers) is served; the customer API works on.
    big = {"Cookie": "x=" + "c" * 8000, **{f"X-Proxy-{n}": "v" * 200 for n in range(50)}}
    assert hub.get("/healthz", headers=big).status_code == 200
    assert people["customer"].say("hello")["message"]["text"] == "hello"


def test_imports_that_are_not_spreadsheets_or_are_zip_bombs(hub, people):
    editor = people["editor"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))  # 60 MB of zeros: ~60 KB zipped
    not_xlsx = io.BytesIO()
    with zipfile.ZipFile(not_xlsx, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    cases = [
        ("kb.xlsx", b"this is not a zip", (415,)),
        ("kb.xlsx", bomb.getvalue(), (413,)),
        ("kb.xlsx", not_xlsx.getvalue(), (415,)),
        ("kb.xlsx", b"PK\x03\x04" + b"\0" * 100, (415, 422)),
        ("kb.json", b'{"entries": [' * 5000, (400, 422)),
        ("kb.json", b"[" * 100_000, (400, 422)),
        ("kb.csv", b"\xff\xfe garbage,,,\n\x00", (422,)),
        ("../../etc/passwd", b"root:x:0:0", (415,)),
        ("kb.exe", b"MZ", (415,)),
    ]
    for name, data, expected in cases:
        resp = hub.post("/api/kb/import", files={"file": (name, data)}, headers=editor.headers)
        check(resp, f"import {name}")
        assert resp.status_code in expected, (name, resp.status_code, resp.text[:200])
    resp = hub.post("/api/kb/import", headers=editor.headers)
    assert resp.status_code == 422  # no file at all


def test_hostile_websocket_frames(hub, people, settings):
    customer = people["customer"]
    ws_base = settings.hub_url.replace("http", "ws")
    url = f"{ws_base}/api/conversations/{customer.id}/ws?token={customer.token}"
    with connect(url) as ws:
        while json.loads(ws.recv(timeout=10))["type"] != "status":  # replay and status come first
            pass
        for bad in [b"\x00\x01binary", "not json", "[1, 2, 3]", "42", "[" * 50_000, json.dumps({"type": "message", "text": "x" * 5000}),
                    json.dumps({"type": "message"}), json.dumps({"type": "message", "text": 5}), json.dumps({"type": "unknown-kind"})]:
            ws.send(bad)
            frame = json.loads(ws.recv(timeout=10))
            assert frame["type"] == "error" and frame["detail"], (bad[:20], frame)
        ws.send(json.dumps({"type": "typing", "active": True}))
        ws.send(json.dumps({"type": "message", "text": "hello after all that", "client_message_id": "ws-ok"}))
        seen = []
        for _ in range(20):
            frame = json.loads(ws.recv(timeout=30))
            seen.append(frame)
            if frame["type"] == "message" and frame["message"]["sender"] == "bot":
                break
        assert any(f["type"] == "message" and f["message"]["text"] == "hello after all that" for f in seen)
    # A frame over the limit closes the socket with 1009 (message too big) instead of being read.
    with connect(url, max_size=None) as ws:
        ws.send("x" * (settings.max_ws_frame_bytes + 1))
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(100):
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    # Wrong token, malformed id, malformed position: refused with a close code the client sees, not an error page.
    for bad_url, code in [(f"{ws_base}/api/conversations/{customer.id}/ws?token=wrong", 4403),
                          (f"{ws_base}/api/conversations/{'a:transcript'}/ws?token=x", 4403),
                          (f"{ws_base}/api/conversations/{customer.id}/ws?token={customer.token}&after=abc", 4422),
                          *((f"{ws_base}/api/conversations/{customer.id}/ws?token={customer.token}&after={past}", 4422) for past in PAST_64_BITS),
                          (f"{ws_base}/api/agent/ws?token=nope", 4401)]:
        with pytest.raises(ConnectionClosed) as refused:
            with connect(bad_url) as ws:
                ws.recv(timeout=10)
        assert refused.value.rcvd is not None and refused.value.rcvd.code == code, (bad_url, refused.value)
    # The largest position there is: nothing to replay, then the status, as after any other.
    with connect(f"{url}&after={LAST_STREAM_ID}") as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "status"
    # Agent socket: garbage frames are ignored, the socket stays usable.
    agent = people["agent"]
    with connect(f"{ws_base}/api/agent/ws?token={agent.token}") as ws:
        for bad in [b"\x00binary", "not json", "[]", json.dumps({"type": "typing", "conversation_id": {"$ne": 1}})]:
            ws.send(bad)
        ws.send(json.dumps({"type": "ping"}))


def test_times_that_are_not_finite_or_past_any_date_are_422(hub, people):
    """Epoch seconds in a query: ``inf`` made the audit log an OverflowError (a 500); ``nan``, ``1e308`` and a year
    past 9999 are no time either."""
    assert run_cli("-m", "handoff", "add", "hal", "--role", "admin", "--password", PASSWORD).returncode == 0
    signed_in = hub.post("/api/agent/login", json={"username": "hal", "password": PASSWORD, "take_chats": False})
    admin, agent = {"Authorization": f"Bearer {signed_in.json()['token']}"}, people["agent"].headers
    for bad in ("inf", "-inf", "Infinity", "nan", "1e308", "253402300800"):
        resp = hub.get("/api/admin/audit", params={"since": bad}, headers=admin)
        assert resp.status_code == 422 and "since" in resp.text, (bad, resp.status_code, resp.text[:200])
        for name in ("since", "until"):
            resp = hub.get("/api/agent/history", params={name: bad}, headers=agent)
            assert resp.status_code == 422 and name in resp.text, (name, bad, resp.status_code, resp.text[:200])
    assert hub.get("/api/admin/audit", params={"since": "253402300799"}, headers=admin).json() == []
    assert hub.get("/api/admin/audit", params={"since": "0", "limit": 1}, headers=admin).status_code == 200
    assert hub.get("/api/agent/history", params={"since": "0", "until": "253402300799"}, headers=agent).status_code == 200


def test_the_hub_still_serves_after_all_of_it(hub, customer_factory):
    health = hub.get("/healthz")
    assert health.status_code == 200 and health.json()["redis"]["ok"]
    c = customer_factory("en")
    assert c.say("hello")["replies"]


def test_secrets_with_characters_outside_ascii_are_wrong_not_a_server_error(hub, settings):
    """compare_digest refuses a str with non-ASCII characters with a TypeError: a shop signature of "签名" or a
    metrics token of "é" was a 500 (counted as a server error on /metrics, so anyone could set off 5xx alerts)."""
    from tests.clients import start_hub

    signed = {"ref": "cust-2001", "tier": "vip", "name": "王芳"}
    started = hub.post("/api/conversations", json={"language": "zh", "customer": {**signed, "signature": "签名"}})
    assert started.status_code < 500
    proc, url = start_hub(settings.rasa_port, timeout=15, CS_METRICS_TOKEN="the-metrics-token")
    try:
        with httpx.Client(base_url=url, timeout=30) as guarded:
            wrong = guarded.get("/metrics", headers={"Authorization": "Bearer é令牌".encode()})
            assert wrong.status_code == 401
            right = guarded.get("/metrics", headers={"Authorization": "Bearer the-metrics-token"})
            assert right.status_code == 200 and 'status="500"' not in right.text
    finally:
        proc.terminate()
        proc.wait(10)


def _answer(sock: socket.socket) -> bytes:
    """What the hub answers on ``sock`` until it closes the connection (the socket's own timeout bounds the wait)."""
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except TimeoutError:
        pass
    return answer


def test_an_upload_whose_body_stops_arriving_is_answered_408_and_closed(stack, settings):
    """A client could send the head of a picture upload and then nothing (or a byte now and then): the hub waited for
    the rest for ever, holding the connection and what had come (a few thousand such clients hold its memory and
    file descriptors). A body with nothing new for ``body_idle_seconds`` is answered 408 and its connection closed,
    declared or chunked; one that keeps coming, however slowly, is taken."""
    from tests.clients import start_hub
    from tests.test_channel_attachments import png

    proc, url = start_hub(settings.rasa_port, timeout=15, CS_BODY_IDLE_SECONDS="3")
    try:
        started = httpx.post(f"{url}/api/conversations", json={"language": "en"}).json()
        cid, token = started["conversation_id"], started["token"]
        host, port = url.removeprefix("http://").split(":")
        head = f"POST /api/conversations/{cid}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: image/png\r\n"
        for framing, first in ((f"Content-Length: {100_000}\r\n\r\n", b"\x89PNG\r\n\x1a\n"),
                               ("Transfer-Encoding: chunked\r\n\r\n", b"8\r\n\x89PNG\r\n\x1a\n\r\n")):
            with socket.create_connection((host, int(port)), timeout=60) as sock:
                sock.sendall((head + framing).encode() + first)
                answer = _answer(sock)  # the hub closes it: no hanging until our own timeout
            assert answer.startswith(b"HTTP/1.1 408"), (framing, answer[:200])
            assert b"stopped arriving" in answer

        picture = png(40, 30, (10, 200, 10))
        with socket.create_connection((host, int(port)), timeout=60) as sock:  # slow but steady: taken
            sock.sendall((head + f"Content-Length: {len(picture)}\r\nConnection: close\r\n\r\n").encode())
            for at in range(0, len(picture), len(picture) // 4 + 1):
                time.sleep(1)
                sock.sendall(picture[at:at + len(picture) // 4 + 1])
            answer = _answer(sock)
        assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
        lines = httpx.get(f"{url}/api/conversations/{cid}/messages", headers={"Authorization": f"Bearer {token}"}).json()
        assert [m["meta"]["media"]["size"] for m in lines if m["meta"].get("kind") == "attachment"] == [len(picture)]
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_request_head_that_trickles_in_is_answered_408_and_a_silent_connection_closed(stack, settings):
    """uvicorn timed out idle connections only after a response: a client that opened connections and sent nothing,
    or a request's head a byte now and then (slowloris), held each connection for ever. A head not complete within
    ``head_timeout_seconds`` is answered 408 and closed; a silent connection is closed; a WebSocket, whose head
    ended at its upgrade, and a keep-alive connection that sends its next request in time, are kept."""
    from tests.clients import start_hub

    proc, url = start_hub(settings.rasa_port, timeout=15, CS_HEAD_TIMEOUT_SECONDS="3")
    try:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=60) as sock:  # a head a byte at a time
            for byte in b"GET /console HTTP/1.1\r\nHost: x\r\nX-Slow: ":
                sock.sendall(bytes([byte]))
            trickle_until = time.monotonic() + 30
            answer = b""
            while time.monotonic() < trickle_until:  # keeps sending, never ends the head
                try:
                    sock.sendall(b"a")
                except OSError:
                    break
                ready, _, _ = select.select([sock], [], [], 0.5)
                if ready:
                    answer = _answer(sock)
                    break
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"request head not complete" in answer

        with socket.create_connection((host, int(port)), timeout=60) as sock:  # nothing at all: closed, no answer
            assert _answer(sock) == b""

        started = httpx.post(f"{url}/api/conversations", json={"language": "en"}).json()
        ws_url = url.replace("http://", "ws://") + f"/api/conversations/{started['conversation_id']}/ws?token={started['token']}"
        with connect(ws_url, open_timeout=30) as ws, httpx.Client(base_url=url, timeout=30) as kept:
            assert kept.get("/console").status_code == 200
            time.sleep(5)  # past the head timeout
            assert kept.get("/console").status_code == 200  # a later request is served as ever
            ws.send(json.dumps({"type": "typing", "active": True}))  # still open: no close frame, no error
            ws.ping().wait(10)
    finally:
        proc.terminate()
        proc.wait(30)
