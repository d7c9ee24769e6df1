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
    config: BusinessHours
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.config.timezone)

    def _local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.zone)

    def _working_day(self, day: date) -> bool:
        return day.weekday() in self.config.weekdays and day not in self.config.holidays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (datetime.combine(day, self.config.opens, self.zone), datetime.combine(day, self.config.closes, self.zone))

    def is_open(self, ts: float) -> bool:
        if self.config.always_open:
            return True
        now = self._local(ts)
        start, end = self._window(now.date())
        return self._working_day(now.date()) and start <= now < end

    def next_open(self, ts: float) -> float:
        """When humans are next at work (``ts`` itself if they are now)."""
        if self.is_open(ts):
            return ts
        now = self._local(ts)
        day = now.date()
        for _ in range(366):
            start, _end = self._window(day)
            if self._working_day(day) and start > now:
                return start.timestamp()
            day += DAY
        raise ValueError("no opening hours in the next year: check the business hours settings")

    def add_working_seconds(self, ts: float, seconds: float) -> float:
        """The moment ``seconds`` of working time after ``ts`` (SLA deadlines that pause outside hours)."""
        if self.config.always_open:
            return ts + seconds
        left = seconds
        at = self.next_open(ts)
        for _ in range(3660):
            _start, end = self._window(self._local(at).date())
            available = end.timestamp() - at
            if left <= available:
                return at + left
            left -= available
            at = self.next_open(end.timestamp())
        raise ValueError("SLA target too long for the business hours")

    def working_seconds_between(self, a: float, b: float) -> float:
        if self.config.always_open or b <= a:
            return max(0.0, b - a)
        total, at = 0.0, self.next_open(a)
        while at < b:
            _start, end = self._window(self._local(at).date())
            total += min(end.timestamp(), b) - at
            at = self.next_open(end.timestamp())
        return total
