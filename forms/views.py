"""Endpoints around data entry: autosave, legacy-text conversion, likely duplicates and
their decisions, and the staff search. Thin: services and selectors do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from audit.services import audit_access
from forms.drafts import draft_discard, draft_save
from forms.entry import RecordForm
from forms.selectors import candidates_for_display
from permissions.scoping import can, get_record_for, records_visible_to, scope_q
from registry.duplicates import (
    THRESHOLD,
    duplicate_confirm,
    duplicate_dismiss,
    find_likely_duplicates,
    open_candidates,
    person_from_input,
)
from registry.legacy_encodings import ENCODING_LABELS, fix_legacy, mixed_encoding
from registry.models import DuplicatePair, DuplicateStatus, EventType, RecordState
from registry.partial_dates import PartialDate
from registry.record_data import RecordInput
from registry.search import RecordQuery, records_search
from workflows.machine import TransitionRefused
from workflows.services import ConflictError

PAGE_SIZE = 50


def _probe_input(record_event_type: str, post: Any) -> RecordInput:
    """The people and registration date as typed so far (no validation), for the live check."""
    parties: dict[str, dict[str, Any]] = {}
    for key, value in post.items():
        if "__" in key and not key.startswith("d__"):
            role, name = key.split("__", 1)
            parties.setdefault(role, {})[name] = value
    return RecordInput(registration_date=post.get("registration_date", ""), parties=parties)


@login_required
@require_POST
def draft_autosave(request: HttpRequest, pk: int) -> JsonResponse:
    """Keep what the user typed (called by static/js/entry.js every few seconds and on blur);
    answer with the likely duplicates of what is typed so far."""
    record = get_record_for(request.user, pk, "enter_record", request=request)
    form = RecordForm(event_type=record.event_type)
    try:
        draft = draft_save(
            user=request.user, record=record, data=request.POST.dict(), allowed=set(form.fields)
        )
    except ValidationError as exc:
        return JsonResponse({"saved": False, "error": exc.messages[0]}, status=400)
    probe = person_from_input(record.event_type, _probe_input(record.event_type, request.POST))
    found = find_likely_duplicates(probe, exclude_record_id=record.pk)
    return JsonResponse(
        {
            "saved": True,
            "saved_at": timezone.localtime(draft.saved_at).strftime("%H:%M:%S"),
            "threshold": THRESHOLD,
            "duplicates": candidates_for_display(request.user, found),
        }
    )


@login_required
@require_POST
def draft_forget(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_record_for(request.user, pk, "enter_record", request=request)
    draft_discard(user=request.user, record=record)
    messages.info(request, _("Your unsaved input was discarded; the form shows the record as saved."))
    return redirect("record_enter", pk=record.pk)


@login_required
@require_POST
def legacy_convert(request: HttpRequest) -> JsonResponse:
    """Convert pasted TCVN3/VNI text to Unicode (the paste handler of the entry form)."""
    text = request.POST.get("text", "")[:10000]
    if mixed_encoding(text):
        return JsonResponse(
            {
                "text": text,
                "encoding": None,
                "message": _(
                    "Part of the pasted text is in an old encoding and part in Unicode: retype it, "
                    "or paste it again from the original document."
                ),
            }
        )
    converted, encoding = fix_legacy(text)
    return JsonResponse(
        {
            "text": converted,
            "encoding": encoding,
            "message": _("Pasted text converted from %(encoding)s to Unicode.")
            % {"encoding": ENCODING_LABELS[encoding]}
            if encoding
            else "",
        }
    )


# --- likely duplicates ---------------------------------------------------------------------


@login_required
def record_duplicates(request: HttpRequest, pk: int) -> HttpResponse:
    """A record's likely duplicates and the decisions already taken; supervisors decide here."""
    record = get_record_for(request.user, pk, request=request)
    may_decide = can(request.user, "resolve_duplicates", record.unit_path)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        other = records_visible_to(request.user).filter(pk=request.POST.get("other") or 0).first()
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
                    expected_version=_int(request.POST.get("version")),
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
        "forms/record_duplicates.html",
        {"record": record, "candidates": candidates, "decided": decided, "may_decide": may_decide},
    )


@login_required
def duplicate_queue(request: HttpRequest) -> HttpResponse:
    """Open likely-duplicate pairs in the supervisor's units, newest first."""
    pairs = (
        DuplicatePair.objects.filter(status=DuplicateStatus.OPEN)
        .filter(scope_q(request.user, "resolve_duplicates", path_field="record_high__unit_path"))
        .select_related("record_low__book", "record_high__book", "record_low__unit", "record_high__unit")
        .order_by("-found_at")
    )
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "forms/duplicate_queue.html", {"page": page})


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- search ----------------------------------------------------------------------------------


class SearchForm(forms.Form):
    name = forms.CharField(label=_l("Name"), required=False, max_length=120)
    pin = forms.CharField(label=_l("PIN"), required=False, max_length=20)
    mother = forms.CharField(label=_l("Mother's name"), required=False, max_length=120)
    father = forms.CharField(label=_l("Father's name"), required=False, max_length=120)
    book_no = forms.CharField(label=_l("Book number"), required=False, max_length=32)
    book_year = forms.IntegerField(label=_l("Book year"), required=False, min_value=1800, max_value=2100)
    entry_no = forms.IntegerField(label=_l("Entry number"), required=False, min_value=1)
    event_type = forms.ChoiceField(
        label=_l("Event type"), choices=[("", "—"), *EventType.choices], required=False
    )
    state = forms.ChoiceField(label=_l("State"), choices=[("", "—"), *RecordState.choices], required=False)
    registered_from = forms.DateField(label=_l("Registered from"), required=False, input_formats=["%d/%m/%Y"])
    registered_to = forms.DateField(label=_l("Registered until"), required=False, input_formats=["%d/%m/%Y"])
    born_from = forms.DateField(label=_l("Born from"), required=False, input_formats=["%d/%m/%Y"])
    born_to = forms.DateField(label=_l("Born until"), required=False, input_formats=["%d/%m/%Y"])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("registered_from", "registered_to", "born_from", "born_to"):
            self.fields[name].widget.attrs["placeholder"] = "dd/mm/yyyy"
            self.fields[name].error_messages["invalid"] = _("Type the date as dd/mm/yyyy, e.g. 05/03/1998.")

    def query(self) -> RecordQuery:
        return RecordQuery(**{k: v for k, v in self.cleaned_data.items() if v not in (None, "")})


def _search(request: HttpRequest) -> tuple[SearchForm, Any]:
    form = SearchForm(request.GET or None)
    if not (form.is_bound and form.is_valid()) or form.query().is_empty:
        return form, None
    query = form.query()
    audit_access(
        request=request, action="search", changes={k: str(v) for k, v in query.__dict__.items() if v}
    )
    return form, Paginator(records_search(request.user, query), PAGE_SIZE).get_page(request.GET.get("page"))


def _primary_names(records: list[Any]) -> dict[int, Any]:
    from registry.duplicates import PRIMARY_ROLE
    from registry.models import Party

    return {
        p.record_id: p
        for p in Party.objects.filter(
            record_id__in=[r.pk for r in records], role__in=set(PRIMARY_ROLE.values())
        )
    }


@login_required
def record_search(request: HttpRequest) -> HttpResponse:
    form, page = _search(request)
    rows = []
    if page is not None:
        names = _primary_names(list(page.object_list))
        rows = [(r, names.get(r.pk)) for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "forms/search.html", {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    )


@login_required
def record_search_json(request: HttpRequest) -> JsonResponse:
    form, page = _search(request)
    if page is None:
        errors = {k: [str(m) for m in v] for k, v in form.errors.items()} if form.is_bound else {}
        return JsonResponse(
            {
                "error": _("Give at least one criterion.") if not errors else _("Correct the criteria."),
                "fields": errors,
            },
            status=400,
        )
    names = _primary_names(list(page.object_list))
    results = []
    for record in page.object_list:
        party = names.get(record.pk)
        results.append(
            {
                "id": record.pk,
                "url": reverse("record_detail", args=[record.pk]),
                "event_type": record.event_type,
                "state": record.state,
                "unit": record.unit.name,
                "book_no": record.book.book_no,
                "book_year": record.book.year,
                "entry_no": record.entry_no,
                "registration_date": str(record.registration_date),
                "name": party.full_name if party else "",
                "birth_date": str(PartialDate(party.birth_year, party.birth_month, party.birth_day))
                if party
                else "",
            }
        )
    return JsonResponse(
        {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": results,
        }
    )
