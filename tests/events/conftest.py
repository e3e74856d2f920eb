"""Events fixtures: a fixed clock (Monday 23 March 2026, 08:00 in Paris), a room of place A,
and `make_event` that creates a published event through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tiers.bookings import services as booking_services
from tiers.bookings.models import Resource
from tiers.events import clock, services
from tiers.events.models import Event

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 23, 8, 0, tzinfo=PARIS)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    """A wall-clock time in Paris, in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


class Clock:
    """The time the services see; tests move it with `clock.set(...)`."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment


@pytest.fixture(autouse=True)
def clock_at(monkeypatch) -> Clock:
    fixed = Clock(NOW)
    monkeypatch.setattr(clock, "now", fixed.now)
    monkeypatch.setattr(booking_services, "now", fixed.now)
    return fixed


@pytest.fixture
def english_client_for(client_for):
    """Test clients speaking English (the site's default is French)."""

    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def room(db, place_a) -> Resource:
    return Resource.objects.create(
        place=place_a, name="Salle des machines", slug="salle", kind=Resource.Kind.MEETING_ROOM,
        capacity=1,
    )  # fmt: skip


@pytest.fixture
def make_event(db, manager_a) -> Callable[..., Event]:
    """A published event of place A, Tuesday 24 March 2026 18:00 to 20:00 unless told."""

    def make(title: str = "Repair café", *, by=None, tags=(), **fields) -> Event:
        fields.setdefault("place", manager_a.memberships.first().place)
        fields.setdefault("start", at(24, 18))
        fields.setdefault("end", fields["start"] + dt.timedelta(hours=2))
        fields.setdefault("status", Event.Status.PUBLISHED)
        return services.event_create(
            event=Event(title=title, **fields), by=by or manager_a, tags=tags
        )

    return make
