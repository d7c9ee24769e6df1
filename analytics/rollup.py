"""The rollup: every conversation's facts, kept per day in Redis and advanced incrementally from the events stream.

Rolling up is a fold of the stream (``analytics/facts.py``) from a cursor (the
last event id folded), so it is always recomputable: ``rebuild`` drops the
rollup and folds the whole stream again. One worker folds at a time (a Redis
lock); readers call ``catch_up`` first, so a figure always includes every
event written before the request, and the hub also folds in the background so
that reads rarely have anything to do.

An erasure (``privacy/erase.py``) takes the same lock (``holding_lock``), and a
fold writes only while it still holds it, so a fold can never write back the
facts of a conversation erased while it ran. Events of a conversation whose
start is not in the stream (what a writer racing its erasure may leave) are
never filed: they would count as a conversation of their own.

Buckets are days in the shop's time zone (the day a conversation started):
a period reads only its own days. The same fold files each conversation in
the drill-down index (``analytics/index.py``): per day and tag, a sorted set
of the conversations that carry the tag, so a drill-down reads only the ids
behind a figure and then the facts of one page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import redis
import redis.asyncio as aioredis
from redis.exceptions import WatchError

from analytics.facts import ConversationFacts, fold
from analytics.index import tags as tags_of
from analytics.periods import Period
from core.loops import every
from core.redis import Keys
from core.settings import Settings
from tickets.hours import Hours

log = logging.getLogger(__name__)
BATCH = 500  # small batches, parsed and folded off the event loop: the hub keeps serving while it folds
LOCK_SECONDS = 30


@dataclass
class Folded:
    """One conversation after a batch: its facts as JSON, its day, and how its drill-down tags moved."""

    cid: str
    day: str
    new_day: bool
    body: str
    started_at: float
    add: set[str]  # tags to (re)file under, scored by started_at
    drop: set[str]  # tags it no longer carries


# The rollup's lock, let go or kept only by its holder (a fold that outlived its lock must not end someone else's).
# KEYS[1]: Keys.analytics_lock   ARGV[1]: the holder's token   ARGV[2]: seconds to keep it ('' = let it go)
RELEASE_OR_KEEP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
return redis.call('EXPIRE', KEYS[1], ARGV[2])
"""


# Store a day's partial figures only if the day's facts have not changed since they were read: an erasure bumps the
# version as it drops the day's partials, so figures computed from the erased facts can never be stored after it.
# KEYS[1]: Keys.analytics_versions   KEYS[2]: Keys.analytics_partials(day)
# ARGV[1]: the day   ARGV[2]: the version the partial was computed from   ARGV[3]: the filter set   ARGV[4]: the JSON
STORE_IF_CURRENT = """
local day, version, field, body = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if (redis.call('HGET', KEYS[1], day) or '') ~= version then return 0 end
redis.call('HSET', KEYS[2], field, body)
return 1
"""


class Rollup:
    def __init__(self, client: aioredis.Redis, keys: Keys, zone: ZoneInfo, hours: Hours | None = None) -> None:
        """``hours``: the shop's business hours, for the working time of first responses recorded before the desk
        measured it (``analytics/facts.py: fold``)."""
        self.r = client
        self.k = keys
        self.zone = zone
        self.hours = hours
        self._store_if_current = client.register_script(STORE_IF_CURRENT)
        self._release_or_keep = client.register_script(RELEASE_OR_KEEP)

    @classmethod
    def from_settings(cls, client: aioredis.Redis, settings: Settings) -> "Rollup":
        """The rollup of the configured store, in the shop's zone and business hours (hub, ./cs report, ./cs demo alike)."""
        return cls(client, Keys(settings.key_prefix), ZoneInfo(settings.business_hours.timezone), Hours(settings.business_hours))

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
                n = await self._fold_batch(token)
                if n is None:  # the lock lapsed under this fold: its batch was not written, the next fold does it
                    log.warning("analytics rollup: lock lost while folding; batch left to the next fold")
                    return folded
                folded += n
                if progress is not None:
                    progress(n)
                if n < BATCH:
                    return folded
                await self._release_or_keep(keys=[self.k.analytics_lock], args=[token, LOCK_SECONDS])
        finally:
            await self._release_or_keep(keys=[self.k.analytics_lock], args=[token, ""])

    async def _fold_batch(self, token: str) -> int | None:
        """Fold the next batch; None (nothing written) if this fold no longer holds the lock: an erasure may have
        taken it meanwhile (``holding_lock``), and facts read before it must not be written back after it."""
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
        async with self.r.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(self.k.analytics_lock)  # the write fails if the lock changes hands before it
                if await pipe.get(self.k.analytics_lock) != token:
                    return None
                pipe.multi()
                self._write(pipe, folded, rows[-1][0])
                await pipe.execute()
            except WatchError:
                return None
        return len(rows)

    def _write(self, pipe, folded: list[Folded], cursor: str) -> None:
        touched: set[str] = set()
        for c in folded:
            if c.new_day:
                pipe.hset(self.k.analytics_days, c.cid, c.day)
            pipe.hset(self.k.analytics_day(c.day), c.cid, c.body)
            for tag in c.add:
                pipe.zadd(self.k.analytics_index(c.day, tag), {c.cid: c.started_at})
            for tag in c.drop:
                pipe.zrem(self.k.analytics_index(c.day, tag), c.cid)
            if c.add:
                pipe.sadd(self.k.analytics_tags(c.day), *c.add)
            touched.add(c.day)
        for day in touched:
            pipe.hincrby(self.k.analytics_versions, day, 1)
        pipe.set(self.k.analytics_cursor, cursor)

    def _folded(self, cids: list[str], stored: list, events: dict[str, list[dict]], days: dict) -> list[Folded]:
        """Each conversation's facts with its new events folded in, and its tag changes. CPU only."""
        out = []
        for cid, raw in zip(cids, stored):
            facts = ConversationFacts.from_dict(json.loads(raw)) if raw else ConversationFacts(cid)
            before, started = (tags_of(facts), facts.started_at) if raw else (set(), None)
            for event in events[cid]:
                fold(facts, event, self.hours)
            if not facts.started_at:
                # No conversation_started, ever (it is always its first event): what is left of an erased conversation,
                # an event written as it was erased. Filed, it would count as a conversation of its own: half a one.
                continue
            day = days[cid] or self.day_of(facts.started_at or facts.last_at)
            now = tags_of(facts)
            add = now if started != facts.started_at else now - before  # a new score: file it again under every tag
            out.append(Folded(cid, day, not days[cid], json.dumps(facts.to_dict(), ensure_ascii=False), facts.started_at, add, before - now))
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

    async def page(self, first_day: date, last_day: date, start: float, end: float, tags: list[str], offset: int, limit: int) -> tuple[int, list[ConversationFacts]]:
        """The conversations that started in ``[start, end)`` and carry every tag, newest first: how many in all, and the
        facts of ``limit`` of them from ``offset``. Reads ids from the index, and facts for the page only."""
        days = day_range(first_day - timedelta(days=1), last_day + timedelta(days=1))  # a day on either side, as ``facts``
        token = uuid.uuid4().hex
        scratch = [self.k.analytics_scratch(f"{token}:{i}") for i in range(len(tags))]
        pipe = self.r.pipeline(transaction=False)
        for key, tag in zip(scratch, tags):
            pipe.zunionstore(key, [self.k.analytics_index(d, tag) for d in days], aggregate="MAX")
            pipe.expire(key, 60)  # gone even if this request dies before its delete
        if len(scratch) > 1:  # the figure's tag keeps its score (started_at); the filters only select
            pipe.zinterstore(scratch[0], dict(zip(scratch, [1] + [0] * (len(scratch) - 1))))
        pipe.zcount(scratch[0], start, f"({end}")
        pipe.zrevrangebyscore(scratch[0], f"({end}", start, start=offset, num=limit)
        pipe.delete(*scratch)
        *_, total, ids, _ = await pipe.execute()
        return int(total), await self.facts_of(ids)

    async def facts_of(self, cids: list[str]) -> list[ConversationFacts]:
        """The facts of these conversations, in the same order (one left out if it was erased meanwhile)."""
        if not cids:
            return []
        days = await self.r.hmget(self.k.analytics_days, cids)
        pipe = self.r.pipeline(transaction=False)
        for cid, day in zip(cids, days):
            pipe.hget(self.k.analytics_day(day), cid) if day else pipe.echo("")
        return [ConversationFacts.from_dict(json.loads(raw)) for raw in await pipe.execute() if raw]

    async def stored_partials(self, days: list[str], filters: str) -> list[str | None]:
        """Each day's persisted partial figures for one filter set (JSON, see ``analytics/board.py``), or None."""
        pipe = self.r.pipeline(transaction=False)
        for d in days:
            pipe.hget(self.k.analytics_partials(d), filters)
        return await pipe.execute() if days else []

    async def store_partials(self, filters: str, by_day: dict[str, tuple[str, str]]) -> None:
        """Persist each day's partial figures (day -> (the version they were computed from, JSON)), unless the day moved on."""
        pipe = self.r.pipeline(transaction=False)
        for d, (version, body) in by_day.items():
            await self._store_if_current(keys=[self.k.analytics_versions, self.k.analytics_partials(d)], args=[d, version, filters, body], client=pipe)
        await pipe.execute()

    async def rebuild(self, progress: Callable[[int], object] | None = None) -> int:
        """Drop the rollup (facts, drill-down index, persisted partials) and fold the whole stream again (after a
        definition changed). Day versions keep growing, so no reader's cache can mistake a rebuilt day for the old one."""
        days = set(await self.r.hvals(self.k.analytics_days)) | set(await self.r.hkeys(self.k.analytics_versions))
        pipe = self.r.pipeline(transaction=False)
        for d in sorted(days):
            pipe.smembers(self.k.analytics_tags(d))
        day_tags = dict(zip(sorted(days), await pipe.execute())) if days else {}
        pipe = self.r.pipeline(transaction=True)
        for d, tags in day_tags.items():
            pipe.delete(self.k.analytics_day(d), self.k.analytics_tags(d), self.k.analytics_partials(d),
                        *(self.k.analytics_index(d, tag) for tag in tags))
            pipe.hincrby(self.k.analytics_versions, d, 1)
        pipe.delete(self.k.analytics_days, self.k.analytics_cursor)
        await pipe.execute()
        return await self.catch_up(progress=progress)


async def run_forever(rollup: Rollup, interval: float, stop: asyncio.Event) -> None:
    """The hub's background fold: keeps reads cheap by keeping the rollup close to the stream."""
    await every(interval, lambda: rollup.catch_up(wait_seconds=0), "analytics rollup", stop)


@contextmanager
def holding_lock(client: redis.Redis, keys: Keys, poll_seconds: float = 0.05) -> Iterator[Callable[[], None]]:
    """The rollup's lock, held from synchronous code (an erasure, ``privacy/erase.py``): no fold runs while it is
    held, so facts a fold read before the erasure are never written back after it. Waits for a fold in progress
    (the lock of one that died lapses after ``LOCK_SECONDS``). Yields ``keep``, to call during long work."""
    token = uuid.uuid4().hex
    release_or_keep = client.register_script(RELEASE_OR_KEEP)
    while not client.set(keys.analytics_lock, token, nx=True, ex=LOCK_SECONDS):
        time.sleep(poll_seconds)
    try:
        yield lambda: release_or_keep(keys=[keys.analytics_lock], args=[token, LOCK_SECONDS])
    finally:
        release_or_keep(keys=[keys.analytics_lock], args=[token, ""])


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
