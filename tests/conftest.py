"""Shared fixtures: the places and the personas every permission test is written against.

visitor      anonymous
member_a     an active member (occasional user) of place A
concierge_a  an active resident of A with the concierge role
manager_a    a manager of place A
manager_b    a manager of place B (must never touch A)
coordinator  a coordinator of the network that A belongs to
admin        a site administrator
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.text import slugify

from tiers.accounts.models import User
from tiers.places.models import Membership, Network, Place
from tiers.places.services import place_set_kinds

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = {"n": 0}

    def make(name: str = "", *, verified: bool = True, **fields) -> User:
        counter["n"] += 1
        name = name or f"Person {counter['n']}"
        email = fields.pop("email", f"{name.lower().replace(' ', '.')}{counter['n']}@example.org")
        user = User.objects.create_user(
            email=email,
            password=PASSWORD,
            display_name=name,
            email_verified_at=timezone.now() if verified else None,
            **fields,
        )
        return user

    return make


@pytest.fixture
def make_place(db) -> Callable[..., Place]:
    def make(name: str, *, kinds: list[str] | None = None, **fields) -> Place:
        fields.setdefault("slug", slugify(name))
        fields.setdefault("town", "Redon")
        fields.setdefault("postcode", "35600")
        place = Place.objects.create(name=name, **fields)
        place_set_kinds(place=place, kinds=kinds or ["coworking"])
        return place

    return make


def _member(user: User, place: Place, **fields) -> Membership:
    fields.setdefault("state", Membership.State.ACTIVE)
    fields.setdefault("status", Membership.Status.USER)
    return Membership.objects.create(
        user=user, place=place, started_on=timezone.localdate(), **fields
    )


@pytest.fixture
def place_a(make_place) -> Place:
    return make_place(
        "Le Quai", kinds=["coworking"], latitude=47.6519, longitude=-2.084,
        opening_hours="Mo-Fr 09:00-18:00",
    )  # fmt: skip


@pytest.fixture
def place_b(make_place) -> Place:
    return make_place(
        "La Fabrique", kinds=["fablab"], town="Strasbourg", postcode="67000",
        latitude=48.5762, longitude=7.7843,
    )  # fmt: skip


@pytest.fixture
def member_a(make_user, place_a) -> User:
    user = make_user("Member A")
    _member(user, place_a)
    return user


@pytest.fixture
def concierge_a(make_user, place_a) -> User:
    user = make_user("Concierge A")
    _member(user, place_a, status=Membership.Status.RESIDENT, is_concierge=True)
    return user


@pytest.fixture
def manager_a(make_user, place_a) -> User:
    user = make_user("Manager A")
    _member(user, place_a, status=Membership.Status.RESIDENT, is_manager=True)
    return user


@pytest.fixture
def manager_b(make_user, place_b) -> User:
    user = make_user("Manager B")
    _member(user, place_b, status=Membership.Status.RESIDENT, is_manager=True)
    return user


@pytest.fixture
def network(place_a) -> Network:
    network = Network.objects.create(name="Réseau Ouest", slug="reseau-ouest")
    network.places.add(place_a)
    return network


@pytest.fixture
def coordinator(make_user, network) -> User:
    user = make_user("Coordinator")
    network.coordinators.add(user)
    return user


@pytest.fixture
def admin(make_user) -> User:
    return make_user("Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def client_for() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
