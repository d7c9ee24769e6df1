"""Long conversations: does a customer's 60th message cost what their 5th did?

Run from the repo root::

    .venv/bin/python bench/long_conversation.py                 # 3 customers x 60 messages, one at a time
    .venv/bin/python bench/long_conversation.py --help

It starts its own stack (hub 19600, Rasa 19605, actions 19655, embedded Valkey
19680, data in var/bench-long; the Rasa model is shared through var/models),
flushes that Redis, and has each customer write ``--messages`` messages to the
bot through the hub, one after the other: the starter knowledge base's own
questions (answered outright) between greetings and thanks, so no conversation
is handed to a person. Per block of ten messages it prints the reply latency
(p50 / p95) and the CPU Rasa spent per message, then the size of Rasa's
tracker. Rasa reads, rewrites and (in 3.6) merges the whole tracker on every
message: what grows with the conversation shows here.

A benchmark, not a test: it asserts nothing about timings (bench/README.md).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._env import fresh_stack, isolate  # noqa: E402

BENCH_ENV = isolate("bench-long", hub=19600, rasa=19605, actions=19655, redis=19680, CS_BUSINESS_HOURS='{"always_open": true}',
                    CS_RATE_LIMITS=json.dumps({"messages_per_conversation": "100000/60", "messages_per_address": "100000/60",
                                               "requests_per_address": "100000/60", "start_per_address": "100000/60"}))

import argparse  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402

from bench._procs import ProcessMeter  # noqa: E402
from bench._stats import percentile  # noqa: E402
from core.redis import sync_client  # noqa: E402

STARTER = ROOT / "data" / "faq" / "starter.json"
SMALL_TALK = {"en": ["hello", "thanks", "ok"], "zh": ["你好", "谢谢", "好的"]}
BLOCK = 10
MAX_MESSAGES = 200
MAX_CUSTOMERS = 10


def messages(language: str, count: int) -> list[str]:
    """The starter KB's own questions of ``language`` (answered outright), every third message small talk."""
    questions = [e["question"] for e in json.loads(STARTER.read_text(encoding="utf-8")) if e["language"] == language]
    out = []
    for i in range(count):
        out.append(SMALL_TALK[language][i % 3] if i % 3 == 2 else questions[i % len(questions)])
    return out


def customer(hub: httpx.Client, meter: ProcessMeter, language: str, count: int) -> tuple[list[float], list[dict[str, float]], list[str], str]:
    """One conversation of ``count`` messages: (latency ms, CPU ms per service, status after each, conversation id)."""
    started = hub.post("/api/conversations", json={"language": language, "customer": {"name": "Bench customer"}})
    started.raise_for_status()
    cid, headers = started.json()["conversation_id"], {"Authorization": f"Bearer {started.json()['token']}"}
    latencies, cpu, statuses = [], [], []
    for text in messages(language, count):
        meter.mark()
        t0 = time.perf_counter()
        resp = hub.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=headers)
        latencies.append((time.perf_counter() - t0) * 1000)
        cpu.append(meter.cpu_ms_since_mark())
        resp.raise_for_status()
        statuses.append(resp.json()["conversation"]["status"])
    return latencies, cpu, statuses, cid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=60, help=f"messages per customer (default 60, at most {MAX_MESSAGES})")
    parser.add_argument("--profile", type=Path, help="record Rasa with py-spy (collapsed stacks, for flamegraph.pl or speedscope) into this file")
    parser.add_argument("--customers", type=int, default=3, help=f"customers, one after the other, alternating en/zh (default 3, at most {MAX_CUSTOMERS})")
    args = parser.parse_args()
    if not 1 <= args.messages <= MAX_MESSAGES or not 1 <= args.customers <= MAX_CUSTOMERS:
        parser.error(f"--messages 1..{MAX_MESSAGES}, --customers 1..{MAX_CUSTOMERS}")
    with fresh_stack(BENCH_ENV) as (settings, _, meter):
        print(f"# long conversations | {os.cpu_count()} cores | load average at start {os.getloadavg()[0]:.2f}")
        blocks: dict[int, tuple[list[float], list[dict[str, float]]]] = {}
        with httpx.Client(base_url=settings.hub_url, timeout=60) as hub:
            for text in ("hello", "你好"):  # untimed warm-up: a fresh stack's first replies are slow
                warm = hub.post("/api/conversations", json={"language": "en"}).json()
                hub.post(f"/api/conversations/{warm['conversation_id']}/messages", json={"text": text}, headers={"Authorization": f"Bearer {warm['token']}"})
            events = []
            spy = meter.start_profiles(args.profile.parent, args.profile.stem, ("rasa",), fmt="raw") if args.profile else []
            for c in range(args.customers):
                language = ("en", "zh")[c % 2]
                latencies, cpu, statuses, cid = customer(hub, meter, language, args.messages)
                left = [i + 1 for i, s in enumerate(statuses) if s != "bot"]
                print(f"customer {c + 1} ({language}): {len(latencies)} messages" + (f", left the bot at message {left[0]}" if left else ", all with the bot"), file=sys.stderr)
                for i, (ms, cpu_ms) in enumerate(zip(latencies, cpu)):
                    bucket = blocks.setdefault(i // BLOCK, ([], []))
                    bucket[0].append(ms)
                    bucket[1].append(cpu_ms)
                stored = sync_client(settings).get(f"rasa:tracker:{cid}")
                events.append((len(json.loads(stored)["events"]) if stored else 0, len(stored or "")))
            meter.stop_profiles(spy)
        names = ("rasa", "actions", "hub", "redis")
        print("\n| messages | replies | p50 ms | p95 ms | " + " | ".join(f"{n} CPU per message, ms" for n in names) + " |")
        print("|---|---|---|---|" + "---|" * len(names))
        for b, (lat, cpu) in sorted(blocks.items()):
            means = [sum(c.get(n, 0.0) for c in cpu) / len(cpu) for n in names]
            print(f"| {b * BLOCK + 1}-{b * BLOCK + len(lat) // args.customers} | {len(lat)} | {percentile(lat, 50):.1f} | {percentile(lat, 95):.1f} | "
                  + " | ".join(f"{m:.1f}" for m in means) + " |")
        print("\nRasa's stored tracker at the end, per customer: " + ", ".join(f"{n} events ({size / 1024:.0f} KB)" for n, size in events))
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
