"""Rendering certified extracts to PDF. Pure: reads the record, writes nothing.

`render_extract` gives one extract (N identical copies); `render_extracts` lays
many extracts out as ONE HTML document, which weasyprint renders about three
times faster per page than separate documents merged afterwards.
The fonts ship in printing/fonts and are declared face by face with @font-face;
the page margin boxes name the same family, so no system font is ever used.
"""

from __future__ import annotations

import atexit
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter

from printing.layouts import ExtractContent, extract_content
from registry.models import AdministrativeUnit, CivilRecord, UnitLevel

HERE = Path(__file__).resolve().parent
FONT_DIR = HERE / "fonts"
FONT_FAMILY = "Extract Serif"
FONT_FACES = {
    ("normal", "normal"): "LiberationSerif-Regular.ttf",
    ("bold", "normal"): "LiberationSerif-Bold.ttf",
    ("normal", "italic"): "LiberationSerif-Italic.ttf",
    ("bold", "italic"): "LiberationSerif-BoldItalic.ttf",
}

_UNIT_PREFIXES = ("Thành phố ", "Thị trấn ", "Thị xã ", "Phường ", "Huyện ", "Quận ", "Tỉnh ", "Xã ")


@dataclass(frozen=True)
class IssueFacts:
    """What the issue (not the record) puts on the paper."""

    serial: str
    issued_on: dt.date
    authority_parent: str
    authority_name: str
    place: str
    signer_title: str
    signer_name: str
    verify_url: str | None = None
    marker: str = ""  # top-right mark: "BẢN IN LẠI LẦN 1", "XEM TRƯỚC"
    electronic: bool = False
    preview: bool = False

    @property
    def date_text(self) -> str:
        d = self.issued_on
        return f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


def issuing_authority(unit: AdministrativeUnit) -> tuple[str, str]:
    """The two header lines naming the issuer: the commune or district committee, or the Sở Tư pháp."""
    if unit.level == UnitLevel.PROVINCE:
        return f"UBND {unit.name}".upper(), "SỞ TƯ PHÁP"
    return "ỦY BAN NHÂN DÂN", unit.name.upper()


def place_name(unit: AdministrativeUnit) -> str:
    """The place written before the date of issue: the unit's name without its level ('Xã An' → 'An')."""
    for prefix in _UNIT_PREFIXES:
        if unit.name.startswith(prefix):
            return unit.name[len(prefix) :]
    return unit.name


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0)


def _font_faces() -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{(FONT_DIR / name).as_uri()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for (weight, style), name in FONT_FACES.items()
    )


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def _stylesheet():
    from weasyprint import CSS

    fonts = _font_config()
    css = CSS(
        string=_font_faces() + "\n" + (HERE / "extract.css").read_text(encoding="utf-8"), font_config=fonts
    )
    return css, fonts


@atexit.register
def _release_fonts() -> None:
    # weasyprint's FontConfiguration cleans up in __del__, which fails if it runs at interpreter teardown.
    _stylesheet.cache_clear()
    _font_config.cache_clear()


def render_stamp(lines: Sequence[str], *, width_pt: float, height_pt: float) -> bytes:
    """A one-page PDF the size of a signature box, with the lines in the shipped font (its appearance)."""
    from django.utils.html import escape
    from weasyprint import CSS, HTML

    fonts = _font_config()
    css = CSS(
        string=_font_faces()
        + f"""
        @page {{ size: {width_pt}pt {height_pt}pt; margin: 0; }}
        html {{ font-family: "{FONT_FAMILY}"; font-size: 9pt; line-height: 1.3; }}
        body {{ margin: 0; }}
        div.box {{ border: 0.8pt solid #1d3f8f; color: #1d3f8f; height: {height_pt}pt; box-sizing: border-box;
                  padding: 4pt 6pt; }}
        """,
        font_config=fonts,
    )
    html = '<div class="box">' + "".join(f"<div>{escape(line)}</div>" for line in lines) + "</div>"
    return HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)


@dataclass(frozen=True)
class Page:
    content: ExtractContent
    issue: IssueFacts
    qr: str


def _html(pages: Sequence[Page], title: str) -> str:
    return render_to_string("printing/extract.html", {"pages": pages, "title": title})


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    css, fonts = _stylesheet()
    return HTML(string=html, base_url=str(HERE)).write_pdf(stylesheets=[css], font_config=fonts)


def page_for(record: CivilRecord, issue: IssueFacts, notes: Sequence[str] | None = None) -> Page:
    if notes is None:
        from printing.selectors import amendment_notes

        notes = amendment_notes(record)
    return Page(
        content=extract_content(record, notes=notes),
        issue=issue,
        qr=qr_data_uri(issue.verify_url) if issue.verify_url else "",
    )


def render_pages(pages: Sequence[Page], *, title: str = "Trích lục") -> bytes:
    """Many extracts as one HTML document, one PDF."""
    return _pdf(_html(pages, title))


def render_extract(
    *, record: CivilRecord, issue: IssueFacts, notes: Sequence[str] | None = None, copies: int = 1
) -> bytes:
    """The extract of one record as PDF bytes, `copies` identical pages sets. No database writes."""
    page = page_for(record, issue, notes)
    pdf = render_pages([page], title=page.content.kind.title)
    return pdf if copies <= 1 else repeat_pdf(pdf, copies)


def render_extracts(items: Sequence[tuple[CivilRecord, IssueFacts]]) -> bytes:
    """Several records' extracts in one PDF (one HTML document). No database writes."""
    return render_pages([page_for(record, issue) for record, issue in items])


def repeat_pdf(pdf: bytes, copies: int) -> bytes:
    """The same pages `copies` times (printing N copies of one extract)."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for _ in range(copies):
        for page in reader.pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def merge_pdfs(parts: Sequence[bytes]) -> bytes:
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
