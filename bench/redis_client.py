"""What the hub's Redis client costs per customer message: redis-py's pure-Python reply parser and write
timeout, against hiredis and the hub's own write timeout (core/redis.py).

Run from the repo root::

    .venv/bin/python bench/redis_client.py          # about a minute

It starts a throwaway Valkey (port 19780, nothing persisted) and replays, on the hub's real
``ConversationStore``, the conversation reads and writes one customer message and its bot reply make:
read the conversation with its token, store the customer's message, read the conversation again, store
the reply, read both back, record an event. Three clients, alternating, several rounds:

* **redis-py**: its pure-Python RESP3 parser, each write bounded by ``asyncio.wait_for``;
* **+ hiredis**: the C parser (``requirements/app.in``);
* **hub client**: hiredis and ``core.redis``'s write timeout without a task per command (what the hub runs).

Printed: CPU per message (median of rounds, min-max) and its ratio to redis-py's. A benchmark, not a test:
it asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import statistics  # noqa: E402

from redis.asyncio.connection import Connection, _AsyncHiredisParser, _AsyncRESP3Parser  # noqa: E402
from redis.utils import HIREDIS_AVAILABLE  # noqa: E402

from bench._env import throwaway_valkey  # noqa: E402
from core.redis import Keys, async_client  # noqa: E402
from core.settings import Settings  # noqa: E402
from handoff.conversations import ConversationStore  # noqa: E402

CLIENTS = ("redis-py", "+ hiredis", "hub client")


def client_for(name: str, url: str):
    client = async_client(Settings(redis_url=url))
    pool = client.connection_pool
    if name != "hub client":
        pool.connection_class = Connection  # redis-py's own write path (asyncio.wait_for per command)
    pool.connection_kwargs["parser_class"] = _AsyncRESP3Parser if name == "redis-py" else _AsyncHiredisParser
    return client


async def one_message(store: ConversationStore, cid: str, token: str, n: int) -> None:
    """The conversation reads and writes of one customer message and its bot reply, as the hub makes them."""
    await store.get_with_token(cid, token)
    message, _ = await store.append_customer(cid, f"how much is shipping to Canada, question {n}?", client_message_id=f"m{n}")
    await store.require(cid)
    reply = await store.append(cid, "bot", "Orders of ¥99 or more ship free within mainland China; abroad it depends on the "
                               "destination, see the shipping page.", meta={"decision": "answer", "intent": "faq", "hits": []})
    await store.messages_by_id(cid, [message.id] + ([reply.id] if reply else []))
    await store.record_event(cid, "bot_reply", intent="faq")


async def cpu_per_message(name: str, url: str, messages: int) -> float:
    """Milliseconds of this process's CPU per message (the client's work: Valkey runs in its own process)."""
    client = client_for(name, url)
    store = ConversationStore(client, Keys(f"bench{name.replace(' ', '').replace('+', '')}"))
    conv, token = await store.create("web", "en", "Bench customer")
    for n in range(20):  # untimed: connections open, scripts loaded
        await one_message(store, conv.id, token, -n - 1)
    started = time.process_time()
    for n in range(messages):
        await one_message(store, conv.id, token, n)
    spent = (time.process_time() - started) * 1000 / messages
    await client.aclose()
    return spent


async def run(url: str, rounds: int, messages: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in CLIENTS}
    for _ in range(rounds):
        for name in CLIENTS:
            results[name].append(await cpu_per_message(name, url, messages))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 51), metavar="1..50")
    parser.add_argument("--messages", type=int, default=500, choices=range(10, 100_001), metavar="10..100000")
    args = parser.parse_args()
    if not HIREDIS_AVAILABLE:
        print("hiredis is not installed: run ./test.sh or scripts/setup.sh (requirements/app.lock)", file=sys.stderr)
        return 2
    import uvloop

    print(f"# Redis client {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC | {os.cpu_count()} cores | "
          f"load average at start {os.getloadavg()[0]:.2f} | {args.rounds} rounds x {args.messages} messages\n")
    with throwaway_valkey(19780, ROOT / "var" / "bench-redis-client") as url:
        results = uvloop.run(run(url, args.rounds, args.messages))
    baseline = statistics.median(results["redis-py"])
    print("| client | CPU per message, ms (median, min-max) | ratio to redis-py |\n|---|---|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f}) | {statistics.median(values) / baseline:.2f} |")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
