"""What a signed-in session remembers about its account, so that checks on every request cost no query.

Set at login (`user_logged_in`, which `force_login` sends too): when the last request was, the
account's last day of use and whether it must change its password. The second-factor mark is set by
the login views once the code was given or found not to be needed.
"""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest

SEEN = "civreg_seen"  # time of the last request, refreshed at most once a minute
ENDS_ON = "civreg_ends_on"  # ISO date: the account locks itself after it
MUST_CHANGE = "civreg_must_change_password"
SECOND_FACTOR = "civreg_second_factor"  # "totp" or "not_required"
PENDING = "civreg_pending_login"  # password given, code (or enrolment) still due


def _remember(sender, request: HttpRequest | None = None, user=None, **kwargs) -> None:
    if request is None or not hasattr(request, "session") or user is None:
        return
    from accounts.models import Account

    account = Account.objects.filter(user=user).only("ends_on", "must_change_password").first()
    request.session[SEEN] = int(time.time())
    if account is not None and account.ends_on:
        request.session[ENDS_ON] = account.ends_on.isoformat()
    if account is not None and account.must_change_password:
        request.session[MUST_CHANGE] = True


def connect() -> None:
    user_logged_in.connect(_remember, dispatch_uid="civreg_session_remember")
