"""The members' booking pages through the test client, as personas: a place's resources and
board, a resource's week/day and booking form, my bookings, a booking, cancelling, and the
private calendar address."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.bookings.conftest import PARIS, at
from tiers.bookings import services
from tiers.bookings.models import Booking, CalendarFeed, Resource
from tiers.bookings.services import booking_create, series_create
from tiers.places.models import Membership

TUESDAY = "2026-03-24"
DASH = "\u2013"  # the en dash between two times


@pytest.fixture
def as_(client_for):
    """A test client for a persona (None: the visitor), speaking English."""

    def make(user) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def hot_desk(make_resource, place_a) -> Resource:
    """A public resource anyone signed in may book."""
    return make_resource(
        place_a, "Hot desk", visibility=Resource.Visibility.PUBLIC,
        allowed_statuses=["resident", "user", "beneficiary", "public"],
        description="Near the **window**.", location="Ground floor",
    )  # fmt: skip


def place_url(place, **query):
    return reverse("bookings:place", args=[place.slug]) + _query(query)


def resource_url(resource, **query):
    return reverse("bookings:resource", args=[resource.place.slug, resource.slug]) + _query(query)


def book_url(resource, **query):
    return reverse("bookings:book", args=[resource.place.slug, resource.slug]) + _query(query)


def _query(query):
    return "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""


def text(response) -> str:
    return " ".join(response.content.decode().split())


def words(response) -> str:
    """The page's text without its tags."""
    return " ".join(re.sub(r"<[^>]+>", "", response.content.decode()).split())


# Seeing -------------------------------------------------------------------------------------


def test_a_visitor_sees_public_resources_only(as_, place_a, desk, hot_desk):
    visitor = as_(None)
    response = visitor.get(place_url(place_a))
    assert response.status_code == 200
    html = text(response)
    assert "Hot desk" in html and "Ground floor" in html and "<strong>window</strong>" in html
    assert "Desk 1" not in html
    assert visitor.get(resource_url(desk)).status_code == 404
    page = visitor.get(resource_url(hot_desk))
    assert page.status_code == 200
    assert "Log in to book" in text(page)
    assert page.context["form"] is None


def test_a_member_sees_members_only_resources(as_, place_a, desk, hot_desk, member_a):
    html = text(as_(member_a).get(place_url(place_a)))
    assert "Desk 1" in html and "Hot desk" in html
    assert as_(member_a).get(resource_url(desk)).status_code == 200


def test_a_manager_of_another_place_does_not_see_members_only_resources(as_, desk, manager_b):
    assert as_(manager_b).get(resource_url(desk)).status_code == 404


def test_inactive_resources_are_hidden(as_, desk, member_a):
    desk.is_active = False
    desk.save(update_fields=["is_active"])
    assert as_(member_a).get(resource_url(desk)).status_code == 404


def test_unknown_place_or_resource_is_404(as_, place_a, member_a):
    client = as_(member_a)
    assert client.get(reverse("bookings:place", args=["nowhere"])).status_code == 404
    assert (
        client.get(reverse("bookings:resource", args=[place_a.slug, "nothing"])).status_code == 404
    )


def test_photo_has_its_description_as_alt(as_, place_a, hot_desk):
    hot_desk.photo = "resources/desk.jpg"
    hot_desk.photo_alt = "A wooden desk by a window"
    hot_desk.save(update_fields=["photo", "photo_alt"])
    html = text(as_(None).get(place_url(place_a)))
    assert 'alt="A wooden desk by a window"' in html


def test_the_board_says_which_desk_is_free(as_, place_a, desk, pool, member_a, make_user):
    booking_create(resource=desk, user=member_a, start=at(23, 9), end=at(23, 13))
    others = [make_user(f"P{i}") for i in range(2)]
    for person in others:
        Membership.objects.create(place=place_a, user=person, state="active", status="user")
        booking_create(resource=pool, user=person, start=at(23, 14), end=at(23, 16))
    response = as_(member_a).get(place_url(place_a))
    rows = {row.resource.name: row for row in response.context["rows"]}
    assert rows["Desk 1"].morning.status == "busy"
    assert rows["Desk 1"].afternoon.status == "free"
    assert rows["Open space"].afternoon.free_units == 3
    html = text(response)
    assert "What is free today" in html
    assert "3 of 5 free" in html and "Taken" in html
    assert resource_url(desk, jour="2026-03-23") in response.content.decode()


def test_the_board_of_another_day(as_, place_a, desk, member_a):
    response = as_(member_a).get(place_url(place_a, jour="2026-03-28"))
    assert response.context["day"] == dt.date(2026, 3, 28)
    assert not response.context["is_today"]
    row = response.context["rows"][0]
    assert row.now is None and row.morning.status == "closed"
    assert "Closed" in text(response)


def test_the_week_view(as_, desk, member_a, concierge_a):
    booking_create(resource=desk, user=concierge_a, start=at(24, 10), end=at(24, 11))
    booking_create(resource=desk, user=member_a, start=at(25, 10), end=at(25, 11))
    response = as_(member_a).get(resource_url(desk, semaine="2026-03-25"))  # any day of the week
    assert response.context["monday"] == dt.date(2026, 3, 23)
    html = text(response)
    assert '<th scope="col">' in response.content.decode()
    assert '<th scope="row">10:00</th>' in html
    assert "Taken" in html and "Your booking" in html
    # nobody's name on the grid
    assert concierge_a.display_name not in html
    assert "?semaine=2026-03-16" in html and "?semaine=2026-03-30" in html
    assert "?jour=2026-03-24" in html  # each day opens its day view
    # a free cell links to the form with its times
    assert book_url(desk) + "?start=2026-03-24T09%3A00%3A00%2B01%3A00" in html


def test_the_day_view_uses_the_granularity(as_, desk, member_a):
    response = as_(member_a).get(resource_url(desk, jour=TUESDAY))
    assert response.context["is_day"]
    grid = response.context["grid"]
    assert grid.days == [dt.date(2026, 3, 24)]
    assert grid.rows[1].label == dt.time(9, 30)
    assert "?jour=2026-03-23" in text(response) and "?jour=2026-03-25" in text(response)


def test_a_pool_shows_free_seats(as_, pool, member_a):
    booking_create(resource=pool, user=member_a, start=at(24, 9), end=at(24, 10), units=2)
    html = text(as_(member_a).get(resource_url(pool, jour=TUESDAY)))
    assert "3 of 5 free" in html and "5 of 5 free" in html


@pytest.mark.parametrize(
    "query",
    [
        {"jour": "9999-12-31"},
        {"jour": "0001-01-01"},
        {"jour": "garbage"},
        {"jour": "2026-02-30"},
        {"semaine": "9999-12-27"},
        {"semaine": "-1"},
        {"semaine": "2026-13-45", "jour": "%00"},
        {"jour": "2026-03-24T10:00"},
    ],
)
def test_garbage_dates_never_answer_500(as_, place_a, desk, member_a, query):
    client = as_(member_a)
    assert client.get(place_url(place_a, **query)).status_code == 200
    response = client.get(resource_url(desk, **query))
    assert response.status_code == 200
    # an unusable date falls back to this week, with a message
    assert response.context["monday"] == dt.date(2026, 3, 23)
    assert "here is today instead" in text(response)


def test_year_9999_and_garbage_in_the_booking_form(as_, desk, member_a):
    client = as_(member_a)
    for data in (
        {"day": "9999-12-31", "start_time": "10:00", "end_time": "11:00"},
        {"day": "garbage", "start_time": "25:00", "end_time": "x"},
        {"preset": "9999-12-31/morning"},
        {"preset": "garbage"},
        {"day": TUESDAY, "start_time": "10:00", "end_time": "11:00", "units": "x", "repeat": "0"},
        {"day": TUESDAY, "start_time": "10:00", "end_time": "11:00", "repeat": "9999"},
    ):
        response = client.post(book_url(desk), {"repeat": "1", **data})
        assert response.status_code == 200, data
        assert "Please correct the errors below." in text(response), data
    for query in ({"start": "garbage", "end": "x"}, {"start": "9999-12-31T23:00", "end": "x"}):
        assert client.get(book_url(desk, **query)).status_code == 200
    assert not Booking.objects.exists()


# Booking ------------------------------------------------------------------------------------


def test_booking_needs_to_log_in(as_, hot_desk):
    visitor = as_(None)
    for response in (visitor.get(book_url(hot_desk)), visitor.post(book_url(hot_desk), {})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    assert not Booking.objects.exists()


def test_a_member_of_b_cannot_book_a_members_only_room_of_a(as_, desk, manager_b):
    data = {"day": TUESDAY, "start_time": "10:00", "end_time": "11:00", "repeat": "1"}
    assert as_(manager_b).post(book_url(desk), data).status_code == 404
    assert not Booking.objects.exists()


def test_a_visible_room_only_members_may_book_says_why(as_, make_resource, place_a, manager_b):
    room = make_resource(place_a, "Room", visibility=Resource.Visibility.PUBLIC)
    data = {"day": TUESDAY, "start_time": "10:00", "end_time": "11:00", "repeat": "1"}
    response = as_(manager_b).post(book_url(room), data)
    assert response.status_code == 200
    assert "Only some members of the place can book this." in text(response)
    assert not Booking.objects.exists()


def test_booking_with_a_preset(as_, desk, member_a):
    client = as_(member_a)
    page = client.get(resource_url(desk, jour=TUESDAY))
    assert 'value="2026-03-24/afternoon"' in page.content.decode()
    assert f"Afternoon, 13:00{DASH}18:00 (free)" in text(page)
    response = client.post(
        book_url(desk), {"preset": "2026-03-24/afternoon", "repeat": "1", "note": "Writing"},
        follow=True,
    )  # fmt: skip
    booking = Booking.objects.get()
    assert (booking.start, booking.end, booking.user) == (at(24, 13), at(24, 18), member_a)
    assert booking.note == "Writing"
    assert response.redirect_chain[-1][0] == reverse("bookings:detail", args=[booking.pk])
    assert f"Booked: Desk 1, Tuesday 24 March 2026, 13:00{DASH}18:00." in text(response)


def test_a_preset_of_another_day_is_checked_against_that_day(as_, desk, member_a):
    client = as_(member_a)
    # Saturday has no preset: posting one is refused, nothing written
    response = client.post(book_url(desk), {"preset": "2026-03-28/morning", "repeat": "1"})
    assert "This choice is not available" in text(response)
    client.post(book_url(desk), {"preset": "2026-03-27/h1000", "repeat": "1"})
    booking = Booking.objects.get()
    assert (booking.start, booking.end) == (at(27, 10), at(27, 11))


def test_booking_with_explicit_times(as_, pool, member_a):
    response = as_(member_a).post(
        book_url(pool),
        {"day": TUESDAY, "start_time": "09:30", "end_time": "11:00", "units": "2", "repeat": "1"},
    )
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert (booking.start, booking.end, booking.units) == (at(24, 9, 30), at(24, 11), 2)


def test_a_booking_over_several_days(as_, make_resource, place_a, member_a):
    room = make_resource(place_a, "Studio", opening_hours="24/7", max_duration_minutes=3 * 24 * 60)
    data = {"day": TUESDAY, "start_time": "09:00", "end_day": "2026-03-26", "end_time": "18:00"}
    as_(member_a).post(book_url(room), {**data, "repeat": "1"})
    assert Booking.objects.get().end == at(26, 18)


def test_the_form_is_prefilled_from_the_grid_link(as_, desk, member_a):
    response = as_(member_a).get(
        book_url(desk, start="2026-03-24T10%3A00%3A00%2B01%3A00", end="2026-03-24T11:00")
    )
    form = response.context["form"]
    assert form.initial["day"] == dt.date(2026, 3, 24)
    assert form.initial["start_time"] == dt.time(10) and form.initial["end_time"] == dt.time(11)
    html = response.content.decode()
    assert 'type="date"' in html and 'type="time"' in html and 'value="10:00"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"day": TUESDAY, "start_time": "10:00", "end_time": "11:00"},
            "This time is already booked.",
        ),
        (
            {"day": "2026-03-28", "start_time": "10:00", "end_time": "11:00"},
            "This time is outside the bookable hours.",
        ),
        ({"day": TUESDAY, "start_time": "11:00", "end_time": "10:00"}, "The end must be after"),
        ({"day": TUESDAY, "start_time": "10:10", "end_time": "11:00"}, "steps of 30 minutes"),
        ({"day": TUESDAY}, "Give the day and the times"),
    ],
)
def test_refusals_are_shown_and_nothing_is_written(as_, desk, member_a, concierge_a, data, message):
    booking_create(resource=desk, user=concierge_a, start=at(24, 10), end=at(24, 11))
    response = as_(member_a).post(book_url(desk), {**data, "repeat": "1"})
    assert response.status_code == 200
    assert message in text(response)
    assert Booking.objects.count() == 1


def test_a_time_the_clocks_skip_is_refused(as_, make_resource, place_a, member_a):
    room = make_resource(place_a, "Room", opening_hours="24/7")
    data = {"day": "2026-03-29", "start_time": "02:30", "end_time": "04:00", "repeat": "1"}
    response = as_(member_a).post(book_url(room), data)
    assert "02:30 does not exist on that day" in text(response)
    assert not Booking.objects.exists()


def test_a_booking_that_needs_approval_says_so(as_, make_resource, place_a, member_a):
    room = make_resource(place_a, "Room", requires_approval=True)
    data = {"day": TUESDAY, "start_time": "10:00", "end_time": "11:00", "repeat": "1"}
    response = as_(member_a).post(book_url(room), data, follow=True)
    assert Booking.objects.get().status == Booking.Status.PENDING
    assert "a manager of the place must approve it" in text(response)
    assert "waits for a manager" in text(response)


def test_a_weekly_series_with_a_conflict_lists_the_skipped_week(as_, desk, member_a, concierge_a):
    booking_create(resource=desk, user=concierge_a, start=at(31, 10), end=at(31, 11))
    data = {"day": TUESDAY, "start_time": "10:00", "end_time": "11:00", "repeat": "3"}
    response = as_(member_a).post(book_url(desk), data)
    assert response.status_code == 200
    mine = Booking.objects.filter(user=member_a).order_by("start")
    assert [b.start for b in mine] == [at(24, 10), at(7, 10, month=4)]
    assert all(b.series_id is not None for b in mine)
    html = text(response)
    assert "2 weeks booked" in html and "1 week skipped" in html
    assert f"Tuesday 31 March 2026, 10:00{DASH}11:00: This time is already booked." in html
    assert "2 weeks are booked." in html


def test_a_weekly_series_all_or_nothing_books_nothing(as_, desk, member_a, concierge_a):
    booking_create(resource=desk, user=concierge_a, start=at(31, 10), end=at(31, 11))
    data = {
        "day": TUESDAY, "start_time": "10:00", "end_time": "11:00", "repeat": "3",
        "all_or_nothing": "on",
    }  # fmt: skip
    response = as_(member_a).post(book_url(desk), data)
    assert response.status_code == 200
    html = text(response)
    assert "nothing was booked" in html
    assert f"Tuesday 31 March 2026, 10:00{DASH}11:00: This time is already booked." in html
    assert not Booking.objects.filter(user=member_a).exists()


def test_a_weekly_series_of_a_pool_takes_the_seats_asked_each_week(as_, pool, member_a):
    data = {"day": TUESDAY, "start_time": "10:00", "end_time": "11:00", "repeat": "2", "units": "2"}
    response = as_(member_a).post(book_url(pool), data)
    assert response.status_code == 200
    assert list(Booking.objects.order_by("start").values_list("units", flat=True)) == [2, 2]


# My bookings, a booking, cancelling ---------------------------------------------------------


def test_my_bookings_upcoming_and_past(as_, desk, hot_desk, member_a, concierge_a):
    past = [
        Booking.objects.create(
            resource=resource,
            user=member_a,
            start=at(day, 10),
            end=at(day, 11),
            exclusive=resource.is_exclusive,
        )
        for day in range(2, 14)
        for resource in (desk, hot_desk)
    ]
    soon = booking_create(resource=desk, user=member_a, start=at(23, 9), end=at(23, 10))
    later = booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    cancelled = booking_create(resource=desk, user=member_a, start=at(25, 9), end=at(25, 10))
    services.booking_cancel(booking=cancelled, by=member_a)
    someone_else = booking_create(resource=desk, user=concierge_a, start=at(26, 9), end=at(26, 10))
    client = as_(member_a)
    response = client.get(reverse("bookings:mine"))
    assert [b.pk for b in response.context["upcoming"]] == [soon.pk, later.pk]
    upcoming = {b.pk: b for b in response.context["upcoming"]}
    assert not upcoming[soon.pk].can_cancel  # starts in 1 hour, the deadline is 2 hours
    assert upcoming[later.pk].can_cancel
    html = response.content.decode()
    assert reverse("bookings:cancel", args=[later.pk]) in html
    assert reverse("bookings:cancel", args=[soon.pk]) not in html
    assert reverse("bookings:detail", args=[someone_else.pk]) not in html
    page = response.context["past_page"]
    assert page.paginator.count == len(past) + 1  # and the cancelled one
    assert page.object_list[0].pk == cancelled.pk  # latest first
    assert len(page.object_list) == 20
    second = client.get(reverse("bookings:mine") + "?page=2")
    assert len(second.context["past_page"].object_list) == len(past) + 1 - 20
    assert client.get(reverse("bookings:mine") + "?page=garbage").status_code == 200


def test_my_bookings_needs_to_log_in(as_):
    response = as_(None).get(reverse("bookings:mine"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_the_header_links_to_my_bookings(as_, member_a, place_a):
    assert (
        reverse("bookings:mine") in as_(member_a).get(place_a.get_absolute_url()).content.decode()
    )
    assert (
        reverse("bookings:mine") not in as_(None).get(place_a.get_absolute_url()).content.decode()
    )


def test_my_bookings_query_count_is_bounded(
    as_, pool, make_resource, place_a, member_a, django_assert_max_num_queries
):
    rooms = [make_resource(place_a, f"Room {i}") for i in range(6)]
    for i, room in enumerate(rooms):
        for day in (24, 25, 26):
            booking_create(resource=room, user=member_a, start=at(day, 9 + i), end=at(day, 10 + i))
    client = as_(member_a)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("bookings:mine"))
    assert len(response.context["upcoming"]) == 18


def test_who_sees_a_booking(as_, desk, member_a, concierge_a, manager_a, manager_b, admin):
    booking = booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    url = reverse("bookings:detail", args=[booking.pk])
    assert as_(member_a).get(url).status_code == 200
    assert as_(manager_a).get(url).status_code == 200
    assert as_(admin).get(url).status_code == 200
    for other in (concierge_a, manager_b):
        assert as_(other).get(url).status_code == 404
    assert as_(None).get(url).status_code == 302  # to log in
    assert as_(member_a).get(reverse("bookings:detail", args=[999999])).status_code == 404
    html = text(as_(manager_a).get(url))
    assert "Member A" in html  # managers see whose booking it is


def test_a_member_cannot_cancel_anothers_booking(as_, desk, member_a, concierge_a):
    booking = booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    url = reverse("bookings:cancel", args=[booking.pk])
    assert as_(concierge_a).get(url).status_code == 404
    assert as_(concierge_a).post(url).status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_cancel_asks_then_cancels(as_, desk, member_a):
    booking = booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    client = as_(member_a)
    url = reverse("bookings:cancel", args=[booking.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert 'method="post"' in confirm.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    response = client.post(url, follow=True)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert response.redirect_chain[-1][0] == reverse("bookings:mine")
    assert "The booking is cancelled." in text(response)


def test_too_late_to_cancel(as_, desk, member_a):
    booking = booking_create(resource=desk, user=member_a, start=at(23, 9), end=at(23, 10))
    client = as_(member_a)
    detail = text(client.get(reverse("bookings:detail", args=[booking.pk])))
    assert "can no longer be cancelled here (up to 2 hours before the start)" in detail
    response = client.post(reverse("bookings:cancel", args=[booking.pk]), follow=True)
    assert "Bookings can be cancelled up to 2 hours before they start." in text(response)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_a_manager_cancels_from_the_booking_page(as_, desk, member_a, manager_a):
    booking = booking_create(resource=desk, user=member_a, start=at(23, 9), end=at(23, 10))
    client = as_(manager_a)
    assert client.get(reverse("bookings:detail", args=[booking.pk])).context["can_cancel"]
    response = client.post(reverse("bookings:cancel", args=[booking.pk]))
    assert response.url == reverse("bookings:detail", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_cancel_one_occurrence_or_the_following_ones(as_, desk, member_a):
    result = series_create(resource=desk, user=member_a, start=at(24, 10), end=at(24, 11), count=4)
    first, second, third, _fourth = result.booked
    client = as_(member_a)
    mine = text(client.get(reverse("bookings:mine")))
    assert "Cancel this one" in mine and "Cancel this and the following ones" in mine
    detail = client.get(reverse("bookings:detail", args=[second.pk]))
    assert len(detail.context["occurrences"]) == 4
    client.post(reverse("bookings:cancel", args=[first.pk]), {"following": "0"})
    response = client.post(
        reverse("bookings:cancel", args=[third.pk]), {"following": "1"}, follow=True
    )
    assert "2 bookings are cancelled." in text(response)
    statuses = [b.status for b in Booking.objects.order_by("start")]
    assert statuses == ["cancelled", "confirmed", "cancelled", "cancelled"]


# The private calendar address ---------------------------------------------------------------


def test_calendar_address_create_reset_revoke(as_, member_a):
    client = as_(member_a)
    url = reverse("bookings:calendar")
    assert "Create my calendar address" in text(client.get(url))
    client.post(url, {"action": "reset"})
    feed = CalendarFeed.objects.get(user=member_a)
    page = text(client.get(url))
    address = "http://testserver" + reverse("bookings:private_ics", kwargs={"token": feed.token})
    assert f'value="{address}"' in page
    assert "Google Calendar" in page
    client.post(url, {"action": "reset"})
    assert CalendarFeed.objects.get(user=member_a).token != feed.token
    client.post(url, {"action": "revoke"})
    assert not CalendarFeed.objects.filter(user=member_a).exists()
    assert client.post(url, {"action": "garbage"}).status_code == 302
    assert as_(None).get(url).status_code == 302


# Query counts -------------------------------------------------------------------------------


def _crowd(place, resources, make_user, count):
    people = [make_user(f"Crowd {i}") for i in range(count)]
    Membership.objects.bulk_create(
        Membership(place=place, user=p, state="active", status="user") for p in people
    )
    bookings = []
    for index, person in enumerate(people):
        for resource in resources:
            day = 23 + index % 5
            hour = 9 + (index // 5) % 8
            bookings.append(
                Booking(
                    resource=resource,
                    user=person,
                    start=at(day, hour),
                    end=at(day, hour + 1),
                    exclusive=resource.is_exclusive,
                )
            )
    Booking.objects.bulk_create(bookings)


def test_board_query_count_is_bounded(
    as_, place_a, make_resource, make_user, member_a, django_assert_max_num_queries
):
    pools = [
        make_resource(place_a, f"Pool {i}", kind=Resource.Kind.DESK_POOL, capacity=50)
        for i in range(10)
    ]
    _crowd(place_a, pools, make_user, 40)
    client = as_(member_a)
    with django_assert_max_num_queries(11):
        response = client.get(place_url(place_a, jour=TUESDAY))
    assert len(response.context["rows"]) == 10
    assert response.context["rows"][0].morning.free_units < 50


def test_a_large_place_is_shown_a_kind_and_a_page_at_a_time(as_, place_a, make_resource, member_a):
    for i in range(45):
        make_resource(place_a, f"Poste {i:02d}", kind=Resource.Kind.DESK)
    make_resource(place_a, "Salle Loire", kind=Resource.Kind.MEETING_ROOM)
    client = as_(member_a)
    first = client.get(place_url(place_a, jour=TUESDAY))
    assert [r.resource.name for r in first.context["rows"]][:2] == ["Poste 00", "Poste 01"]
    assert len(first.context["rows"]) == 40
    html = first.content.decode()
    assert 'rel="next"' in html and 'name="type"' in html
    second = client.get(place_url(place_a, jour=TUESDAY, page=2))
    assert [r.resource.name for r in second.context["rows"]][-1] == "Salle Loire"
    rooms = client.get(place_url(place_a, jour=TUESDAY, type="meeting_room"))
    assert [r.resource.name for r in rooms.context["rows"]] == ["Salle Loire"]
    # an unknown kind or page shows the first page of everything, never an error
    odd = client.get(place_url(place_a, type="<script>", page="9999"))
    assert odd.status_code == 200 and "<script>" not in odd.content.decode()


def test_week_view_query_count_is_bounded(
    as_, place_a, make_resource, make_user, member_a, django_assert_max_num_queries
):
    pool = make_resource(place_a, "Big pool", kind=Resource.Kind.DESK_POOL, capacity=200)
    _crowd(place_a, [pool], make_user, 150)
    client = as_(member_a)
    with django_assert_max_num_queries(10):
        response = client.get(resource_url(pool))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        client.get(resource_url(pool, jour=TUESDAY))


# The place's page -----------------------------------------------------------------------------


def test_the_place_page_links_to_booking(as_, place_a, desk, hot_desk, member_a):
    visitor = text(as_(None).get(place_a.get_absolute_url()))
    assert reverse("bookings:place", args=[place_a.slug]) in visitor
    assert resource_url(hot_desk) in visitor and resource_url(desk) not in visitor
    member = text(as_(member_a).get(place_a.get_absolute_url()))
    assert resource_url(hot_desk) in member and resource_url(desk) in member


def test_times_are_shown_on_the_places_clock(as_, make_place, make_resource, make_user):
    place = make_place("Réunion", time_zone="Indian/Reunion", opening_hours="Mo-Fr 08:00-17:00")
    person = make_user("Islander")
    Membership.objects.create(place=place, user=person, state="active", status="user")
    room = make_resource(place, "Salle")
    start = dt.datetime(2026, 3, 24, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=4)))
    booking = booking_create(
        resource=room, user=person, start=start, end=start + dt.timedelta(hours=1)
    )
    page = words(as_(person).get(reverse("bookings:detail", args=[booking.pk])))
    assert f"Tuesday 24 March 2026, 08:00{DASH}09:00" in page
    assert booking.start.astimezone(PARIS).hour == 5
