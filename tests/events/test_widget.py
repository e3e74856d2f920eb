"""The embeddable widget: a small page of a place's next events that any site may frame,
and the script that inserts it as an iframe."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.events.conftest import at
from tiers.events.models import Event


@pytest.fixture
def client(english_client_for):
    return english_client_for(None)


def widget(client, slug="le-quai", **params):
    return client.get(reverse("events:widget", args=[slug]), params)


def test_the_widget_lists_the_next_events(client, make_event, place_a, place_b, manager_b):
    event = make_event("Repair café")
    make_event("Passé", start=at(20, 10))
    make_event("Brouillon", start=at(25, 10), status=Event.Status.DRAFT)
    make_event("Ailleurs", place=place_b, by=manager_b)
    response = widget(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Repair café" in html
    for hidden in ("Passé", "Brouillon", "Ailleurs"):
        assert hidden not in html
    links = re.findall(r'<a href="([^"]+)" target="_top">', html)
    assert f"http://127.0.0.1:8000{event.get_absolute_url()}" in links
    assert all(link.startswith("http://127.0.0.1:8000/") for link in links)
    assert 'target="_top"' in html
    assert "Tuesday 24 March 2026, 18:00" in html
    assert "<script" not in html
    assert "base.html" not in html and "site-header" not in html  # its own small page


def test_any_site_may_frame_the_widget(client, place_a):
    response = widget(client)
    assert "X-Frame-Options" not in response
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors *" in csp
    assert "frame-ancestors 'none'" not in csp
    assert "script-src 'none'" in csp
    # every other page keeps the site's protections
    other = client.get(reverse("events:festivals"))
    assert other["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("n", "shown"),
    [(None, 5), ("1", 1), ("3", 3), ("0", 1), ("-4", 1), ("50", 20), ("abc", 5), ("", 5)],
)
def test_how_many_events(client, make_event, place_a, n, shown):
    for day in range(24, 31):
        for hour in (9, 12, 15):
            make_event(f"Atelier {day}-{hour}", start=at(day, hour))
    params = {} if n is None else {"n": n}
    html = widget(client, **params).content.decode()
    assert html.count("<li>") == shown


def test_an_unknown_place_is_404(client, db):
    assert widget(client, "nulle-part").status_code == 404
    assert client.get(reverse("events:widget_js", args=["nulle-part"])).status_code == 404


def test_the_help_shows_the_snippets(client, place_a):
    html = widget(client, aide="1").content.decode()
    assert "Embed on your website" in html
    assert '&lt;iframe src="http://127.0.0.1:8000/lieux/le-quai/evenements/widget/"' in html
    assert "/lieux/le-quai/evenements/widget.js" in html
    assert "Embed on your website" not in widget(client).content.decode()


def test_the_script_inserts_an_iframe(client, place_a):
    place_a.name = 'Le "Quai" </script>'
    place_a.save()
    response = client.get(reverse("events:widget_js", args=[place_a.slug]), {"n": "3"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    body = response.content.decode()
    assert "document.currentScript" in body
    assert 'document.createElement("iframe")' in body
    assert '"http://127.0.0.1:8000/lieux/le-quai/evenements/widget/?n=3"' in body
    assert "frame.title = " in body
    assert "</script>" not in body
    assert '\\"Quai\\"' in body


def test_a_hostile_title_in_the_widget_is_escaped(client, make_event, place_a):
    make_event("<script>alert(1)</script>")
    html = widget(client).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
