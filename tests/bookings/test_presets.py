"""Presets a person understands (morning, afternoon, whole day, one hour), computed from the
day's bookable intervals on the place's clock."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bookings.conftest import PARIS, at
from tiers.bookings.models import Closure
from tiers.bookings.presets import day_presets, find_preset, parse_value
from tiers.bookings.services import booking_create

TUESDAY = dt.date(2026, 3, 24)


def spans(presets):
    """{key: "HH:MM-HH:MM"} on the Paris clock."""
    return {
        p.key: f"{p.start.astimezone(PARIS):%H:%M}-{p.end.astimezone(PARIS):%H:%M}" for p in presets
    }


def named(presets):
    return {k: v for k, v in spans(presets).items() if not k.startswith("h")}


def hours(presets):
    return [p.start.astimezone(PARIS).strftime("%H:%M") for p in presets if p.key.startswith("h")]


def test_a_plain_day(desk):
    presets = day_presets(desk, TUESDAY)
    assert named(presets) == {
        "morning": "09:00-13:00",
        "afternoon": "13:00-18:00",
        "day": "09:00-18:00",
    }
    assert hours(presets) == [f"{h:02d}:00" for h in range(9, 18)]
    assert all(p.is_free and p.fits_duration and not p.started for p in presets)
    assert all(p.start.tzinfo is not None for p in presets)
    labels = {p.key: str(p.label) for p in presets}
    assert labels["morning"] == "Morning" and labels["day"] == "Whole day"
    assert labels["h0900"] == "1 hour"


def test_a_lunch_break_ends_the_morning_and_starts_the_afternoon(make_resource, place_a):
    room = make_resource(place_a, "Room", opening_hours="Mo-Fr 09:00-12:00,14:00-18:00")
    presets = day_presets(room, TUESDAY)
    # one booking is one range of open time: a day with a break has no "whole day"
    assert named(presets) == {"morning": "09:00-12:00", "afternoon": "14:00-18:00"}
    assert hours(presets) == ["09:00", "10:00", "11:00", "14:00", "15:00", "16:00", "17:00"]


def test_a_short_break_after_13h_moves_the_afternoon(make_resource, place_a):
    room = make_resource(place_a, "Room", opening_hours="Mo-Fr 08:00-12:30,13:30-19:00")
    assert named(day_presets(room, TUESDAY)) == {
        "morning": "08:00-12:30",
        "afternoon": "13:30-19:00",
    }


def test_without_any_hours_a_usual_working_day(make_resource, place_b):
    assert place_b.opening_hours == ""
    bench = make_resource(place_b, "Bench")
    presets = day_presets(bench, dt.date(2026, 3, 28))  # even a Saturday
    assert named(presets) == {
        "morning": "09:00-13:00",
        "afternoon": "13:00-18:00",
        "day": "09:00-18:00",
    }
    assert hours(presets)[0] == "09:00" and hours(presets)[-1] == "17:00"


def test_a_closed_day_has_no_preset(desk, place_a):
    assert day_presets(desk, dt.date(2026, 3, 28)) == []  # Saturday
    Closure.objects.create(place=place_a, start=at(24, 0), end=at(25, 0), reason="Holiday")
    assert day_presets(desk, TUESDAY) == []


def test_a_closure_in_the_afternoon_cuts_it(desk, place_a):
    Closure.objects.create(place=place_a, resource=desk, start=at(24, 16), end=at(24, 18))
    presets = day_presets(desk, TUESDAY)
    assert named(presets) == {
        "morning": "09:00-13:00",
        "afternoon": "13:00-16:00",
        "day": "09:00-16:00",
    }


def test_an_afternoon_only_day(make_resource, place_a):
    room = make_resource(place_a, "Room", opening_hours="Mo-Fr 14:00-18:00")
    # the whole day would be the same range as the afternoon: shown once
    assert named(day_presets(room, TUESDAY)) == {"afternoon": "14:00-18:00"}


def test_presets_are_aligned_to_the_granularity(make_resource, place_a):
    room = make_resource(place_a, "Room", opening_hours="Mo-Fr 09:15-17:45")
    presets = day_presets(room, TUESDAY)
    assert named(presets) == {
        "morning": "09:30-13:00",
        "afternoon": "13:00-17:30",
        "day": "09:30-17:30",
    }
    assert hours(presets)[:2] == ["09:30", "10:30"]
    assert hours(presets)[-1] == "16:30"


def test_presets_breaking_the_duration_rules_are_hidden(make_resource, place_a):
    room = make_resource(place_a, "Room", max_duration_minutes=4 * 60)
    presets = day_presets(room, TUESDAY)
    assert set(named(presets)) == {"morning"}  # the afternoon is 5 hours, the day 9
    everything = day_presets(room, TUESDAY, include_unfit=True)
    unfit = {p.key for p in everything if not p.fits_duration}
    assert unfit == {"afternoon", "day"}
    machine = make_resource(place_a, "Laser", min_duration_minutes=120)
    assert hours(day_presets(machine, TUESDAY)) == []


def test_taken_presets_say_so(desk, member_a):
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    presets = {p.key: p for p in day_presets(desk, TUESDAY)}
    assert not presets["morning"].is_free
    assert not presets["day"].is_free
    assert presets["afternoon"].is_free
    assert not presets["h0900"].is_free
    assert presets["h1000"].is_free


def test_a_pool_counts_free_units(pool, member_a):
    booking_create(resource=pool, user=member_a, start=at(24, 9), end=at(24, 10), units=2)
    presets = {p.key: p for p in day_presets(pool, TUESDAY)}
    assert presets["morning"].free_units == 3
    assert presets["morning"].capacity == 5
    assert presets["afternoon"].free_units == 5


def test_the_buffer_after_a_booking_makes_the_next_hour_busy(make_resource, place_a, member_a):
    room = make_resource(place_a, "Room", buffer_minutes=30)
    booking_create(resource=room, user=member_a, start=at(24, 9), end=at(24, 10))
    presets = {p.key: p for p in day_presets(room, TUESDAY)}
    assert not presets["h1000"].is_free  # 10:00-11:00 starts within the buffer
    assert presets["h1100"].is_free


def test_started_presets_are_flagged(desk):
    presets = {p.key: p for p in day_presets(desk, dt.date(2026, 3, 23), now=at(23, 10))}
    assert presets["morning"].started
    assert not presets["afternoon"].started
    assert presets["h0900"].started and not presets["h1000"].started


@pytest.fixture
def room_24_7(make_resource, place_a):
    return make_resource(
        place_a, "Room", opening_hours="24/7", granularity_minutes=60,
        max_duration_minutes=26 * 60, max_days_ahead=366,
    )  # fmt: skip


def test_spring_dst_day_is_23_hours(room_24_7):
    presets = day_presets(room_24_7, dt.date(2026, 3, 29))
    whole = find_preset(presets, "2026-03-29/day")
    assert whole is not None
    assert whole.end - whole.start == dt.timedelta(hours=23)
    slots = [p for p in presets if p.key.startswith("h")]
    assert len(slots) == 23
    assert all(p.end - p.start == dt.timedelta(hours=1) for p in slots)
    # no slot starts at 02:00, the hour the clocks skip
    assert "02:00" not in hours(presets)
    morning = find_preset(presets, "2026-03-29/morning")
    assert morning is not None and morning.end - morning.start == dt.timedelta(hours=12)


def test_autumn_dst_day_is_25_hours_with_distinct_slots(room_24_7):
    presets = day_presets(room_24_7, dt.date(2026, 10, 25))
    slots = [p for p in presets if p.key.startswith("h")]
    assert len(slots) == 25
    assert len({p.value for p in presets}) == len(presets)
    assert hours(presets).count("02:00") == 2
    assert {"h0200", "h0200b"} <= {p.key for p in slots}


def test_dst_day_keeps_wall_clock_presets(make_resource, place_a):
    room = make_resource(place_a, "Room", opening_hours="Mo-Su 09:00-18:00", max_days_ahead=366)
    before = day_presets(room, dt.date(2026, 3, 28))
    after = day_presets(room, dt.date(2026, 3, 29))
    assert named(before) == named(after)
    morning_after = find_preset(after, "2026-03-29/morning")
    assert morning_after is not None
    assert morning_after.start == dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC)  # CEST


def test_a_preset_books_as_is(desk, member_a):
    for preset in day_presets(desk, TUESDAY):
        if preset.key in ("morning", "afternoon"):
            booking = booking_create(
                resource=desk, user=member_a, start=preset.start, end=preset.end
            )
            assert (booking.start, booking.end) == (preset.start, preset.end)


def test_a_preset_value_round_trips(desk):
    presets = day_presets(desk, TUESDAY)
    assert find_preset(presets, "2026-03-24/afternoon") is not None
    assert find_preset(presets, "2026-03-25/afternoon") is None
    assert parse_value("2026-03-24/morning") == (TUESDAY, "morning")
    assert parse_value("garbage") is None
    assert parse_value("9999-99-99/morning") is None
