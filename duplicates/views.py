"""The supervisors' pages: a record's likely duplicates with the decisions taken, and the open queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audit.actors import AuthenticatedRequest
from duplicates.services import duplicate_confirm, duplicate_dismiss
from forms.selectors import candidates_for_display
from permissions.scoping import (
    can,
    get_record_for,
    records_visible_to,
    scope_q,
)
from registry.matching import open_candidates
from registry.models import (
    DuplicatePair,
    DuplicateStatus,
)
from vietnamese.input_values import id_param
from workflows.machine import TransitionRefused
from workflows.services import ConflictError
from workflows.views import posted_version

PAGE_SIZE = 50


@login_required
def record_duplicates(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A record's likely duplicates and the decisions already taken; supervisors decide here."""
    record = get_record_for(request.user, pk, request=request)
    may_decide = can(request.user, "resolve_duplicates", record.unit_path)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        other = (
            records_visible_to(request.user)
            .filter(pk=id_param(request.POST.get("other"), field=_("other")) or 0)
            .first()
        )
        reason = request.POST.get("reason", "")
        try:
            if other is None:
                raise ValidationError(_("Choose a record you can see as the other one of the pair."))
            if request.POST.get("decision") == "duplicate":
                duplicate_confirm(
                    record=record,
                    original=other,
                    actor=request.user,
                    reason=reason,
                    expected_version=posted_version(request),
                )
                messages.success(
                    request,
                    _("Closed as a duplicate of record %(id)d.") % {"id": other.pk},
                )
                return redirect("record_detail", pk=record.pk)
            duplicate_dismiss(record=record, other=other, actor=request.user, reason=reason)
            messages.success(request, _("Recorded: not a duplicate. This pair will not be raised again."))
            return redirect("record_duplicates", pk=record.pk)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        except (TransitionRefused, ConflictError) as exc:
            messages.error(request, str(exc))
    candidates = candidates_for_display(request.user, open_candidates(record))
    decided = (
        DuplicatePair.objects.filter(Q(record_low=record) | Q(record_high=record))
        .exclude(status=DuplicateStatus.OPEN)
        .select_related("decided_by")
        .order_by("-decided_at")
    )
    return render(
        request,
        "duplicates/record_duplicates.html",
        {
            "record": record,
            "candidates": candidates,
            "decided": decided,
            "may_decide": may_decide,
            "may_reregister": can(request.user, "enter_record", record.unit_path),
        },
    )


@login_required
def duplicate_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Open likely-duplicate pairs in the supervisor's units, newest first."""
    pairs = (
        DuplicatePair.objects.filter(status=DuplicateStatus.OPEN)
        # Routed to the lowest unit that covers both records: only supervisors who may see both.
        .filter(scope_q(request.user, "resolve_duplicates", path_field="route_path"))
        .select_related("record_low__book", "record_high__book", "record_low__unit", "record_high__unit")
        .order_by("-found_at")
    )
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "duplicates/duplicate_queue.html", {"page": page})
