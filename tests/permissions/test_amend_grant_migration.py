"""The data migration that grants `amend_record` to the groups of existing roles (reviewer,
approver, province administrator) on every unit of their subtree, and never to clerks."""

import importlib

from django.apps import apps
from guardian.models import GroupObjectPermission

from permissions.models import UnitRole
from permissions.scoping import can

migration = importlib.import_module("permissions.migrations.0002_grant_amend_record")


def test_existing_groups_get_amend_record_on_their_subtree(world):
    # given a database whose groups were granted their codenames before amend_record existed
    GroupObjectPermission.objects.filter(permission__codename="amend_record").delete()
    reviewer = UnitRole.objects.get(unit=world.commune_a, role="reviewer")
    assert not reviewer.group.groupobjectpermission_set.filter(permission__codename="amend_record").exists()
    # when the migration runs
    migration.grant(apps, None)
    # then reviewers, approvers and province administrators hold it on every unit below them
    for role in ("reviewer", "approver", "province_admin"):
        for unit_role in UnitRole.objects.filter(role=role).select_related("unit", "group"):
            granted = set(
                unit_role.group.groupobjectpermission_set.filter(
                    permission__codename="amend_record"
                ).values_list("object_pk", flat=True)
            )
            below = {
                str(pk)
                for pk in type(unit_role.unit)
                .objects.filter(path__startswith=unit_role.unit.path)
                .values_list("pk", flat=True)
            }
            assert granted == below, role
    # and clerks never
    assert not GroupObjectPermission.objects.filter(
        permission__codename="amend_record", group__unit_role__role__in=["clerk", "contractor"]
    ).exists()
    assert can(world.reviewer, "amend_record", world.commune_a.path)
    # running it again adds nothing
    count = GroupObjectPermission.objects.filter(permission__codename="amend_record").count()
    migration.grant(apps, None)
    assert GroupObjectPermission.objects.filter(permission__codename="amend_record").count() == count
