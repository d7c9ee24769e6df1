"""Briefings as files under ``var/reports``: written on demand (``./cs report``) or by schedule (weekly, monthly), listed on the dashboard."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from analytics import briefing, render
from analytics.periods import Period, between

FORMATS = ("html", "pdf", "xlsx")
_NAME = re.compile(r"^(?P<kind>briefing|weekly|monthly)-(?P<start>\d{4}-\d{2}-\d{2})_(?P<end>\d{4}-\d{2}-\d{2})-(?P<lang>zh|en)\.(?P<fmt>html|pdf|xlsx)$")


def file_name(kind: str, period: Period, lang: str, fmt: str) -> str:
    return f"{kind}-{period.first_day.isoformat()}_{period.last_day.isoformat()}-{lang}.{fmt}"


def write(summary: dict, gaps: list[dict], lang: str, fmt: str, out: Path, *, simulated: bool, zone: ZoneInfo) -> Path:
    """Render one briefing to ``out`` (its parent is created)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    content = briefing.build(summary, gaps, lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        render.xlsx(content, out)
        return out
    page = render.html(content, generated=datetime.now(zone), simulated=simulated)
    if fmt == "html":
        out.write_text(page, encoding="utf-8")
    else:
        render.pdf(page, out, chinese=lang == "zh")
    return out


def list_reports(directory: Path) -> list[dict]:
    """Every briefing file, newest period first."""
    if not directory.is_dir():
        return []
    rows = []
    for path in directory.iterdir():
        m = _NAME.match(path.name)
        if m:
            rows.append({"name": path.name, "kind": m["kind"], "from": m["start"], "to": m["end"], "language": m["lang"], "format": m["fmt"],
                         "bytes": path.stat().st_size, "written_at": path.stat().st_mtime, "url": f"/api/analytics/reports/{path.name}"})
    return sorted(rows, key=lambda r: (r["to"], r["written_at"]), reverse=True)


def due(kinds: list[str], now: float, zone: ZoneInfo) -> list[tuple[str, Period]]:
    """The scheduled periods that have ended: last week (Monday to Sunday) and last month."""
    today = datetime.fromtimestamp(now, zone).date()
    out = []
    if "weekly" in kinds:
        monday = today - timedelta(days=today.weekday() + 7)
        out.append(("weekly", between(monday, monday + timedelta(days=6), zone)))
    if "monthly" in kinds:
        last = today.replace(day=1) - timedelta(days=1)
        out.append(("monthly", between(last.replace(day=1), last, zone)))
    return out


SCHEDULED_FORMATS = ("html", "pdf")


def missing(kinds: list[str], languages: list[str], directory: Path, now: float, zone: ZoneInfo) -> list[tuple[str, Period, str, str, Path]]:
    """The scheduled briefings due and not yet written: (kind, period, language, format, file)."""
    return [(kind, period, lang, fmt, out)
            for kind, period in due(kinds, now, zone) for lang in languages for fmt in SCHEDULED_FORMATS
            if not (out := directory / file_name(kind, period, lang, fmt)).exists()]
