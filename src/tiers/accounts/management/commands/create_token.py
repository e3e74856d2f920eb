"""`tiers create-token EMAIL [--name NAME]`: print a new personal API token for an account."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tiers.accounts import services
from tiers.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create a personal API token for the account with this e-mail address and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the account's e-mail address")
        parser.add_argument(
            "--name", default="command line", help="what the token is for (shown in the profile)"
        )

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(
                _("No account has the e-mail address “%(email)s”.") % {"email": email}
            )
        if not user.is_active:
            raise CommandError(
                _("The account “%(email)s” is deactivated; it cannot use tokens.")
                % {"email": email}
            )
        name = " ".join(name.split())
        if not name:
            raise CommandError(_("The token needs a name (--name)."))
        max_length = ApiToken._meta.get_field("name").max_length or 80
        if len(name) > max_length:
            raise CommandError(
                _("The name is too long (%(max)d characters at most).") % {"max": max_length}
            )
        _token, raw = services.token_create(user=user, name=name)
        # The token alone on stdout, so that scripts can capture it; the rest on stderr.
        self.stdout.write(raw)
        self.stderr.write(
            _(
                "Token “%(name)s” created for %(email)s. It is shown only this once; "
                "send it as `Authorization: Bearer <token>`."
            )
            % {"name": name, "email": user.email}
        )
