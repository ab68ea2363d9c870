"""Granting and revoking roles on units."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from guardian.models import GroupObjectPermission

from audit.actions import AuditAction
from audit.services import audit_change
from permissions.models import UnitRole
from permissions.roles import ROLE_PERMISSIONS, Role
from registry.models import AdministrativeUnit


def _unit_role(unit: AdministrativeUnit, role: str) -> UnitRole:
    existing = UnitRole.objects.filter(unit=unit, role=role).select_related("group").first()
    if existing:
        return existing
    group, _ = Group.objects.get_or_create(name=f"{role}@{unit.era}:{unit.level}:{unit.code}")
    unit_role, _ = UnitRole.objects.get_or_create(unit=unit, role=role, defaults={"group": group})
    unit_role_permissions_sync(unit_role=unit_role)
    return unit_role


@transaction.atomic
def unit_role_permissions_sync(*, unit_role: UnitRole) -> int:
    """Grant the role's guardian permissions to its group on every unit of the subtree.

    Run again after units are added under the unit. Returns the rows created.
    """
    ct = ContentType.objects.get_for_model(AdministrativeUnit)
    perms = list(Permission.objects.filter(content_type=ct, codename__in=ROLE_PERMISSIONS[unit_role.role]))
    unit_ids = AdministrativeUnit.objects.filter(path__startswith=unit_role.unit.path).values_list(
        "pk", flat=True
    )
    existing = set(
        GroupObjectPermission.objects.filter(group=unit_role.group, content_type=ct).values_list(
            "permission_id", "object_pk"
        )
    )
    rows = [
        GroupObjectPermission(group=unit_role.group, permission=perm, content_type=ct, object_pk=str(uid))
        for uid in unit_ids
        for perm in perms
        if (perm.pk, str(uid)) not in existing
    ]
    GroupObjectPermission.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@transaction.atomic
def role_grant(*, user, unit: AdministrativeUnit, role: str, actor=None) -> UnitRole:
    """Give `user` the `role` on `unit` and its subtree."""
    role = Role(role)
    unit_role = _unit_role(unit, role)
    unit_role.group.user_set.add(user)
    audit_change(
        action=AuditAction.ROLE_GRANT,
        actor=actor,
        obj=user,
        changes={"role": role.value, "unit": unit.code, "unit_name": unit.name},
    )
    return unit_role


@transaction.atomic
def role_revoke(*, user, unit: AdministrativeUnit, role: str, actor=None) -> None:
    unit_role = UnitRole.objects.filter(unit=unit, role=role).select_related("group").first()
    if unit_role is None:
        return
    unit_role.group.user_set.remove(user)
    audit_change(
        action=AuditAction.ROLE_REVOKE, actor=actor, obj=user, changes={"role": role, "unit": unit.code}
    )
