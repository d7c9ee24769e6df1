"""Periods of the dashboard and the briefing, in the shop's time zone, and the period before each.

A period is ``[start, end)`` in epoch seconds, with its days named in the
shop's zone: "today" starts at the shop's midnight, not the server's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    month_to_date: bool = False  # "this month": compared with the same days of the month before

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> "Period":
        """The period to compare with (it may start before ``EARLIEST``): for calendar months (last month, a quarter,
        1-31 March typed as dates) the same number of calendar months before; for this month so far the same days of
        the month before; for any other period the same number of days just before. A month is judged against a
        month, not against the 30 or 31 days before it."""
        first, last = self.first_day, self.last_day
        if first.day == 1 and last == _month_end(last):
            months = (last.year - first.year) * 12 + last.month - first.month + 1
            start = _add_months(first, -months)
            return _period(start, first - timedelta(days=1), self.zone)
        if self.month_to_date:
            start = _add_months(first, -1)
            return _period(start, start.replace(day=min(last.day, _month_end(start).day)), self.zone)
        return _period(first - timedelta(days=self.days), first - timedelta(days=1), self.zone)

    def as_dict(self) -> dict:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "days": self.days, "timezone": str(self.zone),
                "start": self.start, "end": self.end}


def _month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return _add_months(day.replace(day=1), 1) - timedelta(days=1)


def _add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


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
        return replace(between(today.replace(day=1), today, zone), month_to_date=True)
    if name == "last-month":
        last = today.replace(day=1) - timedelta(days=1)
        return between(last.replace(day=1), last, zone)
    raise InvalidPeriod(f"unknown period {name!r}: use one of {', '.join(NAMED)} or from/to dates")
