"""Resilience benchmark: how many open chat windows one hub worker holds, at what memory, how fast live
messages reach them, and how long each service takes to come back after ``kill -9``.

Run from the repo root::

    .venv/bin/python bench/resilience.py                 # 2,000 customer + 50 agent sockets, then one kill -9 per service
    .venv/bin/python bench/resilience.py --help

It starts its own supervised stack (hub 18200, Rasa 15205, actions 15255, embedded Valkey 16580,
data in var/bench-resilience; the trained Rasa model is shared through var/models), flushes that
Redis, measures, and stops the stack. Loopback only, bounded counts. It asserts nothing: the
figures go to the console (percentiles, and ratios where a baseline exists in the same run).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._env import fresh_stack, isolate  # noqa: E402
from bench._stats import percentile  # noqa: E402

BENCH_ENV = isolate("bench-resilience", hub=18200, rasa=15205, actions=15255, redis=16580,
                    CS_AUTO_ASSIGN="false")  # escalations wait in the queue: the agents hear of each one

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402

import httpx  # noqa: E402
import websockets  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from core.redis import sync_client  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.stack import Stack  # noqa: E402

MAX_SOCKETS = 5000
PASSWORD = "bench-password-1234"




def rss_mb(pid: int | None) -> float:
    if not pid:
        return float("nan")
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min), {os.cpu_count()} cores"


class Socket:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.arrivals: dict[str, float] = {}  # message id or event key -> monotonic arrival time
        self.first_frame = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.first_frame.set()
                now = time.monotonic()
                if frame["type"] == "message":
                    self.arrivals.setdefault(frame["message"]["id"], now)
                elif frame["type"] == "conversation_changed":
                    self.arrivals.setdefault(f"{frame['conversation_id']}:{frame['status']}", now)
        except websockets.ConnectionClosed:
            pass


async def connect_customer(ws_base: str, cid: str, token: str) -> tuple[Socket, float]:
    started = time.monotonic()
    ws = await websockets.connect(f"{ws_base}/api/conversations/{cid}/ws?token={token}", open_timeout=120, max_queue=None)
    sock = Socket(ws)
    await asyncio.wait_for(sock.first_frame.wait(), 120)
    return sock, (time.monotonic() - started) * 1000


async def sockets_scenario(stack: Stack, settings: Settings, customers: int, burst: int, agents: int, sample: int) -> dict:
    base, ws_base = settings.hub_url, settings.hub_url.replace("http", "ws")
    hub_pid = stack.pid("hub")
    result: dict = {"rss_idle": rss_mb(hub_pid)}
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=50)) as http:
        started = await asyncio.gather(*[http.post("/api/conversations", json={"language": "en"}) for _ in range(customers)])
        convs = [(r.json()["conversation_id"], r.json()["token"]) for r in started]
        t0 = time.monotonic()
        first = await asyncio.gather(*[connect_customer(ws_base, c, t) for c, t in convs[:burst]], return_exceptions=True)
        result["burst_seconds"] = time.monotonic() - t0
        rest = []
        for i in range(burst, customers, 250):
            rest += await asyncio.gather(*[connect_customer(ws_base, c, t) for c, t in convs[i:i + 250]], return_exceptions=True)
        opened = [x for x in [*first, *rest] if not isinstance(x, BaseException)]
        result["connected"] = len(opened)
        result["burst_connected"] = len([x for x in first if not isinstance(x, BaseException)])
        result["connect_ms"] = [ms for _, ms in opened]
        sockets = [s for s, _ in opened]
        login = await http.post("/api/agent/login", json={"username": "bench", "password": PASSWORD})
        agent_token = login.json()["token"]
        agent_sockets = [Socket(await websockets.connect(f"{ws_base}/api/agent/ws?token={agent_token}", open_timeout=60)) for _ in range(agents)]
        await asyncio.sleep(1.0)
        result["rss_open"] = rss_mb(hub_pid)
        result["redis_clients"] = len(sync_client(settings).client_list())

        # Fan-out latency: a customer writes; how long until their own socket shows the message.
        delivery = []
        step = max(1, len(sockets) // sample)
        for i in range(0, min(len(sockets), step * sample), step):
            cid, token = convs[i]
            sent_at = time.monotonic()
            resp = await http.post(f"/api/conversations/{cid}/messages", json={"text": "hello"}, headers={"Authorization": f"Bearer {token}"})
            mid = resp.json()["message"]["id"]
            for _ in range(200):
                if mid in sockets[i].arrivals:
                    break
                await asyncio.sleep(0.01)
            if mid in sockets[i].arrivals:
                delivery.append((sockets[i].arrivals[mid] - sent_at) * 1000)
        result["delivery_ms"] = delivery

        # Escalation to every agent console.
        cid, token = convs[-1]
        sent_at = time.monotonic()
        await http.post(f"/api/conversations/{cid}/handoff", headers={"Authorization": f"Bearer {token}"})
        await asyncio.sleep(2.0)
        key = f"{cid}:queued"
        result["escalation_ms"] = [(a.arrivals[key] - sent_at) * 1000 for a in agent_sockets if key in a.arrivals]
        result["agents_reached"] = len(result["escalation_ms"])
        for s in [*sockets, *agent_sockets]:
            await s.ws.close()
    return result


async def login_scenario(settings: Settings, logins: int, probes: int) -> dict:
    """Latency of a plain status read alone, then while ``logins`` password checks run at once (argon2 must not block the loop)."""
    async with httpx.AsyncClient(base_url=settings.hub_url, timeout=60) as http:
        started = (await http.post("/api/conversations", json={"language": "en"})).json()
        url, headers = f"/api/conversations/{started['conversation_id']}", {"Authorization": f"Bearer {started['token']}"}

        async def probe_ms() -> list[float]:
            out = []
            for _ in range(probes):
                t = time.monotonic()
                await http.get(url, headers=headers)
                out.append((time.monotonic() - t) * 1000)
                await asyncio.sleep(0.01)
            return out

        alone = await probe_ms()

        async def login_loop() -> None:
            for _ in range(5):
                await http.post("/api/agent/login", json={"username": "bench", "password": PASSWORD})

        burst = asyncio.gather(*[login_loop() for _ in range(logins)])
        during = await probe_ms()
        await burst
    return {"alone": alone, "during": during}


def restart_scenario(stack: Stack, settings: Settings, services: list[str]) -> dict[str, float]:
    """kill -9 each service's group leader and time until /healthz says that part works again."""
    part = {"hub": "hub", "actions": "actions", "rasa": "rasa", "redis": "redis"}
    times: dict[str, float] = {}
    for name in services:
        pid = stack.pid(name)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        deadline = killed + 300
        while time.monotonic() < deadline:
            stack.supervise()
            try:
                health = httpx.get(f"{settings.hub_url}/healthz", timeout=3).json()
                if health[part[name]]["ok"] and stack.pid(name) not in (None, pid):
                    times[name] = time.monotonic() - killed
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        print(f"[bench] {name}: {'back in %.1f s' % times[name] if name in times else 'did not come back'}", file=sys.stderr, flush=True)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000, help=f"customer sockets held open (at most {MAX_SOCKETS})")
    parser.add_argument("--burst", type=int, default=500, help="of which this many connect at the same moment")
    parser.add_argument("--agents", type=int, default=50, help="agent console sockets")
    parser.add_argument("--sample", type=int, default=40, help="customers who write while all sockets are open (delivery latency)")
    parser.add_argument("--logins", type=int, default=8, help="parallel logins while a status read is timed")
    parser.add_argument("--restarts", default="hub,actions,rasa,redis", help="services to kill -9 one after the other ('' for none)")
    args = parser.parse_args()
    args.customers = max(1, min(args.customers, MAX_SOCKETS))
    args.burst = max(1, min(args.burst, args.customers))

    console = Console(width=120)
    started_at = datetime.now()
    with fresh_stack(BENCH_ENV) as (settings, stack, _):
        subprocess.run([sys.executable, "-m", "handoff", "add", "bench", "--password", PASSWORD, "--capacity", "50"], cwd=ROOT, env={**os.environ}, check=True, capture_output=True)
        load_before = load_line()
        sockets = asyncio.run(sockets_scenario(stack, settings, args.customers, args.burst, args.agents, args.sample))
        logins = asyncio.run(login_scenario(settings, args.logins, 50))
        restarts = restart_scenario(stack, settings, [s for s in args.restarts.split(",") if s])

    console.print(f"resilience {started_at:%Y-%m-%d %H:%M}  |  {load_before}")
    table = Table(title="open chat windows on one hub worker")
    for col in ("figure", "value"):
        table.add_column(col)
    table.add_row("customer sockets connected", f"{sockets['connected']} of {args.customers}")
    table.add_row(f"  of which in one burst of {args.burst}", f"{sockets['burst_connected']} in {sockets['burst_seconds']:.1f} s")
    c = sockets["connect_ms"]
    table.add_row("connect to first frame, ms (p50 / p90 / p99)", f"{percentile(c, 50):.0f} / {percentile(c, 90):.0f} / {percentile(c, 99):.0f}")
    table.add_row("agent sockets reached by one escalation", f"{sockets['agents_reached']} of {args.agents}")
    e = sockets["escalation_ms"]
    table.add_row("escalation to agent socket, ms (p50 / p95)", f"{percentile(e, 50):.0f} / {percentile(e, 95):.0f}")
    d = sockets["delivery_ms"]
    table.add_row("customer message to own socket, ms (p50 / p95)", f"{percentile(d, 50):.0f} / {percentile(d, 95):.0f}")
    table.add_row("hub RSS idle -> all sockets open, MB", f"{sockets['rss_idle']:.0f} -> {sockets['rss_open']:.0f} "
                  f"({(sockets['rss_open'] - sockets['rss_idle']) * 1024 / max(1, sockets['connected'] + args.agents):.0f} KB per socket)")
    table.add_row("Redis connections while open", str(sockets["redis_clients"]))
    console.print(table)
    lt = Table(title=f"status read while {args.logins} logins hash passwords at once")
    for col in ("", "p50 ms", "p90 ms", "ratio p50"):
        lt.add_column(col)
    a, b = logins["alone"], logins["during"]
    lt.add_row("alone", f"{percentile(a, 50):.1f}", f"{percentile(a, 90):.1f}", "1.0")
    lt.add_row("during logins", f"{percentile(b, 50):.1f}", f"{percentile(b, 90):.1f}", f"{percentile(b, 50) / percentile(a, 50):.1f}")
    console.print(lt)
    if restarts:
        t = Table(title="kill -9, then back (healthy in /healthz)")
        t.add_column("service")
        t.add_column("seconds")
        for name, secs in restarts.items():
            t.add_row(name, f"{secs:.1f}")
        console.print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
