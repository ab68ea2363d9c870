"""Which accounts an administrator manages, which roles they may give, and which accounts are locked.

An account lies in an administrator's subtree when its unit and the units of all its roles lie
under a unit where the administrator holds `manage_unit`; superusers are managed by no one but
superusers. Every account page fetches through `get_account_for`, which answers 404 otherwise.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import Account
from audit.actors import Actor
from permissions.models import UnitRole
from permissions.roles import ROLE_PERMISSIONS, Role
from permissions.scoping import scope_q, scopes_with, user_scopes
from registry.models import AdministrativeUnit

MANAGE = "manage_unit"


def may_manage_accounts(user: Actor) -> bool:
    return bool(user.is_superuser or scopes_with(user, MANAGE))


def accounts_visible_to(user: Actor) -> QuerySet:
    """The accounts `user` manages (none for someone who manages no unit)."""
    User = get_user_model()
    if user.is_superuser:
        return User.objects.all()
    if not scopes_with(user, MANAGE):
        return User.objects.none()
    home_inside = Account.objects.filter(scope_q(user, MANAGE, path_field="unit__path"), user=OuterRef("pk"))
    home_outside = Account.objects.filter(user=OuterRef("pk"), unit__isnull=False).exclude(
        scope_q(user, MANAGE, path_field="unit__path")
    )
    role_inside = UnitRole.objects.filter(
        scope_q(user, MANAGE, path_field="unit__path"), group__user=OuterRef("pk")
    )
    role_outside = UnitRole.objects.filter(group__user=OuterRef("pk")).exclude(
        scope_q(user, MANAGE, path_field="unit__path")
    )
    return (
        User.objects.filter(is_superuser=False)
        .filter(Exists(home_inside) | Exists(role_inside))
        .exclude(Exists(home_outside) | Exists(role_outside))
    )


def get_account_for(user: Actor, pk: int):
    """The account `pk` if `user` manages it; 404 otherwise (no hint that it exists)."""
    account = accounts_visible_to(user).filter(pk=pk).first()
    if account is None:
        raise Http404("No such account.")
    return account


def grantable_roles(user: Actor, unit: AdministrativeUnit) -> list[str]:
    """The roles `user` may give on `unit`: those whose permissions `user` holds there."""
    if user.is_superuser:
        return list(Role.values)
    if not any(scope.covers(unit.path) for scope in scopes_with(user, MANAGE)):
        return []
    held: set[str] = set()
    for scope in user_scopes(user):
        if scope.covers(unit.path):
            held |= set(ROLE_PERMISSIONS[scope.role])
    return [role for role in Role.values if held and set(ROLE_PERMISSIONS[role]) <= held]


def locked_usernames(usernames=None) -> dict[str, int]:
    """User names locked out now by django-axes, with their failures since the cool-off began."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since)
    if usernames is not None:
        attempts = attempts.filter(username__in=list(usernames))
    rows = attempts.values("username").annotate(failures=Sum("failures_since_start"))
    return {
        row["username"]: row["failures"] for row in rows if row["failures"] >= settings.AXES_FAILURE_LIMIT
    }


def units_for_accounts(user: Actor) -> QuerySet[AdministrativeUnit]:
    """The units an administrator may put new accounts in."""
    return AdministrativeUnit.objects.filter(scope_q(user, MANAGE, path_field="path")).order_by("path")


def account_of(user: Actor) -> Account | None:
    return Account.objects.filter(user=user).select_related("unit").first()


def q_search(text: str) -> Q:
    return Q(username__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text)
