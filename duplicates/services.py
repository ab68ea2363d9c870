"""The supervisor's side of likely duplicates: what blocks approval, the open pairs, the decisions.

Matching itself (blocking keys, scoring, candidate search, the pairs table) is in
`registry.matching`, below the workflows; this module sits above them because confirming
a duplicate closes the record through `workflows.services.record_mark_duplicate`.
Both hooks are registered in `config.wiring`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.scoping import can
from registry.matching import (
    MAX_BLOCK,
    _pair_key,
    check_inputs_changed,
    covering_path,
    duplicate_pairs_refresh,
    find_likely_duplicates,
    open_candidates,
    person_for_record,
)
from registry.models import CivilRecord, DuplicatePair, DuplicateStatus
from workflows.services import record_mark_duplicate


def approval_check(record: CivilRecord) -> str | None:
    """Approval check: refuse approval while a candidate is undecided."""
    found = open_candidates(record)
    if not found:
        return None
    top = CivilRecord.objects.select_related("book", "unit").get(pk=found[0].record_id)
    if not top.unit_path.startswith(record.unit_path):
        # The approver of this record may not see the other one: name nothing of it.
        return _(
            "This record may duplicate a record of another unit. A supervisor whose units include both "
            "has been asked to decide; it can be approved after that decision."
        )
    return _(
        "This record may duplicate %(book)s, entry no. %(no)d (%(unit)s), score %(score)d. "
        "A supervisor must decide “not a duplicate” or “duplicate of” on the record's duplicates "
        "page before it can be approved."
    ) % {"book": top.book, "no": top.entry_no, "unit": top.unit.name, "score": found[0].score}


# Closing a record drops its open pairs; entering and amending change its data, so its pairs follow
# when what the check reads of it changed (`check_inputs_changed`: the person, hence the blocking
# keys; always on a first entry). Attach, review, approval and returns change no data, and drafts
# of a record entered before refresh its pairs as they are saved (`data_saved_hook`), so its
# pairs are current at every transition. Another record's pairs are refreshed by that record's
# own saves (pairs are unordered).
CLOSING_EVENTS = ("reject", "mark_duplicate", "cross_out")
DATA_EVENTS = ("enter", "amend")


def transition_hook(record: CivilRecord, event: str, actor: Actor | None) -> None:
    """Transition hook: keep the supervisors' queue current after data changes."""
    if event in CLOSING_EVENTS or (event in DATA_EVENTS and check_inputs_changed(record)):
        duplicate_pairs_refresh(record=record)


def data_saved_hook(record: CivilRecord, actor: Actor | None) -> None:
    """Data-saved hook: a draft or correction of a record entered before (it has pairs) refreshes
    them when what the check reads changed; a first entry's drafts wait for the entry."""
    if record.entered_by_id and check_inputs_changed(record):
        duplicate_pairs_refresh(record=record)


# --- the supervisor's decision -------------------------------------------------------------


def _decide(
    *, record: CivilRecord, other: CivilRecord, actor: Actor, status: str, reason: str
) -> DuplicatePair:
    for unit_path, unit in ((record.unit_path, record.unit), (other.unit_path, other.unit)):
        # A supervisor decides only about a pair they may see both sides of.
        if not can(actor, "resolve_duplicates", unit_path):
            raise ValidationError(
                _("Your roles do not allow deciding about duplicates in %(unit)s.") % {"unit": unit.name}
            )
    if not (reason or "").strip():
        raise ValidationError(_("Give the reason for your decision: it is kept with the pair."))
    if record.pk == other.pk:
        raise ValidationError(_("A record cannot be a duplicate of itself."))
    low, high = _pair_key(record.pk, other.pk)
    pair = (
        DuplicatePair.objects.select_for_update(no_key=True)
        .filter(record_low_id=low, record_high_id=high)
        .first()
    )
    if pair is None:
        found = {
            c.record_id: c
            for c in find_likely_duplicates(person_for_record(record), threshold=0, limit=MAX_BLOCK)
        }
        match = found.get(other.pk)
        pair = DuplicatePair(
            record_low_id=low,
            record_high_id=high,
            score=match.score if match else 0,
            reasons=match.reasons if match else [],
            route_path=covering_path(record.unit_path, other.unit_path),
        )
    old = pair.status
    pair.status = status
    pair.reason = reason.strip()
    pair.decided_by = actor
    pair.decided_at = timezone.now()
    pair.save()
    audit_change(
        action=AuditAction.DUPLICATE_DECISION,
        actor=actor,
        unit_id=record.unit_id,
        obj=pair,
        record_id=record.pk,
        changes={"status": [old, status], "other_record": other.pk, "score": pair.score},
        reason=pair.reason,
    )
    return pair


@transaction.atomic
def duplicate_dismiss(*, record: CivilRecord, other: CivilRecord, actor: Actor, reason: str) -> DuplicatePair:
    """Decide that two matched records are different cases ("not a duplicate").

    Needs `resolve_duplicates` on the record's unit and a reason. The decision is audited
    and remembered for the pair: the check will not raise it again.
    """
    return _decide(
        record=record, other=other, actor=actor, status=DuplicateStatus.NOT_DUPLICATE, reason=reason
    )


@transaction.atomic
def duplicate_confirm(
    *,
    record: CivilRecord,
    original: CivilRecord,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
) -> CivilRecord:
    """Decide that `record` duplicates `original`: remember the pair and close `record` as a duplicate.

    Refused like `workflows.services.record_mark_duplicate` (permission, state, reason),
    and if the original is itself closed.
    """
    original = (
        CivilRecord.objects.select_for_update(no_key=True, of=("self",))
        .select_related("book", "unit")
        .get(pk=original.pk)
    )
    if original.is_closed:
        raise ValidationError(
            _("The original is itself closed (%(state)s): choose the record that stays.")
            % {"state": original.get_state_display()}
        )
    _decide(record=record, other=original, actor=actor, status=DuplicateStatus.DUPLICATE, reason=reason)
    return record_mark_duplicate(
        record=record, actor=actor, original=original, reason=reason, expected_version=expected_version
    )
