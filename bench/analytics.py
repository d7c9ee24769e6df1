"""Analytics benchmark: the dashboard API over 30 days with 100,000 conversations of history, the briefing for a
month, and how far the rollup trails live events.

Run from the repo root::

    .venv/bin/python bench/analytics.py                 # 100,000 conversations
    .venv/bin/python bench/analytics.py --conversations 20000 --requests 20

It starts its own embedded Valkey (port 17380, data in var/bench-analytics) and its own hub (port 17080; no Rasa:
the hub runs degraded, which the analytics API does not need), writes a synthetic event history straight into the
stream (the same event shapes the hub writes), measures, and stops both. Percentiles printed, nothing asserted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._env import fresh_redis, isolate  # noqa: E402

BENCH_ENV = isolate("bench-analytics", hub=17080, rasa=17005, actions=17055, redis=17380, CS_REPORT_SCHEDULE="[]")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import httpx  # noqa: E402

from analytics import reports  # noqa: E402
from analytics.board import Dashboard  # noqa: E402
from analytics.metrics import Filters, Targets  # noqa: E402
from analytics.periods import resolve  # noqa: E402
from analytics.rollup import Rollup  # noqa: E402
from bench._stats import ms_percentiles  # noqa: E402
from core.redis import Keys, async_client, sync_client  # noqa: E402
from core.settings import Settings  # noqa: E402
from handoff.agents import Agent, AgentDirectory  # noqa: E402

CATEGORIES = ("product_quality", "service_attitude", "logistics", "after_sales", "billing", "other")
PASSWORD = "bench-supervisor-password-7"


def conversation_events(rng: random.Random, start: float) -> list[dict]:
    """One synthetic conversation's events, shaped like the hub's (handoff/events.py)."""
    cid = uuid.uuid4().hex
    e = [{"type": "conversation_started", "conversation_id": cid, "ts": start, "channel": rng.choice(["web", "wechat", "telegram"]),
          "language": rng.choice(["zh", "en"]), "customer_tier": "vip" if rng.random() < 0.08 else "standard"}]
    t = start + rng.uniform(5, 30)
    for _ in range(rng.randint(1, 3)):
        e += [{"type": "customer_message", "conversation_id": cid, "ts": t}, {"type": "bot_turn", "conversation_id": cid, "ts": t + 1,
                                                                              "decision": rng.choice(["answer", "answer", "suggest", "fallback"])}]
        t += rng.uniform(20, 90)
    if rng.random() < 0.35:
        reason = rng.choice(["complaint", "customer_request", "low_confidence"])
        category, agent, ticket = rng.choice(CATEGORIES), f"agent{rng.randint(0, 29):02d}", f"T-{rng.randint(1, 999999):06d}"
        policy = "complaint" if reason == "complaint" else "standard"
        base = {"conversation_id": cid, "ticket": ticket, "category": category, "policy": policy}
        e += [{"type": "escalated", "conversation_id": cid, "ts": t, "reason": reason, "category": category, "to": "queued"},
              {"type": "ticket_created", "ts": t, **base}]
        t += rng.lognormvariate(4.2, 0.8)
        e.append({"type": "assigned", "conversation_id": cid, "ts": t, "agent": agent, "to": "assigned"})
        frt = rng.lognormvariate(4.0, 0.9)
        e.append({"type": "ticket_first_response", "ts": t + frt, "seconds": frt, "met": frt < 300, **base})
        t += frt + rng.uniform(120, 1500)
        e += [{"type": "resolved", "conversation_id": cid, "ts": t, "agent": agent, "to": "resolved"},
              {"type": "ticket_status", "ts": t, "status": "solved", "met": True, **base}]
        if rng.random() < 0.7:
            e.append({"type": "rated", "conversation_id": cid, "ts": t + 30, "score": rng.choice([1, 2, 3, 4, 5, 5, 5]), "comment": "", "agent": agent})
    return e


async def fill(settings: Settings, conversations: int, days: int) -> tuple[int, float]:
    """Write the history into the stream (in time order, like a live hub would); returns events written and seconds."""
    client = async_client(settings)
    keys = Keys(settings.key_prefix)
    rng = random.Random(13)
    now = time.time()
    starts = sorted(now - rng.uniform(0, days * 86400) for _ in range(conversations))
    written = 0
    t0 = time.perf_counter()
    for i in range(0, conversations, 1000):
        pipe = client.pipeline(transaction=False)
        for start in starts[i:i + 1000]:
            for event in conversation_events(rng, start):
                pipe.xadd(keys.events, {"e": json.dumps(event)})
                written += 1
        await pipe.execute()
    await client.aclose()
    return written, time.perf_counter() - t0


async def fold_all(settings: Settings) -> tuple[int, float]:
    client = async_client(settings)
    rollup = Rollup.from_settings(client, settings)
    t0 = time.perf_counter()
    n = await rollup.catch_up(wait_seconds=60)
    elapsed = time.perf_counter() - t0
    await client.aclose()
    return n, elapsed


def start_hub() -> subprocess.Popen:
    log = open(ROOT / "var" / "bench-analytics" / "hub.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "hub"], cwd=ROOT, env={**os.environ}, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            if httpx.get("http://127.0.0.1:17080/healthz", timeout=5).status_code in (200, 503):
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the bench hub did not start (var/bench-analytics/hub.log)")


async def supervisor_token(settings: Settings) -> str:
    client = async_client(settings)
    await AgentDirectory(client, Keys(settings.key_prefix)).create(Agent(username="bench-sup", display_name="Bench", role="supervisor"), PASSWORD)
    await client.aclose()
    r = httpx.post("http://127.0.0.1:17080/api/agent/login", json={"username": "bench-sup", "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return r.json()["token"]


DRILLS = {"drill-down 30d complaints": {"period": "30d", "figure": "complaints"},
          "drill-down 30d all conversations, page 3 of 100": {"period": "30d", "figure": "conversations", "offset": 200, "limit": 100},
          "drill-down 30d escalated, zh only": {"period": "30d", "figure": "escalated", "language": "zh"}}


def dashboard_latency(token: str, requests: int) -> dict[str, list[float]]:
    queries = {"summary 30d": ("/api/analytics/summary", {"period": "30d"}), "summary 30d, zh only": ("/api/analytics/summary", {"period": "30d", "language": "zh"}),
               **{name: ("/api/analytics/conversations", params) for name, params in DRILLS.items()},
               "summary today": ("/api/analytics/summary", {"period": "today"})}
    out: dict[str, list[float]] = {name: [] for name in queries}
    with httpx.Client(base_url="http://127.0.0.1:17080", headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
        for name, (path, params) in queries.items():
            for _ in range(requests if "drill" not in name else max(3, requests // 5)):  # fewer drill-downs: they were slow
                t0 = time.perf_counter()
                r = http.get(path, params=params)
                out[name].append(time.perf_counter() - t0)
                r.raise_for_status()
            if "drill" in name:
                body = r.json()
                print(f"  {name}: total {body['total']}, {len(body['conversations'])} listed")
    return out


def first_after_restart(hub: subprocess.Popen, token: str) -> tuple[subprocess.Popen, dict[str, float]]:
    """Stop the hub, start it again, and time the first summaries and the first drill-down of the new process."""
    hub.terminate()
    hub.wait(timeout=30)
    hub = start_hub()
    out = {}
    with httpx.Client(base_url="http://127.0.0.1:17080", headers={"Authorization": f"Bearer {token}"}, timeout=300) as http:
        for name, (path, params) in {"summary 30d": ("/api/analytics/summary", {"period": "30d"}),
                                     "summary 30d (the second request)": ("/api/analytics/summary", {"period": "30d"}),
                                     "drill-down 30d complaints": ("/api/analytics/conversations", DRILLS["drill-down 30d complaints"])}.items():
            t0 = time.perf_counter()
            http.get(path, params=params).raise_for_status()
            out[name] = time.perf_counter() - t0
    return hub, out


async def report_times(settings: Settings) -> dict[str, float]:
    client = async_client(settings)
    zone = ZoneInfo(settings.business_hours.timezone)
    t = settings.report_targets
    dashboard = Dashboard(Rollup.from_settings(client, settings), Targets(t.fcr, t.csat, t.first_response_seconds, t.complaint_hours), zone)
    period = resolve("30d", None, None, zone, time.time())
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = await dashboard.summary(period, Filters(), time.time())
        out["figures (summary of the month)"] = time.perf_counter() - t0
        for fmt in ("html", "pdf", "xlsx"):
            t0 = time.perf_counter()
            await asyncio.to_thread(reports.write, summary, [], "zh", fmt, Path(tmp) / f"b.{fmt}", simulated=False, zone=zone)
            out[f"render {fmt} (zh)"] = time.perf_counter() - t0
    await client.aclose()
    return out


def rollup_lag(settings: Settings, samples: int) -> list[float]:
    """Seconds from an event being written to the hub's background fold having it (the cursor passing it)."""
    r = sync_client(settings)
    keys = Keys(settings.key_prefix)
    lags = []
    for i in range(samples):
        event = {"type": "conversation_started", "conversation_id": uuid.uuid4().hex, "ts": time.time(), "channel": "web", "language": "en"}
        t0 = time.perf_counter()
        eid = r.xadd(keys.events, {"e": json.dumps(event)})
        ms, seq = map(int, eid.split("-"))
        while True:
            cursor = r.get(keys.analytics_cursor) or "0-0"
            cms, cseq = map(int, cursor.split("-"))
            if (cms, cseq) >= (ms, seq):
                break
            time.sleep(0.01)
        lags.append(time.perf_counter() - t0)
        time.sleep(random.uniform(0, 0.5))
    r.close()
    return lags


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--requests", type=int, default=30, help="requests per dashboard query")
    p.add_argument("--lag-samples", type=int, default=20)
    args = p.parse_args()
    hub = None
    with fresh_redis(BENCH_ENV) as (settings, _):
        try:
            events, fill_s = asyncio.run(fill(settings, args.conversations, args.days))
            print(f"history: {args.conversations} conversations, {events} events over {args.days} days, written in {fill_s:.1f} s")
            folded, fold_s = asyncio.run(fold_all(settings))
            print(f"rollup from scratch: {folded} events folded in {fold_s:.1f} s ({folded / fold_s:,.0f} events/s)")
            print(f"Redis memory with the history and its rollup: {sync_client(settings).info('memory')['used_memory_human']}")
            hub = start_hub()
            token = asyncio.run(supervisor_token(settings))
            for name, seconds in dashboard_latency(token, args.requests).items():
                print(f"dashboard API, {name}: first (cold) {seconds[0] * 1000:.0f} ms; {ms_percentiles(seconds)} ms over {len(seconds)} requests")
            hub, firsts = first_after_restart(hub, token)
            for name, seconds in firsts.items():
                print(f"dashboard API after a hub restart, {name}: {seconds * 1000:.0f} ms")
            for name, seconds in asyncio.run(report_times(settings)).items():
                print(f"briefing for 30 days, {name}: {seconds:.2f} s")
            lags = rollup_lag(settings, args.lag_samples)
            print(f"rollup lag behind live events (hub folds every {settings.analytics_rollup_seconds:g} s): {ms_percentiles(lags)} ms")
        finally:
            if hub:
                hub.terminate()
                hub.wait(timeout=30)


if __name__ == "__main__":
    main()
