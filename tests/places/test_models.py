from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tiers.places.models import validate_legal_id


@pytest.mark.parametrize(
    "value",
    [
        "73282932000074",
        "732 829 320 00074",
        "732829320",
        "W751234567",
        "w123456789",
        "35600000000048",
    ],
)
def test_valid_legal_ids(value):
    validate_legal_id(value)


@pytest.mark.parametrize(
    "value", ["73282932000075", "1234", "W12345", "ABCDEFGHIJKLMN", "732829321"]
)
def test_invalid_legal_ids(value):
    with pytest.raises(ValidationError):
        validate_legal_id(value)


def test_search_text_is_kept_up_to_date(make_place):
    place = make_place("Médiathèque", town="Saint-Étienne")
    assert "mediatheque" in place.search_text and "saint-etienne" in place.search_text
    place.name = "Atelier Œuvre"
    place.save(update_fields=["name"])
    place.refresh_from_db()
    assert "atelier oeuvre" in place.search_text
