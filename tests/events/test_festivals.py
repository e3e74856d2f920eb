"""Festivals of a network: coordinators create and run them, the network's places submit
their events, the coordinators approve them, and the public reads the programme."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.events.conftest import at
from tiers.events import festivals
from tiers.events.errors import EventError
from tiers.events.models import Event, Festival


@pytest.fixture
def client_for(english_client_for):
    return english_client_for


@pytest.fixture
def client(client_for):
    return client_for(None)


@pytest.fixture
def festival(db, network, coordinator) -> Festival:
    return festivals.festival_save(
        festival=Festival(
            network=network, name="Quinzaine des tiers-lieux", theme="Faire ensemble",
            start_date=dt.date(2026, 3, 23), end_date=dt.date(2026, 3, 29),
            requires_approval=True,
        ),
        by=coordinator,
    )  # fmt: skip


def festival_page(client, festival, **params):
    return client.get(reverse("events:festival", args=[festival.slug]), params)


# Creating and editing ---------------------------------------------------------------------------


def test_a_coordinator_creates_a_festival(client_for, coordinator, network):
    response = client_for(coordinator).post(
        reverse("events:festival_create", args=[network.slug]),
        {
            "name": "Fête des tiers-lieux", "theme": "Réparer", "description": "**Bienvenue**",
            "start_date": "2026-09-14", "end_date": "2026-09-27", "requires_approval": "on",
            "is_published": "on",
        },
    )  # fmt: skip
    festival = Festival.objects.get()
    assert response.status_code == 302
    assert response["Location"] == festival.get_absolute_url()
    assert festival.network == network
    assert festival.slug == "fete-des-tiers-lieux-2026"
    assert festival.requires_approval and festival.is_published
    page = client_for(coordinator).get(festival.get_absolute_url())
    assert "<strong>Bienvenue</strong>" in page.content.decode()


@pytest.mark.parametrize("persona", ["manager_a", "manager_b", "member_a"])
def test_only_coordinators_create_festivals(request, client_for, network, persona):
    user = request.getfixturevalue(persona)
    url = reverse("events:festival_create", args=[network.slug])
    assert client_for(user).get(url).status_code == 403
    response = client_for(user).post(
        url, {"name": "X", "start_date": "2026-09-14", "end_date": "2026-09-15"}
    )
    assert response.status_code == 403
    assert not Festival.objects.exists()


def test_a_visitor_is_sent_to_log_in(client, network):
    response = client.get(reverse("events:festival_create", args=[network.slug]))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "connexion" in response["Location"]


def test_the_last_day_before_the_first_is_a_clear_error(client_for, coordinator, network):
    response = client_for(coordinator).post(
        reverse("events:festival_create", args=[network.slug]),
        {"name": "Fête", "start_date": "2026-09-14", "end_date": "2026-09-10"},
    )
    assert response.status_code == 200
    assert "The last day must be on or after the first day." in response.content.decode()
    assert 'aria-describedby="id_end_date_error"' in response.content.decode()
    assert not Festival.objects.exists()


def test_a_festival_lasts_at_most_three_months(client_for, coordinator, network):
    response = client_for(coordinator).post(
        reverse("events:festival_create", args=[network.slug]),
        {"name": "Fête", "start_date": "2026-01-01", "end_date": "2026-12-31"},
    )
    assert "A festival lasts at most three months." in response.content.decode()
    assert not Festival.objects.exists()


def test_a_coordinator_edits_the_festival(client_for, coordinator, festival):
    response = client_for(coordinator).post(
        reverse("events:festival_edit", args=[festival.slug]),
        {
            "name": "Quinzaine 2026", "theme": "", "description": "",
            "start_date": "2026-03-23", "end_date": "2026-03-30", "is_published": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302
    festival.refresh_from_db()
    assert festival.name == "Quinzaine 2026"
    assert festival.end_date == dt.date(2026, 3, 30)
    assert not festival.requires_approval
    assert festival.slug == "quinzaine-des-tiers-lieux-2026"  # the address does not change


@pytest.mark.parametrize("persona", ["manager_a", "manager_b", None])
def test_others_cannot_edit_the_festival(request, client_for, festival, persona):
    user = request.getfixturevalue(persona) if persona else None
    response = client_for(user).post(
        reverse("events:festival_edit", args=[festival.slug]),
        {"name": "Pwned", "start_date": "2026-03-23", "end_date": "2026-03-30"},
    )
    assert response.status_code in (302, 403)
    if user is not None:
        assert response.status_code == 403
    festival.refresh_from_db()
    assert festival.name == "Quinzaine des tiers-lieux"


def test_the_service_refuses_a_non_coordinator(manager_a, network):
    with pytest.raises(EventError) as info:
        festivals.festival_save(
            festival=Festival(
                network=network, name="X", start_date=dt.date(2026, 4, 1),
                end_date=dt.date(2026, 4, 2),
            ),
            by=manager_a,
        )  # fmt: skip
    assert info.value.code == "not_allowed"


# Submitting and approving ---------------------------------------------------------------------


def test_a_manager_of_a_network_place_submits_and_waits_for_approval(
    client_for, manager_a, coordinator, festival, make_event
):
    event = make_event("Atelier soudure")
    url = reverse("events:festival_submit", args=[event.slug])
    page = client_for(manager_a).get(url)
    assert page.status_code == 200
    assert festival.name in page.content.decode()
    response = client_for(manager_a).post(url, {"festival": festival.pk}, follow=True)
    event.refresh_from_db()
    assert event.festival == festival
    assert event.festival_state == Event.FestivalState.PENDING
    assert "the coordinators will decide" in response.content.decode()
    assert "Waiting for the coordinators" in response.content.decode()
    # not in the programme, nor in its feed, until accepted
    assert "Atelier soudure" not in festival_page(client_for(None), festival).content.decode()
    queue = client_for(coordinator).get(reverse("events:festival_queue", args=[festival.slug]))
    assert "Atelier soudure" in queue.content.decode()
    response = client_for(coordinator).post(
        reverse("events:festival_queue", args=[festival.slug]),
        {"event": event.pk, "decision": "accept"},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.festival_state == Event.FestivalState.ACCEPTED
    page = festival_page(client_for(None), festival).content.decode()
    assert "Atelier soudure" in page
    status = client_for(manager_a).get(url).content.decode()
    assert "In the programme" in status


def test_without_approval_the_event_enters_the_programme_at_once(
    client_for, manager_a, festival, make_event
):
    Festival.objects.filter(pk=festival.pk).update(requires_approval=False)
    event = make_event("Repair café")
    client_for(manager_a).post(
        reverse("events:festival_submit", args=[event.slug]), {"festival": festival.pk}
    )
    event.refresh_from_db()
    assert event.festival_state == Event.FestivalState.ACCEPTED
    assert "Repair café" in festival_page(client_for(None), festival).content.decode()


def test_a_refused_event_stays_out_of_the_programme(
    client_for, coordinator, festival, make_event, manager_a
):
    event = make_event("Soirée jeux")
    festivals.festival_submit(event=event, festival=festival, by=manager_a)
    client_for(coordinator).post(
        reverse("events:festival_queue", args=[festival.slug]),
        {"event": event.pk, "decision": "refuse"},
    )
    event.refresh_from_db()
    assert event.festival_state == Event.FestivalState.REFUSED
    assert "Soirée jeux" not in festival_page(client_for(None), festival).content.decode()
    refused = client_for(coordinator).get(
        reverse("events:festival_queue", args=[festival.slug]), {"etat": "refuses"}
    )
    assert "Soirée jeux" in refused.content.decode()


def test_a_manager_of_a_place_outside_the_network_is_refused(
    client_for, manager_b, place_b, festival, make_event
):
    event = make_event("Atelier Strasbourg", place=place_b, by=manager_b)
    url = reverse("events:festival_submit", args=[event.slug])
    page = client_for(manager_b).get(url).content.decode()
    assert "No festival of this event" in page
    response = client_for(manager_b).post(url, {"festival": festival.pk})
    assert response.status_code == 200
    assert "Choose one of the festivals listed." in response.content.decode()
    event.refresh_from_db()
    assert event.festival is None
    # and the service itself says why
    with pytest.raises(EventError) as info:
        festivals.festival_submit(event=event, festival=festival, by=manager_b)
    assert info.value.code == "not_in_network"


def test_manager_b_cannot_submit_a_event_of_place_a(client_for, manager_b, festival, make_event):
    event = make_event("Atelier")
    response = client_for(manager_b).post(
        reverse("events:festival_submit", args=[event.slug]), {"festival": festival.pk}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.festival is None


def test_a_submission_outside_the_festival_days_is_refused(
    client_for, manager_a, festival, make_event
):
    event = make_event("Trop tard", start=at(2, 18, month=4))
    response = client_for(manager_a).post(
        reverse("events:festival_submit", args=[event.slug]), {"festival": festival.pk}
    )
    assert response.status_code == 200
    assert "The event must take place during the festival" in response.content.decode()
    event.refresh_from_db()
    assert event.festival is None


def test_an_unpublished_festival_takes_no_events(manager_a, festival, make_event):
    Festival.objects.filter(pk=festival.pk).update(is_published=False)
    festival.refresh_from_db()
    event = make_event()
    with pytest.raises(EventError) as info:
        festivals.festival_submit(event=event, festival=festival, by=manager_a)
    assert info.value.code == "closed"


@pytest.mark.parametrize("persona", ["manager_a", "manager_b", "member_a"])
def test_only_coordinators_see_the_queue(request, client_for, festival, persona, make_event):
    user = request.getfixturevalue(persona)
    event = make_event()
    festivals.festival_submit(event=event, festival=festival, by=event.created_by)
    url = reverse("events:festival_queue", args=[festival.slug])
    assert client_for(user).get(url).status_code == 403
    response = client_for(user).post(url, {"event": event.pk, "decision": "accept"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.festival_state == Event.FestivalState.PENDING


def test_the_queue_only_decides_on_this_festivals_events(
    client_for, coordinator, festival, make_event
):
    other = make_event("Ailleurs")  # in no festival
    response = client_for(coordinator).post(
        reverse("events:festival_queue", args=[festival.slug]),
        {"event": other.pk, "decision": "accept"},
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.festival_state == Event.FestivalState.NONE


@pytest.mark.parametrize(
    "data", [{}, {"event": "abc", "decision": "accept"}, {"event": 1, "decision": "x"}]
)
def test_a_malformed_decision_changes_nothing(client_for, coordinator, festival, data):
    response = client_for(coordinator).post(
        reverse("events:festival_queue", args=[festival.slug]), data, follow=True
    )
    assert response.status_code == 200
    assert "This decision is not understood." in response.content.decode()


# Visibility -------------------------------------------------------------------------------------


def test_an_unpublished_festival_is_seen_by_its_coordinators_only(
    client_for, coordinator, manager_a, festival
):
    Festival.objects.filter(pk=festival.pk).update(is_published=False)
    assert festival_page(client_for(None), festival).status_code == 404
    assert festival_page(client_for(manager_a), festival).status_code == 404
    assert festival_page(client_for(coordinator), festival).status_code == 200
    listing = client_for(None).get(reverse("events:festivals")).content.decode()
    assert festival.name not in listing
    assert (
        festival.name in client_for(coordinator).get(reverse("events:festivals")).content.decode()
    )
    assert (
        client_for(None).get(reverse("events:festival_ics", args=[festival.slug])).status_code
        == 404
    )


def test_the_list_sorts_current_upcoming_and_past(client, network, coordinator, festival):
    for name, start, end in [
        ("Fête passée", dt.date(2025, 9, 1), dt.date(2025, 9, 10)),
        ("Fête à venir", dt.date(2026, 9, 1), dt.date(2026, 9, 10)),
    ]:
        festivals.festival_save(
            festival=Festival(network=network, name=name, start_date=start, end_date=end),
            by=coordinator,
        )
    page = client.get(reverse("events:festivals")).content.decode()
    now, coming, past = page.index("Happening now"), page.index("Coming"), page.index("Past")
    assert now < page.index("Quinzaine des tiers-lieux") < coming
    assert coming < page.index("Fête à venir") < past < page.index("Fête passée")


def test_the_coordinator_finds_the_create_link_on_the_list(client_for, coordinator, network):
    page = client_for(coordinator).get(reverse("events:festivals")).content.decode()
    assert reverse("events:festival_create", args=[network.slug]) in page


def test_user_text_is_escaped(client_for, coordinator, network):
    festival = festivals.festival_save(
        festival=Festival(
            network=network, name="<script>alert(1)</script>", theme="<img src=x onerror=alert(1)>",
            description="<script>alert(2)</script> [x](javascript:alert(3))",
            start_date=dt.date(2026, 3, 23), end_date=dt.date(2026, 3, 24),
        ),
        by=coordinator,
    )  # fmt: skip
    page = client_for(None).get(festival.get_absolute_url()).content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
