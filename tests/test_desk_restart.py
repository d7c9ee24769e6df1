"""A stop and a quick start again leave the desk with its scheduler (SLA warnings and breaches, auto-close, presence).

Stopping everything at once let the embedded Valkey go before the desk worker released rq's scheduler lock; the
lock outlived the run by a minute, and a desk started within it ran without a scheduler until rq's maintenance
(10 minutes). Here: the supervisor's stop order with small stand-in services, and the desk worker's handling of a
lock a dead scheduler left, against a Valkey of the module's own (no stack).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

from core.redis import Keys
from core.settings import Settings
from core.supervisor import Service, Supervisor
from tests.clients import ROOT
from tickets.worker import release_stale_scheduler_locks

# Stand-ins: a store that is "up" while a file exists, and a worker that, asked to stop, takes a moment to
# release what it holds in the store (as rq's scheduler does in Valkey) and notes whether the store was still up.
STORE = "touch up; trap 'rm -f up; exit 0' TERM; while :; do sleep 0.1; done"
WORKER = "trap 'sleep 1; if [ -e up ]; then echo released > released; else echo store-gone > released; fi; exit 0' TERM; while :; do sleep 0.1; done"


def _wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_stop_all_stops_the_store_only_after_the_services_using_it_have_exited(tmp_path):
    supervisor = Supervisor(tmp_path / "run", tmp_path / "logs", {**os.environ}, say=lambda _: None)
    supervisor.start(Service("redis", ["bash", "-c", STORE], cwd=tmp_path, stop_last=True), wait=False)
    assert _wait_for(lambda: (tmp_path / "up").exists(), 10)
    supervisor.start(Service("desk", ["bash", "-c", WORKER], cwd=tmp_path), wait=False)
    supervisor.start(Service("hub", ["bash", "-c", "sleep 600"], cwd=tmp_path), wait=False)
    time.sleep(0.5)  # let the worker's shell install its trap
    supervisor.stop_all()
    assert (tmp_path / "released").read_text().strip() == "released"
    assert not (tmp_path / "up").exists()  # and the store was stopped too
    assert not supervisor.running and not supervisor.state_file.exists()


def test_the_embedded_valkey_is_the_service_stopped_last():
    from core.stack import Stack

    assert Stack(Settings()).redis_service().stop_last


def _plant_lock(r: redis.Redis, queue: str, owner: str, hostname: str, pid: int, ttl: int = 600) -> None:
    r.set(RQScheduler.get_locking_key(queue), owner, ex=ttl)
    r.hset(SCHEDULER_KEY_TEMPLATE % owner, mapping={"name": owner, "hostname": hostname, "pid": str(pid)})
    r.expire(SCHEDULER_KEY_TEMPLATE % owner, ttl)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_only_locks_of_gone_schedulers_of_this_host_are_released(valkey_url):
    r = redis.Redis.from_url(valkey_url)
    host = socket.gethostname()
    _plant_lock(r, "dead", "a" * 32, host, _dead_pid())
    _plant_lock(r, "alive", "b" * 32, host, os.getpid())
    _plant_lock(r, "elsewhere", "c" * 32, "another-machine", _dead_pid())
    r.set(RQScheduler.get_locking_key("unregistered"), "d" * 32, ex=600)  # taken a moment ago, its hash not written yet
    assert release_stale_scheduler_locks(r, ["dead", "alive", "elsewhere", "unregistered", "free"]) == ["dead"]
    assert r.get(RQScheduler.get_locking_key("dead")) is None
    assert [r.get(RQScheduler.get_locking_key(q)) for q in ("alive", "elsewhere", "unregistered")] == [b"b" * 32, b"c" * 32, b"d" * 32]


def test_a_desk_started_while_a_dead_desks_lock_remains_takes_the_scheduler_at_once_and_releases_it_on_stop(valkey_url, tmp_path):
    r = redis.Redis.from_url(valkey_url)
    queue = Keys(Settings().key_prefix).scheduler_queue
    stale = uuid.uuid4().hex
    # What a desk whose Valkey stopped first leaves: its lock, for longer than rq's 10-minute maintenance interval.
    _plant_lock(r, queue, stale, socket.gethostname(), _dead_pid(), ttl=3600)
    log = open(tmp_path / "desk.log", "wb")
    desk = subprocess.Popen([sys.executable, "-m", "tickets"], cwd=ROOT, env={**os.environ, "REDIS_URL": valkey_url},
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        def new_scheduler() -> str | None:
            owner = (r.get(RQScheduler.get_locking_key(queue)) or b"").decode()
            return owner if owner not in ("", stale) and r.exists(SCHEDULER_KEY_TEMPLATE % owner) else None  # running, not just a lock

        assert _wait_for(new_scheduler, 120), (tmp_path / "desk.log").read_text()[-3000:]
    finally:
        desk.send_signal(signal.SIGTERM)
        desk.wait(60)
        log.close()
    # Stopped with its Valkey still up, the desk leaves no lock behind for the next start.
    assert r.get(RQScheduler.get_locking_key(queue)) is None, (tmp_path / "desk.log").read_text()[-3000:]
