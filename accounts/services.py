"""Writes on accounts: creating them (one or a sheet), deactivating, temporary passwords, unlocking,
the authenticator app. Each writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.auth_audit import audit_auth, request_details
from accounts.models import Account
from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.roles import Role
from permissions.services import role_grant
from registry.models import AdministrativeUnit

# No 0/O, 1/l/I: a temporary password is read aloud or copied from a screen.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password() -> str:
    """Twelve random characters in groups of four ("Kp7m-x3Qd-9aTw"): valid for one login only."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@dataclass(frozen=True)
class NewAccount:
    username: str
    full_name: str
    unit: AdministrativeUnit
    role: str
    ends_on: dt.date | None = None

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


def _split_name(full_name: str) -> tuple[str, str]:
    first, *rest = full_name.split(" ", 1)
    return first, (rest[0] if rest else "")


def _details(request: HttpRequest | None) -> dict[str, str]:
    return request_details(request)


@transaction.atomic
def account_create(*, spec: NewAccount, actor: Actor, request: HttpRequest | None = None) -> tuple[User, str]:
    """Create the user, its account (unit, end date) and its role; return it with its temporary password,
    which must be changed at the first login."""
    password = temporary_password()
    first, last = _split_name(spec.full_name)
    user = get_user_model().objects.create_user(
        username=spec.username, password=password, first_name=first[:150], last_name=last[:150]
    )
    Account.objects.create(
        user=user, unit=spec.unit, ends_on=spec.ends_on, must_change_password=True, created_by=actor
    )
    role_grant(user=user, unit=spec.unit, role=spec.role, actor=actor)
    audit_change(
        action=AuditAction.ACCOUNT_CREATE,
        actor=actor,
        obj=user,
        unit_id=spec.unit.pk,
        changes={
            "username": user.username,
            "full_name": spec.full_name,
            "unit": spec.unit.code,
            "role": spec.role,
            "ends_on": spec.ends_on,
            **_details(request),
        },
        ip=_details(request)["ip"],
    )
    return user, password


@transaction.atomic
def accounts_bulk_create(
    *, specs: list[NewAccount], actor: Actor, request: HttpRequest | None = None
) -> list[tuple[User, str]]:
    """All the accounts of a checked sheet, or none (one transaction)."""
    return [account_create(spec=spec, actor=actor, request=request) for spec in specs]


def _account(user: User) -> Account:
    account, _created = Account.objects.select_for_update(no_key=True).get_or_create(user=user)
    return account


@transaction.atomic
def account_set_active(*, user: User, active: bool, actor: Actor, request: HttpRequest | None = None) -> None:
    """Deactivate (the user's sessions end at their next request) or reactivate an account."""
    user = get_user_model().objects.select_for_update(no_key=True).get(pk=user.pk)
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_auth(
        action=AuditAction.ACCOUNT_REACTIVATE if active else AuditAction.ACCOUNT_DEACTIVATE,
        request=request,
        user=user,
        actor=actor,
    )


@transaction.atomic
def account_set_end(
    *, user: User, ends_on: dt.date | None, actor: Actor, request: HttpRequest | None = None
) -> None:
    account = _account(user)
    account.ends_on = ends_on
    account.save(update_fields=["ends_on"])
    audit_auth(
        action=AuditAction.ACCOUNT_END_SET,
        request=request,
        user=user,
        actor=actor,
        ends_on=ends_on.isoformat() if ends_on else None,
    )


@transaction.atomic
def account_password_reset(*, user: User, actor: Actor, request: HttpRequest | None = None) -> str:
    """Give a temporary password (shown once to the administrator); the next login must change it."""
    password = temporary_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    account = _account(user)
    account.must_change_password = True
    account.save(update_fields=["must_change_password"])
    audit_auth(action=AuditAction.PASSWORD_RESET, request=request, user=user, actor=actor)
    return password


@transaction.atomic
def account_password_changed(*, user: User, request: HttpRequest | None = None) -> None:
    """The user chose a new password: a temporary one no longer has to be changed."""
    Account.objects.filter(user=user).update(must_change_password=False)
    audit_auth(action=AuditAction.PASSWORD_CHANGE, request=request, user=user)


@transaction.atomic
def account_unlock(*, user: User, actor: Actor, request: HttpRequest | None = None) -> int:
    """End a lockout before its cool-off: forget the failed logins of the user name."""
    count = axes_reset(username=user.get_username())
    audit_auth(action=AuditAction.ACCOUNT_UNLOCK, request=request, user=user, actor=actor)
    return count


def totp_enrol_begin(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator to show as a QR code (the same one until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)


@transaction.atomic
def totp_enrol_confirm(
    *, user: User, device: TOTPDevice, token: str, request: HttpRequest | None = None
) -> bool:
    """Confirm the authenticator with its first code; it replaces any earlier one. False: wrong code."""
    if device.user_id != user.pk or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    audit_auth(action=AuditAction.TOTP_ENROL, request=request, user=user)
    return True


@transaction.atomic
def totp_remove(*, user: User, actor: Actor, request: HttpRequest | None = None) -> int:
    """Remove the user's authenticators (the user's own choice, or an administrator's for a lost phone)."""
    count, _rows = TOTPDevice.objects.filter(user=user).delete()
    if count:
        audit_auth(action=AuditAction.TOTP_REMOVE, request=request, user=user, actor=actor)
    return count
