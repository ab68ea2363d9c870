"""A reconciliation run as a job of "my jobs": the population import, tracked from start to end.

The import of an extract (`transfer.reconciliation.population_import`) runs in the request and is
recorded here (who, when, how long, how many residents, the outcome, a link to the worklist). A
small extract is matched in the same request; a large one is matched by the background task
`transfer.tasks.run_reconciliation`, which is a run of its own in "my jobs" with a live bar (its
progress after each batch). Matching is not cancellable: it is safe to run again and changes
nothing the second time, so there is nothing a stop would protect.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from audit.actors import Actor
from jobs import services as runs
from jobs.models import Job, JobKind
from transfer.models import PopulationExtract
from transfer.reconciliation import population_import


def reconciliation_run(*, actor: Actor, unit: Any, content: bytes, filename: str = "") -> PopulationExtract:
    """`population_import`, recorded as a run of the actor's jobs (failed runs too, with their reason)."""
    run = runs.job_running(
        runs.job_queue(
            kind=JobKind.RECONCILIATION,
            object_id=0,
            owner=actor,
            unit=unit,
            title=filename or unit.name,
            result_url=reverse("transfer_reconciliation"),
        )
    )
    try:
        extract = population_import(actor=actor, unit=unit, content=content, filename=filename)
    except Exception as exc:
        runs.job_fail(run, message=" ".join(getattr(exc, "messages", [str(exc)])))
        raise
    Job.objects.filter(pk=run.pk).update(object_id=extract.pk)
    run.total = run.done = extract.row_count
    if extract.matched_at is None:  # matched by the background task, a run of its own
        message = _("%(n)d residents imported; the matching runs as its own job.")
        runs.job_finish(run, message=message % {"n": extract.row_count})
        return extract
    message = _(
        "%(pin)d matched by PIN, %(name)d by name and birth date, %(none)d not found; %(diff)d differences."
    )
    counts = {"pin": extract.matched_by_pin, "name": extract.matched_by_name, "none": extract.unmatched}
    runs.job_finish(run, message=message % {**counts, "diff": extract.differences})
    return extract
