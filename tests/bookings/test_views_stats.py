"""The occupancy page and its CSV export: who may see them, what they show, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

from tests.bookings.conftest import PARIS, at
from tiers.bookings import views_stats
from tiers.bookings.models import Booking, Closure

PAGE = "/lieux/{slug}/gestion/occupation/"
CSV = "/lieux/{slug}/gestion/occupation.csv"
WEEK_10 = {"debut": "2026-03-02", "fin": "2026-03-08"}
DASH = "\N{EN DASH}"


def book(resource, user, start, end, **fields) -> Booking:
    fields.setdefault("exclusive", resource.is_exclusive)
    return Booking.objects.create(resource=resource, user=user, start=start, end=end, **fields)


@pytest.fixture
def english(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def scenario(desk, pool, member_a, concierge_a, manager_a, place_a):
    """Week 10: the desk 5 h booked (one no-show) and one cancellation; the pool 20 seat-hours;
    Friday closed for the whole place; 2 h of the pool blocked."""
    book(desk, member_a, at(2, 9), at(2, 12))
    book(desk, concierge_a, at(3, 14), at(3, 16), attendance=Booking.Attendance.NO_SHOW)
    book(desk, member_a, at(4, 10), at(4, 11), status=Booking.Status.CANCELLED)
    book(pool, member_a, at(2, 9), at(2, 18), units=2)
    book(pool, concierge_a, at(3, 10), at(3, 12))
    book(pool, manager_a, at(4, 14), at(4, 16), units=5, kind=Booking.Kind.BLOCK)
    Closure.objects.create(place=place_a, start=at(6, 0), end=at(7, 0), reason="Holiday")
    return desk, pool


# Permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("visitor", "login"),
        ("member_a", 403),
        ("concierge_a", 403),
        ("coordinator", 403),
        ("manager_b", 403),
        ("manager_a", 200),
        ("admin", 200),
    ],
)
@pytest.mark.parametrize("url", [PAGE, CSV])
def test_only_the_places_managers_and_admins_see_the_occupancy(
    request, client_for, place_a, desk, persona, expected, url
):
    user = None if persona == "visitor" else request.getfixturevalue(persona)
    response = client_for(user).get(url.format(slug=place_a.slug))
    if expected == "login":
        assert response.status_code == 302
        assert "/compte/connexion/" in response["Location"]
    else:
        assert response.status_code == expected
    if expected != 200:
        assert b"Desk 1" not in response.content


def test_a_manager_of_b_sees_b_not_a(client_for, place_b, manager_b, make_resource):
    make_resource(place_b, "Laser cutter")
    response = client_for(manager_b).get(PAGE.format(slug=place_b.slug))
    assert response.status_code == 200
    assert "Laser cutter" in response.content.decode()


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_an_unknown_place_is_not_found(client_for, manager_a, url):
    assert client_for(manager_a).get(url.format(slug="nowhere")).status_code == 404


# The page -----------------------------------------------------------------------------------


def test_the_page_shows_the_weekly_figures(english, manager_a, place_a, scenario):
    response = english(manager_a).get(PAGE.format(slug=place_a.slug), WEEK_10)
    assert response.status_code == 200
    html = response.content.decode()
    result = response.context["result"]
    desk_item, pool_item = result.resources
    assert desk_item.resource.name == "Desk 1"
    desk_week = desk_item.weeks[0]
    assert (desk_week.open_hours, desk_week.booked_hours, str(desk_week.occupancy)) == (
        36, 5, "13.9"
    )  # fmt: skip
    assert (desk_week.no_shows, desk_week.cancelled) == (1, 1)
    pool_week = pool_item.weeks[0]
    assert (pool_week.open_hours, pool_week.blocked_hours, pool_week.booked_hours) == (170, 10, 20)
    # the tables say it too, each with a caption and header cells
    assert "<caption>Desk 1, week by week</caption>" in html
    assert "<caption>Occupancy by resource" in html
    row = re.search(r"<tr><th scope=\"row\">Desk 1</th>(.*?)</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r"<td class=\"num\">(.*?)</td>", row.group(1))
    assert cells == ["36", "5", "13.9 %", "2", "1", "1", "0"]
    assert '<th scope="col" class="num">No-shows</th>' in html
    assert f"Week 10 (2 Mar {DASH} 8 Mar)" in html


def test_bookings_kept_during_a_closure_are_shown_apart(english, manager_a, place_a, scenario):
    desk, _pool = scenario
    book(desk, manager_a, at(6, 10), at(6, 12, 30))  # Friday, closed since
    client = english(manager_a)
    response = client.get(PAGE.format(slug=place_a.slug), WEEK_10)
    html = response.content.decode()
    assert "2.50 booked hours fall outside the open time" in html
    assert "Also 2.50 hours booked outside the open time, not counted." in html
    assert response.context["result"].resources[0].total.occupancy == Decimal("13.9")
    response = client.get(CSV.format(slug=place_a.slug), WEEK_10)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["Hours booked outside the open time"] == "2.50"
    assert rows[0]["Booked hours"] == "5.00"


def test_the_default_period_is_the_last_four_weeks(english, manager_a, place_a, desk):
    response = english(manager_a).get(PAGE.format(slug=place_a.slug))
    result = response.context["result"]
    assert [w.label for w in result.weeks] == ["2026-W09", "2026-W10", "2026-W11", "2026-W12"]
    assert "From Feb. 23, 2026 to March 22, 2026" in response.content.decode()


def test_filter_by_resource(english, manager_a, place_a, scenario):
    _desk, pool = scenario
    response = english(manager_a).get(
        PAGE.format(slug=place_a.slug), {**WEEK_10, "ressource": pool.slug}
    )
    result = response.context["result"]
    assert [item.resource for item in result.resources] == [pool]
    assert result.total.booked_hours == 20
    html = response.content.decode()
    assert '<option value="open-space" selected>' in html
    assert "Desk 1, week by week" not in html
    assert f"occupation.csv?debut=2026-03-02&amp;fin=2026-03-08&amp;ressource={pool.slug}" in html


def heatmap_svg(html: str) -> str:
    match = re.search(
        r"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\".*?</svg>", html, re.S
    )
    assert match is not None
    return match.group(0)


def test_the_heatmap_is_an_accessible_svg_with_a_table_after_it(
    english, manager_a, place_a, scenario
):
    html = english(manager_a).get(PAGE.format(slug=place_a.slug), WEEK_10).content.decode()
    svg = heatmap_svg(html)
    assert 'aria-labelledby="heatmap-title heatmap-desc"' in svg
    assert '<title id="heatmap-title">Average occupancy by weekday and hour, all resources' in svg
    # Monday 09:00: desk 1 h + pool 2 seats of 5 = 3 of 6 seat-hours
    assert f"<title>Monday 09:00{DASH}10:00: 50 %</title>" in svg
    assert f"<title>Tuesday 14:00{DASH}15:00: 17 %</title>" in svg  # the no-show: 1 of 6
    assert f"<title>Friday 09:00{DASH}10:00: closed</title>" in svg  # the whole place closed
    assert f"<title>Saturday 09:00{DASH}10:00: closed</title>" in svg
    assert f"Busiest: Monday 09:00{DASH}10:00, 50 %." in svg
    # the value printed in the cell, with a text colour readable on its fill
    assert re.search(r'fill="#41b6c4"[^>]*/>\s*<text[^>]*fill="#1d2327">50 %</text>', svg)
    # only the open hours are drawn
    assert "08:00" not in svg and ">17:00<" in svg and ">18:00<" not in svg
    # the table fallback, right after the figure
    after = html.split("</figure>", 1)[1]
    assert after.lstrip().startswith('<details class="occupancy-details">')
    table = after.split("</details>", 1)[0]
    assert '<th scope="col" class="num">Monday</th>' in table
    assert f'<th scope="row">09:00{DASH}10:00</th><td class="num">50 %</td>' in table


def test_the_heatmap_escapes_names(english, manager_a, place_a, make_resource, member_a):
    evil = make_resource(place_a, '<script>alert("x")</script> & co', slug="evil")
    book(evil, member_a, at(2, 9), at(2, 10))
    response = english(manager_a).get(
        PAGE.format(slug=place_a.slug), {**WEEK_10, "ressource": "evil"}
    )
    html = response.content.decode()
    assert "<script>alert" not in html
    svg = heatmap_svg(html)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in svg


def test_a_place_without_resources(english, manager_a, place_a):
    response = english(manager_a).get(PAGE.format(slug=place_a.slug))
    assert response.status_code == 200
    assert "This place has no bookable resource yet." in response.content.decode()


def test_the_scale_is_readable():
    """Every step's text colour has a contrast of at least 4.5:1 on its fill (WCAG AA), and
    the steps get darker as the occupancy grows (readable without telling hues apart)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        high, low = sorted([luminance(a), luminance(b)], reverse=True)
        return (high + 0.05) / (low + 0.05)

    for _lowest, fill, ink in views_stats.SCALE:
        assert contrast(fill, ink) >= 4.5, fill
    fills = [luminance(fill) for _lowest, fill, _ink in views_stats.SCALE]
    assert fills == sorted(fills, reverse=True)


# CSV ----------------------------------------------------------------------------------------


def test_csv_export(english, manager_a, place_a, scenario):
    response = english(manager_a).get(CSV.format(slug=place_a.slug), WEEK_10)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="occupation-le-quai-2026-03-02-2026-03-08.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        [
            "Resource", "Short name", "Kind of resource", "Capacity", "ISO week", "From", "To",
            "Open hours", "Booked hours", "Occupancy (%)", "Bookings", "No-shows",
            "Cancellations", "Blocked hours", "Hours booked outside the open time",
        ],
        [
            "Desk 1", "desk-1", "Desk", "1", "2026-W10", "2026-03-02", "2026-03-08",
            "36.00", "5.00", "13.9", "2", "1", "1", "0.00", "0.00",
        ],
        [
            "Open space", "open-space", "Pool of desks (open space)", "5", "2026-W10",
            "2026-03-02", "2026-03-08", "170.00", "20.00", "11.8", "2", "0", "0", "10.00", "0.00",
        ],
    ]  # fmt: skip


def test_csv_has_a_row_per_resource_and_week(english, manager_a, place_a, scenario):
    desk, _pool = scenario
    response = english(manager_a).get(
        CSV.format(slug=place_a.slug),
        {"debut": "2026-03-04", "fin": "2026-03-17", "ressource": desk.slug},
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["ISO week"], r["From"], r["To"], r["Open hours"]) for r in rows] == [
        ("2026-W10", "2026-03-04", "2026-03-08", "18.00"),  # Wednesday, Thursday; Friday closed
        ("2026-W11", "2026-03-09", "2026-03-15", "45.00"),
        ("2026-W12", "2026-03-16", "2026-03-17", "18.00"),
    ]
    assert rows[0]["Cancellations"] == "1"
    assert "-desk-1.csv" in response["Content-Disposition"]


def test_csv_leaves_the_occupancy_empty_when_nothing_was_open(english, manager_a, place_a, desk):
    response = english(manager_a).get(
        CSV.format(slug=place_a.slug), {"debut": "2026-03-07", "fin": "2026-03-08"}
    )
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (row["Open hours"], row["Occupancy (%)"]) == ("0.00", "")


def test_csv_cells_are_not_formulas(english, manager_a, place_a, make_resource):
    make_resource(place_a, "=HYPERLINK(1)", slug="formula")
    response = english(manager_a).get(CSV.format(slug=place_a.slug), WEEK_10)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_csv_in_french_keeps_dots_and_commas(client_for, manager_a, place_a, scenario):
    response = client_for(manager_a).get(CSV.format(slug=place_a.slug), WEEK_10)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][7:10] == ["36.00", "5.00", "13.9"]
    assert all(len(row) == 15 for row in rows)


# Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"debut": "yesterday", "fin": "2026-03-08"}, "Enter a date like 2026-03-02."),
        ({"debut": "2026-02-30", "fin": "2026-03-08"}, "Enter a date like 2026-03-02."),
        ({"debut": "2026-03-02", "fin": "2026-13-45"}, "Enter a date like 2026-03-29."),
        ({"debut": "2026-03-02", "fin": "99999-01-01"}, "Enter a date like 2026-03-29."),
        ({"debut": "2026-03-08", "fin": "2026-03-02"}, "must not be before its start"),
        ({"debut": "9999-12-31"}, "between the years 2000 and 2100"),
        ({"debut": "2026-01-01", "fin": "9999-12-31"}, "between the years 2000 and 2100"),
        ({"debut": "0001-01-01", "fin": "2026-01-01"}, "between the years 2000 and 2100"),
        ({"debut": "2025-01-01", "fin": "2026-06-30"}, "one year at most"),
        ({"ressource": "nothing-like-this"}, "This place has no such resource."),
        ({"debut": "2026-03-02\x00"}, "Enter a date like 2026-03-02."),
    ],
)
def test_bad_parameters_get_a_clear_message(english, manager_a, place_a, desk, params, message):
    client = english(manager_a)
    response = client.get(PAGE.format(slug=place_a.slug), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert response.context["result"] is None
    response = client.get(CSV.format(slug=place_a.slug), params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()


def test_another_places_resource_is_not_a_choice(english, manager_a, place_a, place_b, desk):
    from tiers.bookings.models import Resource

    Resource.objects.create(place=place_b, name="Theirs", slug="theirs")
    response = english(manager_a).get(PAGE.format(slug=place_a.slug), {"ressource": "theirs"})
    assert response.status_code == 400
    assert "This place has no such resource." in response.content.decode()


def test_a_whole_year(english, manager_a, place_a, desk):
    response = english(manager_a).get(
        PAGE.format(slug=place_a.slug), {"debut": "2026-01-01", "fin": "2026-12-31"}
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.weeks[0].label == "2026-W01" and result.weeks[-1].label == "2026-W53"
    # 261 weekdays in 2026, 9 hours each
    assert result.total.open_hours == 261 * 9


# Cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_queries_do_not_grow_with_resources_and_bookings(
    client_for, manager_a, place_a, make_resource, member_a, django_assert_max_num_queries, url
):
    resources = [
        make_resource(place_a, f"Desk {n}", capacity=1 + n % 4, opening_hours="Mo-Sa 08:00-20:00")
        for n in range(40)
    ]
    Closure.objects.create(place=place_a, start=at(4, 0), end=at(5, 0))
    Closure.objects.create(place=place_a, resource=resources[0], start=at(5, 8), end=at(5, 12))
    rows = []
    for resource in resources:
        for day in range(23, 23 + 28):
            start = dt.datetime(2026, 2, 1, 9, tzinfo=PARIS) + dt.timedelta(days=day)
            rows.append(
                Booking(
                    resource=resource, user=member_a, start=start,
                    end=start + dt.timedelta(hours=3), exclusive=resource.is_exclusive,
                    attendance="no_show" if day % 5 == 0 else "",
                )
            )  # fmt: skip
    Booking.objects.bulk_create(rows)
    client = client_for(manager_a)
    # session, user, place, manager check, resources, closures, bookings
    with django_assert_max_num_queries(7):
        response = client.get(url.format(slug=place_a.slug))
    assert response.status_code == 200
    with django_assert_max_num_queries(7):
        response = client.get(url.format(slug=place_a.slug), {"ressource": "desk-3"})
    assert response.status_code == 200
