"""The week/day grid of a resource and the place's "which desk is free" board."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bookings.conftest import NOW, PARIS, at
from tiers.bookings import calendar
from tiers.bookings.availability import free_busy
from tiers.bookings.models import Booking, Closure, Resource
from tiers.bookings.presets import day_bounds
from tiers.bookings.services import booking_create

MONDAY = dt.date(2026, 3, 23)


def week_grid(resource, monday=MONDAY, now=NOW, mine=()):
    days = calendar.week_days(monday)
    window = free_busy(resource, day_bounds(days[0], PARIS)[0], day_bounds(days[-1], PARIS)[1])
    return calendar.grid(resource, days, window, step_minutes=60, now=now, mine=mine)


def cell(grid, day_index, label):
    for row in grid.rows:
        if row.label == label:
            return row.cells[day_index]
    raise AssertionError(f"no row {label}")


def test_week_grid_rows_follow_the_opening_hours(desk):
    grid = week_grid(desk)
    assert grid.days[0] == MONDAY and len(grid.days) == 7
    assert [row.label for row in grid.rows] == [dt.time(h) for h in range(9, 18)]
    assert all(len(row.cells) == 7 for row in grid.rows)
    # Saturday and Sunday are closed; Tuesday is free
    assert cell(grid, 5, dt.time(10)).status == calendar.CLOSED
    assert cell(grid, 6, dt.time(10)).status == calendar.CLOSED
    tuesday_10 = cell(grid, 1, dt.time(10))
    assert tuesday_10.status == calendar.FREE
    assert (tuesday_10.start, tuesday_10.end) == (at(24, 10), at(24, 11))
    assert (tuesday_10.book_start, tuesday_10.book_end) == (at(24, 10), at(24, 11))


def test_busy_partly_free_and_mine(desk, member_a, concierge_a):
    booking_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 11))
    booking_create(resource=desk, user=concierge_a, start=at(24, 11, 30), end=at(24, 12))
    mine = [(at(24, 10), at(24, 11))]
    grid = week_grid(desk, mine=mine)
    ten, eleven = cell(grid, 1, dt.time(10)), cell(grid, 1, dt.time(11))
    assert ten.status == calendar.BUSY and ten.mine and not ten.bookable
    assert eleven.status == calendar.PARTLY and not eleven.mine and eleven.bookable
    assert cell(grid, 1, dt.time(12)).status == calendar.FREE


def test_a_pool_cell_counts_free_units(pool, member_a, concierge_a):
    booking_create(resource=pool, user=member_a, start=at(24, 9), end=at(24, 10), units=2)
    booking_create(resource=pool, user=concierge_a, start=at(24, 9), end=at(24, 10), units=3)
    booking_create(resource=pool, user=member_a, start=at(24, 10), end=at(24, 11), units=4)
    grid = week_grid(pool)
    full, four = cell(grid, 1, dt.time(9)), cell(grid, 1, dt.time(10))
    assert full.status == calendar.BUSY and full.is_pool and full.free_units == 0
    assert four.status == calendar.FREE and four.free_units == 1 and four.capacity == 5


def test_past_cells_and_closures(desk, place_a):
    Closure.objects.create(place=place_a, start=at(25, 14), end=at(25, 16), reason="Meeting")
    grid = week_grid(desk, now=at(23, 11, 30))
    assert cell(grid, 0, dt.time(10)).status == calendar.PAST
    # the current hour is still open for its remaining half hour
    current = cell(grid, 0, dt.time(11))
    assert current.status == calendar.FREE
    assert current.book_start == at(23, 11, 30)
    assert cell(grid, 2, dt.time(14)).status == calendar.CLOSED
    assert cell(grid, 2, dt.time(16)).status == calendar.FREE


def test_a_day_grid_uses_the_granularity(desk):
    window = free_busy(desk, *day_bounds(dt.date(2026, 3, 24), PARIS))
    grid = calendar.grid(desk, [dt.date(2026, 3, 24)], window, step_minutes=30, now=NOW)
    assert len(grid.rows) == 18  # 09:00 to 18:00 by half hours
    assert grid.rows[1].label == dt.time(9, 30)


def test_a_closed_week_has_no_row(make_resource, place_a):
    room = make_resource(place_a, "Room", opening_hours="Sa 10:00-12:00")
    grid = week_grid(room, monday=dt.date(2026, 3, 23))
    assert [row.label for row in grid.rows] == [dt.time(10), dt.time(11)]
    room.opening_hours = "off"
    room.save(update_fields=["opening_hours"])
    assert week_grid(room).is_empty


def test_a_resource_without_hours_shows_the_day_and_any_booking(make_resource, place_b, make_user):
    bench = make_resource(place_b, "Bench")
    person = make_user("Owner")
    Booking.objects.create(resource=bench, user=person, start=at(24, 21), end=at(24, 22))
    grid = week_grid(bench)
    labels = [row.label for row in grid.rows]
    assert labels[0] == dt.time(8) and labels[-1] == dt.time(21)
    assert cell(grid, 1, dt.time(21)).status == calendar.BUSY


@pytest.fixture
def room_24_7(make_resource, place_a):
    return make_resource(place_a, "Room", opening_hours="24/7", granularity_minutes=60)


def test_the_hour_skipped_in_spring_has_no_cell(room_24_7):
    grid = week_grid(room_24_7)  # Sunday 29 March is the last day
    assert len(grid.rows) == 24
    skipped = cell(grid, 6, dt.time(2))
    assert skipped.status == calendar.NONE and not skipped.bookable
    assert cell(grid, 6, dt.time(1)).end - cell(grid, 6, dt.time(1)).start == dt.timedelta(hours=1)
    assert cell(grid, 6, dt.time(3)).status == calendar.FREE


def test_the_hour_repeated_in_autumn_is_one_longer_cell(room_24_7):
    grid = week_grid(room_24_7, monday=dt.date(2026, 10, 19))
    repeated = cell(grid, 6, dt.time(2))
    assert repeated.end - repeated.start == dt.timedelta(hours=2)
    total = sum((row.cells[6].end - row.cells[6].start for row in grid.rows), dt.timedelta())
    assert total == dt.timedelta(hours=25)


# The board ------------------------------------------------------------------------------------


def test_free_busy_many_matches_free_busy(desk, pool, make_resource, place_a, member_a):
    room = make_resource(place_a, "Room", opening_hours="Mo-Fr 09:00-12:00,14:00-18:00")
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 11))
    booking_create(resource=pool, user=member_a, start=at(24, 10), end=at(24, 12), units=3)
    Closure.objects.create(place=place_a, start=at(24, 16), end=at(24, 17))
    Closure.objects.create(place=place_a, resource=room, start=at(24, 9), end=at(24, 10))
    start, end = day_bounds(dt.date(2026, 3, 24), PARIS)
    many = calendar.free_busy_many([desk, pool, room], start, end)
    for resource in (desk, pool, room):
        assert many[resource.pk] == free_busy(resource, start, end), resource


def test_board_says_now_morning_and_afternoon(desk, pool, member_a):
    booking_create(resource=desk, user=member_a, start=at(23, 9), end=at(23, 13))
    rows = calendar.board([desk, pool], dt.date(2026, 3, 23), now=at(23, 10), tz=PARIS)
    by_name = {row.resource.name: row for row in rows}
    assert by_name["Desk 1"].now.status == calendar.BUSY
    assert by_name["Desk 1"].morning.status == calendar.BUSY
    assert by_name["Desk 1"].afternoon.status == calendar.FREE
    assert by_name["Open space"].now.status == calendar.FREE
    assert by_name["Open space"].now.free_units == 5
    # before the opening, "now" is closed
    rows = calendar.board([desk], dt.date(2026, 3, 23), now=at(23, 8), tz=PARIS)
    assert rows[0].now.status == calendar.CLOSED
    # another day: no "now"
    rows = calendar.board([desk], dt.date(2026, 3, 24), now=at(23, 10), tz=PARIS)
    assert rows[0].now is None
    assert rows[0].morning.status == calendar.FREE
    # a weekend day is closed
    rows = calendar.board([desk], dt.date(2026, 3, 28), now=at(23, 10), tz=PARIS)
    assert rows[0].morning.status == rows[0].afternoon.status == calendar.CLOSED


def test_board_afternoon_partly_taken(desk, member_a):
    booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 15))
    rows = calendar.board([desk], dt.date(2026, 3, 24), now=NOW, tz=PARIS)
    assert rows[0].afternoon.status == calendar.PARTLY


def test_board_queries_do_not_grow(
    place_a, make_resource, make_user, django_assert_max_num_queries
):
    person = make_user("Busy person")
    resources = [make_resource(place_a, f"Desk {i}", kind=Resource.Kind.DESK) for i in range(12)]
    Booking.objects.bulk_create(
        Booking(resource=r, user=person, start=at(24, 9 + h % 8), end=at(24, 10 + h % 8))
        for r in resources
        for h in range(8)
    )
    for resource in resources:
        resource.place = place_a
    with django_assert_max_num_queries(2):
        rows = calendar.board(resources, dt.date(2026, 3, 24), now=NOW, tz=PARIS)
    assert all(row.morning.status == calendar.BUSY for row in rows)
