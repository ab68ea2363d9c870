"""Personal API tokens: create (the secret shown once), list, revoke, and authenticate a call.

A token reads `civ_<prefix>_<secret>`; the row keeps the prefix and the SHA-256 of the whole
token. A token acts as its user: the user's roles and scope decide everything, so a revoked role
is gone from the token at once; a token of an inactive user, of mobilized staff after their last
day, or past its own expiry date is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from api.models import ApiToken
from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_access, audit_change

TOKEN_START = "civ_"  # noqa: S105  (the visible start of every token, not a secret)
MAX_ACTIVE_TOKENS = 20
# Writing `last_used_at` at most this often keeps a busy scanner from rewriting the row per call.
LAST_USED_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown once


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(user: Actor) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


@transaction.atomic
def api_token_create(*, user: Actor, name: str, expires_on: dt.date | None = None) -> NewToken:
    """A new token for `user`; refused by field: no name, an expiry date that has passed, too many."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name that says where it is used, e.g. “scanner station 2”.")]
    elif len(name) > 80:
        errors["name"] = [_("The name is at most 80 characters.")]
    if expires_on is not None and expires_on <= timezone.localdate():
        errors["expires_on"] = [_("The expiry date must be after today (or left empty).")]
    active = tokens_of(user).filter(revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        errors["name"] = [
            _("You already have %(n)d tokens in use: revoke one you no longer need.") % {"n": active}
        ]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, secret_sha256=_digest(secret), expires_on=expires_on
    )
    audit_change(
        action=AuditAction.API_TOKEN_CREATE,
        actor=user,
        obj=token,
        changes={"name": name, "prefix": prefix, "expires_on": expires_on},
    )
    return NewToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, user: Actor, token_id: int) -> ApiToken | None:
    """Revoke one of the user's own tokens (None when it is not theirs or already revoked)."""
    token = (
        tokens_of(user).select_for_update(no_key=True).filter(pk=token_id, revoked_at__isnull=True).first()
    )
    if token is None:
        return None
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_change(
        action=AuditAction.API_TOKEN_REVOKE,
        actor=user,
        obj=token,
        changes={"name": token.name, "prefix": token.prefix},
    )
    return token


def _refused(token: ApiToken | None, reason: str) -> None:
    audit_access(
        action=AuditAction.API_TOKEN_REFUSED,
        actor=token.user if token is not None else None,
        obj=token,
        changes={"reason": reason},
    )


def token_authenticate(secret: str) -> ApiToken | None:
    """The token named by `secret` if it may be used now, with its user; None (and an access-log
    row) otherwise."""
    parts = secret.split("_")
    if not secret.startswith(TOKEN_START) or len(parts) < 3 or len(secret) > 200:
        _refused(None, "malformed")
        return None
    token = ApiToken.objects.filter(prefix=parts[1]).select_related("user").first()
    if token is None or not hmac.compare_digest(token.secret_sha256, _digest(secret)):
        _refused(None, "unknown")
        return None
    today = timezone.localdate()
    if token.revoked_at is not None:
        _refused(token, "revoked")
        return None
    if token.expires_on is not None and today > token.expires_on:
        _refused(token, "expired")
        return None
    if not token.user.is_active:
        _refused(token, "inactive user")
        return None
    ends_on = Account.objects.filter(user=token.user).values_list("ends_on", flat=True).first()
    if ends_on is not None and today > ends_on:
        _refused(token, "account ended")
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
