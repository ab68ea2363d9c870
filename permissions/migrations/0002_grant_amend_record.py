"""Grant `amend_record` to the groups of the roles that now carry it (reviewer, approver, province
administrator) on every unit of their subtree, as `permissions.services.unit_role_permissions_sync`
grants a role's codenames. Clerks and contractor staff never get it."""

from django.db import migrations

ROLES = ("reviewer", "approver", "province_admin")


def grant(apps, schema_editor):
    UnitRole = apps.get_model("unit_permissions", "UnitRole")
    roles = list(UnitRole.objects.filter(role__in=ROLES).select_related("unit", "group"))
    if not roles:
        return  # a new database: the permission row and the grants come with the roles
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    AdministrativeUnit = apps.get_model("registry", "AdministrativeUnit")
    GroupObjectPermission = apps.get_model("guardian", "GroupObjectPermission")
    ct, _ = ContentType.objects.get_or_create(app_label="registry", model="administrativeunit")
    perm, _ = Permission.objects.get_or_create(
        content_type=ct,
        codename="amend_record",
        defaults={"name": "Can amend approved or transferred records"},
    )
    for unit_role in roles:
        unit_ids = AdministrativeUnit.objects.filter(path__startswith=unit_role.unit.path).values_list(
            "pk", flat=True
        )
        existing = set(
            GroupObjectPermission.objects.filter(
                group=unit_role.group, content_type=ct, permission=perm
            ).values_list("object_pk", flat=True)
        )
        GroupObjectPermission.objects.bulk_create(
            [
                GroupObjectPermission(
                    group=unit_role.group, permission=perm, content_type=ct, object_pk=str(uid)
                )
                for uid in unit_ids
                if str(uid) not in existing
            ],
            batch_size=2000,
        )


def revoke(apps, schema_editor):
    GroupObjectPermission = apps.get_model("guardian", "GroupObjectPermission")
    GroupObjectPermission.objects.filter(
        permission__codename="amend_record", permission__content_type__app_label="registry"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("unit_permissions", "0001_initial"),
        ("registry", "0012_amend_permission_and_duplicate_route"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
