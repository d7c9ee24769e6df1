"""Service-desk benchmark: how long a routing decision takes with 50 agents and 1,000 open tickets, and how late
the scheduler fires due work with 10,000 pending SLA clocks.

Run from the repo root::

    .venv/bin/python bench/service_desk.py
    .venv/bin/python bench/service_desk.py --help

It starts its own embedded Valkey (port 16780, data in var/bench-desk; no Rasa or hub needed), fills it,
measures, and stops. Loopback only, bounded counts; percentiles printed, nothing asserted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._env import fresh_redis, isolate  # noqa: E402

BENCH_ENV = isolate("bench-desk", redis=16780)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench._stats import percentile  # noqa: E402
from core.redis import Keys, async_client, redis_url, sync_client  # noqa: E402
from core.settings import Settings  # noqa: E402
from customers.store import CustomerStore  # noqa: E402
from handoff.agents import Agent, AgentDirectory  # noqa: E402
from handoff.conversations import ConversationStore  # noqa: E402
from handoff.queue import HandoffQueue  # noqa: E402
from tickets.desk import TicketDesk  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tickets.routing import ranked  # noqa: E402
from tickets.scheduler import Scheduler  # noqa: E402

LANGS, CATEGORIES = ("en", "zh"), ("product_quality", "service_attitude", "logistics", "after_sales", "billing", "other")
LAG_KEY = "bench:lag"
_client = None


def record_lag(due: float) -> None:
    """The job the scheduler benchmark schedules: how late it ran."""
    global _client
    _client = _client or sync_client(Settings())
    _client.rpush(LAG_KEY, time.time() - due)


async def routing(settings: Settings, agents: int, tickets: int) -> dict[str, list[float]]:
    client = async_client(settings)
    keys = Keys(settings.key_prefix)
    directory = AgentDirectory(client, keys)
    rng = random.Random(3)
    for i in range(agents):
        skills = [rng.choice(LANGS), rng.choice(CATEGORIES)] + (["vip"] if i % 10 == 0 else [])
        agent = Agent(username=f"agent{i:02d}", display_name=f"Agent {i}", capacity=rng.randint(2, 6), skills=skills, presence="online")
        await client.hset(keys.agent(agent.username), mapping={k: (json.dumps(v) if isinstance(v, list) else str(v)) for k, v in agent.model_dump().items()})
        await client.sadd(keys.agents, agent.username)
        for j in range(rng.randint(0, agent.capacity)):
            await client.sadd(keys.agent_chats(agent.username), f"busy-{i}-{j}")
    conversations = ConversationStore(client, keys)
    queue = HandoffQueue(conversations, directory)
    scheduler = Scheduler(redis_url(settings), keys.scheduler_queue)
    desk = TicketDesk.from_settings(settings, conversations, directory, queue, CustomerStore(client, keys), scheduler)
    open_tickets = [Ticket(id=f"t{n}", number=n, conversation_id=f"c{n}", language=rng.choice(LANGS), category=rng.choice(CATEGORIES),
                           customer_tier="vip" if n % 20 == 0 else "standard") for n in range(tickets)]
    pure, with_redis = [], []
    for ticket in open_tickets:
        t0 = time.perf_counter()
        candidates = await desk.candidates()
        t1 = time.perf_counter()
        ranked(ticket, candidates)
        t2 = time.perf_counter()
        pure.append((t2 - t1) * 1000)
        with_redis.append((t2 - t0) * 1000)
    scheduler.close()
    await client.aclose()
    return {"rank only (pure)": pure, "read candidates + rank": with_redis}


def scheduler_lag(settings: Settings, clocks: int, firing: int, spread: float) -> list[float]:
    """``clocks`` pending jobs; ``firing`` of them fall due over the next ``spread`` seconds, the rest hours later
    (as real SLA clocks do): how late do the due ones run with the whole registry pending?"""
    keys = Keys(settings.key_prefix)
    scheduler = Scheduler(redis_url(settings), keys.scheduler_queue)
    r = sync_client(settings)
    r.delete(LAG_KEY)
    start = time.time() + 10
    for i in range(clocks - firing):
        later = start + 3600 + i
        scheduler._schedule(later, "bench.service_desk.record_lag", (later,), f"bench-later-{i}")
    for i in range(firing):
        due = start + spread * i / firing
        scheduler._schedule(due, "bench.service_desk.record_lag", (due,), f"bench-due-{i}")
    worker = subprocess.Popen([sys.executable, "-m", "tickets"], cwd=ROOT, env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + spread + 120
        while r.llen(LAG_KEY) < firing and time.time() < deadline:
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(10)
    scheduler.close()
    return [float(x) * 1000 for x in r.lrange(LAG_KEY, 0, -1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--clocks", type=int, default=10_000, help="pending SLA clocks (scheduled jobs)")
    parser.add_argument("--firing", type=int, default=300, help="of which this many fall due during the run (the rest hours later)")
    parser.add_argument("--spread", type=float, default=30.0, help="seconds over which those fall due")
    args = parser.parse_args()
    args.agents, args.tickets, args.clocks = min(args.agents, 500), min(args.tickets, 20_000), min(args.clocks, 50_000)
    console = Console(width=110)
    with fresh_redis(BENCH_ENV) as (settings, _):
        load = os.getloadavg()
        decisions = asyncio.run(routing(settings, args.agents, args.tickets))
        lags = scheduler_lag(settings, args.clocks, min(args.firing, args.clocks), args.spread)
    table = Table(title=f"service desk  |  load average {load[0]:.2f}, {os.cpu_count()} cores")
    for col in ("measure", "n", "p50", "p95", "p99", "max"):
        table.add_column(col)
    for name, values in decisions.items():
        s = sorted(values)
        table.add_row(f"routing decision, {args.agents} agents / {args.tickets} tickets: {name} (ms)", str(len(s)),
                      *(f"{percentile(s, p):.2f}" for p in (50, 95, 99)), f"{s[-1]:.2f}")
    s = sorted(lags)
    table.add_row(f"scheduler lag (due -> ran), {args.clocks} pending, {args.firing} due over {args.spread:.0f} s (ms)", f"{len(s)} of {args.firing}",
                  *(f"{percentile(s, p):.0f}" for p in (50, 95, 99)), f"{s[-1]:.0f}" if s else "-")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
