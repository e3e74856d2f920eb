from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import check_for_language, ngettext
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST
from django.views.i18n import LANGUAGE_QUERY_PARAMETER

from tiers.accounts import services
from tiers.accounts.forms import (
    LoginForm,
    PasswordConfirmForm,
    ProfileForm,
    ResetForm,
    SignupForm,
    TokenForm,
    normalise_email,
)
from tiers.accounts.models import User
from tiers.core.errors import DomainError
from tiers.core.ratelimit import RateLimit, client_ip

# A person may ask for the verification e-mail again this many times an hour.
RESEND_LIMIT = 3
# Password reset e-mails sent to one address in an hour.
RESET_LIMIT = 3


def _person(request: HttpRequest) -> User:
    """The signed-in person (views behind `login_required`)."""
    user = request.user
    assert isinstance(user, User)
    return user


def set_language_cookie(response: HttpResponseBase, language: str) -> None:
    """The cookie Django's LocaleMiddleware reads, as its own `set_language` view writes it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch: Django's `set_language` (cookie, redirect to `next`), and
    for a signed-in person the language is saved too, so that their e-mails follow it."""
    response = i18n.set_language(request)
    language = request.POST.get(LANGUAGE_QUERY_PARAMETER, "") if request.method == "POST" else ""
    if isinstance(request.user, User) and language and check_for_language(language):
        services.language_update(user=request.user, language=language)
    return response


# Log in, sign up, e-mail verification --------------------------------------------------------


def login_limits() -> tuple[RateLimit, RateLimit]:
    """Failed log-ins counted per e-mail address and per client address (read at each request,
    so that the settings can change in tests and between deployments)."""
    limit, window = settings.LOGIN_RATE_LIMIT, settings.LOGIN_RATE_WINDOW
    return (
        RateLimit("login-email", limit=limit, window=window),
        RateLimit("login-ip", limit=limit, window=window),
    )


def _wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many login attempts. For the safety of your account, wait %(minutes)d minute "
        "before trying again, or reset your password.",
        "Too many login attempts. For the safety of your account, wait %(minutes)d minutes "
        "before trying again, or reset your password.",
        minutes,
    ) % {"minutes": minutes}


class LoginView(auth_views.LoginView):
    """Django's login, rate-limited: only failed attempts count; once over the limit (per
    address or per e-mail) the password is not even checked, and the answer is a 429."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    form_class = LoginForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = normalise_email(str(request.POST.get("username", "")))
        ip = client_ip(request)
        by_email, by_ip = login_limits()
        attempts = [by_ip.hit(ip)]
        if email:
            attempts.append(by_email.hit(email))
        refused = [a for a in attempts if not a.allowed]
        if refused:
            retry_after = max(a.retry_after for a in refused)
            form = self.get_form_class()(request, initial={"username": email})
            context = self.get_context_data(form=form, rate_limited=_wait_message(retry_after))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        form = self.get_form()
        if form.is_valid():
            # A success does not count: clear the e-mail's failures, give the address its try
            # back (people share an address in an EPN or a coworking space).
            by_email.reset(email)
            by_ip.undo(ip)
            return self.form_valid(form)
        return self.form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        set_language_cookie(response, form.get_user().language)
        return response


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        language = translation.get_language() or settings.LANGUAGE_CODE
        if language not in User.Language.values:
            language = settings.LANGUAGE_CODE
        try:
            user = services.account_signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                language=language,
            )
        except DomainError as exc:
            form.add_error("email", str(exc.message))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _(
                    "Welcome! Your account has been created. We have sent you an e-mail: "
                    "follow its link to confirm your address."
                ),
            )
            return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent by e-mail. Works signed in or not: the signed token names the person."""
    try:
        user, changed = services.email_verify(token=token)
    except services.VerificationError as exc:
        return render(
            request,
            "accounts/verify_failed.html",
            {"error": exc.message, "expired": exc.code == "expired"},
            status=400,
        )
    if changed:
        messages.success(request, _("Thank you: your e-mail address is confirmed."))
    else:
        messages.info(request, _("Your e-mail address was already confirmed."))
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("accounts:profile")
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return redirect("accounts:login")


@login_required
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    if user.email_verified_at is not None:
        messages.info(request, _("Your e-mail address is already confirmed."))
        return redirect("accounts:profile")
    limit = RateLimit("verify-resend", limit=RESEND_LIMIT, window=3600)
    if not limit.hit(str(user.pk)).allowed:
        messages.error(
            request,
            _("The link has been sent several times already. Wait an hour, and check your spam."),
        )
        return redirect("accounts:profile")
    services.verification_send(user=user)
    messages.success(
        request,
        _("A new link has been sent to %(email)s. It works for %(days)d days.")
        % {"email": user.email, "days": settings.EMAIL_VERIFICATION_TIMEOUT // 86400},
    )
    return redirect("accounts:profile")


# Passwords ---------------------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    form_class = ResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        limit = RateLimit("password-reset", limit=RESET_LIMIT, window=3600)
        attempt = limit.hit(normalise_email(form.cleaned_data["email"]))
        if not attempt.allowed:
            response = self.render_to_response(
                self.get_context_data(
                    form=form,
                    rate_limited=_(
                        "Several e-mails have already been sent to this address. "
                        "Check your spam, or wait an hour before asking again."
                    ),
                ),
                status=429,
            )
            response["Retry-After"] = str(attempt.retry_after)
            return response
        # Links are built on the site's address, never on the request's Host header.
        self.extra_email_context = {"site_url": settings.SITE_URL, "site_name": settings.SITE_NAME}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        # The link reached the person's mailbox: that confirms the address too, and their
        # failed log-ins no longer matter.
        if user.email_verified_at is None:
            User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
                email_verified_at=timezone.now()
            )
        login_limits()[0].reset(user.email)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


# Profile and tokens ------------------------------------------------------------------------------


def _profile_page(
    request: HttpRequest,
    *,
    form: ProfileForm | None = None,
    token_form: TokenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _person(request)
    context = {
        "form": form or ProfileForm(user=user),
        "token_form": token_form or TokenForm(),
        "sections": services.profile_sections(request, user),
        "tokens": user.api_tokens.order_by("-created_at", "-pk"),
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST, request.FILES, user=user)
    if not form.is_valid():
        return _profile_page(request, form=form)
    data = form.cleaned_data
    services.profile_update(
        user=user,
        display_name=data["display_name"],
        bio=data["bio"],
        skills=data["skills"],
        language=data["language"],
        avatar=data["avatar"],
        remove_avatar=data.get("remove_avatar", False),
    )
    with translation.override(user.language):  # the message is read in the new language
        messages.success(request, _("Your profile has been saved."))
    response = redirect("accounts:profile")
    set_language_cookie(response, user.language)
    return response


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, token_form=form)
    token, raw = services.token_create(user=_person(request), name=form.cleaned_data["name"])
    # Rendered, not redirected: the raw token is shown once and never stored anywhere.
    response = render(request, "accounts/token_created.html", {"token": token, "raw": raw})
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.token_revoke(user=_person(request), token_id=pk):
        raise Http404
    messages.success(request, _("The token has been revoked: it no longer works."))
    return redirect("accounts:profile")


# Personal data -----------------------------------------------------------------------------------


@login_required
def data_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        services.personal_data_json(_person(request)), content_type="application/json"
    )
    filename = f"tiers-personal-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


@login_required
def erase(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    form = PasswordConfirmForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_erase(user=user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            logout(request)
            messages.success(
                request, _("Your account has been erased. Thank you for having been part of it.")
            )
            return redirect(settings.LOGOUT_REDIRECT_URL)
    # Said before the person even tries: what they must do first.
    blocking = services.account_erase_blockers(user=user)
    return render(request, "accounts/erase.html", {"form": form, "blocking": blocking})
