"""Pages of the scan pipeline: viewer, page images, whole-book scans and their split, named batches.

Thin: services in `scans` decide. Every file or image goes through the scoping
selectors; nothing is served from a public media URL. Uploads are size-limited before
the body is read by the guard in front of the app (config/request_limits.py); `guarded_upload`
checks the same limits again here, for servers or clients that get past it.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from audit.actions import AuditAction
from audit.actors import AuthenticatedRequest
from audit.services import audit_access
from jobs.models import JobKind
from jobs.selectors import latest_job
from permissions.scoping import (
    can,
    get_book_for,
    get_record_for,
    records_visible_to,
    scopes_with,
)
from registry.models import (
    CivilRecord,
)
from scans import batches, book_split, intake, naming
from scans.models import BookScan, ItemStatus, ScanBatch, ScanBatchItem, ScanFile, ScanSplitJob
from scans.naming import scan_download_name
from vietnamese.input_values import id_param
from workflows.machine import TransitionRefused

# --- upload size limit at the HTTP layer -----------------------------------------------------


class UploadLimitHandler(FileUploadHandler):
    """Counts the bytes of every uploaded file as they stream in and stops the upload past `limit`.

    Used with a Content-Length check that refuses a declared oversize body before reading it;
    this catches bodies that lie about or omit their length.
    """

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            # Always set: `__init__` takes the request (the stubs type it as optional).
            request = cast(HttpRequest, self.request)
            # A flag `file_too_large` reads; HttpRequest has no such attribute in the stubs.
            request._upload_too_large = True  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_refusal(request: HttpRequest, limit: int) -> str | None:
    """A message if the request body is over `limit` (by its declared length); else arm the byte counter.

    Must run before anything reads request.POST or request.FILES (views using it are
    csrf_exempt and check CSRF themselves afterwards).
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + 64 * 1024:
        return _too_large_message(declared, limit)
    request.upload_handlers.insert(0, UploadLimitHandler(request, limit))
    return None


def _too_large_message(size: int, limit: int) -> str:
    return _(
        "The upload is %(size)d MB; at most %(mb)d MB are accepted. Nothing was stored. "
        "Scan again at 200 dpi in grayscale, or split the file."
    ) % {"size": size // (1024 * 1024), "mb": limit // (1024 * 1024)}


def _stopped(request: HttpRequest, limit: int) -> str | None:
    if getattr(request, "_upload_too_large", False):
        return _too_large_message(limit + 1, limit)
    return None


def guarded_upload(limit_fn):
    """Decorator: size check before the body is read, then the usual CSRF check."""

    def wrap(view):
        protected = csrf_protect(view)

        @csrf_exempt
        @login_required
        def inner(request: AuthenticatedRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                problem = upload_refusal(request, limit_fn())
                if problem:
                    return _refused_upload(request, problem, view, args, kwargs)
            return protected(request, *args, **kwargs)

        inner.__name__ = view.__name__
        inner.__doc__ = view.__doc__
        return inner

    return wrap


def _refused_upload(request: HttpRequest, problem: str, view, args, kwargs) -> HttpResponse:
    messages.error(request, problem)
    back = kwargs.get("pk")
    if view.__name__ == "scan_upload" and back:
        return redirect("record_detail", pk=back)
    if view.__name__ == "book_scans" and back:
        return redirect("book_scans", pk=back)
    return redirect("scan_batch_new")


def file_too_large(request: HttpRequest, limit: int) -> str | None:
    """After parsing: the message if the byte counter stopped the upload."""
    return _stopped(request, limit)


# --- case scans: viewer and page images -------------------------------------------------------


def _scan_for(request: HttpRequest, pk: int) -> tuple[ScanFile, CivilRecord]:
    scan = ScanFile.objects.filter(pk=pk).only("id", "record_id").first()
    if scan is None:
        raise Http404("No such scan.")
    record = get_record_for(request.user, scan.record_id, request=request)
    scan = ScanFile.objects.select_related("record__book").get(pk=pk)
    return scan, record


@login_required
def scan_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The scan's pages as images, with zoom and rotation."""
    scan, record = _scan_for(request, pk)
    audit_access(request=request, action="view_scan", unit_id=record.unit_id, obj=scan, record_id=record.pk)
    return render(request, "scans/scan_view.html", {"scan": scan, "record": record})
    audit_access(
        request=request, action=AuditAction.VIEW_SCAN, unit_id=record.unit_id, obj=scan, record_id=record.pk
    )
    return render(request, "registry/scan_view.html", {"scan": scan, "record": record})


def _jpeg_response(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _width(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("w", 1200))
    except (ValueError, OverflowError):
        return 1200


@login_required
def scan_page(request: AuthenticatedRequest, pk: int, number: int) -> HttpResponse:
    """One page of a case scan as a JPEG (permission-checked; the viewer's opening is what is logged)."""
    scan, _record = _scan_for(request, pk)
    if not 1 <= number <= scan.pages:
        raise Http404("No such page.")
    return _jpeg_response(
        intake.page_image_cached(
            field_file=scan.file, sha256=scan.sha256, number=number, width=_width(request)
        )
    )


# --- whole-book scans --------------------------------------------------------------------------


class BookScanForm(forms.Form):
    file = forms.FileField(label=_l("PDF of the whole book"))


@guarded_upload(intake.max_book_upload_bytes)
def book_scans(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A book's whole-book scans and their splits; upload a new one."""
    book = get_book_for(request.user, pk, request=request)
    form = BookScanForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        problem = file_too_large(request, intake.max_book_upload_bytes())
        if problem:
            form.add_error(None, problem)
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                book_scan = book_split.book_scan_upload(
                    book=book, actor=request.user, upload=upload, original_name=upload.name
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("Book scan stored: %(n)d pages. Now mark which pages belong to which case.")
                    % {"n": book_scan.pages},
                )
                if book_scan.active_content:
                    messages.warning(
                        request,
                        _("The file contained %(what)s; none of it is carried into the cases' PDFs.")
                        % {"what": ", ".join(book_scan.active_content)},
                    )
                return redirect("book_scan_split", pk=book_scan.pk)
    uploads = book.scan_uploads.select_related("uploaded_by").prefetch_related("jobs")
    return render(
        request,
        "scans/book_scans.html",
        {
            "book": book,
            "form": form,
            "uploads": uploads,
            "can_scan": can(request.user, "scan_record", book.custodian.path),
            "max_mb": intake.max_book_upload_bytes() // (1024 * 1024),
        },
    )


def _book_scan_for(request: HttpRequest, pk: int, permission: str = "view_records") -> BookScan:
    book_scan = BookScan.objects.filter(pk=pk).only("id", "book_id").first()
    if book_scan is None:
        raise Http404("No such book scan.")
    get_book_for(request.user, book_scan.book_id, permission, request=request)
    return BookScan.objects.select_related("book__custodian").get(pk=pk)


class SplitForm(forms.Form):
    ranges = forms.CharField(
        label=_l("Cases and their pages, one a line: entry number: first page-last page"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        required=False,
    )
    csv_file = forms.FileField(label=_l("…or a CSV file (entry_no,first_page,last_page)"), required=False)


@login_required
def book_scan_split(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Thumbnails of a book scan and the ranges that cut it into cases."""
    book_scan = _book_scan_for(request, pk, "scan_record")
    form = SplitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["ranges"] or ""
        upload = form.cleaned_data["csv_file"]
        if upload is not None:
            if upload.size > 1024 * 1024:
                form.add_error("csv_file", _("The CSV file is over 1 MB; a book's ranges fit in far less."))
            else:
                text = upload.read().decode("utf-8-sig", errors="replace")
        if not form.errors:
            try:
                ranges = book_split.split_ranges_parse(text, book_scan=book_scan)
                job = book_split.split_job_create(book_scan=book_scan, actor=request.user, ranges=ranges)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("ranges", message)
            else:
                return redirect("split_job_detail", pk=job.pk)
    audit_access(
        request=request, action=AuditAction.VIEW_BOOK_SCAN, unit_id=book_scan.book.custodian_id, obj=book_scan
    )
    slots = book_scan.book.records.order_by("entry_no").values_list("entry_no", flat=True)
    return render(
        request,
        "scans/book_scan_split.html",
        {
            "book_scan": book_scan,
            "book": book_scan.book,
            "form": form,
            "page_numbers": range(1, book_scan.pages + 1),
            "first_entry": next(iter(slots), 1),
        },
    )


@login_required
def book_scan_page(request: AuthenticatedRequest, pk: int, number: int) -> HttpResponse:
    book_scan = _book_scan_for(request, pk)
    if not 1 <= number <= book_scan.pages:
        raise Http404("No such page.")
    try:
        data = intake.page_image_cached(
            field_file=book_scan.file, sha256=book_scan.sha256, number=number, width=_width(request)
        )
    except ValidationError as exc:
        return HttpResponse(exc.messages[0], status=422, content_type="text/plain; charset=utf-8")
    return _jpeg_response(data)


def _job_for(request: HttpRequest, pk: int) -> ScanSplitJob:
    job = ScanSplitJob.objects.filter(pk=pk).select_related("book_scan__book__custodian").first()
    if job is None:
        raise Http404("No such job.")
    get_book_for(request.user, job.book_scan.book_id, request=request)
    return job


@login_required
def split_job_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Progress of a book split (JSON with ?format=json, for the progress bar)."""
    job = _job_for(request, pk)
    progress = book_split.split_job_progress(job)
    if request.GET.get("format") == "json":
        return JsonResponse(progress)
    items = job.items.select_related("record", "scan").order_by("id")
    return render(
        request,
        "scans/split_job.html",
        {
            "job": job,
            "progress": progress,
            "items": items,
            "book": job.book_scan.book,
            "run": latest_job(kinds=[JobKind.BOOK_SPLIT], object_id=job.pk),
        },
    )


@login_required
@require_POST
def split_job_resume_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    try:
        book_split.split_job_resume(job=job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The split goes on from where it stopped."))
    return redirect("split_job_detail", pk=pk)


# --- named batches -----------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class BatchForm(forms.Form):
    # The metaclass moves declared fields into `base_fields`, so `BaseForm.files` (the uploads) is not
    # shadowed at run time; the stubs see the class attribute only.
    files = forms.FileField(  # type: ignore[assignment]
        label=_l(
            "Files named by the rule (e.g. KS.2020.01.0005.NguyenVanAn.Nam.pdf) or book_entry (01_5.pdf)"
        ),
        widget=MultipleFileInput(attrs={"multiple": True, "accept": ".pdf,.jpg,.jpeg,.png,.tif,.tiff"}),
        required=False,
    )
    book = forms.IntegerField(required=False, widget=forms.HiddenInput)


@guarded_upload(intake.max_batch_upload_bytes)
def scan_batch_new(request: AuthenticatedRequest) -> HttpResponse:
    """Upload files named by the rule; they are matched to their cases in the background."""
    if not scopes_with(request.user, "scan_record") and not request.user.is_superuser:
        raise Http404
    form = BatchForm(request.POST or None, request.FILES or None, initial={"book": request.GET.get("book")})
    book = None
    book_id = id_param(request.POST.get("book") or request.GET.get("book"), field=_("book"))
    if book_id:
        book = get_book_for(request.user, book_id, "scan_record", request=request)
    if request.method == "POST":
        problem = file_too_large(request, intake.max_batch_upload_bytes())
        files = request.FILES.getlist("files")
        if problem:
            form.add_error(None, problem)
        elif not files:
            form.add_error("files", _("Choose the files of the batch."))
        else:
            try:
                batch = batches.batch_create(
                    actor=request.user, files=[(f.name or "", f) for f in files], book=book
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                return redirect("scan_batch_detail", pk=batch.pk)
    return render(request, "scans/scan_batch_new.html", {"form": form, "book": book})


def _batch_for(request: HttpRequest, pk: int) -> ScanBatch:
    batch = ScanBatch.objects.filter(pk=pk).select_related("unit", "book").first()
    if batch is None or not can(request.user, "scan_record", batch.unit.path):
        if batch is not None:
            audit_access(
                request=request,
                action=AuditAction.DENIED,
                unit_id=batch.unit_id,
                obj=batch,
                changes={"batch": pk},
            )
        raise Http404("No such batch.")
    return batch


@login_required
def scan_batch_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """What a batch matched, and the files a person must settle."""
    batch = _batch_for(request, pk)
    items = list(batch.items.select_related("record__book").order_by("id"))
    ids = {c for item in items for c in item.candidates}
    candidates = {
        r.pk: r
        for r in records_visible_to(request.user, "scan_record").filter(pk__in=ids).select_related("book")
    }
    for item in items:
        item.candidate_records = [candidates[c] for c in item.candidates if c in candidates]
    counts = {s: sum(1 for i in items if i.status == s) for s in ItemStatus.values}
    return render(
        request,
        "scans/scan_batch.html",
        {
            "batch": batch,
            "items": items,
            "counts": counts,
            "open_statuses": ("unmatched", "ambiguous", "refused"),
        },
    )


@login_required
@require_POST
def scan_batch_item_settle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = ScanBatchItem.objects.filter(pk=pk).select_related("batch__unit").first()
    if item is None:
        raise Http404
    _batch_for(request, item.batch_id)
    record = None
    record_id = id_param(request.POST.get("record"), field=_("record"))
    entry_no = id_param(request.POST.get("entry_no"), field=_("entry number"))
    if record_id:
        record = records_visible_to(request.user, "scan_record").filter(pk=record_id).first()
    elif request.POST.get("book_no") and entry_no:
        found = naming.scan_match_candidates(
            naming.ParsedName(entry_no=entry_no, book_no=request.POST["book_no"]),
            user=request.user,
        )
        record = found[0] if len(found) == 1 else None
    if record is None:
        messages.error(
            request, _("Choose one of the cases listed, or give a book and entry number that match one case.")
        )
        return redirect("scan_batch_detail", pk=item.batch_id)
    try:
        batches.batch_item_settle(item=item, record=record, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("“%(name)s” stored as the scan of %(record)s.")
            % {"name": item.original_name, "record": record},
        )
    return redirect("scan_batch_detail", pk=item.batch_id)


@login_required
@xframe_options_sameorigin  # the PDF may be shown in a frame of our own pages
def scan_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    scan = ScanFile.objects.filter(pk=pk).select_related("record").first()
    if scan is None:
        raise Http404
    record = get_record_for(request.user, scan.record_id, request=request)
    audit_access(
        request=request,
        action=AuditAction.DOWNLOAD_SCAN,
        unit_id=record.unit_id,
        obj=scan,
        record_id=record.pk,
    )
    scan.record = record
    return FileResponse(
        scan.file.open("rb"),
        content_type="application/pdf",
        filename=scan_download_name(scan),
        as_attachment=request.GET.get("inline") != "1",
    )


@guarded_upload(intake.max_upload_bytes)
def scan_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Upload the scan of one case (PDF, JPEG, PNG or TIFF): cleaned, compressed, then marked scanned;
    for an approved or transferred case, a late scan that goes to a scan check."""
    if request.method != "POST":
        return redirect("record_detail", pk=pk)
    record = get_record_for(request.user, pk, "scan_record", request=request)
    upload = request.FILES.get("file")
    problem = file_too_large(request, intake.max_upload_bytes())
    if problem:
        messages.error(request, problem)
        return redirect("record_detail", pk=pk)
    if upload is None:
        messages.error(request, _("Choose the file of the scan (PDF, JPEG, PNG or TIFF)."))
        return redirect("record_detail", pk=pk)
    try:
        scan = intake.case_scan_receive(
            record=record, actor=request.user, content=upload.read(), original_name=upload.name or ""
        )
    except ValidationError as exc:
        if exc.code == "same_file":
            messages.info(request, exc.messages[0])
        else:
            messages.error(request, " ".join(exc.messages))
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        for line in intake.scan_outcome_message(scan, request.user):
            messages.success(request, line)
        if scan.late_check:
            messages.success(request, _("The scan goes to a scan check by a reviewer who did not upload it."))
    return redirect("record_detail", pk=pk)
