"""Scan PDFs: check what was uploaded, rebuild it clean and small, split books, draw page images.

Pure functions on bytes and files: no database, no storage. `scans` calls them
and keeps the results.

How an upload becomes the stored PDF of a case (`scan_clean`):

1. The kind is read from the content, never from the name: PDF, JPEG, PNG or TIFF.
   Anything else is refused. A PNG named ``.pdf`` is converted as the PNG it is.
2. A PDF must be complete (ends with ``%%EOF``), open, not be encrypted, have 1 to
   ``max_pages`` pages of a sane size (each side 50–1000 mm), and pass the bomb checks:
   no image above ``MAX_IMAGE_PIXELS``, no compressed stream that inflates beyond
   ``MAX_STREAM_BYTES``. Images have the same pixel limit.
3. Every page is **rebuilt from its image** into a new PDF: one JPEG per page, nothing
   else. Whatever active content the upload had (JavaScript at document or page level,
   launch or submit actions, embedded files, forms, annotations, automatic actions) is
   therefore not carried over; it is listed in `CleanScan.removed` so the user is told.
   (pypdf's `append()` would keep page-level actions; see VIEWFLOW.md.) A page that is
   already one JPEG within budget and resolution is copied byte for byte (no second
   generation loss); any other page is rendered with PDFium.
4. The case is fitted to the size limit under the legibility rule: by default the whole case file
   (``SCAN_MAX_KB``, ``SCAN_SIZE_LIMIT_PER=case``: at most 100 KB for all its pages, `fit_case`), or
   each page on its own (``SCAN_SIZE_LIMIT_PER=page``, `fit_page`). A case that cannot fit and stay
   legible is stored at the legibility floor and flagged as over the limit (`CleanScan.over_limit`);
   a single page that cannot fit its per-page budget is refused.

THE LEGIBILITY RULE (`LegibilityRule`): a stored page keeps at least **100 dpi effective
resolution at the page's physical size** (A4: at least 827 × 1169 pixels) and is
**JPEG-encoded at quality 40 or better** (libjpeg scale, 4:2:0 chroma for colour).
Within that floor the best result is chosen: resolution is tried from 200 dpi down
(200, 150, 120, 100; never above what the original has), first looking for quality ≥ 55,
then accepting quality ≥ 40. Pages whose colour matters (a red stamp, coloured ink:
more than 0.3 % strongly saturated pixels) stay in colour; a colour page that cannot
fit in colour is stored in grayscale and the user is told. Nothing is ever stored below
100 dpi and quality 40: under the per-page rule such a page is refused with the figures; under
the per-case rule the case is stored at that floor and flagged as over the limit. An image
with no trustworthy physical size (phone photos say 72 dpi) is laid on A4.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageChops, ImageOps, ImageSequence

logger = logging.getLogger(__name__)

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
A4_INCHES = (210 / MM_PER_INCH, 297 / MM_PER_INCH)
MIN_SIDE_MM = 50
MAX_SIDE_MM = 1000
# An A3 sheet at 600 dpi is 70 MP; anything larger is not a page scan but a bomb.
MAX_IMAGE_PIXELS = 80_000_000
# A scanned page's content stream is a few hundred bytes; a born-digital one rarely 2 MB.
MAX_STREAM_BYTES = 32 * 1024 * 1024
MAX_OBJECTS = 500_000
PAGE_OVERHEAD = 1024  # page dictionary, resources and content stream of a rebuilt page
PDF_PRODUCER = "civreg scan pipeline"

# PDFium is not thread-safe: one call at a time per process.
_PDFIUM_LOCK = threading.RLock()


@dataclass(frozen=True)
class LegibilityRule:
    """The floor below which a page is refused rather than stored (see the module docstring)."""

    min_dpi: int = 100
    min_quality: int = 40
    good_quality: int = 55
    max_quality: int = 85
    dpi_steps: tuple[int, ...] = (200, 150, 120, 100)
    colour_share: float = 0.003

    def describe(self) -> str:
        return _("at least %(dpi)d dpi and JPEG quality %(q)d") % {"dpi": self.min_dpi, "q": self.min_quality}


LEGIBILITY = LegibilityRule()


@dataclass
class PageResult:
    number: int
    width_px: int
    height_px: int
    dpi: int
    quality: int | None  # None when the original JPEG was copied as is
    colour: bool
    size: int
    copied: bool = False
    note: str = ""


@dataclass
class CleanScan:
    """A rebuilt scan: the bytes to store and what was done to get them."""

    content: bytes
    pages: list[PageResult]
    kind: str
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The size rule applied: "case" (the whole file) or "page" (each page), and its limit in KB.
    limit_per: str = "page"
    limit_kb: int = 0
    # True when the case could not fit its limit and stay legible: stored at the legibility floor, flagged.
    over_limit: bool = False

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "removed": self.removed,
            "notes": self.notes,
            "limit_per": self.limit_per,
            "limit_kb": self.limit_kb,
            "over_limit": self.over_limit,
            "pages": [
                {
                    "dpi": p.dpi,
                    "quality": p.quality,
                    "colour": p.colour,
                    "bytes": p.size,
                    "copied": p.copied,
                }
                for p in self.pages
            ],
        }


def refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


# --- what kind of file ------------------------------------------------------------------


def sniff_kind(head: bytes) -> str | None:
    """The file type by its first bytes: "pdf", "jpeg", "png", "tiff" or None."""
    if head[:1024].lstrip(b"\x00\t\n\r ").startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


def _not_a_scan(head: bytes) -> ValidationError:
    return refuse(
        _(
            "This file is not a PDF, JPEG, PNG or TIFF (whatever its name says). "
            "Save the scan from the scanner program as PDF or JPEG and upload that."
        ),
        "not_a_scan",
    )


# --- opening and checking a PDF --------------------------------------------------------


def pdf_open(source: bytes | Path, *, max_pages: int) -> pikepdf.Pdf:
    """Open a PDF that is complete, not encrypted, with 1..max_pages pages of sane size; else refuse."""
    if isinstance(source, bytes):
        tail = source[-2048:]
    else:
        with open(source, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 2048))
            tail = fh.read()
    if b"%%EOF" not in tail:
        raise refuse(
            _(
                "The PDF is incomplete: it does not end as a PDF must, so the upload or the scanner's "
                "saving was interrupted. Save or scan it again and upload the whole file."
            ),
            "truncated",
        )
    try:
        pdf = pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except pikepdf.PasswordError as exc:
        raise _encrypted() from exc
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise _damaged(exc) from exc
    if pdf.is_encrypted:
        pdf.close()
        raise _encrypted()
    count = len(pdf.pages)
    if count == 0:
        pdf.close()
        raise refuse(_("The PDF has no pages. Scan the case again."), "empty")
    if count > max_pages:
        pdf.close()
        raise refuse(
            _(
                "This upload has %(n)d pages; at most %(max)d are accepted here. "
                "A whole book is uploaded on the book's page and split into cases."
            )
            % {"n": count, "max": max_pages},
            "too_many_pages",
        )
    if len(pdf.objects) > MAX_OBJECTS:
        pdf.close()
        raise refuse(_("The PDF is far too complex for a scan. Scan it again."), "too_complex")
    return pdf


def _damaged(exc: Exception) -> ValidationError:
    """A damaged PDF, said plainly: the reader's own message names objects and offsets in its
    memory (`stream <_io.BytesIO object at 0x…>`), which mean nothing to the person uploading. It is
    logged for whoever investigates."""
    logger.info("damaged PDF refused: %s", exc)
    return refuse(
        _(
            "The PDF is damaged: its internal structure cannot be read, so the file was cut short or "
            "broken when it was saved or copied. Scan it again, or save it again from the scanner "
            "software, and upload the new file."
        ),
        "damaged",
    )


def _encrypted() -> ValidationError:
    return refuse(
        _(
            "The PDF is encrypted (password-protected or restricted). Open it, print it to a new PDF "
            "or save it without a password, and upload that."
        ),
        "encrypted",
    )


def page_size_inches(page: pikepdf.Page, number: int) -> tuple[float, float]:
    """The page's visible size in inches, rotation applied; refuse absurd sizes."""
    try:
        box = [float(v) for v in page.cropbox]
        rotate = int(page.obj.get("/Rotate", 0)) % 360
    except (TypeError, ValueError, pikepdf.PdfError) as exc:
        raise refuse(
            _("Page %(n)d has no readable size. Scan it again.") % {"n": number}, "bad_page_size"
        ) from exc
    width, height = abs(box[2] - box[0]) / PT_PER_INCH, abs(box[3] - box[1]) / PT_PER_INCH
    if rotate in (90, 270):
        width, height = height, width
    for side in (width, height):
        if not MIN_SIDE_MM <= side * MM_PER_INCH <= MAX_SIDE_MM:
            raise refuse(
                _(
                    "Page %(n)d measures %(w).0f × %(h).0f mm, which is not the size of a scanned page "
                    "(each side must be %(min)d–%(max)d mm). Check the scanner's page size setting."
                )
                % {
                    "n": number,
                    "w": width * MM_PER_INCH,
                    "h": height * MM_PER_INCH,
                    "min": MIN_SIDE_MM,
                    "max": MAX_SIDE_MM,
                },
                "bad_page_size",
            )
    return width, height


def _filters(stream: pikepdf.Object) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(v) for v in value]
    return [str(value)]


def _bomb(number: int) -> ValidationError:
    return refuse(
        _(
            "Page %(n)d holds data that would expand to an enormous size (a “decompression bomb” "
            "or a corrupt image). The file was not processed. Scan the page again."
        )
        % {"n": number},
        "bomb",
    )


def _check_stream(stream: pikepdf.Object, number: int, cap: int) -> None:
    """Refuse a stream whose Flate data inflates beyond `cap` bytes (checked without inflating it all)."""
    filters = _filters(stream)
    if not filters or filters[0] not in ("/FlateDecode", "/Fl"):
        return
    try:
        raw = stream.read_raw_bytes()
    except pikepdf.PdfError as exc:
        raise refuse(
            _("Page %(n)d is damaged (%(detail)s). Scan it again.") % {"n": number, "detail": exc},
            "damaged",
        ) from exc
    inflater = zlib.decompressobj()
    produced = 0
    try:
        for start in range(0, len(raw), 65536):
            produced += len(inflater.decompress(raw[start : start + 65536], cap + 1 - produced))
            while inflater.unconsumed_tail and produced <= cap:
                produced += len(inflater.decompress(inflater.unconsumed_tail, cap + 1 - produced))
            if produced > cap:
                raise _bomb(number)
    except zlib.error:
        return  # broken Flate data: PDFium will draw what it can, the page is checked by eye


def _check_image(image: pikepdf.Object, number: int) -> None:
    try:
        width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
    except (TypeError, ValueError):
        width = height = 0
    if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
        raise _bomb(number)
    if "/DCTDecode" in _filters(image):
        try:
            with Image.open(io.BytesIO(image.read_raw_bytes())) as jpeg:
                if jpeg.width * jpeg.height > MAX_IMAGE_PIXELS:
                    raise _bomb(number)
        except (OSError, Image.DecompressionBombError, pikepdf.PdfError):
            raise _bomb(number) from None
    bpc = int(image.get("/BitsPerComponent", 8) or 8)
    _check_stream(image, number, width * height * 4 * max(bpc, 8) // 8 + 65536)


def page_check(page: pikepdf.Page, number: int) -> None:
    """Bomb checks on what drawing `page` would decode: its content streams and every image it uses."""
    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents else []
    for stream in streams:
        if isinstance(stream, pikepdf.Stream):
            _check_stream(stream, number, MAX_STREAM_BYTES)
    seen: set[tuple[int, int]] = set()

    def walk(resources: Any, depth: int) -> None:
        if depth > 8 or not isinstance(resources, pikepdf.Dictionary):
            return
        xobjects = resources.get("/XObject")
        if not isinstance(xobjects, pikepdf.Dictionary):
            return
        for _name, xobj in xobjects.items():
            if not isinstance(xobj, pikepdf.Stream):
                continue
            if xobj.is_indirect:
                if xobj.objgen in seen:
                    continue
                seen.add(xobj.objgen)
            subtype = xobj.get("/Subtype")
            if subtype == pikepdf.Name.Image:
                _check_image(xobj, number)
                smask = xobj.get("/SMask")
                if isinstance(smask, pikepdf.Stream):
                    _check_image(smask, number)
            elif subtype == pikepdf.Name.Form:
                _check_stream(xobj, number, MAX_STREAM_BYTES)
                walk(xobj.get("/Resources"), depth + 1)

    walk(page.obj.get("/Resources"), 0)


# --- active content ---------------------------------------------------------------------

ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "launch action",
    "/SubmitForm": "form submission",
    "/ImportData": "data import",
    "/GoToR": "link to another file",
    "/GoToE": "link to an embedded file",
    "/URI": "web link",
    "/Rendition": "media",
    "/RichMediaExecute": "media",
    "/Hide": "script action",
}


def active_content(pdf: pikepdf.Pdf) -> list[str]:
    """Names of the kinds of active content found anywhere in the file (none of it is carried over)."""
    found: set[str] = set()
    root = pdf.Root
    if "/OpenAction" in root or "/AA" in root:
        found.add("automatic action on opening")
    if "/AcroForm" in root:
        found.add("form")
        if "/XFA" in root.get("/AcroForm", {}):
            found.add("XFA form")
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names:
            found.add("JavaScript")
        if "/EmbeddedFiles" in names:
            found.add("embedded file")
    for page in pdf.pages:
        if "/AA" in page.obj:
            found.add("automatic page action")
        if "/Annots" in page.obj:
            found.add("annotations")
    for obj in pdf.objects:
        _scan_object(obj, found, 0)
    return sorted(found)


def _scan_object(obj: Any, found: set[str], depth: int) -> None:
    if depth > 12:
        return
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        keys = obj.keys()
        if "/JS" in keys:
            found.add("JavaScript")
        action = obj.get("/S") if "/S" in keys else None
        if isinstance(action, pikepdf.Name) and str(action) in ACTIVE_ACTIONS:
            found.add(ACTIVE_ACTIONS[str(action)])
        kind = obj.get("/Type") if "/Type" in keys else None
        if kind in (pikepdf.Name.EmbeddedFile, pikepdf.Name.Filespec) or "/EF" in keys:
            found.add("embedded file")
        for key in keys:
            if key in ("/Parent", "/P"):
                continue
            value = obj.get(key)
            if isinstance(value, pikepdf.Object) and not value.is_indirect:
                _scan_object(value, found, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for value in obj:
            if isinstance(value, pikepdf.Object) and not value.is_indirect:
                _scan_object(value, found, depth + 1)


# --- pages as images --------------------------------------------------------------------


def _xobjects(page: pikepdf.Page) -> pikepdf.Object | None:
    """The page's /Resources /XObject entry, or None when the page has no resources or no XObjects."""
    resources = page.obj.get("/Resources")
    return resources.get("/XObject") if resources is not None else None


def _single_jpeg(page: pikepdf.Page) -> pikepdf.Stream | None:
    """The page's only image when the page is exactly one baseline gray/RGB JPEG drawn over it."""
    if int(page.obj.get("/Rotate", 0)) % 360 or "/Annots" in page.obj:
        return None
    xobjects = _xobjects(page)
    if not isinstance(xobjects, pikepdf.Dictionary) or len(xobjects.keys()) != 1:
        return None
    image = next(iter(xobjects.values()))
    if not isinstance(image, pikepdf.Stream) or image.get("/Subtype") != pikepdf.Name.Image:
        return None
    if _filters(image) != ["/DCTDecode"] or any(k in image for k in ("/SMask", "/Mask", "/Decode")):
        return None
    if int(image.get("/BitsPerComponent", 0)) != 8 or image.get("/ImageMask", False):
        return None
    space = image.get("/ColorSpace")
    if space not in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB):
        return None
    return image if _draws_one_image(page) else None


def _draws_one_image(page: pikepdf.Page) -> bool:
    """Is the page's content only "place one image" (as every scanner writes it)?"""
    try:
        operators = [str(instruction.operator) for instruction in pikepdf.parse_content_stream(page)]
    except pikepdf.PdfError:
        return False
    return set(operators) <= {"q", "Q", "cm", "Do"} and operators.count("Do") == 1


def _draws_one_grey_image(page: pikepdf.Page) -> bool:
    """Is the page only one grayscale image (and no annotations), so that drawing it shows no colour?"""
    if "/Annots" in page.obj:
        return False
    xobjects = _xobjects(page)
    if not isinstance(xobjects, pikepdf.Dictionary) or len(xobjects.keys()) != 1:
        return False
    image = next(iter(xobjects.values()))
    return (
        isinstance(image, pikepdf.Stream)
        and image.get("/Subtype") == pikepdf.Name.Image
        and image.get("/ColorSpace") == pikepdf.Name.DeviceGray
        and _draws_one_image(page)
    )


def _needs_colour(image: Image.Image, rule: LegibilityRule) -> bool:
    if image.mode not in ("RGB", "RGBA", "CMYK", "P"):
        return False
    thumb = image.convert("RGB")
    thumb.thumbnail((300, 300))
    hsv = thumb.convert("HSV")
    _h, saturation, value = hsv.split()
    strong = ImageChops.multiply(
        saturation.point(lambda s: 255 if s > 80 else 0), value.point(lambda v: 255 if v > 60 else 0)
    )
    count = strong.histogram()[255]
    return count >= rule.colour_share * thumb.width * thumb.height


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    options: dict[str, Any] = {"quality": quality, "optimize": True, "progressive": True}
    if image.mode == "RGB":
        options["subsampling"] = 2  # 4:2:0
    image.save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def _best_quality(image: Image.Image, low: int, high: int, budget: int) -> tuple[int, bytes] | None:
    """The highest quality in [low, high] (steps of 5) whose JPEG fits `budget`, by bisection."""
    steps = list(range(low, high + 1, 5))
    best: tuple[int, bytes] | None = None
    lo, hi = 0, len(steps) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        data = _jpeg(image, steps[mid])
        if len(data) <= budget:
            best = (steps[mid], data)
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def fit_page(
    image: Image.Image,
    *,
    size_in: tuple[float, float],
    budget: int,
    number: int,
    rule: LegibilityRule = LEGIBILITY,
) -> tuple[bytes, PageResult]:
    """Encode one page image within `budget` bytes under the legibility rule, or refuse saying why."""
    native_dpi = min(image.width / size_in[0], image.height / size_in[1])
    if native_dpi < rule.min_dpi - 1:
        raise low_resolution(number, native_dpi, rule)
    colour = _needs_colour(image, rule)
    candidates = sorted({min(d, int(native_dpi)) for d in rule.dpi_steps if d >= rule.min_dpi}, reverse=True)
    modes = ["RGB", "L"] if colour else ["L"]
    smallest = None
    for mode in modes:
        base = image.convert(mode)
        resized: dict[int, Image.Image] = {}
        for floor in (rule.good_quality, rule.min_quality):
            for dpi in candidates:
                if dpi not in resized:
                    target = (max(1, round(size_in[0] * dpi)), max(1, round(size_in[1] * dpi)))
                    resized[dpi] = (
                        base if target == base.size else base.resize(target, Image.Resampling.LANCZOS)
                    )
                found = _best_quality(resized[dpi], floor, rule.max_quality, budget)
                if found:
                    quality, data = found
                    width, height = resized[dpi].size
                    note = ""
                    if colour and mode == "L":
                        note = _("page %(n)d stored in grayscale to fit the size limit") % {"n": number}
                    return data, PageResult(
                        number, width, height, dpi, quality, mode == "RGB", len(data), note=note
                    )
        floor_image = resized[candidates[-1]]
        size = len(_jpeg(floor_image, rule.min_quality))
        smallest = size if smallest is None else min(smallest, size)
    raise refuse(
        _(
            "Page %(n)d cannot be brought to %(kb)d KB and stay legible: even at %(dpi)d dpi and JPEG "
            "quality %(q)d it takes %(size)d KB (the page is very detailed or noisy). Scan it again in "
            "grayscale at 150–200 dpi with the scanner's background removal or despeckle on."
        )
        % {
            "n": number,
            "kb": budget // 1024 + 1,
            "dpi": candidates[-1],
            "q": rule.min_quality,
            "size": (smallest or 0) // 1024 + 1,
        },
        "illegible_at_limit",
    )


def fit_case(
    pages: list[PageSource], *, budget: int, rule: LegibilityRule = LEGIBILITY, small_source: bool = False
) -> tuple[list[tuple[bytes, tuple[float, float], PageResult]], bool]:
    """Encode a case's pages so that together they take at most `budget` bytes, under the legibility rule.

    Pages that are already small enough together are copied as they are. Otherwise every page is
    encoded with the same settings, compressed progressively until the whole fits: resolution from
    200 dpi down to the floor, first at JPEG quality 55 or better, then 40 or better, in colour where
    a page needs it, then all in grayscale. Returns the pages and False; or, when even the floor
    (grayscale, the lowest allowed resolution, quality 40) takes more than `budget`, the pages at that
    floor and True: over the limit, never less legible than the rule allows.

    The search costs the web process most of an upload's CPU, so it does no work whose answer is
    already known: a page is resized and encoded only when a try needs it, and each encoding is kept;
    a try stops at the first page that takes the whole over `budget`; once a try has failed, the floor
    is tried, and a case that does not fit even there is stored at the floor without trying the
    settings in between (a smaller resolution, a lower quality or grayscale never makes a JPEG
    larger); the second pass (quality 40 or better) only tries the qualities below the one the first
    pass found too large at the same resolution. `small_source` (the upload itself is within `budget`)
    only changes the order of the first try: its top quality first, as it will most likely fit.
    """
    if (
        all(page.copy is not None for page in pages)
        and sum(len(p.copy[0]) for p in pages if p.copy) <= budget
    ):
        return [(p.copy[0], p.size_in, p.copy[1]) for p in pages if p.copy is not None], False
    images = [page.drawn() for page in pages]
    ladders = []
    for page, image in zip(pages, images, strict=True):
        native = min(image.width / page.size_in[0], image.height / page.size_in[1])
        if native < rule.min_dpi - 1:
            raise low_resolution(page.number, native, rule)
        ladders.append(
            sorted({min(d, int(native)) for d in rule.dpi_steps if d >= rule.min_dpi}, reverse=True)
        )
    colours = [_needs_colour(image, rule) for image in images]
    resized: dict[tuple[int, str, int], Image.Image] = {}
    encoded: dict[tuple[int, str, int, int], bytes] = {}

    def dpi_of(index: int, step: int) -> int:
        ladder = ladders[index]
        return ladder[min(step, len(ladder) - 1)]

    def at(index: int, mode: str, step: int) -> Image.Image:
        dpi = dpi_of(index, step)
        key = (index, mode, dpi)
        if key not in resized:
            base = images[index] if images[index].mode == mode else images[index].convert(mode)
            size_in = pages[index].size_in
            target = (max(1, round(size_in[0] * dpi)), max(1, round(size_in[1] * dpi)))
            resized[key] = base if target == base.size else base.resize(target, Image.Resampling.LANCZOS)
        return resized[key]

    def encode_one(index: int, mode: str, step: int, quality: int) -> bytes:
        key = (index, mode, dpi_of(index, step), quality)
        if key not in encoded:
            encoded[key] = _jpeg(at(index, mode, step), quality)
        return encoded[key]

    def within(modes: list[str], step: int, quality: int) -> list[bytes] | None:
        """The pages at these settings if together they fit `budget`; None from the first page that
        takes the total over it (the pages after it are not encoded)."""
        datas, total = [], 0
        for index, mode in enumerate(modes):
            data = encode_one(index, mode, step, quality)
            total += len(data)
            if total > budget:
                return None
            datas.append(data)
        return datas

    natural = ["RGB" if colour else "L" for colour in colours]
    grey = ["L"] * len(pages)
    steps = max(len(ladder) for ladder in ladders)

    def search() -> tuple[list[str], int, int, list[bytes]] | None:
        floor_checked = False
        too_large: dict[tuple[int, tuple[str, ...]], int] = {}  # a quality found too large at (step, modes)
        for modes in [natural, grey] if natural != grey else [natural]:
            for floor in (rule.good_quality, rule.min_quality):
                for step in range(steps):
                    ceiling = too_large.get((step, tuple(modes)), rule.max_quality + 5) - 5
                    qualities = list(range(floor, min(rule.max_quality, ceiling) + 1, 5))
                    if not qualities:
                        continue
                    found, failed = _best_common_quality(
                        lambda q, m=modes, s=step: within(m, s, q),
                        qualities,
                        budget,
                        top_first=small_source and not too_large and not floor_checked,
                    )
                    if found:
                        return modes, step, found[0], found[1]
                    if failed is not None:
                        too_large[(step, tuple(modes))] = failed
                    if not floor_checked:
                        floor_checked = True
                        if within(grey, steps - 1, rule.min_quality) is None:
                            return None
        return None

    fitted = search()
    if fitted is not None:
        modes, step, quality, datas = fitted
        return _case_results(pages, modes, datas, quality, colours, at, step), False
    floor_datas = [encode_one(index, "L", steps - 1, rule.min_quality) for index in range(len(pages))]
    return _case_results(pages, grey, floor_datas, rule.min_quality, colours, at, steps - 1), True


def _best_common_quality(
    within: Any, qualities: list[int], budget: int, *, top_first: bool = False
) -> tuple[tuple[int, list[bytes]] | None, int | None]:
    """The highest of `qualities` at which all pages together fit `budget` (`within` gives them, or
    None), by bisection, or None; and the lowest quality tried that did not fit (None if none).
    The top quality is tried first when `top_first`, or next when the lowest takes at most half the
    budget (a small page then fits at once, without the steps in between)."""
    failed = None
    if top_first and len(qualities) > 1:
        top = within(qualities[-1])
        if top is not None:
            return (qualities[-1], top), None
        failed, qualities = qualities[-1], qualities[:-1]
    lowest = within(qualities[0])
    if lowest is None:
        return None, qualities[0]
    best = (qualities[0], lowest)
    lo, hi = 1, len(qualities) - 1
    top_next = sum(map(len, lowest)) * 2 <= budget
    while lo <= hi:
        mid = hi if top_next else (lo + hi) // 2
        top_next = False
        datas = within(qualities[mid])
        if datas is not None:
            best, lo = (qualities[mid], datas), mid + 1
        else:
            failed, hi = qualities[mid], mid - 1
    return best, failed


def _case_results(
    pages: list[PageSource],
    modes: list[str],
    datas: list[bytes],
    quality: int,
    colours: list[bool],
    at: Any,
    step: int,
) -> list[tuple[bytes, tuple[float, float], PageResult]]:
    results = []
    for index, (page, mode, data) in enumerate(zip(pages, modes, datas, strict=True)):
        image = at(index, mode, step)
        dpi = round(image.width / page.size_in[0])
        note = ""
        if colours[index] and mode == "L":
            note = _("page %(n)d stored in grayscale to fit the size limit") % {"n": page.number}
        result = PageResult(
            page.number, image.width, image.height, dpi, quality, mode == "RGB", len(data), note=note
        )
        results.append((data, page.size_in, result))
    return results


def low_resolution(number: int, dpi: float, rule: LegibilityRule) -> ValidationError:
    return refuse(
        _(
            "Page %(n)d has only %(dpi).0f dpi, too little to read handwriting "
            "(at least %(min)d dpi are needed). Scan it again at 150–300 dpi."
        )
        % {"n": number, "dpi": dpi, "min": rule.min_dpi},
        "low_resolution",
    )


def _render(document: pdfium.PdfDocument, index: int, dpi: float) -> Image.Image:
    with _PDFIUM_LOCK:
        page = document[index]
        try:
            bitmap = page.render(scale=dpi / PT_PER_INCH, may_draw_forms=False)
            image = bitmap.to_pil()
            image.load()
            # PDFium's BGR order is converted by PIL into its own copy; any other format may share the
            # bitmap's memory, freed with the page: copy it then.
            return image if str(bitmap.mode).startswith("BGR") else image.copy()
        finally:
            page.close()


def _pdfium_open(source: bytes | Path) -> pdfium.PdfDocument:
    with _PDFIUM_LOCK:
        try:
            return pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
        except pdfium.PdfiumError as exc:
            raise refuse(
                _("The PDF is damaged and cannot be drawn (%(detail)s). Scan it again.") % {"detail": exc},
                "damaged",
            ) from exc


@dataclass
class PageSource:
    """One page on its way into a case file: its size, and either its own JPEG (copyable as is) or
    its drawn image."""

    number: int
    size_in: tuple[float, float]
    copy: tuple[bytes, PageResult] | None = None
    image: Image.Image | None = None

    def drawn(self) -> Image.Image:
        """The page as an image (the copyable JPEG decoded when it must be encoded again)."""
        if self.image is None:
            assert self.copy is not None
            with Image.open(io.BytesIO(self.copy[0])) as jpeg:
                self.image = jpeg.convert(jpeg.mode)
        return self.image


def pdf_page_sources(
    source: bytes | Path,
    pdf: pikepdf.Pdf,
    numbers: Iterable[int],
    *,
    rule: LegibilityRule,
    copy_budget: int | None,
) -> Iterator[PageSource]:
    """For each 1-based page number, after the checks: the page's own JPEG when it is one within
    `copy_budget` bytes (any size when None) and resolution, else the page drawn by PDFium."""
    document = None
    try:
        for number in numbers:
            page = pdf.pages[number - 1]
            size_in = page_size_inches(page, number)
            page_check(page, number)
            image_obj = _single_jpeg(page)
            if image_obj is not None:
                raw = bytes(image_obj.read_raw_bytes())
                width, height = int(image_obj.Width), int(image_obj.Height)
                dpi = min(width / size_in[0], height / size_in[1])
                if (copy_budget is None or len(raw) <= copy_budget) and dpi >= rule.min_dpi - 1:
                    try:
                        with Image.open(io.BytesIO(raw)) as check:
                            valid = check.size == (width, height) and check.mode in ("L", "RGB")
                    except OSError:
                        valid = False
                    if valid:
                        colour = image_obj.ColorSpace == pikepdf.Name.DeviceRGB
                        result = PageResult(
                            number, width, height, int(dpi), None, colour, len(raw), copied=True
                        )
                        yield PageSource(number, size_in, copy=(raw, result))
                        continue
            if document is None:
                document = _pdfium_open(source)
            render_dpi: float = max(rule.dpi_steps)
            native = _native_dpi(page, size_in)
            if native and native < rule.min_dpi - 1:
                raise low_resolution(number, native, rule)
            if native:
                render_dpi = min(render_dpi, max(native, rule.min_dpi))
            image = _render(document, number - 1, render_dpi)
            if image.mode != "L" and _draws_one_grey_image(page):
                # Drawn in RGB with three equal channels: the same pixels in one (the conversion is
                # exact), and no colour to look for on it.
                image = image.convert("L")
            yield PageSource(number, size_in, image=image)
    finally:
        if document is not None:
            with _PDFIUM_LOCK:
                document.close()


def pdf_page_images(
    source: bytes | Path,
    pdf: pikepdf.Pdf,
    numbers: Iterable[int],
    *,
    budget: int,
    rule: LegibilityRule,
) -> Iterator[tuple[bytes, tuple[float, float], PageResult]]:
    """For each 1-based page number: its JPEG within `budget` bytes, size in inches and what was done."""
    for page in pdf_page_sources(source, pdf, numbers, rule=rule, copy_budget=budget):
        if page.copy is not None:
            yield page.copy[0], page.size_in, page.copy[1]
        else:
            data, result = fit_page(
                page.drawn(), size_in=page.size_in, budget=budget, number=page.number, rule=rule
            )
            yield data, page.size_in, result


def _native_dpi(page: pikepdf.Page, size_in: tuple[float, float]) -> float | None:
    """The resolution of the page's image, if the page is one image (a scan); None for other pages."""
    xobjects = _xobjects(page)
    best = None
    if isinstance(xobjects, pikepdf.Dictionary) and len(xobjects.keys()) == 1 and _draws_one_image(page):
        for xobj in xobjects.values():
            if isinstance(xobj, pikepdf.Stream) and xobj.get("/Subtype") == pikepdf.Name.Image:
                dpi = min(int(xobj.get("/Width", 0)) / size_in[0], int(xobj.get("/Height", 0)) / size_in[1])
                best = dpi if best is None else max(best, dpi)
    return best


def _image_size_in(image: Image.Image) -> tuple[float, float]:
    """Physical size from the image's dpi if plausible, else laid on A4 in the image's orientation."""
    dpi = image.info.get("dpi")
    if dpi:
        try:
            x, y = float(dpi[0]), float(dpi[1])
        except (TypeError, ValueError, IndexError):
            x = y = 0
        if 100 <= x <= 1200 and 100 <= y <= 1200:
            size = (image.width / x, image.height / y)
            if all(MIN_SIDE_MM <= s * MM_PER_INCH <= 600 for s in size):
                return size
    short, long = A4_INCHES
    if image.width > image.height:
        short, long = long, short
    # Fit inside A4 keeping the aspect ratio.
    scale = min(short / image.width, long / image.height)
    return image.width * scale, image.height * scale


def image_pages(
    content: bytes, kind: str, *, max_pages: int, budget: int, rule: LegibilityRule
) -> Iterator[tuple[bytes, tuple[float, float], PageResult]]:
    """The pages of a JPEG, PNG or (multi-page) TIFF, each fitted to the budget."""
    for page in image_page_sources(content, max_pages=max_pages):
        data, result = fit_page(
            page.drawn(), size_in=page.size_in, budget=budget, number=page.number, rule=rule
        )
        yield data, page.size_in, result


def image_page_sources(content: bytes, *, max_pages: int) -> Iterator[PageSource]:
    """The pages of a JPEG, PNG or (multi-page) TIFF as images with their physical size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(content))
    except (OSError, Image.DecompressionBombError) as exc:
        raise refuse(
            _("The image is damaged and cannot be opened (%(detail)s). Scan it again.") % {"detail": exc},
            "damaged",
        ) from exc
    with opened:
        frames = getattr(opened, "n_frames", 1)
        if frames > max_pages:
            raise refuse(
                _("This image file has %(n)d pages; at most %(max)d are accepted here.")
                % {"n": frames, "max": max_pages},
                "too_many_pages",
            )
        for number, frame in enumerate(ImageSequence.Iterator(opened), start=1):
            if frame.width * frame.height > MAX_IMAGE_PIXELS:
                raise _bomb(number)
            try:
                frame.load()
                image = ImageOps.exif_transpose(frame) or frame
                size_in = _image_size_in(frame)
                if image.size != frame.size:
                    size_in = (size_in[1], size_in[0])
                if image.mode not in ("L", "RGB"):
                    image = image.convert(
                        "RGB" if image.mode in ("RGBA", "P", "CMYK", "LA", "YCbCr") else "L"
                    )
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                raise refuse(
                    _("Page %(n)d of the image is damaged (%(detail)s). Scan it again.")
                    % {"n": number, "detail": exc},
                    "damaged",
                ) from exc
            # A frame of a multi-page file is reused for the next one: keep a copy.
            yield PageSource(number, size_in, image=image.copy() if image is frame else image)


# --- building the clean PDF ------------------------------------------------------------


def build_pdf(pages: Iterable[tuple[bytes, tuple[float, float], PageResult]]) -> bytes:
    """A new PDF with one JPEG per page at the given physical size, and nothing else."""
    out = pikepdf.new()
    for data, (width_in, height_in), result in pages:
        image = out.make_stream(
            data,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=result.width_px,
            Height=result.height_px,
            ColorSpace=pikepdf.Name.DeviceRGB if result.colour else pikepdf.Name.DeviceGray,
            BitsPerComponent=8,
            Filter=pikepdf.Name.DCTDecode,
        )
        width_pt, height_pt = round(width_in * PT_PER_INCH, 2), round(height_in * PT_PER_INCH, 2)
        content = out.make_stream(f"q {width_pt} 0 0 {height_pt} 0 0 cm /Im0 Do Q".encode())
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, width_pt, height_pt],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
            Contents=content,
        )
        out.pages.append(pikepdf.Page(page))
    out.docinfo["/Producer"] = PDF_PRODUCER
    buffer = io.BytesIO()
    out.save(
        buffer,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        deterministic_id=True,
    )
    return buffer.getvalue()


PER_CASE, PER_PAGE = "case", "page"


def scan_clean(
    content: bytes,
    *,
    max_pages: int,
    budget_kb: int,
    limit_per: str = PER_PAGE,
    rule: LegibilityRule = LEGIBILITY,
    name: str = "",
) -> CleanScan:
    """Check an upload and rebuild it as a clean PDF of at most `budget_kb` per page (`limit_per="page"`)
    or for the whole case file (`"case"`); see `fit_case` for what a case over its limit becomes.

    Refuses (ValidationError with a message saying what to do): an unknown file type,
    an incomplete, damaged, encrypted or empty PDF, too many pages, absurd page sizes,
    decompression bombs, pages below the legibility rule's resolution, and (per page) any page
    that cannot fit the budget under the legibility rule.
    """
    kind = sniff_kind(content[:2048])
    notes: list[str] = []
    if kind is None:
        raise _not_a_scan(content[:16])
    declared = Path(name).suffix.lower().lstrip(".")
    if declared and declared != kind and (declared, kind) not in {("jpg", "jpeg"), ("tif", "tiff")}:
        notes.append(
            _("The file is named .%(declared)s but is a %(kind)s; it was read as %(kind)s.")
            % {"declared": declared, "kind": kind.upper()}
        )
    removed: list[str] = []
    if kind == "pdf":
        pdf = pdf_open(content, max_pages=max_pages)
        try:
            removed = active_content(pdf)
            clean = _clean_pages(
                content, pdf, range(1, len(pdf.pages) + 1), budget_kb, limit_per, rule, size=len(content)
            )
        except pikepdf.PdfError as exc:
            raise _damaged(exc) from exc
        finally:
            pdf.close()
    elif limit_per == PER_CASE:
        sources = list(image_page_sources(content, max_pages=max_pages))
        budget = _case_budget(budget_kb, len(sources))
        pages, over = fit_case(sources, budget=budget, rule=rule, small_source=len(content) <= budget)
        clean = _clean_of(pages, budget_kb, limit_per, over)
    else:
        pages = list(
            image_pages(
                content, kind, max_pages=max_pages, budget=budget_kb * 1024 - PAGE_OVERHEAD, rule=rule
            )
        )
        clean = _clean_of(pages, budget_kb, limit_per, False)
    clean.kind, clean.removed = kind, removed
    clean.notes = notes + clean.notes
    return clean


def _case_budget(budget_kb: int, pages: int) -> int:
    """Bytes left for the page images of a case file of `budget_kb` (each page and the file cost some)."""
    return budget_kb * 1024 - PAGE_OVERHEAD * (pages + 1)


def _clean_pages(
    source: bytes | Path,
    pdf: pikepdf.Pdf,
    numbers: Iterable[int],
    budget_kb: int,
    limit_per: str,
    rule: LegibilityRule,
    *,
    size: int | None = None,
) -> CleanScan:
    """The pages rebuilt under the size rule; `size`: the upload's size when known (see `fit_case`)."""
    if limit_per == PER_CASE:
        sources = list(pdf_page_sources(source, pdf, numbers, rule=rule, copy_budget=None))
        budget = _case_budget(budget_kb, len(sources))
        small = size is not None and size <= budget
        pages, over = fit_case(sources, budget=budget, rule=rule, small_source=small)
        return _clean_of(pages, budget_kb, limit_per, over)
    pages = list(pdf_page_images(source, pdf, numbers, budget=budget_kb * 1024 - PAGE_OVERHEAD, rule=rule))
    return _clean_of(pages, budget_kb, limit_per, False)


def _clean_of(
    pages: list[tuple[bytes, tuple[float, float], PageResult]], budget_kb: int, limit_per: str, over: bool
) -> CleanScan:
    return CleanScan(
        content=build_pdf(pages),
        pages=[p[2] for p in pages],
        kind="pdf",
        notes=[result.note for _data, _size, result in pages if result.note],
        limit_per=limit_per,
        limit_kb=budget_kb,
        over_limit=over,
    )


def pdf_extract_clean(
    source: Path,
    page_numbers: list[int],
    *,
    budget_kb: int,
    max_pages: int,
    limit_per: str = PER_PAGE,
    rule: LegibilityRule = LEGIBILITY,
) -> CleanScan:
    """Rebuild the given pages of a (book) PDF on disk as one clean PDF; refuse as `scan_clean` does."""
    pdf = pdf_open(source, max_pages=max_pages)
    try:
        for number in page_numbers:
            if not 1 <= number <= len(pdf.pages):
                raise refuse(
                    _("The book scan has %(n)d pages; page %(p)d does not exist.")
                    % {"n": len(pdf.pages), "p": number},
                    "no_such_page",
                )
        return _clean_pages(source, pdf, page_numbers, budget_kb, limit_per, rule)
    except pikepdf.PdfError as exc:
        raise _damaged(exc) from exc
    finally:
        pdf.close()


def pdf_summary(source: Path, *, max_pages: int) -> tuple[int, list[str]]:
    """Page count and active content of a (book) PDF, after the open and bomb checks of every page;
    refuse as `pdf_open` and `page_check` do (so a bomb is refused at upload, not when it is split)."""
    pdf = pdf_open(source, max_pages=max_pages)
    try:
        for number, page in enumerate(pdf.pages, start=1):
            page_size_inches(page, number)
            page_check(page, number)
        return len(pdf.pages), active_content(pdf)
    except pikepdf.PdfError as exc:
        raise _damaged(exc) from exc
    finally:
        pdf.close()


def upload_check(content: bytes, *, max_pages: int) -> None:
    """The checks an upload passes before it is even kept for later processing: a PDF opens and no
    page is a decompression bomb; an image is not larger than `MAX_IMAGE_PIXELS` per page.
    Refuses as `scan_clean` would; other kinds are left to it."""
    kind = sniff_kind(content[:2048])
    if kind == "pdf":
        pdf = pdf_open(content, max_pages=max_pages)
        try:
            for number, page in enumerate(pdf.pages, start=1):
                page_size_inches(page, number)
                page_check(page, number)
        except pikepdf.PdfError as exc:
            raise _damaged(exc) from exc
        finally:
            pdf.close()
    elif kind is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content)) as opened:
                    for number, frame in enumerate(ImageSequence.Iterator(opened), start=1):
                        if number > max_pages:
                            break
                        if frame.width * frame.height > MAX_IMAGE_PIXELS:
                            raise _bomb(number)
        except (OSError, Image.DecompressionBombError) as exc:
            raise _bomb(1) from exc


# --- page images for the viewer ---------------------------------------------------------


def page_image(source: bytes | Path, number: int, *, width: int) -> bytes:
    """Page `number` (1-based) as a JPEG about `width` pixels wide, for the viewer and thumbnails.

    A page that is one JPEG (every stored scan) is decoded at reduced size directly from
    its bytes; other pages are drawn by PDFium.
    """
    width = max(64, min(width, 3000))
    with pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source) as pdf:
        if not 1 <= number <= len(pdf.pages):
            raise refuse(_("There is no page %(n)d.") % {"n": number}, "no_such_page")
        page = pdf.pages[number - 1]
        size_in = page_size_inches(page, number)
        image_obj = _single_jpeg(page)
        if image_obj is not None:
            raw = bytes(image_obj.read_raw_bytes())
            if width >= int(image_obj.Width):
                return raw
            with Image.open(io.BytesIO(raw)) as jpeg:
                jpeg.draft(jpeg.mode, (width, width * jpeg.height // jpeg.width))
                image = jpeg.convert(jpeg.mode)
        else:
            page_check(page, number)
            document = _pdfium_open(source)
            try:
                image = _render(document, number - 1, width / size_in[0])
            finally:
                with _PDFIUM_LOCK:
                    document.close()
    if image.width > width:
        image = image.resize((width, max(1, image.height * width // image.width)), Image.Resampling.LANCZOS)
    return _jpeg(image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode), 80)
