"""How long a waiting customer will wait for a human, from what is measured now. Pure.

Free capacity takes the first customers at once (routing assigns them
immediately). Past that, a customer waits for chats to end: with ``S`` slots
busy, each for a typical handle time ``h``, a slot frees about every ``h / S``
seconds, and the customer needs ``rank - free + 1`` of them. Checked against a
simulated day in ``bench/wait_estimate.py`` (error figures in docs/service-desk.md).
"""

from __future__ import annotations

import statistics


def estimate_wait(rank: int, capacities: list[int], loads: list[int], handle_seconds: list[float]) -> float:
    """Seconds until the customer at 0-based queue ``rank`` is taken, given the online agents' capacities and
    current loads and recent handle times. 0 when nobody is online (the caller says so instead)."""
    if not capacities or not handle_seconds:
        return 0.0
    free = sum(max(0, cap - load) for cap, load in zip(capacities, loads))
    if rank < free:
        return 0.0
    slots = max(1, sum(capacities))
    typical = statistics.median(handle_seconds)
    return (rank - free + 1) * typical / slots
