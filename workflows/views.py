"""Pages that move a record through its lifecycle. Thin: forms validate, services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.actors import AuthenticatedRequest
from permissions.scoping import (
    get_record_for,
    records_visible_to,
)
from vietnamese.input_values import id_param
from workflows import services
from workflows.machine import TransitionRefused


def posted_version(request: HttpRequest) -> int | None:
    """The record version the form was rendered with (stale saves are refused with it)."""
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


ACTIONS = {
    "attach": lambda r, u, v, p: services.record_attach(record=r, actor=u, expected_version=v),
    "review": lambda r, u, v, p: services.record_review(record=r, actor=u, expected_version=v),
    "approve": lambda r, u, v, p: services.record_approve(record=r, actor=u, expected_version=v),
    "return": lambda r, u, v, p: services.record_return(
        record=r,
        actor=u,
        expected_version=v,
        reason=p.get("reason", ""),
        stage=p.get("stage", "entry"),
        remarks={k[7:]: p[k] for k in p if k.startswith("remark_")},
    ),
    "reject": lambda r, u, v, p: services.record_reject(
        record=r, actor=u, expected_version=v, reason=p.get("reason", "")
    ),
    "cross_out": lambda r, u, v, p: services.record_cross_out(
        record=r, actor=u, expected_version=v, reason=p.get("reason", "")
    ),
    "restore": lambda r, u, v, p: services.record_restore(
        record=r, actor=u, expected_version=v, reason=p.get("reason", "")
    ),
}


@login_required
@require_POST
def record_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    record = get_record_for(request.user, pk, request=request)
    try:
        if action == "mark_duplicate":
            original = (
                records_visible_to(request.user)
                .filter(pk=id_param(request.POST.get("original"), field=_("original")) or 0)
                .first()
            )
            if original is None:
                raise TransitionRefused(
                    _("Give the number of an existing record you can see as the original.")
                )
            services.record_mark_duplicate(
                record=record,
                actor=request.user,
                original=original,
                reason=request.POST.get("reason", ""),
                expected_version=posted_version(request),
            )
        elif action == "reregister":
            original = (
                records_visible_to(request.user)
                .filter(pk=id_param(request.POST.get("original"), field=_("original")) or 0)
                .first()
            )
            if original is None:
                raise TransitionRefused(
                    _("Give the number of an existing record you can see as the original.")
                )
            services.record_mark_reregistration(
                record=record,
                actor=request.user,
                original=original,
                reason=request.POST.get("reason", ""),
                expected_version=posted_version(request),
            )
        elif action in ACTIONS:
            ACTIONS[action](record, request.user, posted_version(request), request.POST)
        else:
            raise TransitionRefused(_("Unknown action."))
    except (TransitionRefused, services.ConflictError) as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("record_detail", pk=pk)
