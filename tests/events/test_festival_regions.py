"""Regions from postcodes (the festival programme groups and filters by region)."""

from __future__ import annotations

import pytest

from tiers.places import regions
from tiers.places.models import Place


def test_the_101_departments_in_18_regions():
    assert len(regions.DEPARTMENTS) == 101
    assert len(regions.REGIONS) == 18
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(regions.DEPARTMENTS)
    assert "20" not in regions.DEPARTMENTS and "975" not in regions.DEPARTMENTS


@pytest.mark.parametrize(
    ("postcode", "department", "region"),
    [
        ("35600", "35", "Bretagne"),
        ("75011", "75", "Île-de-France"),
        ("01000", "01", "Auvergne-Rhône-Alpes"),
        ("67000", "67", "Grand Est"),
        ("20000", "2A", "Corse"),
        ("20190", "2A", "Corse"),
        ("20200", "2B", "Corse"),
        ("20600", "2B", "Corse"),
        ("97110", "971", "Guadeloupe"),
        ("97200", "972", "Martinique"),
        ("97300", "973", "Guyane"),
        ("97400", "974", "La Réunion"),
        ("97600", "976", "Mayotte"),
        ("97500", "", ""),  # Saint-Pierre-et-Miquelon: not a department
        ("98000", "", ""),
        ("", "", ""),
        ("3560", "", ""),
        ("ABCDE", "", ""),
        (" 35 600 ", "35", "Bretagne"),
    ],
)
def test_region_of(postcode, department, region):
    assert regions.department_of(postcode) == department
    assert regions.region_of(postcode) == region


def test_the_sql_expression_agrees_with_python(make_place):
    codes = ["35600", "75011", "20000", "20200", "97110", "97600", "97500", "67000", "13001"]
    for n, code in enumerate(codes):
        make_place(f"Lieu {n}", postcode=code)
    rows = Place.objects.annotate(region=regions.region_expression("postcode")).values_list(
        "postcode", "region"
    )
    assert {code: region for code, region in rows} == {
        code: regions.region_of(code) for code in codes
    }
