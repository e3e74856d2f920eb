"""An event's programme: sessions by day and half-day ("Tuesday morning") on the event's
clock, columns by room or by track, an accessible table and a list that works on a phone,
seats of sessions with their own capacity; and the organisers' session forms."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.events.conftest import at
from tiers.bookings import services as booking_services
from tiers.bookings.errors import BookingError
from tiers.bookings.models import Booking, Resource
from tiers.events import registrations, services
from tiers.events.models import Registration, Session, SessionSignup
from tiers.events.views import AFTERNOON, EVENING, MORNING, half_day, programme_grid

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def client_for(english_client_for):
    return english_client_for


@pytest.fixture
def forum(make_event):
    """A forum from Saturday 28 to Sunday 29 March 2026 (the clocks go forward that night)."""
    return make_event(
        "Forum des tiers-lieux", start=at(28, 9), end=at(29, 22), registration_open=True,
        capacity=50,
    )  # fmt: skip


def add(event, by, title, start, end, **fields) -> Session:
    return services.session_save(
        session=Session(event=event, title=title, start=start, end=end, **fields), by=by
    )


# Half-days --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hour, minute, part",
    [(0, 0, MORNING), (11, 59, MORNING), (12, 0, AFTERNOON), (17, 59, AFTERNOON),
     (18, 0, EVENING), (23, 30, EVENING)],
)  # fmt: skip
def test_half_day_bounds(hour, minute, part):
    assert half_day(dt.datetime(2026, 3, 24, hour, minute, tzinfo=PARIS)) == part


def test_half_days_are_on_the_events_clock_across_the_dst_change(forum, manager_a):
    utc = dt.UTC
    # 10:30 UTC is 11:30 in Paris on Saturday (UTC+1) but 12:30 on Sunday (UTC+2)
    saturday = add(forum, manager_a, "Samedi", dt.datetime(2026, 3, 28, 10, 30, tzinfo=utc),
                   dt.datetime(2026, 3, 28, 11, 0, tzinfo=utc))  # fmt: skip
    sunday = add(forum, manager_a, "Dimanche", dt.datetime(2026, 3, 29, 10, 30, tzinfo=utc),
                 dt.datetime(2026, 3, 29, 11, 0, tzinfo=utc))  # fmt: skip
    # 16:30 UTC on Sunday is 18:30 in Paris: the evening
    late = add(forum, manager_a, "Soirée", dt.datetime(2026, 3, 29, 16, 30, tzinfo=utc),
               dt.datetime(2026, 3, 29, 18, 0, tzinfo=utc))  # fmt: skip
    grid = programme_grid([late, sunday, saturday], PARIS)
    assert [(r.day, r.part) for r in grid.rows] == [
        (dt.date(2026, 3, 28), MORNING),
        (dt.date(2026, 3, 29), AFTERNOON),
        (dt.date(2026, 3, 29), EVENING),
    ]
    assert grid.rows[0].label == "Saturday 28 March, morning"
    assert [s.title for s in grid.rows[1].cells[0]] == ["Dimanche"]
    assert [d for d, _sessions in grid.days] == [dt.date(2026, 3, 28), dt.date(2026, 3, 29)]


def test_a_session_late_in_the_evening_stays_on_its_local_day(make_event, manager_a):
    event = make_event("Nuit", start=at(24, 20), end=at(25, 2))
    late = add(event, manager_a, "Minuit", at(25, 0, 30), at(25, 1, 30))
    grid = programme_grid([late], PARIS)
    # 00:30 in Paris on the 25th is still the 24th in UTC
    assert (grid.rows[0].day, grid.rows[0].part) == (dt.date(2026, 3, 25), MORNING)


def test_columns_by_room_then_by_track(forum, manager_a, room):
    a = add(forum, manager_a, "A", at(28, 10), at(28, 11), room=room)
    b = add(forum, manager_a, "B", at(28, 10), at(28, 11), room_name="Jardin", track="Nature")
    c = add(forum, manager_a, "C", at(28, 14), at(28, 15), track="Numérique")
    grid = programme_grid([a, b, c], PARIS)
    assert grid.column_kind == "room"
    assert grid.columns == ["Jardin", "Salle des machines", ""]
    assert [[s.title for s in cell] for cell in grid.rows[0].cells] == [["B"], ["A"], []]
    grid = programme_grid([c, Session(event=forum, title="D", start=at(28, 9), end=at(28, 10),
                                      track="Nature", pk=99)], PARIS)  # fmt: skip
    assert grid.column_kind == "track"
    assert grid.columns == ["Nature", "Numérique"]


# The page ---------------------------------------------------------------------------------------


def test_programme_page_grid_and_list(client_for, forum, manager_a, room):
    add(forum, manager_a, "Ouverture", at(28, 9), at(28, 10), room=room, speakers="Ana, Léo")
    add(forum, manager_a, "Atelier", at(28, 14), at(28, 16), room_name="Jardin", track="Nature",
        description="Apportez des **gants**")  # fmt: skip
    add(forum, manager_a, "Concert", at(29, 20), at(29, 22), room_name="Jardin")
    url = reverse("events:programme", args=[forum.slug])
    page = client_for(None).get(url).content.decode()
    assert "<caption" in page and "Sessions by half-day and by room" in page
    assert '<th scope="col">Salle des machines</th>' in page
    assert '<th scope="col">Jardin</th>' in page
    assert '<th scope="row">Saturday 28 March, morning</th>' in page
    assert '<th scope="row">Saturday 28 March, afternoon</th>' in page
    assert '<th scope="row">Sunday 29 March, evening</th>' in page
    assert "With Ana, Léo" in page
    assert "09:00" in page and "10:00" in page
    # the list: one heading per day, descriptions in Markdown
    page = client_for(None).get(url, {"vue": "liste"}).content.decode()
    assert "<table" not in page
    assert "Saturday 28 March 2026</h2>" in page and "Sunday 29 March 2026</h2>" in page
    assert "<strong>gants</strong>" in page
    # organisers get the links to change sessions
    assert reverse("events:session_create", args=[forum.slug]) not in page
    page = client_for(manager_a).get(url).content.decode()
    assert reverse("events:session_create", args=[forum.slug]) in page


def test_the_event_page_summarises_the_programme(client_for, forum, manager_a):
    add(forum, manager_a, "Ouverture", at(28, 9), at(28, 10))
    page = client_for(None).get(forum.get_absolute_url()).content.decode()
    assert "Ouverture" in page
    assert reverse("events:programme", args=[forum.slug]) in page


def test_session_seats(client_for, forum, manager_a, member_a):
    workshop = add(forum, manager_a, "Soudure", at(28, 10), at(28, 12), capacity=4)
    mine = registrations.register(
        event=forum, name="Member A", email="m@example.org", user=member_a
    )
    family = Registration.objects.create(
        event=forum, name="Famille", email="f@example.org", seats=2, status="confirmed"
    )
    cancelled = Registration.objects.create(
        event=forum, name="Partie", email="p@example.org", seats=1, status="cancelled"
    )
    registrations.session_signup(registration=mine, session=workshop)
    SessionSignup.objects.create(session=workshop, registration=family)
    SessionSignup.objects.create(session=workshop, registration=cancelled)
    url = reverse("events:programme", args=[forum.slug])
    response = client_for(member_a).get(url)
    page = response.content.decode()
    assert "4 seats" in page and "1 left" in page
    assert "You have a seat" in page
    assert mine.get_manage_url() in page
    assert mine.get_manage_url() not in client_for(None).get(url).content.decode()


def test_programme_query_count_is_constant(
    client_for, forum, manager_a, django_assert_max_num_queries
):
    def fill(n):
        for i in range(n):
            add(forum, manager_a, f"S{i}", at(28, 9) + dt.timedelta(minutes=10 * i),
                at(28, 9) + dt.timedelta(minutes=10 * i + 30), capacity=5)  # fmt: skip

    fill(3)
    url = reverse("events:programme", args=[forum.slug])
    with django_assert_max_num_queries(10) as small:
        client_for(None).get(url)
    fill(20)
    with django_assert_max_num_queries(10) as large:
        client_for(None).get(url)
    assert len(small.captured_queries) == len(large.captured_queries)


# Session forms ----------------------------------------------------------------------------------


def session_data(**overrides) -> dict:
    values = {
        "title": "Table ronde",
        "speakers": "Ana",
        "track": "",
        "start": "2026-03-28T10:00",
        "end": "2026-03-28T11:00",
        "room_name": "Grande salle",
        "capacity": "",
        "description": "",
    }
    values.update(overrides)
    return values


def test_add_edit_delete_a_session(client_for, forum, manager_a):
    client = client_for(manager_a)
    url = reverse("events:session_create", args=[forum.slug])
    page = client.get(url).content.decode()
    assert 'value="2026-03-28T09:00"' in page  # starts with the event's times
    response = client.post(url, session_data(capacity="20"))
    assert response.status_code == 302
    session = Session.objects.get()
    assert (session.title, session.start, session.capacity) == ("Table ronde", at(28, 10), 20)
    edit = reverse("events:session_edit", args=[forum.slug, session.pk])
    response = client.post(edit, session_data(title="Table ronde (salle 2)"))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.title == "Table ronde (salle 2)" and session.capacity is None
    delete = reverse("events:session_delete", args=[forum.slug, session.pk])
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"start": "2026-03-28T08:00"}, "start"),  # before the event
        ({"end": "2026-03-30T10:00"}, "start"),  # after it
        ({"end": "2026-03-28T09:00"}, "end"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "-1"}, "capacity"),
        ({"title": " "}, "title"),
        ({"start": "demain"}, "start"),
    ],
)
def test_bad_session_input(client_for, forum, manager_a, overrides, field):
    response = client_for(manager_a).post(
        reverse("events:session_create", args=[forum.slug]), session_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Session.objects.exists()


def test_a_session_in_another_room_holds_it(client_for, make_event, manager_a, member_a, place_a):
    day = make_event("Journée", start=at(25, 9), end=at(25, 17))  # a Wednesday, when open
    other = Resource.objects.create(place=place_a, name="Atelier bois", slug="bois", kind="machine")
    booking_services.booking_create(resource=other, user=member_a, start=at(25, 10), end=at(25, 11))
    url = reverse("events:session_create", args=[day.slug])
    times = {"start": "2026-03-25T10:00", "end": "2026-03-25T11:00"}
    response = client_for(manager_a).post(url, session_data(room=other.pk, room_name="", **times))
    assert "room" in response.context["form"].errors
    assert not Session.objects.exists()
    response = client_for(manager_a).post(
        url,
        session_data(room=other.pk, room_name="", start="2026-03-25T14:00", end="2026-03-25T15:00"),
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert Booking.objects.get(pk=session.room_hold_id).is_active
    with pytest.raises(BookingError):
        booking_services.booking_create(
            resource=other, user=member_a, start=at(25, 14), end=at(25, 15)
        )


def test_other_managers_cannot_touch_sessions(client_for, forum, manager_a, manager_b, member_a):
    session = add(forum, manager_a, "Ouverture", at(28, 9), at(28, 10))
    for person in (manager_b, member_a):
        client = client_for(person)
        assert client.get(reverse("events:session_create", args=[forum.slug])).status_code == 403
        edit = reverse("events:session_edit", args=[forum.slug, session.pk])
        assert client.post(edit, session_data(title="Piraté")).status_code == 403
        delete = reverse("events:session_delete", args=[forum.slug, session.pk])
        assert client.post(delete).status_code == 403
    response = client_for(None).post(
        reverse("events:session_delete", args=[forum.slug, session.pk])
    )
    assert response.status_code == 302 and "connexion" in response["Location"]
    session.refresh_from_db()
    assert session.title == "Ouverture"


def test_a_session_of_another_event_is_not_found(client_for, forum, make_event, manager_a):
    other = make_event("Autre")
    session = add(other, manager_a, "Ailleurs", other.start, other.end)
    url = reverse("events:session_edit", args=[forum.slug, session.pk])
    assert client_for(manager_a).get(url).status_code == 404
