"""Logins, logouts, failed logins and lockouts in the audit trail, with the address and the browser.

Rows go to the stream of the account's unit, so that the auditors of that unit read them; a failed
login under an unknown user name goes to the global stream. The address is in the row's `ip` column
and, with the browser (user agent), in its changes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.http import HttpRequest

from audit.actions import AuditAction
from audit.actors import Actor
from audit.models import AuditKind
from audit.services import audit_write, client_ip
from permissions.scoping import user_scopes

USER_AGENT_MAX = 300


def request_details(request: HttpRequest | None) -> dict[str, str]:
    """The address and browser of a request, as the audit rows carry them."""
    if request is None:
        return {"ip": "", "user_agent": ""}
    return {
        "ip": client_ip(request),
        "user_agent": str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX],
    }


def account_unit_id(user: Actor) -> int | None:
    """The unit an account belongs to: its `Account.unit`, else the highest unit of its roles."""
    from accounts.models import Account

    unit_id = Account.objects.filter(user=user).values_list("unit_id", flat=True).first()
    if unit_id:
        return unit_id
    scopes = sorted(user_scopes(user), key=lambda s: (len(s.unit_path), s.unit_path))
    return scopes[0].unit_id if scopes else None


def audit_auth(
    *,
    action: AuditAction,
    request: HttpRequest | None,
    user: Actor | None = None,
    actor: Actor | None = None,
    by_user: bool = True,
    username: str = "",
    **extra: Any,
) -> None:
    """One access row about an account (`user`), by `actor`: by default the user themself, nobody
    ("system") with `by_user=False` (a failed login is not the account holder's act)."""
    details = request_details(request)
    changes = {"username": (user.get_username() if user is not None else username)[:150], **details, **extra}
    audit_write(
        kind=AuditKind.ACCESS,
        action=action,
        actor=actor if actor is not None else (user if by_user else None),
        unit_id=account_unit_id(user) if user is not None else None,
        obj=user,
        changes=changes,
        ip=details["ip"],
    )


def _login_failed(sender, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs) -> None:
    """After django-axes counted the failure (its receiver is connected first): the row, and the
    lockout row when this failure reached the limit."""
    username = str(credentials.get("username") or "")[:150]
    user = get_user_model().objects.filter(username=username).first() if username else None
    failures = getattr(request, "axes_failures_since_start", None)
    locked = bool(getattr(request, "axes_locked_out", False))
    extra: dict[str, Any] = {"stage": credentials.get("stage", "password")}
    if failures is not None:
        extra["failures"] = failures
    if locked:
        extra["locked"] = True
    audit_auth(
        action=AuditAction.LOGIN_FAILED, request=request, user=user, by_user=False, username=username, **extra
    )
    if locked and failures == settings.AXES_FAILURE_LIMIT:
        audit_auth(
            action=AuditAction.LOCKOUT,
            request=request,
            user=user,
            by_user=False,
            username=username,
            failures=failures,
            minutes=settings.LOGIN_LOCKOUT_MINUTES,
        )


def _logged_out(sender, request: HttpRequest | None = None, user: Actor | None = None, **kwargs) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return
    reason = getattr(request, "civreg_logout_reason", "")
    extra: dict[str, Any] = {"reason": reason} if reason else {}
    audit_auth(action=AuditAction.LOGOUT, request=request, user=user, **extra)


def connect() -> None:
    """Connected in `AccountsConfig.ready`, after django-axes (earlier in INSTALLED_APPS) connected
    its own receivers."""
    user_login_failed.connect(_login_failed, dispatch_uid="civreg_login_failed")
    user_logged_out.connect(_logged_out, dispatch_uid="civreg_logged_out")
