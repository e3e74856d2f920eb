"""Opening hours in OpenStreetMap syntax."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from tiers.places.hours import is_open, validate_opening_hours, week_table

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    "expression",
    [
        "Mo-Fr 09:00-18:00",
        "24/7",
        "Mo-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00; PH off",
        "Tu,Th 14:00-18:00; We 10:00-12:00,14:00-18:00",
        "Mo-Su 22:00-02:00",
        "",
    ],
)
def test_valid_expressions(expression):
    validate_opening_hours(expression)


@pytest.mark.parametrize(
    "expression", ["9h-18h", "lundi au vendredi", "Mo-Fr 25:00-26:00", "Mo-Fr 09:00-", "x" * 300]
)
def test_invalid_expressions(expression):
    with pytest.raises(ValidationError):
        validate_opening_hours(expression)


def test_is_open_uses_the_place_time_zone():
    # 08:30 UTC is 09:30 in Paris in winter
    moment = dt.datetime(2026, 1, 5, 8, 30, tzinfo=dt.UTC)
    assert is_open("Mo-Fr 09:00-18:00", PARIS, moment) is True
    assert is_open("Mo-Fr 09:00-18:00", ZoneInfo("UTC"), moment) is False
    assert is_open("", PARIS, moment) is None


def test_week_table_splits_ranges_over_midnight():
    monday = dt.datetime(2026, 1, 5, 12, 0, tzinfo=PARIS)
    week = week_table("Fr 22:00-02:00", PARIS, monday)
    friday, saturday = week[4], week[5]
    assert friday.ranges == [(dt.time(22), dt.time(23, 59))]
    assert saturday.ranges == [(dt.time(0), dt.time(2))]
    assert [d.date for d in week] == [monday.date() + dt.timedelta(days=i) for i in range(7)]


def test_week_table_across_the_daylight_saving_change():
    # the last Sunday of March 2026 is the 29th: clocks go from 02:00 to 03:00
    saturday = dt.datetime(2026, 3, 28, 12, 0, tzinfo=PARIS)
    week = week_table("Mo-Su 09:00-18:00", PARIS, saturday)
    assert all(day.ranges == [(dt.time(9), dt.time(18))] for day in week)


def test_public_holidays_follow_the_french_calendar():
    expression = "Mo-Fr 09:00-18:00; PH off"
    christmas = dt.datetime(2026, 12, 25, 10, 0, tzinfo=PARIS)  # a Friday
    christmas_eve = dt.datetime(2026, 12, 24, 10, 0, tzinfo=PARIS)
    bastille_day = dt.datetime(2026, 7, 14, 10, 0, tzinfo=PARIS)  # a Tuesday
    assert is_open(expression, PARIS, christmas) is False
    assert is_open(expression, PARIS, bastille_day) is False
    assert is_open(expression, PARIS, christmas_eve) is True
    week = week_table(expression, PARIS, dt.datetime(2026, 12, 21, 8, 0, tzinfo=PARIS))
    assert [bool(day.ranges) for day in week] == [True, True, True, True, False, False, False]
