"""Bookings through the API: resources and availability, booking and cancelling, the
managers' actions, series; as each persona, with the 409 problems naming each rule.

The clock is Monday 23 March 2026, 08:00 in Paris; place A is open Mo-Fr 09:00-18:00."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import assert_problem, error_fields
from tests.bookings.conftest import NOW, PARIS, at
from tiers.bookings import services
from tiers.bookings.models import (
    Booking,
    BookingLog,
    Closure,
    CreditPlan,
    Qualification,
    Resource,
)
from tiers.places.models import Membership

BOOKINGS = "/api/v1/bookings"


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> dt.datetime:
    monkeypatch.setattr(services, "now", lambda: NOW)
    return NOW


@pytest.fixture
def make_resource(db):
    def make(place, name: str = "Desk 1", **fields) -> Resource:
        fields.setdefault("slug", name.lower().replace(" ", "-"))
        return Resource.objects.create(place=place, name=name, **fields)

    return make


@pytest.fixture
def desk(make_resource, place_a) -> Resource:
    """Members only (the default visibility), capacity 1."""
    return make_resource(place_a, "Desk 1")


@pytest.fixture
def room(make_resource, place_a) -> Resource:
    """A public meeting room: everybody sees it, its busy times are public."""
    return make_resource(
        place_a, "Salle Jardin", kind=Resource.Kind.MEETING_ROOM,
        visibility=Resource.Visibility.PUBLIC,
    )  # fmt: skip


@pytest.fixture
def pool(make_resource, place_a) -> Resource:
    return make_resource(
        place_a, "Open space", kind=Resource.Kind.DESK_POOL, capacity=5,
        visibility=Resource.Visibility.PUBLIC,
    )  # fmt: skip


def iso(day: int, hour: int, minute: int = 0, month: int = 3) -> str:
    return at(day, hour, minute, month).isoformat()


def body(resource: Resource, start: str, end: str, **extra) -> dict:
    return {"resource": resource.pk, "start": start, "end": end, **extra}


def book(user, resource: Resource, day: int = 24, hour: int = 10, hours: int = 1, **kw):
    """A booking made through the service (to set the scene)."""
    return services.booking_create(
        resource=resource, user=user, start=at(day, hour), end=at(day, hour + hours), **kw
    )


def refused(response, code: str) -> dict:
    problem = assert_problem(response, 409, code)
    assert problem["code"] == code
    return problem


# --- resources ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees_members_only"),
    [
        ("visitor", False),
        ("member_a", True),
        ("concierge_a", True),
        ("manager_a", True),
        ("manager_b", False),
        ("admin", True),
    ],
)
def test_resources_of_a_place_by_persona(as_persona, desk, room, who, sees_members_only):
    response = as_persona(who).get("/api/v1/places/le-quai/resources")
    assert response.status_code == 200, response.content
    page = response.json()
    names = [r["name"] for r in page["results"]]
    expected = ["Desk 1", "Salle Jardin"] if sees_members_only else ["Salle Jardin"]
    assert names == expected
    assert page["count"] == len(expected)


def test_resource_entry(api_as, member_a, desk, place_a):
    desk.location = "1st floor"
    desk.save(update_fields=["location"])
    entry = api_as(member_a).get(f"/api/v1/resources/{desk.pk}").json()
    assert entry["id"] == desk.pk and entry["place"] == "le-quai" and entry["slug"] == "desk-1"
    assert entry["visibility"] == "members" and entry["capacity"] == 1
    assert entry["bookable_hours"] == "Mo-Fr 09:00-18:00"
    assert entry["time_zone"] == "Europe/Paris"
    assert entry["granularity_minutes"] == 30 and entry["location"] == "1st floor"
    assert entry["availability_url"].endswith(f"/api/v1/resources/{desk.pk}/availability")
    assert entry["ics_url"].endswith("/lieux/le-quai/reservations/desk-1/occupation.ics")


def test_resources_seen_through_the_session_too(client_for, member_a, desk, room):
    names = [
        r["name"]
        for r in client_for(member_a).get("/api/v1/places/le-quai/resources").json()["results"]
    ]
    assert names == ["Desk 1", "Salle Jardin"]


@pytest.mark.parametrize("who", ["visitor", "manager_b"])
def test_members_only_resource_does_not_exist_for_others(as_persona, desk, who):
    api = as_persona(who)
    assert_problem(api.get(f"/api/v1/resources/{desk.pk}"), 404, "not-found")
    assert_problem(api.get(f"/api/v1/resources/{desk.pk}/availability"), 404, "not-found")


def test_inactive_resources_are_hidden_from_members(api_as, member_a, manager_a, desk, room):
    desk.is_active = False
    desk.save(update_fields=["is_active"])
    assert_problem(api_as(member_a).get(f"/api/v1/resources/{desk.pk}"), 404)
    assert api_as(manager_a).get(f"/api/v1/resources/{desk.pk}").json()["is_active"] is False


def test_resources_of_an_unknown_place(api_as, member_a):
    assert_problem(api_as(member_a).get("/api/v1/places/nowhere/resources"), 404)
    assert_problem(api_as(member_a).get("/api/v1/resources/999999"), 404)


def test_a_wrong_token_is_refused_even_on_reads(client, room):
    response = client.get(
        "/api/v1/places/le-quai/resources", headers={"Authorization": "Bearer nope"}
    )
    assert_problem(response, 401, "invalid-token")


def test_resources_list_query_count_does_not_grow(
    api_as, member_a, place_a, make_resource, django_assert_max_num_queries
):
    api = api_as(member_a)
    url = "/api/v1/places/le-quai/resources"
    make_resource(place_a, "R0")
    with CaptureQueriesContext(connection) as few:
        api.get(url)
    plan = CreditPlan.objects.create(place=place_a, name="Rooms")
    training = Qualification.objects.create(place=place_a, name="Laser")
    for n in range(1, 25):
        make_resource(place_a, f"R{n}", credit_plan=plan, required_qualification=training)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(url)
    assert response.json()["count"] == 25
    assert len(few.captured_queries) <= 7


# --- availability --------------------------------------------------------------------------


def avail(api, resource: Resource, start: str | None = None, end: str | None = None):
    params = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    return api.get(f"/api/v1/resources/{resource.pk}/availability", params)


def test_availability_of_a_day(api_as, member_a, concierge_a, desk):
    book(concierge_a, desk, day=24, hour=10, hours=2)
    response = avail(api_as(member_a), desk, iso(24, 0), iso(25, 0))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data == {
        "resource": desk.pk,
        "start": "2026-03-24T00:00:00+01:00",
        "end": "2026-03-25T00:00:00+01:00",
        "capacity": 1,
        "open": [{"start": "2026-03-24T09:00:00+01:00", "end": "2026-03-24T18:00:00+01:00"}],
        "busy": [
            {"start": "2026-03-24T10:00:00+01:00", "end": "2026-03-24T12:00:00+01:00", "units": 1}
        ],
    }
    assert "Concierge" not in response.content.decode()  # nobody's name


def test_availability_of_a_pool_counts_units(api_as, member_a, concierge_a, manager_a, pool):
    book(concierge_a, pool, hour=10, hours=2)
    book(manager_a, pool, hour=11, hours=2, units=2)
    busy = avail(api_as(None), pool, iso(24, 0), iso(25, 0)).json()["busy"]
    assert [(b["start"][11:16], b["end"][11:16], b["units"]) for b in busy] == [
        ("10:00", "11:00", 1),
        ("11:00", "12:00", 3),
        ("12:00", "13:00", 2),
    ]


def test_availability_closures_and_dst(api_as, room, place_a):
    Closure.objects.create(place=place_a, start=at(30, 12), end=at(30, 14), reason="Travaux")
    data = avail(api_as(None), room, iso(27, 0), iso(31, 0)).json()
    # Friday 27 (+01:00), Monday 30 after the change to summer time (+02:00), closure cut out
    assert [(o["start"], o["end"]) for o in data["open"]] == [
        ("2026-03-27T09:00:00+01:00", "2026-03-27T18:00:00+01:00"),
        ("2026-03-30T09:00:00+02:00", "2026-03-30T12:00:00+02:00"),
        ("2026-03-30T14:00:00+02:00", "2026-03-30T18:00:00+02:00"),
    ]


def test_availability_default_window_is_a_week_from_today(api_as, room):
    data = avail(api_as(None), room).json()
    assert data["start"] == "2026-03-23T00:00:00+01:00"
    assert data["end"] == "2026-03-30T00:00:00+02:00"
    assert len(data["open"]) == 5


def test_availability_takes_a_plus_sent_as_a_space(client, room):
    # "+01:00" not encoded in a query string arrives as " 01:00"
    url = f"/api/v1/resources/{room.pk}/availability?start=2026-03-24T00:00:00+01:00&end=2026-03-25T00:00:00Z"
    data = client.get(url).json()
    assert data["start"] == "2026-03-24T00:00:00+01:00"
    assert data["end"] == "2026-03-25T01:00:00+01:00"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-03-24T00:00:00", "2026-03-25T00:00:00+01:00", "start"),  # naive
        ("2026-03-24T00:00:00+01:00", "2026-03-25", "end"),  # a date, no time nor offset
        ("9999-12-31T00:00:00+01:00", "9999-12-31T12:00:00+01:00", "start"),
        ("2026-03-24T00:00:00+01:00", "not a date", "end"),
        ("2026-03-25T00:00:00+01:00", "2026-03-24T00:00:00+01:00", "end"),  # end before start
        ("2026-03-24T00:00:00+01:00", "2026-03-24T00:00:00+01:00", "end"),  # empty window
        ("2026-03-01T00:00:00+01:00", "2026-05-03T00:00:00+02:00", "end"),  # over 62 days
    ],
)
def test_availability_bad_windows_are_422(api_as, room, start, end, field):
    response = avail(api_as(None), room, start, end)
    assert field in error_fields(response)


def test_availability_window_of_62_days_is_fine(api_as, room):
    assert avail(api_as(None), room, iso(1, 0), iso(2, 0, month=5)).status_code == 200


def test_availability_of_the_whole_place_for_a_day(
    api_as, member_a, concierge_a, desk, room, pool, django_assert_max_num_queries
):
    book(concierge_a, pool, hour=10, hours=2, units=3)
    book(concierge_a, desk, hour=14, hours=1)
    api = api_as(member_a)
    # the caller (token: read, touched), the place, the membership, the resources, their
    # bookings, the closures: the same whatever the number of resources
    with django_assert_max_num_queries(7):
        response = api.get(
            "/api/v1/places/le-quai/availability", {"start": iso(24, 0), "end": iso(25, 0)}
        )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["place"], data["start"], data["end"]) == (
        "le-quai", "2026-03-24T00:00:00+01:00", "2026-03-25T00:00:00+01:00",
    )  # fmt: skip
    by_name = {r["name"]: r for r in data["resources"]}
    assert sorted(by_name) == ["Desk 1", "Open space", "Salle Jardin"]
    assert by_name["Open space"]["busy"] == [
        {"start": "2026-03-24T10:00:00+01:00", "end": "2026-03-24T12:00:00+01:00", "units": 3}
    ]
    assert by_name["Desk 1"]["busy"][0]["start"] == "2026-03-24T14:00:00+01:00"
    assert by_name["Salle Jardin"]["busy"] == []
    assert by_name["Salle Jardin"]["open"] == [
        {"start": "2026-03-24T09:00:00+01:00", "end": "2026-03-24T18:00:00+01:00"}
    ]


def test_availability_of_the_place_hides_members_only_resources(api_as, desk, room):
    data = api_as(None).get("/api/v1/places/le-quai/availability").json()
    assert [r["name"] for r in data["resources"]] == ["Salle Jardin"]
    assert data["start"] == "2026-03-23T00:00:00+01:00"  # today, one day by default
    assert data["end"] == "2026-03-24T00:00:00+01:00"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"start": "2026-03-24T00:00:00", "end": "2026-03-25T00:00:00+01:00"}, 422),
        ({"start": "2026-03-01T00:00:00+01:00", "end": "2026-03-09T00:00:00+01:00"}, 422),
    ],
)
def test_availability_of_the_place_bad_windows(api_as, room, params, status):
    assert api_as(None).get("/api/v1/places/le-quai/availability", params).status_code == status
    assert api_as(None).get("/api/v1/places/nowhere/availability").status_code == 404


def test_head_on_availability(client, room):
    url = f"/api/v1/resources/{room.pk}/availability"
    head = client.head(url)
    assert head.status_code == 200
    assert head["Content-Type"] == client.get(url)["Content-Type"]
    assert head.content == b""


# --- booking -------------------------------------------------------------------------------


def test_a_member_books_a_desk(api_as, member_a, desk):
    response = api_as(member_a).post(BOOKINGS, body(desk, iso(24, 14), iso(24, 18), note="Calme"))
    assert response.status_code == 201, response.content
    data = response.json()
    booking = Booking.objects.get()
    assert data["id"] == booking.pk
    assert response["Location"].endswith(f"/api/v1/bookings/{booking.pk}")
    assert (booking.user, booking.resource, booking.note) == (member_a, desk, "Calme")
    assert booking.start == at(24, 14) and booking.end == at(24, 18)
    assert data["start"] == "2026-03-24T14:00:00+01:00"
    assert data["end"] == "2026-03-24T18:00:00+01:00"
    assert data["status"] == "confirmed" and data["kind"] == "booking"
    assert data["resource"] == {
        "id": desk.pk,
        "slug": "desk-1",
        "name": "Desk 1",
        "place": "le-quai",
    }
    assert data["user"]["id"] == member_a.pk and data["booked_by"] is None
    assert data["note"] == "Calme" and data["attendance"] == ""


def test_the_session_books_with_its_csrf_token(session_api, member_a, desk):
    assert (
        session_api(member_a).post(BOOKINGS, body(desk, iso(24, 9), iso(24, 10))).status_code == 201
    )
    response = session_api(member_a, csrf=False).post(BOOKINGS, body(desk, iso(25, 9), iso(25, 10)))
    assert_problem(response, 403, "csrf")
    assert Booking.objects.count() == 1


def test_a_visitor_cannot_book(api_as, room):
    assert_problem(api_as(None).post(BOOKINGS, body(room, iso(24, 9), iso(24, 10))), 401)
    assert not Booking.objects.exists()


def test_a_booking_needing_approval_is_pending(api_as, member_a, desk):
    desk.requires_approval = True
    desk.save(update_fields=["requires_approval"])
    data = api_as(member_a).post(BOOKINGS, body(desk, iso(24, 9), iso(24, 10))).json()
    assert data["status"] == "pending"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-03-24T10:00:00", "2026-03-24T11:00:00", "start,end"),  # naive
        ("2026-03-24T10:00:00+01:00", "2026-03-24T11:00:00", "end"),  # naive end
        ("9999-12-31T23:00:00-01:00", "9999-12-31T23:30:00-01:00", "start,end"),  # overflows
        ("9999-03-24T10:00:00+01:00", "9999-03-24T11:00:00+01:00", "start,end"),
        ("0001-01-01T00:00:00+01:00", "2026-03-24T11:00:00+01:00", "start"),
        ("2026-03-24T11:00:00+01:00", "2026-03-24T10:00:00+01:00", "end"),  # end before start
        ("2026-03-24T10:00:00+01:00", "2026-03-24T10:00:00+01:00", "end"),  # zero length
        ("2026-02-30T10:00:00+01:00", "2026-03-24T11:00:00+01:00", "start"),  # no such day
    ],
)
def test_bad_times_are_422_naming_the_field_and_nothing_is_written(
    api_as, member_a, desk, start, end, field
):
    response = api_as(member_a).post(BOOKINGS, body(desk, start, end))
    errors = assert_problem(response, 422, "validation")["errors"]
    assert [e["field"] for e in errors] == field.split(",")
    assert errors[0]["message"]
    assert not Booking.objects.exists() and not BookingLog.objects.exists()


def test_a_naive_datetime_says_why(api_as, member_a, desk):
    response = api_as(member_a).post(
        BOOKINGS, body(desk, "2026-03-24T10:00:00", "2026-03-24T11:00:00+01:00")
    )
    (error,) = assert_problem(response, 422)["errors"]
    assert error["field"] == "start" and error["code"] == "timezone_aware"
    assert "offset" in error["message"].lower() or "décalage" in error["message"].lower()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resource": None}, "resource"),  # left out
        ({"resource": str}, "resource"),  # "12" is not 12
        ({"start": 1774342800}, "start"),  # a number is not a date and time
        ({"units": "1"}, "units"),
        ({"units": 0}, "units"),
        ({"note": "x" * 501}, "note"),
        ({"user": "me"}, "user"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_strict_bodies(api_as, member_a, desk, changes, field):
    payload = body(desk, iso(24, 10), iso(24, 11))
    for name, value in changes.items():
        if value is None:
            del payload[name]
        else:
            payload[name] = str(payload[name]) if value is str else value
    assert field in error_fields(api_as(member_a).post(BOOKINGS, payload))
    assert not Booking.objects.exists()


def test_not_json(api_as, member_a, desk):
    assert_problem(api_as(member_a).post(BOOKINGS, raw=b"{nope"), 422, "validation")


@pytest.mark.parametrize("who", ["manager_b", "visitor_token"])
def test_a_hidden_resource_cannot_be_booked(api_as, make_user, manager_b, desk, who):
    user = manager_b if who == "manager_b" else make_user("Stranger")
    response = api_as(user).post(BOOKINGS, body(desk, iso(24, 10), iso(24, 11)))
    assert error_fields(response) == {"resource"}
    unknown = api_as(user).post(
        BOOKINGS, {**body(desk, iso(24, 10), iso(24, 11)), "resource": 99999}
    )
    # the same answer as for a resource that does not exist: nothing leaks
    assert json.loads(unknown.content)["errors"] == json.loads(response.content)["errors"]
    assert not Booking.objects.exists()


# --- 409: every rule names itself -------------------------------------------------------------


def _set(resource: Resource, **fields) -> None:
    for name, value in fields.items():
        setattr(resource, name, value)
    resource.save(update_fields=list(fields))


@pytest.mark.parametrize(
    ("code", "fields", "start", "end"),
    [
        ("outside_hours", {}, (23, 19), (23, 20)),
        ("too_long", {"max_duration_minutes": 60}, (24, 10), (24, 12)),
        ("too_short", {"min_duration_minutes": 60}, (24, 10), (24, 10, 30)),
        ("misaligned", {}, (24, 10, 10), (24, 11, 10)),
        ("too_soon", {"min_notice_minutes": 120}, (23, 9), (23, 10)),
        ("too_far", {}, (1, 10, 0, 7), (1, 11, 0, 7)),
        ("not_allowed", {"allowed_statuses": ["resident"]}, (24, 10), (24, 11)),
    ],
)
def test_rules_refuse_with_their_code(api_as, member_a, desk, code, fields, start, end):
    _set(desk, **fields)
    response = api_as(member_a).post(BOOKINGS, body(desk, iso(*start), iso(*end)))
    problem = refused(response, code)
    assert problem["type"] == f"https://tiers.invalid/problems/{code}"
    assert problem["detail"] and problem["detail"] != problem["title"]
    assert not Booking.objects.exists() and not BookingLog.objects.exists()


def test_taken(api_as, member_a, concierge_a, desk):
    book(concierge_a, desk, hour=10)
    refused(api_as(member_a).post(BOOKINGS, body(desk, iso(24, 10), iso(24, 11))), "taken")
    assert Booking.objects.count() == 1


def test_closed(api_as, member_a, desk, place_a):
    Closure.objects.create(place=place_a, start=at(24, 0), end=at(25, 0), reason="Jour férié")
    refused(api_as(member_a).post(BOOKINGS, body(desk, iso(24, 10), iso(24, 11))), "closed")


def test_not_qualified(api_as, member_a, desk, place_a):
    _set(desk, required_qualification=Qualification.objects.create(place=place_a, name="Laser"))
    problem = refused(
        api_as(member_a).post(BOOKINGS, body(desk, iso(24, 10), iso(24, 11))), "not_qualified"
    )
    assert "Laser" in problem["detail"]


def test_limit_reached(api_as, member_a, desk):
    _set(desk, max_simultaneous=1)
    api = api_as(member_a)
    assert api.post(BOOKINGS, body(desk, iso(24, 10), iso(24, 11))).status_code == 201
    refused(api.post(BOOKINGS, body(desk, iso(25, 10), iso(25, 11))), "limit_reached")
    assert Booking.objects.count() == 1


def test_no_credit(api_as, member_a, desk, place_a):
    _set(desk, credit_plan=CreditPlan.objects.create(place=place_a, name="Rooms"))
    refused(api_as(member_a).post(BOOKINGS, body(desk, iso(24, 10), iso(24, 11))), "no_credit")
    assert not Booking.objects.exists()


def test_units_beyond_the_capacity(api_as, member_a, pool):
    response = api_as(member_a).post(BOOKINGS, body(pool, iso(24, 10), iso(24, 11), units=6))
    refused(response, "invalid_range")


def test_not_active(api_as, manager_a, desk):
    _set(desk, is_active=False)
    refused(api_as(manager_a).post(BOOKINGS, body(desk, iso(24, 10), iso(24, 11))), "not_active")


def test_a_room_for_the_members_statuses_refuses_a_member_of_b(api_as, manager_b, room):
    refused(api_as(manager_b).post(BOOKINGS, body(room, iso(24, 10), iso(24, 11))), "not_allowed")


# --- booking for someone -------------------------------------------------------------------------


def test_a_manager_books_for_a_member(api_as, manager_a, member_a, desk):
    response = api_as(manager_a).post(
        BOOKINGS, body(desk, iso(24, 10), iso(24, 11), user=member_a.pk)
    )
    assert response.status_code == 201, response.content
    booking = Booking.objects.get()
    assert booking.user == member_a and booking.booked_by == manager_a
    assert response.json()["booked_by"] == manager_a.pk


@pytest.mark.parametrize("who", ["member_a", "concierge_a", "manager_b"])
def test_others_cannot_book_for_someone(as_persona, make_user, room, who):
    other = make_user("Other")
    response = as_persona(who).post(BOOKINGS, body(room, iso(24, 10), iso(24, 11), user=other.pk))
    assert_problem(response, 403, "forbidden")
    assert not Booking.objects.exists()


def test_booking_for_an_unknown_person(api_as, manager_a, desk):
    response = api_as(manager_a).post(BOOKINGS, body(desk, iso(24, 10), iso(24, 11), user=99999))
    assert error_fields(response) == {"user"}


# --- reading bookings ----------------------------------------------------------------------


@pytest.fixture
def scene(member_a, concierge_a, manager_a, desk, room, place_b, make_resource, manager_b):
    """member_a: two bookings; concierge_a: one; a block; a booking at place B."""
    mine = [book(member_a, desk, day=24), book(member_a, room, day=25)]
    theirs = book(concierge_a, desk, day=26)
    block = services.block_create(
        resource=room, by=manager_a, start=at(27, 9), end=at(27, 12), reason="Ménage"
    )
    elsewhere = make_resource(place_b, "Bench", visibility=Resource.Visibility.PUBLIC,
                              allowed_statuses=["public"])  # fmt: skip
    b_booking = services.booking_create(
        resource=elsewhere, user=manager_b, start=at(24, 10), end=at(24, 11)
    )
    return {"mine": mine, "theirs": theirs, "block": block, "b": b_booking}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [b["id"] for b in response.json()["results"]]


def test_my_bookings(api_as, member_a, scene):
    assert ids(api_as(member_a).get(BOOKINGS)) == [b.pk for b in scene["mine"]]


def test_my_bookings_filters(api_as, member_a, scene, desk, room):
    api = api_as(member_a)
    first, second = scene["mine"]
    assert ids(api.get(BOOKINGS, {"resource": room.pk})) == [second.pk]
    assert ids(api.get(BOOKINGS, {"start": iso(25, 0)})) == [second.pk]
    assert ids(api.get(BOOKINGS, {"end": iso(25, 0)})) == [first.pk]
    services.booking_cancel(booking=first, by=member_a)
    assert ids(api.get(BOOKINGS, {"status": "cancelled"})) == [first.pk]
    assert ids(api.get(BOOKINGS, {"status": "confirmed"})) == [second.pk]
    assert error_fields(api.get(BOOKINGS, {"status": "lost"})) == {"status"}
    assert error_fields(api.get(BOOKINGS, {"start": "2026-03-24T10:00:00"})) == {"start"}
    assert error_fields(api.get(BOOKINGS, {"start": iso(25, 0), "end": iso(24, 0)})) == {"end"}


def test_a_places_bookings_for_its_managers(api_as, manager_a, admin, scene):
    expected = [*(b.pk for b in scene["mine"]), scene["theirs"].pk, scene["block"].pk]
    expected = list(
        Booking.objects.filter(pk__in=expected).order_by("start", "pk").values_list("pk", flat=True)
    )
    assert ids(api_as(manager_a).get(BOOKINGS, {"place": "le-quai"})) == expected
    assert ids(api_as(admin).get(BOOKINGS, {"place": "le-quai"})) == expected
    block = api_as(manager_a).get(f"{BOOKINGS}/{scene['block'].pk}").json()
    assert block["kind"] == "block" and block["note"] == "Ménage"


@pytest.mark.parametrize("who", ["member_a", "concierge_a", "manager_b"])
def test_a_places_bookings_are_refused_to_others(as_persona, scene, who):
    assert_problem(as_persona(who).get(BOOKINGS, {"place": "le-quai"}), 403, "forbidden")


def test_bookings_of_an_unknown_place(api_as, manager_a):
    assert_problem(api_as(manager_a).get(BOOKINGS, {"place": "nowhere"}), 404)


def test_bookings_need_authentication(api_as, scene):
    assert_problem(api_as(None).get(BOOKINGS), 401, "unauthenticated")
    assert_problem(api_as(None).get(f"{BOOKINGS}/{scene['theirs'].pk}"), 401)


def test_bookings_are_paginated(api_as, member_a, room):
    for day in (24, 25, 26, 27):
        book(member_a, room, day=day)
    page = api_as(member_a).get(BOOKINGS, {"limit": 3}).json()
    assert page["count"] == 4 and len(page["results"]) == 3 and page["previous"] is None
    assert "offset=3" in page["next"]
    last = api_as(member_a).get(BOOKINGS, {"limit": 3, "page": 2}).json()
    assert len(last["results"]) == 1 and last["next"] is None


def test_bookings_list_query_count_does_not_grow(
    api_as, manager_a, member_a, concierge_a, make_user, place_a, room, pool,
    django_assert_max_num_queries,
):  # fmt: skip
    mine, place = api_as(member_a), api_as(manager_a)
    book(member_a, room, day=24)
    with CaptureQueriesContext(connection) as few_mine:
        mine.get(BOOKINGS)
    with CaptureQueriesContext(connection) as few_place:
        place.get(BOOKINGS, {"place": "le-quai"})
    for n in range(12):
        person = make_user(f"P{n}")
        Membership.objects.create(user=person, place=place_a, state="active", status="user")
        day, hour = 24 + n % 3, 9 + n // 3
        services.booking_create(
            resource=pool, user=person, start=at(day, hour), end=at(day, hour + 1)
        )
        book(member_a, room, day=25 + n % 3, hour=9 + n // 3)
    with django_assert_max_num_queries(len(few_mine.captured_queries)):
        assert len(mine.get(BOOKINGS).json()["results"]) == 13
    with django_assert_max_num_queries(len(few_place.captured_queries)):
        assert len(place.get(BOOKINGS, {"place": "le-quai"}).json()["results"]) == 25
    assert len(few_place.captured_queries) <= 8


@pytest.mark.parametrize(
    ("who", "sees"),
    [("member_a", True), ("concierge_a", False), ("manager_a", True), ("manager_b", False),
     ("admin", True)],
)  # fmt: skip
def test_one_booking_by_persona(as_persona, scene, who, sees):
    booking = scene["mine"][0]
    response = as_persona(who).get(f"{BOOKINGS}/{booking.pk}")
    if sees:
        assert response.status_code == 200 and response.json()["id"] == booking.pk
    else:
        assert_problem(response, 404, "not-found")


# --- cancelling ------------------------------------------------------------------------------


def test_a_member_cancels_their_booking(api_as, member_a, desk):
    booking = book(member_a, desk, day=24)
    response = api_as(member_a).delete(f"{BOOKINGS}/{booking.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    # twice: the rule says it is no longer active
    refused(api_as(member_a).delete(f"{BOOKINGS}/{booking.pk}"), "not_active")


@pytest.mark.parametrize("who", ["concierge_a", "manager_b", "visitor"])
def test_others_cannot_cancel(as_persona, member_a, desk, who):
    booking = book(member_a, desk, day=24)
    response = as_persona(who).delete(f"{BOOKINGS}/{booking.pk}")
    assert_problem(response, 401 if who == "visitor" else 404)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert not booking.log.filter(action=BookingLog.Action.CANCELLED).exists()


def test_too_late_for_the_member_not_for_the_manager(api_as, member_a, manager_a, desk):
    booking = book(member_a, desk, day=23, hour=9)  # in one hour; the deadline is 2 hours
    refused(api_as(member_a).delete(f"{BOOKINGS}/{booking.pk}"), "too_late")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert api_as(manager_a).delete(f"{BOOKINGS}/{booking.pk}").json()["status"] == "cancelled"


def test_unknown_booking(api_as, member_a):
    assert_problem(api_as(member_a).delete(f"{BOOKINGS}/424242"), 404)
    assert_problem(api_as(member_a).get(f"{BOOKINGS}/424242"), 404)


# --- approve, decline --------------------------------------------------------------------------


@pytest.fixture
def pending(member_a, desk) -> Booking:
    _set(desk, requires_approval=True)
    booking = book(member_a, desk, day=24)
    assert booking.status == Booking.Status.PENDING
    return booking


def test_a_manager_approves(api_as, manager_a, pending):
    response = api_as(manager_a).post(f"{BOOKINGS}/{pending.pk}/approve")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    pending.refresh_from_db()
    assert pending.status == Booking.Status.CONFIRMED
    refused(api_as(manager_a).post(f"{BOOKINGS}/{pending.pk}/approve"), "not_active")


def test_a_manager_declines_with_a_reason(api_as, manager_a, admin, pending):
    response = api_as(manager_a).post(f"{BOOKINGS}/{pending.pk}/decline", {"reason": "Complet"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "declined"
    assert response.json()["decision_reason"] == "Complet"
    pending.refresh_from_db()
    assert (pending.status, pending.decision_reason) == ("declined", "Complet")
    refused(api_as(admin).post(f"{BOOKINGS}/{pending.pk}/decline", {}), "not_active")


@pytest.mark.parametrize(
    ("who", "status"),
    [("member_a", 403), ("concierge_a", 404), ("manager_b", 404), ("visitor", 401)],
)
@pytest.mark.parametrize("action", ["approve", "decline"])
def test_only_managers_decide(as_persona, pending, who, status, action):
    response = as_persona(who).post(f"{BOOKINGS}/{pending.pk}/{action}", {})
    assert_problem(response, status)
    pending.refresh_from_db()
    assert pending.status == Booking.Status.PENDING


def test_decline_reason_is_checked(api_as, manager_a, pending):
    response = api_as(manager_a).post(f"{BOOKINGS}/{pending.pk}/decline", {"reason": 3})
    assert error_fields(response) == {"reason"}


# --- attendance ------------------------------------------------------------------------------


@pytest.fixture
def started(member_a, desk, monkeypatch) -> Booking:
    """A confirmed booking from 09:00; the clock then moves to 09:30."""
    booking = book(member_a, desk, day=23, hour=9)
    monkeypatch.setattr(services, "now", lambda: at(23, 9, 30))
    return booking


@pytest.mark.parametrize("who", ["concierge_a", "manager_a", "admin"])
def test_staff_mark_who_came(as_persona, started, who):
    api = as_persona(who)
    response = api.post(f"{BOOKINGS}/{started.pk}/attendance", {"attendance": "present"})
    assert response.status_code == 200, response.content
    assert response.json()["attendance"] == "present"
    started.refresh_from_db()
    assert started.attendance == "present" and started.checked_in_at == at(23, 9, 30)
    api.post(f"{BOOKINGS}/{started.pk}/attendance", {"attendance": ""})
    started.refresh_from_db()
    assert started.attendance == ""


@pytest.mark.parametrize(("who", "status"), [("member_a", 403), ("manager_b", 404)])
def test_others_do_not_mark_attendance(as_persona, started, who, status):
    response = as_persona(who).post(
        f"{BOOKINGS}/{started.pk}/attendance", {"attendance": "present"}
    )
    assert_problem(response, status)
    started.refresh_from_db()
    assert started.attendance == ""


def test_attendance_before_the_start_is_too_soon(api_as, manager_a, member_a, desk):
    booking = book(member_a, desk, day=24)
    refused(
        api_as(manager_a).post(f"{BOOKINGS}/{booking.pk}/attendance", {"attendance": "no_show"}),
        "too_soon",
    )


def test_attendance_values_are_checked(api_as, manager_a, started):
    response = api_as(manager_a).post(f"{BOOKINGS}/{started.pk}/attendance", {"attendance": "x"})
    assert error_fields(response) == {"attendance"}


# --- blocks ----------------------------------------------------------------------------------


def block_url(resource: Resource) -> str:
    return f"/api/v1/resources/{resource.pk}/blocks"


def test_a_manager_blocks_a_range(api_as, manager_a, room, member_a):
    response = api_as(manager_a).post(
        block_url(room), {"start": iso(24, 9), "end": iso(24, 12), "reason": "Maintenance"}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "block" and data["note"] == "Maintenance"
    block = Booking.objects.get()
    assert block.kind == Booking.Kind.BLOCK and block.units == room.capacity
    # the range is taken for everybody
    refused(api_as(member_a).post(BOOKINGS, body(room, iso(24, 10), iso(24, 11))), "taken")


def test_a_block_over_bookings_is_taken(api_as, manager_a, member_a, room):
    book(member_a, room, day=24, hour=10)
    problem = refused(
        api_as(manager_a).post(block_url(room), {"start": iso(24, 9), "end": iso(24, 12)}),
        "taken",
    )
    assert "1" in problem["detail"]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "status_desk", "status_room"),
    [("member_a", 403, 403), ("concierge_a", 403, 403), ("manager_b", 404, 403),
     ("visitor", 401, 401)],
)  # fmt: skip
def test_others_cannot_block(as_persona, desk, room, who, status_desk, status_room):
    api = as_persona(who)
    payload = {"start": iso(24, 9), "end": iso(24, 12)}
    assert_problem(api.post(block_url(desk), payload), status_desk)
    assert_problem(api.post(block_url(room), payload), status_room)
    assert not Booking.objects.exists()


def test_block_times_are_checked(api_as, manager_a, room):
    api = api_as(manager_a)
    assert error_fields(api.post(block_url(room), {"start": iso(24, 12), "end": iso(24, 9)})) == {
        "end"
    }
    assert error_fields(
        api.post(block_url(room), {"start": "2026-03-24T09:00", "end": iso(24, 12)})
    ) == {"start"}


# --- series ----------------------------------------------------------------------------------


SERIES = "/api/v1/booking-series"


def test_a_weekly_series(api_as, member_a, room):
    response = api_as(member_a).post(
        SERIES, {"resource": room.pk, "start": iso(24, 10), "end": iso(24, 11), "count": 3}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["series"] is not None and data["skipped"] == []
    # 10:00 on the place's clock every week, across the change to summer time
    assert [b["start"] for b in data["booked"]] == [
        "2026-03-24T10:00:00+01:00",
        "2026-03-31T10:00:00+02:00",
        "2026-04-07T10:00:00+02:00",
    ]
    assert Booking.objects.filter(series_id=data["series"]).count() == 3


def test_a_series_skips_the_conflicts(api_as, member_a, concierge_a, room):
    taken = services.booking_create(
        resource=room, user=concierge_a, start=at(31, 10), end=at(31, 11)
    )
    data = (
        api_as(member_a)
        .post(SERIES, {"resource": room.pk, "start": iso(24, 10), "end": iso(24, 11), "count": 3})
        .json()
    )
    assert len(data["booked"]) == 2
    assert data["skipped"] == [
        {
            "start": "2026-03-31T10:00:00+02:00",
            "end": "2026-03-31T11:00:00+02:00",
            "code": "taken",
            "detail": data["skipped"][0]["detail"],
        }
    ]
    assert taken.pk not in [b["id"] for b in data["booked"]]


def test_a_series_without_skipping_refuses_the_whole(api_as, member_a, concierge_a, room):
    services.booking_create(resource=room, user=concierge_a, start=at(31, 10), end=at(31, 11))
    response = api_as(member_a).post(
        SERIES,
        {"resource": room.pk, "start": iso(24, 10), "end": iso(24, 11), "count": 3,
         "skip_conflicts": False},
    )  # fmt: skip
    problem = refused(response, "series_conflict")
    assert [(c["start"], c["code"]) for c in problem["conflicts"]] == [
        ("2026-03-31T10:00:00+02:00", "taken")
    ]
    assert Booking.objects.filter(user=member_a).count() == 0


def test_a_series_of_nothing_is_a_conflict(api_as, member_a, room):
    response = api_as(member_a).post(
        SERIES, {"resource": room.pk, "start": iso(23, 19), "end": iso(23, 20), "count": 2}
    )
    problem = refused(response, "series_conflict")
    assert {c["code"] for c in problem["conflicts"]} == {"outside_hours"}
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "extra", [{"count": 0}, {"count": 53}, {"interval_weeks": 5}, {"start": "2026-03-24T10:00"}]
)
def test_series_input_is_checked(api_as, member_a, room, extra):
    payload = {"resource": room.pk, "start": iso(24, 10), "end": iso(24, 11), "count": 2, **extra}
    assert error_fields(api_as(member_a).post(SERIES, payload)) == {next(iter(extra))}
    assert not Booking.objects.exists()


def test_cancel_the_rest_of_a_series(api_as, member_a, room):
    data = (
        api_as(member_a)
        .post(SERIES, {"resource": room.pk, "start": iso(24, 10), "end": iso(24, 11), "count": 3})
        .json()
    )
    first, second, third = (b["id"] for b in data["booked"])
    response = api_as(member_a).delete(f"{BOOKINGS}/{second}?following=true")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {first: "confirmed", second: "cancelled", third: "cancelled"}


def test_a_manager_books_a_series_for_a_member(api_as, manager_a, member_a, room):
    data = api_as(manager_a).post(
        SERIES,
        {"resource": room.pk, "start": iso(24, 10), "end": iso(24, 11), "count": 2,
         "user": member_a.pk},
    ).json()  # fmt: skip
    assert {b["user"]["id"] for b in data["booked"]} == {member_a.pk}


def test_a_member_cannot_book_a_series_for_someone(api_as, member_a, concierge_a, room):
    response = api_as(member_a).post(
        SERIES,
        {"resource": room.pk, "start": iso(24, 10), "end": iso(24, 11), "count": 2,
         "user": concierge_a.pk},
    )  # fmt: skip
    assert_problem(response, 403)
    assert not Booking.objects.exists()


# --- the OpenAPI document ----------------------------------------------------------------------


def test_openapi_documents_the_bookings_endpoints(client):
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    expected = {
        ("/api/v1/places/{slug}/resources", "get"),
        ("/api/v1/resources/{resource_id}", "get"),
        ("/api/v1/resources/{resource_id}/availability", "get"),
        ("/api/v1/resources/{resource_id}/blocks", "post"),
        ("/api/v1/bookings", "get"),
        ("/api/v1/bookings", "post"),
        ("/api/v1/bookings/{booking_id}", "get"),
        ("/api/v1/bookings/{booking_id}", "delete"),
        ("/api/v1/bookings/{booking_id}/approve", "post"),
        ("/api/v1/bookings/{booking_id}/decline", "post"),
        ("/api/v1/bookings/{booking_id}/attendance", "post"),
        ("/api/v1/booking-series", "post"),
    }
    for path, method in expected:
        operation = paths[path][method]
        assert operation["summary"] and operation["responses"], (path, method)
        assert "404" in operation["responses"] or path == "/api/v1/bookings", (path, method)
        if method != "get":
            assert {"401", "403", "409", "422"} <= set(operation["responses"]), (path, method)
            assert operation["security"]
    conflict = paths["/api/v1/bookings"]["post"]["responses"]["409"]["content"]
    schema = conflict["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"code", "conflicts"} <= set(document["components"]["schemas"][schema]["properties"])


# --- whatever the times, never a server error ----------------------------------------------------

_zones = st.sampled_from(
    [None, dt.UTC, PARIS, dt.timezone(dt.timedelta(hours=23, minutes=59)),
     dt.timezone(dt.timedelta(hours=-23, minutes=-59)), ZoneInfo("Pacific/Kiritimati")]
)  # fmt: skip
_when = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                 timezones=_zones).map(dt.datetime.isoformat),
    st.datetimes(min_value=dt.datetime(2026, 3, 20), max_value=dt.datetime(2026, 7, 1),
                 timezones=_zones).map(dt.datetime.isoformat),
    st.text(max_size=40),
)  # fmt: skip


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=_when, end=_when, units=st.integers(-3, 2000), count=st.integers(0, 60))
def test_no_times_make_a_server_error(api_as, manager_a, member_a, desk, pool, start, end, units,
                                      count):  # fmt: skip
    api = api_as(manager_a)
    for response in (
        api.post(BOOKINGS, body(pool, start, end, units=units)),
        api.post(BOOKINGS, body(desk, start, end, user=member_a.pk)),
        api.get(f"/api/v1/resources/{pool.pk}/availability", {"start": start, "end": end}),
        api.get(BOOKINGS, {"place": "le-quai", "start": start, "end": end}),
        api.post(block_url(desk), {"start": start, "end": end}),
        api.post(SERIES, {"resource": desk.pk, "start": start, "end": end, "count": count}),
    ):
        assert response.status_code < 500, response.content
        assert response.status_code in (200, 201, 409, 422), response.content
