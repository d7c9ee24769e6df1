"""The hub's Redis client says "connection lost" for every way a connection can break, so callers answer 503, not 500,
and a Redis that stops answering is a clear timeout, not a request that hangs.

uvloop raises ``RuntimeError`` ("the handler is closed") when a command is written to a transport that closed
under it, which is what a Redis dying mid-connect looks like; redis-py only wraps ``OSError``. Seen as a bare 500
from ``POST /messages`` in ``tests/test_supervision.py`` on a loaded box.

A pool that stays full is not a Redis that went away: it is ``PoolBusy``, which the hub answers "busy, retry"
(``tests/test_redis_pool.py`` has the crowd on a real hub).
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core import redis as core_redis
from core.redis import async_client
from core.settings import Settings
from tests.clients import free_port


async def test_a_transport_closed_under_a_write_is_a_lost_connection_and_the_retry_reconnects(valkey_url, monkeypatch):
    client = async_client(Settings(redis_url=valkey_url))
    assert await client.ping()
    writelines = asyncio.StreamWriter.writelines
    broken = []

    def closed_once(self, data):
        if not broken:
            broken.append(True)
            raise RuntimeError("unable to perform operation on <TCPTransport closed=True>; the handler is closed")
        return writelines(self, data)

    monkeypatch.setattr(asyncio.StreamWriter, "writelines", closed_once)
    assert await client.set("greeting", "hello")  # the first write failed; the one retry on a new connection did it
    assert broken == [True]
    assert await client.get("greeting") == "hello"
    await client.aclose()


async def test_a_write_to_a_redis_that_stopped_reading_fails_within_the_timeout(valkey_url, monkeypatch):
    """The hub bounds each write itself (not with asyncio.wait_for, core/redis.py): the bound must still hold."""
    monkeypatch.setattr(core_redis, "COMMAND_TIMEOUT", 0.5)
    client = async_client(Settings(redis_url=valkey_url))
    pid = int((await client.info("server"))["process_id"])
    os.kill(pid, signal.SIGSTOP)  # alive, connected, reading nothing: the socket's buffers fill
    try:
        async with asyncio.timeout(60):  # a write left unbounded would hang here: fail instead
            with pytest.raises(RedisTimeoutError, match="writing"):
                await client.set("big", "x" * (64 << 20))
    finally:
        os.kill(pid, signal.SIGCONT)
    assert await client.set("greeting", "hello again")  # the next command gets a fresh connection
    assert await client.get("greeting") == "hello again"
    await client.aclose()


async def test_a_full_pool_is_busy_not_a_lost_redis(valkey_url, monkeypatch):
    """Waiting past the timeout for a free pooled connection is ``PoolBusy``; a Redis nobody answers on is not."""
    monkeypatch.setattr(core_redis, "COMMAND_TIMEOUT", 0.3)
    client = async_client(Settings(redis_url=valkey_url), max_connections=1)
    holder = client.pipeline(transaction=True)
    await holder.watch("held")  # a WATCH keeps the pool's one connection until the pipeline is reset
    try:
        with pytest.raises(core_redis.PoolBusy, match="1 Redis connections"):
            await client.get("greeting")
    finally:
        await holder.reset()
    assert await client.set("greeting", "free again")  # the connection is back: no lasting harm
    await client.aclose()

    gone = async_client(Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    with pytest.raises(RedisConnectionError) as refused:
        await gone.ping()
    assert not isinstance(refused.value, core_redis.PoolBusy)  # an outage stays an outage
    await gone.aclose()
