"""Personal API tokens: create (shown once), list, revoke; the `create-token` command."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tiers import cli
from tiers.accounts.models import ApiToken, hash_token

CREATE = reverse("accounts:token_create")
PROFILE = reverse("accounts:profile")


def test_create_a_token_shows_it_once(client_for, member_a):
    client = client_for(member_a)
    response = client.post(CREATE, {"name": "  booking   script "})
    assert response.status_code == 200
    raw = response.context["raw"]
    assert raw.startswith("tiers_")
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=member_a)
    assert token.name == "booking script"
    assert token.token_hash == hash_token(raw)
    assert raw not in {token.name, token.hint, token.token_hash}
    assert ApiToken.authenticate(raw) == member_a
    # The profile lists it by name and hint, never the token itself.
    body = client.get(PROFILE).content.decode()
    assert "booking script" in body
    assert token.hint in body
    assert raw not in body


def test_the_list_shows_when_a_token_was_last_used(client_for, member_a):
    token, raw = ApiToken.issue(user=member_a, name="sync")
    client = client_for(member_a)
    assert "never" in client.get(PROFILE).content.decode()
    ApiToken.authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert client.get(PROFILE).context["tokens"][0].last_used_at == token.last_used_at


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_bad_name_creates_nothing(client_for, member_a, name):
    response = client_for(member_a).post(CREATE, {"name": name})
    assert response.status_code == 200
    assert "name" in response.context["token_form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_a_token(client_for, member_a):
    token, raw = ApiToken.issue(user=member_a, name="old")
    client = client_for(member_a)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response["Location"] == PROFILE
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert ApiToken.authenticate(raw) is None


def test_nobody_can_revoke_the_token_of_another(client_for, member_a, manager_a, admin):
    token, raw = ApiToken.issue(user=member_a, name="mine")
    for other in (manager_a, admin):
        response = client_for(other).post(reverse("accounts:token_revoke", args=[token.pk]))
        assert response.status_code == 404
    assert ApiToken.authenticate(raw) == member_a


def test_nobody_sees_the_tokens_of_another(client_for, member_a, manager_a):
    ApiToken.issue(user=member_a, name="secret-name-of-a")
    body = client_for(manager_a).get(PROFILE).content.decode()
    assert "secret-name-of-a" not in body


def test_revoke_an_unknown_token_is_404(client_for, member_a):
    assert (
        client_for(member_a).post(reverse("accounts:token_revoke", args=[999999])).status_code
        == 404
    )


def test_token_views_need_a_post(client_for, member_a):
    token, _raw = ApiToken.issue(user=member_a, name="t")
    client = client_for(member_a)
    assert client.get(CREATE).status_code == 405
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_anonymous_people_cannot_create_or_revoke(client, member_a):
    token, _raw = ApiToken.issue(user=member_a, name="t")
    for url in (CREATE, reverse("accounts:token_revoke", args=[token.pk])):
        response = client.post(url, {"name": "x"})
        assert response["Location"].startswith(reverse("accounts:login"))
    assert ApiToken.objects.count() == 1


# The command -------------------------------------------------------------------------------------


def test_create_token_command(member_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", member_a.email.upper(), "--name", "cron", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert ApiToken.authenticate(raw) == member_a
    assert ApiToken.objects.get(user=member_a).name == "cron"
    assert "shown only this once" in err.getvalue()


def test_create_token_command_has_a_default_name(member_a):
    call_command("create_token", member_a.email, stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiToken.objects.get(user=member_a).name == "command line"


def test_create_token_command_refuses_an_unknown_address(db):
    with pytest.raises(CommandError, match="No account has the e-mail address"):
        call_command("create_token", "nobody@example.org", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_create_token_command_refuses_a_deactivated_account(make_user):
    person = make_user("Gone", is_active=False)
    with pytest.raises(CommandError, match="deactivated"):
        call_command("create_token", person.email, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", ["   ", "x" * 81])
def test_create_token_command_refuses_a_bad_name(member_a, name):
    with pytest.raises(CommandError):
        call_command("create_token", member_a.email, "--name", name, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_the_console_command_maps_create_token(member_a, capsys):
    # A command run from the console closes the database connections when it ends; the
    # test's connection (inside its transaction) must stay open.
    with mock.patch("django.core.management.base.connections.close_all"):
        cli.main(["tiers", "create-token", member_a.email, "--name", "console"])
    raw = capsys.readouterr().out.strip()
    assert ApiToken.authenticate(raw) == member_a
