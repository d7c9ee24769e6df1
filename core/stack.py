"""Starting and stopping the whole product: Redis, a trained Rasa model, the action server, Rasa, the hub.

``./run.sh`` runs it in the foreground; the test suite starts one stack per
session on its own ports and data directory. Re-runs reuse what is built: the
Rasa model is cached by a hash of the training data, the KB is imported only
when empty.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from core.redis import redis_url, start_embedded, sync_client
from core.settings import ROOT, Settings

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
TRAINING_FILES = ["config.yml", "domain.yml", "data/nlu.yml", "data/rules.yml", "data/stories.yml"]
STARTER_KB = ROOT / "data" / "faq" / "starter.json"


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def say(text: str) -> None:
    print(f"[stack] {text}", flush=True)


def training_hash() -> str:
    digest = hashlib.sha256()
    for name in TRAINING_FILES:
        path = ROOT / name
        if path.exists():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    digest.update(b"rasa==3.6.21")
    return digest.hexdigest()[:16]


def ensure_model(models_dir: Path, cache_dir: Path) -> Path:
    """The trained Rasa model for the current training data; trains only if the data changed."""
    name = f"model-{training_hash()}"
    model = models_dir / f"{name}.tar.gz"
    if model.exists():
        say(f"Rasa model up to date ({model.name})")
        return model
    models_dir.mkdir(parents=True, exist_ok=True)
    say("training the Rasa model (first run or training data changed; about 1-2 minutes)...")
    started = time.time()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(cache_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = models_dir / "train.log"
    with open(log, "w") as out:
        proc = subprocess.run(
            [str(RASA_BIN), "train", "--fixed-model-name", name, "--out", str(models_dir), "--num-threads", "2"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    if proc.returncode != 0 or not model.exists():
        raise RuntimeError(f"rasa train failed; see {log}")
    say(f"trained in {time.time() - started:.0f} s")
    return model


@dataclass
class Stack:
    settings: Settings
    env: dict[str, str] = field(default_factory=dict)  # CS_* overrides passed to every child
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    redis_server: object | None = None
    quiet: bool = False

    @property
    def logs(self) -> Path:
        return self.settings.var_dir / "logs"

    def child_env(self) -> dict[str, str]:
        url = urlparse(redis_url(self.settings))
        return {
            **os.environ,
            **self.env,
            "CS_VAR_DIR": str(self.settings.var_dir),
            "REDIS_URL": redis_url(self.settings),
            # Rasa's endpoints.yml reads these:
            "REDIS_HOST": url.hostname or "127.0.0.1",
            "REDIS_PORT": str(url.port or 6379),
            "REDIS_DB": (url.path or "/0").lstrip("/") or "0",
            "REDIS_PASSWORD": url.password or "",
            "ACTION_ENDPOINT_URL": self.settings.action_url,
            "RASA_TELEMETRY_ENABLED": "false",
            "SANIC_HOST": self.settings.host,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "PYTHONUNBUFFERED": "1",
        }

    # pieces
    def start_redis(self) -> None:
        if self.settings.redis_url:
            sync_client(self.settings).ping()
            say(f"Redis: {self.settings.redis_url}")
            return
        try:
            sync_client(self.settings).ping()
            say(f"Redis: reusing the embedded server already on port {self.settings.embedded_redis_port}")
            return
        except Exception:
            pass
        data = self.settings.var_dir / "redis"
        self.redis_server = start_embedded(data, self.settings.embedded_redis_port, self.settings.host)
        say(f"Redis: embedded Valkey on {redis_url(self.settings)} (data in {data}, append-only file on)")

    def ensure_kb(self) -> None:
        started = time.time()
        proc = subprocess.run(
            [str(APP_PYTHON), "-m", "kb", "--author", "starter", "bootstrap", str(STARTER_KB)],
            cwd=ROOT, env=self.child_env(), capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"starter knowledge base import failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
        if "already published" in proc.stderr:
            say("knowledge base: already published")
        else:
            say(f"knowledge base: imported the starter FAQ and published it ({time.time() - started:.0f} s)")

    def ensure_admin(self) -> str | None:
        """A first admin account, so a new install can log in at once. Returns its password if created."""
        client = sync_client(self.settings)
        if client.scard(f"{self.settings.key_prefix}:agents"):
            return None
        password = secrets.token_urlsafe(12)
        proc = subprocess.run(
            [str(APP_PYTHON), "-m", "handoff", "add", "admin", "--name", "Admin", "--role", "admin", "--password", password],
            cwd=ROOT, env=self.child_env(), capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"could not create the admin account: {proc.stderr}")
        (self.settings.var_dir / "initial-admin-password.txt").write_text(password + "\n")
        return password

    def spawn(self, name: str, argv: list[str], port: int) -> None:
        if port_in_use(self.settings.host, port):
            # A leftover process would answer health checks with stale code; refuse instead.
            raise RuntimeError(f"{name}: port {port} on {self.settings.host} is already in use (another run still going? `ss -ltnp | grep {port}`)")
        self.logs.mkdir(parents=True, exist_ok=True)
        out = open(self.logs / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(argv, cwd=ROOT, env=self.child_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def start_actions(self) -> None:
        self.spawn("actions", [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(self.settings.action_port)], self.settings.action_port)

    def start_rasa(self, model: Path) -> None:
        self.spawn("rasa", [
            str(RASA_BIN), "run", "--enable-api", "-i", self.settings.host, "-p", str(self.settings.rasa_port),
            "-m", str(model), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        ], self.settings.rasa_port)

    def start_hub(self) -> None:
        self.spawn("hub", [str(APP_PYTHON), "-m", "bot"], self.settings.hub_port)

    def wait_ready(self, name: str, url: str, timeout: float, check=lambda r: r.status_code == 200) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            proc = self.processes.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}; see {self.logs / (name + '.log')}")
            try:
                if check(httpx.get(url, timeout=2)):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{name} not ready after {timeout:.0f} s; see {self.logs / (name + '.log')}")

    def warm_up_actions(self) -> None:
        """Load the embedding model and the index before the first customer arrives."""
        tracker = {"sender_id": "warmup", "slots": {}, "latest_message": {}, "events": [], "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}
        httpx.post(self.settings.action_url, json={"next_action": "action_warmup", "sender_id": "warmup", "tracker": tracker, "domain": {}}, timeout=120)

    # whole
    def start(self) -> "Stack":
        started = time.time()
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        s = self.settings
        busy = [f"{name} port {port}" for name, port in (("hub", s.hub_port), ("rasa", s.rasa_port), ("actions", s.action_port)) if port_in_use(s.host, port)]
        if busy:
            raise RuntimeError(f"already in use: {', '.join(busy)}. Is the product (or a test run) already running? Stop it, or set CS_HUB_PORT / CS_RASA_PORT / CS_ACTION_PORT.")
        self.start_redis()
        model = ensure_model(self.settings.models_dir, self.settings.models_dir / "rasa-cache")
        self.ensure_kb()
        self.start_actions()
        self.start_rasa(model)
        self.start_hub()
        self.wait_ready("actions", f"http://{s.host}:{s.action_port}/health", 60)
        self.warm_up_actions()
        self.wait_ready("hub", f"{s.hub_url}/healthz", 60)
        self.wait_ready("rasa", f"{s.rasa_url}/status", 180, check=lambda r: r.status_code == 200 and bool(r.json().get("model_file")))
        say(f"all services up in {time.time() - started:.0f} s")
        return self

    def stop(self) -> None:
        for name, proc in reversed(list(self.processes.items())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in self.processes.items():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()
        if self.redis_server is not None:
            self.redis_server.stop()
            self.redis_server = None

    def stop_service(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
