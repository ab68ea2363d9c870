"""Reads for the import pages: jobs scoped to the units where the user may enter records,
and the clean-up worklist of approved records that still lack something."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from audit.actors import Actor
from imports.models import ImportJob, ImportProfile, ImportRow
from permissions.scoping import can, records_visible_to, scope_q
from registry.event_fields import EVENT_SPECS, field_label
from registry.models import CivilRecord, Party, RecordState
from scans.models import ScanFile


def import_jobs_visible_to(user: Actor) -> QuerySet[ImportJob]:
    """Jobs of the units where `user` may enter records."""
    return ImportJob.objects.filter(scope_q(user, "enter_record", path_field="unit__path")).select_related(
        "unit", "created_by"
    )


def get_import_job_for(user: Actor, pk: int) -> ImportJob:
    """The job, or 404 for a user who may not enter records of its unit (its existence is not revealed)."""
    job = ImportJob.objects.select_related("unit", "profile", "created_by").filter(pk=pk).first()
    if job is None or not can(user, "enter_record", job.unit.path):
        raise Http404
    return job


def import_profiles(event_type: str | None = None) -> QuerySet[ImportProfile]:
    profiles = ImportProfile.objects.all()
    return profiles.filter(event_type=event_type) if event_type else profiles


def import_rows_with_problems(job: ImportJob) -> QuerySet[ImportRow]:
    return job.rows.exclude(problems=[]).order_by("row_no")


def cleanup_worklist(user: Actor) -> QuerySet[CivilRecord]:
    """Approved (not yet transferred) records the user may see that lack a scan or a field their
    event type requires before transfer (`EventSpec.required`), ordered by unit, book and entry.
    `cleanup_missing` says what each one of a page lacks."""
    has_scan = ScanFile.objects.filter(record=OuterRef("pk"))
    lacking = Q(has_scan=False)
    for event_type, spec in EVENT_SPECS.items():
        lacking |= Q(event_type=event_type) & reduce(or_, [_lacks(key) for key in spec.required])
    return (
        records_visible_to(user)
        .filter(state=RecordState.APPROVED)
        .annotate(has_scan=Exists(has_scan))
        .filter(lacking)
        .select_related("unit", "book__custodian")
        .order_by("unit__name", "book__year", "book__book_no", "book_id", "entry_no")
    )


def _lacks(key: str) -> Q:
    """The condition that a record lacks the required field `key` (see `EventSpec.required`)."""
    if key.startswith("party."):
        _party, role, attr = key.split(".")
        named = Party.objects.filter(record=OuterRef("pk"), role=role).exclude(**{attr: ""})
        return ~Q(Exists(named))
    year = {"registration_date": "reg_year", "event_date": "event_year"}[key]
    return Q(**{f"{year}__isnull": True})


@dataclass
class WorklistEntry:
    record: CivilRecord
    name: str  # the first required person's name
    missing: list[str]  # labels of what it lacks


def cleanup_missing(records: Iterable[CivilRecord]) -> list[WorklistEntry]:
    """What each record of a worklist page lacks, and whose case it is: one query for the page."""
    records = list(records)
    names = {
        (record_id, role): name
        for record_id, role, name in Party.objects.filter(record__in=records)
        .exclude(full_name="")
        .values_list("record_id", "role", "full_name")
    }
    entries = []
    for record in records:
        required = EVENT_SPECS[record.event_type].required
        people = [key.split(".")[1] for key in required if key.startswith("party.")]
        missing = [
            field_label(record.event_type, key)
            for key in required
            if (key.startswith("party.") and (record.pk, key.split(".")[1]) not in names)
            or (key == "registration_date" and record.reg_year is None)
            or (key == "event_date" and record.event_year is None)
        ]
        if not getattr(record, "has_scan", True):
            missing.append(_("scan"))
        name = next((names[(record.pk, role)] for role in people if (record.pk, role) in names), "")
        entries.append(WorklistEntry(record, name, missing))
    return entries
