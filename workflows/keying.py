"""Double keying with arbitration: two people key a case independently, a third settles what differs.

    enter (keying A) ─► key_second (keying B, not A) ─┬─ all fields agree ─► entered (B's data)
                                                      └─ any differs ─► arbitrate (not A, not B) ─► entered

A book keys its cases twice when its own setting says so, else when its phase's does
(`RegisterBook.double_keying_on`); only a case's first entry is keyed twice (`services.keying_applies`:
a case returned for rework is corrected by one person). The record stays scanned until the data is
saved: each keying is kept in `Keying` (never written to the record, so neither keyer sees the
other's values; each has their own draft), and the work items are tasks of the record's viewflow
process (`workflows.flows`: the `key_second` and `arbitrate` nodes, routed by the process's `keying`
data), excluded to the keyers as four eyes excludes the authors of a case. The two keyings are
compared field by field after normalization (`normalized`: Unicode NFC, spaces, letter case, where
the tone mark sits, digits; diacritics kept: "Hòa" ≠ "Hoa"). The data is saved through
`services.record_enter_keyed`, the same checks and writes as a single entry, so the case is entered
and goes on to attach as usual. Every disagreement and its resolution (`KeyingDisagreement`: the two
values, the arbitrated one, which keyer was right) is kept forever and audited; `keyer_counts`
sums them per keyer for the quality dashboards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.actors import Actor
from audit.services import audit_change
from permissions.scoping import can
from registry.event_fields import field_label
from registry.models import CivilRecord
from registry.record_data import DIGIT_FIELDS, RecordInput
from vietnamese.names import name_exact_key
from workflows import services
from workflows.flows import claim_is_live, display_name, keying_of, local_text, open_task_of, task_complete
from workflows.hooks import ARBITRATION_HOOKS
from workflows.machine import TransitionRefused
from workflows.models import Keying, KeyingDisagreement, KeyingRight, KeyingSlot, RecordTask, Stage

_NUMBER = re.compile(r"\d+")
# Fields of a case that hold a whole number or a choice (kept as numbers in `RecordInput`).
_INT_KEYS = ("page_no", "registration_type")


# --- the values of a keying --------------------------------------------------------------------


def keying_fields(data: RecordInput) -> dict[str, str]:
    """A keying's values by field, keyed as the validation names fields ("registration_date",
    "party.mother.full_name", "details.notice_no"), as text ("" for empty)."""
    values: dict[str, Any] = {
        "page_no": data.page_no,
        "registration_date": data.registration_date,
        "registration_type": data.registration_type,
        "event_date": data.event_date,
        **data.text,
        **{f"details.{k}": v for k, v in (data.details or {}).items()},
    }
    for role, fields in (data.parties or {}).items():
        for name, value in fields.items():
            values[f"party.{role}.{name}"] = value
    return {key: "" if value is None else str(value) for key, value in values.items()}


def normalized(key: str, value: str) -> str:
    """What two keyings are compared by: NFC, spaces folded, letter case and tone-mark placement
    ignored ("hoà" = "hòa"), every other mark kept ("Hòa" ≠ "Hoa"); numbers by their value ("05" = "5",
    any script's digits); an identity number or document by its digits only ("0123 4567" = "01234567")."""
    text = value or ""
    if key.rsplit(".", 1)[-1] in DIGIT_FIELDS:
        return "".join(str(int(ch)) for ch in text if ch.isdecimal())
    return _NUMBER.sub(lambda m: str(int(m.group())), name_exact_key(text))


def differing_fields(a: RecordInput, b: RecordInput) -> list[str]:
    """The fields where two keyings disagree after normalization, in the order of the form."""
    first, second = keying_fields(a), keying_fields(b)
    keys = list(first) + [k for k in second if k not in first]
    return [k for k in keys if normalized(k, first.get(k, "")) != normalized(k, second.get(k, ""))]


def input_to_json(data: RecordInput) -> dict[str, Any]:
    return dataclasses.asdict(data)


def input_from_json(values: dict[str, Any]) -> RecordInput:
    known = {f.name for f in dataclasses.fields(RecordInput)}
    data = {k: v for k, v in values.items() if k in known}
    data["not_in_book"] = tuple(data.get("not_in_book") or ())
    data["as_written"] = tuple(data.get("as_written") or ())
    return RecordInput(**data)


def _with_value(data: RecordInput, key: str, value: str) -> RecordInput:
    """`data` with one field (a `keying_fields` key) set to `value`, typed as the field is."""
    typed: Any = value
    if key in _INT_KEYS or key.endswith(".sex"):
        if value.strip() and not value.strip().isdigit():
            raise ValidationError({key: [_("Type a whole number, or pick one of the two values.")]})
        typed = int(value) if value.strip() else (0 if key != "page_no" else None)
    if key in ("page_no", "registration_date", "registration_type", "event_date"):
        changes: dict[str, Any] = {key: typed}
        return dataclasses.replace(data, **changes)
    if key.startswith("details."):
        details = {**data.details, key.split(".", 1)[1]: typed}
        return dataclasses.replace(data, details={k: v for k, v in details.items() if v not in ("", None)})
    if key.startswith("party."):
        _party, role, name = key.split(".", 2)
        parties = {r: dict(v) for r, v in data.parties.items()}
        parties.setdefault(role, {})[name] = typed
        return dataclasses.replace(data, parties=parties)
    return dataclasses.replace(data, text={**data.text, key: typed})


# --- who may do what ---------------------------------------------------------------------------


def keying_refusal(actor: Actor, keying: dict[str, Any], stage: str) -> str | None:
    """Neither keyer keys a case twice, and neither arbitrates it. The reason, or None."""
    if actor is None:
        return None
    if stage == Stage.KEY_SECOND and keying.get("a") == actor.pk:
        return _("You keyed this case already: the second keying is someone else's (double keying).")
    if stage == Stage.ARBITRATE and actor.pk in (keying.get("a"), keying.get("b")):
        return _("You keyed this case, so someone else arbitrates it (double keying).")
    return None


def _locked_task(record: CivilRecord | int, stages: Iterable[str]) -> tuple[CivilRecord, RecordTask]:
    pk = record.pk if isinstance(record, CivilRecord) else record
    record = (
        CivilRecord.objects.select_for_update(no_key=True, of=("self",))
        .select_related("book", "unit")
        .get(pk=pk)
    )
    task = open_task_of(record)
    if record.state != "scanned" or task is None or task.stage not in stages:
        raise TransitionRefused(
            _("This case is no longer waiting for this step (someone finished it). Reload the page.")
        )
    task.process.record = record
    return record, task


def _held_by_other(task: RecordTask, actor: Actor) -> None:
    if claim_is_live(task) and task.owner_id != actor.pk:
        raise TransitionRefused(
            _("%(name)s is working on this (claimed %(when)s). Ask them, or a supervisor, to release it.")
            % {"name": display_name(task.owner), "when": local_text(task.assigned)}
        )


def _require(actor: Actor, permission: str, record: CivilRecord) -> None:
    if not can(actor, permission, record.unit_path):
        raise TransitionRefused(
            _("Your roles do not allow this action on records of %(unit)s.") % {"unit": record.unit.name}
        )


def _save_keying(task: RecordTask, keying: dict[str, Any]) -> None:
    process = task.process
    process.data = {**(process.data or {}), "keying": keying}
    process.save(update_fields=["data"])


# --- the services ------------------------------------------------------------------------------


@transaction.atomic
def keying_submit(*, record: CivilRecord | int, actor: Actor, data: RecordInput) -> str:
    """Submit one person's keying of a double-keyed case. Returns what happened: "first" (it waits
    for the second keying), "agreed" (the two agree: the data is saved and the case is entered) or
    "arbitrate" (they disagree: an arbitration task is open).

    Checked as a single entry is (`services.record_data_check`: nothing invalid is kept as a keying).
    Refused when the case is not waiting for a keying, to someone without the entry role on its
    unit, to the first keyer keying it again, and while someone else holds the work item.
    """
    record, task = _locked_task(record, (Stage.ENTER, Stage.KEY_SECOND))
    _require(actor, "enter_record", record)
    keying = dict(keying_of(task.process))
    second = task.stage == Stage.KEY_SECOND
    if not second and not services.keying_applies(record):
        raise TransitionRefused(_("This case is keyed once: save it with “Save and mark entered”."))
    problem = keying_refusal(actor, keying, Stage.KEY_SECOND) if second else None
    if problem:
        raise TransitionRefused(problem)
    _held_by_other(task, actor)
    services.record_data_check(record=record, data=data)
    now = timezone.now()
    slot = KeyingSlot.B if second else KeyingSlot.A
    values = keying_fields(data)
    Keying.objects.create(
        record=record,
        process=task.process,
        slot=slot,
        keyer=actor,
        unit_path=record.unit_path,
        values=input_to_json(data),
        fields_keyed=sum(1 for v in values.values() if v.strip()),
        submitted_at=now,
    )
    audit_change(
        action=AuditAction.KEYING_SUBMIT,
        actor=actor,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"keying": slot.value},
    )
    if not second:
        _save_keying(task, {"step": "second", "a": actor.pk, "a_name": display_name(actor)})
        task_complete(task, actor=actor, outcome="keyed")
        return "first"
    first = Keying.objects.get(process=task.process, slot=KeyingSlot.A)
    first_data = input_from_json(first.values)
    keying.update(b=actor.pk, b_name=display_name(actor))
    differ = differing_fields(first_data, data)
    if not differ:
        _save_keying(task, {**keying, "step": "done", "agreed": True})
        services.record_enter_keyed(record=record, actor=actor, data=data)
        return "agreed"
    first_values = keying_fields(first_data)
    KeyingDisagreement.objects.bulk_create(
        [
            KeyingDisagreement(
                record=record,
                process=task.process,
                field=key,
                value_a=first_values.get(key, ""),
                value_b=values.get(key, ""),
                keyer_a_id=first.keyer_id,
                keyer_b=actor,
                unit_path=record.unit_path,
                created_at=now,
            )
            for key in differ
        ]
    )
    _save_keying(task, {**keying, "step": "arbitrate", "fields": differ})
    task_complete(task, actor=actor, outcome="keyed")
    return "arbitrate"


def _right(key: str, value: str, row: KeyingDisagreement) -> str:
    wanted = normalized(key, value)
    if wanted == normalized(key, row.value_a):
        return KeyingRight.A
    if wanted == normalized(key, row.value_b):
        return KeyingRight.B
    return KeyingRight.NEITHER


@transaction.atomic
def keying_arbitrate(
    *,
    record: CivilRecord | int,
    actor: Actor,
    resolutions: dict[str, str],
    as_written: Iterable[str] = (),
) -> CivilRecord:
    """Settle each field where the two keyings disagree (`resolutions`: the value per field, picked
    from a keying or typed from the scan) and save the case's data: the agreeing fields as keyed,
    these as settled. `as_written` confirms settled values "as written in the book" (a keyer's
    confirmation of the value picked from them counts too). The case becomes entered.

    Refused when no arbitration is waiting, to someone without the review role on the record's
    unit, to either keyer, while someone else holds the work item, and (ValidationError by field)
    when a field is left unsettled or the data does not pass the checks of a single entry.
    """
    record, task = _locked_task(record, (Stage.ARBITRATE,))
    process = task.process
    keying = dict(keying_of(process))
    problem = keying_refusal(actor, keying, Stage.ARBITRATE)
    if problem:
        raise TransitionRefused(problem)
    _require(actor, "review_record", record)
    _held_by_other(task, actor)
    rows = list(
        KeyingDisagreement.objects.select_for_update(no_key=True).filter(process=process).order_by("pk")
    )
    missing = [row.field for row in rows if resolutions.get(row.field) is None]
    if missing:
        raise ValidationError(
            {key: [_("Pick the first or the second value, or type what the scan shows.")] for key in missing}
        )
    keyings = {k.slot: input_from_json(k.values) for k in Keying.objects.filter(process=process)}
    data, other = keyings[KeyingSlot.A], keyings[KeyingSlot.B]
    confirmed = set(data.as_written) - {row.field for row in rows}
    not_in_book = set(data.not_in_book) | set(other.not_in_book)
    now = timezone.now()
    for row in rows:
        value = resolutions[row.field]
        row.resolved_value, row.right = value, _right(row.field, value, row)
        row.arbitrator, row.resolved_at = actor, now
        data = _with_value(data, row.field, value)
        picked = {KeyingRight.A: keyings[KeyingSlot.A], KeyingRight.B: other}.get(KeyingRight(row.right))
        if picked is not None and row.field in picked.as_written:
            confirmed.add(row.field)
    confirmed |= set(as_written)
    values = keying_fields(data)
    data = dataclasses.replace(
        data,
        as_written=tuple(sorted(confirmed)),
        not_in_book=tuple(sorted(k for k in not_in_book if not values.get(k, "").strip())),
    )
    KeyingDisagreement.objects.bulk_update(rows, ["resolved_value", "right", "arbitrator", "resolved_at"])
    audit_change(
        action=AuditAction.KEYING_ARBITRATE,
        actor=actor,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={row.field: [row.value_a, row.value_b, row.resolved_value, row.right] for row in rows},
    )
    _save_keying(task, {**keying, "step": "done", "arbitrator": actor.pk})
    overruled: dict[int, int] = defaultdict(int)
    for row in rows:
        if row.right != KeyingRight.A:
            overruled[row.keyer_a_id] += 1
        if row.right != KeyingRight.B:
            overruled[row.keyer_b_id] += 1
    for hook in ARBITRATION_HOOKS:
        hook(record, dict(overruled), actor)
    return services.record_enter_keyed(record=record, actor=actor, data=data, permission="review_record")


# --- reads -------------------------------------------------------------------------------------


def keying_task_of(user: Actor, record: CivilRecord) -> RecordTask | None:
    """The open keying work item of a case (first or second keying) that the user may open, if any."""
    task = (
        RecordTask.objects.filter(
            record=record, status__in=["NEW", "ASSIGNED"], stage__in=[Stage.ENTER, Stage.KEY_SECOND]
        )
        .exclude(excluded_user_ids__contains=[user.pk])
        .first()
    )
    return task


def arbitration_of(task: RecordTask) -> tuple[list[KeyingDisagreement], dict[str, str]]:
    """What an arbitrator sees: the disagreements of the task's pass, and the settled (agreeing)
    fields with their value."""
    rows = list(KeyingDisagreement.objects.filter(process_id=task.process_id).order_by("pk"))
    first = Keying.objects.filter(process_id=task.process_id, slot=KeyingSlot.A).first()
    differing = {row.field for row in rows}
    settled = {
        k: v
        for k, v in (keying_fields(input_from_json(first.values)) if first else {}).items()
        if k not in differing and v.strip()
    }
    return rows, settled


@dataclass
class KeyerCounts:
    """One keyer's double-keying figures over a unit subtree and a period."""

    user_id: int
    name: str
    cases: int = 0
    fields: int = 0
    disagreements: int = 0
    wrong: int = 0
    pending: int = 0

    @property
    def wrong_per_thousand_fields(self) -> float | None:
        return round(1000 * self.wrong / self.fields, 1) if self.fields else None


def keyer_counts(*, unit_path: str, start: dt.datetime, end: dt.datetime) -> list[KeyerCounts]:
    """Per keyer, over cases of `unit_path`'s subtree keyed in [start, end): cases and fields keyed,
    disagreements they were part of, those where they were wrong (the arbitrator picked the other
    keyer's value or typed another), and those still waiting for arbitration. Three grouped queries
    over indexed columns; the caller scopes `unit_path` (`permissions.scoping`)."""
    found: dict[int, KeyerCounts] = {}

    def row(user_id: int) -> KeyerCounts:
        return found.setdefault(user_id, KeyerCounts(user_id=user_id, name=""))

    keyed = Keying.objects.filter(
        unit_path__startswith=unit_path, submitted_at__gte=start, submitted_at__lt=end
    )
    for item in keyed.values("keyer").annotate(cases=Count("pk"), fields=Sum("fields_keyed")):
        counts = row(item["keyer"])
        counts.cases, counts.fields = item["cases"], item["fields"] or 0
    disagreements = KeyingDisagreement.objects.filter(
        unit_path__startswith=unit_path, created_at__gte=start, created_at__lt=end
    )
    wrong_for = {
        "keyer_a": [KeyingRight.B, KeyingRight.NEITHER],
        "keyer_b": [KeyingRight.A, KeyingRight.NEITHER],
    }
    for side, wrong in wrong_for.items():
        for item in disagreements.values(side).annotate(
            n=Count("pk"),
            wrong=Count("pk", filter=Q(right__in=wrong)),
            pending=Count("pk", filter=Q(right="")),
        ):
            counts = row(item[side])
            counts.disagreements += item["n"]
            counts.wrong += item["wrong"]
            counts.pending += item["pending"]
    users = get_user_model().objects.filter(pk__in=list(found))
    for user in users:
        found[user.pk].name = display_name(user)
    return sorted(found.values(), key=lambda c: (c.name, c.user_id))


def disagreements_by_field(*, unit_path: str, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """How often each field (by its label) was keyed differently, most often first: which fields
    are hard to read."""
    rows = (
        KeyingDisagreement.objects.filter(
            unit_path__startswith=unit_path, created_at__gte=start, created_at__lt=end
        )
        .values("record__event_type", "field")
        .annotate(n=Count("pk"))
        .order_by()
    )
    totals: dict[str, int] = defaultdict(int)
    for item in rows:
        totals[field_label(item["record__event_type"], item["field"])] += item["n"]
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))
