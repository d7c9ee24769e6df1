"""How good is the wait a customer is told? A simulated day of a service desk, estimate against what really happened.

Run from the repo root::

    .venv/bin/python bench/wait_estimate.py              # default: 10 h, 4 agents x 3 chats, 1 seed
    .venv/bin/python bench/wait_estimate.py --help

Arrivals follow a day's curve (quiet morning, a lunchtime and an evening peak), handle times are log-normal
(median 4 min), agents take the next waiting customer the moment a chat ends (as push routing does). Each
customer who has to wait is told an estimate when they join the queue; the report compares it with the wait
they really had, for the estimator the product uses (``handoff/estimate.py``) and the one it replaced.
Pure simulation: no servers, deterministic for a seed.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stats import percentile  # noqa: E402
from handoff.estimate import estimate_wait  # noqa: E402


def old_estimate(rank: int, capacities: list[int], handle: list[float]) -> float:
    """The formula before (kept here only to compare): every customer waits, whatever capacity is free."""
    slots = max(1, sum(capacities))
    return math.ceil((rank + 1) / slots) * (sum(handle) / len(handle))


def arrival_rate(t: float) -> float:
    """Customers per second at ``t`` seconds into the day: a morning ramp, a lunchtime and an evening peak."""
    hour = t / 3600
    return (0.6 + 1.4 * math.exp(-((hour - 3.5) ** 2) / 0.8) + 1.8 * math.exp(-((hour - 8.0) ** 2) / 1.0)) / 60


@dataclass
class Day:
    agents: int
    capacity: int
    hours: float
    seed: int
    told: list[tuple[float, float, float]] = field(default_factory=list)  # (new estimate, old estimate, actual wait)

    def run(self) -> None:
        rng = random.Random(self.seed)
        end = self.hours * 3600
        events: list[tuple[float, int, str, int]] = []
        seq = 0
        t = 0.0
        while True:  # thinning: a Poisson process with the day's varying rate
            t += rng.expovariate(3.5 / 60)
            if t > end:
                break
            if rng.random() < arrival_rate(t) / (3.5 / 60):
                seq += 1
                heapq.heappush(events, (t, seq, "arrive", seq))
        busy = [0] * self.agents
        waiting: list[tuple[int, float, float, float]] = []  # (customer, joined at, new estimate, old estimate)
        handled: list[float] = [240.0]  # what the desk has measured so far (starts from the configured default)

        def start(now: float, agent: int) -> None:
            nonlocal seq
            duration = rng.lognormvariate(math.log(240), 0.6)
            busy[agent] += 1
            seq += 1
            heapq.heappush(events, (now + duration, seq, "end", agent))
            handled.append(duration)

        while events:
            now, _, kind, who = heapq.heappop(events)
            if kind == "arrive":
                free = [a for a in range(self.agents) if busy[a] < self.capacity]
                if free and not waiting:
                    start(now, min(free, key=lambda a: busy[a]))
                    continue
                rank = len(waiting)
                recent = handled[-50:]
                caps = [self.capacity] * self.agents
                waiting.append((who, now, estimate_wait(rank, caps, busy, recent), old_estimate(rank, caps, recent)))
            else:
                busy[who] -= 1
                if waiting:
                    _, joined, new, old = waiting.pop(0)
                    self.told.append((new, old, now - joined))
                    start(now, who)


def describe(errors: list[float]) -> str:
    absolute = sorted(abs(e) for e in errors)
    return (f"mean |error| {statistics.fmean(absolute) / 60:5.1f} min · median {percentile(absolute, 50) / 60:4.1f} · "
            f"p90 {percentile(absolute, 90) / 60:5.1f} · bias {statistics.fmean(errors) / 60:+5.1f} min")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--capacity", type=int, default=3)
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--seeds", type=int, default=1, help="days to simulate")
    args = parser.parse_args()
    told: list[tuple[float, float, float]] = []
    for seed in range(args.seeds):
        day = Day(args.agents, min(args.capacity, 20), min(args.hours, 24), seed)
        day.run()
        told += day.told
    if not told:
        print("nobody had to wait: raise the load (fewer --agents or --capacity)")
        return 0
    waits = [w for _, _, w in told]
    print(f"simulated {args.seeds} day(s) of {args.hours:.0f} h, {args.agents} agents x {args.capacity} chats: "
          f"{len(told)} customers waited (median wait {percentile(waits, 50) / 60:.1f} min, p90 {percentile(waits, 90) / 60:.1f} min)")
    print(f"  estimator in use (handoff/estimate.py): {describe([n - w for n, _, w in told])}")
    print(f"  previous formula:                       {describe([o - w for _, o, w in told])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
