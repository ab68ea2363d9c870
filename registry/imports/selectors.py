"""Reads for the import pages: jobs scoped to the units where the user may enter records,
and the clean-up worklist of approved records that still lack something."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from permissions.scoping import can, records_visible_to, scope_q
from registry.imports.models import ImportJob, ImportProfile, ImportRow
from registry.models import SUBJECT_ROLES, CivilRecord, Party, RecordState, ScanFile


def import_jobs_visible_to(user: Any) -> QuerySet[ImportJob]:
    """Jobs of the units where `user` may enter records."""
    return ImportJob.objects.filter(scope_q(user, "enter_record", path_field="unit__path")).select_related(
        "unit", "created_by"
    )


def get_import_job_for(user: Any, pk: int) -> ImportJob:
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


def cleanup_worklist(user: Any) -> QuerySet[CivilRecord]:
    """Approved (not yet transferred) records the user may see that lack the subject's name, the
    registration date or a scan; annotated with what is missing, ordered by unit, book and entry."""
    subject = Party.objects.filter(record=OuterRef("pk"), role__in=SUBJECT_ROLES).exclude(full_name="")
    has_scan = ScanFile.objects.filter(record=OuterRef("pk"))
    return (
        records_visible_to(user)
        .filter(state=RecordState.APPROVED)
        .annotate(
            has_subject=Exists(subject),
            has_scan=Exists(has_scan),
            subject_name=Subquery(subject.values("full_name")[:1]),
        )
        .filter(Q(has_subject=False) | Q(has_scan=False) | Q(reg_year__isnull=True))
        .select_related("unit", "book__custodian")
        .order_by("unit__name", "book__year", "book__book_no", "book_id", "entry_no")
    )
