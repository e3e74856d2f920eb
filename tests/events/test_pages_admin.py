"""The site administration of events: every model's list and change page answers with data
in it, a registration's secret token is never shown, and only administrators get in."""

from __future__ import annotations

import pytest

from tests.events.conftest import at
from tiers.events import registrations, services
from tiers.events.models import Event, Festival, Registration, Ride, Session, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(make_event, manager_a, network, room):
    event = make_event("Forum", tags=["Numérique"], registration_open=True, capacity=5, room=room)
    services.session_save(
        session=Session(event=event, title="Ouverture", start=at(24, 18), end=at(24, 19)),
        by=manager_a,
    )
    festival = Festival.objects.create(
        network=network, name="Quinzaine", slug="quinzaine", start_date=at(20, 0).date(),
        end_date=at(5, 0, month=4).date(),
    )  # fmt: skip
    registration = registrations.register(event=event, name="Ana", email="ana@example.org")
    ride = Ride.objects.create(
        event=event, kind="offer", user=manager_a, name="M", email="m@example.org",
        from_town="Rennes", departure_at=at(24, 16), seats=3,
    )  # fmt: skip
    return {
        Event: event, Festival: festival, Registration: registration, Ride: ride,
        Tag: Tag.objects.get(),
    }  # fmt: skip


def url(model, suffix: str = "") -> str:
    return f"/admin/events/{model._meta.model_name}/{suffix}"


def test_every_page_answers_for_an_admin(client_for, admin, filled):
    client = client_for(admin)
    for model, obj in filled.items():
        assert client.get(url(model)).status_code == 200, model
        response = client.get(url(model, f"{obj.pk}/change/"))
        assert response.status_code == 200, model
    page = client.get(url(Event, f"{filled[Event].pk}/change/")).content.decode()
    assert "Ouverture" in page  # the sessions inline


def test_the_registration_token_is_never_shown(client_for, admin, filled):
    registration = filled[Registration]
    client = client_for(admin)
    for path in (url(Registration), url(Registration, f"{registration.pk}/change/")):
        assert registration.token not in client.get(path).content.decode()
    assert client.get(url(Registration, "add/")).status_code == 403


def test_only_admins_get_in(client_for, manager_a, coordinator, filled):
    for person in (None, manager_a, coordinator):
        response = client_for(person).get(url(Event))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
