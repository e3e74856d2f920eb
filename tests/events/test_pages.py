"""The public event pages, as each persona sees them: the lists (all, by tag, of a place,
of a network) with their filters, pages and feeds, an event's page, the home page and the
place page sections. Drafts are never shown to visitors; lists read a constant number of
queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.events.conftest import at
from tiers.events import registrations, services
from tiers.events.models import Event, Festival, Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(english_client_for):
    return english_client_for


@pytest.fixture
def client(client_for):
    return client_for(None)


def html(response) -> str:
    return response.content.decode()


def titles(response) -> list[str]:
    return [event.title for event in response.context["events"]]


# The list ---------------------------------------------------------------------------------------


def test_the_list_shows_upcoming_published_events_only(client, make_event, manager_a, network):
    make_event("Atelier vélo")
    make_event("Brouillon secret", status=Event.Status.DRAFT)
    make_event("Déjà passé", start=at(20, 10), end=at(20, 12))
    cancelled = make_event("Annulé")
    services.event_cancel(event=cancelled, by=manager_a, reason="Grève")
    festival = Festival.objects.create(
        network=network, name="Quinzaine", slug="quinzaine", start_date=dt.date(2026, 3, 20),
        end_date=dt.date(2026, 4, 5),
    )  # fmt: skip
    refused = make_event("Refusé par le festival")
    Event.objects.filter(pk=refused.pk).update(festival=festival, festival_state="refused")

    response = client.get(reverse("events:list"))

    assert response.status_code == 200
    assert titles(response) == ["Atelier vélo", "Annulé"]
    page = html(response)
    assert "Brouillon secret" not in page
    assert "Cancelled" in page  # the badge, in words, not only a colour


def test_an_event_running_now_is_still_listed(client, make_event, clock_at):
    make_event("Forum", start=at(23, 7), end=at(23, 18))
    assert titles(client.get(reverse("events:list"))) == ["Forum"]
    clock_at.set(at(23, 18, 1))
    assert titles(client.get(reverse("events:list"))) == []


def test_the_list_shows_times_on_the_events_clock(client, make_event, make_place, manager_a):
    make_event("Atelier", start=at(24, 18), end=at(24, 20))
    page = html(client.get(reverse("events:list")))
    assert "18:00" in page and "20:00" in page
    assert "Tuesday 24 March 2026" in page


def test_filters(client, make_event, place_b, manager_b):
    make_event("Atelier vélo", kind="atelier", tags=["Vélo"])
    make_event("Café-débat climat", kind="cafe-debat", audience="familles")
    make_event("Repair café", kind="repair-cafe", start=at(2, 14, month=4), end=at(2, 17, month=4))
    make_event("À Strasbourg", place=place_b, by=manager_b)
    url = reverse("events:list")

    assert titles(client.get(url, {"q": "vélo"})) == ["Atelier vélo"]
    assert titles(client.get(url, {"kind": "cafe-debat"})) == ["Café-débat climat"]
    assert titles(client.get(url, {"audience": "familles"})) == ["Café-débat climat"]
    assert titles(client.get(url, {"tag": "velo"})) == ["Atelier vélo"]
    assert titles(client.get(url, {"place": place_b.slug})) == ["À Strasbourg"]
    assert titles(client.get(url, {"town": "strasbourg"})) == ["À Strasbourg"]
    assert titles(client.get(url, {"du": "2026-04-01"})) == ["Repair café"]
    assert "Repair café" not in titles(client.get(url, {"au": "2026-03-31"}))
    assert titles(client.get(url, {"du": "2026-04-02", "au": "2026-04-02"})) == ["Repair café"]


@pytest.mark.parametrize(
    "query",
    [
        {"du": "pas une date"},
        {"au": "2026-13-45"},
        {"kind": "<script>"},
        {"du": "2026-05-01", "au": "2026-04-01"},
        {"page": "9999"},
        {"page": "abc"},
        {"du": "0001-01-01"},
        {"q": "x" * 500},
    ],
)
def test_filters_not_understood_are_reported_not_500(client, make_event, query):
    make_event("Atelier")
    response = client.get(reverse("events:list"), query)
    assert response.status_code == 200
    assert "<script>" not in html(response)


def test_a_bad_filter_is_reported_and_ignored(client, make_event):
    make_event("Atelier")
    response = client.get(reverse("events:list"), {"du": "demain"})
    assert titles(response) == ["Atelier"]
    assert "Some filters are not understood" in html(response)


def test_the_list_is_paginated_by_20(client, make_event):
    for i in range(25):
        make_event(f"Atelier {i:02}", start=at(24, 8) + dt.timedelta(hours=i))
    first = client.get(reverse("events:list"))
    assert len(titles(first)) == 20
    assert 'rel="next"' in html(first)
    second = client.get(reverse("events:list"), {"page": 2})
    assert titles(second) == [f"Atelier {i:02}" for i in range(20, 25)]


def test_list_query_count_is_constant(client, make_event, django_assert_max_num_queries):
    def fill(n: int) -> None:
        for i in range(n):
            event = make_event(
                f"Atelier {Event.objects.count()}", tags=["Numérique", f"t{i}"],
                registration_open=True, capacity=10,
            )  # fmt: skip
            registrations.register(event=event, name="Ana", email=f"ana{event.pk}@example.org")

    fill(5)
    with django_assert_max_num_queries(8) as small:
        assert client.get(reverse("events:list")).status_code == 200
    fill(25)
    with django_assert_max_num_queries(8) as large:
        assert client.get(reverse("events:list")).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_seats_left_and_full_with_waiting_list(client, make_event):
    open_event = make_event("Places", registration_open=True, capacity=10)
    full = make_event("Complet", registration_open=True, capacity=1)
    closed_list = make_event(
        "Complet sans liste", registration_open=True, capacity=1, waitlist_enabled=False
    )
    Registration.objects.create(
        event=open_event, name="A", email="a@example.org", seats=3, status="confirmed"
    )
    Registration.objects.create(event=full, name="B", email="b@example.org", status="confirmed")
    Registration.objects.create(
        event=closed_list, name="C", email="c@example.org", status="offered"
    )
    response = client.get(reverse("events:list"))
    left = {e.title: e.seats_left_shown for e in response.context["events"]}
    assert left == {"Places": 7, "Complet": 0, "Complet sans liste": 0}
    page = html(response)
    assert "7 seats left" in page
    assert "Full — waiting list" in page
    assert page.count("Full") >= 2


def test_the_list_links_its_feeds(client):
    page = html(client.get(reverse("events:list")))
    assert '<link rel="alternate" type="application/rss+xml"' in page
    assert f'href="{reverse("events:all_rss")}"' in page
    assert f'href="{reverse("events:all_atom")}"' in page
    assert f'href="{reverse("events:all_ics")}"' in page


def test_the_main_menu_links_the_events(client):
    assert f'href="{reverse("events:list")}"' in html(client.get("/"))


# Tag, place, network ----------------------------------------------------------------------------


def test_tag_page(client, make_event):
    make_event("Atelier jardin", tags=["Jardin"])
    make_event("Atelier vélo", tags=["Vélo"])
    response = client.get(reverse("events:tag", args=["jardin"]))
    assert titles(response) == ["Atelier jardin"]
    assert reverse("events:tag_rss", args=["jardin"]) in html(response)
    assert client.get(reverse("events:tag", args=["inconnu"])).status_code == 404


def test_place_events_upcoming_and_past(client, make_event, place_a, place_b, manager_b):
    make_event("À venir")
    make_event("Passé", start=at(10, 10), end=at(10, 12))
    make_event("Ailleurs", place=place_b, by=manager_b)
    url = reverse("events:place_events", args=[place_a.slug])
    upcoming = client.get(url)
    assert titles(upcoming) == ["À venir"]
    assert reverse("events:place_ics", args=[place_a.slug]) in html(upcoming)
    assert titles(client.get(url, {"passe": "1"})) == ["Passé"]
    assert client.get(reverse("events:place_events", args=["nowhere"])).status_code == 404


def test_place_events_show_drafts_to_its_managers_only(
    client_for, make_event, place_a, manager_a, manager_b, member_a
):
    make_event("Brouillon", status=Event.Status.DRAFT)
    url = reverse("events:place_events", args=[place_a.slug])
    page = html(client_for(manager_a).get(url))
    assert "Brouillon" in page
    assert reverse("events:create", args=[place_a.slug]) in page
    for person in (None, member_a, manager_b):
        page = html(client_for(person).get(url))
        assert "Brouillon" not in page
        assert reverse("events:create", args=[place_a.slug]) not in page


def test_network_events_include_its_places_and_its_own(
    client_for, make_event, network, coordinator, place_b, manager_b
):
    make_event("Au Quai")
    make_event("À Strasbourg", place=place_b, by=manager_b)
    services.event_create(
        event=Event(
            network=network, title="Rencontre du réseau", start=at(25, 10), end=at(25, 17),
            status="published",
        ),
        by=coordinator,
    )  # fmt: skip
    url = reverse("events:network_events", args=[network.slug])
    response = client_for(None).get(url)
    assert titles(response) == ["Au Quai", "Rencontre du réseau"]
    assert reverse("events:network_create", args=[network.slug]) not in html(response)
    page = html(client_for(coordinator).get(url))
    assert reverse("events:network_create", args=[network.slug]) in page


# An event's page --------------------------------------------------------------------------------


def test_event_page_for_a_visitor(client, make_event, place_a, room):
    event = make_event(
        "Repair café", summary="On répare ensemble", description="Venez **nombreux**",
        tags=["Réparation"], room=room, price_mode="prix-conseille", price_amount=5,
        accessibility="Plain-pied", location="Cour arrière", online_url="https://visio.example.org/x",
    )  # fmt: skip
    response = client.get(event.get_absolute_url())
    assert response.status_code == 200
    page = html(response)
    assert "<h1>Repair café</h1>" in page
    assert "<strong>nombreux</strong>" in page
    assert "Tuesday 24 March 2026, 18:00" in page
    assert "Salle des machines" in page and "Cour arrière" in page
    assert "Suggested price: 5 €" in page
    assert "Plain-pied" in page
    assert reverse("events:tag", args=["reparation"]) in page
    assert reverse("events:event_ics", args=[event.slug]) in page
    assert "https://visio.example.org/x" in page
    # no organiser's link for a visitor
    assert reverse("events:edit", args=[event.slug]) not in page
    assert reverse("events:attendees", args=[event.slug]) not in page


def test_event_page_carries_the_json_ld_in_the_head(client, make_event, monkeypatch):
    from django.utils.safestring import mark_safe

    from tiers.events import jsonld

    monkeypatch.setattr(
        jsonld, "event_jsonld",
        lambda event, request: mark_safe('<script type="application/ld+json">{"x":1}</script>'),
    )  # fmt: skip
    event = make_event()
    page = html(client.get(event.get_absolute_url()))
    head = page.split("</head>")[0]
    assert '<script type="application/ld+json">{"x":1}</script>' in head


def test_a_draft_is_not_found_by_visitors_nor_other_managers(
    client_for, make_event, member_a, manager_a, manager_b, coordinator, admin
):
    event = make_event("Brouillon", status=Event.Status.DRAFT)
    for person in (None, member_a, manager_b, coordinator):
        assert client_for(person).get(event.get_absolute_url()).status_code == 404
        url = reverse("events:programme", args=[event.slug])
        assert client_for(person).get(url).status_code == 404
    for person in (manager_a, admin):
        response = client_for(person).get(event.get_absolute_url())
        assert response.status_code == 200
        assert "only the organisers see this event" in html(response)


def test_cancelled_event_shows_the_reason(client, make_event, manager_a):
    event = make_event("Atelier", registration_open=True, capacity=5)
    services.event_cancel(event=event, by=manager_a, reason="La salle est inondée")
    page = html(client.get(event.get_absolute_url()))
    assert "This event is cancelled." in page
    assert "La salle est inondée" in page
    assert f'href="{reverse("events:register", args=[event.slug])}"' not in page


def test_organiser_links_on_the_event_page(client_for, make_event, manager_a, admin, coordinator):
    event = make_event("Atelier", registration_open=True, capacity=5)
    for person in (manager_a, admin):
        page = html(client_for(person).get(event.get_absolute_url()))
        for name in ("edit", "cancel", "session_create", "attendees", "message", "festival_submit"):
            assert reverse(f"events:{name}", args=[event.slug]) in page, name
    # the network's coordinator does not run a place's events
    page = html(client_for(coordinator).get(event.get_absolute_url()))
    assert reverse("events:edit", args=[event.slug]) not in page


def test_registration_box_states(client, make_event, clock_at):
    no_registration = make_event("Sans inscription")
    assert "just come" in html(client.get(no_registration.get_absolute_url()))

    later = make_event(
        "Plus tard", registration_open=True, capacity=5, registration_opens_at=at(23, 12)
    )
    page = html(client.get(later.get_absolute_url()))
    assert "Registration opens on Monday 23 March 2026, 12:00" in page
    assert f'href="{reverse("events:register", args=[later.slug])}"' not in page

    open_event = make_event("Ouvert", registration_open=True, capacity=5)
    page = html(client.get(open_event.get_absolute_url()))
    assert "5 seats left" in page
    assert reverse("events:register", args=[open_event.slug]) in page

    Registration.objects.create(
        event=open_event, name="A", email="a@example.org", seats=5, status="confirmed"
    )
    page = html(client.get(open_event.get_absolute_url()))
    assert "Join the waiting list" in page

    clock_at.set(at(24, 18, 30))
    page = html(client.get(open_event.get_absolute_url()))
    assert "Registration is closed." in page
    assert f'href="{reverse("events:register", args=[open_event.slug])}"' not in page


def test_a_registrant_sees_their_registration(client_for, make_event, member_a, client):
    event = make_event("Atelier", registration_open=True, capacity=5)
    mine = registrations.register(
        event=event, name="Member A", email="x@example.org", user=member_a
    )
    page = html(client_for(member_a).get(event.get_absolute_url()))
    assert "You are registered:" in page
    assert mine.get_manage_url() in page
    # someone else does not
    assert mine.get_manage_url() not in html(client.get(event.get_absolute_url()))


def test_an_email_only_registrant_is_recognised_by_the_link_they_opened(client, make_event):
    event = make_event("Atelier", registration_open=True, capacity=5)
    mine = registrations.register(event=event, name="Ana", email="ana@example.org")
    session = client.session
    session["event_tokens"] = [mine.token]
    session.save()
    assert mine.get_manage_url() in html(client.get(event.get_absolute_url()))


def test_series_page_shows_the_next_dates(client, make_event, manager_a, place_a):
    result = services.series_create(
        event=Event(place=place_a, title="Jardinage", start=at(24, 18), end=at(24, 20),
                    status="published"),
        by=manager_a, frequency="weekly", count=4,
    )  # fmt: skip
    page = html(client.get(result.created[0].get_absolute_url()))
    assert "repeats every week" in page
    for other in result.created[1:]:
        assert other.get_absolute_url() in page


def test_rides_summary_and_festival_link(client, make_event, network):
    festival = Festival.objects.create(
        network=network, name="Quinzaine", slug="quinzaine", start_date=dt.date(2026, 3, 20),
        end_date=dt.date(2026, 4, 5),
    )  # fmt: skip
    event = make_event("Atelier", rides_enabled=True)
    Event.objects.filter(pk=event.pk).update(festival=festival, festival_state="accepted")
    page = html(client.get(event.get_absolute_url()))
    assert reverse("events:rides", args=[event.slug]) in page
    assert festival.get_absolute_url() in page
    Event.objects.filter(pk=event.pk).update(festival_state="pending", rides_enabled=False)
    page = html(client.get(event.get_absolute_url()))
    assert festival.get_absolute_url() not in page
    assert reverse("events:rides", args=[event.slug]) not in page


def test_unknown_event_is_404(client):
    assert client.get(reverse("events:detail", args=["nope"])).status_code == 404


# Home page and place page -----------------------------------------------------------------------


def test_home_page_shows_the_next_events(client, make_event):
    for i in range(10):
        make_event(f"Atelier {i}", start=at(24, 8) + dt.timedelta(hours=i))
    make_event("Brouillon", status=Event.Status.DRAFT)
    page = html(client.get("/"))
    assert "Upcoming events" in page
    assert "Atelier 0" in page and "Atelier 7" in page
    assert "Atelier 8" not in page and "Brouillon" not in page
    assert reverse("events:list") in page


def test_home_page_query_count_with_events(client, make_event, django_assert_max_num_queries):
    for i in range(10):
        make_event(f"Atelier {i}", registration_open=True, capacity=3)
    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200


def test_place_page_shows_its_next_events(client_for, make_event, place_a, manager_a, member_a):
    for i in range(7):
        make_event(f"Atelier {i}", start=at(24, 8) + dt.timedelta(hours=i))
    page = html(client_for(member_a).get(place_a.get_absolute_url()))
    assert "Atelier 4" in page and "Atelier 5" not in page
    assert reverse("events:place_events", args=[place_a.slug]) in page
    assert reverse("events:place_ics", args=[place_a.slug]) in page
    assert reverse("events:create", args=[place_a.slug]) not in page
    page = html(client_for(manager_a).get(place_a.get_absolute_url()))
    assert reverse("events:create", args=[place_a.slug]) in page
