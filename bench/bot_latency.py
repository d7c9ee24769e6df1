"""Bot-reply and retrieval latency benchmark.

Run from the repo root::

    .venv/bin/python bench/bot_latency.py            # defaults: 20 concurrent customers x 10 questions
    .venv/bin/python bench/bot_latency.py --help

It starts its own stack (hub 18100, Rasa 15105, actions 15155, embedded Valkey
16480, data in var/bench; the trained Rasa model is shared through var/models),
flushes that Redis, and measures:

* bot reply latency: customer message in -> bot reply out, through the hub's
  REST endpoint (``POST /api/conversations/{id}/messages``), with one customer
  at a time and with N concurrent customers;
* retrieval-only latency: ``kb.search.Searcher.search`` in-process, per language.

The questions are the in-scope FAQ questions (non-null ``expected_id``) from
tests/data/retrieval_queries.json. It is a benchmark, not a test: it asserts
nothing about timings. See bench/README.md.
"""

from __future__ import annotations


import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The settings must see these before core.settings is imported (as in tests/conftest.py).
from bench._env import fresh_stack, isolate  # noqa: E402

BENCH_ENV = isolate("bench", hub=18100, rasa=15105, actions=15155, redis=16480)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime  # noqa: E402

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench._stats import percentile  # noqa: E402
from core.settings import Settings  # noqa: E402

QUERIES_FILE = ROOT / "tests" / "data" / "retrieval_queries.json"
LANGUAGES = ("en", "zh")
MAX_CUSTOMERS = 100  # bounded load: this is a loopback benchmark, not a stress tool
MAX_QUESTIONS = 100
MAX_RETRIEVAL = 5000


# ---------------------------------------------------------------- data

def load_questions() -> dict[str, list[str]]:
    """In-scope FAQ questions (expected_id not null), per language, in file order."""
    queries = json.loads(QUERIES_FILE.read_text())
    by_lang: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for q in queries:
        if q.get("expected_id") is not None and q.get("language") in by_lang:
            by_lang[q["language"]].append(q["query"])
    return by_lang


# ---------------------------------------------------------------- statistics

@dataclass
class Summary:
    name: str
    samples_ms: list[float]
    wall_seconds: float | None = None  # set for the bot scenarios: throughput = count / wall
    notes: str = ""

    @property
    def count(self) -> int:
        return len(self.samples_ms)

    def p(self, q: float) -> float:
        return percentile(self.samples_ms, q)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples_ms) if self.samples_ms else float("nan")

    @property
    def throughput(self) -> float | None:
        if self.wall_seconds is None or self.wall_seconds <= 0:
            return None
        return self.count / self.wall_seconds


# ---------------------------------------------------------------- bot reply latency (through the hub)

@dataclass
class BotRun:
    latencies_ms: list[float] = field(default_factory=list)
    by_language: dict[str, list[float]] = field(default_factory=lambda: {lang: [] for lang in LANGUAGES})
    conversations: int = 0
    handed_off: int = 0  # replies after which the conversation left the bot (a new one was started)
    without_bot_reply: int = 0  # responses with no bot message among the replies
    decisions: dict[str, int] = field(default_factory=dict)
    errors: int = 0


class SimulatedCustomer:
    """One customer: its own conversation, questions sent one after the other."""

    def __init__(self, client: httpx.AsyncClient, language: str) -> None:
        self.client = client
        self.language = language
        self.cid: str | None = None
        self.headers: dict[str, str] = {}

    async def start_conversation(self, run: BotRun | None) -> None:
        resp = await self.client.post("/api/conversations", json={"language": self.language, "customer": {"name": "Bench customer"}})
        resp.raise_for_status()
        body = resp.json()
        self.cid, self.headers = body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}
        if run is not None:
            run.conversations += 1

    async def ask(self, text: str, run: BotRun | None) -> None:
        if self.cid is None:
            await self.start_conversation(run)
        started = time.perf_counter()
        resp = await self.client.post(f"/api/conversations/{self.cid}/messages", json={"text": text}, headers=self.headers)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if resp.status_code != 200:
            if run is not None:
                run.errors += 1
            self.cid = None  # start afresh next time
            return
        body = resp.json()
        if run is not None:
            run.latencies_ms.append(elapsed_ms)
            run.by_language[self.language].append(elapsed_ms)
            bot = [r for r in body.get("replies", []) if r.get("sender") == "bot"]
            if not bot:
                run.without_bot_reply += 1
            for r in bot[:1]:
                decision = (r.get("meta") or {}).get("decision") or (r.get("meta") or {}).get("intent") or "other"
                run.decisions[str(decision)] = run.decisions.get(str(decision), 0) + 1
        # Two misses in a row hand the conversation to a human; later replies would not be
        # bot answers, so this customer continues in a new conversation.
        if (body.get("conversation") or {}).get("status") != "bot":
            if run is not None:
                run.handed_off += 1
            self.cid = None


def questions_for(customer_index: int, language: str, count: int, questions: dict[str, list[str]]) -> list[str]:
    """``count`` questions for one customer, each customer starting at a different offset."""
    pool = questions[language]
    start = (customer_index * 7) % len(pool)
    return [pool[(start + i) % len(pool)] for i in range(count)]


async def run_customer(client: httpx.AsyncClient, index: int, count: int, questions: dict[str, list[str]], run: BotRun, bar: tqdm) -> None:
    language = LANGUAGES[index % len(LANGUAGES)]
    customer = SimulatedCustomer(client, language)
    for text in questions_for(index, language, count, questions):
        await customer.ask(text, run)
        bar.update(1)


async def bot_scenario(base_url: str, customers: int, per_customer: int, questions: dict[str, list[str]], *, concurrent: bool, label: str, first_index: int = 0) -> tuple[BotRun, float]:
    run = BotRun()
    limits = httpx.Limits(max_connections=max(customers, 10), max_keepalive_connections=max(customers, 10))
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        with tqdm(total=customers * per_customer, desc=label, unit="msg", file=sys.stderr, dynamic_ncols=True) as bar:
            started = time.perf_counter()
            if concurrent:
                await asyncio.gather(*(run_customer(client, first_index + i, per_customer, questions, run, bar) for i in range(customers)))
            else:
                for i in range(customers):
                    await run_customer(client, first_index + i, per_customer, questions, run, bar)
            wall = time.perf_counter() - started
    return run, wall


async def warm_up_bot(base_url: str, questions: dict[str, list[str]], per_language: int) -> None:
    """A few untimed questions per language: Rasa, the actions' models and the hub's connections get warm."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        with tqdm(total=per_language * len(LANGUAGES), desc="warm-up (hub)", unit="msg", file=sys.stderr, dynamic_ncols=True) as bar:
            for language in LANGUAGES:
                customer = SimulatedCustomer(client, language)
                for text in questions[language][-per_language:]:
                    await customer.ask(text, None)
                    bar.update(1)


# ---------------------------------------------------------------- retrieval only (in-process)

def retrieval_scenario(settings: Settings, questions: dict[str, list[str]], count: int, warmup: int) -> dict[str, list[float]]:
    from kb.search import Searcher

    searcher = Searcher.from_settings(settings)
    results: dict[str, list[float]] = {}
    for language in LANGUAGES:
        pool = questions[language]
        for i in tqdm(range(warmup), desc=f"warm-up (retrieval {language})", unit="q", file=sys.stderr, dynamic_ncols=True):
            searcher.search(pool[i % len(pool)], language)
        samples: list[float] = []
        for i in tqdm(range(count), desc=f"retrieval {language}", unit="q", file=sys.stderr, dynamic_ncols=True):
            text = pool[i % len(pool)]
            started = time.perf_counter()
            searcher.search(text, language)
            samples.append((time.perf_counter() - started) * 1000)
        results[language] = samples
    return results


# ---------------------------------------------------------------- report

def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or value != value else f"{value:,.{digits}f}"


def report(console: Console, summaries: list[Summary], ratio: float | None, header: str) -> None:
    table = Table(title=header, title_justify="left")
    table.add_column("scenario")
    for col in ("count", "p50 ms", "p95 ms", "p99 ms", "mean ms", "replies/s"):
        table.add_column(col, justify="right")
    for s in summaries:
        table.add_row(s.name, str(s.count), fmt(s.p(50)), fmt(s.p(95)), fmt(s.p(99)), fmt(s.mean), fmt(s.throughput, 2))
    console.print(table)
    if ratio is not None:
        console.print(f"p50 ratio, concurrent / 1 customer: [bold]{ratio:.2f}x[/bold]")
    for s in summaries:
        if s.notes:
            console.print(f"  {s.name}: {s.notes}")


def describe_run(run: BotRun) -> str:
    decisions = ", ".join(f"{k} {v}" for k, v in sorted(run.decisions.items(), key=lambda kv: -kv[1]))
    return (
        f"{run.conversations} conversations, {run.handed_off} handed off to a human (customer restarted), "
        f"{run.without_bot_reply} responses without a bot message, {run.errors} HTTP errors; first bot reply: {decisions or '-'}"
    )


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


# ---------------------------------------------------------------- main

def bounded(limit: int):
    def parse(text: str) -> int:
        value = int(text)
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be between 1 and {limit}")
        return value
    return parse


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=bounded(MAX_CUSTOMERS), default=20, help="concurrent customers in the load scenario (default 20)")
    parser.add_argument("--questions", type=bounded(MAX_QUESTIONS), default=10, help="questions each customer sends, one after the other (default 10)")
    parser.add_argument("--sequential-customers", type=bounded(MAX_CUSTOMERS), default=4, help="customers run one after the other in the 1-customer scenario (default 4, alternating en/zh)")
    parser.add_argument("--retrieval", type=bounded(MAX_RETRIEVAL), default=200, help="timed Searcher.search calls per language (default 200)")
    parser.add_argument("--retrieval-warmup", type=bounded(MAX_RETRIEVAL), default=20, help="untimed searches per language first (default 20)")
    parser.add_argument("--warmup", type=bounded(MAX_QUESTIONS), default=3, help="untimed hub questions per language first (default 3)")
    args = parser.parse_args()

    console = Console()
    if not console.is_terminal or console.width < 120:
        console = Console(width=120)  # keep the table on one line per row when piped to a file
    questions = load_questions()
    for language in LANGUAGES:
        if not questions[language]:
            console.print(f"no in-scope questions for {language} in {QUERIES_FILE}")
            return 1
    started_at = datetime.now()
    with fresh_stack(BENCH_ENV) as (settings, _, _):  # every run starts from an empty store
        asyncio.run(warm_up_bot(settings.hub_url, questions, args.warmup))
        single, single_wall = asyncio.run(bot_scenario(
            settings.hub_url, args.sequential_customers, args.questions, questions, concurrent=False, label="bot, 1 customer"))
        # Different customer offsets for the load run, so it does not replay exactly the same questions.
        loaded, loaded_wall = asyncio.run(bot_scenario(
            settings.hub_url, args.customers, args.questions, questions, concurrent=True, label=f"bot, {args.customers} concurrent", first_index=args.sequential_customers))
        retrieval = retrieval_scenario(settings, questions, args.retrieval, args.retrieval_warmup)

    summaries = [
        Summary("bot reply, 1 customer", single.latencies_ms, single_wall, describe_run(single)),
        *[Summary(f"  of which {lang}", single.by_language[lang]) for lang in LANGUAGES],
        Summary(f"bot reply, {args.customers} concurrent customers", loaded.latencies_ms, loaded_wall, describe_run(loaded)),
        *[Summary(f"  of which {lang}", loaded.by_language[lang]) for lang in LANGUAGES],
        *[Summary(f"retrieval only, {lang} (Searcher.search)", retrieval[lang]) for lang in LANGUAGES],
    ]
    ratio = None
    if single.latencies_ms and loaded.latencies_ms:
        ratio = summaries[3].p(50) / summaries[0].p(50)
    header = (
        f"bot_latency {started_at:%Y-%m-%d %H:%M}  |  {machine_line()}\n"
        f"{args.questions} questions per customer; 1-customer scenario: {args.sequential_customers} customers one after the other; "
        f"retrieval: {args.retrieval} timed queries per language after {args.retrieval_warmup} warm-up"
    )
    report(console, summaries, ratio, header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
