"""The "my jobs" page, the JSON a progress bar polls, and the cancel button. Thin: selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.actors import AuthenticatedRequest
from jobs import services
from jobs.models import JobState
from jobs.selectors import get_job_for, jobs_of, supervises_jobs

PAGE_SIZE = 30


def _filters() -> list[tuple[str, str]]:
    return [("", _("All")), ("active", _("Queued or running"))] + [
        (s.value, str(s.label)) for s in JobState if s not in (JobState.QUEUED, JobState.RUNNING)
    ]


@login_required
def my_jobs(request: AuthenticatedRequest) -> HttpResponse:
    """Every job the user started, newest first, with live bars; filtered by state. A unit's manager
    may list the jobs of their units instead (?who=units)."""
    filters = _filters()
    state = request.GET.get("state", "")
    if state not in {value for value, _label in filters}:
        state = ""
    supervisor = supervises_jobs(request.user)
    units = supervisor and request.GET.get("who") == "units"
    jobs = jobs_of(request.user, state=state, units=units)
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "state": state, "supervisor": supervisor, "units": units}
    return render(request, "jobs/my_jobs.html", context)


@login_required
def job_progress(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    job = get_job_for(request.user, pk, request=request)
    return JsonResponse(services.job_status(job))


@login_required
@require_POST
def job_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = get_job_for(request.user, pk, request=request)
    try:
        services.job_cancel_request(job=job, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Stopping: the job stops at its next safe point."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "my_jobs")
