"""Account administration for province administrators, scoped to their subtree (no /admin/ needed):
the list with locked accounts, one new account, a sheet of accounts, and per account: deactivate,
reactivate, temporary password, unlock, last day of use, authenticator removal."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import bulk
from accounts.models import Account
from accounts.second_factor import otp_required_for
from accounts.selectors import (
    accounts_visible_to,
    get_account_for,
    grantable_roles,
    locked_usernames,
    may_manage_accounts,
    q_search,
    units_for_accounts,
)
from accounts.services import (
    NewAccount,
    account_create,
    account_password_reset,
    account_set_active,
    account_set_end,
    account_unlock,
    accounts_bulk_create,
    totp_remove,
)
from audit.actors import AuthenticatedRequest
from permissions.models import UnitRole
from permissions.roles import Role
from registry.models import AdministrativeUnit
from vietnamese.names import clean_name

IMPORT_SESSION_KEY = "civreg_account_import"


def _require_manager(request: AuthenticatedRequest) -> None:
    if not may_manage_accounts(request.user):
        raise PermissionDenied(_("Only province administrators manage accounts."))


class AccountForm(forms.Form):
    username = forms.CharField(
        label=_l("User name"),
        max_length=150,
        validators=[ASCIIUsernameValidator()],
        help_text=_l("Letters without diacritics, digits and . _ - @ (e.g. nguyen.van.an)"),
    )
    full_name = forms.CharField(label=_l("Full name"), max_length=120)
    unit: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_l("Unit"), queryset=AdministrativeUnit.objects.none()
    )
    role = forms.ChoiceField(label=_l("Role"), choices=Role.choices)
    ends_on = forms.DateField(
        label=_l("Last day of use"),
        required=False,
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
        help_text=_l("Mobilized staff only (dd/mm/yyyy): the account locks itself the day after."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units_for_accounts(actor)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError(_("User name “%(name)s” is already taken.") % {"name": username})
        return username

    def clean_full_name(self) -> str:
        return clean_name(self.cleaned_data["full_name"])

    def clean_ends_on(self) -> dt.date | None:
        ends_on = self.cleaned_data["ends_on"]
        if ends_on and ends_on < timezone.localdate():
            raise ValidationError(_("This day has already passed."))
        return ends_on

    def clean(self):
        data = super().clean() or {}
        unit, role = data.get("unit"), data.get("role")
        if unit is not None and role and role not in grantable_roles(self.actor, unit):
            self.add_error("role", _("You may not give this role in %(unit)s.") % {"unit": unit.name})
        return data


class EndForm(forms.Form):
    ends_on = forms.DateField(
        label=_l("Last day of use"),
        required=False,
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_l("Excel file (.xlsx)"))


@login_required
def account_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    accounts = accounts_visible_to(request.user)
    text = (request.GET.get("q") or "").strip()[:100]
    if text:
        accounts = accounts.filter(q_search(text))
    page = Paginator(accounts.select_related("account__unit").order_by("username"), 50).get_page(
        request.GET.get("page")
    )
    users = list(page)
    roles: dict[int, list[str]] = {}
    for user_id, role, unit_name in UnitRole.objects.filter(group__user__in=users).values_list(
        "group__user", "role", "unit__name"
    ):
        roles.setdefault(user_id, []).append(f"{Role(role).label} – {unit_name}")
    with_device = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    locked_all = locked_usernames()
    locked = accounts_visible_to(request.user).filter(username__in=list(locked_all)).order_by("username")
    today = timezone.localdate()
    for user in users:
        account = getattr(user, "account", None)
        user.roles_text = roles.get(user.pk, [])  # type: ignore[attr-defined]
        user.has_device = user.pk in with_device  # type: ignore[attr-defined]
        user.is_locked = user.username in locked_all  # type: ignore[attr-defined]
        user.has_ended = bool(account and account.ends_on and account.ends_on < today)  # type: ignore[attr-defined]
    return render(
        request,
        "accounts/manage_list.html",
        {"page": page, "users": users, "locked": locked, "locked_all": locked_all, "q": text},
    )


@login_required
def account_new(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    form = AccountForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user, password = account_create(
            spec=NewAccount(
                username=data["username"],
                full_name=data["full_name"],
                unit=data["unit"],
                role=data["role"],
                ends_on=data["ends_on"],
            ),
            actor=request.user,
            request=request,
        )
        return render(request, "accounts/manage_passwords.html", {"created": [(user, password)], "new": True})
    return render(request, "accounts/manage_new.html", {"form": form})


@login_required
def account_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    user = get_account_for(request.user, pk)
    account = Account.objects.filter(user=user).select_related("unit").first()
    return render(
        request,
        "accounts/manage_detail.html",
        {
            "subject": user,
            "account": account,
            "roles": UnitRole.objects.filter(group__user=user).select_related("unit").order_by("unit__path"),
            "locked": user.username in locked_usernames([user.username]),
            "has_device": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "otp_required": otp_required_for(user),
            "end_form": EndForm(initial={"ends_on": account.ends_on if account else None}),
            "ended": bool(account and account.ends_on and account.ends_on < timezone.localdate()),
            "is_self": user.pk == request.user.pk,
        },
    )


@login_required
@require_POST
def account_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    """One POST per action on an account of the administrator's subtree (404 for any other)."""
    _require_manager(request)
    user = get_account_for(request.user, pk)
    actor = request.user
    if action in ("deactivate", "reset_password") and user.pk == actor.pk:
        messages.error(request, _("You cannot do this to your own account: ask another administrator."))
    elif action == "deactivate":
        account_set_active(user=user, active=False, actor=actor, request=request)
        messages.success(request, _("%(user)s can no longer log in.") % {"user": user.username})
    elif action == "reactivate":
        account_set_active(user=user, active=True, actor=actor, request=request)
        messages.success(request, _("%(user)s can log in again.") % {"user": user.username})
    elif action == "unlock":
        account_unlock(user=user, actor=actor, request=request)
        messages.success(request, _("%(user)s is unlocked and can log in now.") % {"user": user.username})
    elif action == "remove_totp":
        totp_remove(user=user, actor=actor, request=request)
        messages.success(
            request,
            _("The authenticator app of %(user)s was removed; it will set up a new one at its next login.")
            % {"user": user.username},
        )
    elif action == "end":
        form = EndForm(request.POST)
        if form.is_valid():
            account_set_end(user=user, ends_on=form.cleaned_data["ends_on"], actor=actor, request=request)
            messages.success(request, _("Last day of use saved."))
        else:
            messages.error(request, _("Write the last day of use as dd/mm/yyyy, or leave it empty."))
    elif action == "reset_password":
        password = account_password_reset(user=user, actor=actor, request=request)
        return render(
            request, "accounts/manage_passwords.html", {"created": [(user, password)], "new": False}
        )
    else:
        messages.error(request, _("Unknown action."))
    return redirect("account_detail", pk=user.pk)


@login_required
def account_import_template(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    response = HttpResponse(
        bulk.template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="mau-tai-khoan.xlsx"'
    return response


@login_required
def account_import(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a sheet → every row checked (nothing created) → confirm → all accounts created, or none."""
    _require_manager(request)
    context: dict = {"columns": bulk.COLUMNS, "roles": Role.choices, "form": UploadForm()}
    if request.method == "POST" and "confirm" in request.POST:
        return _import_confirm(request, context)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > bulk.MAX_BYTES:
                form.add_error("file", _("The file is larger than 2 MB: split it."))
            else:
                try:
                    rows = bulk.read_sheet(upload)
                except bulk.SheetError as exc:
                    form.add_error("file", str(exc))
                else:
                    checked = bulk.check_rows(rows, actor=request.user)
                    context["checked"] = checked
                    context["bad"] = [row for row in checked if row.errors]
                    if not rows:
                        form.add_error("file", _("The sheet has no accounts below its headings."))
                    elif not context["bad"]:
                        request.session[IMPORT_SESSION_KEY] = {"rows": rows}
    return render(request, "accounts/manage_import.html", context)


def _import_confirm(request: AuthenticatedRequest, context: dict) -> HttpResponse:
    stored = request.session.get(IMPORT_SESSION_KEY)
    if not stored:
        messages.error(request, _("Upload the sheet again: it was not checked in this session."))
        return redirect("account_import")
    rows = [(row_no, values) for row_no, values in stored["rows"]]
    checked = bulk.check_rows(rows, actor=request.user)  # again: names may have been taken meanwhile
    bad = [row for row in checked if row.errors]
    if bad:
        context.update({"checked": checked, "bad": bad})
        return render(request, "accounts/manage_import.html", context)
    created = accounts_bulk_create(
        specs=[row.spec for row in checked if row.spec is not None], actor=request.user, request=request
    )
    request.session.pop(IMPORT_SESSION_KEY, None)
    return render(request, "accounts/manage_passwords.html", {"created": created, "new": True})
