"""Storing the scan of a case: one PDF, checked before it is kept."""

from __future__ import annotations

import hashlib
import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from audit.services import audit_change
from registry.models import CivilRecord, ScanFile

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PAGES = 20


def pdf_check(content: bytes) -> int:
    """Return the page count of a PDF that opens, is not encrypted and has pages; else refuse."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB. Scan the case again at a lower resolution.")
            % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if not content.startswith(b"%PDF-"):
        raise ValidationError(
            _("This is not a PDF file. Upload the scan as PDF, JPEG, PNG or TIFF."), code="not_pdf"
        )
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                _("The PDF is password-protected. Save it again without a password."), code="encrypted"
            )
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(
            _("The PDF is damaged and cannot be opened (%(detail)s). Scan it again.") % {"detail": exc},
            code="damaged",
        ) from exc
    if pages == 0:
        raise ValidationError(_("The PDF has no pages."), code="empty")
    if pages > MAX_PAGES:
        raise ValidationError(
            _(
                "A case's scan has at most %(max)d pages; this one has %(n)d. "
                "Split the book scan into cases first."
            )
            % {"max": MAX_PAGES, "n": pages},
            code="too_many_pages",
        )
    return pages


@transaction.atomic
def scan_store(*, record: CivilRecord, actor, content: bytes, original_name: str = "") -> ScanFile:
    """Keep a checked PDF as the record's current scan (older scans are kept)."""
    pages = pdf_check(content)
    digest = hashlib.sha256(content).hexdigest()
    scan = ScanFile(
        record=record,
        sha256=digest,
        size=len(content),
        pages=pages,
        original_name=original_name[-255:],
        uploaded_by=actor,
    )
    scan.file.save(f"{digest[:16]}.pdf", ContentFile(content), save=False)
    scan.save()
    audit_change(
        action="scan_upload",
        actor=actor,
        unit_id=record.unit_id,
        obj=scan,
        record_id=record.pk,
        changes={"sha256": digest, "pages": pages, "size": len(content)},
    )
    return scan
