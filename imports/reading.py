"""Reading an import file: CSV or Excel, its text encoding, its header, its rows — streamed.

`inspect_file` looks at the start of the file once: the format, the delimiter, the
byte encoding (UTF-8, CP1258, or Windows-1252 bytes typed in a legacy font), the
header, and each column's legacy Vietnamese encoding (TCVN3/VNI, judged per column
with `vietnamese.legacy_encodings.detect_column`). Every problem that makes the file
unreadable raises `ImportFileError` with a message that says what to do; nothing is
guessed silently: a non-UTF-8 file that reads as Vietnamese in no encoding asks the
user (`EncodingUnknown`).

`iter_rows` then streams the data rows as ``(row number, {column: NFC text})``,
holding one row at a time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from vietnamese.legacy_encodings import _WORD, TCVN3, VNI, detect_column, is_vietnamese_syllable, to_unicode

CSV, XLSX = "csv", "xlsx"
UTF8, CP1258, CP1252 = "utf-8", "cp1258", "cp1252"
TEXT_ENCODINGS = {
    UTF8: _l("UTF-8 (Unicode)"),
    CP1258: _l("Windows-1258 (CP1258)"),
    CP1252: _l("Old fonts TCVN3 / VNI (.VnTime, VNI-Times)"),
}
COLUMN_ENCODINGS = {
    "": "Unicode",
    TCVN3: _l("TCVN3 (ABC, .VnTime fonts)"),
    VNI: _l("VNI-Windows (VNI-Times fonts)"),
}
SAMPLE_ROWS = 2000
SAMPLE_BYTES = 4 << 20
MAX_COLUMNS = 200
DELIMITERS = (",", ";", "\t")
csv.field_size_limit(1 << 20)


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why and what to do."""


class EncodingUnknown(ImportFileError):
    """The bytes are not UTF-8 and no Vietnamese encoding reads them: the user must choose."""


@dataclass
class SourceFile:
    path: Path
    kind: str
    header: list[str]
    text_encoding: str = UTF8
    delimiter: str = ","
    column_encodings: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)  # raw values, for the preview

    def convert(self, column: str, value: Any) -> Any:
        """A cell as NFC Unicode text (dates from Excel stay dates)."""
        if value is None:
            return ""
        if isinstance(value, dt.datetime | dt.date):
            return value
        text = str(value)
        encoding = self.column_encodings.get(column)
        if encoding:
            text = to_unicode(text, encoding)
        return unicodedata.normalize("NFC", text)


def kind_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return XLSX
    if suffix in (".csv", ".txt", ".tsv"):
        return CSV
    raise ImportFileError(
        _("“%(name)s” is neither a CSV (.csv) nor an Excel (.xlsx) file: save it in one of these formats.")
        % {"name": name}
    )


def _vietnamese_score(texts: list[str]) -> int:
    """Well-formed Vietnamese syllables with diacritics among the words of `texts`."""
    return sum(
        1
        for text in texts
        for word in _WORD.findall(text)
        if any(ord(ch) > 0x7F for ch in word) and is_vietnamese_syllable(word)
    )


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    if counts[best] == 0:
        others = sorted({ch for ch in line if ch in "|:/#~^"})
        raise ImportFileError(
            _(
                "Only one column was found in the header line: separate the columns with commas, "
                "semicolons or tabs (save as “CSV UTF-8” from Excel)%(found)s."
            )
            % {"found": (_("; this file seems to use “%(sep)s”") % {"sep": others[0]}) if others else ""}
        )
    return best


def _decode_sample(raw: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="strict").decode(raw, final=False)


def _text_encoding(raw: bytes, chosen: str | None) -> str:
    if chosen:
        return chosen
    try:
        _decode_sample(raw.removeprefix(codecs.BOM_UTF8), UTF8)
        return UTF8
    except UnicodeDecodeError:
        pass
    as_1258 = unicodedata.normalize("NFC", raw.decode(CP1258, errors="replace"))
    as_1252 = raw.decode(CP1252, errors="replace")
    lines = as_1252.splitlines()[:SAMPLE_ROWS]
    legacy = detect_column(lines)
    score_1252 = _vietnamese_score([to_unicode(line, legacy) for line in lines]) if legacy else 0
    score_1258 = _vietnamese_score(as_1258.splitlines()[:SAMPLE_ROWS])
    if max(score_1252, score_1258) == 0:
        raise EncodingUnknown(
            _(
                "This file is not in UTF-8 and its text reads as Vietnamese in none of the encodings "
                "we know (CP1258, TCVN3, VNI). Choose its encoding below, or save it as “CSV UTF-8”."
            )
        )
    return CP1252 if score_1252 >= score_1258 else CP1258


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        path.open("rb"), encoding="utf-8-sig" if encoding == UTF8 else encoding, newline="", errors="strict"
    )


def _check_header(header: list[str]) -> list[str]:
    names = [unicodedata.normalize("NFC", str(h or "")).strip() for h in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ImportFileError(_("The first line is empty: the file must start with the header row."))
    if len(names) > MAX_COLUMNS:
        raise ImportFileError(
            _(
                "The header has %(n)d columns, at most %(max)d are expected: "
                "check the file is a register export."
            )
            % {"n": len(names), "max": MAX_COLUMNS}
        )
    looks_like_data = sum(bool(re.fullmatch(r"[\d./\-: ]+", n)) for n in names if n)
    if looks_like_data >= max(1, len([n for n in names if n]) // 2):
        raise ImportFileError(
            _(
                "The first line holds data (“%(values)s”), not column names: add the header row of the "
                "Ministry template (so, quyenSo, ngayDangKy, …) or the names your old software exported."
            )
            % {"values": "”, “".join(names[:3])}
        )
    return names


def _xlsx_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises several types for a damaged file
        raise ImportFileError(
            _("This Excel file cannot be opened (%(error)s): save it again as .xlsx.") % {"error": exc}
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _raw_rows(source: SourceFile) -> Generator[list[Any], None, None]:
    if source.kind == XLSX:
        for values in _xlsx_rows(source.path):
            yield list(values)
        return
    with _open_text(source.path, source.text_encoding) as handle:
        try:
            yield from csv.reader(handle, delimiter=source.delimiter)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _(
                    "The file changes encoding part-way (a byte at position %(pos)d is not %(enc)s): "
                    "save the whole file again in one encoding (CSV UTF-8)."
                )
                % {"pos": exc.start, "enc": TEXT_ENCODINGS.get(source.text_encoding, source.text_encoding)}
            ) from exc
        except csv.Error as exc:
            raise ImportFileError(
                _("The CSV structure is broken (%(error)s): check quotes around values.") % {"error": exc}
            ) from exc


def inspect_file(
    path: Path,
    *,
    original_name: str,
    text_encoding: str | None = None,
    column_encodings: dict[str, str] | None = None,
) -> SourceFile:
    """Read the start of the file: format, encodings, header and per-column samples.

    Raises `ImportFileError` for an empty file, a header that is data or one column,
    and `EncodingUnknown` when the user must choose the encoding. Explicit choices
    (`text_encoding`, `column_encodings`) win over detection.
    """
    kind = kind_of(original_name)
    if path.stat().st_size == 0:
        raise ImportFileError(_("The file is empty: export the register again and upload the new file."))
    source = SourceFile(path=path, kind=kind, header=[])
    if kind == CSV:
        with path.open("rb") as handle:
            raw = handle.read(SAMPLE_BYTES)
        if not raw.strip():
            raise ImportFileError(_("The file is empty: export the register again and upload the new file."))
        source.text_encoding = _text_encoding(raw, text_encoding)
        first_line = raw.decode(source.text_encoding, errors="replace").lstrip("\ufeff").splitlines()[0]
        source.delimiter = _sniff_delimiter(first_line)
    rows = _raw_rows(source)
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError(
            _("The file is empty: export the register again and upload the new file.")
        ) from None
    source.header = _check_header(list(header))
    samples: dict[str, list[str]] = {name: [] for name in source.header if name}
    seen = 0
    for values in rows:
        if seen >= SAMPLE_ROWS:
            break
        seen += 1
        for name, value in zip(source.header, values, strict=False):
            if name and isinstance(value, str) and value:
                samples[name].append(value)
    rows.close()
    if seen == 0:
        raise ImportFileError(_("The file has a header but no rows: there is nothing to import."))
    source.samples = {name: values[:5] for name, values in samples.items()}
    if column_encodings is not None:
        source.column_encodings = {k: v for k, v in column_encodings.items() if v}
    else:
        source.column_encodings = {
            name: encoding for name, values in samples.items() if (encoding := detect_column(values))
        }
    return source


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")


def normalize_date(value: Any) -> Any:
    """Dates as older software writes them: ISO yyyy-mm-dd becomes dd/mm/yyyy; the parser judges the rest."""
    if isinstance(value, dt.datetime | dt.date):
        return value
    text = str(value or "").strip()
    match = _ISO.match(text)
    if match:
        return f"{int(match[3]):02d}/{int(match[2]):02d}/{match[1]}"
    return text


@dataclass
class RawRow:
    row_no: int
    values: dict[str, Any]
    problems: list[tuple[str, str, str]]


def count_rows(source: SourceFile) -> int:
    """How many data rows `iter_rows` will give (blank rows skipped), without converting any value:
    the total of the check's progress bar."""
    rows = _raw_rows(source)
    next(rows, None)
    return sum(1 for values in rows if any(v not in (None, "") for v in values))


def iter_rows(source: SourceFile) -> Iterator[RawRow]:
    """Data rows as `RawRow` (row number as the spreadsheet shows it: the header is row 1)."""
    width = len(source.header)
    rows = _raw_rows(source)
    next(rows, None)
    for index, values in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        problems: list[tuple[str, str, str]] = []
        cells = list(values)
        while len(cells) > width and cells[-1] in (None, ""):
            cells.pop()
        if len(cells) > width:
            raise ImportFileError(
                _(
                    "Row %(row)d has %(n)d cells but the header has %(width)d columns: a value probably "
                    "contains the delimiter “%(sep)s” without quotes. Quote such values or export again; "
                    "nothing was imported."
                )
                % {"row": index, "n": len(cells), "width": width, "sep": source.delimiter}
            )
        row: dict[str, Any] = {}
        for name, value in zip(source.header, cells, strict=False):
            if not name:
                continue
            if isinstance(value, str) and value.startswith("="):
                problems.append(
                    (
                        name,
                        _("The cell holds a formula (%(formula)s), not a value.") % {"formula": value[:40]},
                        _("Replace the formula by its value (copy, then Paste Special > Values)."),
                    )
                )
                value = ""
            row[name] = source.convert(name, value)
        yield RawRow(index, row, problems)
