"""Writes and reads about people: sign-up, e-mail verification, profile, API tokens, personal data.

Each write function is one transaction; e-mails are sent once it has committed.

Apps above this one add their part about a person through small registries, so that this app
never imports them: `@personal_data_exporter("bookings")` registers a function returning what
the app holds about a person (JSON-serialisable, datetimes allowed), `@personal_data_eraser` one
that removes or anonymises it inside the erasure's transaction,
`@personal_data_erasure_blocker("code")` one that gives the reasons the person cannot erase
their account yet, and `@profile_section` one that renders a section of the profile page.
Register them from the app's `AppConfig.ready()` (see docs/accounts.md).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import ApiToken, User
from tiers.core.errors import DomainError
from tiers.core.mail import send_templated

logger = logging.getLogger(__name__)


class AccountError(DomainError):
    code = "account"


class VerificationError(AccountError):
    status = 400
    code = "verification"


# E-mails ---------------------------------------------------------------------------------------


def _send_email(*, to: str, template: str, context: dict[str, Any], language: str) -> None:
    send_templated(to=to, template=f"accounts/email/{template}", context=context, language=language)


# Sign-up and e-mail verification -----------------------------------------------------------------

VERIFY_SALT = "tiers.accounts.verify-email"


def verification_token(user: User) -> str:
    """A signed, timestamped token naming the person and (as a keyed hash) their address.

    The address itself is not in the link; the link stops working if the address changes."""
    return signing.dumps([user.pk, _email_digest(user.email)], salt=VERIFY_SALT)


def _email_digest(email: str) -> str:
    return salted_hmac(VERIFY_SALT, email.lower()).hexdigest()[:20]


def verification_url(user: User) -> str:
    return settings.SITE_URL + reverse("accounts:verify_email", args=[verification_token(user)])


def verification_send(*, user: User) -> None:
    """E-mail the link that confirms the person's address (once the transaction commits)."""
    context = {"user_name": user.display_name, "url": verification_url(user)}
    email, language = user.email, user.language
    transaction.on_commit(
        lambda: _send_email(to=email, template="verify", context=context, language=language)
    )


@transaction.atomic
def account_signup(*, email: str, password: str, display_name: str, language: str) -> User:
    """Create an account (not verified yet) and send the verification link."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, display_name=display_name, language=language
            )
    except IntegrityError as exc:  # the same address signed up at the same instant
        raise AccountError(
            _("An account already uses this e-mail address."), code="email-taken"
        ) from exc
    verification_send(user=user)
    return user


def email_verify(*, token: str) -> tuple[User, bool]:
    """Check a verification link; returns the person and whether this visit verified them."""
    try:
        pk, digest = signing.loads(
            token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT
        )
    except signing.SignatureExpired as exc:
        raise VerificationError(
            _("This link has expired. Log in and ask for a new one from your account page."),
            code="expired",
        ) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise VerificationError(
            _("This link is not valid. Check that it was copied whole."), code="invalid"
        ) from exc
    user = User.objects.filter(pk=pk, is_active=True).first() if isinstance(pk, int) else None
    if user is None or not isinstance(digest, str) or digest != _email_digest(user.email):
        raise VerificationError(
            _("This link is not valid. Check that it was copied whole."), code="invalid"
        )
    now = timezone.now()
    # Conditional: two visits of the link at once verify once, and keep the first date.
    changed = User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
        email_verified_at=now
    )
    if changed:
        user.email_verified_at = now
    return user, bool(changed)


# Profile -----------------------------------------------------------------------------------------


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str,
    bio: str,
    skills: str,
    language: str,
    avatar: File | None = None,
    remove_avatar: bool = False,
) -> User:
    """Save the profile; a replaced or removed avatar's file is deleted once this commits."""
    old_avatar = user.avatar.name or ""
    user.display_name, user.bio, user.skills, user.language = display_name, bio, skills, language
    fields = ["display_name", "bio", "skills", "language"]
    if avatar is not None:
        user.avatar.save(avatar.name or "avatar", avatar, save=False)
        fields.append("avatar")
    elif remove_avatar and old_avatar:
        user.avatar = ""
        fields.append("avatar")
    user.save(update_fields=fields)
    if "avatar" in fields and old_avatar:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


def language_update(*, user: User, language: str) -> bool:
    """Save the language the person chose in the header, so that e-mails follow it.

    Returns whether it was saved: an unknown language, or the one already saved, changes
    nothing."""
    if language not in User.Language.values or language == user.language:
        return False
    user.language = language
    user.save(update_fields=["language"])
    return True


# API tokens --------------------------------------------------------------------------------------


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; returns the row and the raw token, to be shown once."""
    return ApiToken.issue(user=user, name=name.strip())


def token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of the person's own tokens; False if they have no token with that id."""
    deleted, _rows = ApiToken.objects.filter(pk=token_id, user=user).delete()
    return deleted > 0


# Personal data: the registries other apps fill ------------------------------------------------

Exporter = Callable[[User], Any]
Eraser = Callable[[User], None]
Blocker = Callable[[User], list[str]]
ProfileSection = Callable[[HttpRequest, User], str]
F = TypeVar("F", bound=Exporter)
B = TypeVar("B", bound=Blocker)

_exporters: dict[str, Exporter] = {}
_erasers: list[Eraser] = []
_blockers: dict[str, Blocker] = {}
_profile_sections: list[ProfileSection] = []


def personal_data_exporter(section: str) -> Callable[[F], F]:
    """Register `function(user)` as the source of one section of the personal data export."""

    def register(function: F) -> F:
        _exporters[section] = function
        return function

    return register


def personal_data_eraser(function: Eraser) -> Eraser:
    """Register `function(user)`, called inside `account_erase`'s transaction."""
    if function not in _erasers:
        _erasers.append(function)
    return function


def personal_data_erasure_blocker(code: str) -> Callable[[B], B]:
    """Register `function(user) -> list[str]`: the reasons (translated) that forbid erasing the
    account now, or an empty list. `code` names the refusal (`AccountError.code`).

    The function runs inside a transaction, after the person's row is locked: it locks the rows
    its answer depends on, so that the answer still holds when the erasers run."""

    def register(function: B) -> B:
        _blockers[code] = function
        return function

    return register


def profile_section(function: ProfileSection) -> ProfileSection:
    """Register `function(request, user)`, returning a section of the person's profile page as
    HTML (`render_to_string(...)`, which is marked safe; any other string is escaped)."""
    if function not in _profile_sections:
        _profile_sections.append(function)
    return function


def profile_sections(request: HttpRequest, user: User) -> list[str]:
    return [section(request, user) for section in _profile_sections]


# Personal data: export ---------------------------------------------------------------------------


def personal_data_export(user: User) -> dict[str, Any]:
    """Everything the platform holds about the person, section by section."""
    data: dict[str, Any] = {
        "format": "tiers-personal-data",
        "version": 1,
        "site": settings.SITE_URL,
        "exported_at": timezone.now(),
    }
    for section, exporter in _exporters.items():
        data[section] = exporter(user)
    return data


def personal_data_json(user: User) -> str:
    return json.dumps(
        personal_data_export(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )


@personal_data_exporter("profile")
def _export_profile(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "email_verified_at": user.email_verified_at,
        "display_name": user.display_name,
        "bio": user.bio,
        "skills": user.skill_list,
        "avatar": settings.SITE_URL + user.avatar.url if user.avatar else None,
        "language": user.language,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


@personal_data_exporter("api_tokens")
def _export_tokens(user: User) -> list[dict[str, Any]]:
    # Only what the person sees in their profile: never the hash.
    return [
        {
            "name": t.name,
            "hint": t.hint,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
        }
        for t in user.api_tokens.order_by("created_at", "pk")
    ]


# Personal data: erasure --------------------------------------------------------------------------


def _erasure_refusals(user: User) -> list[tuple[str, list[str]]]:
    """Each blocker that answers, with its reasons. Called inside a transaction."""
    refusals = []
    for code, blocker in _blockers.items():
        reasons = blocker(user)
        if reasons:
            refusals.append((code, reasons))
    return refusals


@transaction.atomic
def account_erase_blockers(*, user: User) -> list[str]:
    """Why the person cannot erase their account now (empty: they can), to show beforehand.

    A transaction of its own: blockers lock the rows they read."""
    return [reason for _code, reasons in _erasure_refusals(user) for reason in reasons]


@transaction.atomic
def account_erase(*, user: User) -> None:
    """Erase the person's personal data; keep an anonymous row so that places keep their history.

    Refused while a blocker answers (the last manager of a place hands it over first)."""
    # The person's row first (two erasures at once, from two tabs, do the work once); then the
    # blockers, which lock what their answer depends on, in their own fixed order; then the
    # erasers, which rely on those locks; then the row is anonymised.
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.erased_at is not None:
        return
    refusals = _erasure_refusals(locked)
    if refusals:
        raise AccountError(
            " ".join(reason for _code, reasons in refusals for reason in reasons),
            code=refusals[0][0],
        )
    for eraser in _erasers:
        eraser(locked)
    locked.api_tokens.all().delete()
    locked.groups.clear()
    locked.user_permissions.clear()

    old_email, old_avatar, language = locked.email, locked.avatar.name or "", locked.language
    with translation.override(settings.LANGUAGE_CODE):
        former = gettext("Former member")
    changes: dict[str, Any] = {
        "email": f"erased-{uuid.uuid4().hex}@erased.invalid",
        "display_name": former,
        "bio": "",
        "skills": "",
        "avatar": "",
        "language": settings.LANGUAGE_CODE,
        "email_verified_at": None,
        "is_active": False,
        "is_staff": False,
        "is_superuser": False,
        "last_login": None,
        "erased_at": timezone.now(),
    }
    for target in (locked, user):
        for field, value in changes.items():
            setattr(target, field, value)
        target.set_unusable_password()
    locked.save(update_fields=[*changes, "password"])

    storage = locked.avatar.storage
    if old_avatar:
        transaction.on_commit(lambda: storage.delete(old_avatar))
    transaction.on_commit(
        lambda: _send_email(to=old_email, template="erased", context={}, language=language)
    )
