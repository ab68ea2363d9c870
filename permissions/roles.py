"""The roles people hold on administrative units, and what each role may do.

A role on a unit covers the unit's whole subtree. Permissions are codenames of
`registry.AdministrativeUnit` (see its Meta.permissions) granted as guardian
object permissions to one Group per (unit, role), on every unit of the subtree.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    CLERK = "clerk", pgettext_lazy("role", "Clerk")
    REVIEWER = "reviewer", _("Reviewer")
    APPROVER = "approver", _("Approver")
    COUNTER_CLERK = "counter_clerk", _("Counter clerk")
    PROVINCE_ADMIN = "province_admin", _("Province administrator")
    AUDITOR = "auditor", _("Auditor")
    CONTRACTOR = "contractor", _("Contractor staff")


ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.CLERK: ("view_records", "collect_books", "scan_record", "enter_record", "attach_record"),
    Role.CONTRACTOR: ("view_records", "scan_record", "enter_record", "attach_record"),
    Role.REVIEWER: ("view_records", "review_record", "amend_record"),
    Role.APPROVER: (
        "view_records",
        "approve_record",
        "amend_record",
        "reject_record",
        "resolve_duplicates",
        "export_records",
    ),
    Role.COUNTER_CLERK: ("view_records", "print_extract"),
    Role.AUDITOR: ("view_records", "view_audit"),
    Role.PROVINCE_ADMIN: (
        "view_records",
        "collect_books",
        "scan_record",
        "enter_record",
        "attach_record",
        "review_record",
        "approve_record",
        "amend_record",
        "reject_record",
        "resolve_duplicates",
        "print_extract",
        "export_records",
        "view_audit",
        "manage_unit",
    ),
}

# Amending an approved or transferred record (`workflows.services.record_amend`): never a clerk or
# contractor staff, whose work is keyed before review.
AMEND_PERMISSION = "amend_record"

ALL_UNIT_PERMISSIONS = sorted({p for perms in ROLE_PERMISSIONS.values() for p in perms})


def roles_with(permission: str) -> list[str]:
    """The roles that carry a permission codename."""
    return [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]
