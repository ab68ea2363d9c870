"""Checks on every signed-in request, from the session alone (no query on the usual path):

- idle timeout: no request for SESSION_IDLE_MINUTES ends the session (each request refreshes it,
  written at most once a minute);
- the end date of mobilized staff: from the day after, the session ends and login is refused;
- a temporary password must be changed before anything else;
- a session that never gave its second factor (opened before enforcement, or by other means) ends
  when the user must have one or has one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sessions
from accounts.second_factor import confirmed_device, otp_required_for

REFRESH_SECONDS = 60
# Pages a user who must change a temporary password may still open.
_WHILE_CHANGING = {"account_password", "logout", "set_language", "login"}


def _to_login(request: HttpRequest, reason: str, message: str) -> HttpResponse:
    request.civreg_logout_reason = reason  # type: ignore[attr-defined]  # read by the logout audit row
    logout(request)
    messages.warning(request, message)
    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
    return HttpResponseRedirect(reverse("login") + (f"?{query}" if query else ""))


class AccountSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            refused = self._check(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = int(time.time())
        idle = settings.SESSION_IDLE_MINUTES * 60
        seen = session.get(sessions.SEEN)
        if seen is not None and now - int(seen) > idle:
            return _to_login(
                request,
                "idle",
                _("You were logged out after %(minutes)d minutes without activity. Log in again.")
                % {"minutes": settings.SESSION_IDLE_MINUTES},
            )
        ends_on = session.get(sessions.ENDS_ON)
        if ends_on and timezone.localdate() > dt.date.fromisoformat(ends_on):
            return _to_login(request, "ended", ended_message(dt.date.fromisoformat(ends_on)))
        if sessions.SECOND_FACTOR not in session and settings.OTP_REQUIRED_ROLES:
            user = request.user
            if otp_required_for(user) or confirmed_device(user) is not None:  # type: ignore[arg-type]
                return _to_login(
                    request,
                    "second_factor",
                    _("Log in again with your password and the code of your authenticator app."),
                )
            session[sessions.SECOND_FACTOR] = "not_required"
        if seen is None or now - int(seen) > REFRESH_SECONDS:
            session[sessions.SEEN] = now
            session.set_expiry(idle + REFRESH_SECONDS)
        if session.get(sessions.MUST_CHANGE) and _url_name(request) not in _WHILE_CHANGING:
            return HttpResponseRedirect(reverse("account_password"))
        return None


def _url_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).url_name or ""
    except Resolver404:
        return ""


def ended_message(ends_on: dt.date) -> str:
    return _(
        "This account could be used until %(date)s and is now locked. If you still work on the "
        "digitization, ask the province administrator of your unit to extend it."
    ) % {"date": ends_on.strftime("%d/%m/%Y")}
