"""What core/redis.py says about names Redis takes: stream ids it accepts, and its URL as it may be printed."""

from __future__ import annotations

import pytest

from core.redis import LAST_STREAM_ID, is_stream_id, shown_url


@pytest.mark.parametrize("text", ["0-0", "1700000000000-3", LAST_STREAM_ID, f"{2**64 - 1}-0"])
def test_stream_ids_redis_takes(text):
    assert is_stream_id(text)


@pytest.mark.parametrize("text", ["99999999999999999999-99999999999999999999", f"{2**64}-0", f"0-{2**64}", "1-", "abc", "1-1-1", "(1-1"])
def test_stream_ids_redis_refuses(text):
    assert not is_stream_id(text)


@pytest.mark.parametrize("url, shown", [
    ("redis://:s3cret-Valkey_pw@127.0.0.1:6380/0", "redis://:***@127.0.0.1:6380/0"),
    ("rediss://app:p%40ss@cache.example:6379/2", "rediss://app:***@cache.example:6379/2"),
    ("redis://cache.example:6379/0?password=s3cret&socket_timeout=5", "redis://cache.example:6379/0?password=***&socket_timeout=5"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
])
def test_a_printed_redis_url_shows_no_password(url, shown):
    assert shown_url(url) == shown
