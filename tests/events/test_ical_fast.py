"""The events' calendars are written as text (RFC 5545) without the `icalendar` library's
components: the same text as the library wrote (compared byte for byte with a calendar built
by the library from `vevent()`), the same values once read back, and the format's rules (CRLF,
TEXT escaping, folding at 75 octets never inside a character).
(Its speed is measured by `bench/events_run.py`: `festival_ics_cold`.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import icalendar
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tiers.events import feeds, ical, services
from tiers.events.models import Event

from .conftest import NOW, at

pytestmark = pytest.mark.django_db

LONG_LINE = "Une ligne très longue, avec des virgules; des points-virgules \\ et des accents. " * 4
EMOJI = "🎉🚲🌱" * 30
TAGS = ["réparation", "vélo, cargo", "a;b\\c"]


def library_calendar(
    events: Iterable[Event],
    name: str,
    *,
    tz: str,
    method: str = "",
    stamp: dt.datetime | None = None,
) -> bytes:
    """The calendar as the `icalendar` library wrote it before (the reference)."""
    cal = icalendar.Calendar()
    cal.add("prodid", ical.PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz)
    cal.add("refresh-interval", ical.REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for event in events:
        cal.add_component(ical.vevent(event, stamp=stamp))
    return cal.to_ical()


def values(component) -> dict[str, object]:
    """Every property of a VEVENT, decoded (categories as a list of names; date-times to the
    second and line breaks as `\n`, as they are written)."""
    found: dict[str, object] = {}
    for name in component:
        if name == "CATEGORIES":
            found[name] = [str(category) for category in component[name].cats]
        else:
            value = component.decoded(name)
            if isinstance(value, dt.datetime):
                value = value.replace(microsecond=0)
            elif isinstance(value, str):
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            found[name] = value
    return found


def physical_lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    lines = body[:-2].split(b"\r\n")
    # CRLF only: no bare CR or LF anywhere
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    return lines


def assert_well_formed(body: bytes) -> None:
    for line in physical_lines(body):
        assert len(line) <= 75, line
        line.decode("utf-8")  # strict: folding never splits a character


@pytest.fixture
def tricky(make_event, manager_a, coordinator, network, place_a, room) -> list[Event]:
    """Events whose texts hold everything that needs escaping or folding."""
    place_a.name = "Le Quai, tiers-lieu; \\ Redon"
    place_a.address = "2 quai Duguay-Trouin"
    place_a.save()
    made = [
        make_event("Repair café", tags=["réparation"], summary="On répare."),
        make_event(
            "Café, réunion; C:\\dossier \\ fin \\",
            summary="Résumé : « accents », virgules, points-virgules; antislash \\.",
            description=f"Ligne 1\nLigne 2\r\nLigne 3\rLigne 4\n\n{LONG_LINE}\n{EMOJI}",
            location="12, rue de la Paix; bâtiment B \\ porte 3\nau fond",
            tags=TAGS,
            start=at(25, 10),
        ),
        make_event("Émoji " + EMOJI[:60], description="é" * 300, room=room, start=at(25, 14)),
        make_event(
            "Atelier en ligne",
            online_url="https://visio.example/salle?x=1,2;3&y=é",
            location="",
            start=at(26, 18),
        ),
        make_event(
            "Soirée du réseau",
            place=None,
            network=network,
            by=coordinator,
            online_url="https://visio.example/reseau",
            start=at(27, 18),
        ),
        # the escapes fall at the ends of folded lines
        *(make_event("x" * offset + ",;\\" * 60, start=at(28, 8 + offset)) for offset in range(4)),
        # multi-byte characters at every offset from the fold
        *(make_event("a" * offset + "é€🎉" * 40, start=at(29, 8 + offset)) for offset in range(4)),
        make_event("Soirée jeux", tags=["jeux"], start=at(30, 18)),
    ]
    services.event_cancel(
        event=made[-1], by=manager_a, reason="Salle inondée, désolés; \\ à bientôt"
    )
    return list(
        feeds.for_feed(Event.objects.filter(pk__in=[e.pk for e in made])).order_by("start", "pk")
    )


def test_same_text_as_the_library(tricky, settings):
    settings.SITE_URL = "https://tiers.example/"
    body = ical.calendar(tricky, "Événements, Le Quai; tout", tz="Europe/Paris")
    assert body == library_calendar(tricky, "Événements, Le Quai; tout", tz="Europe/Paris")


def test_same_values_as_vevent(tricky):
    body = ical.calendar(tricky, "Le Quai")
    parsed = icalendar.Calendar.from_ical(body).walk("VEVENT")
    reference = icalendar.Calendar.from_ical(library_calendar(tricky, "Le Quai", tz="UTC"))
    assert [str(v["uid"]) for v in parsed] == [ical.event_uid(e) for e in tricky]
    for event, component, written in zip(tricky, parsed, reference.walk("VEVENT"), strict=True):
        read = values(component)
        assert read == values(ical.vevent(event))
        assert read == values(written)
        for name in (
            "summary", "description", "location", "url", "uid", "dtstart", "dtend", "status",
            "sequence", "categories",
        ):  # fmt: skip
            if name in ("location",) and event.network_id is not None:
                continue
            assert name.upper() in read, (event.title, name)
        assert read["DTSTART"] == event.start and read["DTEND"] == event.end
        assert read["DTSTART"].utcoffset() == dt.timedelta(0)
        assert read["URL"] == ical.event_url(event)
    by_title = {e.title: values(c) for e, c in zip(tricky, parsed, strict=True)}
    assert by_title["Café, réunion; C:\\dossier \\ fin \\"]["SUMMARY"] == (
        "Café, réunion; C:\\dossier \\ fin \\"
    )
    description = by_title["Café, réunion; C:\\dossier \\ fin \\"]["DESCRIPTION"]
    assert description.startswith("Résumé : « accents », virgules, points-virgules; antislash \\.")
    assert f"Ligne 1\nLigne 2\nLigne 3\nLigne 4\n\n{LONG_LINE}\n{EMOJI}" in description
    assert by_title["Café, réunion; C:\\dossier \\ fin \\"]["CATEGORIES"] == [
        "Workshop",
        *sorted(TAGS),
    ]
    cancelled = by_title["Soirée jeux"]
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled["SUMMARY"] == "Cancelled: Soirée jeux"
    assert "Salle inondée, désolés; \\ à bientôt" in cancelled["DESCRIPTION"]
    assert cancelled["SEQUENCE"] >= 1
    assert cancelled["CATEGORIES"] == ["Workshop", "jeux"]
    assert (
        by_title["Repair café"]["LOCATION"]
        == "Le Quai, tiers-lieu; \\ Redon, 2 quai Duguay-Trouin, 35600 Redon"
    )
    assert by_title["Repair café"]["X-TIERS-ORGANISER"] == "Le Quai, tiers-lieu; \\ Redon"
    assert by_title["Soirée du réseau"]["X-TIERS-ORGANISER"] == "Réseau Ouest"


def test_lines_crlf_folded_at_75_octets_never_inside_a_character(tricky):
    body = ical.calendar(tricky, "Le Quai " + EMOJI, tz="Europe/Paris")
    assert_well_formed(body)
    lines = physical_lines(body)
    assert max(len(line) for line in lines) == 75  # long lines are folded, and only them
    continued = [line for line in lines if line.startswith(b" ")]
    assert continued
    # the folds fall inside multi-byte text: each piece is still whole UTF-8
    assert any(len(line.decode()) < len(line) for line in continued)


def test_event_ics_is_the_same_file_as_before(make_event, clock_at):
    event = make_event("Café, réunion; tout \\ le monde", tags=TAGS)
    body = ical.event_ics(event)
    assert body == library_calendar(
        [event], event.title, tz=event.time_zone, method="PUBLISH", stamp=clock_at.now()
    )
    assert_well_formed(body)
    cal = icalendar.Calendar.from_ical(body)
    assert str(cal["method"]) == "PUBLISH"
    (component,) = cal.walk("VEVENT")
    assert component.decoded("dtstamp") == NOW
    assert str(component["summary"]) == "Café, réunion; tout \\ le monde"


def test_event_ics_in_the_asked_language(make_event, manager_a):
    event = make_event("Soirée")
    services.event_cancel(event=event, by=manager_a, reason="Pluie")
    event.refresh_from_db()
    (component,) = icalendar.Calendar.from_ical(ical.event_ics(event, language="fr")).walk("VEVENT")
    assert str(component["summary"]) != "Cancelled: Soirée"
    assert str(component["summary"]).endswith("Soirée")


def test_a_backslash_before_n_stays_as_written(make_event):
    """The library turned a written `\\N` into a line break ("C:\\Nouveau" lost its
    backslash and its N); the writer escapes the backslash, as RFC 5545 says."""
    event = make_event("C:\\Nouveau dossier", description="C:\\New\\n")
    body = ical.calendar([event], "Le Quai")
    assert b"SUMMARY:C:\\\\Nouveau dossier\r\n" in body
    (component,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(component["summary"]) == "C:\\Nouveau dossier"
    assert str(component["description"]).startswith("C:\\New\\n\n\n")


def test_x_properties_never_hold_a_line_break(make_event):
    """The library refused them (an AssertionError); the writer writes them `\\n`."""
    event = make_event()
    body = ical.calendar([event], "Deux\nlignes\r\net trois\rfin", tz="Europe/Paris")
    assert b"X-WR-CALNAME:Deux\\nlignes\\net trois\\nfin\r\n" in body
    assert_well_formed(body)
    assert icalendar.Calendar.from_ical(body).walk("VEVENT")


def test_empty_calendar(settings):
    settings.TIME_ZONE = "Europe/Paris"
    body = ical.calendar([], "Rien")
    assert body == library_calendar([], "Rien", tz="Europe/Paris")
    assert body.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith(b"END:VCALENDAR\r\n")


# The pieces of the writer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("a,b;c\\d", "a\\,b\\;c\\\\d"),
        ("one\ntwo\r\nthree\rfour", "one\\ntwo\\nthree\\nfour"),
        ("C:\\New", "C:\\\\New"),
        ("deux-points: pas échappés", "deux-points: pas échappés"),
    ],
)
def test_text_escaping(value, expected):
    assert ical._text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("DURATION", "DURATION"),
        ("a:b", '"a:b"'),
        ("a;b", '"a;b"'),
        ("a,b", '"a,b"'),
        ('a"b', "a'b"),
    ],
)
def test_parameter_quoting(value, expected):
    assert ical._param(value) == expected


def test_datetimes_and_durations():
    moment = dt.datetime(2026, 3, 24, 18, 5, 9, 123456, tzinfo=dt.UTC)
    assert ical._datetime(moment) == "20260324T180509Z"
    assert ical._duration(dt.timedelta(hours=1)) == "PT1H"
    assert ical._duration(dt.timedelta(days=1, minutes=30)) == "P1DT30M"
    assert ical._duration(dt.timedelta(hours=1, seconds=5)) == "PT1H0M5S"
    assert ical._duration(-dt.timedelta(days=2)) == "-P2D"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x" * 74, b"x" * 74),
        ("x" * 75, b"x" * 74 + b"\r\n x"),
        ("x" * 148, b"x" * 74 + b"\r\n " + b"x" * 74),
        ("x" * 73 + "é", b"x" * 73 + b"\r\n \xc3\xa9"),
        ("x" * 72 + "é", ("x" * 72 + "é").encode()),
        ("x" * 71 + "🎉x", b"x" * 71 + b"\r\n \xf0\x9f\x8e\x89x"),
        ("x" * 73 + "\\,y", b"x" * 73 + b"\r\n \\,y"),  # an escape stays with what it escapes
    ],
)
def test_folding(line, expected):
    assert ical._fold(line) == expected


TEXTS = st.text(
    alphabet=st.one_of(
        st.sampled_from(list('ab ,;:\\\n\r"^Néè€🎉')),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=400,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
@example("\\" * 200)
@example("é" * 37 + "\\," * 40)
def test_any_text_is_written_as_the_library_writes_it(text):
    """Any text, as a TEXT property: the library's line (where it does not read `\\N` as a
    line break) and the same text read back."""
    line = ical._fold("SUMMARY:" + ical._text(text))
    assert_well_formed(line + b"\r\n")
    if "\\N" not in text:
        component = icalendar.Event()
        component.add("summary", text)
        assert line + b"\r\n" == component.to_ical().split(b"\r\n", 1)[1].rsplit(b"END:", 1)[0]
    read = icalendar.Event.from_ical(b"BEGIN:VEVENT\r\n" + line + b"\r\nEND:VEVENT\r\n")
    assert str(read["summary"]) == text.replace("\r\n", "\n").replace("\r", "\n")
