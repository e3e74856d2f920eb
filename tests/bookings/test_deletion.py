"""Deleting a place takes its resources, qualifications and bookings with it; a qualification
that a resource still requires cannot be deleted on its own."""

from __future__ import annotations

import pytest
from django.db.models import RestrictedError

from tests.bookings.conftest import at
from tiers.bookings.models import Booking, Qualification, Resource
from tiers.bookings.services import booking_create
from tiers.places.models import Place


def test_deleting_a_place_deletes_its_machines_and_their_qualification(place_a, make_resource):
    training = Qualification.objects.create(place=place_a, name="Laser")
    make_resource(place_a, "Laser", kind="machine", required_qualification=training)
    place_a.delete()
    assert not Place.objects.exists()
    assert not Resource.objects.exists() and not Qualification.objects.exists()


def test_a_required_qualification_cannot_be_deleted_alone(place_a, make_resource, desk, member_a):
    training = Qualification.objects.create(place=place_a, name="Laser")
    make_resource(place_a, "Laser", kind="machine", required_qualification=training)
    with pytest.raises(RestrictedError):
        training.delete()
    booking_create(resource=desk, user=member_a, start=at(24, 9), end=at(24, 10))
    place_a.delete()
    assert not Booking.objects.exists()
