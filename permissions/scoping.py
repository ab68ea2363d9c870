"""The one place that decides what a user may see and touch.

Every list, detail, file, print and export goes through these selectors. A role
on a unit covers the unit's subtree, which is a prefix filter on the
materialized path; a superuser sees everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from audit.actions import AuditAction
from permissions.models import UnitRole
from permissions.roles import ROLE_PERMISSIONS, Role
from registry.models import LEVEL_RANK, AdministrativeUnit, CivilRecord, RegisterBook, UnitLevel


@dataclass(frozen=True)
class Scope:
    role: str
    unit_id: int
    unit_path: str
    unit_level: str
    unit_name: str

    @property
    def role_label(self) -> str:
        """The role's name in the active language (the code stays in `role`)."""
        return str(Role(self.role).label)

    @property
    def rank(self) -> int:
        return LEVEL_RANK[UnitLevel(self.unit_level)]

    def covers(self, path: str) -> bool:
        return path.startswith(self.unit_path)


def user_scopes(user) -> list[Scope]:
    """The user's roles with the unit each covers; one query, cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_civreg_scopes", None)
    if cached is None:
        cached = [
            Scope(role, uid, path, level, name)
            for role, uid, path, level, name in UnitRole.objects.filter(group__user=user).values_list(
                "role", "unit_id", "unit__path", "unit__level", "unit__name"
            )
        ]
        user._civreg_scopes = cached
    return cached


def scopes_with(user, permission: str) -> list[Scope]:
    return [s for s in user_scopes(user) if permission in ROLE_PERMISSIONS[s.role]]


def scope_q(user, permission: str, *, path_field: str = "unit_path") -> Q:
    """A filter matching rows whose unit path lies under a unit where `user` has `permission`."""
    if getattr(user, "is_superuser", False):
        return Q()
    q = Q(pk__in=[])
    for prefix in _minimal_prefixes(s.unit_path for s in scopes_with(user, permission)):
        q |= Q(**{f"{path_field}__startswith": prefix})
    return q


def _minimal_prefixes(paths) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def can(user, permission: str, path: str) -> bool:
    """Does `user` hold `permission` on the unit at `path` (through any ancestor)?"""
    if getattr(user, "is_superuser", False):
        return True
    return any(s.covers(path) for s in scopes_with(user, permission))


def can_approve(user, record: CivilRecord) -> bool:
    """Approval needs the approve permission at a level at least as high as the record's competence."""
    if getattr(user, "is_superuser", False):
        return True
    needed = LEVEL_RANK[UnitLevel(record.competence)]
    return any(s.covers(record.unit_path) and s.rank >= needed for s in scopes_with(user, "approve_record"))


def units_visible_to(user, permission: str = "view_records") -> QuerySet[AdministrativeUnit]:
    return AdministrativeUnit.objects.filter(scope_q(user, permission, path_field="path"))


def books_visible_to(user, permission: str = "view_records") -> QuerySet[RegisterBook]:
    return RegisterBook.objects.filter(scope_q(user, permission, path_field="custodian__path"))


def records_visible_to(user, permission: str = "view_records") -> QuerySet[CivilRecord]:
    return CivilRecord.objects.filter(scope_q(user, permission))


def get_record_for(user, pk, permission: str = "view_records", *, request=None) -> CivilRecord:
    """The record if `user` may see it; otherwise 404 (and the refusal is logged)."""
    record = CivilRecord.objects.filter(pk=pk).select_related("book", "unit").first()
    if record is None or not can(user, permission, record.unit_path):
        if record is not None:
            from audit.services import audit_access

            audit_access(
                request=request,
                actor=user,
                action=AuditAction.DENIED,
                unit_id=record.unit_id,
                obj=record,
                record_id=record.pk,
                changes={"permission": permission},
            )
        raise Http404("No such record.")
    return record


def get_book_for(user, pk, permission: str = "view_records", *, request=None) -> RegisterBook:
    book = RegisterBook.objects.filter(pk=pk).select_related("custodian").first()
    if book is None or not can(user, permission, book.custodian.path):
        if book is not None:
            from audit.services import audit_access

            audit_access(
                request=request,
                actor=user,
                action=AuditAction.DENIED,
                unit_id=book.custodian_id,
                obj=book,
                changes={"permission": permission},
            )
        raise Http404("No such book.")
    return book
