"""Hand-over turn benchmark: what the bot's second miss in a row, which hands the chat to a person, costs.

Run from the repo root::

    .venv/bin/python bench/handover_turn.py                      # 25 rounds per language (~1.5 min)
    .venv/bin/python bench/handover_turn.py --rounds 40 --profile /tmp/handover   # + py-spy collapsed stacks

It starts its own stack (hub 19200, Rasa 19205, actions 19255, embedded Valkey
19580, data in var/bench-handover), flushes that Redis, and has one customer at a
time open a chat, say hello, ask a question the starter knowledge base cannot
answer (a miss: "I didn't get that") and another (the second miss: the bot hands
over, the action server categorises the episode, the hub opens the ticket and
queues the chat). Every question is new (it carries the round's number), and the
query-vector cache is on, as the product is configured: a question costs the
embeddings a real new question would. ``capacity.py``'s single-customer p95 is
made by such turns (docs/performance.md).

Printed: p50 / p95 of the miss and of the hand-over, per language, what handing over adds
(the steadier figure on a shared box), and the CPU each service spent per round. A benchmark,
not a test: it asserts nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._env import NO_RATE_LIMITS, fresh_stack, isolate  # noqa: E402

BENCH_ENV = isolate("bench-handover", hub=19200, rasa=19205, actions=19255, redis=19580, CS_RATE_LIMITS=NO_RATE_LIMITS,
                    CS_BUSINESS_HOURS='{"always_open": true}', CS_KB_QUERY_CACHE_SIZE="4096")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402

from bench._procs import ProcessMeter  # noqa: E402
from bench._stats import percentile  # noqa: E402
from core.settings import Settings  # noqa: E402

LANGUAGES = ("en", "zh")
GREETING = {"en": "hello", "zh": "你好"}
# Two questions no starter entry answers; {n} makes each round's new to every cache.
MISSES = {"en": ("what is the weather on mars on day {n}", "tell me about quantum physics lesson {n} please"),
          "zh": ("火星第{n}天天气怎么样", "帮我写一首关于第{n}个春天的诗")}


async def one_round(hub: httpx.AsyncClient, language: str, n: int) -> tuple[float, float, bool]:
    """A chat to its hand-over: (miss ms, hand-over ms, whether it was handed over)."""
    resp = await hub.post("/api/conversations", json={"language": language, "customer": {"name": "Bench customer"}})
    resp.raise_for_status()
    body = resp.json()
    url, headers = f"/api/conversations/{body['conversation_id']}/messages", {"Authorization": f"Bearer {body['token']}"}
    (await hub.post(url, json={"text": GREETING[language]}, headers=headers)).raise_for_status()
    timings = []
    for question in MISSES[language]:
        started = time.perf_counter()
        resp = await hub.post(url, json={"text": question.format(n=n)}, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        resp.raise_for_status()
    return timings[0], timings[1], resp.json()["conversation"]["status"] != "bot"


async def run(settings: Settings, meter: ProcessMeter, rounds: int, profile: Path | None) -> None:
    async with httpx.AsyncClient(base_url=settings.hub_url, timeout=60) as hub:
        for language in LANGUAGES:  # untimed: models and connections warm
            await one_round(hub, language, -1)
        latencies: dict[str, list[float]] = {}
        kept = 0
        profilers = meter.start_profiles(profile, "handover", fmt="raw") if profile else []
        meter.mark()
        try:
            for n in range(rounds):
                for language in LANGUAGES:
                    miss, handover, handed = await one_round(hub, language, n)
                    latencies.setdefault(f"miss {language}", []).append(miss)
                    if handed:
                        latencies.setdefault(f"hand-over {language}", []).append(handover)
                    else:
                        kept += 1
        finally:
            meter.stop_profiles(profilers)
        cpu = meter.cpu_ms_since_mark()
    print("| turn | n | p50 ms | p95 ms |\n|---|---|---|---|")
    for name, values in latencies.items():
        print(f"| {name} | {len(values)} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} |")
    # Whole runs move by 10-20 ms with a shared box's load; what a hand-over adds to a turn is steadier.
    added = [f"{language} {percentile(latencies[f'hand-over {language}'], 50) - percentile(latencies[f'miss {language}'], 50):.1f}"
             for language in LANGUAGES if latencies.get(f"hand-over {language}")]
    print("\nhand-over p50 minus miss p50 (what handing over adds), ms: " + ", ".join(added))
    if kept:
        print(f"\n{kept} second misses were not handed over (the bot answered or suggested): left out above")
    per_round = rounds * len(LANGUAGES)
    print("\nCPU per round (start, greeting, miss, hand-over), ms: " + ", ".join(f"{k} {v / per_round:.1f}" for k, v in cpu.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, choices=range(1, 501), metavar="1..500", default=25, help="chats per language (default 25)")
    parser.add_argument("--profile", type=Path, help="record py-spy collapsed stacks of hub, Rasa and actions into this directory")
    args = parser.parse_args()
    with fresh_stack(BENCH_ENV) as (settings, _, meter):
        print(f"# hand-over turn {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC | {os.cpu_count()} cores | "
              f"load average at start {os.getloadavg()[0]:.2f}\n")
        asyncio.run(run(settings, meter, args.rounds, args.profile))
        print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
