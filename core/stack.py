"""Starting and stopping the whole product: Redis, a trained Rasa model, the action server, Rasa, the hub.

``./run.sh`` runs it in the foreground; the test suite starts one stack per
session on its own ports and data directory. Re-runs reuse what is built: the
Rasa model is cached by a hash of the training data, the KB is imported only
when empty, the starter canned replies are added once (never again).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from core.action_call import action_call
from core.redis import Keys, embedded_server_argv, redis_url, shown_url, sync_client
from core.secrets import INITIAL_ADMIN, initial_admin_password_file, keep_initial_admin_password
from core.settings import ROOT, Settings
from core.supervisor import HealthPolicy, Service, Supervisor

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
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
    """The whole product as supervised services (``core/supervisor.py``): Valkey, the action server, Rasa, the hub."""

    settings: Settings
    env: dict[str, str] = field(default_factory=dict)  # CS_* overrides passed to every child
    supervisor: Supervisor | None = None

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
            "RASA_TRACKER_TTL": str(int(self.settings.rasa_tracker_ttl_seconds)),
            "RASA_TELEMETRY_ENABLED": "false",
            "SANIC_HOST": self.settings.internal_host,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "PYTHONUNBUFFERED": "1",
        }

    def _supervisor(self) -> Supervisor:
        if self.supervisor is None:
            self.supervisor = Supervisor(
                self.settings.var_dir / "run", self.logs, self.child_env(),
                backoff_max=self.settings.restart_backoff_max_seconds, say=say, health=self.health_policy(),
            )
            stopped = self.supervisor.clean_leftovers(owned_by=ROOT)
            if stopped:
                say(f"stopped what a previous run left behind: {', '.join(stopped)}")
        return self.supervisor

    def health_policy(self) -> HealthPolicy:
        s = self.settings
        return HealthPolicy(every=s.health_check_seconds, timeout=s.health_timeout_seconds, failures=s.health_failures, window=s.health_window_seconds)

    # services
    def redis_service(self) -> Service:
        data = self.settings.var_dir / "redis"
        s = self.settings
        return Service("redis", embedded_server_argv(data, s.embedded_redis_port, s.internal_host, s.secret("valkey-password")), cwd=data, stop_last=True)

    def actions_service(self) -> Service:
        s = self.settings
        return Service(
            "actions", [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(s.action_port)],
            ready_url=f"http://{s.internal_host}:{s.action_port}/health", ready_timeout=60 * s.action_workers, after_ready=self.warm_up_actions, cwd=ROOT,
            env={"ACTION_SERVER_SANIC_WORKERS": str(s.action_workers)},
        )

    def rasa_service(self, model: Path) -> Service:
        s = self.settings
        return Service(
            # ``python -m rasa_run run`` is ``rasa run`` with action replies validated by a cached validator (rasa_run/).
            # The token joined to its option: a generated token starts with "-" once in 64, which argparse took for an option.
            "rasa", [str(RASA_PYTHON), "-m", "rasa_run", "run", "--enable-api", f"--auth-token={s.secret('rasa-token')}", "-i", s.internal_host, "-p", str(s.rasa_port),
                     "-m", str(model), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
            ready_url=f"{s.rasa_url}/status?token={s.secret('rasa-token')}", ready=lambda r: r.status_code == 200 and bool(r.json().get("model_file")),
            ready_timeout=180 * s.rasa_workers, cwd=ROOT,
            env={"SANIC_WORKERS": str(s.rasa_workers)},  # several workers need a shared lock store: endpoints.yml has Redis's
        )

    def desk_service(self) -> Service:
        """The service desk's scheduler and job runner (rq): SLA clocks, auto-close, presence checks."""
        return Service("desk", [str(APP_PYTHON), "-m", "tickets"], cwd=ROOT)

    def hub_service(self) -> Service:
        # /healthz answers 503 while Redis is away: the hub serves then (and says so), so that is healthy too.
        return Service("hub", [str(APP_PYTHON), "-m", "hub"], ready_url=f"{self.settings.hub_url}/healthz", ready_timeout=60, cwd=ROOT,
                       healthy=lambda r: r.status_code in (200, 503), env={"CS_HUB_WORKERS": str(self.settings.hub_workers)})

    # pieces
    def start_redis(self) -> None:
        """An external Redis (``REDIS_URL``) must answer; otherwise the embedded Valkey is started (and supervised)."""
        if self.settings.redis_url:
            sync_client(self.settings).ping()
            say(f"Redis: {shown_url(self.settings.redis_url)}")
            return
        supervisor = self._supervisor()
        if "redis" in supervisor.running:
            return
        if port_in_use(self.settings.internal_host, self.settings.embedded_redis_port):
            raise RuntimeError(f"port {self.settings.embedded_redis_port} is busy; set CS_EMBEDDED_REDIS_PORT or REDIS_URL")
        supervisor.start(self.redis_service(), wait=False)
        deadline = time.time() + 20
        while True:
            try:
                sync_client(self.settings).ping()
                break
            except Exception:
                if time.time() > deadline or supervisor.pid("redis") is None:
                    raise RuntimeError(f"the embedded Valkey did not start; see {self.logs / 'redis.log'}") from None
                time.sleep(0.2)
        say(f"Redis: embedded Valkey on {shown_url(redis_url(self.settings))} (data in {self.settings.var_dir / 'redis'}, append-only file on)")

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

    def ensure_canned(self) -> None:
        """First start: a few starter canned replies (zh and en), only if the team has none and none were ever
        seeded; the tool records that it ran, so replies an admin edited or deleted never come back."""
        proc = subprocess.run([str(APP_PYTHON), "-m", "tickets.cli", "seed"], cwd=ROOT, env=self.child_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"starter canned replies failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
        say(proc.stdout.strip())

    @property
    def admin_password_file(self) -> Path:
        return initial_admin_password_file(self.settings.var_dir)

    def ensure_admin(self) -> str | None:
        """A first admin account, so a new install can log in at once. Returns its password if created.

        The password goes to the account tool through the environment (not the command
        line, which other users can see), is kept only in an owner-only file until the
        password is changed (the first login must; ``core/secrets.py`` removes the file
        then), and is never written to a log.
        """
        client = sync_client(self.settings)
        if client.scard(Keys(self.settings.key_prefix).agents):
            return None
        password = secrets.token_urlsafe(15)
        proc = subprocess.run(
            [str(APP_PYTHON), "-m", "handoff", "add", INITIAL_ADMIN, "--name", "Admin", "--role", "admin", "--must-change-password"],
            cwd=ROOT, env={**self.child_env(), "CS_AGENT_PASSWORD": password}, capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"could not create the admin account: {proc.stderr}")
        keep_initial_admin_password(self.settings.var_dir, password)  # after the account: adding "admin" removes a stale file
        return password

    def warm_up_actions(self) -> None:
        """Load the embedding model and the index before the first customer arrives.

        With several action-server workers, several warm-ups on their own connections at once:
        the kernel spreads connections over the workers, so each one loads its models now.
        """
        body = action_call("action_warmup", "warmup")
        rounds = 1 if self.settings.action_workers == 1 else 3 * self.settings.action_workers
        with ThreadPoolExecutor(max_workers=rounds) as pool:
            list(pool.map(lambda _: httpx.post(self.settings.action_url, json=body, timeout=300), range(rounds)))

    # whole
    def start(self) -> "Stack":
        started = time.time()
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        s = self.settings
        supervisor = self._supervisor()
        busy = [f"{name} port {port}" for name, host, port in (("hub", s.host, s.hub_port), ("rasa", s.internal_host, s.rasa_port), ("actions", s.internal_host, s.action_port))
                if port_in_use("127.0.0.1" if host in ("0.0.0.0", "::") else host, port)]
        if busy:
            raise RuntimeError(f"already in use: {', '.join(busy)}. Is the product (or a test run) already running? Stop it, or set CS_HUB_PORT / CS_RASA_PORT / CS_ACTION_PORT.")
        self.start_redis()
        model = ensure_model(s.models_dir, s.models_dir / "rasa-cache")
        self.ensure_kb()
        self.ensure_canned()
        for service in (self.actions_service(), self.rasa_service(model), self.hub_service(), self.desk_service()):
            supervisor.start(service, wait=False)
        for name in ("actions", "hub", "rasa", "desk"):
            supervisor.wait_ready(name)
        say(f"all services up in {time.time() - started:.0f} s")
        return self

    def supervise(self) -> None:
        """Restart whatever died or stopped serving (call every second or so from the thread that called ``start``)."""
        if self.supervisor:
            self.supervisor.check()

    def pid(self, name: str) -> int | None:
        return self.supervisor.pid(name) if self.supervisor else None

    def stop(self) -> None:
        if self.supervisor:
            self.supervisor.stop_all()

    def stop_service(self, name: str) -> None:
        if self.supervisor:
            self.supervisor.stop(name)

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
