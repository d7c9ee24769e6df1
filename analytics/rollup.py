"""The rollup: every conversation's facts, kept per day in Redis and advanced incrementally from the events stream.

Rolling up is a fold of the stream (``analytics/facts.py``) from a cursor (the
last event id folded), so it is always recomputable: ``rebuild`` drops the
rollup and folds the whole stream again. One worker folds at a time (a Redis
lock); readers call ``catch_up`` first, so a figure always includes every
event written before the request, and the hub also folds in the background so
that reads rarely have anything to do.

Buckets are days in the shop's time zone (the day a conversation started):
a period reads only its own days.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from analytics.facts import ConversationFacts, fold
from analytics.periods import Period
from core.redis import Keys

log = logging.getLogger(__name__)
BATCH = 500  # small batches, parsed and folded off the event loop: the hub keeps serving while it folds
LOCK_SECONDS = 30


class Rollup:
    def __init__(self, client: aioredis.Redis, keys: Keys, zone: ZoneInfo) -> None:
        self.r = client
        self.k = keys
        self.zone = zone

    def day_of(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self.zone).date().isoformat()

    async def catch_up(self, wait_seconds: float = 10.0, progress: Callable[[int], object] | None = None) -> int:
        """Fold every event not folded yet; returns how many. If another worker is folding, wait for it instead.
        ``progress`` is told how many events each batch folded (a long rebuild shows it)."""
        token = uuid.uuid4().hex
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while not await self.r.set(self.k.analytics_lock, token, nx=True, ex=LOCK_SECONDS):
            if asyncio.get_running_loop().time() > deadline:
                return 0
            await asyncio.sleep(0.05)
        try:
            folded = 0
            while True:
                n = await self._fold_batch()
                folded += n
                if progress is not None:
                    progress(n)
                if n < BATCH:
                    return folded
                await self.r.expire(self.k.analytics_lock, LOCK_SECONDS)
        finally:
            if await self.r.get(self.k.analytics_lock) == token:
                await self.r.delete(self.k.analytics_lock)

    async def _fold_batch(self) -> int:
        cursor = await self.r.get(self.k.analytics_cursor)
        rows = await self.r.xrange(self.k.events, f"({cursor}" if cursor else "-", "+", count=BATCH)
        if not rows:
            return 0
        events = await asyncio.to_thread(_by_conversation, rows)
        cids = list(events)
        days = dict(zip(cids, await self.r.hmget(self.k.analytics_days, cids))) if cids else {}
        pipe = self.r.pipeline(transaction=False)
        for cid in cids:
            pipe.hget(self.k.analytics_day(days[cid]), cid) if days[cid] else pipe.echo("")
        stored = await pipe.execute() if cids else []
        folded = await asyncio.to_thread(self._folded, cids, stored, events, days)
        pipe = self.r.pipeline(transaction=True)
        touched: set[str] = set()
        for cid, day, new_day, body in folded:
            if new_day:
                pipe.hset(self.k.analytics_days, cid, day)
            pipe.hset(self.k.analytics_day(day), cid, body)
            touched.add(day)
        for day in touched:
            pipe.hincrby(self.k.analytics_versions, day, 1)
        pipe.set(self.k.analytics_cursor, rows[-1][0])
        await pipe.execute()
        return len(rows)

    def _folded(self, cids: list[str], stored: list, events: dict[str, list[dict]], days: dict) -> list[tuple[str, str, bool, str]]:
        """Each conversation's facts with its new events folded in: (cid, day, day is new, facts as JSON). CPU only."""
        out = []
        for cid, raw in zip(cids, stored):
            facts = ConversationFacts.from_dict(json.loads(raw)) if raw else ConversationFacts(cid)
            for event in events[cid]:
                fold(facts, event)
            day = days[cid] or self.day_of(facts.started_at or facts.last_at)
            out.append((cid, day, not days[cid], json.dumps(facts.to_dict(), ensure_ascii=False)))
        return out

    async def facts(self, period: Period) -> list[ConversationFacts]:
        """Facts of the conversations that started in the period."""
        day, days = period.first_day - timedelta(days=1), []  # a day on either side: zone changes, late events
        while day <= period.last_day + timedelta(days=1):
            days.append(day)
            day += timedelta(days=1)
        pipe = self.r.pipeline(transaction=False)
        for d in days:
            pipe.hvals(self.k.analytics_day(d.isoformat()))
        out = []
        for values in await pipe.execute():
            for raw in values:
                f = ConversationFacts.from_dict(json.loads(raw))
                if period.start <= f.started_at < period.end:
                    out.append(f)
        return out

    async def versions(self, days: list[str]) -> list[str]:
        """The version of each day's facts ("" for a day never written)."""
        return [v or "" for v in await self.r.hmget(self.k.analytics_versions, days)] if days else []

    async def facts_of_days(self, days: list[str]) -> dict[str, list[ConversationFacts]]:
        """Each day's facts: the conversations that started on that day (shop's time zone)."""
        pipe = self.r.pipeline(transaction=False)
        for d in days:
            pipe.hvals(self.k.analytics_day(d))
        return {d: [ConversationFacts.from_dict(json.loads(raw)) for raw in values] for d, values in zip(days, await pipe.execute())}

    async def one(self, cid: str) -> ConversationFacts | None:
        day = await self.r.hget(self.k.analytics_days, cid)
        raw = await self.r.hget(self.k.analytics_day(day), cid) if day else None
        return ConversationFacts.from_dict(json.loads(raw)) if raw else None

    async def lag(self) -> int:
        """Events written but not folded yet."""
        cursor = await self.r.get(self.k.analytics_cursor)
        info = await self.r.xinfo_stream(self.k.events) if await self.r.exists(self.k.events) else None
        if not info:
            return 0
        if not cursor:
            return int(info["length"])
        return len(await self.r.xrange(self.k.events, f"({cursor}", "+", count=100_000))

    async def rebuild(self, progress: Callable[[int], object] | None = None) -> int:
        """Drop the rollup and fold the whole stream again (after a definition changed). Day versions keep growing,
        so no reader's cache can mistake a rebuilt day for the old one."""
        days = set(await self.r.hvals(self.k.analytics_days))
        pipe = self.r.pipeline(transaction=True)
        for d in days:
            pipe.delete(self.k.analytics_day(d))
        pipe.delete(self.k.analytics_days, self.k.analytics_cursor)
        await pipe.execute()
        return await self.catch_up(progress=progress)

    async def forget(self, cid: str) -> None:
        """A deleted conversation (privacy/retention) leaves the rollup too."""
        day = await self.r.hget(self.k.analytics_days, cid)
        if day:
            await self.r.hdel(self.k.analytics_day(day), cid)
        await self.r.hdel(self.k.analytics_days, cid)


async def run_forever(rollup: Rollup, interval: float, stop: asyncio.Event) -> None:
    """The hub's background fold: keeps reads cheap by keeping the rollup close to the stream."""
    while not stop.is_set():
        try:
            await rollup.catch_up(wait_seconds=0)
        except Exception:  # Redis away for a moment: the next round catches up
            log.warning("analytics rollup: catch-up failed", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except asyncio.TimeoutError:
            pass


def day_range(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _by_conversation(rows: list) -> dict[str, list[dict]]:
    """The stream entries parsed and grouped by conversation (entries of no conversation are left out)."""
    events: dict[str, list[dict]] = {}
    for _, fields in rows:
        try:
            event = json.loads(fields.get("e", "{}"))
        except ValueError:
            continue
        cid = event.get("conversation_id")
        if cid:
            events.setdefault(cid, []).append(event)
    return events
