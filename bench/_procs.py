"""CPU time and RSS of the stack's services, read from /proc: each service is a process group (core/supervisor.py).

Rasa with several Sanic workers, or the hub with several uvicorn workers, are
several processes; a service's figure is the sum over its process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _group_stats() -> dict[int, tuple[float, float]]:
    """``{process group: (cpu seconds, rss bytes)}`` over every process we can read."""
    totals: dict[int, tuple[float, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
        pgrp = int(fields[2])
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
        rss = int(fields[21]) * _PAGE
        old = totals.get(pgrp, (0.0, 0.0))
        totals[pgrp] = (old[0] + cpu, old[1] + rss)
    return totals


class ProcessMeter:
    """Per service: CPU used since a mark, CPU share at idle, resident memory."""

    def __init__(self, groups: dict[str, int | None]) -> None:
        self.groups = {name: pid for name, pid in groups.items() if pid}
        self._marked: dict[str, float] = {}

    def _cpu(self) -> dict[str, float]:
        stats = _group_stats()
        return {name: stats.get(pid, (0.0, 0.0))[0] for name, pid in self.groups.items()}

    def mark(self) -> None:
        self._marked = self._cpu()

    def cpu_ms_since_mark(self) -> dict[str, float]:
        now = self._cpu()
        return {name: (now[name] - self._marked.get(name, 0.0)) * 1000 for name in now}

    def idle_cpu_percent(self, seconds: float) -> dict[str, float]:
        """Share of one core each service uses while nothing is asked of it (idle polling shows here)."""
        self.mark()
        time.sleep(seconds)
        return {name: ms / (seconds * 10) for name, ms in self.cpu_ms_since_mark().items()}

    def rss_mb(self) -> dict[str, float]:
        stats = _group_stats()
        return {name: stats.get(pid, (0.0, 0.0))[1] / 2**20 for name, pid in self.groups.items()}

    def start_profiles(self, out_dir: Path, label: str, services: tuple[str, ...] = ("hub", "rasa", "actions"), fmt: str = "flamegraph") -> list:
        """py-spy profiles of the Python services (and their worker processes) until ``stop_profiles``:
        flame graphs (SVG), or ``fmt="raw"`` collapsed stacks (one ``<label>.<service>.txt`` each)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        spy = Path(sys.executable).with_name("py-spy")
        procs = []
        for name in services:
            pid = self.groups.get(name)
            if pid:
                procs.append(subprocess.Popen(
                    [str(spy), "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", "100",
                     "--output", str(out_dir / f"{label}.{name}.{'svg' if fmt == 'flamegraph' else 'txt'}"), "--format", fmt],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1.0)  # py-spy attaches
        return procs

    @staticmethod
    def stop_profiles(procs: list) -> None:
        for proc in procs:
            proc.send_signal(signal.SIGINT)  # py-spy writes the flame graph on SIGINT
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
