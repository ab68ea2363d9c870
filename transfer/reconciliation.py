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
from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.scoping import can
from registry.models import CivilRecord, Party, RecordState, Sex
from registry.partial_dates import PartialDate, parse_partial_date
from registry.record_data import normalize_pin, record_input_from
from transfer.models import DiffStatus, PopulationExtract, ReconciliationItem, Resident
from vietnamese.names import clean_name, name_exact_key, name_key
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
COMPARED_FIELDS = ("full_name", "sex", "birth_date", "pin", "ethnicity", "nationality")
IGNORED_STATES = (RecordState.COLLECTED, RecordState.REJECTED, RecordState.DUPLICATE)
MAX_PROBLEMS = 50
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


def _norm(text: str) -> str:
    return name_key(text or "")


def _differences(party: Party, resident: Resident, matched_by: str) -> list[tuple[str, str, str]]:
    diffs = []
    if name_exact_key(party.full_name) != name_exact_key(resident.full_name):
        diffs.append(("full_name", party.full_name, resident.full_name))
    if resident.sex and party.sex != resident.sex:
        diffs.append(("sex", str(party.sex), str(resident.sex)))
    theirs = PartialDate(resident.birth_year, resident.birth_month, resident.birth_day)
    if not theirs.is_empty and party.birth_date != theirs:
        diffs.append(("birth_date", str(party.birth_date), str(theirs)))
    if matched_by == "name_dob" and resident.pin and party.pin != resident.pin:
        diffs.append(("pin", party.pin, resident.pin))
    for field in ("ethnicity", "nationality"):
        ours, theirs_text = getattr(party, field), getattr(resident, field)
        if theirs_text and _norm(ours) != _norm(theirs_text):
            diffs.append((field, ours, theirs_text))
    return diffs


def _candidates(unit_path: str):
    return (
        Party.objects.filter(record__unit_path__startswith=unit_path)
        .exclude(record__state__in=IGNORED_STATES)
        .select_related("record")
    )


@transaction.atomic
def population_import(*, actor: Actor, unit: Any, content: bytes, filename: str = "") -> PopulationExtract:
    """Import a resident extract for `unit`, match it and build the cleaning worklist.

    Refused to users without the approve permission on the unit, and for a file
    that is not UTF-8 CSV with the named columns. Lines that cannot be read are
    skipped and listed in `problems`.
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
    residents = Resident.objects.bulk_create(
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
    by_pin: dict[str, list[Party]] = defaultdict(list)
    by_name: dict[tuple, list[Party]] = defaultdict(list)
    pins = [r.pin for r in residents if r.pin]
    for start in range(0, len(pins), 2000):
        for party in _candidates(unit.path).filter(pin__in=pins[start : start + 2000]):
            by_pin[party.pin].append(party)
    keys = sorted({r.name_key for r in residents if r.birth_day})
    for start in range(0, len(keys), 2000):
        for party in _candidates(unit.path).filter(
            name_key__in=keys[start : start + 2000], birth_day__isnull=False
        ):
            by_name[(party.name_key, party.birth_year, party.birth_month, party.birth_day)].append(party)
    items: list[ReconciliationItem] = []
    for resident in residents:
        matches, matched_by = by_pin.get(resident.pin, []) if resident.pin else [], "pin"
        if matches:
            extract.matched_by_pin += 1
        else:
            key = (resident.name_key, resident.birth_year, resident.birth_month, resident.birth_day)
            matches, matched_by = (by_name.get(key, []) if resident.birth_day else []), "name_dob"
            # By name and birth date, a person who already has another PIN is someone else.
            matches = [p for p in matches if not (p.pin and resident.pin and p.pin != resident.pin)]
            if matches:
                extract.matched_by_name += 1
            else:
                extract.unmatched += 1
        for party in matches:
            for field, ours, theirs in _differences(party, resident, matched_by):
                items.append(
                    ReconciliationItem(
                        extract=extract,
                        resident=resident,
                        record=party.record,
                        party=party,
                        party_role=party.role,
                        unit_path=party.record.unit_path,
                        matched_by=matched_by,
                        field=field,
                        ours=ours[:255],
                        theirs=theirs[:255],
                    )
                )
    ReconciliationItem.objects.bulk_create(items, batch_size=2000)
    extract.differences = len(items)
    extract.save(update_fields=["matched_by_pin", "matched_by_name", "unmatched", "differences"])
    audit_change(
        action=AuditAction.POPULATION_IMPORT,
        actor=actor,
        unit_id=unit.pk,
        obj=extract,
        changes={
            "file": filename,
            "sha256": extract.sha256,
            "rows": len(rows),
            "skipped": len(problems),
            "matched_by_pin": extract.matched_by_pin,
            "matched_by_name": extract.matched_by_name,
            "differences": len(items),
        },
    )
    return extract


def _lock_open_item(item: ReconciliationItem | int) -> ReconciliationItem:
    pk = item.pk if isinstance(item, ReconciliationItem) else item
    locked = ReconciliationItem.objects.select_for_update().select_related("record").get(pk=pk)
    if locked.status != DiffStatus.OPEN:
        raise TransitionRefused(
            _("This difference was already resolved (“%(status)s”).")
            % {"status": locked.get_status_display()}
        )
    return locked


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
    item = _lock_open_item(item)
    record = CivilRecord.objects.select_for_update().get(pk=item.record_id)
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
    item = _lock_open_item(item)
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
        unit_id=item.record.unit_id,
        obj=item,
        record_id=item.record_id,
        changes={
            f"party.{item.party_role}.{item.field}": [item.ours, item.theirs],
            "resident": item.resident_id,
        },
        reason=reason,
    )
    return item
