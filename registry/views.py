"""Pages for books and records. Every query goes through permissions.scoping."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.clickjacking import xframe_options_sameorigin

from audit.models import AuditEvent
from audit.services import audit_access
from permissions.scoping import (
    books_visible_to,
    can,
    get_book_for,
    get_record_for,
    records_visible_to,
    units_visible_to,
)
from registry.history import record_history
from registry.models import (
    SUBJECT_ROLES,
    AdministrativeUnit,
    BookCondition,
    EventType,
    Party,
    RecordState,
    ScanFile,
)
from registry.scans import scan_download_name
from registry.services import book_register
from workflows.machine import EVENT_LABELS, allowed_events

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    counts = dict(
        records_visible_to(request.user)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    states = [(s.value, s.label, counts.get(s.value, 0)) for s in RecordState]
    return render(request, "registry/home.html", {"states": states, "total": sum(counts.values())})


class RecordFilter(forms.Form):
    state = forms.ChoiceField(label=_l("State"), choices=[("", "—"), *RecordState.choices], required=False)
    event_type = forms.ChoiceField(
        label=_l("Event type"), choices=[("", "—"), *EventType.choices], required=False
    )
    book = forms.IntegerField(label=_l("Book"), required=False, widget=forms.HiddenInput)
    year = forms.IntegerField(label=_l("Year"), required=False, min_value=1800, max_value=2100)
    name = forms.CharField(label=_l("Name"), required=False, max_length=120)


@login_required
def record_list(request: HttpRequest) -> HttpResponse:
    form = RecordFilter(request.GET or None)
    subject_name = Party.objects.filter(record=OuterRef("pk"), role__in=SUBJECT_ROLES).values("full_name")[:1]
    records = (
        records_visible_to(request.user)
        .select_related("book", "unit")
        .annotate(subject_name=Subquery(subject_name))
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["state"]:
            records = records.filter(state=data["state"])
        if data["event_type"]:
            records = records.filter(event_type=data["event_type"])
        if data["book"]:
            records = records.filter(book_id=data["book"])
        if data["year"]:
            records = records.filter(reg_year=data["year"])
        if data["name"]:
            from registry.names import name_key

            records = records.filter(parties__name_key__startswith=name_key(data["name"])).distinct()
    records = records.order_by("book_id", "entry_no")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "registry/record_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_record_for(request.user, pk, request=request)
    audit_access(
        request=request, action="view_record", unit_id=record.unit_id, obj=record, record_id=record.pk
    )
    events = [(e, EVENT_LABELS.get(e, e)) for e in allowed_events(record)]
    trail = (
        AuditEvent.objects.filter(record_id_value=record.pk, kind="change").order_by("seq")
        if can(request.user, "view_records", record.unit_path)
        else AuditEvent.objects.none()
    )
    return render(
        request,
        "registry/record_detail.html",
        {
            "record": record,
            "parties": record.parties.all(),
            "scans": record.scans.all()[:5],
            "events": events,
            "event_ids": [e for e, _label in events],
            "history": record_history(record, trail),
            "can": {
                perm: can(request.user, perm, record.unit_path)
                for perm in (
                    "scan_record",
                    "enter_record",
                    "attach_record",
                    "review_record",
                    "approve_record",
                    "reject_record",
                    "resolve_duplicates",
                )
            },
        },
    )


@xframe_options_sameorigin
@login_required
@xframe_options_sameorigin  # shown beside the data-entry and review forms
def scan_download(request: HttpRequest, pk: int) -> FileResponse:
    scan = ScanFile.objects.filter(pk=pk).select_related("record").first()
    if scan is None:
        raise Http404
    record = get_record_for(request.user, scan.record_id, request=request)
    audit_access(
        request=request, action="download_scan", unit_id=record.unit_id, obj=scan, record_id=record.pk
    )
    scan.record = record
    return FileResponse(
        scan.file.open("rb"),
        content_type="application/pdf",
        filename=scan_download_name(scan),
        as_attachment=request.GET.get("inline") != "1",
    )


@login_required
def book_list(request: HttpRequest) -> HttpResponse:
    books = (
        books_visible_to(request.user)
        .select_related("custodian")
        .annotate(n_records=Count("records"))
        .order_by("custodian__name", "event_type", "year", "book_no")
    )
    page = Paginator(books, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "registry/book_list.html", {"page": page})


@login_required
def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = get_book_for(request.user, pk, request=request)
    counts = dict(
        book.records.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    digitized = sum(n for s, n in counts.items() if s not in ("collected", "rejected", "duplicate"))
    return render(
        request,
        "registry/book_detail.html",
        {
            "book": book,
            "states": [(s.value, s.label, counts.get(s.value, 0)) for s in RecordState],
            "digitized": digitized,
            "mismatch": book.declared_cases is not None and sum(counts.values()) != book.declared_cases,
        },
    )


class BookForm(forms.Form):
    custodian: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_l("Custodian unit"), queryset=AdministrativeUnit.objects.none()
    )
    event_type = forms.ChoiceField(label=_l("Event type"), choices=EventType.choices)
    year = forms.IntegerField(label=_l("Year"), min_value=1800, max_value=2100)
    book_no = forms.CharField(label=_l("Book number"), max_length=32)
    authority_as_written = forms.CharField(
        label=_l("Registering authority (as written)"), max_length=255, required=False
    )
    declared_cases = forms.IntegerField(
        label=_l("Declared closing total of cases"), min_value=0, max_value=100000
    )
    declared_pages = forms.IntegerField(
        label=_l("Declared closing total of pages"), min_value=0, required=False
    )
    condition = forms.ChoiceField(label=_l("Physical condition"), choices=BookCondition.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["custodian"].queryset = units_visible_to(user, "collect_books").order_by("path")


@login_required
def book_create(request: HttpRequest) -> HttpResponse:
    form = BookForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            book = book_register(actor=request.user, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request, _("Book registered with %(n)d empty case slots.") % {"n": data["declared_cases"]}
            )
            return redirect("book_detail", pk=book.pk)
    return render(request, "registry/book_form.html", {"form": form})
