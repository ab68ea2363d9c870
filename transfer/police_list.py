"""The list for the commune police (Công an xã): population entries our books say must change.

One Excel sheet per commune (or any unit: its subtree), one row per finding of the civil-status →
population direction that is still followed (to clean, confirmed by the book, already sent), with
the evidence: the book, its year, the entry number, the registration date, the value in the book
against the value in the population database, the resident's line in the extract, and the scan's
name and link for the staff. Downloading it marks the rows "sent to the commune police"; they stay
on the list until a newer extract or a corrected record makes both sides agree.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_access
from permissions.scoping import can
from registry.models import AdministrativeUnit, Sex
from transfer.models import ACTIVE_STATUSES, POLICE_KINDS, DiffKind, DiffStatus, ReconciliationItem


def value_label(name: str, value: str) -> str:
    """A stored value as people read it (the sex code as its word)."""
    if name == "sex" and value.isdigit() and int(value) in Sex.values:
        return str(Sex(int(value)).label)
    return value


def police_items(unit: AdministrativeUnit) -> QuerySet[ReconciliationItem]:
    """The findings of `unit`'s subtree the population database must act on (callers scope the unit)."""
    return (
        ReconciliationItem.objects.filter(
            unit_path__startswith=unit.path, kind__in=POLICE_KINDS, status__in=ACTIVE_STATUSES
        )
        .select_related("record__book", "record__unit", "resident", "extract", "resolved_by")
        .prefetch_related("record__scans")
        .order_by("record__unit__name", "record__book__year", "record__entry_no", "party_role", "field")
    )


HEADERS = (
    N_("No."),
    N_("Commune"),
    N_("Problem"),
    N_("Person (as in the book)"),
    N_("Role in the record"),
    N_("Field"),
    N_("Value in the book"),
    N_("Value in the population database"),
    N_("PIN in the population database"),
    N_("Extract (file, line)"),
    N_("Book"),
    N_("Year"),
    N_("Entry no."),
    N_("Registration date"),
    N_("Scan"),
    N_("Scan link (staff)"),
    N_("Status"),
    N_("Checked against the book"),
    N_("Found on"),
)


def _scan_name(scan: Any) -> str:
    if scan is None:
        return _("no scan yet")
    return scan.canonical_name or scan.original_name or _("scan no. %(n)d") % {"n": scan.pk}


def _row(n: int, item: ReconciliationItem, scan_url: Callable[[int], str]) -> list[Any]:
    record, resident = item.record, item.resident
    scans = sorted(record.scans.all(), key=lambda s: s.pk) if record else []
    scan = scans[-1] if scans else None
    party = item.party
    checked = (
        f"{item.reason} ({item.resolved_by})"
        if item.resolved_by_id and item.reason
        else _("not yet checked against the book")
    )
    if item.kind == DiffKind.DIFFERS:
        field, ours, theirs = (
            item.field_label,
            value_label(item.field, item.ours),
            value_label(item.field, item.theirs),
        )
    else:
        field, ours, theirs = "", item.ours, _("not found")
    return [
        n,
        record.unit.name if record else "",
        item.get_kind_display(),
        party.full_name if party else item.ours,
        item.party_role_label,
        field,
        ours,
        theirs,
        resident.pin if resident else "",
        f"{item.extract.filename or item.extract.pk}, {_('line')} {resident.line_no}" if resident else "",
        str(record.book) if record else "",
        record.book.years_label if record else "",
        record.entry_label if record else "",
        str(record.registration_date) if record else "",
        _scan_name(scan),
        scan_url(scan.pk) if scan else "",
        item.get_status_display(),
        checked,
        timezone.localtime(item.found_at).strftime("%d/%m/%Y") if item.found_at else "",
    ]


def police_list_xlsx(
    *, unit: AdministrativeUnit, items: list[ReconciliationItem], scan_url: Callable[[int], str]
) -> bytes:
    """The sheet's bytes. Pure: reads what it is given, writes nothing."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Police list")[:31]
    sheet.append([_("Population entries to correct – %(unit)s") % {"unit": unit.name}])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(
        [
            _(
                "Where the population database and the civil-status book differ, the book prevails "
                "(Civil Status Law, Art. 60). Exported on %(date)s."
            )
            % {"date": timezone.localtime().strftime("%d/%m/%Y %H:%M")}
        ]
    )
    sheet.append([_(h) for h in HEADERS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for n, item in enumerate(items, start=1):
        sheet.append(_row(n, item, scan_url))
    for index, header in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, min(36, len(_(header)) + 4))
    sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def police_list_export(
    *, actor: Actor, unit: AdministrativeUnit, scan_url: Callable[[int], str], request: Any = None
) -> tuple[str, bytes, int]:
    """The police list of `unit` as Excel (file name, bytes, rows); its rows are marked sent.

    Refused to users who may not approve records of the unit (they decide what the police is
    told). The download is written to the access log with the number of rows.
    """
    if not can(actor, "approve_record", unit.path):
        raise PermissionDenied(
            _("The list for the police needs the approver role on %(unit)s.") % {"unit": unit.name}
        )
    items = list(police_items(unit).select_for_update(no_key=True, of=("self",)))
    content = police_list_xlsx(unit=unit, items=items, scan_url=scan_url)
    now = timezone.now()
    ReconciliationItem.objects.filter(
        pk__in=[i.pk for i in items if i.status != DiffStatus.SENT_TO_POLICE]
    ).update(status=DiffStatus.SENT_TO_POLICE, sent_at=now)
    filename = f"cong-an-{unit.code}-{timezone.localtime(now):%Y%m%d}.xlsx"
    audit_access(
        request=request,
        actor=actor,
        action=AuditAction.EXPORT_POLICE_LIST,
        unit_id=unit.pk,
        obj=unit,
        changes={"rows": len(items), "file": filename},
    )
    return filename, content, len(items)
