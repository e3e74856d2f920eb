"""The events services directly: who may organise, the rules every event keeps, the rooms
held in the bookings, series dates, and the programme's sessions."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.events.conftest import at
from tiers.bookings.models import Booking, Resource
from tiers.events import services
from tiers.events.errors import EventError
from tiers.events.models import Event, EventSeries, Session, Tag

pytestmark = pytest.mark.django_db


def new(place, **fields) -> Event:
    fields.setdefault("title", "Atelier")
    fields.setdefault("start", at(24, 10))
    fields.setdefault("end", at(24, 12))
    fields.setdefault("status", Event.Status.PUBLISHED)
    return Event(place=place, **fields)


def test_only_the_places_managers_organise_there(place_a, manager_a, manager_b, member_a, admin):
    for person in (manager_b, member_a):
        with pytest.raises(EventError) as error:
            services.event_create(event=new(place_a), by=person)
        assert error.value.code == "not_allowed"
    assert services.event_create(event=new(place_a), by=manager_a).pk
    assert services.event_create(event=new(place_a), by=admin).pk


def test_a_network_event_is_organised_by_its_coordinators(network, coordinator, manager_a):
    with pytest.raises(EventError):
        services.event_create(event=Event(network=network, title="R", start=at(24, 10),
                                          end=at(24, 12)), by=manager_a)  # fmt: skip
    event = services.event_create(
        event=Event(network=network, title="R", start=at(24, 10), end=at(24, 12)), by=coordinator
    )
    assert event.network == network


@pytest.mark.parametrize(
    "fields, code",
    [
        ({"end": at(24, 9)}, "invalid_range"),
        ({"end": at(24, 10)}, "invalid_range"),
        ({"end": at(24, 10) + dt.timedelta(days=40)}, "invalid_range"),
        ({"start": dt.datetime(2026, 3, 24, 10)}, "invalid_range"),  # naive
        ({"capacity": 0}, "invalid_capacity"),
        ({"capacity": -1}, "invalid_capacity"),
        ({"title": "   "}, "invalid"),
        ({"price_mode": "payant"}, "invalid"),
        ({"questions": [{"label": ""}]}, "invalid"),
        ({"questions": "not a list"}, "invalid"),
        ({"registration_closes_at": at(25, 10)}, "invalid_range"),
    ],
)
def test_event_rules(place_a, manager_a, fields, code):
    with pytest.raises(EventError) as error:
        services.event_create(event=new(place_a, **fields), by=manager_a)
    assert error.value.code == code
    assert not Event.objects.exists()


def test_the_slug_is_unique_and_readable(place_a, manager_a):
    first = services.event_create(event=new(place_a, title="Repair café"), by=manager_a)
    second = services.event_create(event=new(place_a, title="Repair café"), by=manager_a)
    assert first.slug == "repair-cafe-2026-03-24"
    assert second.slug == "repair-cafe-2026-03-24-2"


def test_the_time_zone_is_the_places(make_place, manager_a, admin):
    place = make_place("Fare", time_zone="Pacific/Tahiti")
    event = services.event_create(event=new(place, time_zone="Europe/Paris"), by=admin)
    assert event.time_zone == "Pacific/Tahiti"


def test_tags_are_created_once(place_a, manager_a):
    services.event_create(event=new(place_a), by=manager_a, tags=["Vélo", "  vélo ", "Jardin"])
    services.event_create(event=new(place_a), by=manager_a, tags=["Vélo"])
    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["jardin", "velo"]


def test_the_room_is_held_moved_and_released(place_a, manager_a, room):
    event = services.event_create(event=new(place_a, room=room), by=manager_a)
    hold = Booking.objects.get(pk=event.room_hold_id)
    assert hold.is_active and (hold.start, hold.end) == (at(24, 10), at(24, 12))
    event.start, event.end = at(24, 14), at(24, 16)
    services.event_update(event=event, by=manager_a)
    hold = Booking.objects.get(pk=event.room_hold_id)
    assert hold.is_active and hold.start == at(24, 14)
    assert Booking.objects.filter(resource=room, status__in=Booking.ACTIVE).count() == 1
    event.room = None
    services.event_update(event=event, by=manager_a)
    assert event.room_hold is None
    assert not Booking.objects.filter(resource=room, status__in=Booking.ACTIVE).exists()


def test_two_events_never_hold_the_same_room(place_a, manager_a, room):
    services.event_create(event=new(place_a, room=room), by=manager_a)
    with pytest.raises(EventError) as error:
        services.event_create(
            event=new(place_a, room=room, start=at(24, 11), end=at(24, 13)), by=manager_a
        )
    assert error.value.code == "room_taken"
    assert Event.objects.count() == 1


def test_a_room_of_another_place_is_refused(place_a, place_b, manager_a):
    other = Resource.objects.create(place=place_b, name="B", slug="b", kind="meeting_room")
    with pytest.raises(EventError) as error:
        services.event_create(event=new(place_a, room=other), by=manager_a)
    assert error.value.code == "invalid_room"


def test_publish_and_cancel(place_a, manager_a, manager_b):
    event = services.event_create(event=new(place_a, status="draft"), by=manager_a)
    with pytest.raises(EventError):
        services.event_publish(event=event, by=manager_b)
    services.event_publish(event=event, by=manager_a)
    with pytest.raises(EventError) as error:
        services.event_publish(event=event, by=manager_a)
    assert error.value.code == "not_draft"
    with pytest.raises(EventError):
        services.event_cancel(event=event, by=manager_a, reason="  ")
    with pytest.raises(EventError):
        services.event_cancel(event=event, by=manager_b, reason="x")
    services.event_cancel(event=event, by=manager_a, reason="Pluie")
    with pytest.raises(EventError) as error:
        services.event_cancel(event=event, by=manager_a, reason="Pluie")
    assert error.value.code == "cancelled"
    event.status = Event.Status.PUBLISHED
    with pytest.raises(EventError):
        services.event_update(event=event, by=manager_a)


def test_monthly_series_skips_a_missing_fifth_weekday(place_a, manager_a):
    # Tuesday 31 March 2026 is the 5th Tuesday of its month: April, May, July and August
    # 2026 have no 5th Tuesday.
    model = new(place_a, start=at(31, 10), end=at(31, 12))
    times = services.occurrence_times(model, EventSeries.Frequency.MONTHLY, 3)
    assert [start.astimezone(model.tz).date() for start, _end in times] == [
        dt.date(2026, 3, 31), dt.date(2026, 6, 30), dt.date(2026, 9, 29),
    ]  # fmt: skip


@pytest.mark.parametrize("count", [0, 1, 53])
def test_a_series_has_2_to_52_dates(place_a, manager_a, count):
    with pytest.raises(EventError):
        services.series_create(event=new(place_a), by=manager_a, frequency="weekly", count=count)


def test_moving_an_event_keeps_its_sessions_inside(place_a, manager_a):
    event = services.event_create(event=new(place_a), by=manager_a)
    services.session_save(
        session=Session(event=event, title="S", start=at(24, 10), end=at(24, 11)), by=manager_a
    )
    event.start, event.end = at(24, 11), at(24, 13)
    with pytest.raises(EventError) as error:
        services.event_update(event=event, by=manager_a)
    assert error.value.code == "session_outside"
    assert Event.objects.get(pk=event.pk).start == at(24, 10)


def test_sessions_rules(place_a, manager_a, manager_b, room):
    event = services.event_create(event=new(place_a, room=room), by=manager_a)
    for fields, code in [
        ({"start": at(24, 9), "end": at(24, 11)}, "session_outside"),
        ({"start": at(24, 11), "end": at(24, 13)}, "session_outside"),
        ({"start": at(24, 11), "end": at(24, 10)}, "invalid_range"),
        ({"capacity": 0}, "invalid_capacity"),
        ({"title": " "}, "invalid"),
    ]:
        values = {"title": "S", "start": at(24, 10), "end": at(24, 11), **fields}
        with pytest.raises(EventError) as error:
            services.session_save(session=Session(event=event, **values), by=manager_a)
        assert error.value.code == code
    with pytest.raises(EventError):
        services.session_save(
            session=Session(event=event, title="S", start=at(24, 10), end=at(24, 11)),
            by=manager_b,
        )
    # in the event's own room: no second hold
    session = services.session_save(
        session=Session(event=event, title="S", start=at(24, 10), end=at(24, 11), room=room),
        by=manager_a,
    )
    assert session.room_hold is None
    assert not Session.objects.exclude(pk=session.pk).exists()


def test_cancelling_releases_the_sessions_rooms(place_a, manager_a, room):
    other = Resource.objects.create(place=place_a, name="Bois", slug="bois", kind="machine")
    event = services.event_create(event=new(place_a, room=room), by=manager_a)
    session = services.session_save(
        session=Session(event=event, title="S", start=at(24, 10), end=at(24, 11), room=other),
        by=manager_a,
    )
    assert Booking.objects.get(pk=session.room_hold_id).is_active
    services.event_cancel(event=event, by=manager_a, reason="x")
    assert not Booking.objects.filter(status__in=Booking.ACTIVE).exists()
