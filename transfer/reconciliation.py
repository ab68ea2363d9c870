"""Reconciliation with the national population database (CSDL quốc gia về dân cư).

An extract of residents (CSV, UTF-8) is imported for a unit. Each resident is
matched to the people in our records of that unit's subtree by PIN, else by name
(without diacritics) and complete birth date. Every field on which a matched
person differs becomes a `ReconciliationItem` of the cleaning worklist. Each item
is resolved either by correcting our record (with a reason; through
`record_amend` when the record is approved or transferred, so it goes back to
review) or by marking that the population database must change. Both are audited.

Where the database and the paper book differ, the book prevails (Civil Status Law
Art. 60): correct our record only when the book says so.

Matching does not wait for the import: the hooks below (wired in `config.wiring`) match a
case's people the moment its data is entered, saved or corrected, in both directions (see
`transfer.population_matching`), and the commune police get their list as Excel
(`transfer.police_list`). Findings close as agreed once both sides say the same.

CSV header (Vietnamese or English names, any order; extra columns are ignored):
    soDinhDanh|pin, hoTen|full_name, gioiTinh|sex, ngaySinh|birth_date,
    danToc|ethnicity, quocTich|nationality, noiThuongTru|noiCuTru|residence
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from jobs import services as runs
from jobs.models import JobKind
from permissions.scoping import can
from registry.models import CivilRecord, RecordState, Sex
from registry.partial_dates import PartialDate, parse_partial_date
from registry.record_data import normalize_pin, record_input_from
from transfer.models import (
    DiffKind,
    DiffStatus,
    PopulationExtract,
    ReconciliationItem,
    Resident,
)
from transfer.population_matching import (
    RECORD_EVENTS,
    Progress,
    reconciliation_follow,
    reconciliation_run,
)
from vietnamese.names import clean_name, name_key
from workflows import services as wf
from workflows.machine import TransitionRefused

HEADER_ALIASES = {
    "sodinhdanh": "pin",
    "pin": "pin",
    "hoten": "full_name",
    "full_name": "full_name",
    "gioitinh": "sex",
    "sex": "sex",
    "ngaysinh": "birth_date",
    "birth_date": "birth_date",
    "dantoc": "ethnicity",
    "ethnicity": "ethnicity",
    "quoctich": "nationality",
    "nationality": "nationality",
    "noithuongtru": "residence",
    "noicutru": "residence",
    "residence": "residence",
}
SEX_WORDS = {
    "1": Sex.MALE,
    "nam": Sex.MALE,
    "male": Sex.MALE,
    "2": Sex.FEMALE,
    "nữ": Sex.FEMALE,
    "nu": Sex.FEMALE,
    "female": Sex.FEMALE,
    "3": Sex.UNDETERMINED,
}
MAX_PROBLEMS = 50
# Larger extracts are matched by the background job (`transfer.tasks.run_reconciliation`).
INLINE_ROWS = 2000
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _date(text: str) -> PartialDate:
    text = text.strip()
    iso = _ISO.match(text)
    if iso:
        text = f"{iso.group(3)}/{iso.group(2)}/{iso.group(1)}"
    return parse_partial_date(text)


def parse_extract(content: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of a resident extract as clean dicts, and a problem per refused line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("The file is not UTF-8 text (%(detail)s). Save the extract as CSV UTF-8 and import it again.")
            % {"detail": exc.reason}
        ) from exc
    dialect: type[csv.Dialect] = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError(_("The file is empty.")) from None
    fields = [HEADER_ALIASES.get(h.strip().lower().replace(" ", "")) for h in header]
    if "full_name" not in fields or ("pin" not in fields and "birth_date" not in fields):
        raise ValidationError(
            _(
                "The first line must name the columns, with at least hoTen and soDinhDanh or ngaySinh "
                "(found: %(found)s)."
            )
            % {"found": ", ".join(header) or "—"}
        )
    rows, problems = [], []
    for line_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        raw = {f: v.strip() for f, v in zip(fields, values, strict=False) if f}
        try:
            pin = normalize_pin(raw.get("pin", ""))
            if pin and not re.fullmatch(r"[0-9]{12}", pin):
                raise ValidationError(_("the PIN “%(pin)s” does not have 12 digits") % {"pin": pin})
            rows.append(
                {
                    "line_no": line_no,
                    "pin": pin,
                    "full_name": clean_name(raw.get("full_name", "")),
                    "sex": SEX_WORDS.get(raw.get("sex", "").lower(), Sex.UNKNOWN),
                    "birth_date": _date(raw.get("birth_date", "")),
                    "ethnicity": raw.get("ethnicity", "")[:64],
                    "nationality": raw.get("nationality", "")[:64],
                    "residence": raw.get("residence", "")[:255],
                }
            )
        except ValidationError as exc:
            problems.append(_("line %(n)d: %(what)s") % {"n": line_no, "what": "; ".join(exc.messages)})
    return rows, problems


@transaction.atomic
def population_import(
    *,
    actor: Actor,
    unit: Any,
    content: bytes,
    filename: str = "",
    match_inline: bool | None = None,
    progress: Progress | None = None,
) -> PopulationExtract:
    """Import a resident extract for `unit`, match it and build the cleaning worklist.

    Refused to users without the approve permission on the unit, and for a file
    that is not UTF-8 CSV with the named columns. Lines that cannot be read are
    skipped and listed in `problems`. A small extract is matched at once; a large one
    (more than `INLINE_ROWS` rows, or `match_inline=False`) by the background job
    `transfer.tasks.run_reconciliation`, queued in the same transaction.
    """
    if not can(actor, "approve_record", unit.path):
        raise PermissionDenied(
            _("Importing population extracts needs the approver role on %(unit)s.") % {"unit": unit.name}
        )
    rows, problems = parse_extract(content)
    extract = PopulationExtract.objects.create(
        unit=unit,
        unit_path=unit.path,
        filename=filename[-255:],
        sha256=hashlib.sha256(content).hexdigest(),
        row_count=len(rows),
        skipped=len(problems),
        problems="\n".join(problems[:MAX_PROBLEMS]),
        imported_by=actor,
    )
    Resident.objects.bulk_create(
        [
            Resident(
                extract=extract,
                line_no=r["line_no"],
                pin=r["pin"],
                full_name=r["full_name"],
                name_key=name_key(r["full_name"]),
                sex=r["sex"],
                birth_year=r["birth_date"].year,
                birth_month=r["birth_date"].month,
                birth_day=r["birth_date"].day,
                ethnicity=r["ethnicity"],
                nationality=r["nationality"],
                residence=r["residence"],
            )
            for r in rows
        ],
        batch_size=2000,
    )
    changes: dict[str, Any] = {
        "file": filename,
        "sha256": extract.sha256,
        "rows": len(rows),
        "skipped": len(problems),
    }
    if match_inline if match_inline is not None else len(rows) <= INLINE_ROWS:
        reconciliation_run(extract=extract, progress=progress)
        changes.update(
            matched_by_pin=extract.matched_by_pin,
            matched_by_name=extract.matched_by_name,
            differences=extract.differences,
            pending=extract.pending,
            missing_civil=extract.missing_civil,
            missing_population=extract.missing_population,
        )
    else:
        from transfer.tasks import run_reconciliation

        # The extract, its run in "my jobs" and the queued task commit together (django-tasks-db
        # shares the transaction); the task takes the run over and reports its progress.
        runs.job_queue(
            kind=JobKind.RECONCILIATION,
            object_id=extract.pk,
            owner=actor,
            unit=unit,
            title=_("Matching %(file)s") % {"file": filename or unit.name},
            result_url=reverse("transfer_reconciliation"),
        )
        run_reconciliation.enqueue(extract.pk)
        changes["matching"] = "background"
    audit_change(
        action=AuditAction.POPULATION_IMPORT, actor=actor, unit_id=unit.pk, obj=extract, changes=changes
    )
    return extract


# --- matching as data arrives (hooks wired in config.wiring) ---------------------------------------


def reconciliation_on_transition(record: CivilRecord, event: str, actor: Actor | None, /) -> None:
    """After enter, amend, return, reject, cross-out or restore: the record's people are matched
    with the latest extract of its unit at once, its findings opened, updated or closed; its book
    may now be complete, so residents pending on it are judged again."""
    if event in RECORD_EVENTS:
        reconciliation_follow([record], recheck_books=event != "amend")


def reconciliation_on_data_saved(record: CivilRecord, actor: Actor | None, /) -> None:
    """A draft saved (or a record corrected from the worklist): matched again."""
    reconciliation_follow([record])


def reconciliation_on_import(book: Any, records: list[CivilRecord], actor: Actor, /) -> None:
    """Imported cases are matched like entered ones."""
    reconciliation_follow(records, recheck_books=True)


# --- resolving ----------------------------------------------------------------------------------


def _lock_open_item(
    item: ReconciliationItem | int, *, statuses: tuple[str, ...] = (DiffStatus.OPEN,)
) -> tuple[ReconciliationItem, CivilRecord]:
    """The item, locked and still to resolve, and its record (refused for a resident without one)."""
    pk = item.pk if isinstance(item, ReconciliationItem) else item
    locked = (
        ReconciliationItem.objects.select_for_update(no_key=True, of=("self",))
        .select_related("record")
        .get(pk=pk)
    )
    # A decided item (the population database must change) is not corrected the other way.
    if locked.status not in statuses or locked.resolved_by_id is not None:
        raise TransitionRefused(
            _("This difference was already resolved (“%(status)s”).")
            % {"status": locked.get_status_display()}
        )
    record = locked.record
    if record is None:
        raise TransitionRefused(
            _(
                "No record of ours matches this resident: it closes by itself once the case is "
                "entered from its book."
            )
        )
    return locked, record


def _need_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError(_("Give a reason (for example the page of the book that was checked)."))
    return reason.strip()


@transaction.atomic
def reconciliation_fix_record(
    *, item: ReconciliationItem | int, actor: Actor, reason: str
) -> ReconciliationItem:
    """Correct our record to the population database's value, with a reason. Audited.

    An approved or transferred record is amended (`record_amend`: audited old → new,
    back to review); a record still being entered is saved as a draft. Refused while
    the record is attached or in review (return it for rework first) and to users who
    may not enter data on its unit.
    """
    reason = _need_reason(reason)
    # Also once on the police list unchecked: the book may show that our side was wrong after all.
    item, found = _lock_open_item(item, statuses=(DiffStatus.OPEN, DiffStatus.SENT_TO_POLICE))
    if item.kind != DiffKind.DIFFERS:
        raise TransitionRefused(
            _("Only a differing field can be copied into our record; check the book and enter the case.")
        )
    record = CivilRecord.objects.select_for_update(no_key=True).get(pk=found.pk)
    data = record_input_from(record)
    party = data.parties.setdefault(item.party_role, {})
    party[item.field] = int(item.theirs) if item.field == "sex" else item.theirs
    if record.state in (RecordState.APPROVED, RecordState.TRANSFERRED):
        wf.record_amend(record=record, actor=actor, data=data, reason=reason)
    elif record.state in (RecordState.SCANNED, RecordState.ENTERED):
        wf.record_data_save(record=record, actor=actor, data=data)
    else:
        raise TransitionRefused(
            _("The record is “%(state)s”: return it for rework first, then correct it.")
            % {"state": record.get_state_display()}
        )
    return _resolve(
        item,
        actor=actor,
        status=DiffStatus.FIXED_OURS,
        reason=reason,
        action=AuditAction.RECONCILE_FIX_RECORD,
    )


@transaction.atomic
def reconciliation_mark_population(
    *, item: ReconciliationItem | int, actor: Actor, reason: str
) -> ReconciliationItem:
    """Record that our data is right (the book says so) and the population database must change. Audited.

    Refused to users without the approve permission on the record's unit.
    """
    reason = _need_reason(reason)
    item, _record = _lock_open_item(item)
    if not can(actor, "approve_record", item.unit_path):
        raise PermissionDenied(_("Only an approver of the record's unit can decide this."))
    return _resolve(
        item,
        actor=actor,
        status=DiffStatus.POPULATION_MUST_CHANGE,
        reason=reason,
        action=AuditAction.RECONCILE_POPULATION,
    )


def _resolve(
    item: ReconciliationItem, *, actor: Actor, status: str, reason: str, action: AuditAction
) -> ReconciliationItem:
    item.status = status
    item.reason = reason
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    item.save(update_fields=["status", "reason", "resolved_by", "resolved_at"])
    audit_change(
        action=action,
        actor=actor,
        unit_id=item.record.unit_id if item.record else None,
        obj=item,
        record_id=item.record_id,
        changes={
            f"party.{item.party_role}.{item.field}": [item.ours, item.theirs],
            "resident": item.resident_id,
        },
        reason=reason,
    )
    return item
