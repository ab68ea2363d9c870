"""Transition services: the only code that changes a record's state.

Each service locks the record row, checks the version the user saw, checks the
actor's role on the record's unit, asks the state machine, saves with
`update_fields`, and writes the audit row, all in one transaction. What
happens after the commit (live inbox pushes) is deferred with `on_commit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _l

from audit.actions import AuditAction
from audit.actors import Actor
from audit.copying import copy_insert
from audit.models import AuditKind
from audit.services import audit_access, audit_change, audit_copy_many
from permissions.roles import AMEND_PERMISSION
from permissions.scoping import can, can_approve
from registry.matching import (
    duplicate_pairs_refresh,
    mark_check_inputs,
    person_from_clean,
    person_from_parties,
)
from registry.models import (
    AdministrativeUnit,
    CivilRecord,
    DigitizationPhase,
    EventType,
    Party,
    RecordState,
    RegisterBook,
    RegistrationType,
)
from registry.record_checks import book_years
from registry.record_data import (
    AS_WRITTEN,
    RecordInput,
    apply_record_data,
    clean_record_input,
    keep_absent_fields,
    record_input_from,
    required_missing,
)
from workflows import statements
from workflows.four_eyes import record_authors
from workflows.hooks import APPROVAL_CHECKS, DATA_SAVED_HOOKS, IMPORT_HOOKS, TRANSITION_HOOKS
from workflows.machine import TransitionRefused, apply_transition, import_state_check


class ConflictError(Exception):
    """The record changed since the user loaded it; the message says what to do."""


class NotPermitted(TransitionRefused):
    """The actor's roles do not cover this action on this record's unit."""


class DuplicateRecordError(ValidationError):
    """The database refused the data as an exact duplicate of an existing record."""

    def __init__(self, message: str, existing: CivilRecord | None):
        super().__init__(message, code="duplicate")
        self.existing = existing


@cache
def _lock_sql(keying: bool) -> str:
    """The record row locked, its book (not locked) joined, and with `keying` whether the book's
    phase is keyed twice (`keying_applies`): `select_for_update(no_key=True, of=("self",))` with
    `select_related("book")`, written once. FOR NO KEY UPDATE, as every row lock
    of the app (tests/config/test_row_locks.py says why)."""
    phase = DigitizationPhase._meta.db_table
    keyed = (
        f', EXISTS (SELECT 1 FROM "{phase}" p WHERE p."number" = b."phase" AND p."double_keying")'  # noqa: S608
        if keying
        else ""
    )
    return (
        f"SELECT {statements.select_columns(CivilRecord, 'r')}, "  # noqa: S608
        f"{statements.select_columns(RegisterBook, 'b')}{keyed} "
        f'FROM "{CivilRecord._meta.db_table}" r INNER JOIN "{RegisterBook._meta.db_table}" b '
        'ON b."id" = r."book_id" WHERE r."id" = %s FOR NO KEY UPDATE OF r'
    )


def _lock(record: CivilRecord | int, expected_version: int | None, *, keying: bool = False) -> CivilRecord:
    pk = record.pk if isinstance(record, CivilRecord) else record
    # The book comes along (its row not locked): the workflow and the hooks read it on every
    # transition. One prepared statement: compiling the queryset cost more CPU than running it.
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(keying), [pk])
        row = cursor.fetchone()
    if row is None:
        raise CivilRecord.DoesNotExist(f"CivilRecord {pk} does not exist.")
    split = statements.column_count(CivilRecord)
    locked = statements.instance_from(CivilRecord, row[:split])
    book = statements.instance_from(RegisterBook, row[split : split + statements.column_count(RegisterBook)])
    CivilRecord._meta.get_field("book").set_cached_value(locked, book)  # type: ignore[union-attr]
    if keying:
        locked.phase_keyed = row[-1]  # type: ignore[attr-defined]
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _(
                "Someone else changed this record while you had it open (your version %(mine)d, now %(now)d, "
                "state “%(state)s”). Your input is kept below: reload the record, compare, and submit again."
            )
            % {"mine": expected_version, "now": locked.version, "state": locked.get_state_display()}
        )
    return locked


def _require(actor: Actor | None, permission: str, record: CivilRecord) -> None:
    if actor is not None and not can(actor, permission, record.unit_path):
        raise NotPermitted(
            _("Your roles do not allow this action on records of %(unit)s.") % {"unit": record.unit.name}
        )


def _finish(
    record: CivilRecord,
    *,
    event: str,
    actor: Actor | None,
    old_state: str,
    fields: list[str],
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> CivilRecord:
    record.version += 1
    statements.update_fields(record, [*fields, "state", "version", "updated_at"])
    audit_change(
        action=AuditAction(event),
        actor=actor,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"state": [old_state, record.state], **(changes or {})},
        reason=reason,
    )
    for hook in TRANSITION_HOOKS:
        hook(record, event, actor)
    return record


def _check_data(record: CivilRecord, data: RecordInput, *, complete: bool, parties: list[Party]) -> Any:
    """Validate the data as a save would, writing nothing: the clean record. Raises ValidationError
    with every problem."""
    # Fields the input does not carry (not on this type's form) keep their stored values.
    stored = record_input_from(record, parties=parties)
    data = keep_absent_fields(data, stored)
    missing = required_missing(record.event_type, data) if complete else {}
    try:
        clean = clean_record_input(
            data, event_type=record.event_type, book_years=book_years(record.book), stored=stored
        )
    except ValidationError as exc:
        raise ValidationError({**missing, **exc.message_dict}) from exc
    unconfirmed: dict[str, Any] = {
        key: [ValidationError(message, code=AS_WRITTEN) for message in messages]
        for key, messages in clean.unconfirmed().items()
    }
    if missing or unconfirmed:
        raise ValidationError({**missing, **unconfirmed})
    return clean


def record_data_check(*, record: CivilRecord, data: RecordInput) -> None:
    """Validate a case's complete data as entering it would (required fields, every check, the
    "as written" confirmations), saving nothing: a keying of a double-keyed case (workflows.keying)
    is checked when it is submitted. Raises ValidationError with every problem."""
    _check_data(record, data, complete=True, parties=list(record.parties.all()))


def _save_data(
    record: CivilRecord, data: RecordInput, *, actor: Actor | None = None, complete: bool = False
) -> dict[str, Any]:
    """Validate and write the data; `complete` also refuses empty required fields (entering, amending).
    Every problem is reported at once: the required fields together with the other errors.

    An implausible value (`CleanRecord.warnings`) is saved only when its field is confirmed "as
    written in the book" (`RecordInput.as_written`); else it is refused like an error, its message
    coded `AS_WRITTEN` so that a form offers the confirmation beside the field."""
    parties = list(record.parties.all())  # read once, for both
    clean = _check_data(record, data, complete=complete, parties=parties)
    # What the duplicate check reads, before: its pairs are refreshed only if that changes.
    checked = person_from_parties(record.event_type, parties, record.registration_date)
    keys = list(record.dedup_keys or [])  # and the blocking keys (a crossed-out case has none)
    try:
        with transaction.atomic():  # a savepoint: a refused duplicate leaves the transaction usable
            changes = apply_record_data(record, clean, parties=parties)
            if record.reregistration_of_id and record.registration_type != RegistrationType.REREGISTRATION:
                # A case marked as a re-registration is one, whatever the form's type said.
                changes["registration_type"] = [
                    record.registration_type,
                    RegistrationType.REREGISTRATION.value,
                ]
                record.registration_type = RegistrationType.REREGISTRATION
            fields = [c for c in changes if not c.startswith("party.")]
            record.save(update_fields=[*fields, "dedup_keys", "updated_at"])
    except IntegrityError as exc:
        raise _duplicate_error(record, exc, actor=actor) from exc
    after = person_from_clean(record.event_type, clean)
    mark_check_inputs(record, changed=after != checked or list(record.dedup_keys or []) != keys)
    return changes


def _duplicate_error(
    record: CivilRecord, exc: IntegrityError, *, actor: Actor | None
) -> DuplicateRecordError:
    text = str(exc)
    if "record_one_birth_death_per_person" in text:
        existing = (
            CivilRecord.objects.filter(event_type=record.event_type, identity_key=record.identity_key)
            .exclude(pk=record.pk)
            .exclude(state__in=["rejected", "duplicate"])
            .select_related("book", "unit")
            .first()
        )
        kind = _("birth") if record.event_type == EventType.BIRTH else _("death")
        if existing is not None and actor is not None and not can(actor, "view_records", existing.unit_path):
            existing = None  # outside the user's units: say nothing of where or who
            where = _("a record of another unit")
        elif existing is not None:
            where = _("%(book)s, entry no. %(no)d (%(unit)s)") % {
                "book": existing.book,
                "no": existing.entry_no,
                "unit": existing.unit.name,
            }
        else:
            where = _("another record")
        return DuplicateRecordError(
            _(
                "This person's %(kind)s is already registered: %(where)s. "
                "One civil event is registered once; "
                "if this is a different person, check the name, birth date, mother and PIN."
            )
            % {"kind": kind, "where": where}
            + (
                " "
                + _(
                    "If this case is a lawful re-registration (đăng ký lại) of record %(id)d, mark it "
                    "as such on the record's page first."
                )
                % {"id": existing.pk}
                if existing
                else ""
            ),
            existing,
        )
    return DuplicateRecordError(
        _("The database refused this as a duplicate: %(detail)s") % {"detail": text}, None
    )


# --- the stages ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Stage:
    """A stage that changes no data: its event, the permission it needs, the field it signs, and
    the refusal when no scan is stored (empty when a scan is not needed)."""

    event: str
    permission: str
    signed_by: str
    without_scan: str | Promise = ""


SCAN = _Stage("scan", "scan_record", "scanned_by", _l("Upload the scan of this case first."))
ATTACH = _Stage("attach", "attach_record", "attached_by", _l("There is no scan to attach: upload it first."))
REVIEW = _Stage("review", "review_record", "reviewed_by")


def _stage_step(
    record: CivilRecord | int, stage: _Stage, *, actor: Actor | None, expected_version: int | None
) -> CivilRecord:
    """Lock, check the role (and that a scan is stored), ask the machine, sign the stage, save,
    audit and run the hooks."""
    record = _lock(record, expected_version)
    _require(actor, stage.permission, record)
    if stage.without_scan and not record.scans.exists():
        raise TransitionRefused(str(stage.without_scan))
    old = record.state
    checks: dict[str, Any] = {}
    if stage.event == REVIEW.event:
        # Four eyes over everyone who changed the data or the scan in this round (the audit trail);
        # kept on the record so that the approval's work item does not read it again.
        checks["authors"] = record_authors(record)
        setattr(record, "_four_eyes_authors", checks["authors"])  # noqa: B010
    apply_transition(record, stage.event, actor=actor, **checks)
    setattr(record, stage.signed_by, actor)
    return _finish(record, event=stage.event, actor=actor, old_state=old, fields=[stage.signed_by])


@transaction.atomic
def record_scan(
    *, record: CivilRecord | int, actor: Actor | None, expected_version: int | None = None
) -> CivilRecord:
    """Mark the case scanned. Refused unless a scan file is stored for it."""
    return _stage_step(record, SCAN, actor=actor, expected_version=expected_version)


@transaction.atomic
def record_data_save(
    *, record: CivilRecord | int, actor: Actor, data: RecordInput, expected_version: int | None = None
) -> CivilRecord:
    """Save entered data without changing the state (drafting while scanned or entered).

    Refused after attach: from then on a change goes through return (before approval)
    or `record_amend` (after approval).
    """
    record = _lock(record, expected_version, keying=True)
    _require(actor, "enter_record", record)
    if record.state not in ("scanned", "entered"):
        raise TransitionRefused(
            _("The data of a record that is “%(state)s” cannot be edited here.")
            % {"state": record.get_state_display()}
        )
    _refuse_if_keyed_twice(record)
    changes = _save_data(record, data, actor=actor)
    record.version += 1
    record.save(update_fields=["version", "updated_at"])
    if changes:
        audit_change(
            action=AuditAction.EDIT,
            actor=actor,
            unit_id=record.unit_id,
            obj=record,
            record_id=record.pk,
            changes=changes,
        )
        for hook in DATA_SAVED_HOOKS:
            hook(record, actor)
    return record


@transaction.atomic
def record_enter(
    *, record: CivilRecord | int, actor: Actor, data: RecordInput, expected_version: int | None = None
) -> CivilRecord:
    """Save the keyed data and move the record to entered. Refused for a case keyed twice
    (`keying_applies`): its keyings go through `workflows.keying`."""
    record = _lock(record, expected_version, keying=True)
    _require(actor, "enter_record", record)
    _refuse_if_keyed_twice(record)
    return _enter(record, actor=actor, data=data)


def keying_applies(record: CivilRecord) -> bool:
    """Is this case's entry done by double keying (`workflows.keying`)? Its first entry (never
    entered before: a case returned for rework is corrected by one person), in a book whose
    setting (or its phase's) says so."""
    return (
        record.state == "scanned"
        and record.entered_by_id is None
        and record.book.double_keying_on(getattr(record, "phase_keyed", None))
    )


def _refuse_if_keyed_twice(record: CivilRecord) -> None:
    if keying_applies(record):
        raise TransitionRefused(
            _(
                "This book is keyed twice: each keyer keys the case on its work item (Work → queue), "
                "and the data is saved when the two keyings agree or are arbitrated."
            )
        )


@transaction.atomic
def record_enter_keyed(
    *, record: CivilRecord | int, actor: Actor, data: RecordInput, permission: str = "enter_record"
) -> CivilRecord:
    """Save the agreed or arbitrated data of a double-keyed case and move it to entered: the same
    checks and writes as `record_enter`, called by `workflows.keying` only (the second keyer, with
    `enter_record`, when the keyings agree; else the arbitrator, with `review_record`)."""
    record = _lock(record, None)
    _require(actor, permission, record)
    return _enter(record, actor=actor, data=data)


def _enter(record: CivilRecord, *, actor: Actor, data: RecordInput) -> CivilRecord:
    old = record.state
    first_entry = record.entered_by_id is None
    apply_transition(record, "enter", actor=actor)
    changes = _save_data(record, data, actor=actor, complete=True)
    if first_entry:  # drafts before the first entry refresh no pairs: the entry does
        mark_check_inputs(record, changed=True)
    record.entered_by = actor
    return _finish(record, event="enter", actor=actor, old_state=old, fields=["entered_by"], changes=changes)


@transaction.atomic
def record_attach(
    *, record: CivilRecord | int, actor: Actor, expected_version: int | None = None
) -> CivilRecord:
    """Confirm that the scan belongs to the data."""
    return _stage_step(record, ATTACH, actor=actor, expected_version=expected_version)


@transaction.atomic
def record_review(
    *, record: CivilRecord | int, actor: Actor, expected_version: int | None = None
) -> CivilRecord:
    """Pass review. Refused to whoever entered the record."""
    return _stage_step(record, REVIEW, actor=actor, expected_version=expected_version)


@transaction.atomic
def record_approve(
    *, record: CivilRecord | int, actor: Actor, expected_version: int | None = None
) -> CivilRecord:
    """Approve onto the ready-to-transfer list.

    Refused to whoever reviewed it, to an approver below the record's competence,
    and while any registered approval check (e.g. an unresolved likely duplicate) objects.
    """
    record = _lock(record, expected_version)
    _require(actor, "approve_record", record)
    for check in APPROVAL_CHECKS:
        problem = check(record)
        if problem:
            raise TransitionRefused(problem)
    old = record.state
    apply_transition(
        record,
        "approve",
        actor=actor,
        competent=actor is None or can_approve(actor, record),
        authors=record_authors(record),
    )
    record.approved_by = actor
    record.approved_at = timezone.now()
    return _finish(record, event="approve", actor=actor, old_state=old, fields=["approved_by", "approved_at"])


@transaction.atomic
def record_transfer(*, record: CivilRecord | int, receipt: str = "") -> CivilRecord:
    """The national database acknowledged the record (system action, no user)."""
    record = _lock(record, None)
    old = record.state
    apply_transition(record, "transfer")
    record.transferred_at = timezone.now()
    return _finish(
        record,
        event="transfer",
        actor=None,
        old_state=old,
        fields=["transferred_at"],
        changes={"receipt": receipt} if receipt else None,
    )


@transaction.atomic
def record_transfer_refused(*, record: CivilRecord | int, message: str) -> CivilRecord:
    """The national database permanently refused the record: back to the approver with its message."""
    record = _lock(record, None)
    old = record.state
    apply_transition(record, "transfer_refused", reason=message)
    record.last_reason = message
    record.returned_at = timezone.now()
    record.returned_by = None
    return _finish(
        record,
        event="transfer_refused",
        actor=None,
        old_state=old,
        fields=["last_reason", "returned_at", "returned_by"],
        reason=message,
    )


RETURN_PERMISSION = {"attached": "review_record", "reviewed": "approve_record", "approved": "approve_record"}


@transaction.atomic
def record_return(
    *,
    record: CivilRecord | int,
    actor: Actor,
    reason: str,
    stage: str = "entry",
    remarks: dict[str, str] | None = None,
    expected_version: int | None = None,
) -> CivilRecord:
    """Send the record back to entry (`stage="entry"`) or scanning (`"scan"`), with a reason and remarks."""
    record = _lock(record, expected_version)
    _require(actor, RETURN_PERMISSION.get(record.state, "review_record"), record)
    if stage not in ("entry", "scan"):
        raise TransitionRefused(_("A record goes back either to data entry or to scanning."))
    old = record.state
    apply_transition(record, "return_for_rework", actor=actor, reason=reason, stage=stage)
    record.last_reason = reason.strip()
    record.return_remarks = {k: v for k, v in (remarks or {}).items() if v and v.strip()}
    record.returned_by = actor
    record.returned_at = timezone.now()
    return _finish(
        record,
        event="return",
        actor=actor,
        old_state=old,
        fields=["last_reason", "return_remarks", "returned_by", "returned_at"],
        changes={"stage": stage, "remarks": record.return_remarks},
        reason=reason,
    )


@transaction.atomic
def record_reject(
    *, record: CivilRecord | int, actor: Actor, reason: str, expected_version: int | None = None
) -> CivilRecord:
    """Close a slot that is not a valid case (blank, void, illegal registration)."""
    record = _lock(record, expected_version)
    _require(actor, "reject_record", record)
    old = record.state
    apply_transition(record, "reject", actor=actor, reason=reason)
    record.last_reason = reason.strip()
    return _finish(record, event="reject", actor=actor, old_state=old, fields=["last_reason"], reason=reason)


@transaction.atomic
def record_cross_out(
    *, record: CivilRecord | int, actor: Actor, reason: str, expected_version: int | None = None
) -> CivilRecord:
    """Digitize a case the registrar crossed out in the book ("bị gạch bỏ").

    Possible before the data is attached (collected, scanned, entered), with a reason (what the
    book shows). The scan and any data keyed stay; the case keeps its entry number and counts
    against the book's closing total, but it is no live event: it leaves the work queues, never
    reaches approval or the transfer, and no longer counts as the person's registration (its
    duplicate keys are cleared). Refused without `enter_record` on the record's unit.
    """
    record = _lock(record, expected_version)
    _require(actor, "enter_record", record)
    old = record.state
    apply_transition(record, "cross_out", actor=actor, reason=reason)
    record.last_reason = reason.strip()
    record.identity_key = None
    record.dedup_keys = []
    return _finish(
        record,
        event="cross_out",
        actor=actor,
        old_state=old,
        fields=["last_reason", "identity_key", "dedup_keys"],
        reason=reason,
    )


@transaction.atomic
def record_restore(
    *, record: CivilRecord | int, actor: Actor, reason: str, expected_version: int | None = None
) -> CivilRecord:
    """Undo a mistaken cross-out: back to data entry when a scan is stored, else to scanning.

    The data keyed before is kept as a draft; entering it again re-checks it for duplicates."""
    record = _lock(record, expected_version)
    _require(actor, "enter_record", record)
    if not (reason or "").strip():
        raise TransitionRefused(_("Give a reason: it is shown to the person who must act on it."))
    old = record.state
    apply_transition(record, "restore", actor=actor, has_scan=record.scans.exists())
    record.last_reason = reason.strip()
    return _finish(record, event="restore", actor=actor, old_state=old, fields=["last_reason"], reason=reason)


@transaction.atomic
def record_mark_duplicate(
    *,
    record: CivilRecord | int,
    actor: Actor,
    original: CivilRecord,
    reason: str,
    expected_version: int | None = None,
) -> CivilRecord:
    """Close the record as a duplicate of `original`."""
    record = _lock(record, expected_version)
    _require(actor, "resolve_duplicates", record)
    old = record.state
    apply_transition(record, "mark_duplicate", actor=actor, reason=reason, original=original)
    record.duplicate_of = original
    record.last_reason = reason.strip()
    return _finish(
        record,
        event="mark_duplicate",
        actor=actor,
        old_state=old,
        fields=["duplicate_of", "last_reason"],
        changes={"duplicate_of": original.pk},
        reason=reason,
    )


def amend_permission_check(*, actor: Actor | None, record: CivilRecord, request: Any = None) -> None:
    """May `actor` amend this approved or transferred record? One permission decides
    (`permissions.roles.AMEND_PERMISSION`: reviewers, approvers and province administrators of
    the record's unit; never clerks or contractor staff). A refusal is written to the audit
    trail (its own row, committed unless the caller's transaction rolls back) and raised."""
    if actor is None or can(actor, AMEND_PERMISSION, record.unit_path):
        return
    audit_access(
        request=request,
        actor=actor,
        action=AuditAction.DENIED,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"permission": AMEND_PERMISSION, "state": record.state},
    )
    raise NotPermitted(
        _(
            "Only a reviewer, an approver or a province administrator of %(unit)s may change a record "
            "that is approved or transferred. Ask one of them, with the reason for the change."
        )
        % {"unit": record.unit.name}
    )


def record_amend(
    *,
    record: CivilRecord | int,
    actor: Actor,
    data: RecordInput,
    reason: str,
    expected_version: int | None = None,
    request: Any = None,
) -> CivilRecord:
    """Edit an approved or transferred record: needs a reason, is audited old → new, goes back to review.

    Refused, with an audited refusal, to anyone without the amend permission on the record's
    unit (checked before the record's transaction so that the refusal's row stays); whoever
    amends may not review or approve the change (four eyes reads it from the audit trail)."""
    amend_permission_check(
        actor=actor,
        record=record
        if isinstance(record, CivilRecord)
        else CivilRecord.objects.select_related("unit").get(pk=record),
        request=request,
    )
    return _record_amend(
        record=record, actor=actor, data=data, reason=reason, expected_version=expected_version
    )


@transaction.atomic
def _record_amend(
    *, record: CivilRecord | int, actor: Actor, data: RecordInput, reason: str, expected_version: int | None
) -> CivilRecord:
    record = _lock(record, expected_version)
    _require(actor, AMEND_PERMISSION, record)
    old = record.state
    apply_transition(record, "amend", actor=actor, reason=reason)
    changes = _save_data(record, data, actor=actor, complete=True)
    record.last_reason = reason.strip()
    record.entered_by = actor
    record.reviewed_by = None
    record.approved_by = None
    record.approved_at = None
    return _finish(
        record,
        event="amend",
        actor=actor,
        old_state=old,
        fields=["last_reason", "entered_by", "reviewed_by", "approved_by", "approved_at"],
        changes=changes,
        reason=reason,
    )


# --- lawful re-registration -----------------------------------------------------------

REREGISTRATION_STATES = ("collected", "scanned", "entered", "attached", "reviewed")


@transaction.atomic
def record_mark_reregistration(
    *,
    record: CivilRecord | int,
    actor: Actor,
    original: CivilRecord,
    reason: str,
    expected_version: int | None = None,
) -> CivilRecord:
    """Mark `record` as the lawful re-registration (đăng ký lại) of `original`, linked both ways.

    The re-registration then no longer counts against the person's one birth or death
    (the database lets its identity key repeat the original's once), the pair is never asked
    about as a likely duplicate, and its registration type becomes "re-registration". Refused:
    without `enter_record` on the record's unit, without a reason, once the record is approved,
    closed or crossed out, for an original of another event type, closed, crossed out or itself
    a re-registration, and — as a duplicate — when the original was already re-registered.
    """
    record = _lock(record, expected_version)
    _require(actor, "enter_record", record)
    found = CivilRecord.objects.select_related("book", "unit").filter(pk=original.pk).first()
    if not (reason or "").strip():
        raise ValidationError(
            _("Give the reason (e.g. the re-registration's legal basis, as the book writes it).")
        )
    if found is None:
        raise ValidationError(
            _("There is no record %(id)s: give the number of the original record.") % {"id": original.pk}
        )
    original = found
    if record.state not in REREGISTRATION_STATES:
        raise TransitionRefused(
            _("A record that is “%(state)s” cannot be marked as a re-registration.")
            % {"state": record.get_state_display()}
        )
    if record.reregistration_of_id:
        raise ValidationError(
            _("This record is already marked as the re-registration of record %(id)d.")
            % {"id": record.reregistration_of_id}
        )
    if original.pk == record.pk:
        raise ValidationError(_("A record cannot be a re-registration of itself."))
    if original.event_type != record.event_type:
        raise ValidationError(
            _("The original must be a record of the same event (%(type)s).")
            % {"type": record.get_event_type_display()}
        )
    if original.is_closed or original.is_crossed_out:
        raise ValidationError(
            _("The original is “%(state)s”: choose the record that stays.")
            % {"state": original.get_state_display()}
        )
    if original.reregistration_of_id:
        raise ValidationError(
            _("Record %(id)d is itself a re-registration of record %(first)d: name the first registration.")
            % {"id": original.pk, "first": original.reregistration_of_id}
        )
    old_type = record.registration_type
    record.reregistration_of = original
    record.registration_type = RegistrationType.REREGISTRATION
    record.version += 1
    try:
        with transaction.atomic():
            record.save(update_fields=["reregistration_of", "registration_type", "version", "updated_at"])
    except IntegrityError as exc:
        if "record_one_reregistration_per_original" not in str(exc):
            raise
        first = (
            CivilRecord.objects.filter(reregistration_of=original)
            .exclude(state__in=["rejected", "duplicate"])
            .exclude(pk=record.pk)
            .first()
        )
        raise DuplicateRecordError(
            _(
                "Record %(original)d was already re-registered by record %(first)s: "
                "a second re-registration of the same record is a duplicate."
            )
            % {"original": original.pk, "first": first.pk if first else "?"},
            first,
        ) from exc
    for subject, other, role in ((record, original, "original"), (original, record, "reregistration")):
        audit_change(
            action=AuditAction.REREGISTRATION_MARK,
            actor=actor,
            unit_id=subject.unit_id,
            obj=subject,
            record_id=subject.pk,
            changes={
                role: other.pk,
                **({"registration_type": [old_type, record.registration_type]} if subject is record else {}),
            },
            reason=reason.strip(),
        )
    duplicate_pairs_refresh(record=record)
    duplicate_pairs_refresh(record=original)
    return record


# --- imported cases --------------------------------------------------------------------


@dataclass
class ImportedCase:
    """One case of an import batch: a new record with its data set (book, entry, fields, keys),
    its people, the state it is to be created in, and where it came from (for its audit row)."""

    record: CivilRecord
    parties: list[Party]
    state: str
    source: dict[str, Any] = field(default_factory=dict)


IMPORT_REASONS = {
    RecordState.ENTERED.value: gettext_lazy("Imported; goes through attach, review and approval."),
    RecordState.APPROVED.value: gettext_lazy(
        "Imported as approved from an official, already-approved source."
    ),
}


def import_permission_check(*, actor: Actor, unit: AdministrativeUnit, state: str) -> None:
    """May `actor` import cases of `unit` in `state`? Entered needs the right to enter records
    there; approved is for a province administrator only. Raises `PermissionDenied`, or
    `TransitionRefused` for a state no import may create."""
    import_state_check(state)
    if state == RecordState.APPROVED:
        if not can(actor, "manage_unit", unit.path):
            raise PermissionDenied(
                _("Only a province administrator may import records as approved; import them as entered.")
            )
    elif not can(actor, "enter_record", unit.path):
        raise PermissionDenied(
            _("Your roles do not allow entering records of %(unit)s.") % {"unit": unit.name}
        )


@transaction.atomic
def records_import(*, book: RegisterBook, cases: list[ImportedCase], actor: Actor) -> list[CivilRecord]:
    """Create a batch of imported cases of one book, each in its entered or approved state.

    The bulk counterpart of entering (or approving) one record: the actor's role on the book's
    unit is checked for each state in the batch, the state machine says which states a new case
    may start in, the records and their people are inserted in a few statements, every record
    gets its own hash-chained audit row ("import": the state it was created in and its source,
    with the reason that says whether it was imported as approved), and `IMPORT_HOOKS` run
    (work items, progress counters, the transfer outbox of approved cases).

    Refused (`PermissionDenied`, `TransitionRefused`) before anything is written. A hard
    duplicate (one active record per book entry, one birth and one death per person) raises
    `IntegrityError` from a savepoint, leaving the caller's transaction usable.
    """
    if not cases:
        return []
    unit = book.custodian
    for state in sorted({case.state for case in cases}):
        import_permission_check(actor=actor, unit=unit, state=state)
    now = timezone.now()
    records = [case.record for case in cases]
    for case in cases:
        record = case.record
        record.book, record.state, record.entered_by = book, case.state, actor
        if case.state == RecordState.APPROVED:
            record.approved_by, record.approved_at = actor, now
    # COPY (the rows bulk_create would insert): an import writes thousands of cases a batch.
    with transaction.atomic():
        copy_insert(CivilRecord, records)
    copy_insert(Party, [party for case in cases for party in case.parties])
    for state, reason in IMPORT_REASONS.items():
        audit_copy_many(
            kind=AuditKind.CHANGE,
            action=AuditAction.IMPORT,
            actor=actor,
            unit_id=unit.pk,
            entries=[
                (case.record, case.record.pk, {"imported_as": state, **case.source})
                for case in cases
                if case.state == state
            ],
            reason=str(reason),
        )
    for hook in IMPORT_HOOKS:
        hook(book, records, actor)
    return records
