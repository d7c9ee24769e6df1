"""What core/redis.py says about names Redis takes: the stream ids it accepts."""

from __future__ import annotations

import pytest

from core.redis import LAST_STREAM_ID, is_stream_id


@pytest.mark.parametrize("text", ["0-0", "1700000000000-3", LAST_STREAM_ID, f"{2**64 - 1}-0"])
def test_stream_ids_redis_takes(text):
    assert is_stream_id(text)


@pytest.mark.parametrize("text", ["99999999999999999999-99999999999999999999", f"{2**64}-0", f"0-{2**64}", "1-", "abc", "1-1-1", "(1-1"])
def test_stream_ids_redis_refuses(text):
    assert not is_stream_id(text)
