"""Every text field of events, sessions, festivals, registrations and rides fed an XSS vector,
then every page showing them, as each persona: the markup comes out escaped, never run."""

from __future__ import annotations

from tests.events.conftest import at
from tiers.events import festivals, registrations, rides, services
from tiers.events.models import Festival, Session

X = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def test_every_text_field_is_escaped_on_every_page(
    make_event, manager_a, member_a, coordinator, network, room, client_for
):
    fest = festivals.festival_save(
        festival=Festival(
            network=network,
            name="F" + X,
            theme=X,
            description=X + "[a](javascript:alert(1))",
            start_date=at(23, 0).date(),
            end_date=at(30, 0).date(),
        ),
        by=coordinator,
    )
    e = make_event(
        "T" + X,
        summary=X,
        description=X + "[a](javascript:alert(1))",
        location=X,
        accessibility=X,
        registration_open=True,
        capacity=5,
        tags=[X],
        questions=[{"label": "Q" + X, "required": False}],
        festival=fest,
        room=room,
    )
    services.session_save(
        session=Session(
            event=e,
            title="S" + X,
            speakers=X,
            track=X,
            room_name=X,
            start=at(24, 18),
            end=at(24, 19),
        ),
        by=manager_a,
    )
    r = registrations.register(
        event=e, name="N" + X, email="x@example.org", answers={"Q" + X: X}, user=None
    )
    r = registrations.confirm_email(registration=r)
    p = rides.participant_for_registration(r)
    ride = rides.ride_create(
        e, p, "offer", "Town" + X, from_detail=X, departure_at=at(24, 16), note=X
    )
    pm = rides.participant_for_user(member_a, e)
    rides.seat_request(ride, pm, 1, X)
    urls = [
        e.get_absolute_url(),
        f"/evenements/{e.slug}/programme/",
        "/evenements/",
        f"/festivals/{fest.slug}/",
        "/festivals/",
        f"/evenements/{e.slug}/covoiturage/",
        f"/covoiturage/{ride.pk}/",
        f"/inscription/{r.token}/",
        f"/evenements/{e.slug}/inscrits/",
        f"/evenements/{e.slug}/inscrits/imprimer/",
        f"/lieux/{e.place.slug}/evenements/widget/",
        f"/lieux/{e.place.slug}/",
        "/",
        f"/lieux/{e.place.slug}/evenements/",
        f"/evenements/{e.slug}/modifier/",
        f"/festivals/{fest.slug}/propositions/",
        f"/evenements/{e.slug}/festival/",
        "/evenements.rss",
        "/evenements.atom",
        f"/festivals/{fest.slug}/programme.rss",
        f"/reseaux/{network.slug}/",
    ]
    shown = 0
    for who in [None, manager_a, coordinator, member_a]:
        c = client_for(who)
        for u in urls:
            resp = c.get(u)
            assert resp.status_code < 500, u
            body = resp.content.decode()
            if resp.status_code == 200:
                shown += "&lt;script&gt;alert(2)&lt;/script&gt;" in body
                assert (
                    "<img src=x" not in body
                    and "<script>alert" not in body
                    and 'href="javascript' not in body.lower()
                ), (u, who)
    # the texts are shown (escaped) on most of these pages, not left out
    assert shown >= 40, shown
