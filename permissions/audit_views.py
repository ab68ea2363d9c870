"""The audit trail for auditors, scoped to their units (here, above `audit`, because scoping is here)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.models import AuditEvent, AuditKind
from permissions.scoping import scopes_with, units_visible_to
from registry.change_labels import change_rows
from registry.models import CivilRecord
from registry.search import narrowed


class TrailFilter(forms.Form):
    kind = forms.ChoiceField(label=_l("Kind"), choices=[("", "—"), *AuditKind.choices], required=False)
    actor = forms.CharField(label=_l("User name"), required=False, max_length=150)
    action = forms.ChoiceField(label=_l("Action"), required=False)
    record = forms.IntegerField(label=_l("Record"), required=False, min_value=1)
    since = forms.DateField(label=_l("From"), required=False)
    until = forms.DateField(label=_l("To"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # By label in the user's language, so an action is found by the words the table shows.
        labels = sorted(
            ((code, str(label)) for code, label in AuditAction.choices), key=lambda c: c[1].lower()
        )
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", "—"), *labels]


@login_required
def trail(request: AuthenticatedRequest) -> HttpResponse:
    if not (request.user.is_superuser or scopes_with(request.user, "view_audit")):
        raise PermissionDenied(_("Only auditors and administrators read the audit trail."))
    events = AuditEvent.objects.all()
    if not request.user.is_superuser:
        events = events.filter(unit_id_value__in=units_visible_to(request.user, "view_audit").values("pk"))
    form = TrailFilter(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        events = narrowed(
            events,
            kind=data["kind"],
            actor_name=data["actor"],
            action=data["action"],
            record_id_value=data["record"],
            at__date__gte=data["since"],
            at__date__lte=data["until"],
        )
    page = Paginator(events.order_by("-at", "-id"), 100).get_page(request.GET.get("page"))
    event_types = dict(
        CivilRecord.objects.filter(pk__in={e.record_id_value for e in page if e.record_id_value}).values_list(
            "pk", "event_type"
        )
    )
    for e in page:  # the changes in words: field labels of the record's register, readable values
        e.change_rows = change_rows(event_types.get(e.record_id_value or 0), e.changes or {})  # type: ignore[attr-defined]
        e.object_label = _object_label(e.object_type)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/trail.html", {"form": form, "page": page, "query": query.urlencode()})


def _object_label(object_type: str) -> str:
    """The name of the kind of object a row is about ("registry.civilrecord" → "civil record")."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name) if object_type else ""
    except (LookupError, ValueError):
        return object_type
