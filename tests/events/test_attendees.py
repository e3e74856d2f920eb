"""The organisers' tools: the attendee list (check-in at the door, cancel, move first), the
CSV, the sign-in sheet, adding someone, writing to everyone. Organisers of the event only."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse

from tiers.events import registrations
from tiers.events.models import Registration

from .conftest import at

pytestmark = pytest.mark.django_db

ORGANISER_PAGES = ["attendees", "attendees_csv", "attendees_print", "attendee_add", "message"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def event(make_event):
    return make_event(
        "Repair café",
        registration_open=True,
        capacity=3,
        questions=[{"label": "Diet", "required": False}],
    )


@pytest.fixture
def filled(event, make_user):
    people = [make_user(n) for n in ("Alice Martin", "Bob Durand", "Chloe Petit", "Dan Roux")]
    rows = [
        registrations.register(
            event=event, name=p.display_name, email=p.email, user=p, answers={"Diet": "vegan"}
        )
        for p in people
    ]
    pending = registrations.register(event=event, name="Eve Pending", email="eve@example.org")
    return rows, pending


@pytest.mark.parametrize("name", ORGANISER_PAGES)
def test_only_the_event_organisers(
    client, client_for, event, manager_a, manager_b, member_a, coordinator, name
):
    url = reverse(f"events:{name}", args=[event.slug])
    assert client.get(url).status_code == 302  # to the login page
    assert client_for(manager_b).get(url).status_code == 403
    assert client_for(member_a).get(url).status_code == 403
    assert client_for(manager_a).get(url).status_code == 200


def test_a_draft_is_404_for_others(client_for, make_event, manager_a, manager_b):
    draft = make_event(status="draft", registration_open=True)
    assert (
        client_for(manager_b).get(reverse("events:attendees", args=[draft.slug])).status_code == 404
    )
    assert (
        client_for(manager_a).get(reverse("events:attendees", args=[draft.slug])).status_code == 200
    )


def test_other_organisers_cannot_act_nor_write(client_for, manager_b, event, filled):
    (alice, *_rest), _pending = filled
    client = client_for(manager_b)
    for action in ("present", "annuler"):
        url = reverse("events:attendee_action", args=[event.slug, alice.pk, action])
        assert client.post(url).status_code == 403
    response = client.post(
        reverse("events:message", args=[event.slug]),
        {"audience": "all", "subject": "Hi", "body": "Spam"},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("events:attendee_add", args=[event.slug]),
        {"name": "X", "email": "x@example.org", "seats": 1},
    )
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.status == "confirmed" and alice.checked_in_at is None
    assert Registration.objects.filter(email="x@example.org").count() == 0
    assert not mail.outbox


def test_an_action_on_another_events_registration_is_404(client_for, manager_a, make_event, filled):
    (alice, *_rest), _pending = filled
    other = make_event("Other", registration_open=True)
    url = reverse("events:attendee_action", args=[other.slug, alice.pk, "annuler"])
    assert client_for(manager_a).post(url).status_code == 404
    url = reverse("events:attendee_action", args=[alice.event.slug, alice.pk, "effacer"])
    assert client_for(manager_a).post(url).status_code == 404


def test_the_list_shows_each_group_and_the_totals(
    client_for, manager_a, event, filled, django_assert_max_num_queries
):
    rows, pending = filled
    client = client_for(manager_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("events:attendees", args=[event.slug]))
    page = response.content.decode()
    for person in rows:
        assert person.name in page
    assert "3 of 3 places" in page
    assert "Eve Pending" not in page  # unconfirmed: only counted
    assert response.context["unconfirmed"] == [pending]
    assert [r.name for r in response.context["waitlisted"]] == ["Dan Roux"]
    assert response.context["waitlisted"][0].position == 1
    assert "vegan" in page
    # a search for the door
    found = client.get(reverse("events:attendees", args=[event.slug]), {"q": "chlo"})
    assert [r.name for r in found.context["registered"]] == ["Chloe Petit"]


def test_query_count_does_not_grow_with_registrants(
    client_for, manager_a, make_event, make_user, django_assert_max_num_queries
):
    event = make_event(registration_open=True)
    for i in range(30):
        registrations.register(event=event, name=f"P{i}", email=f"p{i}@example.org",
                               added_by=manager_a)  # fmt: skip
    client = client_for(manager_a)
    client.get(reverse("events:attendees", args=[event.slug]))  # the session is written once
    for name in ("attendees", "attendees_csv", "attendees_print"):
        with django_assert_max_num_queries(10):
            client.get(reverse(f"events:{name}", args=[event.slug]))


def test_check_in_at_the_door(client_for, manager_a, event, filled, clock_at):
    (alice, *_rest), _pending = filled
    client = client_for(manager_a)
    clock_at.set(at(24, 17, 55))
    url = reverse("events:attendee_action", args=[event.slug, alice.pk, "present"])
    response = client.post(url, {"q": "ali"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?q=ali#r-{alice.pk}")
    alice.refresh_from_db()
    assert alice.checked_in_at == at(24, 17, 55)
    page = client.get(reverse("events:attendees", args=[event.slug])).content.decode()
    assert "Here (at 17:55)" in page
    client.post(reverse("events:attendee_action", args=[event.slug, alice.pk, "absent"]))
    alice.refresh_from_db()
    assert alice.checked_in_at is None


def test_only_registered_people_are_checked_in(client_for, manager_a, event, filled):
    rows, _pending = filled
    dan = rows[3]
    response = client_for(manager_a).post(
        reverse("events:attendee_action", args=[event.slug, dan.pk, "present"]), follow=True
    )
    assert "Only registered people can be checked in." in response.content.decode()
    dan.refresh_from_db()
    assert dan.checked_in_at is None


def test_organiser_cancels_and_the_next_is_offered(
    client_for, manager_a, event, filled, django_capture_on_commit_callbacks
):
    (alice, _bob, _chloe, dan), _pending = filled
    with django_capture_on_commit_callbacks(execute=True):
        client_for(manager_a).post(
            reverse("events:attendee_action", args=[event.slug, alice.pk, "annuler"])
        )
    alice.refresh_from_db()
    dan.refresh_from_db()
    assert alice.status == "cancelled"
    assert dan.status == "offered"
    assert [m.to for m in mail.outbox] == [[alice.email], [dan.email]]


def test_csv_export(client_for, manager_a, event, make_user):
    registrations.register(
        event=event, name="=HYPERLINK(\"http://evil\")", email="evil@example.org",
        answers={"Diet": "+cmd|' /C calc'!A0"}, added_by=manager_a,
    )  # fmt: skip
    registrations.register(event=event, name="Zoé, \"la\" Grande", email="zoe@example.org",
                           seats=2, added_by=manager_a)  # fmt: skip
    response = client_for(manager_a).get(reverse("events:attendees_csv", args=[event.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    header = rows[0]
    assert header[:7] == ["Name", "E-mail", "Places", "Status", "Registered at",
                          "Position on the waiting list", "Came"]  # fmt: skip
    assert header[-1] == "Diet"
    by_email = {row[1]: row for row in rows[1:]}
    evil = by_email["evil@example.org"]
    assert evil[0] == '\'=HYPERLINK("http://evil")'
    assert evil[-1] == "'+cmd|' /C calc'!A0"
    assert by_email["zoe@example.org"][0] == 'Zoé, "la" Grande'
    assert by_email["zoe@example.org"][2] == "2"
    assert by_email["zoe@example.org"][4] == "2026-03-23 08:00"  # the event's clock


def test_print_sheet(client_for, manager_a, event, filled):
    response = client_for(manager_a).get(reverse("events:attendees_print", args=[event.slug]))
    page = response.content.decode()
    assert "@media print" in page
    assert "Alice Martin" in page and "Signature" in page
    assert page.index("Alice Martin") < page.index("Bob Durand") < page.index("Chloe Petit")


def test_organiser_adds_someone(client_for, manager_a, event, django_capture_on_commit_callbacks):
    client = client_for(manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("events:attendee_add", args=[event.slug]),
            {"name": "Mme Durand", "email": "Durand@Example.org", "seats": 2},
        )
    assert response.status_code == 302
    added = Registration.objects.get()
    assert added.status == "confirmed"
    assert added.added_by == manager_a
    assert added.email == "durand@example.org"
    assert mail.outbox[0].to == ["durand@example.org"]
    assert added.get_manage_url() in mail.outbox[0].body
    # full: the organiser is told to add places first; nothing written
    response = client.post(
        reverse("events:attendee_add", args=[event.slug]),
        {"name": "M. Roux", "email": "roux@example.org", "seats": 2},
    )
    assert response.status_code == 200
    assert "add seats to the event first" in response.content.decode()
    assert Registration.objects.count() == 1
    # the same address twice
    response = client.post(
        reverse("events:attendee_add", args=[event.slug]),
        {"name": "Again", "email": "durand@example.org", "seats": 1},
    )
    assert "already registered" in response.context["form"].errors["email"][0]


def test_message_to_the_registrants(
    client_for, manager_a, event, filled, django_capture_on_commit_callbacks
):
    rows, _pending = filled
    client = client_for(manager_a)
    page = client.get(reverse("events:message", args=[event.slug])).content.decode()
    assert "Registered people (3 people)" in page
    assert "(1 person)" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("events:message", args=[event.slug]),
            {"audience": "registered", "subject": "Bring a mug", "body": "<b>Hello</b>\nSee you"},
        )
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in rows[:3])
    message = next(m for m in mail.outbox if m.to == [rows[0].email])
    assert message.subject == "[Repair café] Bring a mug"
    assert "<b>Hello</b>\nSee you" in message.body  # plain text, as written
    assert rows[0].get_manage_url() in message.body
    assert message.reply_to == [manager_a.email]
    assert "Eve" not in "".join(m.to[0] for m in mail.outbox)


def test_message_needs_a_subject_and_a_body(client_for, manager_a, event, filled):
    response = client_for(manager_a).post(
        reverse("events:message", args=[event.slug]),
        {"audience": "everybody", "subject": "", "body": ""},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"audience", "subject", "body"}
    assert not mail.outbox
