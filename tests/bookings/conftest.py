"""Bookings fixtures: a fixed clock (Monday 23 March 2026, 08:00 in Paris, the week before
the spring daylight-saving change), a desk and a 5-seat pool of place A (Mo-Fr 09:00-18:00)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tiers.bookings import services
from tiers.bookings.models import Resource
from tiers.places.models import Place

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 23, 8, 0, tzinfo=PARIS)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    """A wall-clock time in Paris, in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> dt.datetime:
    monkeypatch.setattr(services, "now", lambda: NOW)
    return NOW


@pytest.fixture
def make_resource(db) -> Callable[..., Resource]:
    def make(place: Place, name: str = "Desk 1", **fields) -> Resource:
        fields.setdefault("slug", name.lower().replace(" ", "-"))
        return Resource.objects.create(place=place, name=name, **fields)

    return make


@pytest.fixture
def desk(make_resource, place_a) -> Resource:
    return make_resource(place_a, "Desk 1")


@pytest.fixture
def pool(make_resource, place_a) -> Resource:
    return make_resource(place_a, "Open space", kind=Resource.Kind.DESK_POOL, capacity=5)
