"""`tiers create-token EMAIL [--name NAME]`: print a new personal API token for an account."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

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
            raise CommandError(f"No account has the e-mail address {email!r}.")
        if not user.is_active:
            raise CommandError(f"The account {email!r} is deactivated; it cannot use tokens.")
        name = " ".join(name.split())
        if not name:
            raise CommandError("The token needs a name (--name).")
        max_length = ApiToken._meta.get_field("name").max_length or 80
        if len(name) > max_length:
            raise CommandError(f"The name is too long ({max_length} characters at most).")
        _token, raw = services.token_create(user=user, name=name)
        # The token alone on stdout, so that scripts can capture it; the rest on stderr.
        self.stdout.write(raw)
        self.stderr.write(
            f"Token “{name}” created for {user.email}. It is shown only this once; "
            "send it as `Authorization: Bearer <token>`."
        )
