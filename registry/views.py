"""Pages for books and records. Every query goes through permissions.scoping."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access
from permissions.scoping import (
    books_visible_to,
    can,
    get_book_for,
    records_visible_to,
    scope_q,
    scopes_with,
    units_visible_to,
    work_limited_only,
)
from registry.book_condition import FIELD_NAMES, ConditionChecklist, assessment_of, checklist_from
from registry.entry_numbers import EntryNumber, parse_entry_number
from registry.models import (
    ENTRY_ORDER,
    SUBJECT_ROLES,
    AdministrativeUnit,
    BookCondition,
    CivilRecord,
    EventType,
    Party,
    RecordState,
    RegisterBook,
)
from registry.partial_dates import PartialDate
from registry.result_rows import search_rows_html
from registry.search import CappedPaginator, RecordQuery, name_capped, narrowed, records_search
from registry.services import (
    book_double_keying_set,
    book_edit,
    book_register,
    book_slot_remove,
    book_slots_add,
)
from vietnamese.input_values import id_param
from vietnamese.names import name_key

PAGE_SIZE = 50


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
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
def record_list(request: AuthenticatedRequest) -> HttpResponse:
    form = RecordFilter(request.GET or None)
    subject_name = Party.objects.filter(record=OuterRef("pk"), role__in=SUBJECT_ROLES).values("full_name")[:1]
    records = (
        records_visible_to(request.user)
        .select_related("book", "unit")
        .annotate(subject_name=Subquery(subject_name))
    )
    if form.is_valid():
        data = form.cleaned_data
        records = narrowed(
            records,
            state=data["state"],
            event_type=data["event_type"],
            book_id=data["book"],
            reg_year=data["year"],
        )
        if data["name"]:
            records = records.filter(parties__name_key__startswith=name_key(data["name"])).distinct()
    records = records.order_by("book_id", *ENTRY_ORDER)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registry/record_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "over_limit": _scan_over_limit([r.pk for r in page]),
        },
    )


def _scan_over_limit(ids: list[int]) -> set[int]:
    """Which of these records' scan (the newest one that is not a late scan still unchecked, returned
    or cancelled: `scans.models.current_scan`) is flagged over the size limit. One query, by the scans
    relation's field names (the scans app sits above this one)."""
    rows = (
        CivilRecord.objects.filter(pk__in=ids, scans__isnull=False)
        .order_by("pk", "-scans__uploaded_at", "-scans__id")
        .values_list("pk", "scans__over_limit", "scans__late_check")
    )
    seen: set[int] = set()
    over: set[int] = set()
    for pk, flagged, late_check in rows:
        if pk not in seen and late_check not in ("pending", "returned", "cancelled"):
            seen.add(pk)
            if flagged:
                over.add(pk)
    return over


@login_required
def book_list(request: AuthenticatedRequest) -> HttpResponse:
    books = (
        books_visible_to(request.user)
        .select_related("custodian")
        .annotate(n_records=Count("records"))
        .order_by("custodian__name", "event_type", "year", "book_no")
    )
    page = Paginator(books, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "registry/book_list.html", {"page": page})


def book_reconciliation(book: RegisterBook) -> dict[str, Any]:
    """The book's closing total against its slots: crossed out, entered (data keyed), still to do."""
    counts = dict(
        book.records.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    slots = sum(counts.values())
    not_cases = counts.get(RecordState.REJECTED, 0) + counts.get(RecordState.DUPLICATE, 0)
    crossed_out = counts.get(RecordState.CROSSED_OUT, 0)
    to_do = counts.get(RecordState.COLLECTED, 0) + counts.get(RecordState.SCANNED, 0)
    return {
        "counts": counts,
        "declared": book.declared_cases,
        "slots": slots,
        "crossed_out": crossed_out,
        "entered": slots - not_cases - crossed_out - to_do,
        "to_do": to_do,
        "rejected": counts.get(RecordState.REJECTED, 0),
        "duplicate": counts.get(RecordState.DUPLICATE, 0),
        "difference": None if book.declared_cases is None else slots - book.declared_cases,
    }


@login_required
def book_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    book = get_book_for(request.user, pk, request=request)
    figures = book_reconciliation(book)
    counts = figures["counts"]
    may_edit = can(request.user, "collect_books", book.custodian.path)
    removable = (
        book.records.filter(state=RecordState.COLLECTED, scans__isnull=True, parties__isnull=True)
        .order_by(*ENTRY_ORDER)
        .only("pk", "entry_no", "entry_suffix")[:500]
        if may_edit
        else []
    )
    return render(
        request,
        "registry/book_detail.html",
        {
            "book": book,
            "assessment": assessment_of(book),
            "states": [(s.value, s.label, counts.get(s.value, 0)) for s in RecordState],
            "figures": figures,
            "mismatch": figures["difference"] not in (None, 0),
            "may_edit": may_edit,
            "removable": removable,
            "slots_form": SlotsAddForm(),
            "keyed_twice": book.double_keying_on(),
            "may_set_keying": request.user.is_superuser
            or can(request.user, "manage_unit", book.custodian.path),
        },
    )


KEYING_CHOICES = {"phase": None, "twice": True, "once": False}


@login_required
@require_POST
def book_keying_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A supervisor decides whether the book's cases are keyed twice (audited, with the reason)."""
    book = get_book_for(request.user, pk, request=request)
    choice = request.POST.get("double_keying", "")
    if choice not in KEYING_CHOICES:
        messages.error(request, _("Choose how the book is keyed: as its phase, twice, or once."))
        return redirect("book_detail", pk=book.pk)
    try:
        book_double_keying_set(
            book=book,
            actor=request.user,
            double_keying=KEYING_CHOICES[choice],
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Keying setting saved; the change is in the audit trail."))
    return redirect("book_detail", pk=book.pk)


def registering_units(user) -> QuerySet[AdministrativeUnit]:
    """Units that may have registered a book this user keeps: the units of their scope, the units
    above them (a district wrote the commune's old books) and the pre-2025 units they succeed."""
    above = {
        int(part)
        for scope in scopes_with(user, "collect_books")
        for part in scope.unit_path.strip("/").split("/")
    }
    return AdministrativeUnit.objects.filter(
        scope_q(user, "collect_books", path_field="path")
        | scope_q(user, "collect_books", path_field="successor__path")
        | Q(pk__in=above)
    ).order_by("era", "path")


class BookFields(forms.Form):
    """What a book's cover and closing page say; shared by registering and correcting."""

    event_type = forms.ChoiceField(label=_l("Event type"), choices=EventType.choices)
    year = forms.IntegerField(label=_l("Year"), min_value=1800, max_value=2100)
    year_to = forms.IntegerField(
        label=_l("To year (a book that runs across years)"), min_value=1800, max_value=2100, required=False
    )
    book_no = forms.CharField(label=_l("Book number"), max_length=32)
    authority_as_written = forms.CharField(
        label=_l("Registering authority (as written)"), max_length=255, required=False
    )
    authority_unit: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_l("Registering unit (decides who approves; empty: the custodian)"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )
    declared_cases = forms.IntegerField(
        label=_l("Declared closing total of cases"), min_value=0, max_value=100000
    )
    declared_pages = forms.IntegerField(
        label=_l("Declared closing total of pages"), min_value=0, max_value=100000, required=False
    )
    condition = forms.ChoiceField(label=_l("Overall condition"), choices=BookCondition.choices)
    # The condition checklist (registry.book_condition): ticked when the book is collected.
    torn = forms.BooleanField(label=_l("Torn"), required=False)
    faded = forms.BooleanField(label=_l("Faded (ink or paper)"), required=False)
    water_damaged = forms.BooleanField(label=_l("Water-damaged"), required=False)
    missing_pages = forms.BooleanField(label=_l("Missing pages"), required=False)
    missing_page_count = forms.IntegerField(label=_l("How many pages are missing (if known)"), required=False)
    missing_page_numbers = forms.CharField(
        label=_l("Which pages (if known, e.g. 12, 15-18)"), max_length=255, required=False
    )
    needs_restoration = forms.BooleanField(label=_l("Needs restoration before scanning"), required=False)
    condition_note = forms.CharField(
        label=_l("Condition note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    CONDITION_FIELDS = ["condition", *FIELD_NAMES.values()]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = cast(forms.ModelChoiceField, self.fields["authority_unit"])
        units.queryset = registering_units(user)
        self.fields["year_to"].widget.attrs["placeholder"] = _("empty: one year")
        self.fields["missing_page_count"].widget.attrs["min"] = 1

    def book_part(self) -> list[forms.BoundField]:
        skip = {*self.CONDITION_FIELDS, "assessed", "reason"}
        return [self[name] for name in self.fields if name not in skip]

    def condition_part(self) -> list[forms.BoundField]:
        names = [*self.CONDITION_FIELDS, "assessed"]
        return [self[name] for name in names if name in self.fields]

    def checklist(self, data: dict[str, Any]) -> ConditionChecklist:
        """Take the checklist's fields out of `data` (cleaned data), as the services take it."""
        checklist = checklist_from(data)
        for name in [*FIELD_NAMES.values(), "assessed"]:
            data.pop(name, None)
        return checklist

    def clean(self):
        data = super().clean() or {}
        year, year_to = data.get("year"), data.get("year_to")
        if year and year_to is not None and year_to < year:
            self.add_error(
                "year_to", _("The last year cannot be before the first year (%(year)d).") % {"year": year}
            )
        return data


class BookForm(BookFields):
    custodian: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_l("Custodian unit"), queryset=AdministrativeUnit.objects.none()
    )
    field_order = ["custodian"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["custodian"])
        field.queryset = units_visible_to(user, "collect_books").order_by("path")


class BookEditForm(BookFields):
    declared_cases = forms.IntegerField(
        label=_l("Declared closing total of cases (empty: the book has none)"),
        min_value=0,
        max_value=100000,
        required=False,
    )
    note = forms.CharField(label=_l("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(
        label=_l("Reason for the correction (required, audited)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    assessed = forms.BooleanField(
        label=_l("Record this checklist as the book's condition assessment (the book has none yet)"),
        required=False,
    )

    def __init__(self, *args, assessed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if assessed:  # a re-assessment: the checklist is saved whenever it changes
            del self.fields["assessed"]


def book_edit_initial(book: RegisterBook) -> dict[str, Any]:
    """The correction form's fields as the book is now (the page and the API start from them)."""
    return {
        "event_type": book.event_type,
        "year": book.year,
        "year_to": book.year_to if book.year_to != book.year else None,
        "book_no": book.book_no,
        "authority_as_written": book.authority_as_written,
        "authority_unit": book.authority_unit_id,
        "declared_cases": book.declared_cases,
        "declared_pages": book.declared_pages,
        "condition": book.condition,
        "note": book.note,
    }


def _form_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@login_required
def book_create(request: AuthenticatedRequest) -> HttpResponse:
    form = BookForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        checklist = form.checklist(data)
        try:
            book = book_register(actor=request.user, checklist=checklist, **data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request, _("Book registered with %(n)d empty case slots.") % {"n": data["declared_cases"]}
            )
            return redirect("book_detail", pk=book.pk)
    return render(request, "registry/book_form.html", {"form": form})


@login_required
def book_edit_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Correct a book's metadata as the book really is (audited old → new, with the reason)."""
    book = get_book_for(request.user, pk, "collect_books", request=request)
    initial = book_edit_initial(book)
    assessment = assessment_of(book)
    if assessment is not None:
        initial.update({name: getattr(assessment, attr) for attr, name in FIELD_NAMES.items()})
    form = BookEditForm(
        request.POST or None, user=request.user, initial=initial, assessed=assessment is not None
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        assess = assessment is not None or data.get("assessed")
        checklist = form.checklist(data)
        try:
            book_edit(
                book=book,
                actor=request.user,
                checklist=checklist if assess or checklist.has_defect or checklist.note else None,
                **data,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Book corrected; the change is in the audit trail."))
            return redirect("book_detail", pk=book.pk)
    return render(request, "registry/book_edit.html", {"form": form, "book": book})


class SlotsAddForm(forms.Form):
    entry_numbers = forms.CharField(
        label=_l("Entry numbers to add (e.g. 101-105, 15a, 15 bis)"), max_length=2000
    )
    reason = forms.CharField(label=_l("Reason (required)"), max_length=1000)


@login_required
@require_POST
def book_slots_add_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    book = get_book_for(request.user, pk, "collect_books", request=request)
    form = SlotsAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
        return redirect("book_detail", pk=book.pk)
    try:
        created = book_slots_add(
            book=book,
            actor=request.user,
            entry_numbers=[form.cleaned_data["entry_numbers"]],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d empty case slots added.") % {"n": len(created)})
    return redirect("book_detail", pk=book.pk)


@login_required
@require_POST
def book_slot_remove_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    book = get_book_for(request.user, pk, "collect_books", request=request)
    try:
        book_slot_remove(
            book=book,
            actor=request.user,
            record=id_param(request.POST.get("record"), field=_("case slot")) or 0,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The empty slot was removed; the removal is in the audit trail."))
    return redirect("book_detail", pk=book.pk)


class SearchForm(forms.Form):
    name = forms.CharField(label=_l("Name"), required=False, max_length=120)
    pin = forms.CharField(label=_l("PIN"), required=False, max_length=20)
    mother = forms.CharField(label=_l("Mother's name"), required=False, max_length=120)
    father = forms.CharField(label=_l("Father's name"), required=False, max_length=120)
    book_no = forms.CharField(label=_l("Book number"), required=False, max_length=32)
    book_year = forms.IntegerField(label=_l("Book year"), required=False, min_value=1800, max_value=2100)
    entry_no = forms.CharField(label=_l("Entry number"), required=False, max_length=20)
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

    def clean_entry_no(self) -> EntryNumber | None:
        text = self.cleaned_data.get("entry_no") or ""
        return parse_entry_number(text) if text.strip() else None

    def query(self) -> RecordQuery:
        return RecordQuery(**{k: v for k, v in self.cleaned_data.items() if v not in (None, "")})


def _search(request: HttpRequest) -> tuple[SearchForm, Any]:
    if work_limited_only(request.user):
        # Contractor staff find their cases in their inbox: no search over a unit's records.
        raise Http404("No record search for this role.")
    form = SearchForm(request.GET or None)
    if not (form.is_bound and form.is_valid()) or form.query().is_empty:
        return form, None
    query = form.query()
    audit_access(
        request=request,
        action=AuditAction.SEARCH,
        changes={k: str(v) for k, v in query.__dict__.items() if v},
    )
    paginator = CappedPaginator(
        records_search(request.user, query), PAGE_SIZE, name_capped=name_capped(request.user, query)
    )
    return form, paginator.get_page(request.GET.get("page"))


def _primary_names(records: list[Any]) -> dict[int, Any]:
    from registry.matching import PRIMARY_ROLE
    from registry.models import Party

    return {
        p.record_id: p
        for p in Party.objects.filter(
            record_id__in=[r.pk for r in records], role__in=set(PRIMARY_ROLE.values())
        )
    }


@login_required
def record_search(request: AuthenticatedRequest) -> HttpResponse:
    form, page = _search(request)
    rows = []
    if page is not None:
        names = _primary_names(list(page.object_list))
        rows = [(r, names.get(r.pk)) for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "registry/search.html",
        {
            "form": form,
            "page": page,
            "rows_html": search_rows_html(rows),
            "query": query.urlencode(),
        },
    )


@login_required
def record_search_json(request: AuthenticatedRequest) -> JsonResponse:
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
                "book_year_to": record.book.year_to or record.book.year,
                "entry_no": record.entry_no,
                "entry_label": record.entry_label,
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
            # More records match than `count` (the cap), or more people the name than the search
            # takes (`name_capped`): narrow the search to see them.
            "capped": page.paginator.capped,
            "name_capped": page.paginator.name_capped,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "results": results,
        }
    )
