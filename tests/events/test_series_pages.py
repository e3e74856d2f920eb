"""Repeated events through the organisers' forms: created weekly or monthly (a taken room
refuses the series, or its date is skipped when asked), changed for one date, the following
ones or all of them, cancelled from a date on, and their drafts published together."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.events.conftest import at
from tiers.bookings import services as booking_services
from tiers.bookings.models import Booking
from tiers.events.models import Event, EventSeries

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(english_client_for):
    return english_client_for


def data(**overrides) -> dict:
    values = {
        "title": "Jardinage",
        "kind": "atelier",
        "start": "2026-03-24T18:00",
        "end": "2026-03-24T20:00",
        "audience": "tout-public",
        "price_mode": "gratuit",
        "max_seats_per_registration": "5",
        "offer_hours": "24",
        "publish": "published",
        "repeat": "weekly",
        "occurrences": "4",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def create(client, place, **overrides):
    return client.post(reverse("events:create", args=[place.slug]), data(**overrides))


def dates(series_id) -> list:
    return [
        (e.start, e.title, e.status)
        for e in Event.objects.filter(series_id=series_id).order_by("start")
    ]


def test_weekly_series(client_for, place_a, manager_a, room):
    response = create(client_for(manager_a), place_a, room=room.pk)
    events = list(Event.objects.order_by("start"))
    assert response.status_code == 302
    assert response["Location"] == events[0].get_absolute_url()
    assert [e.start for e in events] == [
        at(24, 18),
        at(31, 18),
        at(7, 18, month=4),
        at(14, 18, month=4),
    ]
    # the same wall-clock time across the change to summer time (29 March)
    assert all(e.start.astimezone(e.tz).hour == 18 for e in events)
    assert len({e.series_id for e in events}) == 1
    assert events[0].series.frequency == EventSeries.Frequency.WEEKLY
    assert Booking.objects.filter(resource=room, status="confirmed", kind="event").count() == 4


def test_monthly_series_on_the_same_weekday(client_for, place_a, manager_a):
    create(client_for(manager_a), place_a, repeat="monthly", occurrences="3")
    starts = [e.start for e in Event.objects.order_by("start")]
    # the 4th Tuesday of March, April and May 2026
    assert starts == [at(24, 18), at(28, 18, month=4), at(26, 18, month=5)]


def test_a_taken_room_refuses_the_series(client_for, place_a, manager_a, member_a, room):
    booking_services.booking_create(resource=room, user=member_a, start=at(31, 10), end=at(31, 11))
    response = create(
        client_for(manager_a), place_a, room=room.pk, start="2026-03-24T10:00",
        end="2026-03-24T12:00",
    )  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 date cannot be used; nothing was created." in page
    assert "Tuesday 31 March 2026, 10:00" in page
    assert not Event.objects.exists()
    assert not EventSeries.objects.exists()
    assert Booking.objects.filter(kind="event").exclude(status="cancelled").count() == 0


def test_or_its_date_is_skipped_when_asked(client_for, place_a, manager_a, member_a, room):
    booking_services.booking_create(resource=room, user=member_a, start=at(31, 10), end=at(31, 11))
    client = client_for(manager_a)
    response = create(
        client, place_a, room=room.pk, start="2026-03-24T10:00",
        end="2026-03-24T12:00", skip_conflicts="on",
    )  # fmt: skip
    assert response.status_code == 302
    assert Event.objects.count() == 3
    assert at(31, 10) not in [e.start for e in Event.objects.all()]
    page = client.get(response["Location"]).content.decode()
    assert "3 dates are created." in page
    assert "was skipped" in page


@pytest.fixture
def series(client_for, place_a, manager_a, room):
    create(client_for(manager_a), place_a, room=room.pk)
    return list(Event.objects.order_by("start"))


def edit(client, event, scope, **overrides):
    values = data(publish=None, repeat=None, occurrences=None, scope=scope, **overrides)
    return client.post(reverse("events:edit", args=[event.slug]), values)


def test_the_scope_is_asked_for_a_series_only(client_for, series, manager_a, make_event):
    page = client_for(manager_a).get(reverse("events:edit", args=[series[1].slug]))
    assert 'name="scope"' in page.content.decode()
    alone = make_event("Seul")
    page = client_for(manager_a).get(reverse("events:edit", args=[alone.slug]))
    assert 'name="scope"' not in page.content.decode()


def test_change_only_this_date(client_for, series, manager_a, room):
    response = edit(client_for(manager_a), series[1], "this", title="Jardinage spécial",
                    room=room.pk, start="2026-03-31T18:00", end="2026-03-31T21:00")  # fmt: skip
    assert response.status_code == 302
    titles = [t for _s, t, _st in dates(series[0].series_id)]
    assert titles == ["Jardinage", "Jardinage spécial", "Jardinage", "Jardinage"]


def test_change_this_date_and_the_following_ones(client_for, series, manager_a, room):
    response = edit(client_for(manager_a), series[1], "following", title="Jardin partagé",
                    room=room.pk, start="2026-03-31T17:00", end="2026-03-31T19:00")  # fmt: skip
    assert response.status_code == 302
    found = dates(series[0].series_id)
    assert [t for _s, t, _st in found] == [
        "Jardinage",
        "Jardin partagé",
        "Jardin partagé",
        "Jardin partagé",
    ]
    # the new time of day applies to each following date, on the place's clock
    assert [s for s, _t, _st in found] == [
        at(24, 18),
        at(31, 17),
        at(7, 17, month=4),
        at(14, 17, month=4),
    ]
    # their rooms moved with them
    holds = Booking.objects.filter(resource=room, status="confirmed", kind="event").order_by(
        "start"
    )
    assert [h.start for h in holds] == [s for s, _t, _st in found]


def test_change_all_the_dates(client_for, series, manager_a, room):
    response = edit(client_for(manager_a), series[2], "all", title="Tous", room=room.pk,
                    start="2026-04-07T18:00", end="2026-04-07T20:00")  # fmt: skip
    assert response.status_code == 302
    assert {t for _s, t, _st in dates(series[0].series_id)} == {"Tous"}


def test_a_taken_room_refuses_the_whole_change(client_for, series, manager_a, member_a, room):
    booking_services.booking_create(
        resource=room, user=member_a, start=at(14, 10, month=4), end=at(14, 11, month=4)
    )
    response = edit(client_for(manager_a), series[1], "following", title="Matin",
                    room=room.pk, start="2026-03-31T10:00", end="2026-03-31T12:00")  # fmt: skip
    assert response.status_code == 200
    assert "14/04/2026" in str(response.context["form"].errors)
    assert {t for _s, t, _st in dates(series[0].series_id)} == {"Jardinage"}


def test_cancel_this_date_and_the_following_ones(client_for, series, manager_a, member_a, room):
    response = client_for(manager_a).post(
        reverse("events:cancel", args=[series[2].slug]),
        {"reason": "Fin de saison", "scope": "following"},
    )
    assert response.status_code == 302
    statuses = [st for _s, _t, st in dates(series[0].series_id)]
    assert statuses == ["published", "published", "cancelled", "cancelled"]
    # their rooms are given back
    holds = Booking.objects.filter(resource=room, kind="event").order_by("start")
    assert [h.status for h in holds] == ["confirmed", "confirmed", "cancelled", "cancelled"]


def test_publish_every_draft_of_the_series(client_for, place_a, manager_a):
    create(client_for(manager_a), place_a, publish="draft", occurrences="3")
    first = Event.objects.order_by("start").first()
    page = client_for(manager_a).get(first.get_absolute_url()).content.decode()
    assert "Publish every draft date of the series" in page
    client_for(manager_a).post(reverse("events:publish", args=[first.slug]), {"scope": "series"})
    assert set(Event.objects.values_list("status", flat=True)) == {"published"}


def test_a_series_shares_its_image(client_for, place_a, manager_a):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(buffer, format="PNG")
    image = SimpleUploadedFile("jardin.png", buffer.getvalue(), content_type="image/png")
    response = client_for(manager_a).post(
        reverse("events:create", args=[place_a.slug]),
        {**data(occurrences="3"), "image": image, "image_alt": "Des salades"},
    )
    assert response.status_code == 302
    names = {e.image.name for e in Event.objects.all()}
    assert len(names) == 1 and names != {""}
    event = Event.objects.first()
    assert event.image.storage.exists(event.image.name)
