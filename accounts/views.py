"""Logging in (password, then the authenticator's code or its enrolment), the lockout page, and the
user's own account: authenticator app and password.

The password step does not sign the user in when a code is still due: the session only holds a
pending login for a few minutes, and `login()` runs once the code is right. Wrong codes count as
failed logins for the lockout, like wrong passwords.
"""

from __future__ import annotations

import time
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import sessions
from accounts.auth_audit import audit_auth
from accounts.middleware import ended_message
from accounts.models import Account
from accounts.second_factor import confirmed_device, otp_required_for, qr_svg, secret_for_typing
from accounts.selectors import account_of
from accounts.services import account_password_changed, totp_enrol_begin, totp_enrol_confirm, totp_remove
from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest

PENDING_SECONDS = 5 * 60


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _l("The user name or password is wrong. Check Caps Lock and try again."),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        account = Account.objects.filter(user=user).only("ends_on").first()
        if account is not None and account.ends_on and timezone.localdate() > account.ends_on:
            audit_auth(
                action=AuditAction.LOGIN_FAILED,
                request=self.request,
                user=user,
                by_user=False,
                reason="ended",
            )
            raise ValidationError(ended_message(account.ends_on), code="ended")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_l("Code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isascii() or not code.isdigit():
            raise ValidationError(_("Type the 6 digits your app shows."), code="digits")
        return code


class PasswordStep(LoginView):
    """The login page: the password; then the code, enrolment, or straight in."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        next_url = self.get_success_url()
        if confirmed_device(user) is not None:
            _pending_start(self.request, user, next_url, "code")
            return redirect("login_code")
        if otp_required_for(user):
            _pending_start(self.request, user, next_url, "enrol")
            return redirect("login_enrol")
        return login_complete(self.request, user, device=None, next_url=next_url)


def _pending_start(request: HttpRequest, user: User, next_url: str, stage: str) -> None:
    request.session[sessions.PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[1]),
        "next": next_url,
        "since": int(time.time()),
        "stage": stage,
    }


def _pending(request: HttpRequest, stage: str) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(sessions.PENDING)
    if not pending or pending.get("stage") != stage or time.time() - pending["since"] > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending) if user is not None else None


def login_complete(
    request: HttpRequest, user: User, *, device: TOTPDevice | None, next_url: str
) -> HttpResponse:
    """Sign the user in (after the password and, where due, the code) and write the login row."""
    backend = request.session.get(sessions.PENDING, {}).get("backend") or getattr(user, "backend", None)
    auth_login(request, user, backend=backend)
    if device is not None:
        django_otp.login(request, device)
    request.session[sessions.SECOND_FACTOR] = "totp" if device is not None else "not_required"
    request.session.pop(sessions.PENDING, None)
    audit_auth(action=AuditAction.LOGIN, request=request, user=user, second_factor="totp" if device else "")
    return redirect(next_url)


def _back_to_login(request: HttpRequest) -> HttpResponse:
    request.session.pop(sessions.PENDING, None)
    messages.info(request, _("The login was not finished within 5 minutes. Log in again."))
    return redirect("login")


def _code_refused(request: HttpRequest, user: User, form: CodeForm) -> HttpResponse | None:
    """Count a wrong code as a failed login; the lockout page when it was one too many."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username(), "stage": "code"}, request=request
    )
    if getattr(request, "axes_locked_out", False):
        request.session.pop(sessions.PENDING, None)
        return lockout_response(request, None, {"username": user.get_username()})
    form.add_error("code", _("That code is wrong or has expired. Type the 6 digits your app shows now."))
    return None


def _locked(request: HttpRequest, user: User) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def login_code(request: HttpRequest) -> HttpResponse:
    """Second step for a user with an authenticator: the 6-digit code."""
    found = _pending(request, "code")
    if found is None:
        return _back_to_login(request)
    user, pending = found
    device = confirmed_device(user)
    if device is None:
        return _back_to_login(request)
    if _locked(request, user):
        request.session.pop(sessions.PENDING, None)
        return lockout_response(request, None, {"username": user.get_username()})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if django_otp.verify_token(user, device.persistent_id, form.cleaned_data["code"]) is not None:
            return login_complete(request, user, device=device, next_url=pending["next"])
        refused = _code_refused(request, user, form)
        if refused is not None:
            return refused
    return render(request, "accounts/login_code.html", {"form": form, "pending_user": user})


def login_enrol(request: HttpRequest) -> HttpResponse:
    """Second step for a user whose role requires a code and who has no authenticator yet."""
    found = _pending(request, "enrol")
    if found is None:
        return _back_to_login(request)
    user, pending = found
    if _locked(request, user):
        request.session.pop(sessions.PENDING, None)
        return lockout_response(request, None, {"username": user.get_username()})
    device = totp_enrol_begin(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_enrol_confirm(user=user, device=device, token=form.cleaned_data["code"], request=request):
            messages.success(
                request, _("Your authenticator app is set up. Next time, type its code after your password.")
            )
            return login_complete(request, user, device=device, next_url=pending["next"])
        refused = _code_refused(request, user, form)
        if refused is not None:
            return refused
    return render(request, "accounts/totp_enrol.html", _enrol_context(device, form, during_login=True))


def _enrol_context(device: TOTPDevice, form: CodeForm, *, during_login: bool) -> dict[str, Any]:
    return {
        "qr_svg": qr_svg(device),
        "secret": secret_for_typing(device),
        "form": form,
        "during_login": during_login,
    }


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: the login page saying the account is locked and who unlocks it."""
    if hasattr(request, "session"):
        request.session.pop(sessions.PENDING, None)
    context = {
        "form": LoginForm(request),
        "locked": True,
        "limit": settings.AXES_FAILURE_LIMIT,
        "minutes": settings.LOGIN_LOCKOUT_MINUTES,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


# --- The user's own account ---------------------------------------------------------------------


@login_required
def account_me(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/me.html",
        {
            "account": account_of(user),
            "device": confirmed_device(user),
            "otp_required": otp_required_for(user),
        },
    )


@login_required
def account_totp(request: AuthenticatedRequest) -> HttpResponse:
    """Set up (or replace) the authenticator app: scan the QR code, confirm with a first code."""
    user = request.user
    device = totp_enrol_begin(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_enrol_confirm(user=user, device=device, token=form.cleaned_data["code"], request=request):
            django_otp.login(request, device)
            request.session[sessions.SECOND_FACTOR] = "totp"
            messages.success(
                request, _("Your authenticator app is set up. Next time, type its code after your password.")
            )
            return redirect("account_me")
        form.add_error("code", _("That code is wrong or has expired. Type the 6 digits your app shows now."))
    return render(request, "accounts/totp_enrol.html", _enrol_context(device, form, during_login=False))


@login_required
@require_POST
def account_totp_remove(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if otp_required_for(user):
        messages.error(request, _("Your role requires the authenticator app: it cannot be removed."))
    elif totp_remove(user=user, actor=user, request=request):
        messages.success(request, _("The authenticator app was removed: you log in with your password only."))
    return redirect("account_me")


@login_required
def account_password(request: AuthenticatedRequest) -> HttpResponse:
    """Change one's password; the page a temporary password leads to before anything else."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        account_password_changed(user=user, request=request)
        request.session.pop(sessions.MUST_CHANGE, None)
        messages.success(request, _("Your password was changed."))
        return redirect("landing")
    return render(
        request,
        "accounts/password.html",
        {"form": form, "forced": bool(request.session.get(sessions.MUST_CHANGE))},
    )
