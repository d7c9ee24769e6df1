"""The hub's Redis client says "connection lost" for every way a connection can break, so callers answer 503, not 500.

uvloop raises ``RuntimeError`` ("the handler is closed") when a command is written to a transport that closed
under it, which is what a Redis dying mid-connect looks like; redis-py only wraps ``OSError``. Seen as a bare 500
from ``POST /messages`` in ``tests/test_supervision.py`` on a loaded box.
"""

from __future__ import annotations

import asyncio

import pytest

from core.redis import async_client
from core.settings import Settings
from tests.clients import throwaway_valkey


@pytest.fixture(scope="module")
def valkey_url(tmp_path_factory):
    with throwaway_valkey(tmp_path_factory.mktemp("valkey")) as url:
        yield url


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
