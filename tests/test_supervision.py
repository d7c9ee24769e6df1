"""A supervised, self-healing product: ``kill -9`` any service under the real launcher (``./run.sh``'s
``python -m core.launcher``) and it comes back by itself while the rest keeps serving; customers are told
and queued while the bot is away, get a clear 503 while Redis is away, nothing they sent is lost, no
orphan keeps a port, and a launcher that was itself killed leaves nothing that stops the next start.

This test runs its own stack on its own ports and data directory, beside the session's.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from core.stack import APP_PYTHON
from tests.clients import ROOT, free_port

VAR = ROOT / "var" / "test-supervision"
QUESTION = "How much does shipping cost? Is there free delivery?"


class Launcher:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.log = VAR / "launcher.out"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 400) -> float:
        VAR.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        out = open(self.log, "w")
        self.proc = subprocess.Popen([str(APP_PYTHON), "-m", "core.launcher"], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        while time.monotonic() - started < timeout:
            if "Press Ctrl-C" in self.log.read_text():
                return time.monotonic() - started
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(f"launcher did not start:\n{self.log.read_text()[-3000:]}")

    def groups(self) -> dict[str, int]:
        return json.loads((VAR / "run" / "services.json").read_text())["groups"]

    def output(self) -> str:
        return self.log.read_text()


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def wait_until(predicate, timeout: float, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(step)
    return None


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def launcher(stack):  # after the session stack, so the Rasa model is trained and cached
    shutil.rmtree(VAR, ignore_errors=True)
    ports = {"CS_HUB_PORT": free_port(), "CS_RASA_PORT": free_port(), "CS_ACTION_PORT": free_port(), "CS_EMBEDDED_REDIS_PORT": free_port()}
    # Exposed as an operator would for the widget: the hub on every interface; the rest must stay on loopback.
    env = {**{k: v for k, v in os.environ.items() if k != "REDIS_URL"}, **{k: str(v) for k, v in ports.items()}, "CS_VAR_DIR": str(VAR), "CS_HOST": "0.0.0.0"}
    launcher = Launcher(env)
    launcher.ports = ports
    launcher.url = f"http://127.0.0.1:{ports['CS_HUB_PORT']}"
    launcher.start()
    yield launcher
    if launcher.proc and launcher.proc.poll() is None:
        launcher.proc.send_signal(signal.SIGINT)
        launcher.proc.wait(60)


class Chat:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        body = self.http.post("/api/conversations", json={"language": "en"}).json()
        self.id, self.headers = body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}

    def say(self, text: str) -> httpx.Response:
        return self.http.post(f"/api/conversations/{self.id}/messages", json={"text": text}, headers=self.headers)

    def transcript(self) -> list[dict]:
        return self.http.get(f"/api/conversations/{self.id}/messages", headers=self.headers).json()


def healthy(url: str, part: str) -> bool:
    return httpx.get(f"{url}/healthz", timeout=5).json()[part]["ok"]


def kill(launcher: Launcher, name: str) -> tuple[int, float]:
    pgid = launcher.groups()[name]
    os.kill(pgid, signal.SIGKILL)
    return pgid, time.monotonic()


def listening(port: int) -> set[str]:
    """The local addresses something listens on at ``port`` (IPv4, from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


def test_only_the_hub_faces_the_network_and_the_first_admin_must_change_the_generated_password(launcher):
    ports = launcher.ports
    assert listening(ports["CS_HUB_PORT"]) == {"0.0.0.0"}
    for internal in ("CS_RASA_PORT", "CS_ACTION_PORT", "CS_EMBEDDED_REDIS_PORT"):
        assert listening(ports[internal]) == {"127.0.0.1"}, internal
    secret = VAR / "secrets" / "initial-admin-password"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    password = secret.read_text().strip()
    assert password not in launcher.output()  # not a terminal: not printed
    assert password not in "".join(p.read_text(errors="replace") for p in (VAR / "logs").glob("*.log"))
    assert f"The password is also in {secret} (readable by you only) until you change it" in launcher.output()
    token = httpx.post(f"{launcher.url}/api/agent/login", json={"username": "admin", "password": password}).json()["token"]
    refused = httpx.get(f"{launcher.url}/api/agent/queue", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and "change your password" in refused.json()["detail"]
    # ...and once it is changed, the launcher's "until you change it" holds: the file is gone.
    changed = httpx.post(f"{launcher.url}/api/agent/password", json={"current": password, "new": "the-admins-own-passphrase"},
                         headers={"Authorization": f"Bearer {token}"})
    assert changed.status_code == 200 and not secret.exists()


def test_the_launcher_prints_where_valkey_runs_but_not_its_password(launcher):
    valkey_password = (VAR / "secrets" / "valkey-password").read_text().strip()
    printed = launcher.output()
    assert f"Redis: embedded Valkey on redis://:***@127.0.0.1:{launcher.ports['CS_EMBEDDED_REDIS_PORT']}/0" in printed
    assert valkey_password not in printed
    assert valkey_password not in "".join(p.read_text(errors="replace") for p in (VAR / "logs").glob("*.log"))


@pytest.mark.parametrize("service, back_within", [("actions", 120), ("rasa", 240)])
def test_bot_services_come_back_and_customers_are_queued_meanwhile(launcher, service, back_within):
    pgid, killed_at = kill(launcher, service)
    meanwhile = Chat(launcher.url)
    reply = meanwhile.say(QUESTION)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["conversation"]["status"] == "queued"  # escalated, not left hanging
    assert "bot_unavailable" in [m["meta"].get("kind") for m in body["replies"]]
    assert wait_until(lambda: healthy(launcher.url, service), back_within), launcher.output()[-2000:]
    back = time.monotonic() - killed_at
    assert not group_alive(pgid), f"{service}: processes of the killed group are still running"
    assert f"{service} stopped unexpectedly" in launcher.output()
    # "back" once warm (the action server loads its models first): from then on the bot answers again
    assert wait_until(lambda: f"{service} is back" in launcher.output(), 60)
    after = Chat(launcher.url).say(QUESTION).json()
    assert after["replies"][0]["meta"].get("decision") == "answer" and "¥99" in after["replies"][0]["text"]
    print(f"\n[supervision] {service}: back {back:.1f} s after kill -9")


def test_the_hub_comes_back_and_nothing_is_lost(launcher):
    chat = Chat(launcher.url)
    assert chat.say("hello").status_code == 200
    pgid, killed_at = kill(launcher, "hub")
    assert wait_until(lambda: httpx.get(f"{launcher.url}/healthz", timeout=5).status_code == 200, 120), launcher.output()[-2000:]
    back = time.monotonic() - killed_at
    assert not group_alive(pgid)
    chat.http = httpx.Client(base_url=launcher.url, timeout=60)
    assert chat.say(QUESTION).status_code == 200
    texts = [m["text"] for m in chat.transcript() if m["sender"] == "customer"]
    assert texts == ["hello", QUESTION]
    print(f"\n[supervision] hub: back {back:.1f} s after kill -9")


def test_redis_away_is_a_clear_503_then_normal_service_and_nothing_lost(launcher):
    chat = Chat(launcher.url)
    first = chat.say("hello")
    assert first.status_code == 200
    pgid, killed_at = kill(launcher, "redis")
    during = chat.say("are you there?")
    assert during.status_code == 503, during.text
    assert int(during.headers["retry-after"]) > 0 and "try again" in during.json()["detail"]
    health = httpx.get(f"{launcher.url}/healthz", timeout=10)
    assert health.status_code in (200, 503)  # 503 while away; it may already be back
    assert wait_until(lambda: chat.say("are you back?").status_code == 200, 60), launcher.output()[-2000:]
    back = time.monotonic() - killed_at
    assert not group_alive(pgid)
    texts = [m["text"] for m in chat.transcript() if m["sender"] == "customer"]
    assert texts == ["hello", "are you back?"]  # what was acknowledged survived the kill; the refused one was never stored
    assert wait_until(lambda: Chat(launcher.url).say(QUESTION).json()["replies"][0]["meta"].get("decision") == "answer", 60)
    print(f"\n[supervision] redis: serving again {back:.1f} s after kill -9")


def workers_holding(leader: int, port: int) -> list[int]:
    """The processes of ``leader``'s group, other than the leader, holding the socket that listens on ``port``."""
    inodes = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
              if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port}
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or int(proc.name) == leader or os.getpgid(int(proc.name)) != leader:
                continue
            if any(os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
        except OSError:
            pass
    return found


def test_a_service_alive_but_not_serving_is_restarted_and_the_bot_answers_again(launcher):
    """The action server's Sanic main process outlives its killed worker: it keeps the port open, nobody answers,
    nothing exits. Its health probes fail, the launcher restarts it, and the bot answers again: nothing done by hand."""
    leader = launcher.groups()["actions"]
    workers = workers_holding(leader, launcher.ports["CS_ACTION_PORT"])
    assert workers, "no worker process of the action server holds its port"
    before = len(launcher.output())
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert wait_until(lambda: "actions: health check failed" in launcher.output()[before:], 120), launcher.output()[before:]
    assert wait_until(lambda: "actions is back" in launcher.output()[before:], 300), launcher.output()[before:]
    back = time.monotonic() - killed_at
    assert launcher.groups()["actions"] != leader and not group_alive(leader)  # the whole old group is gone
    after = Chat(launcher.url).say(QUESTION).json()
    assert after["replies"][0]["meta"].get("decision") == "answer" and "¥99" in after["replies"][0]["text"]
    print(f"\n[supervision] actions: worker killed, main alive; serving again {back:.1f} s later")


def test_a_killed_launcher_leaves_nothing_behind_and_starts_again(launcher):
    groups = launcher.groups()
    os.kill(launcher.proc.pid, signal.SIGKILL)
    launcher.proc.wait(10)
    # Its services get SIGTERM from the kernel when it dies: every port is released, no process of theirs remains.
    assert wait_until(lambda: all(not group_alive(g) for g in groups.values()), 60), {n: group_alive(g) for n, g in groups.items()}
    assert all(port_free(p) for p in launcher.ports.values())
    took = launcher.start()
    assert httpx.get(f"{launcher.url}/healthz", timeout=10).json()["status"] == "ok"
    launcher.proc.send_signal(signal.SIGINT)
    assert launcher.proc.wait(90) == 0
    assert all(port_free(p) for p in launcher.ports.values())
    assert not (VAR / "run" / "services.json").exists()
    print(f"\n[supervision] launcher: started again in {took:.1f} s after kill -9")


def test_leftovers_of_a_crashed_launcher_are_stopped_at_the_next_start(tmp_path):
    """Without the kernel's help (a service that ignores SIGTERM from a dying parent): the record on disk is enough."""
    from core.supervisor import Service, Supervisor

    run = tmp_path / "run"
    first = Supervisor(run, tmp_path / "logs", {**os.environ}, say=lambda _: None)
    first.start(Service("sleeper", ["bash", "-c", "trap '' TERM; sleep 600 & wait"], cwd=ROOT), wait=False)
    pgid = first.pid("sleeper")
    time.sleep(0.5)
    state = json.loads((run / "services.json").read_text())
    (run / "services.json").write_text(json.dumps({**state, "supervisor": 0}))  # as if its supervisor had died
    second = Supervisor(run, tmp_path / "logs", {**os.environ}, say=lambda _: None)
    assert second.clean_leftovers(owned_by=Path(ROOT)) == ["sleeper"]
    first.running["sleeper"].proc.wait(5)  # reap the leader here (a dead supervisor's children are reaped by init)
    assert wait_until(lambda: not group_alive(pgid), 5)


def test_a_hung_service_is_restarted_and_serves_again(tmp_path):
    """A SIGSTOPped service never exits: only its failing health probes show it no longer serves."""
    from core.supervisor import HealthPolicy, Service, Supervisor

    said: list[str] = []
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    (tmp_path / "index.html").write_text("hello")
    supervisor = Supervisor(tmp_path / "run", tmp_path / "logs", {**os.environ}, say=said.append,
                            health=HealthPolicy(every=0.5, timeout=1.0, failures=3, window=2.0, grace=3.0))
    supervisor.start(Service("web", [str(APP_PYTHON), "-m", "http.server", str(port), "--bind", "127.0.0.1"], ready_url=url, cwd=tmp_path))
    try:
        first = supervisor.pid("web")

        def supervise_until(predicate, timeout: float) -> bool:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                supervisor.check()
                if predicate():
                    return True
                time.sleep(0.2)
            return False

        # Serving: probed all along, never restarted.
        assert not supervise_until(lambda: supervisor.pid("web") != first, 5), said
        os.killpg(first, signal.SIGSTOP)
        assert supervise_until(lambda: supervisor.pid("web") not in (None, first), 60), said
        assert any(line.startswith("web: health check failed") and "restarting" in line for line in said), said
        assert supervise_until(lambda: any(line.startswith("web is back") for line in said), 60), said
        assert httpx.get(url + "index.html", timeout=5).text == "hello"
        assert wait_until(lambda: not group_alive(first), 10)
    finally:
        supervisor.stop_all(grace=5)
