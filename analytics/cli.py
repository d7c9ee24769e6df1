"""``./cs report``: the periodic service briefing from the command line; ``--scheduled`` writes the weekly/monthly ones that are due.

Reads the same rollup as the dashboard (folding any events not folded yet), so
the briefing and the dashboard always agree. Exit status 2 with a reason for a
bad period or format.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from tqdm import tqdm

from analytics import reports
from analytics.board import Dashboard
from analytics.gaps import top_gaps
from analytics.metrics import Filters, Targets
from analytics.periods import NAMED, InvalidPeriod, Period, resolve
from analytics.render import RenderError
from analytics.rollup import Rollup
from core.redis import Keys, async_client, sync_client
from handoff.agents import AgentDirectory
from core.settings import Settings, get_settings
from kb.embeddings import EmbedderSet
from kb.gaps import GapLog

BACKGROUND_NICENESS = 10  # the scheduled run's CPU priority, below the chats' (nice 0)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="./cs report", description="Write the periodic service briefing (客服简报).")
    p.add_argument("--period", choices=NAMED, help="a named period (default: last-week)")
    p.add_argument("--from", dest="start", help="first day, ISO date (with --to)")
    p.add_argument("--to", dest="end", help="last day, ISO date, included")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--format", choices=reports.FORMATS, default="html")
    p.add_argument("--out", type=Path, help="file to write (default: var/reports/briefing-<from>_<to>-<lang>.<format>)")
    p.add_argument("--scheduled", action="store_true", help="write the weekly and monthly briefings that are due and missing (settings: report_schedule)")
    p.add_argument("--rebuild", action="store_true", help="recompute the analytics rollup from the whole event stream first")
    return p


class Briefings:
    """What the command needs, built from the settings: the rollup, the dashboard's figures, the content gaps."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.business_hours.timezone)
        self.keys = Keys(settings.key_prefix)
        self.client = async_client(settings)
        self.sync = sync_client(settings)
        t = settings.report_targets
        self.rollup = Rollup.from_settings(self.client, settings)
        self._embedders: EmbedderSet | None = None
        self.dashboard = Dashboard(self.rollup, Targets(t.fcr, t.csat, t.first_response_seconds, t.complaint_hours), self.zone,
                                   AgentDirectory(self.client, self.keys))

    def embedders(self) -> EmbedderSet:
        """The knowledge base's models, loaded once (seconds): the briefing groups unanswered questions by meaning,
        as the dashboard does, so the two show the same groups."""
        if self._embedders is None:
            self._embedders = EmbedderSet.from_settings()
        return self._embedders

    async def write(self, period: Period, lang: str, fmt: str, out: Path) -> Path:
        # Seconds for a month (figures, then Chromium for a PDF): say what it is doing; stdout keeps only the path.
        print(f"writing {out.name} ({period.first_day} to {period.last_day})...", file=sys.stderr, flush=True)
        summary = await self.dashboard.summary(period, Filters(), time.time())
        gaps = await asyncio.to_thread(top_gaps, GapLog(self.sync, self.keys).recent(5000), self.embedders(), period, 5)
        simulated = bool(await self.client.exists(self.keys.demo_info))
        return await asyncio.to_thread(reports.write, summary, gaps, lang, fmt, out, simulated=simulated, zone=self.zone)

    async def aclose(self) -> None:
        await self.client.aclose()
        self.sync.close()


async def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    job = Briefings(settings)
    try:
        # A bad period is refused before minutes of rebuilding, not after.
        period = None if args.scheduled else resolve(args.period or ("last-week" if not (args.start or args.end) else None),
                                                       args.start, args.end, job.zone, time.time())
        if args.rebuild:  # the whole stream: minutes on a long history, so it shows how far it is
            with tqdm(total=await job.client.xlen(job.keys.events), unit="event", desc="rebuilding the rollup", file=sys.stderr,
                      disable=not sys.stderr.isatty()) as bar:
                print(f"rollup rebuilt from {await job.rollup.rebuild(progress=bar.update)} events")
        if args.scheduled:
            # One file that cannot be written (no Chromium for a PDF) must not cost the others: each is tried,
            # failures are said at the end, and the next run tries the missing ones again.
            failed = []
            for _, period, lang, fmt, out in reports.missing(settings.report_schedule, settings.report_languages, settings.reports_dir,
                                                             time.time(), job.zone):
                try:
                    print(await job.write(period, lang, fmt, out))
                except RenderError as exc:
                    failed.append(f"{out.name}: {exc}")
            for line in failed:
                print(f"error: {line}", file=sys.stderr)
            return 2 if failed else 0
        out = args.out or settings.reports_dir / reports.file_name("briefing", period, args.lang, args.format)
        print(await job.write(period, args.lang, args.format, out))
        return 0
    finally:
        await job.aclose()


def yield_cpu() -> None:
    """Run as background work: the hub starts scheduled briefings on the machine that serves the chats, and their
    minutes of figures, embeddings and Chromium (the PDF, a child: it inherits this) must not slow a live reply.
    With 30 FAQ questions/s arriving, the bot's p95 rose from 47 ms to 0.5-1.5 s while one ran at normal priority.

    On Linux priority is per thread, and imports have already started some (numpy's BLAS pool): every thread of the
    process is lowered. SCHED_IDLE: only CPU nobody else wants; Chromium sets its own processes' nice values (as
    root, even -8), which that policy makes moot (sched(7)). Elsewhere, nice alone."""
    tasks = Path("/proc/self/task")
    threads = [int(t) for t in os.listdir(tasks)] if tasks.is_dir() else [0]
    for thread in threads:
        with contextlib.suppress(OSError, AttributeError):  # gone meanwhile, already as low, or no such call here
            os.setpriority(os.PRIO_PROCESS, thread, max(BACKGROUND_NICENESS, os.getpriority(os.PRIO_PROCESS, thread)))
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setscheduler(thread, os.SCHED_IDLE, os.sched_param(0))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.scheduled:
        yield_cpu()
    try:
        return asyncio.run(_run(args))
    except (InvalidPeriod, RenderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
