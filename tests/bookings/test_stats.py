"""Occupancy figures on hand-made scenarios: every number below was worked out by hand.

The place is open Mo-Fr 09:00-18:00 (45 hours a week). The week of 2 March 2026 (ISO week
10) is the usual playground; the clock stands on Monday 23 March 2026.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.bookings.conftest import PARIS, at
from tiers.bookings import stats
from tiers.bookings.models import Booking, Closure, Resource

D = Decimal


def week_of_2_march() -> stats.Period:
    return stats.Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8), PARIS)


def book(resource, user, start, end, **fields) -> Booking:
    """A row as the services leave it (stats read rows; the rules are tested elsewhere)."""
    fields.setdefault("exclusive", resource.is_exclusive)
    return Booking.objects.create(resource=resource, user=user, start=start, end=end, **fields)


def compute(place, period, *resources) -> stats.Occupancy:
    return stats.occupancy(
        place=place, period=period, resources=list(resources) or stats.place_resources(place)
    )


def figures_of(result: stats.Occupancy, resource: Resource) -> stats.ResourceOccupancy:
    return next(item for item in result.resources if item.resource == resource)


def cell(result: stats.Occupancy, weekday: int, hour: int) -> stats.HeatCell:
    return result.heatmap.cells[weekday][hour]


# Periods --------------------------------------------------------------------------------


def test_the_default_period_is_the_last_four_full_weeks():
    period = stats.make_period(None, None, today=dt.date(2026, 3, 25), tz=PARIS)
    assert (period.first_day, period.last_day) == (dt.date(2026, 2, 23), dt.date(2026, 3, 22))
    assert period.start == dt.datetime(2026, 2, 22, 23, 0, tzinfo=dt.UTC)
    assert period.end == dt.datetime(2026, 3, 22, 23, 0, tzinfo=dt.UTC)


def test_one_missing_end_of_the_period_gives_four_weeks():
    today = dt.date(2026, 3, 25)
    period = stats.make_period(dt.date(2026, 1, 5), None, today=today, tz=PARIS)
    assert period.last_day == dt.date(2026, 2, 1)
    period = stats.make_period(None, dt.date(2026, 2, 1), today=today, tz=PARIS)
    assert period.first_day == dt.date(2026, 1, 5)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (dt.date(2026, 3, 8), dt.date(2026, 3, 2), "must not be before"),
        (dt.date(9999, 1, 1), dt.date(9999, 12, 31), "between the years"),
        (dt.date(2026, 1, 1), dt.date(9999, 12, 31), "between the years"),
        (dt.date(1, 1, 1), dt.date(2026, 1, 1), "between the years"),
        (dt.date(2025, 1, 1), dt.date(2026, 1, 2), "one year at most"),
    ],
)
def test_unusable_periods_are_refused_with_a_message(first, last, message):
    with pytest.raises(stats.PeriodError) as info:
        stats.make_period(first, last, today=dt.date(2026, 3, 25), tz=PARIS)
    assert message in str(info.value.message)


def test_a_leap_year_is_not_too_long():
    period = stats.make_period(
        dt.date(2028, 1, 1), dt.date(2028, 12, 31), today=dt.date(2026, 3, 25), tz=PARIS
    )
    assert period.days == 366


def test_weeks_are_iso_weeks_cut_by_the_period():
    period = stats.Period(dt.date(2026, 3, 4), dt.date(2026, 3, 17), PARIS)
    weeks = stats.weeks_of(period)
    assert [(w.label, w.first_day.day, w.last_day.day) for w in weeks] == [
        ("2026-W10", 4, 8),
        ("2026-W11", 9, 15),
        ("2026-W12", 16, 17),
    ]
    assert [w.is_partial for w in weeks] == [True, False, True]
    assert weeks[-1].end == dt.datetime(2026, 3, 17, 23, 0, tzinfo=dt.UTC)


# A desk ----------------------------------------------------------------------------------


@pytest.fixture
def desk_week(desk, member_a, concierge_a):
    """The desk in the week of 2 March: 3 h + 2 h (a no-show) confirmed; the rest must not
    count as booked."""
    book(desk, member_a, at(2, 9), at(2, 12))
    book(desk, concierge_a, at(3, 14), at(3, 16), attendance=Booking.Attendance.NO_SHOW)
    book(desk, member_a, at(4, 10), at(4, 11), status=Booking.Status.CANCELLED)
    book(desk, member_a, at(5, 9), at(5, 10), status=Booking.Status.PENDING)
    book(desk, member_a, at(6, 17), at(6, 18), status=Booking.Status.DECLINED)
    book(desk, member_a, at(9, 9), at(9, 12))  # the week after
    return desk


def test_a_desk_week_open_and_booked_hours(place_a, desk_week):
    result = compute(place_a, week_of_2_march(), desk_week)
    (item,) = result.resources
    (week,) = item.weeks
    assert week.open_hours == D("45.00")
    assert week.booked_hours == D("5.00")
    assert week.occupancy == D("11.1")  # 5 / 45
    assert (week.bookings, week.no_shows, week.cancelled) == (2, 1, 1)
    assert week.blocked_hours == D("0.00")
    assert item.total == week
    assert result.total == week


def test_weeks_split_the_figures(place_a, desk_week):
    period = stats.Period(dt.date(2026, 3, 2), dt.date(2026, 3, 15), PARIS)
    result = compute(place_a, period, desk_week)
    first, second = result.resources[0].weeks
    assert (first.booked_hours, first.bookings, first.no_shows) == (D(5), 2, 1)
    assert (second.booked_hours, second.bookings, second.no_shows) == (D(3), 1, 0)
    assert second.occupancy == D("6.7")  # 3 / 45
    total = result.resources[0].total
    assert (total.open_hours, total.booked_hours, total.occupancy) == (D(90), D(8), D("8.9"))
    assert [w.booked_hours for w in result.week_totals] == [D(5), D(3)]


def test_a_closure_removes_open_hours(place_a, desk, pool, member_a, manager_a):
    # the whole place on Friday, the desk alone on Thursday morning
    Closure.objects.create(place=place_a, start=at(6, 0), end=at(7, 0), reason="Holiday")
    Closure.objects.create(place=place_a, resource=desk, start=at(5, 9), end=at(5, 13))
    result = compute(place_a, week_of_2_march(), desk, pool)
    assert figures_of(result, desk).total.open_hours == D(45 - 9 - 4)
    assert figures_of(result, pool).total.open_hours == D((45 - 9) * 5)


def test_bookings_kept_during_a_closure_are_counted_apart(place_a, desk, pool, member_a):
    book(desk, member_a, at(6, 10), at(6, 12))  # taken before Friday was closed
    book(desk, member_a, at(5, 17), at(5, 19))  # runs past the closing time: 1 h inside
    book(pool, member_a, at(6, 9), at(6, 18), units=5)
    Closure.objects.create(place=place_a, start=at(6, 0), end=at(7, 0), reason="Holiday")
    result = compute(place_a, week_of_2_march(), desk, pool)
    desk_week = figures_of(result, desk).weeks[0]
    assert (desk_week.open_hours, desk_week.booked_hours) == (D(36), D(1))
    assert desk_week.booked_outside_hours == D(3)
    assert desk_week.bookings == 2
    pool_week = figures_of(result, pool).weeks[0]
    assert (pool_week.booked_hours, pool_week.booked_outside_hours) == (D(0), D(45))
    assert pool_week.occupancy == D(0)
    assert cell(result, 4, 10).occupancy is None  # closed on Friday, whatever was booked
    assert cell(result, 3, 17).occupancy == D("16.7")  # Thursday 17:00: 1 of 6 seat-hours
    assert cell(result, 3, 18).booked_seconds == 0  # after closing time: not in the heatmap
    assert result.heatmap.hours == list(range(9, 18))


def test_another_places_closure_changes_nothing(place_a, place_b, desk):
    Closure.objects.create(place=place_b, start=at(2, 0), end=at(9, 0))
    result = compute(place_a, week_of_2_march(), desk)
    assert result.total.open_hours == D(45)


def test_bookings_are_clipped_to_the_period(place_a, make_resource, member_a):
    room = make_resource(place_a, "Room", kind="meeting_room", opening_hours="24/7")
    book(room, member_a, at(1, 22), at(2, 2))  # Sunday night into the period: 2 h inside
    book(room, member_a, at(8, 23), at(9, 1))  # out of it at midnight: 1 h inside
    book(room, member_a, at(9, 1), at(9, 3))  # outside
    result = compute(place_a, week_of_2_march(), room)
    week = result.resources[0].total
    assert week.open_hours == D(7 * 24)
    assert week.booked_hours == D(3)
    assert week.bookings == 2


def test_a_booking_across_two_weeks_counts_in_each_for_its_hours(place_a, make_resource, member_a):
    room = make_resource(place_a, "Room", kind="meeting_room", opening_hours="24/7")
    book(room, member_a, at(8, 22), at(9, 2))
    period = stats.Period(dt.date(2026, 3, 2), dt.date(2026, 3, 15), PARIS)
    first, second = compute(place_a, period, room).resources[0].weeks
    assert (first.booked_hours, first.bookings) == (D(2), 1)  # counted where it starts
    assert (second.booked_hours, second.bookings) == (D(2), 0)


# A pool and blocks --------------------------------------------------------------------------


def test_a_pool_counts_seat_hours(place_a, pool, member_a, concierge_a, manager_a):
    book(pool, member_a, at(2, 9), at(2, 18), units=2)  # 18 seat-hours
    book(pool, concierge_a, at(3, 10), at(3, 12))  # 2
    book(pool, manager_a, at(3, 10), at(3, 11), units=3, attendance="no_show")  # 3
    result = compute(place_a, week_of_2_march(), pool)
    week = result.resources[0].weeks[0]
    assert week.open_hours == D(225)
    assert week.booked_hours == D(23)
    assert week.occupancy == D("10.2")  # 23 / 225 = 10.22
    assert (week.bookings, week.no_shows) == (3, 1)


def test_blocks_are_reported_apart_and_leave_the_open_hours(place_a, pool, desk, manager_a):
    # a block over Wednesday 14:00-16:00 and, half outside the hours, Thursday 17:00-19:00
    book(pool, manager_a, at(4, 14), at(4, 16), units=5, kind=Booking.Kind.BLOCK)
    book(pool, manager_a, at(5, 17), at(5, 19), units=5, kind=Booking.Kind.BLOCK)
    book(desk, manager_a, at(4, 9), at(4, 10), kind=Booking.Kind.BLOCK)
    # a cancelled block gives the time back
    book(
        desk, manager_a, at(5, 9), at(5, 10), kind=Booking.Kind.BLOCK,
        status=Booking.Status.CANCELLED,
    )  # fmt: skip
    result = compute(place_a, week_of_2_march(), desk, pool)
    pool_week = figures_of(result, pool).weeks[0]
    assert pool_week.blocked_hours == D(3 * 5)
    assert pool_week.open_hours == D(225 - 15)
    assert pool_week.bookings == 0  # a block is no booking
    desk_week = figures_of(result, desk).weeks[0]
    assert (desk_week.blocked_hours, desk_week.open_hours) == (D(1), D(44))
    assert desk_week.cancelled == 0
    assert result.total.blocked_hours == D(16)


def test_nothing_open_gives_no_percentage(place_a, make_resource):
    shut = make_resource(place_a, "Shut", opening_hours="Sa 10:00-12:00")
    result = compute(place_a, stats.Period(dt.date(2026, 3, 2), dt.date(2026, 3, 6), PARIS), shut)
    assert result.total.open_hours == 0
    assert result.total.occupancy is None
    assert result.heatmap.hours == []


def test_only_the_chosen_resources_are_counted(place_a, desk, pool, member_a):
    book(pool, member_a, at(2, 9), at(2, 10))
    result = compute(place_a, week_of_2_march(), desk)
    assert [item.resource for item in result.resources] == [desk]
    assert result.total.booked_hours == 0


def test_inactive_resources_are_left_out(place_a, desk, make_resource):
    make_resource(place_a, "Old desk", is_active=False)
    assert stats.place_resources(place_a) == [desk]


# Daylight saving --------------------------------------------------------------------------


@pytest.fixture
def round_the_clock(make_resource, place_a):
    room = make_resource(place_a, "Room", kind="meeting_room", opening_hours="24/7")
    pool = make_resource(place_a, "Night pool", kind="desk_pool", capacity=5, opening_hours="24/7")
    daily = make_resource(place_a, "Daily desk", opening_hours="Mo-Su 09:00-18:00")
    return room, pool, daily


def test_the_spring_week_is_one_hour_shorter(place_a, round_the_clock, desk, member_a):
    room, pool, daily = round_the_clock
    period = stats.Period(dt.date(2026, 3, 23), dt.date(2026, 3, 29), PARIS)
    assert period.end - period.start == dt.timedelta(hours=167)
    book(room, member_a, at(28, 23), at(29, 4))  # 23:00 CET to 04:00 CEST: 4 real hours
    result = compute(place_a, period, room, pool, daily, desk)
    assert figures_of(result, room).total.open_hours == D(167)
    assert figures_of(result, room).total.booked_hours == D(4)
    assert figures_of(result, pool).total.open_hours == D(167 * 5)
    assert figures_of(result, daily).total.open_hours == D(
        63
    )  # 7 days of 9 hours on the local clock
    assert figures_of(result, desk).total.open_hours == D(45)


def test_the_autumn_week_is_one_hour_longer(place_a, round_the_clock, desk, member_a):
    room, pool, daily = round_the_clock
    period = stats.Period(dt.date(2026, 10, 19), dt.date(2026, 10, 25), PARIS)
    book(room, member_a, at(25, 0, month=10), at(25, 6, month=10))  # 7 real hours
    result = compute(place_a, period, room, pool, daily, desk)
    assert figures_of(result, room).total.open_hours == D(169)
    assert figures_of(result, room).total.booked_hours == D(7)
    assert figures_of(result, pool).total.open_hours == D(169 * 5)
    assert figures_of(result, daily).total.open_hours == D(63)
    assert figures_of(result, desk).total.open_hours == D(45)


def test_weeks_around_the_change_start_at_local_midnight(place_a, round_the_clock):
    room, _pool, _daily = round_the_clock
    period = stats.Period(dt.date(2026, 3, 23), dt.date(2026, 4, 5), PARIS)
    result = compute(place_a, period, room)
    assert [w.open_hours for w in result.resources[0].weeks] == [D(167), D(168)]
    assert result.weeks[1].start == dt.datetime(2026, 3, 29, 22, 0, tzinfo=dt.UTC)


def test_the_heatmap_on_change_days(place_a, round_the_clock, member_a):
    room, _pool, _daily = round_the_clock
    # 25 October: 02:00-03:00 happens twice (00:00-01:00 and 01:00-02:00 UTC); one of them
    # booked is half of that cell's open time
    book(
        room, member_a, dt.datetime(2026, 10, 25, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    october = compute(
        place_a, stats.Period(dt.date(2026, 10, 25), dt.date(2026, 10, 25), PARIS), room
    )
    sunday_two = cell(october, 6, 2)
    assert (sunday_two.open_seconds, sunday_two.booked_seconds) == (7200, 3600)
    assert sunday_two.occupancy == D(50)
    assert cell(october, 6, 3).open_seconds == 3600
    # 29 March: 02:00-03:00 does not exist
    march = compute(place_a, stats.Period(dt.date(2026, 3, 29), dt.date(2026, 3, 29), PARIS), room)
    assert cell(march, 6, 2).open_seconds == 0
    assert cell(march, 6, 2).occupancy is None
    assert cell(march, 6, 1).open_seconds == cell(march, 6, 3).open_seconds == 3600
    assert sum(c.open_seconds for c in march.heatmap.cells[6]) == 23 * 3600


@pytest.mark.parametrize(
    "zone", ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
)
def test_hours_are_spread_like_minute_by_minute(zone):
    """The fast path (plain arithmetic within a day) agrees with converting every minute,
    over both change days of a year, in zones with whole, half-hour and no changes."""
    tz = ZoneInfo(zone)
    rng = random.Random(zone)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    days = [base + dt.timedelta(days=n) for n in range(366)]
    changes = [
        b
        for a, b in itertools.pairwise(days)
        if a.astimezone(tz).utcoffset() != b.astimezone(tz).utcoffset()
    ]
    starts = [base + dt.timedelta(minutes=rng.randrange(0, 366 * 24 * 60)) for _ in range(10)]
    for change in changes:  # and many around each clock change
        starts += [change + dt.timedelta(minutes=rng.randrange(-3000, 60)) for _ in range(10)]
    assert len(changes) == (0 if zone == "Asia/Kolkata" else 2)
    for start in starts:
        end = start + dt.timedelta(minutes=rng.randrange(1, 2 * 24 * 60))
        fast = [[0] * 24 for _ in range(7)]
        stats._spread_hours(fast, start, end, tz, 2)
        slow = [[0] * 24 for _ in range(7)]
        moment = start
        while moment < end:
            local = moment.astimezone(tz)
            slow[local.weekday()][local.hour] += 60 * 2
            moment += dt.timedelta(minutes=1)
        assert fast == slow, (start, end)


# Heatmap ---------------------------------------------------------------------------------


def test_heatmap_cells(place_a, desk, pool, member_a, concierge_a):
    period = stats.Period(dt.date(2026, 3, 2), dt.date(2026, 3, 15), PARIS)  # two Mondays
    book(desk, member_a, at(2, 9), at(2, 12))  # Monday 9, 10, 11 of the first week
    book(desk, member_a, at(9, 9, 15), at(9, 9, 45))  # half an hour the next Monday
    book(pool, concierge_a, at(2, 9), at(2, 10), units=2)
    book(desk, member_a, at(3, 14), at(3, 16), attendance="no_show")
    result = compute(place_a, period, desk, pool)
    monday_nine = cell(result, 0, 9)
    # open: (1 desk + 5 seats) * 60 min * 2 Mondays; booked: 60 + 30 + 2 * 60 minutes
    assert monday_nine.open_seconds == 6 * 3600 * 2
    assert monday_nine.booked_seconds == (60 + 30 + 120) * 60
    assert monday_nine.occupancy == D("29.2")  # 210 / 720
    assert cell(result, 0, 10).occupancy == D("8.3")  # 60 / 720
    assert cell(result, 1, 14).occupancy == D("8.3")  # a no-show is still booked time
    assert cell(result, 0, 12).occupancy == D(0)
    assert cell(result, 5, 10).occupancy is None  # Saturday: closed
    assert cell(result, 0, 8).occupancy is None
    assert result.heatmap.hours == list(range(9, 18))
    rows = result.heatmap.rows()
    assert [hour for hour, _cells in rows] == list(range(9, 18))
    assert [c.weekday for c in rows[0][1]] == list(range(7))


def test_heatmap_for_one_resource(place_a, desk, pool, member_a):
    book(pool, member_a, at(2, 9), at(2, 10), units=5)
    result = compute(place_a, week_of_2_march(), pool)
    assert cell(result, 0, 9).occupancy == D(100)
    assert cell(result, 0, 10).occupancy == D(0)


def test_the_heatmap_shows_only_the_open_hours(place_a, make_resource):
    make_resource(place_a, "Morning", opening_hours="Mo 07:30-09:00")
    make_resource(place_a, "Evening", opening_hours="Fr 20:00-22:00")
    result = compute(place_a, week_of_2_march())
    assert result.heatmap.hours == list(range(7, 22))
    assert cell(result, 0, 7).open_seconds == 1800


def test_unreadable_opening_hours_count_nothing_open(place_a, make_resource):
    broken = make_resource(place_a, "Broken")
    Resource.objects.filter(pk=broken.pk).update(opening_hours="not hours at all")
    broken.refresh_from_db()
    result = compute(place_a, week_of_2_march(), broken)
    assert result.resources[0].hours_unreadable
    assert result.total.open_hours == 0


# Cost ------------------------------------------------------------------------------------


def test_two_queries_whatever_the_number_of_resources_and_bookings(
    place_a, make_resource, member_a, django_assert_num_queries
):
    resources = [
        make_resource(place_a, f"Desk {n}", capacity=1 + n % 3, opening_hours="Mo-Sa 08:00-20:00")
        for n in range(25)
    ]
    Closure.objects.create(place=place_a, start=at(4, 0), end=at(5, 0))
    rows = []
    for resource in resources:
        for day in range(1, 29):
            start = dt.datetime(2026, 2, day, 10, tzinfo=PARIS)
            rows.append(
                Booking(
                    resource=resource, user=member_a, start=start,
                    end=start + dt.timedelta(hours=2), exclusive=resource.is_exclusive,
                )
            )  # fmt: skip
    Booking.objects.bulk_create(rows)
    period = stats.Period(dt.date(2026, 2, 1), dt.date(2026, 3, 22), PARIS)
    with django_assert_num_queries(2):
        result = stats.occupancy(place=place_a, period=period, resources=resources)
    assert result.total.bookings == 25 * 28
    # the four Sundays are closed: those bookings are counted apart
    assert result.total.booked_hours == D(25 * 24 * 2)
    assert result.total.booked_outside_hours == D(25 * 4 * 2)
