"""The hub's background loops (core/loops.py): a failed round never ends the loop, and stop or cancel does."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from core.loops import every


def test_a_loop_outlives_a_redis_outage_and_a_bug_then_stops_when_told(caplog: pytest.LogCaptureFixture) -> None:
    rounds: list[str] = []
    stop = asyncio.Event()
    outcomes = [RedisConnectionError("Redis away"), ValueError("a bug"), None, None]

    async def work() -> None:
        outcome = outcomes[len(rounds)]
        rounds.append(type(outcome).__name__)
        if len(rounds) == len(outcomes):
            stop.set()
        if outcome is not None:
            raise outcome

    with caplog.at_level(logging.DEBUG, logger="core.loops"):
        asyncio.run(asyncio.wait_for(every(0.001, work, "test loop", stop), 5))
    assert rounds == ["ConnectionError", "ValueError", "NoneType", "NoneType"]
    quiet = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    loud = [r for r in caplog.records if r.getMessage() == "test loop failed"]
    assert [r.levelno for r in quiet] == [logging.DEBUG]  # Redis away is expected: no alarm
    assert [r.levelno for r in loud] == [logging.ERROR] and loud[0].exc_info  # a bug: with its traceback


def test_cancelling_a_loop_stops_it_between_rounds() -> None:
    rounds = 0

    async def work() -> None:
        nonlocal rounds
        rounds += 1

    async def scenario() -> None:
        task = asyncio.create_task(every(0.001, work, "test loop"))
        while rounds < 3:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert rounds >= 3
