"""Business hours (tickets/hours.py): day shifts, overnight shifts, and configurations refused at start-up."""

from __future__ import annotations

import json

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from core.settings import BusinessHours, Settings
from tickets.hours import Hours

ZONE = "Asia/Shanghai"


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONE)).timestamp()


def night(**more) -> Hours:
    return Hours(BusinessHours(timezone=ZONE, opens="22:00", closes="06:00", **more))


def test_an_overnight_shift_is_open_across_midnight_and_closed_during_the_day():
    hours = night()
    assert hours.is_open(at("2026-03-06T22:00")) and hours.is_open(at("2026-03-06T23:30"))
    assert hours.is_open(at("2026-03-07T00:00")) and hours.is_open(at("2026-03-07T05:59:59"))
    assert not hours.is_open(at("2026-03-07T06:00")) and not hours.is_open(at("2026-03-07T12:00"))
    assert not hours.is_open(at("2026-03-07T21:59:59"))
    assert hours.next_open(at("2026-03-07T07:00")) == at("2026-03-07T22:00")
    assert hours.next_open(at("2026-03-07T03:00")) == at("2026-03-07T03:00")


def test_weekdays_and_holidays_name_the_day_an_overnight_shift_starts_on():
    fridays = night(weekdays=[4])  # 2026-03-06 is a Friday
    assert fridays.is_open(at("2026-03-07T05:00"))  # Saturday morning: still Friday's shift
    assert not fridays.is_open(at("2026-03-07T23:00"))  # Saturday night: no shift
    assert not fridays.is_open(at("2026-03-06T05:00"))  # Friday morning: Thursday's shift, not worked
    assert fridays.next_open(at("2026-03-07T07:00")) == at("2026-03-13T22:00")
    holiday = night(holidays=["2026-03-06"])
    assert not holiday.is_open(at("2026-03-06T23:00")) and not holiday.is_open(at("2026-03-07T05:00"))
    assert holiday.is_open(at("2026-03-06T05:00"))  # Thursday's shift ends on the holiday morning


def test_sla_deadlines_count_overnight_working_time_only():
    hours = night()
    # Five minutes of working time from 05:58: two minutes now, three after tonight's opening.
    assert hours.add_working_seconds(at("2026-03-07T05:58"), 300) == at("2026-03-07T22:03")
    # A complaint's 24 working hours are three 8-hour shifts.
    assert hours.add_working_seconds(at("2026-03-06T22:00"), 24 * 3600) == at("2026-03-09T06:00")
    assert hours.add_working_seconds(at("2026-03-07T12:00"), 3600) == at("2026-03-07T23:00")
    assert hours.working_seconds_between(at("2026-03-06T23:00"), at("2026-03-07T23:00")) == 8 * 3600
    assert hours.working_seconds_between(at("2026-03-07T12:00"), at("2026-03-07T12:30")) == 0


def test_day_shifts_still_work_as_before_and_equal_times_are_a_whole_day():
    day = Hours(BusinessHours(timezone=ZONE))
    assert day.is_open(at("2026-03-06T09:00")) and not day.is_open(at("2026-03-06T21:00"))
    assert day.next_open(at("2026-03-06T22:00")) == at("2026-03-07T09:00")
    assert day.add_working_seconds(at("2026-03-06T20:58"), 300) == at("2026-03-07T09:03")
    whole = Hours(BusinessHours(timezone=ZONE, opens="00:00", closes="00:00"))
    assert whole.is_open(at("2026-03-06T23:59")) and whole.is_open(at("2026-03-07T00:00"))
    assert whole.add_working_seconds(at("2026-03-06T12:00"), 48 * 3600) == at("2026-03-08T12:00")


def test_business_hours_without_a_working_weekday_are_refused_at_start_up_naming_the_setting(monkeypatch):
    monkeypatch.setenv("CS_BUSINESS_HOURS", '{"weekdays": []}')
    with pytest.raises(ValidationError, match="CS_BUSINESS_HOURS names no weekdays"):
        Settings()
    monkeypatch.setenv("CS_BUSINESS_HOURS", '{"weekdays": [7]}')
    with pytest.raises(ValidationError, match="CS_BUSINESS_HOURS weekdays are 0"):
        Settings()
    for zone in ("Mars/Olympus_Mons", "../../etc/passwd", ""):
        monkeypatch.setenv("CS_BUSINESS_HOURS", json.dumps({"timezone": zone}))
        with pytest.raises(ValidationError, match="CS_BUSINESS_HOURS timezone .* is not a known IANA time zone"):
            Settings()
    monkeypatch.setenv("CS_BUSINESS_HOURS", '{"timezone": "Europe/Berlin"}')
    assert Settings().business_hours.timezone == "Europe/Berlin"
    monkeypatch.setenv("CS_BUSINESS_HOURS", '{"weekdays": [], "always_open": true}')
    assert Settings().business_hours.always_open
    monkeypatch.setenv("CS_BUSINESS_HOURS", '{"opens": "22:00", "closes": "06:00"}')
    assert Settings().business_hours.closes.hour == 6


def test_a_moment_is_told_on_the_shops_clock_with_its_zone():
    hours = night()
    now = at("2026-03-06T15:00")
    assert hours.when(at("2026-03-06T22:00"), "en", now) == "22:00 UTC+8"  # today: the time alone
    assert hours.when(at("2026-03-07T22:00"), "en", now) == "Sat 07 Mar, 22:00 UTC+8"
    assert hours.when(at("2026-03-07T22:00"), "zh", now) == "3月7日 22:00 UTC+8"
    india = Hours(BusinessHours(timezone="Asia/Kolkata", opens="09:00", closes="18:00"))
    assert india.when(at("2026-03-07T11:30"), "en", now).endswith("09:00 UTC+5:30")
    newfoundland = Hours(BusinessHours(timezone="America/St_Johns", opens="09:00", closes="18:00"))
    assert newfoundland.when(at("2026-03-07T11:30"), "en", now).endswith("UTC-3:30")
