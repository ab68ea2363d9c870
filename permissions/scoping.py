"""The one place that decides what a user may see and touch.

Every list, detail, file, print and export goes through these selectors. A role
on a unit covers the unit's subtree, which is a prefix filter on the
materialized path; a superuser sees everything.

Least privilege for contractor staff (`WORK_LIMITED_ROLES`): their role never shows them a
unit's records as a whole. They see the cases of their assigned work only, while it is
assigned (`assigned_work_q`: the one rule), have no record search, see PINs masked, and each
record they open is written to the access log. Staff of a digitization contract (issue 17) are
confined to their open contracts' units (`contract_paths`): their books, their queue, and the
cases of those books still in the contractor's hands (not yet reviewed); 404 elsewhere.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from audit.actions import AuditAction
from permissions.models import UnitRole
from permissions.roles import ROLE_PERMISSIONS, Role
from registry.models import LEVEL_RANK, AdministrativeUnit, CivilRecord, RegisterBook, UnitLevel

# Roles whose holders see only the cases of their assigned work, never a whole unit's records.
WORK_LIMITED_ROLES = frozenset({Role.CONTRACTOR.value})


class AssignedWork(Protocol):
    """A filter of `CivilRecord` rows: the cases assigned to `user` now."""

    def __call__(self, user: Any, /) -> Q: ...


# Where assigned work comes from, filled in `config.wiring` (the work items a person holds in the
# inbox, `workflows.inbox.held_records_q`); contracts (issue 17) add the books of the contract.
ASSIGNED_WORK: list[AssignedWork] = []


class ContractPaths(Protocol):
    """The unit paths of the open contracts whose staff `user` is, or None if they are staff of none."""

    def __call__(self, user: Any, /) -> list[str] | None: ...


# Filled in `config.wiring` (`contracts.selectors.contract_paths_of`).
CONTRACT_PATHS: list[ContractPaths] = []

# The states in which a case is still the contractor's work (before the province's review).
CONTRACTOR_STATES = ("collected", "scanned", "entered", "attached")


@dataclass(frozen=True)
class Scope:
    role: str
    unit_id: int
    unit_path: str
    unit_level: str
    unit_name: str
    # No unit lies under this one (a commune of today's tree): the rows of its subtree all carry its
    # own path, so `path = x` finds them as `path LIKE 'x%'` does, and an index on (path, order)
    # hands them over in order (`subtree_q`).
    unit_leaf: bool = False

    @property
    def role_label(self) -> str:
        """The role's name in the active language (the code stays in `role`)."""
        return str(Role(self.role).label)

    @property
    def rank(self) -> int:
        return LEVEL_RANK[UnitLevel(self.unit_level)]

    def covers(self, path: str) -> bool:
        return path.startswith(self.unit_path)

    @property
    def work_limited(self) -> bool:
        """Does this role show only assigned work (contractor staff), never the unit's records?"""
        return self.role in WORK_LIMITED_ROLES


def user_scopes(user) -> list[Scope]:
    """The user's roles with the unit each covers; one query, cached on the user object.

    Read fresh on every request (a role taken away counts from the next page), by the statement
    `UnitRole.objects.filter(group__user=user).values_list("role", "unit_id", "unit__path",
    "unit__level", "unit__name")` compiles to, written out: every page runs it, and the ORM took
    0.7 ms of CPU to build it against 0.1 ms to send it and read the rows."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_civreg_scopes", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(_scopes_sql(), [user.pk])
            cached = [Scope(*row) for row in cursor.fetchall()]
        user._civreg_scopes = cached
    return cached


@functools.cache
def _scopes_sql() -> str:
    # The table names come from the models; the user's id is a parameter.
    roles, units = UnitRole._meta.db_table, AdministrativeUnit._meta.db_table
    members = Group.user_set.through._meta.db_table
    return (
        f'SELECT r."role", r."unit_id", u."path", u."level", u."name", '  # noqa: S608
        f'NOT EXISTS (SELECT 1 FROM "{units}" c WHERE c."parent_id" = u."id") '
        f'FROM "{roles}" r '
        f'JOIN "{members}" m ON m."group_id" = r."group_id" JOIN "{units}" u ON u."id" = r."unit_id" '
        'WHERE m."user_id" = %s'
    )


def scopes_with(user, permission: str) -> list[Scope]:
    """The user's roles that carry `permission` on a whole subtree. A work-limited role carries
    its actions (claiming and doing a stage's work in the inbox), but seeing records only for
    its assigned work (`assigned_work_q`), never as a unit's."""
    return [
        s
        for s in user_scopes(user)
        if permission in ROLE_PERMISSIONS[s.role] and not (s.work_limited and permission == "view_records")
    ]


def _work_scopes(user, permission: str) -> list[Scope]:
    """The work-limited roles of the user that carry `permission` (for their assigned cases only)."""
    return [s for s in user_scopes(user) if s.work_limited and permission in ROLE_PERMISSIONS[s.role]]


def contract_paths(user) -> list[str] | None:
    """The units a contractor's staff member is confined to (their open contracts' units; none
    when every contract is closed), or None when they are staff of no contract."""
    if getattr(user, "is_superuser", False) or not work_limited_only(user):
        return None
    if hasattr(user, "_civreg_contract_paths"):
        cached: list[str] | None = user._civreg_contract_paths
        return cached
    found: list[str] | None = None
    for source in CONTRACT_PATHS:
        paths = source(user)
        if paths is not None:
            found = [*(found or []), *paths]
    user._civreg_contract_paths = None if found is None else _minimal_prefixes(found)
    return user._civreg_contract_paths


def paths_q(paths, path_field: str) -> Q:
    """Rows whose unit path lies under one of `paths`."""
    q = Q(pk__in=[])
    for prefix in _minimal_prefixes(paths):
        q |= Q(**{f"{path_field}__startswith": prefix})
    return q


def subtree_q(path: str, path_field: str, *, leaf: bool) -> Q:
    """Rows of the subtree at `path`: its path alone when no unit lies under it (`Scope.unit_leaf`)."""
    return Q(**{path_field: path}) if leaf else Q(**{f"{path_field}__startswith": path})


def assigned_work_q(user) -> Q:
    """The records assigned to `user` now: the one rule of what contractor staff may see
    (`ASSIGNED_WORK`: the work items they hold in the inbox); staff of a contract see the cases
    of their contract's units still in the contractor's hands, and nothing outside those units."""
    q = Q(pk__in=[])
    for source in ASSIGNED_WORK:
        q |= source(user)
    confined = contract_paths(user)
    if confined is not None:
        contract = paths_q(confined, "unit_path")
        q = (q | (contract & Q(state__in=CONTRACTOR_STATES))) & contract
    return q


def work_limited_only(user) -> bool:
    """Does the user see records only through assigned work (no role that shows a unit's records)?"""
    if getattr(user, "is_superuser", False):
        return False
    scopes = user_scopes(user)
    return bool(scopes) and all(s.work_limited for s in scopes)


def pin_shown(user, pin: str) -> str:
    """The PIN as this user may see it: in full, or masked but for its last three digits for
    work-limited users (contractor staff)."""
    if not pin or not work_limited_only(user):
        return pin
    return "•" * max(len(pin) - 3, 0) + pin[-3:]


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
    """Books under the user's units; for contract staff, the books of their contract's units."""
    confined = contract_paths(user)
    if confined is not None:
        work = (s.unit_path for s in _work_scopes(user, permission))
        return RegisterBook.objects.filter(
            paths_q(work, "custodian__path"), paths_q(confined, "custodian__path")
        )
    return RegisterBook.objects.filter(scope_q(user, permission, path_field="custodian__path"))


def _work_q(user, permission: str) -> Q | None:
    """Records a work-limited role shows: in its units and assigned to the user; None without one."""
    work = _work_scopes(user, permission)
    if not work or getattr(user, "is_superuser", False):
        return None
    units = Q(pk__in=[])
    for prefix in _minimal_prefixes(s.unit_path for s in work):
        units |= Q(unit_path__startswith=prefix)
    return units & assigned_work_q(user)


def _unit_records_q(user, permission: str) -> Q:
    """Records under a unit where the user holds `permission` through a role that shows the
    unit's records (not a work-limited one)."""
    if getattr(user, "is_superuser", False):
        return Q()
    q = Q(pk__in=[])
    paths = (s.unit_path for s in scopes_with(user, permission) if not s.work_limited)
    for prefix in _minimal_prefixes(paths):
        q |= Q(unit_path__startswith=prefix)
    return q


def _covers_record(user, permission: str, path: str) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(s.covers(path) for s in scopes_with(user, permission) if not s.work_limited)


def records_visible_to(user, permission: str = "view_records") -> QuerySet[CivilRecord]:
    """Records the user may see (or act on, with `permission`): a unit's records through their
    roles, and for contractor staff the cases of their assigned work."""
    q = _unit_records_q(user, permission)
    work = _work_q(user, permission)
    return CivilRecord.objects.filter(q | work if work is not None else q)


def get_record_for(user, pk, permission: str = "view_records", *, request=None) -> CivilRecord:
    """The record if `user` may see it (or act on it, with `permission`); otherwise 404 (and the
    refusal is logged). Contractor staff reach only the cases of their assigned work, and each
    such view is logged."""
    record = CivilRecord.objects.filter(pk=pk).select_related("book", "unit").first()
    through_work = False
    if record is not None and not _covers_record(user, permission, record.unit_path):
        work = _work_q(user, permission)
        through_work = work is not None and CivilRecord.objects.filter(work, pk=record.pk).exists()
    if record is None or not (through_work or _covers_record(user, permission, record.unit_path)):
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
    if through_work:
        # Least privilege: every case contractor staff open is in the access log.
        from audit.services import audit_access

        audit_access(
            request=request,
            actor=user,
            action=AuditAction.VIEW_RECORD,
            unit_id=record.unit_id,
            obj=record,
            record_id=record.pk,
            changes={"via": "assigned work", "permission": permission},
        )
    return record


def get_book_for(user, pk, permission: str = "view_records", *, request=None) -> RegisterBook:
    book = RegisterBook.objects.filter(pk=pk).select_related("custodian").first()
    if contract_paths(user) is not None:
        allowed = book is not None and books_visible_to(user, permission).filter(pk=book.pk).exists()
    else:
        allowed = book is not None and can(user, permission, book.custodian.path)
    if book is None or not allowed:
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
