"""iCalendar feeds (RFC 5545), parsed back with the `icalendar` library: a resource's busy
times (nobody's name), a person's private calendar (secret, revocable address), and the file
attached to the e-mails. The clock is Monday 23 March 2026, 08:00 in Paris."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from tests.bookings.conftest import NOW, at
from tiers.bookings import ical, services
from tiers.bookings.ical import booking_ics, uid_host
from tiers.bookings.models import Booking, BookingLog, Closure, Resource

UTC = dt.UTC
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def room(make_resource, place_a) -> Resource:
    return make_resource(
        place_a, "Salle Jardin", kind=Resource.Kind.MEETING_ROOM,
        visibility=Resource.Visibility.PUBLIC,
    )  # fmt: skip


def feed_url(resource: Resource) -> str:
    return reverse(
        "bookings:resource_ics", kwargs={"slug": resource.place.slug, "resource": resource.slug}
    )


def private_url(token: str) -> str:
    return reverse("bookings:private_ics", kwargs={"token": token})


def parse(response) -> Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//Tiers//")
    assert str(calendar["X-WR-CALNAME"])
    return calendar


def events(calendar: Calendar) -> list:
    return list(calendar.walk("VEVENT"))


def span(event) -> tuple[dt.datetime, dt.datetime]:
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.utcoffset() == dt.timedelta(0) and end.utcoffset() == dt.timedelta(0)  # UTC
    return start, end


def past_booking(resource: Resource, user, start: dt.datetime, end: dt.datetime, **fields):
    """A booking written directly (the services refuse the past), as history is."""
    return Booking.objects.create(
        resource=resource, user=user, start=start, end=end, exclusive=resource.is_exclusive,
        created_at=start - dt.timedelta(days=1), **fields,
    )  # fmt: skip


# --- a resource's busy times -----------------------------------------------------------------


def test_public_resource_feed_has_busy_times_without_names(
    client, room, member_a, concierge_a, manager_a
):
    services.booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 12))
    services.booking_create(resource=room, user=concierge_a, start=at(25, 14), end=at(25, 15))
    cancelled = services.booking_create(
        resource=room, user=concierge_a, start=at(26, 9), end=at(26, 10)
    )
    services.booking_cancel(booking=cancelled, by=concierge_a)
    services.block_create(
        resource=room, by=manager_a, start=at(27, 9), end=at(27, 12), reason="Secret reason"
    )
    response = client.get(feed_url(room), **EN)
    calendar = parse(response)
    found = sorted(span(e) for e in events(calendar))
    assert found == [
        (at(24, 10).astimezone(UTC), at(24, 12).astimezone(UTC)),
        (at(25, 14).astimezone(UTC), at(25, 15).astimezone(UTC)),
        (at(27, 9).astimezone(UTC), at(27, 12).astimezone(UTC)),
    ]
    assert {str(e["SUMMARY"]) for e in events(calendar)} == {"Booked"}
    text = response.content.decode()
    assert "DTSTART:20260324T090000Z" in text  # 10:00 in Paris, written in UTC
    for secret in ("Member A", "Concierge A", "Manager A", member_a.email, "Secret reason"):
        assert secret not in text
    assert all(str(e["UID"]) and e.get("DTSTAMP") for e in events(calendar))
    assert len({str(e["UID"]) for e in events(calendar)}) == 3
    assert "public" in response["Cache-Control"]


def test_feed_window_is_30_days_back_and_90_ahead(client, room, member_a):
    kept = [
        past_booking(room, member_a, at(2, 10), at(2, 11)),  # 21 days ago
        past_booking(room, member_a, at(10, 10, month=6), at(10, 11, month=6)),  # 79 days ahead
    ]
    past_booking(room, member_a, at(13, 10, month=2), at(13, 11, month=2))  # 38 days ago
    past_booking(room, member_a, at(3, 10, month=7), at(3, 11, month=7))  # 102 days ahead
    found = sorted(span(e)[0] for e in events(parse(client.get(feed_url(room)))))
    assert found == [b.start.astimezone(UTC) for b in kept]


def test_pool_feed_counts_the_seats(client, pool, member_a, concierge_a, manager_a):
    pool.visibility = Resource.Visibility.PUBLIC
    pool.save(update_fields=["visibility"])
    services.booking_create(resource=pool, user=member_a, start=at(24, 10), end=at(24, 12))
    services.booking_create(
        resource=pool, user=concierge_a, start=at(24, 11), end=at(24, 12), units=4
    )
    found = sorted(
        (span(e)[0], str(e["SUMMARY"])) for e in events(parse(client.get(feed_url(pool), **EN)))
    )
    assert found == [
        (at(24, 10).astimezone(UTC), "1 of 5 booked"),
        (at(24, 11).astimezone(UTC), "Booked"),  # all five seats
    ]


def test_closures_are_in_the_feed(client, room, place_a):
    Closure.objects.create(place=place_a, start=at(6, 0, month=4), end=at(7, 0, month=4),
                           reason="Lundi de Pâques")  # fmt: skip
    (event,) = events(parse(client.get(feed_url(room), **EN)))
    assert str(event["SUMMARY"]) == "Closed: Lundi de Pâques"
    assert span(event) == (at(6, 0, month=4).astimezone(UTC), at(7, 0, month=4).astimezone(UTC))


def test_daylight_saving_change_in_the_feed(client, room, member_a):
    # Monday 30 March: summer time, 10:00 in Paris is 08:00 UTC
    services.booking_create(resource=room, user=member_a, start=at(30, 10), end=at(30, 11))
    (event,) = events(parse(client.get(feed_url(room))))
    assert span(event) == (
        dt.datetime(2026, 3, 30, 8, tzinfo=UTC),
        dt.datetime(2026, 3, 30, 9, tzinfo=UTC),
    )


@pytest.mark.parametrize("who", [None, "manager_b"])
def test_members_only_resource_feed_is_404_for_others(request, client_for, desk, who):
    user = request.getfixturevalue(who) if who else None
    assert client_for(user).get(feed_url(desk)).status_code == 404


@pytest.mark.parametrize("who", ["member_a", "manager_a", "admin"])
def test_members_only_resource_feed_for_members(request, client_for, desk, who):
    response = client_for(request.getfixturevalue(who)).get(feed_url(desk))
    parse(response)
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_resource_feed_unknown_or_elsewhere_is_404(client, room, place_b):
    assert client.get("/lieux/le-quai/reservations/nothing/occupation.ics").status_code == 404
    url = reverse("bookings:resource_ics", kwargs={"slug": place_b.slug, "resource": room.slug})
    assert client.get(url).status_code == 404


def test_inactive_resource_feed_is_404_for_visitors(client, room):
    room.is_active = False
    room.save(update_fields=["is_active"])
    assert client.get(feed_url(room)).status_code == 404


def test_feeds_answer_head_and_refuse_post(client, room, member_a):
    token = services.calendar_feed_reset(user=member_a).token
    for url in (feed_url(room), private_url(token)):
        head = client.head(url)
        assert head.status_code == 200
        assert head["Content-Type"] == "text/calendar; charset=utf-8"
        assert head.content == b""
        assert client.post(url).status_code == 405


def test_feed_etag_gives_304(client, room, member_a):
    services.booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    first = client.get(feed_url(room))
    again = client.get(feed_url(room), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    services.booking_create(resource=room, user=member_a, start=at(25, 10), end=at(25, 11))
    changed = client.get(feed_url(room), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


# --- the private calendar --------------------------------------------------------------------


@pytest.fixture
def token(member_a) -> str:
    return services.calendar_feed_reset(user=member_a).token


def by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in events(calendar)}


def test_private_calendar(client, token, member_a, concierge_a, desk, room, place_a):
    place_a.address = "2 quai Surcouf"
    place_a.save(update_fields=["address"])
    confirmed = services.booking_create(
        resource=desk, user=member_a, start=at(24, 10), end=at(24, 12), note="Écriture"
    )
    other = services.booking_create(resource=room, user=concierge_a, start=at(24, 10),
                                    end=at(24, 11))  # fmt: skip
    response = client.get(private_url(token))
    calendar = parse(response)
    host = uid_host()
    found = by_uid(calendar)
    assert set(found) == {f"booking-{confirmed.pk}@{host}"}
    assert f"booking-{other.pk}@{host}" not in found
    event = found[f"booking-{confirmed.pk}@{host}"]
    assert span(event) == (at(24, 10).astimezone(UTC), at(24, 12).astimezone(UTC))
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Desk 1" in str(event["SUMMARY"]) and "Le Quai" in str(event["SUMMARY"])
    assert str(event["LOCATION"]) == "Le Quai, 2 quai Surcouf, 35600 Redon"
    assert "Écriture" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTAMP").utcoffset() == dt.timedelta(0)
    assert int(event["SEQUENCE"]) == 0
    assert "private" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_private_calendar_shows_changes(client, token, member_a, manager_a, desk):
    desk.requires_approval = True
    desk.save(update_fields=["requires_approval"])
    pending = services.booking_create(resource=desk, user=member_a, start=at(24, 10),
                                      end=at(24, 11))  # fmt: skip
    approved = services.booking_create(resource=desk, user=member_a, start=at(25, 10),
                                       end=at(25, 11))  # fmt: skip
    cancelled = services.booking_create(resource=desk, user=member_a, start=at(26, 10),
                                        end=at(26, 11))  # fmt: skip
    services.booking_approve(booking=approved, by=manager_a)
    services.booking_approve(booking=cancelled, by=manager_a)
    services.booking_cancel(booking=cancelled, by=member_a)
    found = by_uid(parse(client.get(private_url(token))))
    host = uid_host()

    def event(booking):
        return found[f"booking-{booking.pk}@{host}"]

    assert str(event(pending)["STATUS"]) == "TENTATIVE"
    assert str(event(approved)["STATUS"]) == "CONFIRMED"
    assert str(event(cancelled)["STATUS"]) == "CANCELLED"
    # each change of the history raises the sequence, so calendars take the new version
    assert int(event(pending)["SEQUENCE"]) == 0
    assert int(event(approved)["SEQUENCE"]) == 1
    assert int(event(cancelled)["SEQUENCE"]) == 2
    assert event(cancelled).decoded("LAST-MODIFIED") >= event(cancelled).decoded("CREATED")


def test_private_calendar_window(client, token, member_a, room):
    kept = past_booking(room, member_a, at(2, 10, month=1), at(2, 11, month=1))  # 80 days ago
    gone = past_booking(room, member_a, at(2, 10, month=12) - dt.timedelta(days=365),
                        at(2, 11, month=12) - dt.timedelta(days=365))  # fmt: skip
    far = past_booking(room, member_a, at(2, 10, month=12), at(2, 11, month=12))
    found = by_uid(parse(client.get(private_url(token))))
    host = uid_host()
    assert set(found) == {f"booking-{kept.pk}@{host}", f"booking-{far.pk}@{host}"}
    assert f"booking-{gone.pk}@{host}" not in found


def test_blocks_are_not_in_the_managers_calendar(client, manager_a, room):
    token = services.calendar_feed_reset(user=manager_a).token
    services.block_create(resource=room, by=manager_a, start=at(24, 9), end=at(24, 12), reason="")
    assert events(parse(client.get(private_url(token)))) == []


def test_reset_and_revoked_tokens_are_404(client, member_a, token):
    assert client.get(private_url(token)).status_code == 200
    new = services.calendar_feed_reset(user=member_a).token
    assert new != token
    assert client.get(private_url(token)).status_code == 404
    assert client.get(private_url(new)).status_code == 200
    services.calendar_feed_revoke(user=member_a)
    assert client.get(private_url(new)).status_code == 404


@pytest.mark.parametrize("bad", ["nope", "x" * 500, "%00", "a.b"])
def test_unknown_tokens_are_404(client, token, bad):
    assert client.get(f"/calendrier/{bad}.ics").status_code == 404


def test_deactivated_person_has_no_calendar(client, member_a, token):
    member_a.is_active = False
    member_a.save(update_fields=["is_active"])
    assert client.get(private_url(token)).status_code == 404


@pytest.mark.parametrize(("language", "asked"), [("en", "fr"), ("fr", "en")])
def test_private_calendar_is_in_the_persons_language(
    client, member_a, token, desk, monkeypatch, language, asked
):
    """Whatever language the calendar application asks for, the person's own."""
    member_a.language = language
    member_a.save(update_fields=["language"])
    seen: list[str] = []
    original = ical.private_calendar

    def recording(user, *, moment):
        seen.append(translation.get_language())
        return original(user, moment=moment)

    monkeypatch.setattr(ical, "private_calendar", recording)
    parse(client.get(private_url(token), HTTP_ACCEPT_LANGUAGE=asked))
    assert seen == [language]


def test_private_calendar_query_count_does_not_grow(
    client, token, member_a, room, django_assert_max_num_queries
):
    for day in (24, 25):
        services.booking_create(resource=room, user=member_a, start=at(day, 10),
                                end=at(day, 11))  # fmt: skip
    with django_assert_max_num_queries(3):
        client.get(private_url(token))
    for day in (26, 27, 30, 31):
        for hour in (9, 11, 14):
            services.booking_create(resource=room, user=member_a, start=at(day, hour),
                                    end=at(day, hour + 1))  # fmt: skip
    with django_assert_max_num_queries(3):
        assert len(events(parse(client.get(private_url(token))))) == 14


# --- the file attached to e-mails -----------------------------------------------------------------


def test_booking_ics_is_one_event_with_the_feeds_uid(client, token, member_a, desk):
    booking = services.booking_create(resource=desk, user=member_a, start=at(24, 10),
                                      end=at(24, 11))  # fmt: skip
    calendar = Calendar.from_ical(booking_ics(booking))
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["PRODID"]).startswith("-//Tiers//")
    (event,) = events(calendar)
    (in_feed,) = events(parse(client.get(private_url(token))))
    assert str(event["UID"]) == str(in_feed["UID"]) == f"booking-{booking.pk}@{uid_host()}"
    assert int(event["SEQUENCE"]) == int(in_feed["SEQUENCE"])
    assert span(event) == span(in_feed)
    assert event.decoded("DTSTAMP") == NOW.astimezone(UTC)
    assert str(event["STATUS"]) == "CONFIRMED"


def test_booking_ics_of_a_cancelled_booking(member_a, desk):
    booking = services.booking_create(resource=desk, user=member_a, start=at(24, 10),
                                      end=at(24, 11))  # fmt: skip
    services.booking_cancel(booking=booking, by=member_a)
    booking = Booking.objects.select_related("resource__place", "user").get(pk=booking.pk)
    (event,) = events(Calendar.from_ical(booking_ics(booking)))
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == booking.log.count() - 1 == 1
    assert BookingLog.objects.filter(booking=booking).count() == 2
