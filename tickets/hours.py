"""Business hours: when humans are at work, in the shop's timezone, with weekdays and holidays. Pure: times in, times out.

Used to tell customers when a human will be back, and to run SLA clocks that
only count working time (a ticket left at 23:00 is not breached at 23:05).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.settings import BusinessHours

DAY = timedelta(days=1)


@dataclass
class Hours:
    """Working time as shifts: each working day has one shift, from ``opens`` on that day to ``closes``.

    A shift whose ``closes`` is not after its ``opens`` runs overnight and ends on the next day
    ({"opens": "22:00", "closes": "06:00"}: Friday's shift is Friday 22:00 to Saturday 06:00), and
    ``opens == closes`` is a 24-hour shift. Weekdays and holidays name the day a shift starts on.
    """

    config: BusinessHours
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.config.timezone)

    def _local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.zone)

    def when(self, ts: float, language: str, now: float) -> str:
        """A moment as customers are told it: the shop's clock with its zone ("Sat 29 Nov, 09:00 UTC+8", "11月29日 09:00 UTC+8";
        the time alone today). The chat's notice and its banner both say this, so they cannot disagree, whatever the
        customer's own time zone."""
        local = self._local(ts)
        day = "" if local.date() == self._local(now).date() else (f"{local.month}月{local.day}日 " if language == "zh" else local.strftime("%a %d %b, "))
        return f"{day}{local:%H:%M} {_utc_offset(local)}"

    def _working_day(self, day: date) -> bool:
        return day.weekday() in self.config.weekdays and day not in self.config.holidays

    def _window(self, day: date) -> tuple[float, float]:
        """The shift that starts on ``day`` (working or not), as epoch seconds."""
        overnight = self.config.closes <= self.config.opens
        start = datetime.combine(day, self.config.opens, self.zone)
        end = datetime.combine(day + DAY if overnight else day, self.config.closes, self.zone)
        return start.timestamp(), end.timestamp()

    def _shift_at(self, ts: float) -> tuple[float, float] | None:
        """The working shift under way at ``ts``, if any (yesterday's overnight shift may still be)."""
        today = self._local(ts).date()
        for day in (today - DAY, today):
            start, end = self._window(day)
            if self._working_day(day) and start <= ts < end:
                return start, end
        return None

    def is_open(self, ts: float) -> bool:
        return self.config.always_open or self._shift_at(ts) is not None

    def next_open(self, ts: float) -> float:
        """When humans are next at work (``ts`` itself if they are now)."""
        if self.is_open(ts):
            return ts
        day = self._local(ts).date() - DAY
        for _ in range(368):
            start, _end = self._window(day)
            if self._working_day(day) and start > ts:
                return start
            day += DAY
        raise ValueError("no opening hours in the next year: check the business hours settings (CS_BUSINESS_HOURS)")

    def _open_until(self, ts: float) -> tuple[float, float]:
        """The next working moment at or after ``ts`` and the end of its shift."""
        at = self.next_open(ts)
        shift = self._shift_at(at)
        assert shift is not None, "next_open returned a moment outside every shift"
        return at, shift[1]

    def add_working_seconds(self, ts: float, seconds: float) -> float:
        """The moment ``seconds`` of working time after ``ts`` (SLA deadlines that pause outside hours)."""
        if self.config.always_open:
            return ts + seconds
        left = seconds
        at, end = self._open_until(ts)
        for _ in range(3660):
            available = end - at
            if left <= available:
                return at + left
            left -= available
            at, end = self._open_until(end)
        raise ValueError("SLA target too long for the business hours")

    def working_seconds_between(self, a: float, b: float) -> float:
        if self.config.always_open or b <= a:
            return max(0.0, b - a)
        total = 0.0
        at, end = self._open_until(a)
        while at < b:
            total += min(end, b) - at
            at, end = self._open_until(end)
        return total


def _utc_offset(local: datetime) -> str:
    """"UTC+8", "UTC+5:30", "UTC-3", "UTC": the zone as every reader can place it (a zone's abbreviation, such as CST, is ambiguous)."""
    minutes = round(local.utcoffset().total_seconds() / 60)
    if not minutes:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")
