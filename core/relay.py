"""One Redis pub/sub connection per process, fanned out to every local listener.

A WebSocket does not get a Redis connection of its own: it registers a local
queue for the channels it wants, and one reader task per process
pattern-subscribes to everything under one prefix and hands each published
item to the queues that want it. So a hub worker holds thousands of sockets on
a single connection, and opening a socket costs no Redis round trip.

If the connection drops (Redis restarted, network blip), the reader reconnects
with backoff and puts ``RESYNC`` in every queue: whatever was published during
the gap is lost to pub/sub, so each listener re-reads what it needs from
durable state (the transcript). A listener too slow to keep up gets the same
marker instead of an unbounded queue.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RESYNC = "_resync"  # the channel name of the marker item


@dataclass(eq=False)
class Subscription:
    """A local listener: what it wants, and the queue of ``(channel, payload)`` items for it."""

    channels: frozenset[str]
    prefixes: tuple[str, ...]
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=512))
    _relay: "Relay | None" = None

    def wants(self, channel: str) -> bool:
        return channel in self.channels or any(channel.startswith(p) for p in self.prefixes)

    def offer(self, channel: str, payload: dict) -> None:
        try:
            self.queue.put_nowait((channel, payload))
        except asyncio.QueueFull:
            # Too slow to keep up: drop the backlog, ask the listener to re-read instead.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait((RESYNC, {}))

    async def get(self) -> tuple[str, dict]:
        return await self.queue.get()

    def close(self) -> None:
        if self._relay is not None:
            self._relay.unsubscribe(self)
            self._relay = None

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Relay:
    """Reads ``<prefix>*`` on one pub/sub connection and dispatches to local subscriptions."""

    def __init__(self, connect: Callable[[], aioredis.Redis], prefix: str) -> None:
        self._connect = connect
        self.prefix = prefix
        self._by_channel: dict[str, set[Subscription]] = {}
        self._by_prefix: set[Subscription] = set()
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()
        self.connected = False

    @property
    def listeners(self) -> int:
        return len(self._by_prefix) + sum(len(s) for s in self._by_channel.values())

    async def start(self, wait: float = 5.0) -> None:
        """Start reading; waits (up to ``wait`` s) for the first subscription, so no early publication is missed."""
        self._task = asyncio.create_task(self._run(), name="relay")
        try:
            await asyncio.wait_for(self._ready.wait(), wait)
        except asyncio.TimeoutError:
            log.warning("relay: Redis not reachable yet; live updates start once it is")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def subscribe(self, channels: tuple[str, ...] = (), prefixes: tuple[str, ...] = ()) -> Subscription:
        sub = Subscription(frozenset(channels), prefixes, _relay=self)
        for channel in sub.channels:
            self._by_channel.setdefault(channel, set()).add(sub)
        if prefixes:
            self._by_prefix.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        for channel in sub.channels:
            listeners = self._by_channel.get(channel)
            if listeners is not None:
                listeners.discard(sub)
                if not listeners:
                    del self._by_channel[channel]
        self._by_prefix.discard(sub)

    def _dispatch(self, channel: str, data: str) -> None:
        targets = self._by_channel.get(channel, set()) | {s for s in self._by_prefix if s.wants(channel)}
        if not targets:
            return
        try:
            payload = json.loads(data)
        except ValueError:
            log.warning("relay: dropped a non-JSON item on %s", channel)
            return
        for sub in targets:  # a set: a listener that wants the channel twice over still gets it once
            sub.offer(channel, payload)

    def _resync_all(self) -> None:
        for sub in {*self._by_prefix, *(s for subs in self._by_channel.values() for s in subs)}:
            sub.offer(RESYNC, {})

    async def _run(self) -> None:
        delay = 0.2
        first = True
        while True:
            client = self._connect()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(f"{self.prefix}*")
                self.connected = True
                self._ready.set()
                if not first:
                    log.info("relay: reconnected to Redis; listeners re-read what they missed")
                    self._resync_all()
                first, delay = False, 0.2
                while True:
                    item = await pubsub.get_message(timeout=1.0)
                    if item and item.get("type") == "pmessage":
                        self._dispatch(item["channel"], item["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self.connected:
                    log.warning("relay: lost Redis (%s); reconnecting", exc)
                self.connected = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:  # the connection is already gone
                    pass
