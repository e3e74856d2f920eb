"""Events through the API: the public list and its filters, one event, the organisers'
writes, registrations (account, e-mail only, added by an organiser), as each persona, with
the problems naming each rule.

The clock is Monday 23 March 2026, 08:00 in Paris (tests/events/conftest.py)."""

# The events fixtures (clock, make_event...) are imported from tests/events/conftest.py.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api, assert_problem, error_fields
from tests.events.conftest import (  # noqa: F401 (fixtures)
    _english_messages,
    at,
    clock_at,
    make_event,
    room,
)
from tiers.api import events as events_api
from tiers.events import registrations
from tiers.events.models import Event, Festival, Registration, Session

EVENTS = "/api/v1/events"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def iso(day: int, hour: int, minute: int = 0, month: int = 3) -> str:
    return at(day, hour, minute, month).isoformat()


def refused(response, status: int, code: str) -> dict:
    problem = assert_problem(response, status, code)
    assert problem["code"] == code
    return problem


def url(event: Event, tail: str = "") -> str:
    return f"{EVENTS}/{event.pk}{tail}"


@pytest.fixture
def open_event(make_event):
    """Registration open, 10 seats, with a waiting list."""
    return make_event("Atelier vélo", registration_open=True, capacity=10)


# --- reading ----------------------------------------------------------------------------


def test_anonymous_reads_listed_events_not_drafts(make_event, api_as, place_a):
    published = make_event("Repair café", tags=["Réparation"])
    make_event("Brouillon", status=Event.Status.DRAFT)
    response = api_as(None).get(EVENTS)
    assert response.status_code == 200, response.content
    page = response.json()
    assert page["count"] == 1
    item = page["results"][0]
    assert item["id"] == published.pk
    assert item["title"] == "Repair café"
    assert item["start"] == "2026-03-24T18:00:00+01:00"
    assert item["end"] == "2026-03-24T20:00:00+01:00"
    assert item["time_zone"] == "Europe/Paris"
    assert item["place"] == {
        "slug": "le-quai", "name": "Le Quai", "town": place_a.town,
        "lat": place_a.latitude, "lon": place_a.longitude,
    }  # fmt: skip
    assert item["tags"] == [{"slug": "reparation", "name": "Réparation"}]
    assert item["price"] == {"mode": "gratuit", "amount": None}
    assert item["url"] == f"http://testserver/evenements/{published.slug}/"
    assert item["ics_url"] == f"http://testserver/evenements/{published.slug}/evenement.ics"
    assert item["registration"]["required"] is False
    # the answer matches its documented schema
    events_api.EventPage.model_validate(page)


def test_drafts_are_seen_by_their_organisers_only(make_event, as_persona):
    draft = make_event("Brouillon", status=Event.Status.DRAFT)
    for who in ("visitor", "member_a", "manager_b", "coordinator"):
        assert_problem(as_persona(who).get(url(draft)), 404, "not-found")
    for who in ("manager_a", "admin"):
        response = as_persona(who).get(url(draft))
        assert response.status_code == 200, (who, response.content)
        assert response.json()["can_edit"] is True


def test_one_event_with_its_sessions(make_event, api_as, manager_a, room):
    event = make_event("Forum", room=room)
    Session.objects.create(event=event, title="Ouverture", start=at(24, 18), end=at(24, 19))
    response = api_as(None).get(url(event))
    assert response.status_code == 200
    detail = response.json()
    events_api.EventDetail.model_validate(detail)
    assert detail["room"] == {"id": room.pk, "name": room.name}
    assert [s["title"] for s in detail["sessions"]] == ["Ouverture"]
    assert detail["sessions"][0]["start"] == "2026-03-24T18:00:00+01:00"
    assert detail["can_edit"] is False
    sessions = api_as(None).get(url(event, "/sessions")).json()
    assert [s["title"] for s in sessions["results"]] == ["Ouverture"]


def test_filters(make_event, api_as, network, place_b, manager_b):
    make_event("Mardi atelier", kind="atelier", start=at(24, 18))
    make_event("Jeudi débat", kind="cafe-debat", start=at(26, 18), audience="familles")
    make_event("Samedi forum", kind="forum", start=at(28, 10), tags=["Numérique"])
    make_event("Passé", kind="atelier", start=at(20, 10))
    make_event("Ailleurs", place=place_b, by=manager_b, kind="atelier", start=at(25, 10))
    anonymous = api_as(None)

    def titles(**params) -> list[str]:
        response = anonymous.get(EVENTS, params)
        assert response.status_code == 200, response.content
        return [e["title"] for e in response.json()["results"]]

    # without start: the events not over yet
    assert titles() == ["Mardi atelier", "Ailleurs", "Jeudi débat", "Samedi forum"]
    assert titles(place="le-quai") == ["Mardi atelier", "Jeudi débat", "Samedi forum"]
    assert titles(place="la-fabrique") == ["Ailleurs"]
    assert titles(network="reseau-ouest") == ["Mardi atelier", "Jeudi débat", "Samedi forum"]
    assert titles(network="unknown") == []
    # kind: repeated, or separated with commas
    assert titles(kind=["forum", "cafe-debat"]) == ["Jeudi débat", "Samedi forum"]
    assert titles(kind="forum,cafe-debat") == ["Jeudi débat", "Samedi forum"]
    assert titles(audience="familles") == ["Jeudi débat"]
    assert titles(tag="numerique") == ["Samedi forum"]
    assert titles(q="débat") == ["Jeudi débat"]
    # start/end: the events overlapping [start, end)
    assert titles(start=iso(20, 11), end=iso(24, 18)) == ["Passé"]  # 10:00-12:00 overlaps
    assert titles(start=iso(20, 12), end=iso(24, 18, 1)) == ["Mardi atelier"]
    assert titles(start=iso(24, 19), end=iso(26, 18)) == ["Mardi atelier", "Ailleurs"]
    assert titles(start="2026-03-26T17:00:00Z") == ["Jeudi débat", "Samedi forum"]
    # a "+" not written %2B arrives as a space: still understood
    assert anonymous.get(EVENTS + "?start=2026-03-26T18:00:00 01:00").json()["count"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "nope"}, "kind"),
        ({"kind": ["atelier", "nope"]}, "kind"),
        ({"audience": "aliens"}, "audience"),
        ({"start": "2026-03-24T18:00:00"}, "start"),  # no offset
        ({"start": "9999-01-01T00:00:00Z"}, "start"),
        ({"start": "tomorrow"}, "start"),
        ({"start": "2026-03-25T00:00:00Z", "end": "2026-03-24T00:00:00Z"}, "end"),
        ({"limit": 1000}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_filters_are_422_naming_the_field(db, api_as, params, field):
    assert field in error_fields(api_as(None).get(EVENTS, params))


def test_festival_filter_and_festivals(make_event, api_as, network, place_b, manager_b):
    festival = Festival.objects.create(
        network=network, name="Quinzaine", slug="quinzaine",
        start_date=dt.date(2026, 3, 23), end_date=dt.date(2026, 4, 5),
    )  # fmt: skip
    make_event("Dans la quinzaine", festival=festival)
    make_event("Hors festival")
    make_event("Brouillon", festival=festival, status=Event.Status.DRAFT)
    Festival.objects.create(
        network=network, name="Secret", slug="secret", is_published=False,
        start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 5, 2),
    )  # fmt: skip
    anonymous = api_as(None)
    page = anonymous.get(EVENTS, {"festival": "quinzaine"}).json()
    assert [e["title"] for e in page["results"]] == ["Dans la quinzaine"]
    assert page["results"][0]["festival"] == "quinzaine"
    festivals = anonymous.get("/api/v1/festivals").json()
    events_api.FestivalPage.model_validate(festivals)
    assert [f["slug"] for f in festivals["results"]] == ["quinzaine"]
    detail = anonymous.get("/api/v1/festivals/quinzaine").json()
    assert (detail["events"], detail["places"]) == (1, 1)
    assert detail["network"] == "reseau-ouest"
    assert detail["ics_url"].endswith("/festivals/quinzaine/programme.ics")
    assert_problem(anonymous.get("/api/v1/festivals/secret"), 404)
    assert_problem(anonymous.get("/api/v1/festivals/nowhere"), 404)


@pytest.mark.parametrize("size", [5, 40])
def test_list_query_count_is_constant(make_event, api_as, size, django_assert_max_num_queries):
    for n in range(size):
        event = make_event(
            f"Atelier {n}", start=at(24, 8) + dt.timedelta(hours=n), tags=["A", "B"],
            registration_open=True, capacity=5,
        )  # fmt: skip
        registrations.register(event=event, name="X", email=f"x{n}@example.org", added_by=None,
                               user=event.created_by)  # fmt: skip
    anonymous = api_as(None)
    with CaptureQueriesContext(connection) as queries:
        page = anonymous.get(EVENTS, {"limit": size}).json()
    assert len(page["results"]) == size
    assert all(e["registration"]["seats_left"] == 4 for e in page["results"])
    # count, page, tags, seats: whatever the page size
    assert len(queries) <= 4, [q["sql"] for q in queries]


# --- writing events ---------------------------------------------------------------------


def new_event(**extra) -> dict:
    return {
        "place": "le-quai", "title": "Atelier soudure", "kind": "atelier",
        "start": iso(25, 14), "end": iso(25, 17), **extra,
    }  # fmt: skip


def test_a_manager_creates_an_event(api_as, manager_a, room):
    body = new_event(
        room=room.pk, tags=["Soudure"], price={"mode": "prix-conseille", "amount": 5},
        registration={"required": True, "capacity": 8, "questions": [{"label": "Niveau ?"}]},
    )  # fmt: skip
    response = api_as(manager_a).post(EVENTS, body)
    assert response.status_code == 201, response.content
    created = response.json()
    events_api.EventDetail.model_validate(created)
    assert response["Location"] == f"{EVENTS}/{created['id']}"
    assert created["status"] == "draft"
    assert created["room"]["id"] == room.pk
    assert created["price"] == {"mode": "prix-conseille", "amount": 5.0}
    assert created["registration"]["capacity"] == 8
    assert created["questions"] == [{"label": "Niveau ?", "required": False}]
    event = Event.objects.get(pk=created["id"])
    assert event.room_hold is not None and event.room_hold.is_active
    assert event.created_by == manager_a


@pytest.mark.parametrize(("who", "status"), [("visitor", 401), ("member_a", 403),
                                             ("manager_b", 403), ("coordinator", 403)])  # fmt: skip
def test_only_the_places_managers_create_its_events(as_persona, place_a, who, status):
    assert_problem(as_persona(who).post(EVENTS, new_event()), status)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "2026-03-25T14:00:00"}, "start"),  # naive
        ({"end": "9999-12-31T23:59:00+01:00"}, "end"),
        ({"end": iso(25, 13)}, "end"),  # before the start
        ({"title": ""}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"place": "nowhere"}, "place"),
        ({"kind": "rave"}, "kind"),
        ({"online_url": "not a url"}, "online_url"),
        ({"registration": {"capacity": 0}}, "registration.capacity"),
        ({"registration": {"capacity": -3}}, "registration.capacity"),
        ({"registration": {"max_seats": 99}}, "registration.max_seats"),
        ({"room": 2**70}, "room"),
        ({"room": 987654}, "room"),
        ({"festival": "nope"}, "festival"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_events_are_422_naming_the_field(api_as, manager_a, room, changes, field):
    response = api_as(manager_a).post(EVENTS, new_event(**changes))
    assert field in error_fields(response)
    assert not Event.objects.exists()


def test_the_room_is_never_taken_twice(api_as, manager_a, room):
    first = api_as(manager_a).post(EVENTS, new_event(room=room.pk))
    assert first.status_code == 201
    response = api_as(manager_a).post(EVENTS, new_event(room=room.pk, start=iso(25, 16),
                                                         end=iso(25, 18)))  # fmt: skip
    refused(response, 409, "room_taken")
    assert Event.objects.count() == 1


def test_a_coordinator_creates_a_network_event(api_as, coordinator, manager_a):
    body = {"network": "reseau-ouest", "title": "Rencontre", "start": iso(27, 9),
            "end": iso(27, 12), "status": "published"}  # fmt: skip
    response = api_as(coordinator).post(EVENTS, body)
    assert response.status_code == 201, response.content
    assert response.json()["network"] == "reseau-ouest"
    assert response.json()["place"] is None
    assert_problem(api_as(manager_a).post(EVENTS, body), 403)
    both = {**body, "place": "le-quai"}
    assert "place" in error_fields(api_as(coordinator).post(EVENTS, both))


def test_patch_publish_cancel(make_event, api_as, as_persona, manager_a):
    event = make_event("Brouillon", status=Event.Status.DRAFT)
    # manager B: a draft of A does not exist for them; a published one is forbidden
    assert_problem(as_persona("manager_b").patch(url(event), {"title": "X"}), 404)
    assert_problem(as_persona("visitor").patch(url(event), {"title": "X"}), 401)
    manager = api_as(manager_a)
    response = manager.patch(url(event), {"title": "Atelier vélo", "summary": "Réparer"})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Atelier vélo"
    assert "title" in error_fields(manager.patch(url(event), {"title": None}))
    assert "end" in error_fields(manager.patch(url(event), {"end": iso(24, 17)}))
    event.refresh_from_db()
    assert (event.title, event.end) == ("Atelier vélo", at(24, 20))
    response = manager.post(url(event, "/publish"))
    assert response.json()["status"] == "published"
    refused(manager.post(url(event, "/publish")), 409, "not_draft")
    assert_problem(as_persona("manager_b").patch(url(event), {"title": "X"}), 403, "forbidden")
    assert_problem(as_persona("manager_b").post(url(event, "/cancel"), {"reason": "x"}), 403)
    assert "reason" in error_fields(manager.post(url(event, "/cancel"), {"reason": ""}))
    response = manager.post(url(event, "/cancel"), {"reason": "Salle inondée"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled", "Salle inondée",
    )  # fmt: skip
    refused(manager.post(url(event, "/cancel"), {"reason": "Encore"}), 409, "cancelled")
    # still listed, marked as cancelled
    listed = api_as(None).get(EVENTS).json()["results"]
    assert [(e["id"], e["status"]) for e in listed] == [(event.pk, "cancelled")]


def test_sessions_inside_their_event(make_event, api_as, manager_a, manager_b):
    event = make_event("Forum", start=at(24, 9), end=at(24, 18))
    body = {"title": "Table ronde", "start": iso(24, 10), "end": iso(24, 11),
            "speakers": "Ada", "track": "A"}  # fmt: skip
    assert_problem(api_as(manager_b).post(url(event, "/sessions"), body), 403)
    response = api_as(manager_a).post(url(event, "/sessions"), body)
    assert response.status_code == 201, response.content
    session = response.json()
    assert session["start"] == "2026-03-24T10:00:00+01:00"
    outside = {**body, "start": iso(24, 17), "end": iso(24, 19)}
    refused(api_as(manager_a).post(url(event, "/sessions"), outside), 409, "session_outside")
    moved = api_as(manager_a).put(f"/api/v1/sessions/{session['id']}", {**body, "title": "TR"})
    assert moved.json()["title"] == "TR"
    assert api_as(manager_b).delete(f"/api/v1/sessions/{session['id']}").status_code == 403
    assert api_as(manager_a).delete(f"/api/v1/sessions/{session['id']}").status_code == 204
    assert not Session.objects.exists()


# --- registrations ----------------------------------------------------------------------


def test_register_with_an_account(open_event, api_as, member_a):
    response = api_as(member_a).post(url(open_event, "/registrations"), {"seats": 2})
    assert response.status_code == 201, response.content
    registration = response.json()
    events_api.RegistrationOut.model_validate(registration)
    assert registration["status"] == "confirmed"
    assert registration["email"] == member_a.email
    assert registration["name"] == member_a.display_name
    assert registration["seats"] == 2
    again = api_as(member_a).post(url(open_event, "/registrations"), {})
    refused(again, 409, "duplicate")
    seats = api_as(None).get(url(open_event)).json()["registration"]
    assert (seats["open"], seats["seats_left"]) == (True, 8)


def test_full_means_waitlisted(make_event, api_as, make_user):
    event = make_event("Petit atelier", registration_open=True, capacity=1)
    first = api_as(make_user()).post(url(event, "/registrations"), {})
    second = api_as(make_user()).post(url(event, "/registrations"), {})
    assert (first.json()["status"], second.json()["status"]) == ("confirmed", "waitlisted")
    no_waitlist = make_event("Sans liste", registration_open=True, capacity=1,
                             waitlist_enabled=False)  # fmt: skip
    api_as(make_user()).post(url(no_waitlist, "/registrations"), {})
    refused(api_as(make_user()).post(url(no_waitlist, "/registrations"), {}), 409, "full")
    info = api_as(None).get(url(event)).json()["registration"]
    assert (info["seats_left"], info["waiting"]) == (0, 1)


def test_registration_windows_and_answers(make_event, api_as, member_a, clock_at):
    later = make_event("Plus tard", registration_open=True,
                       registration_opens_at=at(24, 9))  # fmt: skip
    refused(api_as(member_a).post(url(later, "/registrations"), {}), 409, "not_open_yet")
    closed = make_event("Fermé", registration_open=True, registration_closes_at=at(23, 7))
    refused(api_as(member_a).post(url(closed, "/registrations"), {}), 409, "closed")
    no = make_event("Sans inscription")
    refused(api_as(member_a).post(url(no, "/registrations"), {}), 409, "no_registration")
    asks = make_event("Questions", registration_open=True,
                      questions=[{"label": "Régime ?", "required": True}])  # fmt: skip
    response = api_as(member_a).post(url(asks, "/registrations"), {"answers": {"Autre": "x"}})
    problem = refused(response, 422, "invalid_answers")
    assert problem["errors"][0]["field"] == "answers"
    response = api_as(member_a).post(url(asks, "/registrations"), {"seats": 6})
    assert "seats" in {e["field"] for e in refused(response, 422, "invalid_seats")["errors"]}
    assert "seats" in error_fields(api_as(member_a).post(url(asks, "/registrations"),
                                                         {"seats": 0}))  # fmt: skip
    ok = api_as(member_a).post(url(asks, "/registrations"), {"answers": {"Régime ?": "végé"}})
    assert ok.json()["answers"] == {"Régime ?": "végé"}
    clock_at.set(at(24, 18, 30))
    refused(api_as(member_a).post(url(open_event_of(make_event), "/registrations"), {}), 409,
            "closed")  # fmt: skip


def open_event_of(make_event) -> Event:
    return make_event("Ce soir", registration_open=True, start=at(24, 18))


def test_register_with_only_an_email(open_event, db):
    """No session, no CSRF token: e-mail only, unconfirmed until the link is followed; the
    answer never holds the secret link."""
    client = Client(enforce_csrf_checks=True)
    response = Api(client).post(
        url(open_event, "/registrations"), {"name": "Lou", "email": "Lou@Example.org"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["email"], body["user"]) == ("unconfirmed", "lou@example.org", None)
    registration = Registration.objects.get()
    assert registration.token not in response.content.decode()
    refused(
        Api(client).post(url(open_event, "/registrations"), {"name": "L", "email": "lou@example.org"}),
        409, "duplicate",
    )  # fmt: skip
    assert "email" in error_fields(Api(client).post(url(open_event, "/registrations"),
                                                    {"name": "Lou"}))  # fmt: skip
    response = Api(client).post(url(open_event, "/registrations"), {"name": "X", "email": "x"})
    refused(response, 422, "invalid_email")
    # organisers' additions need an account
    assert_problem(Api(client).post(url(open_event, "/registrations"),
                                    {"name": "A", "email": "a@example.org", "add": True}), 401)  # fmt: skip


def test_anonymous_registrations_are_rate_limited(make_event, settings):
    settings.EVENT_REGISTRATION_RATE_LIMIT = 3
    event = make_event("Populaire", registration_open=True)
    anonymous = Api(Client())
    for n in range(3):
        body = {"name": f"P{n}", "email": f"p{n}@example.org"}
        assert anonymous.post(url(event, "/registrations"), body).status_code == 201
    response = anonymous.post(url(event, "/registrations"), {"name": "P", "email": "p@example.org"})
    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert Registration.objects.count() == 3
    # from another address, still welcome
    other = Api(Client(REMOTE_ADDR="192.0.2.7"))
    assert (
        other.post(
            url(event, "/registrations"), {"name": "Q", "email": "q@example.org"}
        ).status_code
        == 201
    )


def test_a_session_needs_its_csrf_token_to_register(open_event, session_api, member_a):
    without = session_api(member_a, csrf=False)
    assert_problem(without.post(url(open_event, "/registrations"), {}), 403, "csrf")
    assert not Registration.objects.exists()
    response = session_api(member_a).post(url(open_event, "/registrations"), {})
    assert response.status_code == 201
    assert response.json()["user"] == member_a.pk


def test_organisers_add_someone(open_event, api_as, manager_a, manager_b):
    body = {"name": "Mme Durand", "email": "durand@example.org", "seats": 3, "add": True}
    assert_problem(api_as(manager_b).post(url(open_event, "/registrations"), body), 403)
    response = api_as(manager_a).post(url(open_event, "/registrations"), body)
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["status"], added["added_by"], added["seats"]) == ("confirmed", manager_a.pk, 3)


def test_who_sees_which_registrations(open_event, api_as, as_persona, member_a, make_user):
    other = make_user("Other")
    mine = registrations.register(event=open_event, name="M", email="", user=member_a)
    registrations.register(event=open_event, name="O", email="", user=other)
    registrations.register(event=open_event, name="Anon", email="anon@example.org")
    path = url(open_event, "/registrations")
    assert_problem(as_persona("visitor").get(path), 401)
    # a registrant: only their own
    page = api_as(member_a).get(path).json()
    assert [r["id"] for r in page["results"]] == [mine.pk]
    # manager B (or anyone else): nothing of A's registrants
    page = as_persona("manager_b").get(path).json()
    assert (page["count"], page["results"]) == (0, [])
    # the organisers: everybody, with e-mails and answers
    page = as_persona("manager_a").get(path).json()
    events_api.RegistrationPage.model_validate(page)
    assert {r["email"] for r in page["results"]} == {member_a.email, other.email,
                                                    "anon@example.org"}  # fmt: skip
    confirmed = as_persona("manager_a").get(path, {"status": "unconfirmed"}).json()
    assert [r["name"] for r in confirmed["results"]] == ["Anon"]
    # one registration: its registrant and the organisers
    one = f"/api/v1/registrations/{mine.pk}"
    assert api_as(member_a).get(one).status_code == 200
    assert as_persona("manager_a").get(one).status_code == 200
    for who in ("manager_b", "concierge_a", "coordinator"):
        assert_problem(as_persona(who).get(one), 404)
    assert_problem(api_as(other).get(one), 404)
    assert [r["id"] for r in api_as(member_a).get("/api/v1/registrations").json()["results"]] == [
        mine.pk
    ]


def test_cancel_offer_accept_check_in(make_event, api_as, as_persona, member_a, make_user,
                                      manager_a):  # fmt: skip
    event = make_event("Une place", registration_open=True, capacity=1)
    waiting_user = make_user("Waiting")
    first = registrations.register(event=event, name="F", email="", user=member_a)
    waiting = registrations.register(event=event, name="W", email="", user=waiting_user)
    assert waiting.status == "waitlisted"
    one = f"/api/v1/registrations/{first.pk}"
    assert_problem(as_persona("manager_b").delete(one), 404)
    assert_problem(api_as(waiting_user).delete(one), 404)
    response = api_as(member_a).delete(one)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    refused(api_as(member_a).delete(one), 409, "not_active")
    waiting.refresh_from_db()
    assert waiting.status == "offered"
    accept = f"/api/v1/registrations/{waiting.pk}/accept"
    assert_problem(api_as(manager_a).post(accept), 403)
    response = api_as(waiting_user).post(accept)
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    check_in = f"/api/v1/registrations/{waiting.pk}/check-in"
    assert_problem(api_as(waiting_user).post(check_in, {"present": True}), 403)
    assert_problem(as_persona("manager_b").post(check_in, {"present": True}), 404)
    response = api_as(manager_a).post(check_in, {"present": True})
    assert response.json()["checked_in_at"] is not None
    refused(api_as(manager_a).post(f"/api/v1/registrations/{first.pk}/check-in", {}), 409,
            "not_registered")  # fmt: skip


def test_drafts_take_no_registration(make_event, api_as, member_a):
    draft = make_event("Brouillon", status=Event.Status.DRAFT, registration_open=True)
    assert_problem(api_as(member_a).post(url(draft, "/registrations"), {}), 404)
    assert_problem(Api(Client()).post(url(draft, "/registrations"),
                                      {"name": "A", "email": "a@example.org"}), 404)  # fmt: skip
