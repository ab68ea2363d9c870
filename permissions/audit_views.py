"""The audit trail for auditors, scoped to their units (here, above `audit`, because scoping is here)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from audit.actors import AuthenticatedRequest
from audit.models import AuditEvent, AuditKind
from permissions.scoping import scopes_with, units_visible_to


class TrailFilter(forms.Form):
    kind = forms.ChoiceField(label=_l("Kind"), choices=[("", "—"), *AuditKind.choices], required=False)
    actor = forms.CharField(label=_l("User name"), required=False, max_length=150)
    action = forms.CharField(label=_l("Action"), required=False, max_length=48)
    record = forms.IntegerField(label=_l("Record"), required=False, min_value=1)
    since = forms.DateField(label=_l("From"), required=False)
    until = forms.DateField(label=_l("To"), required=False)


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
        if data["kind"]:
            events = events.filter(kind=data["kind"])
        if data["actor"]:
            events = events.filter(actor_name=data["actor"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["record"]:
            events = events.filter(record_id_value=data["record"])
        if data["since"]:
            events = events.filter(at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(at__date__lte=data["until"])
    page = Paginator(events.order_by("-at", "-id"), 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/trail.html", {"form": form, "page": page, "query": query.urlencode()})
