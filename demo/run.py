"""``./cs demo --days N``: play simulated customers and agents through the hub's real HTTP API; ``--wipe`` removes them.

The hub must run with the demo clock (``CS_DEMO_CLOCK=true``, never in
production): every request carries ``X-Simulated-Time``, so a month of
history takes minutes, and after each simulated day the hub runs the due work
(SLA breaches) up to that day's end. Simulated customers come from their own
addresses (``X-Forwarded-For``, which the hub trusts from loopback only), so
the per-address limits treat them as the different people they stand for.

Everything the demo creates is remembered (``Keys.demo_info``,
``Keys.demo_conversations``), so ``--wipe`` removes exactly that: the
conversations with their events and tickets, the made-up customers' records,
the demo accounts, and the rollup is rebuilt from what is left.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from analytics.rollup import Rollup
from core.identity import sign_identity
from core.redis import Keys, async_client, sync_client
from core.settings import Settings, get_settings
from customers.store import CustomerStore
from demo.plan import SimulatedCustomer, Step, customers
from handoff.agents import Agent, AgentDirectory
from privacy.erase import Eraser

log = logging.getLogger("demo")
SUPERVISOR = "demo-supervisor"
STAFF = {"demo-li": ("李娜 (demo)", ["zh"]), "demo-zhang": ("张伟 (demo)", ["zh"]), "demo-amy": ("Amy (demo)", ["en"]), "demo-ben": ("Ben (demo)", ["en", "zh"])}
BANNER = "SIMULATED DATA (./cs demo): every conversation, ticket and rating below was made up. Remove it with: ./cs demo --wipe"


class DemoClockOff(RuntimeError):
    pass


class Driver:
    """One hub, its demo accounts signed in, playing customers one step at a time."""

    def __init__(self, settings: Settings, base_url: str, tokens: dict[str, str]) -> None:
        self.settings = settings
        self.http = httpx.AsyncClient(base_url=base_url, timeout=90.0)
        self.tokens = tokens
        self.failures: dict[str, int] = {}

    async def call(self, who: str, method: str, path: str, at: float, *, token: str | None = None, body: dict | None = None,
                   address: str = "") -> httpx.Response:
        headers = {"X-Simulated-Time": f"{at:.3f}", "Authorization": f"Bearer {token or self.tokens[who]}"}
        if address:
            headers["X-Forwarded-For"] = address
        return await self.http.request(method, path, json=body, headers=headers)

    async def play(self, c: SimulatedCustomer, index: int) -> str | None:
        """All of one customer's steps, in order; returns the conversation id."""
        address = f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"
        cid = token = ""
        last_bot = ""
        agent_ok = True
        for step in c.steps:
            if step.actor == "customer":
                if step.action == "start":
                    name = f"Demo {'客户' if c.language == 'zh' else 'customer'} {index}"
                    ref = f"demo-{index}"
                    who = {"name": name, "ref": ref, "tier": c.tier, "signature": sign_identity(self.settings.secret("identity-secret"), ref, c.tier, name)}
                    r = await self.call("customer", "POST", "/api/conversations", step.at, token="-",
                                        body={"channel": c.channel, "language": c.language, "customer": who}, address=address)
                    if r.status_code != 201:
                        return self._fail("start", r)
                    cid, token = r.json()["conversation_id"], r.json()["token"]
                    continue
                r = await self._customer_step(cid, token, step, last_bot, address)
                if r is not None and r.status_code < 300 and step.action == "say":
                    bots = [m for m in r.json().get("replies", []) if m["sender"] == "bot"]
                    last_bot = bots[-1]["id"] if bots else last_bot
            elif agent_ok:
                agent_ok = await self._agent_step(cid, step)
        return cid

    async def _customer_step(self, cid: str, token: str, step: Step, last_bot: str, address: str) -> httpx.Response | None:
        path = f"/api/conversations/{cid}"
        if step.action == "say":
            r = await self.call("customer", "POST", f"{path}/messages", step.at, token=token, body={"text": step.data["text"]}, address=address)
        elif step.action == "vote":
            if not last_bot:
                return None
            r = await self.call("customer", "POST", f"{path}/feedback", step.at, token=token, body={"message_id": last_bot, "helpful": step.data["helpful"]}, address=address)
        elif step.action == "handoff":
            r = await self.call("customer", "POST", f"{path}/handoff", step.at, token=token, address=address)
        elif step.action == "rate":
            r = await self.call("customer", "POST", f"{path}/rating", step.at, token=token, body=step.data, address=address)
        else:
            return None
        if r.status_code >= 300:
            self._fail(step.action, r)
        return r

    async def _agent_step(self, cid: str, step: Step) -> bool:
        path = f"/api/agent/conversations/{cid}"
        body = {"claim": None, "reply": {"text": step.data.get("text", "")}, "transfer": {"to": step.data.get("to", "")}, "resolve": None}[step.action]
        r = await self.call(step.actor, "POST", f"{path}/{step.action}" if step.action != "reply" else f"{path}/messages", step.at, body=body)
        if r.status_code >= 300:  # e.g. routing gave the chat to someone else, or the bot kept it (no escalation)
            self._fail(step.action, r)
            return False
        return True

    def _fail(self, what: str, r: httpx.Response) -> None:
        key = f"{what} {r.status_code}"
        self.failures[key] = self.failures.get(key, 0) + 1
        log.debug("%s: %s %s", what, r.status_code, r.text[:200])
        return None

    async def advance(self, to: float) -> int:
        r = await self.call(SUPERVISOR, "POST", "/api/demo/advance", to, body={"to": to})
        if r.status_code == 404:
            raise DemoClockOff("this hub does not run the demo clock: start it with CS_DEMO_CLOCK=true (a demo install only, never production)")
        r.raise_for_status()
        return r.json()["ran"]

    async def aclose(self) -> None:
        await self.http.aclose()


async def _accounts(settings: Settings, agents: AgentDirectory, base_url: str) -> dict[str, str]:
    """Create (or refresh) the demo accounts and sign each in; everyone goes "away" so that the demo, not routing, decides who takes what."""
    tokens = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
        for username, (name, skills) in {SUPERVISOR: ("Demo supervisor", []), **STAFF}.items():
            password = secrets.token_urlsafe(18)
            role = "supervisor" if username == SUPERVISOR else "agent"
            await agents.create(Agent(username=username, display_name=name, role=role, capacity=20, skills=skills), password)
            r = await http.post("/api/agent/login", json={"username": username, "password": password})
            r.raise_for_status()
            tokens[username] = r.json()["token"]
            await http.post("/api/agent/presence", json={"presence": "away"}, headers={"Authorization": f"Bearer {tokens[username]}"})
    return tokens


async def simulate(settings: Settings, days: int, per_day: int, seed: int, parallel: int, base_url: str) -> dict:
    keys = Keys(settings.key_prefix)
    client = async_client(settings)
    zone = ZoneInfo(settings.business_hours.timezone)
    now = time.time()
    first = datetime.fromtimestamp(now, zone).date() - timedelta(days=days - 1)
    driver = None
    try:
        probe = httpx.post(f"{base_url}/api/demo/advance", json={"to": now}, timeout=10)
        if probe.status_code == 404:
            raise DemoClockOff("this hub does not run the demo clock: start it with CS_DEMO_CLOCK=true (a demo install only, never production)")
        tokens = await _accounts(settings, AgentDirectory(client, keys), base_url)
        await client.hset(keys.demo_info, mapping={"created_at": str(now), "days": str(days), "notice": BANNER,
                                                   "accounts": json.dumps([SUPERVISOR, *STAFF])})
        driver = Driver(settings, base_url, tokens)
        staff = {"zh": [u for u, (_, s) in STAFF.items() if "zh" in s], "en": [u for u, (_, s) in STAFF.items() if "en" in s]}
        plan = customers(first, days, per_day, staff, zone, seed, until=now - 600)
        index, made = 0, 0
        for offset in range(days):
            day = first + timedelta(days=offset)
            todays = [c for c in plan if datetime.fromtimestamp(c.start, zone).date() == day]
            gate = asyncio.Semaphore(parallel)

            async def one(c: SimulatedCustomer, i: int) -> str | None:
                async with gate:
                    return await driver.play(c, i)

            cids = await asyncio.gather(*(one(c, index + i) for i, c in enumerate(todays)))
            index += len(todays)
            done = [cid for cid in cids if cid]
            if done:
                await client.sadd(keys.demo_conversations, *done)
            made += len(done)
            end_of_day = min(datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).timestamp(), now)
            ran = await driver.advance(end_of_day)
            print(f"  {day.isoformat()}: {len(done)} simulated conversations, {ran} due SLA/auto-close jobs run", flush=True)
        await driver.advance(now)
        return {"conversations": made, "days": days, "failures": driver.failures}
    finally:
        if driver:
            await driver.aclose()
        await client.aclose()


async def wipe(settings: Settings) -> dict:
    """Remove what the demo made: its conversations (with their events, tickets and gap records), its customers' records, its
    accounts, and the rollup's copy."""
    keys = Keys(settings.key_prefix)
    sync = sync_client(settings)
    client = async_client(settings)
    try:
        cids = set(sync.smembers(keys.demo_conversations))
        from kb.gaps import GapLog

        made_up = {sync.hget(keys.conv(cid), "customer_id") for cid in cids} - {None, ""}  # read before the conversations go
        erased = Eraser(sync, keys, [GapLog(sync, keys).key]).erase(cids)
        customers = CustomerStore(client, keys)
        people = 0
        for customer_id in made_up:  # a simulated customer's record goes too, unless a real conversation joined it since
            if not await customers.conversations(customer_id):
                await customers.remove(customer_id)
                people += 1
        accounts = json.loads(sync.hget(keys.demo_info, "accounts") or "[]")
        directory = AgentDirectory(client, keys)
        for username in accounts:
            await directory.remove(username)
        sync.delete(keys.demo_conversations, keys.demo_info, keys.demo_due)
        events = await Rollup.from_settings(client, settings).rebuild()
        return {"conversations": erased.conversations, "tickets": erased.tickets, "customers": people, "accounts": len(accounts), "events_refolded": events}
    finally:
        sync.close()
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="./cs demo", description="Fill the hub with simulated history through its real API (a demo install only).")
    p.add_argument("--days", type=int, default=30, help="how many days of history, ending today (default 30)")
    p.add_argument("--per-day", type=int, default=24, help="simulated customers on an ordinary day (default 24)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--parallel", type=int, default=3, help="customers played at once (default 3)")
    p.add_argument("--hub", help="the hub's URL (default: this machine's hub from the settings)")
    p.add_argument("--wipe", action="store_true", help="remove everything an earlier ./cs demo made")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = get_settings()
    if args.wipe:
        print(f"wiped the simulated data: {asyncio.run(wipe(settings))}")
        return 0
    if not 1 <= args.days <= 366 or not 1 <= args.per_day <= 2000 or not 1 <= args.parallel <= 16:
        print("error: --days 1..366, --per-day 1..2000, --parallel 1..16", file=sys.stderr)
        return 2
    print(BANNER)
    try:
        result = asyncio.run(simulate(settings, args.days, args.per_day, args.seed, args.parallel, args.hub or settings.hub_url))
    except (DemoClockOff, httpx.ConnectError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"done: {result['conversations']} simulated conversations over {result['days']} days (refused steps: {result['failures'] or 'none'}).")
    print(f"Open {args.hub or settings.hub_url}/dashboard as a supervisor; write a briefing with ./cs report --period 30d. {BANNER}")
    return 0
