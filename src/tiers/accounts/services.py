"""Writes and reads about people: sign-up, e-mail verification, profile, API tokens, personal data.

Each write function is one transaction; e-mails are sent once it has committed.

Personal data is gathered and erased through two small registries, so that every app adds its
own part: `@personal_data_exporter("bookings")` registers a function returning what the app
holds about a person (JSON-serialisable, datetimes allowed), `@personal_data_eraser` one that
removes or anonymises it inside the erasure's transaction. Register them at import time of a
module that is always imported (the app's `services.py`, or its `AppConfig.ready()`).
"""

from __future__ import annotations

import json
import logging
import smtplib
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiers.accounts.models import ApiToken, User
from tiers.core.errors import DomainError

logger = logging.getLogger(__name__)


class AccountError(DomainError):
    code = "account"


class VerificationError(AccountError):
    status = 400
    code = "verification"


# E-mails ---------------------------------------------------------------------------------------


def _send_email(*, to: str, template: str, context: dict[str, Any], language: str) -> None:
    """Render `accounts/email/<template>_subject.txt` and `_body.txt` in `language` and send.

    Called on commit: a failing mail server is logged (without the address) and does not turn
    the page into an error; the person can ask for the e-mail again."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = " ".join(
            render_to_string(f"accounts/email/{template}_subject.txt", context).split()
        )
        body = render_to_string(f"accounts/email/{template}_body.txt", context)
    try:
        send_mail(subject, body, None, [to])
    except (smtplib.SMTPException, OSError):
        logger.exception("the %s e-mail could not be sent", template)


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


# API tokens --------------------------------------------------------------------------------------


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; returns the row and the raw token, to be shown once."""
    return ApiToken.issue(user=user, name=name.strip())


def token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of the person's own tokens; False if they have no token with that id."""
    deleted, _rows = ApiToken.objects.filter(pk=token_id, user=user).delete()
    return deleted > 0


# Personal data: export ---------------------------------------------------------------------------

Exporter = Callable[[User], Any]
Eraser = Callable[[User], None]
F = TypeVar("F", bound=Exporter)

_exporters: dict[str, Exporter] = {}
_erasers: list[Eraser] = []


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


# The people's side of the places app (memberships, networks they coordinate). Read-only here.
@personal_data_exporter("memberships")
def _export_memberships(user: User) -> list[dict[str, Any]]:
    from tiers.places.models import Membership

    memberships = Membership.objects.filter(user=user).select_related("place")
    return [
        {
            "place": m.place.name,
            "place_url": settings.SITE_URL + m.place.get_absolute_url(),
            "status": m.status,
            "state": m.state,
            "is_manager": m.is_manager,
            "is_concierge": m.is_concierge,
            "is_visible": m.is_visible,
            "message": m.message,
            "requested_at": m.requested_at,
            "started_on": m.started_on,
            "ended_on": m.ended_on,
        }
        for m in memberships.order_by("requested_at", "pk")
    ]


@personal_data_exporter("networks_coordinated")
def _export_networks(user: User) -> list[dict[str, Any]]:
    return [
        {"name": n.name, "url": settings.SITE_URL + n.get_absolute_url()}
        for n in user.coordinated_networks.order_by("name", "pk")
    ]


# Personal data: erasure --------------------------------------------------------------------------


def places_where_last_manager(user: User) -> QuerySet[Any]:
    """The person's active manager memberships of places that have no other active manager."""
    from tiers.places.models import Membership

    other_managers = Membership.objects.filter(
        place_id=OuterRef("place_id"), state=Membership.State.ACTIVE, is_manager=True
    ).exclude(user=user)
    return (
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE, is_manager=True)
        .filter(~Exists(other_managers))
        .select_related("place")
        .order_by("place__name")
    )


@transaction.atomic
def account_erase(*, user: User) -> None:
    """Erase the person's personal data; keep an anonymous row so that places keep their history.

    Refused while the person is the last manager of a place: they hand it over first."""
    from tiers.places.models import Membership, Place
    from tiers.places.services import membership_end

    # Lock the person's row (two erasures at once, from two tabs, do the work once), then the
    # places they manage, in a fixed order: two co-managers erasing at the same instant must
    # not leave a place with no manager.
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.erased_at is not None:
        return
    managed = Membership.objects.filter(
        user=locked, state=Membership.State.ACTIVE, is_manager=True
    ).values("place_id")
    list(Place.objects.select_for_update().filter(pk__in=managed).order_by("pk").values("pk"))
    last = list(places_where_last_manager(locked))
    if last:
        raise AccountError(
            _(
                "You are the last manager of %(places)s. Make someone else a manager "
                "before erasing your account."
            )
            % {"places": ", ".join(m.place.name for m in last)},
            code="last-manager",
        )
    current = Membership.objects.filter(
        user=locked, state__in=[Membership.State.PENDING, Membership.State.ACTIVE]
    ).order_by("pk")
    for membership in current:
        try:
            membership_end(membership=membership, by=locked)
        except DomainError as exc:  # a co-manager left meanwhile
            raise AccountError(exc.message, code=exc.code) from exc
    for eraser in _erasers:
        eraser(locked)
    locked.coordinated_networks.clear()
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
