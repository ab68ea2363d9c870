"""Reads for printing: what may be printed, the counter search, the issue log, verification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.models import AuditEvent
from permissions.scoping import records_visible_to, scope_q
from printing.layouts import extract_content
from printing.models import ExtractIssue
from registry.models import CivilRecord, Party, RecordState
from registry.search import MATCH_CAP, more_than_cap, name_matches, party_exists
from vietnamese.names import name_key

PRINTABLE_STATES = (RecordState.APPROVED, RecordState.TRANSFERRED)


def amendment_notes(record: CivilRecord) -> list[str]:
    """The record's later amendments, as printed under “Ghi chú” (from the audit trail)."""
    events = AuditEvent.objects.filter(
        record_id_value=record.pk, kind="change", action=AuditAction.AMEND
    ).order_by(*AuditEvent.CHRONOLOGICAL)
    return [
        f"Ngày {timezone.localtime(e.at):%d/%m/%Y} đã điều chỉnh thông tin hộ tịch"
        + (f"; lý do: {e.reason.strip()}" if e.reason.strip() else "")
        + "."
        for e in events
    ]


def open_correction_since(record: CivilRecord):
    """When the record was last amended, if it is back in review because of that amendment."""
    if record.state in PRINTABLE_STATES or record.is_closed:
        return None
    last = (
        AuditEvent.objects.filter(record_id_value=record.pk, kind="change", action=AuditAction.AMEND)
        .order_by(*AuditEvent.CHRONOLOGICAL)
        .values_list("at", flat=True)
        .last()
    )
    return last


def print_refusal(record: CivilRecord) -> str | None:
    """Why the record cannot be printed now, or None when it can.

    Only approved or transferred records print; not while a correction is under
    review, and not while any approval check (e.g. an unresolved likely duplicate,
    `workflows.hooks.APPROVAL_CHECKS`) objects.
    """
    from workflows.hooks import APPROVAL_CHECKS

    since = open_correction_since(record)
    if since is not None:
        return _(
            "This record has a correction under review since %(date)s. "
            "Print it once the correction is approved."
        ) % {"date": f"{timezone.localtime(since):%d/%m/%Y}"}
    if record.state not in PRINTABLE_STATES:
        return _(
            "Only approved or transferred records can be printed; this one is “%(state)s”. "
            "Ask the unit to finish its digitization first."
        ) % {"state": record.get_state_display()}
    for check in APPROVAL_CHECKS:
        problem = check(record)
        if problem:
            return _("This record cannot be printed: %(problem)s") % {"problem": problem}
    return None


def counter_people(user, *, name: str, birth_year: int | None = None) -> QuerySet[Party] | None:
    """The people a counter search by name looks at: name prefix (and year of birth, of the same
    person) under the units where the user prints, the first `MATCH_CAP` in name order are used
    (registry.search). None when the search has no name."""
    if not (name and name_key(name)):
        return None
    people = name_matches(user, name, "print_extract")
    return people.filter(birth_year=birth_year) if birth_year else people


def counter_name_capped(user, *, name: str = "", birth_year: int | None = None, **_other: Any) -> bool:
    """Do more than `MATCH_CAP` people match the name (and year) of the search? Then the list
    holds the records of the first `MATCH_CAP` of them, and the page asks for more of the name."""
    people = counter_people(user, name=name, birth_year=birth_year)
    return people is not None and more_than_cap(people)


def counter_search(
    user,
    *,
    name: str = "",
    birth_year: int | None = None,
    pin: str = "",
    book_no: str = "",
    entry_no: int | None = None,
    event_type: str = "",
) -> QuerySet[CivilRecord]:
    """Records the user may print, matched by name (without diacritics, prefix), PIN, year, book and entry.

    A name (with its year of birth: the same person's) takes the first `MATCH_CAP` people who match
    in name order, as the staff search does: "Nguyễn Văn" matches tens of thousands of people of a
    province, and joining each to its record to sort them all costed seconds at the counter."""
    records = records_visible_to(user, "print_extract").filter(state__in=[s.value for s in PRINTABLE_STATES])
    people = counter_people(user, name=name, birth_year=birth_year)
    if people is not None:
        records = records.filter(pk__in=people.values("record_id")[:MATCH_CAP])
    elif birth_year:
        records = records.filter(party_exists(birth_year=birth_year))
    if pin:
        records = records.filter(party_exists(pin=pin))
    if book_no:
        records = records.filter(book__book_no=book_no)
    if entry_no:
        records = records.filter(entry_no=entry_no)
    if event_type:
        records = records.filter(event_type=event_type)
    return records.select_related("book", "unit").prefetch_related("parties").order_by("-reg_year", "id")


def issues_visible_to(user) -> QuerySet[ExtractIssue]:
    """The issue log rows of records the user may print (one prefix filter)."""
    return ExtractIssue.objects.filter(scope_q(user, "print_extract")).select_related(
        "record__book", "clerk", "issuing_unit"
    )


@dataclass(frozen=True)
class Verification:
    genuine: bool
    issue: ExtractIssue | None = None
    superseded: bool = False
    superseded_on: object = None
    message: str = ""


def verify_issue(issue_id: int) -> Verification:
    """Is this issued extract still what the register says? Superseded when the record changed after issue."""
    issue = (
        ExtractIssue.objects.filter(pk=issue_id, reprint_of__isnull=True)
        .select_related("record__book", "issuing_unit")
        .first()
    )
    if issue is None:
        return Verification(genuine=False, message=_("No extract was issued with this code."))
    record = issue.record
    amended = (
        AuditEvent.objects.filter(
            record_id_value=record.pk, kind="change", action=AuditAction.AMEND, at__gt=issue.issued_at
        )
        .order_by(*AuditEvent.CHRONOLOGICAL)
        .values_list("at", flat=True)
        .first()
    )
    changed = amended is not None or record.is_closed
    if not changed:
        current = extract_content(record, notes=amendment_notes(record))
        changed = current.fingerprint() != issue.content_sha256
    return Verification(genuine=True, issue=issue, superseded=changed, superseded_on=amended)


def get_issue_for(user, pk, *, request=None) -> ExtractIssue:
    """An issue log row of a record the user may print; otherwise 404 (and the refusal is logged)."""
    from django.http import Http404

    from permissions.scoping import can

    issue = ExtractIssue.objects.filter(pk=pk).select_related("record__book", "issuing_unit", "clerk").first()
    if issue is None or not can(user, "print_extract", issue.unit_path):
        if issue is not None:
            from audit.services import audit_access

            audit_access(
                request=request,
                actor=user,
                action=AuditAction.DENIED,
                unit_id=issue.record.unit_id,
                obj=issue,
                record_id=issue.record_id,
                changes={"permission": "print_extract"},
            )
        raise Http404("No such extract.")
    return issue


def last_signer(unit_ids: list[int]) -> tuple[str, str]:
    """The (title, name) of the last signer of the given issuing units, to prefill the next issue."""
    row = (
        ExtractIssue.objects.filter(issuing_unit_id__in=unit_ids)
        .order_by("-issued_at", "-id")
        .values_list("signer_title", "signer_name")
        .first()
    )
    return row or ("", "")
