"""The managers' booking pages (`lieux/<slug>/gestion/...`): every page and every write tried
by each persona; what managers do through them; bad input; query counts on the lists.

The clock is Monday 23 March 2026, 08:00 in Paris; place A is open Mo-Fr 09:00-18:00.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.bookings.conftest import at
from tiers.bookings.models import (
    Booking,
    BookingLog,
    Closure,
    CreditEntry,
    CreditPlan,
    Qualification,
    QualificationGrant,
    Resource,
)
from tiers.bookings.services import booking_create
from tiers.places.models import Membership

ALLOWED, FORBIDDEN, LOGIN = "allowed", "forbidden", "login"
PERSONAS = ["visitor", "member_a", "concierge_a", "manager_a", "manager_b", "coordinator", "admin"]
NOT_MANAGERS = ["visitor", "member_a", "concierge_a", "manager_b", "coordinator"]


@pytest.fixture
def client_for(client_for):
    """The conftest's clients, asking for the pages in English (the messages are asserted)."""

    def make(user):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def outcome(response) -> str:
    if response.status_code == 302 and "/compte/connexion/" in response["Location"]:
        return LOGIN
    if response.status_code == 403:
        return FORBIDDEN
    assert response.status_code in (200, 302), response.status_code
    return ALLOWED


def persona_client(request, client_for, name):
    user = None if name == "visitor" else request.getfixturevalue(name)
    return client_for(user)


def errors_of(response) -> dict[str, Any]:
    assert response.status_code == 200, response.status_code
    return response.context["form"].errors


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def base(place) -> str:
    return f"/lieux/{place.slug}/gestion"


def resource_data(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "meeting_room", "name": "Salle Loire", "slug": "", "description": "",
        "capacity": "1", "location": "", "visibility": "members", "opening_hours": "",
        "granularity_minutes": "60", "min_duration_minutes": "60", "max_duration_minutes": "480",
        "max_days_ahead": "90", "min_notice_minutes": "0", "buffer_minutes": "0",
        "cancellation_deadline_hours": "24", "weekly_hours_limit": "", "max_simultaneous": "",
        "required_qualification": "", "credit_plan": "", "allowed_statuses": ["resident", "user"],
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@dataclass
class World:
    """Rows of place A for the pages to show and the writes to try."""

    desk: Resource
    room: Resource  # requires approval
    pending: Booking  # member A's, on the room, tomorrow 10:00-11:00
    pending2: Booking  # member A's, on the room, tomorrow 12:00-13:00
    confirmed: Booking  # member A's, on the desk, tomorrow 14:00-16:00
    started: Booking  # member A's, on the desk, today from 07:00 (already begun)
    closure: Closure
    qualification: Qualification
    grant: QualificationGrant
    plan: CreditPlan


@pytest.fixture
def world(desk, make_resource, place_a, member_a, manager_a) -> World:
    room = make_resource(place_a, "Salle Vilaine", kind="meeting_room", requires_approval=True)
    pending = booking_create(resource=room, user=member_a, start=at(24, 10), end=at(24, 11))
    pending2 = booking_create(resource=room, user=member_a, start=at(24, 12), end=at(24, 13))
    confirmed = booking_create(resource=desk, user=member_a, start=at(24, 14), end=at(24, 16))
    # taken before the clock's "now": written directly, as booking_create refuses the past
    started = Booking.objects.create(
        resource=desk, user=member_a, start=at(23, 7), end=at(23, 9), booked_by=member_a
    )
    closure = Closure.objects.create(
        place=place_a, start=at(6, 0, month=4), end=at(7, 0, month=4), reason="Pâques"
    )
    qualification = Qualification.objects.create(place=place_a, name="Découpe laser")
    grant = QualificationGrant.objects.create(
        qualification=qualification, user=member_a, granted_by=manager_a
    )
    plan = CreditPlan.objects.create(place=place_a, name="Salles", monthly_hours={"resident": 10})
    assert pending.status == Booking.Status.PENDING
    return World(
        desk, room, pending, pending2, confirmed, started, closure, qualification, grant, plan
    )


# ---- every page, every persona


def pages(place, w: World, member) -> dict[str, str]:
    b = base(place)
    return {
        "day": f"{b}/reservations/",
        "book_for": f"{b}/reservations/pour-un-membre/",
        "block": f"{b}/reservations/bloquer/",
        "resources": f"{b}/ressources/",
        "resource_create": f"{b}/ressources/nouvelle/",
        "resource_edit": f"{b}/ressources/{w.desk.pk}/",
        "resource_photo": f"{b}/ressources/{w.desk.pk}/photo/",
        "closures": f"{b}/fermetures/",
        "qualifications": f"{b}/habilitations/",
        "qualification": f"{b}/habilitations/{w.qualification.pk}/",
        "credit_plans": f"{b}/credits/",
        "credit_plan_create": f"{b}/credits/nouveau/",
        "credit_plan": f"{b}/credits/{w.plan.pk}/",
        "credit_plan_edit": f"{b}/credits/{w.plan.pk}/modifier/",
        "credit_ledger": f"{b}/credits/{w.plan.pk}/personnes/{member.pk}/",
    }


def expected_for(persona: str, page: str) -> str:
    if persona == "visitor":
        return LOGIN
    if persona in ("manager_a", "admin"):
        return ALLOWED
    if persona == "concierge_a" and page == "day":
        return ALLOWED
    return FORBIDDEN


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_the_pages(request, client_for, place_a, world, member_a, persona):
    client = persona_client(request, client_for, persona)
    for page, url in pages(place_a, world, member_a).items():
        assert outcome(client.get(url)) == expected_for(persona, page), page


def test_the_pages_of_an_unknown_place_are_404(client_for, manager_a):
    client = client_for(manager_a)
    assert client.get("/lieux/nulle-part/gestion/reservations/").status_code == 404
    assert client.get("/lieux/nulle-part/gestion/ressources/").status_code == 404


def test_the_place_page_links_to_the_bookings_for_its_managers(client_for, place_a, manager_a):
    url = f"{base(place_a)}/reservations/"
    assert url in client_for(manager_a).get(place_a.get_absolute_url()).content.decode()


def test_the_place_page_has_no_bookings_link_for_members(client_for, place_a, member_a):
    url = f"{base(place_a)}/reservations/"
    assert url not in client_for(member_a).get(place_a.get_absolute_url()).content.decode()


# ---- every write, tried by those who may not: nothing is written


@dataclass
class Write:
    url: str
    data: dict[str, Any]
    snapshot: Callable[[], Any]


def writes(place, w: World, member) -> dict[str, Write]:
    b = base(place)

    def booking_state(booking: Booking) -> Callable[[], Any]:
        return lambda: Booking.objects.filter(pk=booking.pk).values_list(
            "status", "attendance", "decision_reason"
        )[0]

    result = {
        "resource_create": Write(
            f"{b}/ressources/nouvelle/", resource_data(), lambda: Resource.objects.count()
        ),
        "resource_edit": Write(
            f"{b}/ressources/{w.desk.pk}/", resource_data(name="Renamed"),
            lambda: Resource.objects.get(pk=w.desk.pk).name,
        ),
        "resource_photo": Write(
            f"{b}/ressources/{w.desk.pk}/photo/",
            {"photo": SimpleUploadedFile("a.png", png_bytes()), "photo_alt": "Desk"},
            lambda: Resource.objects.get(pk=w.desk.pk).photo.name,
        ),
        "resource_active": Write(
            f"{b}/ressources/{w.desk.pk}/activation/", {"is_active": "0"},
            lambda: Resource.objects.get(pk=w.desk.pk).is_active,
        ),
        "closure_add": Write(
            f"{b}/fermetures/",
            {"start_date": "2026-05-01", "start_time": "00:00", "end_date": "2026-05-02",
             "end_time": "00:00", "reason": "Fête"},
            lambda: Closure.objects.count(),
        ),
        "closure_delete": Write(
            f"{b}/fermetures/{w.closure.pk}/supprimer/", {}, lambda: Closure.objects.count()
        ),
        "qualification_add": Write(
            f"{b}/habilitations/", {"name": "Imprimante 3D"}, lambda: Qualification.objects.count()
        ),
        "revoke": Write(
            f"{b}/habilitations/attributions/{w.grant.pk}/retirer/", {},
            lambda: QualificationGrant.objects.count(),
        ),
        "grant": Write(
            f"{b}/habilitations/{w.qualification.pk}/",
            {"user": str(member.pk), "expires_on": "2026-12-31"},
            lambda: list(QualificationGrant.objects.values_list("pk", "expires_on")),
        ),
        "approve": Write(
            f"{b}/reservations/{w.pending.pk}/approuver/", {}, booking_state(w.pending)
        ),
        "decline": Write(
            f"{b}/reservations/{w.pending2.pk}/refuser/", {"reason": "Non"},
            booking_state(w.pending2),
        ),
        "cancel": Write(
            f"{b}/reservations/{w.confirmed.pk}/annuler/", {}, booking_state(w.confirmed)
        ),
        "present": Write(
            f"{b}/reservations/{w.started.pk}/present/", {}, booking_state(w.started)
        ),
        "no_show": Write(f"{b}/reservations/{w.started.pk}/absent/", {}, booking_state(w.started)),
        "book_for": Write(
            f"{b}/reservations/pour-un-membre/",
            {"user": str(member.pk), "resource": str(w.desk.pk), "day": "2026-03-25",
             "start_time": "10:00", "end_time": "11:00", "units": "1", "note": ""},
            lambda: Booking.objects.count(),
        ),
        "block": Write(
            f"{b}/reservations/bloquer/",
            {"resource": str(w.desk.pk), "start_date": "2026-03-26", "start_time": "09:00",
             "end_date": "2026-03-26", "end_time": "12:00", "reason": "Entretien"},
            lambda: Booking.objects.count(),
        ),
        "plan_create": Write(
            f"{b}/credits/nouveau/", {"name": "Bureaux", "hours_resident": "5"},
            lambda: CreditPlan.objects.count(),
        ),
        "plan_edit": Write(
            f"{b}/credits/{w.plan.pk}/modifier/",
            {"name": "Renamed", "hours_resident": "1", "resources": [str(w.room.pk)]},
            lambda: (CreditPlan.objects.get(pk=w.plan.pk).name,
                     Resource.objects.get(pk=w.room.pk).credit_plan_id),
        ),
        "credit_grant": Write(
            f"{b}/credits/{w.plan.pk}/",
            {"user": str(member.pk), "hours": "3", "note": "Bénévolat"},
            lambda: CreditEntry.objects.count(),
        ),
    }  # fmt: skip
    # last, as the desk can no longer be booked after it
    result["resource_active"] = result.pop("resource_active")
    return result


CONCIERGE_WRITES = {"present", "no_show"}


@pytest.mark.parametrize("persona", NOT_MANAGERS)
def test_those_who_may_not_write_nothing(request, client_for, place_a, world, member_a, persona):
    client = persona_client(request, client_for, persona)
    for name, write in writes(place_a, world, member_a).items():
        if persona == "concierge_a" and name in CONCIERGE_WRITES:
            continue
        before = write.snapshot()
        response = client.post(write.url, write.data)
        assert outcome(response) == (LOGIN if persona == "visitor" else FORBIDDEN), name
        assert write.snapshot() == before, name


@pytest.mark.parametrize("persona", ["manager_a", "admin"])
def test_managers_and_admins_write_everything(
    request, client_for, place_a, world, member_a, persona
):
    client = persona_client(request, client_for, persona)
    for name, write in writes(place_a, world, member_a).items():
        before = write.snapshot()
        response = client.post(write.url, write.data)
        assert response.status_code == 302, (name, response.context["form"].errors)
        assert write.snapshot() != before, name


def test_the_concierge_marks_who_came(client_for, place_a, world, concierge_a):
    client = client_for(concierge_a)
    url = f"{base(place_a)}/reservations/{world.started.pk}/present/"
    response = client.post(url, follow=True)
    assert messages_of(response)[0][0] == "success"
    world.started.refresh_from_db()
    assert world.started.attendance == Booking.Attendance.PRESENT
    assert world.started.checked_in_at is not None
    client.post(f"{base(place_a)}/reservations/{world.started.pk}/effacer-presence/")
    world.started.refresh_from_db()
    assert world.started.attendance == ""
    # but the buttons of the managers are not theirs
    page = client.get(f"{base(place_a)}/reservations/?jour=2026-03-24").content.decode()
    assert "/approuver/" not in page and "/annuler/" not in page


def test_a_booking_of_another_place_is_404(client_for, place_a, place_b, make_resource, manager_a):
    other = make_resource(place_b, "Établi")
    booking = Booking.objects.create(resource=other, user=manager_a, start=at(23, 7), end=at(23, 8))
    response = client_for(manager_a).post(f"{base(place_a)}/reservations/{booking.pk}/annuler/")
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_an_unknown_action_is_refused(client_for, place_a, world, manager_a):
    response = client_for(manager_a).post(
        f"{base(place_a)}/reservations/{world.pending.pk}/supprimer/"
    )
    assert response.status_code == 403
    assert Booking.objects.filter(pk=world.pending.pk).exists()


def test_actions_need_a_post(client_for, place_a, world, manager_a):
    response = client_for(manager_a).get(
        f"{base(place_a)}/reservations/{world.pending.pk}/approuver/"
    )
    assert response.status_code == 405
    world.pending.refresh_from_db()
    assert world.pending.status == Booking.Status.PENDING


# ---- resources


def test_a_preset_fills_the_rules(client_for, place_a, manager_a):
    client = client_for(manager_a)
    response = client.get(f"{base(place_a)}/ressources/nouvelle/?modele=machine-habilitation")
    form = response.context["form"]
    assert form["kind"].value() == "machine"
    assert form["granularity_minutes"].value() == 30
    assert form["max_duration_minutes"].value() == 240
    # an unknown preset is ignored
    response = client.get(f"{base(place_a)}/ressources/nouvelle/?modele=<script>")
    assert response.status_code == 200
    assert response.context["preset"] is None


def test_a_manager_adds_a_resource(client_for, place_a, manager_a):
    qualification = Qualification.objects.create(place=place_a, name="Formation")
    response = client_for(manager_a).post(
        f"{base(place_a)}/ressources/nouvelle/",
        resource_data(
            name="Salle Loire (RDC)", required_qualification=str(qualification.pk),
            allowed_statuses=["resident", "public"], requires_approval="on",
        ),
    )  # fmt: skip
    assert response.status_code == 302
    resource = Resource.objects.get(place=place_a)
    assert resource.slug == "salle-loire-rdc"
    assert resource.allowed_statuses == ["resident", "public"]
    assert resource.requires_approval
    assert resource.required_qualification == qualification
    assert (resource.granularity_minutes, resource.min_duration_minutes) == (60, 60)


def test_the_page_groups_the_rules(client_for, place_a, manager_a):
    html = client_for(manager_a).get(f"{base(place_a)}/ressources/nouvelle/").content.decode()
    for title in ["What it is", "When it can be booked", "Rules", "Who may book"]:
        assert f"<h2>{title}</h2>" in html
    assert 'type="checkbox" name="allowed_statuses" value="public"' in html


def test_a_duplicate_slug_is_a_clear_error(client_for, place_a, place_b, make_resource, manager_a):
    make_resource(place_a, "Salle Loire")
    make_resource(place_b, "Établi", slug="etabli")
    client = client_for(manager_a)
    url = f"{base(place_a)}/ressources/nouvelle/"
    # made from the name
    errors = errors_of(client.post(url, resource_data(name="Salle  Loire")))
    assert "salle-loire" in errors["name"][0]
    # typed
    errors = errors_of(client.post(url, resource_data(name="Autre", slug="salle-loire")))
    assert "salle-loire" in errors["slug"][0]
    assert Resource.objects.filter(place=place_a).count() == 1
    # the same short name at another place is fine
    assert client.post(url, resource_data(name="Établi")).status_code == 302
    assert Resource.objects.filter(place=place_a, slug="etabli").exists()


def test_the_service_refuses_a_slug_taken_meanwhile(place_a, make_resource, manager_a):
    from tiers.bookings import services_manage

    make_resource(place_a, "Salle Loire")
    with pytest.raises(services_manage.ManageError) as info:
        services_manage.resource_create(
            place=place_a, by=manager_a, data={"name": "Salle Loire", "slug": ""}
        )
    assert info.value.code == "slug_taken"
    assert Resource.objects.filter(place=place_a).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"min_duration_minutes": "120", "max_duration_minutes": "60"}, "max_duration_minutes"),
        ({"min_duration_minutes": "45"}, "min_duration_minutes"),  # not a multiple of 60
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "99999999999"}, "capacity"),
        ({"granularity_minutes": "7"}, "granularity_minutes"),
        ({"max_days_ahead": "-1"}, "max_days_ahead"),
        ({"opening_hours": "Mo-Fr 25:00-99:00"}, "opening_hours"),
        ({"allowed_statuses": ["king"]}, "allowed_statuses"),
        ({"required_qualification": "999999"}, "required_qualification"),
        ({"credit_plan": "not-a-number"}, "credit_plan"),
        ({"slug": "Pas un slug !"}, "slug"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_rules_are_clear_errors(client_for, place_a, manager_a, changes, field):
    response = client_for(manager_a).post(
        f"{base(place_a)}/ressources/nouvelle/", resource_data(**changes)
    )
    assert field in errors_of(response)
    assert not Resource.objects.exists()


def test_another_places_qualification_or_plan_cannot_be_chosen(
    client_for, place_a, place_b, manager_a
):
    other_qualification = Qualification.objects.create(place=place_b, name="B")
    other_plan = CreditPlan.objects.create(place=place_b, name="B")
    client = client_for(manager_a)
    url = f"{base(place_a)}/ressources/nouvelle/"
    assert "required_qualification" in errors_of(
        client.post(url, resource_data(required_qualification=str(other_qualification.pk)))
    )
    assert "credit_plan" in errors_of(
        client.post(url, resource_data(credit_plan=str(other_plan.pk)))
    )
    assert not Resource.objects.exists()


def test_a_manager_changes_the_rules(client_for, place_a, desk, manager_a):
    response = client_for(manager_a).post(
        f"{base(place_a)}/ressources/{desk.pk}/",
        resource_data(name="Bureau 1", kind="desk", slug="desk-1", weekly_hours_limit="10",
                      max_simultaneous="2", allowed_statuses=[]),
    )  # fmt: skip
    assert response.status_code == 302
    desk.refresh_from_db()
    assert (desk.name, desk.slug, desk.kind) == ("Bureau 1", "desk-1", "desk")
    assert (desk.weekly_hours_limit, desk.max_simultaneous) == (10, 2)
    assert desk.allowed_statuses == []


def test_editing_keeps_its_own_slug_but_not_anothers(
    client_for, place_a, desk, make_resource, manager_a
):
    make_resource(place_a, "Salle Loire")
    client = client_for(manager_a)
    url = f"{base(place_a)}/ressources/{desk.pk}/"
    assert client.post(url, resource_data(name="Desk 1", slug="desk-1")).status_code == 302
    errors = errors_of(client.post(url, resource_data(name="Desk 1", slug="salle-loire")))
    assert "slug" in errors
    desk.refresh_from_db()
    assert desk.slug == "desk-1"


@pytest.mark.parametrize("pk", ["999999", "abc", "-1"])
def test_unknown_resources_are_404(client_for, place_a, manager_a, pk):
    client = client_for(manager_a)
    assert client.get(f"{base(place_a)}/ressources/{pk}/").status_code == 404
    assert client.post(f"{base(place_a)}/ressources/{pk}/activation/").status_code == 404


def test_a_resource_of_another_place_is_404(client_for, place_a, place_b, make_resource, manager_a):
    other = make_resource(place_b, "Établi")
    client = client_for(manager_a)
    assert client.get(f"{base(place_a)}/ressources/{other.pk}/").status_code == 404
    response = client.post(f"{base(place_a)}/ressources/{other.pk}/", resource_data())
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.name == "Établi"


def test_deactivate_and_reactivate(client_for, place_a, desk, manager_a):
    client = client_for(manager_a)
    url = f"{base(place_a)}/ressources/{desk.pk}/activation/"
    client.post(url, {"is_active": "0"})
    desk.refresh_from_db()
    assert not desk.is_active
    html = client.get(f"{base(place_a)}/ressources/").content.decode()
    assert "Deactivated" in html and "Reactivate" in html
    client.post(url, {"is_active": "1"})
    desk.refresh_from_db()
    assert desk.is_active


def test_photo_upload_and_removal(client_for, place_a, desk, manager_a):
    client = client_for(manager_a)
    url = f"{base(place_a)}/ressources/{desk.pk}/photo/"
    upload = SimpleUploadedFile("bureau.png", png_bytes(), content_type="image/png")
    assert client.post(url, {"photo": upload, "photo_alt": "Un bureau"}).status_code == 302
    desk.refresh_from_db()
    assert desk.photo and desk.photo_alt == "Un bureau"
    assert desk.photo.storage.exists(desk.photo.name)
    html = client.get(url).content.decode()
    assert 'alt="Un bureau"' in html
    client.post(url, {"remove": "1"})
    desk.refresh_from_db()
    assert not desk.photo and desk.photo_alt == ""


def test_photo_removal_deletes_the_file_on_commit(
    client_for, place_a, desk, manager_a, django_capture_on_commit_callbacks
):
    client = client_for(manager_a)
    url = f"{base(place_a)}/ressources/{desk.pk}/photo/"
    upload = SimpleUploadedFile("bureau.png", png_bytes(), content_type="image/png")
    client.post(url, {"photo": upload, "photo_alt": "Un bureau"})
    desk.refresh_from_db()
    storage, name = desk.photo.storage, desk.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"remove": "1"})
    assert not storage.exists(name)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"photo": ("virus.png", b"MZ\x90\x00 not an image"), "photo_alt": "x"}, "photo"),
        ({"photo": ("a.png", None), "photo_alt": ""}, "photo_alt"),
        ({"photo_alt": "Sans photo"}, "photo"),
    ],
)
def test_bad_photos_are_refused(client_for, place_a, desk, manager_a, data, field):
    data = dict(data)
    if "photo" in data:
        name, content = data["photo"]
        data["photo"] = SimpleUploadedFile(name, content or png_bytes(), content_type="image/png")
    response = client_for(manager_a).post(f"{base(place_a)}/ressources/{desk.pk}/photo/", data)
    assert field in errors_of(response)
    desk.refresh_from_db()
    assert not desk.photo


def test_an_oversized_photo_is_refused(client_for, place_a, desk, manager_a, settings):
    settings.MAX_IMAGE_SIZE = 1000
    upload = SimpleUploadedFile("big.png", png_bytes((400, 400)), content_type="image/png")
    response = client_for(manager_a).post(
        f"{base(place_a)}/ressources/{desk.pk}/photo/", {"photo": upload, "photo_alt": "x"}
    )
    assert "photo" in errors_of(response)


def test_resource_list_queries_are_bounded(
    client_for, place_a, make_resource, manager_a, django_assert_max_num_queries
):
    plan = CreditPlan.objects.create(place=place_a, name="Salles")
    qualification = Qualification.objects.create(place=place_a, name="Laser")
    for i in range(30):
        make_resource(place_a, f"R{i}", credit_plan=plan, required_qualification=qualification)
    client = client_for(manager_a)
    with django_assert_max_num_queries(7):
        response = client.get(f"{base(place_a)}/ressources/")
    assert response.content.decode().count("/activation/") == 30


# ---- closures


def closure_data(**changes: Any) -> dict[str, Any]:
    data = {"resource": "", "start_date": "2026-04-06", "start_time": "00:00",
            "end_date": "2026-04-07", "end_time": "00:00", "reason": "Lundi de Pâques"}  # fmt: skip
    data.update(changes)
    return data


def test_a_manager_closes_the_place_and_a_resource(client_for, place_a, desk, manager_a):
    client = client_for(manager_a)
    url = f"{base(place_a)}/fermetures/"
    assert client.post(url, closure_data()).status_code == 302
    closure = Closure.objects.get()
    assert closure.resource is None
    assert (closure.start, closure.end) == (at(6, 0, month=4), at(7, 0, month=4))
    # on the place's clock, across the daylight-saving change of 29 March
    response = client.post(
        url,
        closure_data(resource=str(desk.pk), start_date="2026-03-28", start_time="09:00",
                     end_date="2026-03-30", end_time="09:00"),
    )  # fmt: skip
    assert response.status_code == 302
    closure = Closure.objects.get(resource=desk)
    assert closure.end - closure.start == dt.timedelta(hours=47)
    html = client.get(url).content.decode()
    assert "Lundi de Pâques" in html and "Desk 1" in html


@pytest.mark.parametrize(
    "changes",
    [
        {"end_date": "2026-04-05"},  # end before start
        {"end_date": "2026-04-06", "end_time": "00:00"},  # empty range
        {"start_date": "9999-12-31", "end_date": "9999-12-31", "end_time": "23:59"},
        {"start_date": "2026-02-30"},
        {"start_time": "25:00"},
        {"start_date": "2026-03-29", "start_time": "02:30"},  # skipped by the clocks
        {"resource": "999999"},
        {"reason": "x" * 201},
    ],
)
def test_bad_closures_are_clear_errors(client_for, place_a, manager_a, changes):
    response = client_for(manager_a).post(f"{base(place_a)}/fermetures/", closure_data(**changes))
    assert errors_of(response)
    assert not Closure.objects.exists()


def test_a_closure_is_removed(client_for, place_a, manager_a):
    closure = Closure.objects.create(place=place_a, start=at(6, 0, month=4), end=at(7, 0, month=4))
    client_for(manager_a).post(f"{base(place_a)}/fermetures/{closure.pk}/supprimer/")
    assert not Closure.objects.exists()


def test_a_closure_of_another_place_is_404(client_for, place_a, place_b, manager_a):
    closure = Closure.objects.create(place=place_b, start=at(6, 0, month=4), end=at(7, 0, month=4))
    response = client_for(manager_a).post(f"{base(place_a)}/fermetures/{closure.pk}/supprimer/")
    assert response.status_code == 404
    assert Closure.objects.filter(pk=closure.pk).exists()


def test_a_resource_of_another_place_cannot_be_closed(
    client_for, place_a, place_b, make_resource, manager_a
):
    other = make_resource(place_b, "Établi")
    response = client_for(manager_a).post(
        f"{base(place_a)}/fermetures/", closure_data(resource=str(other.pk))
    )
    assert "resource" in errors_of(response)
    assert not Closure.objects.exists()


# ---- qualifications


def test_a_manager_creates_grants_and_revokes(client_for, place_a, member_a, manager_a, make_user):
    client = client_for(manager_a)
    response = client.post(f"{base(place_a)}/habilitations/", {"name": "Découpe laser"})
    qualification = Qualification.objects.get(place=place_a)
    assert response["Location"] == f"{base(place_a)}/habilitations/{qualification.pk}/"
    url = f"{base(place_a)}/habilitations/{qualification.pk}/"
    client.post(url, {"user": str(member_a.pk), "expires_on": "2026-09-30"})
    grant = QualificationGrant.objects.get(qualification=qualification)
    assert (grant.user, grant.expires_on, grant.granted_by) == (
        member_a, dt.date(2026, 9, 30), manager_a,
    )  # fmt: skip
    # granting again replaces the date
    client.post(url, {"user": str(member_a.pk), "expires_on": ""})
    grant = QualificationGrant.objects.get(qualification=qualification)
    assert grant.expires_on is None
    html = client.get(f"{base(place_a)}/habilitations/").content.decode()
    assert "Member A" in html
    assert "Does not expire" in client.get(url).content.decode()
    client.post(f"{base(place_a)}/habilitations/attributions/{grant.pk}/retirer/")
    assert not QualificationGrant.objects.exists()


def test_a_qualification_name_is_unique_per_place(client_for, place_a, manager_a):
    Qualification.objects.create(place=place_a, name="Découpe laser")
    response = client_for(manager_a).post(
        f"{base(place_a)}/habilitations/", {"name": "découpe LASER"}
    )
    assert "name" in errors_of(response)
    assert Qualification.objects.count() == 1


@pytest.mark.parametrize("expires_on", ["2026-03-22", "9999-01-01", "demain"])
def test_bad_expiry_dates(client_for, place_a, member_a, manager_a, expires_on):
    qualification = Qualification.objects.create(place=place_a, name="Laser")
    response = client_for(manager_a).post(
        f"{base(place_a)}/habilitations/{qualification.pk}/",
        {"user": str(member_a.pk), "expires_on": expires_on},
    )
    assert "expires_on" in errors_of(response)
    assert not QualificationGrant.objects.exists()


def test_only_active_members_can_be_granted(client_for, place_a, manager_a, manager_b, make_user):
    qualification = Qualification.objects.create(place=place_a, name="Laser")
    former = make_user("Former")
    Membership.objects.create(place=place_a, user=former, state=Membership.State.ENDED)
    client = client_for(manager_a)
    url = f"{base(place_a)}/habilitations/{qualification.pk}/"
    for user_id in [manager_b.pk, former.pk, 999999, "x"]:
        assert "user" in errors_of(client.post(url, {"user": str(user_id)}))
    assert not QualificationGrant.objects.exists()


def test_qualifications_of_another_place_are_404(client_for, place_a, place_b, member_a, manager_a):
    other = Qualification.objects.create(place=place_b, name="B")
    grant = QualificationGrant.objects.create(qualification=other, user=member_a)
    client = client_for(manager_a)
    assert client.get(f"{base(place_a)}/habilitations/{other.pk}/").status_code == 404
    response = client.post(f"{base(place_a)}/habilitations/attributions/{grant.pk}/retirer/")
    assert response.status_code == 404
    assert QualificationGrant.objects.filter(pk=grant.pk).exists()


# ---- the day's list


def test_the_day_list_shows_the_day(client_for, place_a, world, manager_a):
    response = client_for(manager_a).get(f"{base(place_a)}/reservations/?jour=2026-03-24")
    html = response.content.decode()
    assert response.context["day"] == dt.date(2026, 3, 24)
    w = world
    assert [b.pk for b in response.context["bookings"]] == [
        w.confirmed.pk,
        w.pending.pk,
        w.pending2.pk,
    ]
    dash = "\N{EN DASH}"
    assert f"14:00{dash}16:00" in html and f"10:00{dash}11:00" in html  # on the place's clock
    assert "Member A" in html
    # and the pending ones from today on, whatever the day shown
    assert [b.pk for b in response.context["pending"]] == [w.pending.pk, w.pending2.pk]
    response = client_for(manager_a).get(f"{base(place_a)}/reservations/?jour=2026-03-30")
    assert response.context["bookings"] == []
    assert len(response.context["pending"]) == 2


def test_the_day_list_defaults_to_today(client_for, place_a, world, manager_a):
    response = client_for(manager_a).get(f"{base(place_a)}/reservations/")
    assert response.context["day"] == dt.date(2026, 3, 23)
    assert [b.pk for b in response.context["bookings"]] == [world.started.pk]


def test_cancelled_bookings_show_on_demand(client_for, place_a, world, manager_a):
    Booking.objects.filter(pk=world.confirmed.pk).update(status=Booking.Status.CANCELLED)
    client = client_for(manager_a)
    url = f"{base(place_a)}/reservations/?jour=2026-03-24"
    assert world.confirmed not in client.get(url).context["bookings"]
    assert world.confirmed in client.get(url + "&tous=1").context["bookings"]


@pytest.mark.parametrize("day", ["demain", "2026-13-45", "9999-12-31", "0001-01-01", "", "%00"])
def test_a_bad_day_shows_today_with_a_message(client_for, place_a, manager_a, day):
    response = client_for(manager_a).get(f"{base(place_a)}/reservations/?jour={day}")
    assert response.status_code == 200
    assert response.context["day"] == dt.date(2026, 3, 23)
    assert messages_of(response)[0][0] == "error"


def test_the_day_list_queries_are_bounded(
    client_for, place_a, make_resource, make_user, manager_a, django_assert_max_num_queries
):
    client = client_for(manager_a)
    url = f"{base(place_a)}/reservations/?jour=2026-03-24"

    def add_bookings(count: int, first_hour: int) -> None:
        for i in range(count):
            resource = make_resource(place_a, f"R{first_hour}-{i}", requires_approval=i % 2 == 0)
            person = make_user()
            Membership.objects.create(place=place_a, user=person, state="active")
            for hour in (first_hour, first_hour + 1):
                booking_create(
                    resource=resource, user=person, start=at(24, hour), end=at(24, hour + 1)
                )

    add_bookings(5, 9)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    add_bookings(25, 12)
    with django_assert_max_num_queries(12) as large:
        response = client.get(url)
    assert len(response.context["bookings"]) == 60
    assert len(response.context["pending"]) == 2 * (3 + 13)  # every other resource
    assert len(large.captured_queries) == len(small.captured_queries)


# ---- approvals, attendance, cancelling


def test_approve(client_for, place_a, world, manager_a):
    response = client_for(manager_a).post(
        f"{base(place_a)}/reservations/{world.pending.pk}/approuver/"
    )
    assert response["Location"] == f"{base(place_a)}/reservations/?jour=2026-03-24"
    world.pending.refresh_from_db()
    assert world.pending.status == Booking.Status.CONFIRMED
    assert world.pending.log.filter(action=BookingLog.Action.APPROVED, actor=manager_a).exists()


def test_decline_with_a_reason(client_for, place_a, world, manager_a):
    client_for(manager_a).post(
        f"{base(place_a)}/reservations/{world.pending.pk}/refuser/", {"reason": "Salle en travaux"}
    )
    world.pending.refresh_from_db()
    assert world.pending.status == Booking.Status.DECLINED
    assert world.pending.decision_reason == "Salle en travaux"


def test_a_too_long_reason_changes_nothing(client_for, place_a, world, manager_a):
    response = client_for(manager_a).post(
        f"{base(place_a)}/reservations/{world.pending.pk}/refuser/",
        {"reason": "x" * 501},
        follow=True,
    )
    assert messages_of(response)[0][0] == "error"
    world.pending.refresh_from_db()
    assert world.pending.status == Booking.Status.PENDING


def test_approving_twice_is_a_message_not_an_error(client_for, place_a, world, manager_a):
    client = client_for(manager_a)
    url = f"{base(place_a)}/reservations/{world.pending.pk}/approuver/"
    client.post(url, follow=True)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == [("error", "This booking is not waiting for approval.")]


def test_a_manager_cancels(client_for, place_a, world, manager_a):
    client_for(manager_a).post(f"{base(place_a)}/reservations/{world.confirmed.pk}/annuler/")
    world.confirmed.refresh_from_db()
    assert world.confirmed.status == Booking.Status.CANCELLED


def test_attendance_before_the_start_is_refused(client_for, place_a, world, concierge_a):
    response = client_for(concierge_a).post(
        f"{base(place_a)}/reservations/{world.confirmed.pk}/absent/", follow=True
    )
    assert messages_of(response)[0][0] == "error"
    world.confirmed.refresh_from_db()
    assert world.confirmed.attendance == ""


def test_the_day_list_offers_attendance_once_started(client_for, place_a, world, manager_a):
    client = client_for(manager_a)
    today = client.get(f"{base(place_a)}/reservations/").content.decode()
    assert f"/reservations/{world.started.pk}/present/" in today
    tomorrow = client.get(f"{base(place_a)}/reservations/?jour=2026-03-24").content.decode()
    assert f"/reservations/{world.confirmed.pk}/present/" not in tomorrow
    assert f"/reservations/{world.pending.pk}/approuver/" in tomorrow


# ---- booking for someone, blocking


def book_data(person, resource, /, **changes: Any) -> dict[str, Any]:
    data = {"user": str(person.pk), "resource": str(resource.pk), "day": "2026-03-25",
            "start_time": "10:00", "end_time": "12:00", "units": "1", "note": "Entretien"}  # fmt: skip
    data.update(changes)
    return data


def test_a_manager_books_for_a_member(client_for, place_a, desk, member_a, manager_a):
    response = client_for(manager_a).post(
        f"{base(place_a)}/reservations/pour-un-membre/", book_data(member_a, desk)
    )
    assert response["Location"] == f"{base(place_a)}/reservations/?jour=2026-03-25"
    booking = Booking.objects.get()
    assert (booking.user, booking.booked_by) == (member_a, manager_a)
    assert (booking.start, booking.end) == (at(25, 10), at(25, 12))
    assert booking.note == "Entretien"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_time": "09:00"}, None),  # end before start
        ({"end_time": "10:00"}, None),  # zero length
        ({"day": "9999-12-31"}, "day"),
        ({"day": "31/02/2026"}, "day"),
        ({"start_time": "7h"}, "start_time"),
        ({"units": "0"}, "units"),
        ({"resource": "999999"}, "resource"),
        ({"resource": "abc"}, "resource"),
        ({"user": "999999"}, "user"),
    ],
)
def test_bad_bookings_for_someone(client_for, place_a, desk, member_a, manager_a, changes, field):
    response = client_for(manager_a).post(
        f"{base(place_a)}/reservations/pour-un-membre/", book_data(member_a, desk, **changes)
    )
    errors = errors_of(response)
    assert (field or "__all__") in errors
    assert not Booking.objects.exists()


def test_a_refused_rule_is_shown_on_the_form(client_for, place_a, desk, member_a, manager_a):
    response = client_for(manager_a).post(
        f"{base(place_a)}/reservations/pour-un-membre/",
        book_data(member_a, desk, start_time="19:00", end_time="20:00"),
    )
    assert errors_of(response)["__all__"] == ["This time is outside the bookable hours."]
    assert not Booking.objects.exists()


def test_only_members_and_active_resources_are_offered(
    client_for, place_a, place_b, desk, make_resource, member_a, manager_a, manager_b
):
    other = make_resource(place_b, "Établi")
    Resource.objects.filter(pk=desk.pk).update(is_active=False)
    client = client_for(manager_a)
    url = f"{base(place_a)}/reservations/pour-un-membre/"
    assert "user" in errors_of(client.post(url, book_data(manager_b, other)))
    errors = errors_of(client.post(url, book_data(member_a, desk)))
    assert "resource" in errors
    assert not Booking.objects.exists()


def test_a_manager_blocks_a_range(client_for, place_a, desk, manager_a):
    response = client_for(manager_a).post(
        f"{base(place_a)}/reservations/bloquer/",
        {"resource": str(desk.pk), "start_date": "2026-03-26", "start_time": "09:00",
         "end_date": "2026-03-27", "end_time": "18:00", "reason": "Peinture"},
    )  # fmt: skip
    assert response.status_code == 302
    block = Booking.objects.get()
    assert block.kind == Booking.Kind.BLOCK
    assert (block.start, block.end, block.note) == (at(26, 9), at(27, 18), "Peinture")


def test_blocking_over_bookings_is_a_clear_error(client_for, place_a, world, manager_a):
    before = Booking.objects.count()
    response = client_for(manager_a).post(
        f"{base(place_a)}/reservations/bloquer/",
        {"resource": str(world.desk.pk), "start_date": "2026-03-24", "start_time": "09:00",
         "end_date": "2026-03-24", "end_time": "18:00", "reason": "Peinture"},
    )  # fmt: skip
    assert errors_of(response)["__all__"] == ["1 booking overlaps this range; cancel it first."]
    assert Booking.objects.count() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"end_date": "2026-03-25"},
        {"start_date": "9999-12-31", "end_date": "9999-12-31"},
        {"reason": ""},
        {"resource": "x"},
    ],
)
def test_bad_blocks(client_for, place_a, desk, manager_a, changes):
    data = {"resource": str(desk.pk), "start_date": "2026-03-26", "start_time": "09:00",
            "end_date": "2026-03-26", "end_time": "18:00", "reason": "Peinture"}  # fmt: skip
    data.update(changes)
    response = client_for(manager_a).post(f"{base(place_a)}/reservations/bloquer/", data)
    assert errors_of(response)
    assert not Booking.objects.exists()


# ---- time credits


def test_a_manager_sets_up_time_credits(client_for, place_a, desk, make_resource, manager_a):
    room = make_resource(place_a, "Salle")
    client = client_for(manager_a)
    response = client.post(
        f"{base(place_a)}/credits/nouveau/",
        {"name": "Salles", "hours_resident": "40", "hours_user": "4", "hours_beneficiary": "0",
         "allow_negative": "on", "resources": [str(room.pk), str(desk.pk)]},
    )  # fmt: skip
    plan = CreditPlan.objects.get()
    assert response["Location"] == f"{base(place_a)}/credits/{plan.pk}/"
    assert plan.monthly_hours == {"resident": 40, "user": 4}
    assert plan.allow_negative
    assert set(plan.resources.all()) == {room, desk}
    # the form shows what is saved
    form = client.get(f"{base(place_a)}/credits/{plan.pk}/modifier/").context["form"]
    assert form["hours_resident"].value() == 40
    # editing: the desk stops drawing on it
    client.post(
        f"{base(place_a)}/credits/{plan.pk}/modifier/",
        {"name": "Salles de réunion", "hours_resident": "20", "resources": [str(room.pk)]},
    )
    plan.refresh_from_db()
    assert (plan.name, plan.monthly_hours, plan.allow_negative) == (
        "Salles de réunion", {"resident": 20}, False,
    )  # fmt: skip
    assert list(plan.resources.all()) == [room]
    assert "Salles de réunion" in client.get(f"{base(place_a)}/credits/").content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "salles"},  # taken (whatever the case)
        {"name": ""},
        {"name": "Autre", "hours_resident": "-1"},
        {"name": "Autre", "hours_resident": "100000"},
        {"name": "Autre", "hours_user": "beaucoup"},
        {"name": "Autre", "resources": ["999999"]},
    ],
)
def test_bad_plans(client_for, place_a, manager_a, data):
    CreditPlan.objects.create(place=place_a, name="Salles")
    response = client_for(manager_a).post(f"{base(place_a)}/credits/nouveau/", data)
    assert errors_of(response)
    assert CreditPlan.objects.count() == 1


def test_a_resource_of_another_place_cannot_join_a_plan(
    client_for, place_a, place_b, make_resource, manager_a
):
    other = make_resource(place_b, "Établi")
    response = client_for(manager_a).post(
        f"{base(place_a)}/credits/nouveau/", {"name": "Salles", "resources": [str(other.pk)]}
    )
    assert "resources" in errors_of(response)
    other.refresh_from_db()
    assert other.credit_plan is None


def test_a_manager_grants_hours_and_reads_the_ledger(
    client_for, place_a, member_a, manager_a, world
):
    client = client_for(manager_a)
    url = f"{base(place_a)}/credits/{world.plan.pk}/"
    client.post(url, {"user": str(member_a.pk), "hours": "2.5", "note": "Bénévolat"})
    entry = CreditEntry.objects.get()
    assert (entry.user, entry.minutes, entry.kind, entry.actor, entry.note) == (
        member_a, 150, CreditEntry.Kind.GRANT, manager_a, "Bénévolat",
    )  # fmt: skip
    response = client.get(url)
    row = next(r for r in response.context["rows"] if r["membership"].user == member_a)
    assert row["granted_left"] == "2.5"
    manager_row = next(r for r in response.context["rows"] if r["membership"].user == manager_a)
    assert manager_row["allowance"] == "10"  # manager A is a resident
    # taking hours back, but never more than were granted
    client.post(url, {"user": str(member_a.pk), "hours": "-1", "note": "Erreur"})
    response = client.post(url, {"user": str(member_a.pk), "hours": "-5"})
    assert errors_of(response)["__all__"] == ["This would take back more hours than were granted."]
    assert CreditEntry.objects.count() == 2
    ledger = client.get(f"{url}personnes/{member_a.pk}/")
    html = ledger.content.decode()
    assert "Bénévolat" in html and "Erreur" in html and "+2.5" in html and "-1" in html
    assert ledger.context["total_left"] == "1.5"


@pytest.mark.parametrize(
    "data",
    [
        {"hours": "0"},
        {"hours": "1.001"},
        {"hours": "999999"},
        {"hours": "NaN"},
        {"hours": "deux"},
        {"hours": "1", "user": "999999"},
        {"hours": "1", "note": "x" * 301},
    ],
)
def test_bad_grants(client_for, place_a, member_a, manager_a, world, data):
    data = {"user": str(member_a.pk), **data}
    response = client_for(manager_a).post(f"{base(place_a)}/credits/{world.plan.pk}/", data)
    assert errors_of(response)
    assert not CreditEntry.objects.exists()


def test_credits_of_another_place_are_404(client_for, place_a, place_b, member_a, manager_a):
    other = CreditPlan.objects.create(place=place_b, name="B")
    client = client_for(manager_a)
    assert client.get(f"{base(place_a)}/credits/{other.pk}/").status_code == 404
    assert client.get(f"{base(place_a)}/credits/{other.pk}/modifier/").status_code == 404
    response = client.post(
        f"{base(place_a)}/credits/{other.pk}/", {"user": member_a.pk, "hours": 1}
    )
    assert response.status_code == 404
    assert not CreditEntry.objects.exists()


def test_the_ledger_of_a_stranger_is_404(client_for, place_a, world, manager_a, manager_b):
    url = f"{base(place_a)}/credits/{world.plan.pk}/personnes/{manager_b.pk}/"
    assert client_for(manager_a).get(url).status_code == 404
    url = f"{base(place_a)}/credits/{world.plan.pk}/personnes/999999/"
    assert client_for(manager_a).get(url).status_code == 404


def test_the_balances_page_queries_are_bounded(
    client_for, place_a, make_user, manager_a, world, django_assert_max_num_queries
):
    for i in range(40):
        person = make_user(f"Person {i:02}")
        Membership.objects.create(place=place_a, user=person, state="active")
    client = client_for(manager_a)
    url = f"{base(place_a)}/credits/{world.plan.pk}/"
    with django_assert_max_num_queries(100):
        response = client.get(url)
    assert len(response.context["rows"]) == 25  # a page at a time
    assert len(client.get(url + "?page=2").context["rows"]) == 40 + 2 - 25
    assert client.get(url + "?page=abc").status_code == 200
