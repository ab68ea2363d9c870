"""People and roles: a unit manager assigns people to roles on units of their subtree."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from audit.actors import AuthenticatedRequest
from permissions.models import UnitRole
from permissions.roles import Role
from permissions.scoping import scope_q, scopes_with, units_visible_to, user_scopes
from permissions.services import role_grant, role_revoke
from registry.models import AdministrativeUnit


def _require_manager(request: HttpRequest) -> None:
    if not (request.user.is_superuser or scopes_with(request.user, "manage_unit")):
        raise PermissionDenied(_("Only unit managers (province administrators) manage people."))


class GrantForm(forms.Form):
    username = forms.CharField(label=_l("User name"), max_length=150)
    unit: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_l("Unit"), queryset=AdministrativeUnit.objects.none()
    )
    role = forms.ChoiceField(label=_l("Role"), choices=Role.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        field.queryset = units_visible_to(user, "manage_unit").order_by("path")

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No active user “%(name)s”. Check the spelling or create the account first.")
                % {"name": username}
            )
        return user


@login_required
def people(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    form = GrantForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        role_grant(user=data["username"], unit=data["unit"], role=data["role"], actor=request.user)
        messages.success(
            request,
            _("%(user)s is now %(role)s of %(unit)s.")
            % {
                "user": data["username"].username,
                "role": Role(data["role"]).label,
                "unit": data["unit"].name,
            },
        )
        return redirect("people")
    assignments = (
        UnitRole.objects.filter(scope_q(request.user, "manage_unit", path_field="unit__path"))
        .select_related("unit")
        .prefetch_related("group__user_set")
        .order_by("unit__path", "role")
    )
    rows = [(ur, u) for ur in assignments for u in ur.group.user_set.all()]
    return render(request, "permissions/people.html", {"form": form, "rows": rows})


@login_required
@require_POST
def revoke(request: AuthenticatedRequest, unit_role_id: int, user_id: int) -> HttpResponse:
    _require_manager(request)
    unit_role = (
        UnitRole.objects.filter(
            scope_q(request.user, "manage_unit", path_field="unit__path"), pk=unit_role_id
        )
        .select_related("unit")
        .first()
    )
    user = get_user_model().objects.filter(pk=user_id).first()
    if unit_role is None or user is None:
        messages.error(request, _("That assignment is not in your units."))
    else:
        role_revoke(user=user, unit=unit_role.unit, role=unit_role.role, actor=request.user)
        messages.success(request, _("Role removed."))
    return redirect("people")


# Where each role starts its day, most specific first (a user holding several roles gets the first).
LANDING = (
    (Role.PROVINCE_ADMIN, "progress_dashboard"),
    (Role.COUNTER_CLERK, "counter"),
    (Role.CLERK, "inbox_queue"),
    (Role.CONTRACTOR, "inbox_queue"),
    (Role.REVIEWER, "inbox_queue"),
    (Role.APPROVER, "inbox_queue"),
    (Role.AUDITOR, "audit_trail"),
)


@login_required
def landing(request: AuthenticatedRequest) -> HttpResponse:
    """After login: the page of the user's main role (the counter for counter staff, the queue for
    clerks, reviewers and approvers, progress for a province administrator); else the overview."""
    roles = {scope.role for scope in user_scopes(request.user)}
    for role, url_name in LANDING:
        if role in roles:
            return redirect(url_name)
    return redirect("home")
