"""Capacity benchmark: what one bot reply costs on each path, and how many replies/s the product holds at a latency objective.

Run from the repo root::

    .venv/bin/python bench/capacity.py                       # paths table x3 + open-loop ramp (~10 min)
    .venv/bin/python bench/capacity.py --only paths --repeat 1
    .venv/bin/python bench/capacity.py --help

It starts its own stack (hub 19100, Rasa 19105, actions 19155, embedded Valkey
19480, data in var/bench-capacity; the Rasa model is shared through var/models),
flushes that Redis, and measures, all in one run on one machine:

* **paths** (the issue's table): Rasa NLU only (``/model/parse``), a rule reply
  (greeting through Rasa's REST webhook), an FAQ reply through Rasa (with the
  action server) and an FAQ reply through the hub (customer API), each one
  request at a time (``1x``: p50/p95) and with 20 requests in flight (``20x``:
  replies/s, p95), with the CPU each process spent per reply and the load
  average. ``--repeat 3`` gives min / median / max of every figure.
* **open loop**: FAQ questions through the hub arriving at a fixed rate (not a
  closed loop: a slow reply does not slow the arrivals), at increasing rates;
  the highest rate with p95 < 300 ms and no errors is the capacity.
* RSS of every process, idle and after the load.

A benchmark, not a test: it asserts nothing about timings (bench/README.md).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._env import NO_RATE_LIMITS, SERVICES, fresh_stack, isolate  # noqa: E402

BENCH_ENV = isolate(
    "bench-capacity", hub=19100, rasa=19105, actions=19155, redis=19480,
    CS_BUSINESS_HOURS='{"always_open": true}', CS_RATE_LIMITS=NO_RATE_LIMITS,
    # The questions come from a pool of ~30 per language and repeat, and the product remembers the vectors of
    # questions it has seen (kb_query_cache_size): by default every search embeds, as a new question would;
    # --query-cache measures the product as configured, repeats served from memory.
    CS_KB_QUERY_CACHE_SIZE="4096" if "--query-cache" in sys.argv else "0",
)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import itertools  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import httpx  # noqa: E402
import websockets  # noqa: E402

from bench._procs import ProcessMeter  # noqa: E402
from bench._stats import percentile  # noqa: E402
from core.redis import sync_client  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.stack import Stack  # noqa: E402

QUERIES_FILE = ROOT / "tests" / "data" / "retrieval_queries.json"
LANGUAGES = ("en", "zh")
GREETINGS = {"en": ["hello", "hi there", "good morning"], "zh": ["你好", "您好", "在吗"]}
MESSAGES_PER_CUSTOMER = 10  # a simulated customer starts a new conversation after this many (short chats, like real ones)
MAX_RATE = 200
MAX_STEP_SECONDS = 120
LATENCY_OBJECTIVE_MS = 300.0
AGENT_PASSWORD = "bench-agent-password-1"


def log(text: str) -> None:
    print(f"[capacity] {text}", file=sys.stderr, flush=True)


def load_questions() -> dict[str, list[str]]:
    """In-scope FAQ questions (expected_id not null) per language: a realistic mix of answers, suggestions, misses."""
    by_lang: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for q in json.loads(QUERIES_FILE.read_text()):
        if q.get("expected_id") is not None and q.get("language") in by_lang:
            by_lang[q["language"]].append(q["query"])
    return by_lang


# ---------------------------------------------------------------- one request per path

class Customer:
    """One simulated customer on one path: its own conversation (sender id), a new one every few messages."""

    counter = itertools.count()

    def __init__(self, path: "Path_", language: str) -> None:
        self.path = path
        self.language = language
        self.sent = 0
        self.cid: str | None = None
        self.headers: dict[str, str] = {}
        self.last_kind = ""  # what the last turn was (``turn_kind``), through the hub only

    async def fresh(self) -> None:
        """A new conversation (untimed)."""
        self.sent = 0
        if self.path.via_hub:
            resp = await self.path.client.post("/api/conversations", json={"language": self.language, "customer": {"name": "Bench customer"}})
            resp.raise_for_status()
            body = resp.json()
            self.cid, self.headers = body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}
        else:
            self.cid = f"bench-{os.getpid()}-{next(self.counter)}"

    async def send(self, text: str) -> float | None:
        """One message; its latency in ms, or None on an error."""
        if self.cid is None or self.sent >= MESSAGES_PER_CUSTOMER:
            await self.fresh()
        first = self.sent == 0
        self.sent += 1
        started = time.perf_counter()
        try:
            resp = await self.path.request(self, text)
        except httpx.HTTPError:
            self.cid = None
            return None
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status_code != 200:
            self.cid = None
            return None
        if self.path.via_hub:
            body = resp.json()
            self.last_kind = turn_kind(body, first)
            if (body.get("conversation") or {}).get("status") != "bot":
                self.cid = None  # handed to a human after two misses: the next message would not be a bot reply
        return elapsed


def turn_kind(body: dict, first: bool) -> str:
    """What a turn through the hub did, from its reply: the first message of a conversation, a hand-over, or the KB decision."""
    if first:
        return "first message of a conversation"
    if (body.get("conversation") or {}).get("status") != "bot":
        return "handed over"
    decisions = [(m.get("meta") or {}).get("decision") for m in body.get("replies") or []]
    return next((f"kb {d}" for d in reversed(decisions) if d), "other (no KB search)")


@dataclass
class Path_:
    """A way to get a reply: ``name``, which texts to send, how to send one."""

    name: str
    client: httpx.AsyncClient
    texts: dict[str, list[str]]
    via_hub: bool
    request: Callable[[Customer, str], Awaitable[httpx.Response]]


def make_paths(settings: Settings, hub: httpx.AsyncClient, rasa: httpx.AsyncClient, questions: dict[str, list[str]]) -> list[Path_]:
    token = {"token": settings.secret("rasa-token")}

    async def parse(c: Customer, text: str) -> httpx.Response:
        return await rasa.post("/model/parse", params=token, json={"text": text})

    async def webhook(c: Customer, text: str) -> httpx.Response:
        resp = await rasa.post("/webhooks/rest/webhook", json={"sender": c.cid, "message": text, "metadata": {"language": c.language, "channel": "web"}})
        if resp.status_code == 200 and not resp.json():
            return httpx.Response(599)  # silence: an action failed
        return resp

    async def via_hub(c: Customer, text: str) -> httpx.Response:
        return await hub.post(f"/api/conversations/{c.cid}/messages", json={"text": text}, headers=c.headers)

    return [
        Path_("Rasa NLU only (/model/parse)", rasa, questions, False, parse),
        Path_("Rasa rule reply (greeting, REST webhook)", rasa, GREETINGS, False, webhook),
        Path_("Rasa FAQ reply (with the action server)", rasa, questions, False, webhook),
        Path_("FAQ through the hub (en + zh)", hub, questions, True, via_hub),
    ]


# ---------------------------------------------------------------- closed loop (1x, 20x)

@dataclass
class PathResult:
    name: str
    one_p50: float
    one_p95: float
    many_rate: float
    many_p95: float
    errors: int
    cpu_ms_per_reply: dict[str, float]
    load: tuple[float, float]
    one_by_language: dict[str, list[float]]
    one_by_kind: dict[str, list[float]] = field(default_factory=dict)  # through the hub: what the turn did
    redis_commands_per_reply: float = 0.0  # every client's (hub, Rasa's tracker and lock stores, actions)


async def closed_loop(path: Path_, in_flight: int, total: int, offset: int) -> tuple[list[float], int, float]:
    """``total`` messages from ``in_flight`` customers each sending one after the other; (latencies, errors, wall s)."""
    latencies: list[float] = []
    errors = 0
    per_customer = max(1, total // in_flight)

    async def customer(i: int) -> None:
        nonlocal errors
        language = LANGUAGES[i % 2]
        c = Customer(path, language)
        pool = path.texts[language]
        for k in range(per_customer):
            ms = await c.send(pool[(offset + i * 7 + k) % len(pool)])
            if ms is None:
                errors += 1
            else:
                latencies.append(ms)

    started = time.perf_counter()
    await asyncio.gather(*(customer(i) for i in range(in_flight)))
    return latencies, errors, time.perf_counter() - started


async def one_at_a_time(path: Path_, total: int, offset: int) -> tuple[dict[str, list[float]], dict[str, list[float]], int]:
    """``total`` messages one at a time: an English customer, then a Chinese one; (latencies per language, per turn kind, errors)."""
    by_language: dict[str, list[float]] = {}
    by_kind: dict[str, list[float]] = {}
    errors = 0
    for index, language in enumerate(LANGUAGES):
        latencies, failed, _ = await closed_loop_for(path, language, max(1, total // len(LANGUAGES)), offset + index * 13, by_kind)
        by_language[language] = latencies
        errors += failed
    return by_language, by_kind, errors


async def closed_loop_for(path: Path_, language: str, count: int, offset: int,
                          by_kind: dict[str, list[float]] | None = None) -> tuple[list[float], int, float]:
    c = Customer(path, language)
    pool = path.texts[language]
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    for k in range(count):
        ms = await c.send(pool[(offset + k) % len(pool)])
        if ms is None:
            errors += 1
        else:
            latencies.append(ms)
            if by_kind is not None and c.last_kind:
                by_kind.setdefault(c.last_kind, []).append(ms)
    return latencies, errors, time.perf_counter() - started


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-").replace("--", "-")


async def measure_path(path: Path_, meter: ProcessMeter, single: int, many: int, in_flight: int, offset: int, profile_dir: Path | None = None) -> PathResult:
    await closed_loop(path, 2, 6, offset + 500)  # untimed warm-up of this path
    one_by_language, one_by_kind, errors_one = await one_at_a_time(path, single, offset)
    one = [ms for values in one_by_language.values() for ms in values]
    meter.mark()
    commands_before = redis_commands()
    load_before = os.getloadavg()[0]
    profilers = meter.start_profiles(profile_dir, slug(path.name)) if profile_dir else []
    try:
        loaded, errors_many, wall = await closed_loop(path, in_flight, many, offset + 1000)
    finally:
        meter.stop_profiles(profilers)
    load_after = os.getloadavg()[0]
    commands = (redis_commands() - commands_before) / max(1, len(loaded) + errors_many)
    cpu = {name: ms / max(1, len(loaded)) for name, ms in meter.cpu_ms_since_mark().items()}
    log(f"{path.name}: 1x p50 {percentile(one, 50):.1f} ms, {in_flight}x {len(loaded) / wall:.1f}/s p95 {percentile(loaded, 95):.0f} ms")
    return PathResult(path.name, percentile(one, 50), percentile(one, 95), len(loaded) / wall, percentile(loaded, 95),
                      errors_one + errors_many, cpu, (load_before, load_after), one_by_language, one_by_kind, commands)


def redis_commands() -> int:
    """Commands the bench's Valkey has processed so far (all clients)."""
    client = sync_client()
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()


# ---------------------------------------------------------------- open loop

@dataclass
class Step:
    rate: float
    sent: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    late_arrivals: int = 0  # arrivals the generator itself could not start on time (>50 ms late)
    load: float = 0.0

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def ok(self) -> bool:
        return self.errors == 0 and bool(self.latencies) and self.p95 < LATENCY_OBJECTIVE_MS


async def open_loop_step(path: Path_, rate: float, seconds: float, think_seconds: float) -> Step:
    """Arrivals every 1/rate s for ``seconds``, round-robin over rate x think_seconds customers (each writes every think_seconds)."""
    customers = [Customer(path, LANGUAGES[i % 2]) for i in range(max(1, min(2000, int(rate * think_seconds))))]
    sem = asyncio.Semaphore(20)

    async def open_one(c: Customer) -> None:
        async with sem:
            await c.fresh()

    await asyncio.gather(*(open_one(c) for c in customers if path.via_hub))  # conversations exist before the clock starts
    step = Step(rate, 0)
    tasks: list[asyncio.Task] = []

    async def arrive(c: Customer, text: str) -> None:
        ms = await c.send(text)
        if ms is None:
            step.errors += 1
        else:
            step.latencies.append(ms)

    interval = 1.0 / rate
    started = time.perf_counter()
    n = int(rate * seconds)
    for k in range(n):
        due = started + k * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.05:
            step.late_arrivals += 1
        c = customers[k % len(customers)]
        pool = path.texts[c.language]
        tasks.append(asyncio.create_task(arrive(c, pool[(k * 7) % len(pool)])))
        step.sent += 1
    step.load = os.getloadavg()[0]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    return step


# ---------------------------------------------------------------- handoff latencies

def add_agents(stack: Stack, count: int) -> list[str]:
    """Agent accounts made the way an operator makes them (the CLI)."""
    import subprocess

    names = [f"bench-agent-{i}" for i in range(count)]
    for name in names:
        proc = subprocess.run([sys.executable, "-m", "handoff", "add", name, "--name", name, "--password", AGENT_PASSWORD, "--capacity", "100"],
                              cwd=ROOT, env=stack.child_env(), capture_output=True, text=True)
        if proc.returncode != 0 and "exists" not in proc.stderr:
            raise RuntimeError(proc.stderr)
    return names


class Console_:
    """An agent console: a logged-in agent's WebSocket, with the arrival time of every frame."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.frames: list[tuple[float, dict]] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.frames.append((time.time(), json.loads(raw)))
        except websockets.ConnectionClosed:
            pass

    async def first(self, predicate, timeout: float = 10.0) -> float | None:
        """Arrival time of the first frame matching ``predicate``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, frame in self.frames:
                if predicate(frame):
                    return at
            await asyncio.sleep(0.002)
        return None


async def handoff_latencies(settings: Settings, names: list[str], rounds: int) -> dict[str, list[float]]:
    """(1) customer message in an agent-owned chat -> that agent's WebSocket; (2) escalation -> queue update on every console."""
    ws_base = settings.hub_url.replace("http", "ws")
    out: dict[str, list[float]] = {"message_to_agent": [], "escalation_to_consoles": [], "request_to_consoles": []}
    async with httpx.AsyncClient(base_url=settings.hub_url, timeout=60) as hub:
        tokens = []
        for name in names:
            resp = await hub.post("/api/agent/login", json={"username": name, "password": AGENT_PASSWORD})
            resp.raise_for_status()
            tokens.append(resp.json()["token"])
        consoles = [Console_(await websockets.connect(f"{ws_base}/api/agent/ws?token={t}", max_queue=None)) for t in tokens]
        await asyncio.sleep(1.0)
        for i in range(rounds):
            resp = await hub.post("/api/conversations", json={"language": "en", "customer": {"name": "Bench customer"}})
            body = resp.json()
            cid, headers = body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}
            requested = time.time()
            await hub.post(f"/api/conversations/{cid}/handoff", headers=headers)  # the widget's "talk to a person" (a bot turn)
            for console in consoles:
                def queued(f: dict, cid: str = cid) -> bool:  # queued, or straight to an agent by routing
                    return f.get("type") == "conversation_changed" and f.get("conversation_id") == cid and f.get("status") in ("queued", "assigned")
                arrived = await console.first(queued)
                frame = next((f for _, f in console.frames if queued(f)), None)
                if arrived is not None and frame is not None:
                    out["escalation_to_consoles"].append((arrived - frame.get("at", requested)) * 1000)
                    out["request_to_consoles"].append((arrived - requested) * 1000)
            # Routing may already have pushed the chat to an agent; otherwise the first one claims it.
            conv = (await hub.get(f"/api/conversations/{cid}", headers=headers)).json()["conversation"]
            owner = names.index(conv["agent"]) if conv.get("agent") in names else 0
            if conv["status"] == "queued":
                claim = await hub.post(f"/api/agent/conversations/{cid}/claim", headers={"Authorization": f"Bearer {tokens[owner]}"})
                claim.raise_for_status()
            for k in range(3):
                text = f"round {i} line {k}"
                sent = time.time()
                resp = await hub.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=headers)
                mid = resp.json()["message"]["id"]
                arrived = await consoles[owner].first(lambda f, mid=mid: f.get("type") == "message" and f.get("message", {}).get("id") == mid)
                if arrived is not None:
                    out["message_to_agent"].append((arrived - sent) * 1000)
            await hub.post(f"/api/agent/conversations/{cid}/resolve", headers={"Authorization": f"Bearer {tokens[owner]}"})
            for console in consoles:
                console.frames.clear()
        for console in consoles:
            await console.ws.close()
    return out


# ---------------------------------------------------------------- many open WebSockets

async def idle_sockets(settings: Settings, meter: "ProcessMeter", count: int, chatting: int, rate: float, seconds: float) -> dict:
    """``count`` customer WebSockets held open (the hub pings each one), then ``chatting`` of them send FAQ questions at ``rate``/s."""
    ws_base = settings.hub_url.replace("http", "ws")
    questions = load_questions()
    result: dict = {"rss_before": meter.rss_mb()["hub"]}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=settings.hub_url, timeout=60, limits=limits) as hub:
        sem = asyncio.Semaphore(20)

        async def start(i: int) -> tuple[str, dict, object]:
            async with sem:
                lang = LANGUAGES[i % 2]
                for attempt in range(3):  # a kept-alive connection the server just closed: try again on a new one
                    try:
                        body = (await hub.post("/api/conversations", json={"language": lang, "customer": {"name": "Bench customer"}})).json()
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                ws = await websockets.connect(f"{ws_base}/api/conversations/{body['conversation_id']}/ws?token={body['token']}", open_timeout=60, max_queue=None)
                return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}, ws

        opened = await asyncio.gather(*(start(i) for i in range(count)))
        readers = [asyncio.create_task(_drain(ws)) for _, _, ws in opened]
        await asyncio.sleep(5)
        result["rss_idle_sockets"] = meter.rss_mb()["hub"]
        meter.mark()
        await asyncio.sleep(10)
        result["hub_cpu_idle_percent"] = meter.cpu_ms_since_mark()["hub"] / 100
        latencies: list[float] = []
        errors = 0
        tasks = []

        retries = 0

        async def ask(k: int) -> None:
            nonlocal errors, retries
            cid, headers, _ = opened[k % chatting]
            pool = questions[LANGUAGES[(k % chatting) % 2]]
            body = {"text": pool[k % len(pool)], "client_message_id": f"bench-{k}"}
            started = time.perf_counter()
            for attempt in range(2):
                try:
                    resp = await hub.post(f"/api/conversations/{cid}/messages", json=body, headers=headers)
                    break
                except httpx.TransportError:
                    # A kept-alive connection the server closed while idle: the same message again on a
                    # new connection (client_message_id makes the retry safe: stored and answered once).
                    retries += 1
                    if attempt == 1:
                        errors += 1
                        return
            if resp.status_code == 200:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

        begun = time.perf_counter()
        for k in range(int(rate * seconds)):
            delay = begun + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(ask(k)))
        await asyncio.gather(*tasks)
        result.update(rss_chatting=meter.rss_mb()["hub"], latencies=latencies, errors=errors, retries=retries,
                      open_after=sum(1 for _, _, ws in opened if ws.state.name == "OPEN"))
        for _, _, ws in opened:
            await ws.close()
        for r in readers:
            r.cancel()
    return result


async def _drain(ws) -> None:
    try:
        async for _ in ws:
            pass
    except websockets.ConnectionClosed:
        pass


# ---------------------------------------------------------------- soak

async def soak(path: Path_, meter: "ProcessMeter", rate: float, seconds: float, think_seconds: float, sample_every: float = 60.0) -> tuple[list[dict], Step]:
    """The open loop at a fixed rate for ``seconds``, RSS of every process sampled along the way."""
    samples: list[dict] = [{"t": 0, **meter.rss_mb()}]
    done = asyncio.Event()

    async def sample() -> None:
        started = time.monotonic()
        while not done.is_set():
            try:
                await asyncio.wait_for(done.wait(), sample_every)
            except asyncio.TimeoutError:
                samples.append({"t": round(time.monotonic() - started), **meter.rss_mb()})

    sampler = asyncio.create_task(sample())
    step = await open_loop_step(path, rate, seconds, think_seconds)
    done.set()
    await sampler
    samples.append({"t": round(seconds), **meter.rss_mb()})
    return samples, step


# ---------------------------------------------------------------- report

def fmt(v: float, digits: int = 1) -> str:
    return "-" if v != v else f"{v:,.{digits}f}"


def spread(values: list[float], digits: int = 1) -> str:
    """``median (min-max)`` of repeated measurements, or the one value."""
    if len(values) == 1:
        return fmt(values[0], digits)
    return f"{fmt(statistics.median(values), digits)} ({fmt(min(values), digits)}-{fmt(max(values), digits)})"


def print_paths(rounds: list[list[PathResult]], in_flight: int) -> None:
    print(f"\n## paths ({len(rounds)} round(s); median (min-max))\n")
    print(f"| path | 1x p50 ms | 1x p95 ms | {in_flight}x replies/s | {in_flight}x p95 ms | errors | load avg |")
    print("|---|---|---|---|---|---|---|")
    for i, first in enumerate(rounds[0]):
        rs = [r[i] for r in rounds]
        loads = [x for r in rs for x in r.load]
        print(f"| {first.name} | {spread([r.one_p50 for r in rs])} | {spread([r.one_p95 for r in rs])} | {spread([r.many_rate for r in rs])} "
              f"| {spread([r.many_p95 for r in rs], 0)} | {sum(r.errors for r in rs)} | {min(loads):.1f}-{max(loads):.1f} |")
    print("\n### 1x per language (one English customer, then one Chinese), ms\n")
    print("| path | en p50 | en p95 | zh p50 | zh p95 |")
    print("|---|---|---|---|---|")
    for i, first in enumerate(rounds[0]):
        rs = [r[i] for r in rounds]
        cells = [spread([percentile(r.one_by_language.get(lang, []), q) for r in rs]) for lang in LANGUAGES for q in (50, 95)]
        print(f"| {first.name} | " + " | ".join(cells) + " |")
    kinds = {kind: [ms for r in rounds for p in r for ms in p.one_by_kind.get(kind, [])] for p in rounds[0] for kind in p.one_by_kind}
    if kinds:
        print("\n### 1x through the hub by what the turn did (all rounds pooled), ms\n")
        print("| turn | messages | p50 | p95 | max |")
        print("|---|---|---|---|---|")
        for kind, values in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
            print(f"| {kind} | {len(values)} | {fmt(percentile(values, 50))} | {fmt(percentile(values, 95))} | {fmt(max(values))} |")
    hub_rate = [r[3].many_rate for r in rounds]
    rule_rate = [r[1].many_rate for r in rounds]
    ratios = [h / g for h, g in zip(hub_rate, rule_rate)]
    print(f"\nFAQ through the hub / bare Rasa rule reply ({in_flight}x replies/s, same round): {spread([x * 100 for x in ratios], 0)} %")
    print(f"\n### CPU per reply at {in_flight}x, ms of CPU per process (median of rounds)\n")
    names = sorted({n for r in rounds for p in r for n in p.cpu_ms_per_reply})
    print("| path | " + " | ".join(names) + " | total | Redis commands per reply (scripts' own included) |")
    print("|---|" + "---|" * (len(names) + 2))
    for i, first in enumerate(rounds[0]):
        cells = [statistics.median([r[i].cpu_ms_per_reply.get(n, 0.0) for r in rounds]) for n in names]
        commands = statistics.median([r[i].redis_commands_per_reply for r in rounds])
        print(f"| {first.name} | " + " | ".join(fmt(c) for c in cells) + f" | {fmt(sum(cells))} | {fmt(commands)} |")


def print_open_loop(steps: list[Step], think_seconds: float) -> None:
    print(f"\n## open loop: FAQ questions through the hub at a fixed arrival rate (customers = rate x {think_seconds:g} s)\n")
    print("| arrivals/s | sent | replies | errors | p50 ms | p95 ms | p99 ms | late arrivals | load avg | p95 < 300 ms, no errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s in steps:
        print(f"| {s.rate:g} | {s.sent} | {len(s.latencies)} | {s.errors} | {fmt(percentile(s.latencies, 50))} | {fmt(s.p95)} | "
              f"{fmt(percentile(s.latencies, 99))} | {s.late_arrivals} | {s.load:.1f} | {'yes' if s.ok else 'no'} |")
    passing = [s.rate for s in steps if s.ok]
    print(f"\ncapacity at the objective: **{max(passing) if passing else 0:g} FAQ replies/s**")


def print_rss(title: str, rss: dict[str, float]) -> None:
    print(f"\n## RSS {title} (MB, process and its children)\n")
    print("| " + " | ".join(rss) + " |")
    print("|" + "---|" * len(rss))
    print("| " + " | ".join(f"{v:.0f}" for v in rss.values()) + " |")


# ---------------------------------------------------------------- main

def bounded(limit: float, kind=int):
    def parse(text: str):
        value = kind(text)
        if not 0 < value <= limit:
            raise argparse.ArgumentTypeError(f"must be in (0, {limit}]")
        return value
    return parse


PARTS = ("paths", "open-loop", "handoff", "sockets", "soak")


def parts(text: str) -> set[str]:
    chosen = {p.strip() for p in text.split(",") if p.strip()}
    if not chosen or chosen - set(PARTS):
        raise argparse.ArgumentTypeError(f"comma-separated, of {', '.join(PARTS)}")
    return chosen


def layouts(text: str) -> list[tuple[int, int, int]]:
    try:
        out = [tuple(int(n) for n in item.split("/")) for item in text.split(",") if item.strip()]
    except ValueError:
        out = []
    if not out or any(len(t) != 3 or not all(1 <= n <= 4 for n in t) for t in out):
        raise argparse.ArgumentTypeError("hub/rasa/actions worker counts (1-4 each), comma-separated, e.g. 1/1/1,2/2/2")
    return out  # type: ignore[return-value]


def rates(text: str) -> list[float]:
    values = [float(x) for x in text.split(",") if x.strip()]
    if not values or any(not 0 < v <= MAX_RATE for v in values):
        raise argparse.ArgumentTypeError(f"comma-separated rates in (0, {MAX_RATE}]")
    return values


async def run(args: argparse.Namespace, settings: Settings, stack: Stack, meter: ProcessMeter) -> None:
    questions = load_questions()
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=settings.hub_url, timeout=60, limits=limits) as hub, \
               httpx.AsyncClient(base_url=settings.rasa_url, timeout=60, limits=limits) as rasa:
        paths = make_paths(settings, hub, rasa, questions)
        if "paths" in args.only:
            rounds = []
            for r in range(args.repeat):
                log(f"paths, round {r + 1}/{args.repeat}")
                rounds.append([await measure_path(p, meter, args.single, args.many, args.in_flight, r * 37, args.profile) for p in paths])
            print_paths(rounds, args.in_flight)
        if "open-loop" in args.only:
            steps = []
            await closed_loop(paths[3], 4, 40, 900)  # untimed warm-up, as every path gets (a fresh stack's first replies are slow)
            for rate in args.rates:
                log(f"open loop at {rate:g}/s for {args.step_seconds:g} s")
                step = await open_loop_step(paths[3], rate, args.step_seconds, args.think_seconds)
                steps.append(step)
                log(f"  p95 {step.p95:.0f} ms, errors {step.errors}")
                if not step.ok and args.stop_at_first_miss:
                    break
            print_open_loop(steps, args.think_seconds)
            print_rss("after the load", meter.rss_mb())
        if "handoff" in args.only:
            log("handoff latencies")
            lat = await handoff_latencies(settings, add_agents(stack, args.consoles), args.handoff_rounds)
            print(f"\n## handoff ({args.consoles} agent consoles, {args.handoff_rounds} escalations, load avg {os.getloadavg()[0]:.1f})\n")
            print("| what | samples | p50 ms | p95 ms | max ms |")
            print("|---|---|---|---|---|")
            for name, label in (("message_to_agent", "customer message (REST) -> owning agent's WebSocket"),
                                ("escalation_to_consoles", "escalation (queue move) -> queue update on every console"),
                                ("request_to_consoles", "customer's 'talk to a person' request (incl. its bot turn) -> every console")):
                v = lat[name]
                print(f"| {label} | {len(v)} | {fmt(percentile(v, 50))} | {fmt(percentile(v, 95))} | {fmt(max(v) if v else float('nan'))} |")
        if "sockets" in args.only:
            log(f"{args.sockets} idle customer WebSockets, {args.chatting} chatting at {args.chat_rate:g}/s")
            res = await idle_sockets(settings, meter, args.sockets, args.chatting, args.chat_rate, args.step_seconds)
            lat = res["latencies"]
            print(f"\n## {args.sockets} customer WebSockets on {settings.hub_workers} hub worker(s) (heartbeat every {settings.ws_heartbeat_seconds:g} s)\n")
            print(f"hub RSS: {res['rss_before']:.0f} MB before, {res['rss_idle_sockets']:.0f} MB with the sockets idle "
                  f"(hub CPU while idle: {res['hub_cpu_idle_percent']:.1f} % of a core), {res['rss_chatting']:.0f} MB after {args.chatting} of them chatted; "
                  f"{res['open_after']} still open")
            print(f"{args.chatting} chatting at {args.chat_rate:g} FAQ questions/s: {len(lat)} replies, {res['errors']} errors "
                  f"({res['retries']} retried on a new connection after the server closed an idle one), "
                  f"p50 {fmt(percentile(lat, 50))} ms, p95 {fmt(percentile(lat, 95))} ms, load avg {os.getloadavg()[0]:.1f}")
        if "soak" in args.only:
            log(f"soak at {args.soak_rate:g}/s for {args.soak_seconds:g} s")
            samples, step = await soak(paths[3], meter, args.soak_rate, args.soak_seconds, args.think_seconds)
            print(f"\n## soak: {args.soak_rate:g} FAQ replies/s through the hub for {args.soak_seconds:g} s\n")
            print(f"{len(step.latencies)} replies, {step.errors} errors, p50 {fmt(percentile(step.latencies, 50))} ms, p95 {fmt(step.p95)} ms, "
                  f"late arrivals {step.late_arrivals}, load avg {step.load:.1f}\n")
            names = [k for k in samples[0] if k != "t"]
            print("| s | " + " | ".join(f"{n} MB" for n in names) + " |")
            print("|---|" + "---|" * len(names))
            for row in samples:
                print(f"| {row['t']} | " + " | ".join(f"{row[n]:.0f}" for n in names) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", type=parts, help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all but soak)")
    parser.add_argument("--repeat", type=bounded(5), default=3, help="rounds of the paths table (default 3: min/median/max)")
    parser.add_argument("--single", type=bounded(1000), default=60, help="1x requests per path (default 60)")
    parser.add_argument("--many", type=bounded(5000), default=300, help="20x requests per path (default 300)")
    parser.add_argument("--in-flight", type=bounded(100), default=20, help="requests in flight in the loaded run (default 20)")
    parser.add_argument("--rates", type=rates, default=rates("4,6,8,10,15,20,30,40,50,60,80"), help="open-loop arrival rates, replies/s")
    parser.add_argument("--step-seconds", type=bounded(MAX_STEP_SECONDS, float), default=20.0, help="seconds per open-loop rate (default 20)")
    parser.add_argument("--think-seconds", type=bounded(60, float), default=10.0, help="each customer writes every this many s (default 10)")
    parser.add_argument("--consoles", type=bounded(50), default=10, help="agent consoles (WebSockets) open in the handoff part (default 10)")
    parser.add_argument("--handoff-rounds", type=bounded(200), default=30, help="escalations in the handoff part (default 30)")
    parser.add_argument("--sockets", type=bounded(5000), default=1000, help="idle customer WebSockets (default 1000)")
    parser.add_argument("--chatting", type=bounded(1000), default=200, help="of which chatting (default 200)")
    parser.add_argument("--chat-rate", type=bounded(MAX_RATE, float), default=20.0, help="their FAQ questions per second (default 20: each every 10 s)")
    parser.add_argument("--soak-rate", type=bounded(MAX_RATE, float), default=25.0, help="soak arrival rate (default 25/s: half the target)")
    parser.add_argument("--soak-seconds", type=bounded(1800, float), default=600.0, help="soak duration (default 600 s)")
    parser.add_argument("--profile", type=Path, help="record py-spy flame graphs (SVG) of hub, Rasa and actions during each loaded path, into this directory")
    parser.add_argument("--workers", type=layouts, default=layouts("1/1/1"),
                        help="worker layouts hub/rasa/actions, comma-separated, each measured on its own stack in this run (e.g. 1/1/1,2/2/2)")
    parser.add_argument("--query-cache", action="store_true", help="keep the product's query-vector cache on (off by default: the questions repeat)")
    parser.add_argument("--keep-going", dest="stop_at_first_miss", action="store_false", help="do not stop the ramp at the first rate that misses")
    args = parser.parse_args()
    args.only = args.only or set(PARTS) - {"soak"}

    for hub_workers, rasa_workers, action_workers in args.workers:
        # One stack per worker layout, one after the other in this run (same machine, minutes apart).
        layout = Settings(hub_workers=hub_workers, rasa_workers=rasa_workers, action_workers=action_workers)
        started_at = datetime.now(timezone.utc)
        with fresh_stack(BENCH_ENV, layout, (*SERVICES, "desk")) as (settings, stack, meter):
            time.sleep(5)
            print(f"# capacity {started_at:%Y-%m-%d %H:%M} UTC | {os.cpu_count()} cores | workers: hub {hub_workers}, Rasa {rasa_workers}, "
                  f"actions {action_workers} | load average at start {os.getloadavg()[0]:.2f}")
            idle_cpu = meter.idle_cpu_percent(10.0)
            print_rss("idle", meter.rss_mb())
            print("\nCPU at idle over 10 s (% of one core): " + ", ".join(f"{k} {v:.1f}" for k, v in idle_cpu.items()))
            asyncio.run(run(args, settings, stack, meter))
            print(f"\nload average at the end {os.getloadavg()[0]:.2f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
