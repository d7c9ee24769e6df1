"""Keeping the product's processes alive: one process group per service, restarts with backoff, nothing left behind.

- Each service runs in its own process group (its own session), so stopping
  it stops its workers too: no orphan ever keeps a port.
- A service that dies is restarted after 1, 2, 4, ... seconds (capped); the
  delay resets once it has stayed up for a minute. The others keep serving.
- A service that lives on but no longer serves is restarted the same way: once
  ready, its health URL is probed every few seconds (``HealthPolicy``), and after
  N failed probes in a row spanning at least M seconds its whole group is stopped
  (SIGTERM, SIGKILL after a grace). A process that stays alive is not enough:
  Sanic's main process (the action server's) outlives a killed worker and keeps
  the port open with nobody answering, and a hung (or SIGSTOPped) process never exits.
- Children get SIGTERM if the supervising process dies (Linux parent-death
  signal, set by util-linux's ``setpriv``), and the groups are recorded in
  ``<var>/run/services.json``: a supervisor that starts after a crash stops
  whatever the previous one left.

Processes are only ever forked from the thread that calls ``start``/``check``
(the parent-death signal is tied to the forking thread); waiting for a
restarted service to become ready, and each health probe, happen in helper threads.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STABLE_SECONDS = 60.0
_SETPRIV = shutil.which("setpriv")
DIE_WITH_PARENT = [_SETPRIV, "--pdeathsig", "TERM", "--"] if _SETPRIV else []


@dataclass
class Service:
    name: str
    argv: list[str]
    ready_url: str | None = None
    ready: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200
    ready_timeout: float = 60.0
    # Probed while it runs, once ready (``HealthPolicy``); unset: ``ready_url`` and ``ready``.
    health_url: str | None = None
    healthy: Callable[[httpx.Response], bool] | None = None
    after_ready: Callable[[], None] | None = None  # e.g. warm the action server's models up
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # on top of the supervisor's environment (e.g. worker counts)
    # A store the others use while they shut down (the embedded Valkey: the desk worker releases rq's scheduler
    # lock in it on SIGTERM). ``stop_all`` stops it only after every other service has exited or had its grace time.
    stop_last: bool = False


@dataclass(frozen=True)
class HealthPolicy:
    """When a running service that has a health URL counts as not serving (``core/settings.py``: ``health_*``)."""

    every: float = 5.0  # seconds between probes; 0: no health checks
    timeout: float = 5.0  # per probe: a hung service never answers, so the timeout is the failure
    failures: int = 3  # failed probes in a row...
    window: float = 15.0  # ...from the start of the first to the end of the last: a short stall is not a failure
    grace: float = 10.0  # after SIGTERM, before SIGKILL


@dataclass
class _Running:
    service: Service
    proc: subprocess.Popen
    started: float
    failures: int = 0  # consecutive crashes without a stable run in between
    restart_at: float | None = None  # when it died and a restart is due
    ready_at: float | None = None  # health-checked only from then on (not while starting or restarting)
    probing: bool = False  # a probe is under way in a helper thread
    probed_at: float = 0.0
    failed: tuple[int, float, float] | None = None  # failed probes in a row: (count, first started, last ended)
    unhealthy: str | None = None  # why it must be restarted although its process runs
    kill_at: float | None = None  # given SIGTERM for that reason; SIGKILL then


@dataclass
class Supervisor:
    run_dir: Path
    logs: Path
    env: dict[str, str]
    backoff_max: float = 30.0
    say: Callable[[str], None] = print
    health: HealthPolicy = field(default_factory=HealthPolicy)
    running: dict[str, _Running] = field(default_factory=dict)

    @property
    def state_file(self) -> Path:
        return self.run_dir / "services.json"

    # starting
    def start(self, service: Service, wait: bool = True) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{service.name}.log", "ab")
        proc = subprocess.Popen(
            [*DIE_WITH_PARENT, *service.argv], cwd=service.cwd, env={**self.env, **service.env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        previous = self.running.get(service.name)
        self.running[service.name] = _Running(service, proc, time.monotonic(), failures=previous.failures if previous else 0)
        self._record()
        if wait:
            self.wait_ready(service.name)

    def wait_ready(self, name: str) -> None:
        entry = self.running[name]
        service = entry.service
        if service.ready_url:
            deadline = time.monotonic() + service.ready_timeout
            while True:
                if entry.proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {entry.proc.returncode}; see {self.logs / (name + '.log')}")
                try:
                    if service.ready(httpx.get(service.ready_url, timeout=2)):
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready after {service.ready_timeout:.0f} s; see {self.logs / (name + '.log')}")
                time.sleep(0.3)
        if service.after_ready:
            service.after_ready()
        entry.ready_at = time.monotonic()

    # watching
    def check(self) -> None:
        """Restart what died or stopped serving. Call it every second or so, from the thread that started the services.

        Never blocks for long: probes run in helper threads, and a service being stopped gets its grace across calls.
        """
        now = time.monotonic()
        for name, entry in list(self.running.items()):
            if entry.restart_at is not None:
                if now >= entry.restart_at:
                    self.start(entry.service, wait=False)
                    threading.Thread(target=self._announce_ready, args=(name,), daemon=True).start()
            elif entry.kill_at is not None:
                if entry.proc.poll() is None and now < entry.kill_at:
                    continue
                self._kill_group(entry.proc.pid)
                try:
                    entry.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
                delay = self._schedule_restart(entry, now)
                self.say(f"{name} stopped (exit {entry.proc.returncode}); restarting in {delay:.0f} s")
            elif entry.proc.poll() is not None:
                self._kill_group(entry.proc.pid)  # its workers may still hold the port
                delay = self._schedule_restart(entry, now)
                self.say(f"{name} stopped unexpectedly (exit {entry.proc.returncode}); restarting in {delay:.0f} s (see {self.logs / (name + '.log')})")
            elif reason := entry.unhealthy or self._watch(entry, now):
                self.say(f"{name}: {reason}, restarting (see {self.logs / (name + '.log')})")
                entry.ready_at = None
                entry.kill_at = now + self.health.grace
                self._signal_group(entry.proc.pid, signal.SIGTERM)
                self._signal_group(entry.proc.pid, signal.SIGCONT)  # a stopped process handles SIGTERM only once continued

    def _schedule_restart(self, entry: _Running, now: float) -> float:
        stable = now - entry.started >= STABLE_SECONDS
        entry.failures = 1 if stable else entry.failures + 1
        delay = min(2 ** (entry.failures - 1), self.backoff_max)
        entry.restart_at = now + delay
        return delay

    def _watch(self, entry: _Running, now: float) -> str | None:
        """Start a health probe if one is due; say why the service must be restarted once enough of them failed."""
        service, policy = entry.service, self.health
        url = service.health_url or service.ready_url
        if not url or entry.ready_at is None or policy.every <= 0:
            return None
        failed = entry.failed
        if failed and failed[0] >= policy.failures and failed[2] - failed[1] >= policy.window:
            return f"health check failed {failed[0]} times in {failed[2] - failed[1]:.0f} s"
        if not entry.probing and now - entry.probed_at >= policy.every:
            entry.probing, entry.probed_at = True, now
            threading.Thread(target=self._probe, args=(entry, url), daemon=True).start()
        return None

    def _probe(self, entry: _Running, url: str) -> None:
        started = time.monotonic()
        healthy = entry.service.healthy or entry.service.ready
        try:
            ok = healthy(httpx.get(url, timeout=self.health.timeout))
        except Exception:  # no answer in time, refused, reset; or a body the check cannot read: not serving
            ok = False
        if ok:
            entry.failed = None
        else:
            count, first = (entry.failed[0] + 1, entry.failed[1]) if entry.failed else (1, started)
            entry.failed = (count, first, time.monotonic())
        entry.probing = False

    def _announce_ready(self, name: str) -> None:
        started = time.monotonic()
        entry = self.running[name]
        try:
            self.wait_ready(name)
            self.say(f"{name} is back ({time.monotonic() - started:.1f} s after restart)")
        except Exception as exc:
            self.say(f"{name} did not come back: {exc}")
            if entry.proc.poll() is None:  # alive but not serving: restarted again (with a longer backoff)
                entry.unhealthy = "not ready after its restart"

    def pid(self, name: str) -> int | None:
        entry = self.running.get(name)
        return entry.proc.pid if entry and entry.proc.poll() is None else None

    # stopping
    def stop(self, name: str) -> None:
        entry = self.running.pop(name, None)
        if entry:
            self._stop_group(entry.proc)
        self._record()

    def stop_all(self, grace: float = 15.0) -> None:
        """Stop every service: first all but the ``stop_last`` ones (together, newest first), then those.

        Stopping them all at once let Valkey go before the desk worker released its scheduler lock; the lock
        outlived the run by a minute and a quick restart ran with no scheduler (no SLA warnings or breaches).
        """
        entries = list(reversed(self.running.values()))
        for wave in ([e for e in entries if not e.service.stop_last], [e for e in entries if e.service.stop_last]):
            for entry in wave:
                if entry.proc.poll() is None:
                    self._signal_group(entry.proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            for entry in wave:
                self._stop_group(entry.proc, timeout=max(0.0, deadline - time.monotonic()))
        self.running.clear()
        self.state_file.unlink(missing_ok=True)

    def _stop_group(self, proc: subprocess.Popen, timeout: float = 15.0) -> None:
        self._signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self._kill_group(proc.pid)
        proc.poll()

    def _kill_group(self, pgid: int) -> None:
        self._signal_group(pgid, signal.SIGKILL)

    @staticmethod
    def _signal_group(pgid: int, sig: int) -> None:
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    # what a crashed supervisor left behind
    def _record(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        groups = {name: e.proc.pid for name, e in self.running.items()}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"supervisor": os.getpid(), "groups": groups}))
        tmp.replace(self.state_file)

    def clean_leftovers(self, owned_by: Path) -> list[str]:
        """Stop the process groups a previous supervisor recorded, if it is gone. Returns what was stopped.

        Only groups whose leader still runs from a directory under ``owned_by``
        are touched: a recycled pid belonging to something else is left alone.
        Raises if the previous supervisor itself is still running.
        """
        try:
            state = json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return []
        previous = int(state.get("supervisor") or 0)
        if previous and previous != os.getpid() and pid_alive(previous) and _runs_under(previous, owned_by):
            raise RuntimeError(f"already running (process {previous}); stop it first (Ctrl-C in its terminal, or kill {previous})")
        stopped = []
        for name, pgid in (state.get("groups") or {}).items():
            if pid_alive(pgid) and _runs_under(pgid, owned_by):
                self._signal_group(pgid, signal.SIGTERM)
                for _ in range(50):
                    if not pid_alive(pgid):
                        break
                    time.sleep(0.1)
                self._kill_group(pgid)
                stopped.append(name)
        self.state_file.unlink(missing_ok=True)
        return stopped


def pid_alive(pid: int) -> bool:
    """Whether a process of this machine is running (a zombie is dead for our purposes)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _runs_under(pid: int, root: Path) -> bool:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")).resolve().is_relative_to(root.resolve())
    except OSError:
        return False
