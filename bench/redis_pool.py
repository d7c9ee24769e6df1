"""A crowd on one hub worker, by Redis pool size: how many customers are answered, told "busy, retry" or
(wrongly) "the store is down", and how fast.

Run from the repo root::

    .venv/bin/python bench/redis_pool.py                          # 500 customers at once, pools 50 (the old default) and 300
    .venv/bin/python bench/redis_pool.py --clients 300 --pools 3,50,300

It starts its own supervised stack (hub 19800, Rasa 19805, actions 19855, embedded Valkey 19880, data in
var/bench-redis-pool; the trained Rasa model is shared through var/models), flushes that Redis, and for each
pool size starts one more hub worker on it (``CS_REDIS_POOL_SIZE``). Against that worker, ``--clients``
customers at once each start a conversation, open the live socket, send a message and read the status; a
503 or a socket closed with 1013 is retried after a moment (at most 5 times), as the chat page does. The
abuse limits are lifted (every customer is one loopback address).

Printed per pool size: requests answered 2xx, 503 "busy" (``hub.errors.BUSY``, core.redis.PoolBusy),
503 "store down" (``STORE_DOWN``: before PoolBusy existed, a full pool said this, and closed sockets with
1011), other failures, socket closes by code, latency percentiles of every request (ms, retries counted
apart), and the most Redis clients Valkey saw at once (all of the stack's). A benchmark, not a test: it
asserts nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._env import NO_RATE_LIMITS, fresh_redis, isolate  # noqa: E402
from bench._stats import ms_percentiles  # noqa: E402

BENCH_ENV = isolate("bench-redis-pool", hub=19800, rasa=19805, actions=19855, redis=19880, CS_RATE_LIMITS=NO_RATE_LIMITS,
                    CS_BUSINESS_HOURS='{"always_open": true}')

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import httpx  # noqa: E402
import websockets  # noqa: E402

from core.redis import sync_client  # noqa: E402
from core.settings import Settings  # noqa: E402
from hub.errors import BUSY, STORE_DOWN  # noqa: E402

RETRIES = 5


@contextmanager
def hub_worker(pool: int) -> Iterator[str]:
    """One more hub worker on the bench's Redis and Rasa, with a pool of ``pool`` connections; yields its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CS_HUB_PORT": str(port), "CS_REDIS_POOL_SIZE": str(pool)}
    proc = subprocess.Popen([sys.executable, "-m", "hub"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"the hub worker with a pool of {pool} did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def peak_clients(settings: Settings) -> Iterator[list[int]]:
    """Valkey's ``connected_clients``, sampled every 0.2 s while inside; the list holds the peak."""
    peak, stop = [0], threading.Event()
    client = sync_client(settings)

    def sample() -> None:
        while not stop.wait(0.2):
            peak[0] = max(peak[0], int(client.info("clients")["connected_clients"]))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


class Crowd:
    """What one crowd got: answers by kind, socket closes by code, request durations."""

    def __init__(self) -> None:
        self.answers: Counter = Counter()
        self.closes: Counter = Counter()
        self.seconds: list[float] = []
        self.sockets_up = 0

    async def request(self, http: httpx.AsyncClient, method: str, path: str, **kw) -> httpx.Response | None:
        """One request, sent again after a 503 (as a client told Retry-After would); the 2xx, or None."""
        for _ in range(RETRIES + 1):
            started = time.monotonic()
            try:
                resp = await http.request(method, path, **kw)
            except httpx.HTTPError as exc:
                self.answers[f"no answer ({type(exc).__name__})"] += 1
                return None
            self.seconds.append(time.monotonic() - started)
            detail = resp.json().get("detail") if resp.headers.get("content-type", "").startswith("application/json") else None
            kind = ("2xx" if resp.status_code < 300 else "503 busy" if resp.status_code == 503 and detail == BUSY
                    else "503 store down" if resp.status_code == 503 and detail == STORE_DOWN else f"other {resp.status_code}")
            self.answers[kind] += 1
            if resp.status_code < 300:
                return resp
            if resp.status_code != 503:
                return None
            await asyncio.sleep(float(resp.headers.get("retry-after", "1")))
        return None

    async def live(self, ws_base: str, cid: str, token: str) -> None:
        """Open the customer's socket until its first frame comes; reconnect after a 1013."""
        for _ in range(RETRIES + 1):
            try:
                async with websockets.connect(f"{ws_base}/api/conversations/{cid}/ws?token={token}", open_timeout=120) as ws:
                    if json.loads(await asyncio.wait_for(ws.recv(), 120))["type"] in ("message", "status"):  # a replay, or the status
                        self.sockets_up += 1
                    return
            except websockets.ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else "none"
                self.closes[code] += 1
                if code != 1013:
                    return
            except (OSError, asyncio.TimeoutError) as exc:
                self.closes[type(exc).__name__] += 1
                return
            await asyncio.sleep(1.0)

    async def customer(self, http: httpx.AsyncClient, ws_base: str, n: int) -> None:
        started = await self.request(http, "POST", "/api/conversations", json={"language": "en"})
        if started is None:
            return
        cid, token = started.json()["conversation_id"], started.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        await asyncio.gather(
            self.live(ws_base, cid, token),
            self.request(http, "POST", f"/api/conversations/{cid}/messages", headers=headers,
                         json={"text": "how long does shipping take?", "client_message_id": f"bench-{n}"}),
            self.request(http, "GET", f"/api/conversations/{cid}", headers=headers),
        )


async def crowd(url: str, clients: int) -> Crowd:
    result = Crowd()
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(120, pool=None), limits=limits) as http:
        await asyncio.gather(*[result.customer(http, url.replace("http", "ws"), n) for n in range(clients)])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500, choices=range(1, 2001), metavar="1..2000")
    parser.add_argument("--pools", default="50,300", help="pool sizes to compare, comma-separated (default: 50,300)")
    args = parser.parse_args()
    pools = [int(p) for p in args.pools.split(",")]
    if not all(1 <= p <= 2000 for p in pools):
        parser.error("pool sizes must be 1..2000")
    import uvloop

    print(f"# Redis pool under a crowd {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC | {os.cpu_count()} cores | "
          f"load average at start {os.getloadavg()[0]:.2f} | {args.clients} customers at once on one hub worker\n")
    rows = []
    with fresh_redis(BENCH_ENV) as (settings, stack):
        stack.start()
        for pool in pools:
            with hub_worker(pool) as url, peak_clients(settings) as peak:
                print(f"[bench] pool {pool}: {args.clients} customers ...", file=sys.stderr, flush=True)
                result = uvloop.run(crowd(url, args.clients))
            rows.append((pool, result, peak[0]))
    print("| pool | 2xx | 503 busy | 503 store down | other | sockets up | socket closes | p50 / p95 / p99 ms | peak Redis clients |")
    print("|---|---|---|---|---|---|---|---|---|")
    for pool, r, peak in rows:
        other = sum(v for k, v in r.answers.items() if k not in ("2xx", "503 busy", "503 store down"))
        p = ms_percentiles(r.seconds)
        closes = ", ".join(f"{code}: {n}" for code, n in sorted(r.closes.items(), key=str)) or "none"
        print(f"| {pool} | {r.answers['2xx']} | {r.answers['503 busy']} | {r.answers['503 store down']} | {other} | "
              f"{r.sockets_up}/{args.clients} | {closes} | {p['p50']:.0f} / {p['p95']:.0f} / {p['p99']:.0f} | {peak} |")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
