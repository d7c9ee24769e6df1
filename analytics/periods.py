"""Periods of the dashboard and the briefing, in the shop's time zone, and the period before each.

A period is ``[start, end)`` in epoch seconds, with its days named in the
shop's zone: "today" starts at the shop's midnight, not the server's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

NAMED = ("today", "yesterday", "7d", "30d", "this-week", "last-week", "this-month", "last-month")
MAX_DAYS = 366
# The days a period may name. Far beyond any shop's history or plans, and far enough from
# date.min/date.max that the period before one (up to MAX_DAYS earlier) and the midnight
# after its last day are still dates: 0001-01-01 or 9999-12-31 would overflow there.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class InvalidPeriod(ValueError):
    """A period the caller must fix (the message says how): a 422 at the HTTP edge, exit status 2 on the command line."""


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    first_day: date
    last_day: date  # inclusive
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before this one (it may start before ``EARLIEST``)."""
        return _period(self.first_day - timedelta(days=self.days), self.first_day - timedelta(days=1), self.zone)

    def as_dict(self) -> dict:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "days": self.days, "timezone": str(self.zone),
                "start": self.start, "end": self.end}


def _midnight(day: date, zone: ZoneInfo) -> float:
    return datetime.combine(day, time(0), zone).timestamp()


def between(first: date, last: date, zone: ZoneInfo) -> Period:
    if last < first:
        raise InvalidPeriod(f"the period ends ({last}) before it starts ({first})")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidPeriod(f"a period is at most {MAX_DAYS} days ({first} to {last} is {(last - first).days + 1})")
    for day in (first, last):
        if not EARLIEST <= day <= LATEST:
            raise InvalidPeriod(f"dates must be between {EARLIEST} and {LATEST}, not {day}")
    return _period(first, last, zone)


def _period(first: date, last: date, zone: ZoneInfo) -> Period:
    return Period(_midnight(first, zone), _midnight(last + timedelta(days=1), zone), first, last, zone)


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidPeriod(f"{what} must be a date like 2026-01-31, not {text!r}") from None


def resolve(name: str | None, start: str | None, end: str | None, zone: ZoneInfo, now: float) -> Period:
    """A named period (``NAMED``) or ``start``..``end`` (ISO dates, both included), relative to ``now`` in ``zone``."""
    if start or end:
        if not (start and end):
            raise InvalidPeriod("give both from and to (ISO dates), or a named period")
        return between(parse_day(start, "from"), parse_day(end, "to"), zone)
    today = datetime.fromtimestamp(now, zone).date()
    name = name or "7d"
    if name == "today":
        return between(today, today, zone)
    if name == "yesterday":
        return between(today - timedelta(days=1), today - timedelta(days=1), zone)
    if name == "7d":
        return between(today - timedelta(days=6), today, zone)
    if name == "30d":
        return between(today - timedelta(days=29), today, zone)
    if name == "this-week":
        return between(today - timedelta(days=today.weekday()), today, zone)
    if name == "last-week":
        monday = today - timedelta(days=today.weekday() + 7)
        return between(monday, monday + timedelta(days=6), zone)
    if name == "this-month":
        return between(today.replace(day=1), today, zone)
    if name == "last-month":
        last = today.replace(day=1) - timedelta(days=1)
        return between(last.replace(day=1), last, zone)
    raise InvalidPeriod(f"unknown period {name!r}: use one of {', '.join(NAMED)} or from/to dates")
