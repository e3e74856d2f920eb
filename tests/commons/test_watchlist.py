"""Watching pages: one e-mail per page until the person looks again, never to the author,
in the recipient's language; the watchlist page; the private Atom feed and its key."""

from __future__ import annotations

import feedparser
import pytest
from django.urls import reverse

from tests.commons.conftest import edit
from tiers.commons import notifications, services
from tiers.commons.models import FeedKey, Watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(client_for):
    def make(user):
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def page(make_page, member_a):
    return make_page("Café réparation", "Un", author=member_a)


@pytest.fixture
def bea(make_user, page):
    user = make_user("Bea", language="en")
    services.watch(user, page)
    return user


@pytest.fixture
def sent(monkeypatch):
    """The e-mails the commons sends: (to, template, language), besides the outbox."""
    calls: list[tuple[str, str, str]] = []
    real = notifications.send_templated

    def spy(**kwargs):
        calls.append((kwargs["to"], kwargs["template"], kwargs["language"]))
        return real(**kwargs)

    monkeypatch.setattr(notifications, "send_templated", spy)
    return calls


def change(user, page, body, capture, **fields):
    with capture(execute=True):
        return edit(user, page, body=body, **fields)


def test_a_watcher_is_emailed_once_until_they_look_again(
    page, bea, member_a, mailoutbox, django_capture_on_commit_callbacks, client_for
):
    change(member_a, page, "Deux", django_capture_on_commit_callbacks, comment="horaires")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [bea.email]
    assert "Café réparation" in message.subject
    assert "Member A" in message.body and "horaires" in message.body
    assert f"/communs/pages/{page.slug}/diff?de=1\n" in message.body
    assert Watch.objects.get(user=bea, page=page).notified_at is not None
    # more changes: nothing until Bea looks at the page
    change(member_a, page, "Trois", django_capture_on_commit_callbacks)
    change(member_a, page, "Quatre", django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    # she reads the diff the e-mail links to: the next change is e-mailed again
    assert (
        client_for(bea).get(reverse("commons:diff", args=[page.slug]) + "?de=1").status_code == 200
    )
    assert Watch.objects.get(user=bea, page=page).notified_at is None
    change(member_a, page, "Cinq", django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2


def test_the_link_is_absolute_on_the_site_address(
    page, bea, member_a, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://tiers.example"
    change(member_a, page, "Deux", django_capture_on_commit_callbacks)
    assert f"https://tiers.example/communs/pages/{page.slug}/diff?de=1" in mailoutbox[0].body


def test_the_author_of_the_change_is_not_emailed(
    page, bea, mailoutbox, django_capture_on_commit_callbacks
):
    change(bea, page, "Deux", django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_each_watcher_in_their_language(
    page, bea, make_user, member_a, sent, django_capture_on_commit_callbacks
):
    carl = make_user("Carl", language="fr")
    services.watch(carl, page)
    change(member_a, page, "Deux", django_capture_on_commit_callbacks)
    assert sorted(sent) == sorted(
        [
            (bea.email, "commons/email/page_changed", "en"),
            (carl.email, "commons/email/page_changed", "fr"),
        ]
    )


def test_no_email_when_off_nor_to_inactive_or_erased_people(
    page, bea, make_user, member_a, mailoutbox, django_capture_on_commit_callbacks
):
    Watch.objects.filter(user=bea).update(email=False)
    gone = make_user("Gone")
    services.watch(gone, page)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    change(member_a, page, "Deux", django_capture_on_commit_callbacks)
    assert mailoutbox == []


def test_saving_does_not_wait_for_the_mail(page, bea, member_a, mailoutbox):
    """Without running the commit callbacks (the transaction of the test never commits),
    nothing is sent: the e-mail is a job enqueued on commit."""
    edit(member_a, page, body="Deux")
    assert mailoutbox == []


def test_a_new_message_is_emailed_once_too(
    page, bea, member_a, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.add_comment(member_a, page, "Qui a la clé ?", topic="Clé")
    assert len(mailoutbox) == 1
    assert "Qui a la clé ?" in mailoutbox[0].body
    assert f"/communs/pages/{page.slug}/discussion" in mailoutbox[0].body
    change(member_a, page, "Deux", django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1


# The watchlist page ---------------------------------------------------------------------------


def test_the_watchlist_needs_signing_in(client_for):
    response = client_for(None).get(reverse("commons:watchlist"))
    assert response.status_code == 302 and "next=" in response["Location"]
    response = client_for(None).post(reverse("commons:watchlist"), {"action": "feed"})
    assert response.status_code == 302 and not FeedKey.objects.exists()


def test_the_watchlist_shows_my_pages_and_their_changes(client_for, page, bea, member_a, make_page):
    other = make_page("Autre page", "x", author=member_a)
    edit(member_a, page, body="Deux", comment="nouveaux horaires")
    edit(member_a, other, body="y", comment="pas suivie")
    html = client_for(bea).get(reverse("commons:watchlist")).content.decode()
    assert "Café réparation" in html and "nouveaux horaires" in html
    assert "pas suivie" not in html


def test_unwatch_and_email_toggle(client_for, page, bea):
    client = client_for(bea)
    client.post(reverse("commons:watchlist"), {"action": "email", "page": page.pk, "email": "0"})
    assert Watch.objects.get(user=bea).email is False
    client.post(reverse("commons:watchlist"), {"action": "email", "page": page.pk, "email": "1"})
    assert Watch.objects.get(user=bea).email is True
    for bad in ({"action": "email", "page": "x"}, {"action": "unwatch", "page": 99999},
                {"action": "?"}):  # fmt: skip
        assert client.post(reverse("commons:watchlist"), bad).status_code == 302
    client.post(reverse("commons:watchlist"), {"action": "unwatch", "page": page.pk})
    assert not Watch.objects.filter(user=bea).exists()


def test_someone_elses_watch_cannot_be_changed(client_for, page, bea, member_a):
    client_for(member_a).post(reverse("commons:watchlist"), {"action": "unwatch", "page": page.pk})
    assert Watch.objects.filter(user=bea).exists()


# The private feed ------------------------------------------------------------------------------


def test_the_private_feed_by_key_and_a_new_key(client_for, page, bea, member_a, make_page):
    client = client_for(bea)
    assert "Get the address of my feed" in client.get(reverse("commons:watchlist")).content.decode()
    client.post(reverse("commons:watchlist"), {"action": "feed"})
    key = FeedKey.objects.get(user=bea).key
    html = client.get(reverse("commons:watchlist")).content.decode()
    feed_url = reverse("commons:watchlist_feed", args=[key])
    assert "http://testserver" + feed_url in html
    edit(member_a, page, body="Deux", comment="suivie")
    edit(member_a, make_page("Autre", "x", author=member_a), body="y", comment="pas suivie")
    anonymous = client_for(None)
    feed = feedparser.parse(anonymous.get(feed_url).content)
    assert feed.bozo == 0
    assert [entry.title for entry in feed.entries] == [
        "Café réparation (revision 2)",
        "Café réparation (revision 1)",
    ]
    # a new address: the old one stops working
    client.post(reverse("commons:watchlist"), {"action": "new_key"})
    new_key = FeedKey.objects.get(user=bea).key
    assert new_key != key
    assert anonymous.get(feed_url).status_code == 404
    assert anonymous.get(reverse("commons:watchlist_feed", args=[new_key])).status_code == 200


def test_an_unknown_key_or_an_inactive_person_has_no_feed(client_for, bea):
    anonymous = client_for(None)
    assert anonymous.get(reverse("commons:watchlist_feed", args=["nope"])).status_code == 404
    key = FeedKey.objects.create(user=bea, key=FeedKey.new_key())
    bea.is_active = False
    bea.save(update_fields=["is_active"])
    assert anonymous.get(reverse("commons:watchlist_feed", args=[key.key])).status_code == 404
