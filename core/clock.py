"""The time events are stamped with: the real time, or, for a demo hub only, a simulated time.

``./cs demo`` fills a fresh install with weeks of believable history in minutes
by driving the real API while telling the hub what time it is. The hub accepts
that only when ``Settings.demo_clock`` is on (off by default; never in
production), through ``hub/middleware/demo_clock.py``, which sets the simulated
time for one request. Everything that stamps an event asks ``now()``.

Within a request the simulated clock keeps running at the real pace, so the
order of what one request does is kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_simulated: ContextVar[tuple[float, float] | None] = ContextVar("simulated_time", default=None)  # (simulated, real) at the start


def now() -> float:
    """Epoch seconds: simulated inside ``simulated()``, real otherwise."""
    at = _simulated.get()
    if at is None:
        return time.time()
    simulated, real = at
    return simulated + (time.time() - real)


def is_simulated() -> bool:
    return _simulated.get() is not None


@contextmanager
def simulated(ts: float) -> Iterator[None]:
    token = _simulated.set((ts, time.time()))
    try:
        yield
    finally:
        _simulated.reset(token)
