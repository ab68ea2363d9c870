"""The Ministry's per-book import format: one row per case, in the column names public tools use.

This module is the ONE place that maps our records to the Ministry's columns and
back (DESIGN.md §1), so that the export and a legacy import stay a round trip:

    row = record_row(record)                 # CivilRecord -> {"so": ..., "nksHoTen": ...}
    parsed = row_to_input(row, event_type)   # row -> MinistryRow(entry_no, page_no, RecordInput)

Dates are written as the Ministry tools write them, ``dd.mm.yyyy`` (partial:
``mm.yyyy`` or ``yyyy``; empty for "no information"); codes (`loaiDangKy`,
`*GioiTinh`) are the Ministry's integers. The death notice (`gbt*`) and the
declarant's relationship (`nycQuanHe`) live in `CivilRecord.details` under the
keys `registry.event_fields` gives a death (`DETAILS_KEYS`); `gbtLoai` is written in
the paper's words ("Giấy báo tử") and read back from words or our code. Event
types the public template does not cover (parentage, guardianship, …) get the
common columns plus one block per person named `<role>HoTen`, `<role>NgaySinh`, …
— our own extension, marked as such.

Values confirmed "as written in the book" (`CivilRecord.as_written`) are named at the end
of the note column: ``ghiChu`` = note + `` [Đúng như trong sổ: meNgaySinh, ngayDangKy]``
(the Ministry's column names), and read back from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from registry.event_fields import choice_from_words, paper_words, spec_for
from registry.models import EVENT_PARTY_ROLES, CivilRecord, EventType, PartyRole
from registry.partial_dates import PartialDate, parse_partial_date
from registry.record_data import RecordInput
from vietnamese.words import date_in_words

COMMON_COLUMNS = (
    "so",
    "quyenSo",
    "trangSo",
    "ngayDangKy",
    "loaiDangKy",
    "noiDangKy",
    "nguoiKy",
    "chucVuNguoiKy",
    "nguoiThucHien",
    "ghiChu",
)

# Common column -> CivilRecord text field (the others are computed).
COMMON_TEXT = {
    "noiDangKy": "registration_place",
    "nguoiKy": "signer_name",
    "chucVuNguoiKy": "signer_title",
    "nguoiThucHien": "performer_name",
    "ghiChu": "note",
}

# Person block suffix -> Party attribute. "SoGiayToTuyThan" holds the PIN when
# known, else the identity document as written.
PERSON_SUFFIX = {
    "HoTen": "full_name",
    "GioiTinh": "sex",
    "NgaySinh": "birth_date",
    "NgaySinhBangChu": "birth_date_words",
    "NoiSinh": "birth_place",
    "QueQuan": "hometown",
    "DanToc": "ethnicity",
    "QuocTich": "nationality",
    "NoiCuTru": "residence",
    "SoGiayToTuyThan": "id_number",
}

# (prefix, role, suffixes) blocks of each type the Ministry template defines.
_PARENT = ("HoTen", "NgaySinh", "DanToc", "QuocTich", "NoiCuTru", "SoGiayToTuyThan")
_SPOUSE = ("HoTen", "NgaySinh", "DanToc", "QuocTich", "NoiCuTru", "SoGiayToTuyThan")
BLOCKS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    EventType.BIRTH: (
        (
            "nks",
            PartyRole.SUBJECT,
            (
                "HoTen",
                "GioiTinh",
                "NgaySinh",
                "NgaySinhBangChu",
                "NoiSinh",
                "QueQuan",
                "DanToc",
                "QuocTich",
                "SoGiayToTuyThan",
            ),
        ),
        ("me", PartyRole.MOTHER, _PARENT),
        ("cha", PartyRole.FATHER, _PARENT),
    ),
    EventType.MARRIAGE: (
        ("chong", PartyRole.HUSBAND, _SPOUSE),
        ("vo", PartyRole.WIFE, _SPOUSE),
    ),
    EventType.DEATH: (
        (
            "nkt",
            PartyRole.DECEASED,
            ("HoTen", "GioiTinh", "NgaySinh", "DanToc", "QuocTich", "NoiCuTru", "SoGiayToTuyThan"),
        ),
        ("nyc", PartyRole.DECLARANT, ("HoTen",)),
    ),
}

# Record-level columns of the death template, after the deceased's block.
DEATH_EVENT_COLUMNS = {
    "nktNgayChet": "event_date",
    "nktGioPhutChet": "event_time",
    "nktNoiChet": "event_place",
    "nktNguyenNhanChet": "event_cause",
}
# Columns kept in CivilRecord.details, under the keys registry.event_fields defines for a death.
DETAILS_KEYS = {
    "gbtLoai": "notice_type",
    "gbtSo": "notice_no",
    "gbtNgay": "notice_date",
    "gbtCoQuanCap": "notice_issuer",
    "nycQuanHe": "declarant_relationship",
}
# Details columns holding a date (written dd.mm.yyyy like every Ministry date) or a choice
# (written in the paper's words: gbtLoai "Giấy báo tử").
DETAILS_DATES = {"gbtNgay"}
DETAILS_CHOICES = {"gbtLoai"}
DEATH_TAIL = ("gbtLoai", "gbtSo", "gbtNgay", "gbtCoQuanCap")
# Blocks without a sex column: the role implies it.
ROLE_SEX: dict[str, int] = {
    PartyRole.MOTHER: 2,
    PartyRole.WIFE: 2,
    PartyRole.ADOPTIVE_MOTHER: 2,
    PartyRole.FATHER: 1,
    PartyRole.HUSBAND: 1,
    PartyRole.ADOPTIVE_FATHER: 1,
}


_GENERIC_SUFFIXES = (
    "HoTen",
    "GioiTinh",
    "NgaySinh",
    "NoiSinh",
    "DanToc",
    "QuocTich",
    "NoiCuTru",
    "SoGiayToTuyThan",
)


def _generic_blocks(event_type: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """One block per person, with the columns of what the register writes about the role."""
    written = spec_for(event_type).parties
    blocks = []
    for role in EVENT_PARTY_ROLES[event_type]:
        attrs = set(written.get(role, ()))
        suffixes = tuple(
            suffix
            for suffix in _GENERIC_SUFFIXES
            if PERSON_SUFFIX[suffix] in attrs
            or (suffix == "SoGiayToTuyThan" and attrs & {"pin", "id_document"})
        )
        blocks.append((_camel(role), role, suffixes))
    return tuple(blocks)


def _camel(role: str) -> str:
    head, *rest = role.split("_")
    return head + "".join(w.capitalize() for w in rest)


def blocks_for(event_type: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    return BLOCKS.get(event_type) or _generic_blocks(event_type)


def columns_for(event_type: str) -> list[str]:
    """The header row of the Ministry sheet for a book of this event type, in order."""
    columns = list(COMMON_COLUMNS)
    for prefix, _role, suffixes in blocks_for(event_type):
        columns += [prefix + s for s in suffixes]
        if event_type == EventType.DEATH and prefix == "nkt":
            columns += list(DEATH_EVENT_COLUMNS)
    if event_type == EventType.DEATH:
        columns += ["nycQuanHe", *DEATH_TAIL]
    return columns


# --- dates ---------------------------------------------------------------------------


def ministry_date(value: PartialDate) -> str:
    """dd.mm.yyyy, mm.yyyy, yyyy or "" (no information)."""
    return str(value).replace("/", ".")


def parse_ministry_date(text: Any) -> str:
    """A Ministry date cell as our input text (dd/mm/yyyy …); accepts dates from Excel too."""
    if text is None or text == "":
        return ""
    if hasattr(text, "strftime"):
        return text.strftime("%d/%m/%Y")
    return str(parse_partial_date(str(text).strip()))


# --- values confirmed as written ------------------------------------------------------

AS_WRITTEN_WORDS = "Đúng như trong sổ"
_AS_WRITTEN_NOTE = re.compile(r"\s*\[" + AS_WRITTEN_WORDS + r": ([^\]]*)\]\s*$")


def _column_of_key(event_type: str) -> dict[str, str]:
    """Validation key → Ministry column, for the fields a warning can name."""
    columns = {"registration_date": "ngayDangKy"}
    if event_type == EventType.DEATH:
        columns["event_date"] = "nktNgayChet"
    for prefix, role, suffixes in blocks_for(event_type):
        for suffix in suffixes:
            attr = PERSON_SUFFIX[suffix]
            if attr == "id_number":
                columns[f"party.{role}.pin"] = prefix + suffix
            elif attr in ("birth_date", "sex"):
                columns[f"party.{role}.{attr}"] = prefix + suffix
    return columns


def as_written_columns(event_type: str, keys: Iterable[str]) -> list[str]:
    """The Ministry column names of confirmed fields (our key where the sheet has no column)."""
    columns = _column_of_key(event_type)
    return [columns.get(key, key) for key in keys]


def note_with_as_written(event_type: str, note: str, keys: Iterable[str]) -> str:
    """`ghiChu`: the note, then the fields confirmed as written, if any."""
    names = as_written_columns(event_type, keys)
    if not names:
        return note
    marker = f"[{AS_WRITTEN_WORDS}: {', '.join(names)}]"
    return f"{note} {marker}" if note else marker


def split_as_written(event_type: str, text: str) -> tuple[str, tuple[str, ...]]:
    """A `ghiChu` cell as (note, confirmed keys): the inverse of `note_with_as_written`."""
    found = _AS_WRITTEN_NOTE.search(text or "")
    if found is None:
        return text, ()
    keys = {column: key for key, column in _column_of_key(event_type).items()}
    names = [n.strip() for n in found.group(1).split(",") if n.strip()]
    return text[: found.start()], tuple(keys.get(name, name) for name in names)


# --- export --------------------------------------------------------------------------


def book_reference(record: CivilRecord) -> str:
    """`quyenSo` as the Ministry tools write it: "<book number>/<year>"."""
    return f"{record.book.book_no}/{record.book.year}"


def _person_value(party: Any, attr: str) -> Any:
    if party is None:
        return 0 if attr == "sex" else ""
    if attr == "birth_date":
        return ministry_date(party.birth_date)
    if attr == "birth_date_words":
        return date_in_words(party.birth_date)
    if attr == "id_number":
        return party.pin or party.id_document
    if attr == "sex":
        return int(party.sex)
    return getattr(party, attr) or ""


def record_row(record: CivilRecord) -> dict[str, Any]:
    """One row of the Ministry sheet. Give records with `book` and `parties` loaded."""
    row: dict[str, Any] = {
        # A case squeezed in keeps its suffix as written ("15a"); a plain number stays a number.
        "so": record.entry_label if record.entry_suffix else record.entry_no,
        "quyenSo": book_reference(record),
        "trangSo": record.page_no if record.page_no is not None else "",
        "ngayDangKy": ministry_date(record.registration_date),
        "loaiDangKy": int(record.registration_type),
    }
    for column, attr in COMMON_TEXT.items():
        row[column] = getattr(record, attr) or ""
    row["ghiChu"] = note_with_as_written(record.event_type, row["ghiChu"], record.as_written or ())
    parties = {p.role: p for p in record.parties.all()}
    for prefix, role, suffixes in blocks_for(record.event_type):
        for suffix in suffixes:
            row[prefix + suffix] = _person_value(parties.get(role), PERSON_SUFFIX[suffix])
    if record.event_type == EventType.DEATH:
        row["nktNgayChet"] = ministry_date(record.event_date)
        for column in ("nktGioPhutChet", "nktNoiChet", "nktNguyenNhanChet"):
            row[column] = getattr(record, DEATH_EVENT_COLUMNS[column]) or ""
        details = record.details or {}
        for column in ("nycQuanHe", *DEATH_TAIL):
            value = details.get(DETAILS_KEYS[column], "")
            if column in DETAILS_DATES:
                value = ministry_date(parse_partial_date(value))
            elif column in DETAILS_CHOICES:
                value = paper_words(EventType.DEATH, DETAILS_KEYS[column], value)
            row[column] = value
    return {column: row.get(column, "") for column in columns_for(record.event_type)}


# --- import (round trip) -------------------------------------------------------------


@dataclass
class MinistryRow:
    entry_no: int | None
    book_reference: str
    page_no: int | None
    data: RecordInput


_PIN = re.compile(r"^\d{12}$")


def _int(value: Any) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    return int(float(str(value).strip()))


def row_to_input(row: dict[str, Any], event_type: str) -> MinistryRow:
    """Read one Ministry row back into input for `registry.record_data` (which validates it)."""

    def cell(column: str) -> str:
        value = row.get(column)
        return "" if value is None else str(value).strip()

    text = {attr: cell(column) for column, attr in COMMON_TEXT.items()}
    text["note"], as_written = split_as_written(event_type, text["note"])
    event_date = ""
    details: dict[str, Any] = {}
    if event_type == EventType.DEATH:
        event_date = parse_ministry_date(row.get("nktNgayChet"))
        for column in ("nktGioPhutChet", "nktNoiChet", "nktNguyenNhanChet"):
            text[DEATH_EVENT_COLUMNS[column]] = cell(column)
        for column in ("nycQuanHe", *DEATH_TAIL):
            value = cell(column)
            if column in DETAILS_DATES:
                value = parse_ministry_date(row.get(column))
            elif column in DETAILS_CHOICES:
                value = choice_from_words(EventType.DEATH, DETAILS_KEYS[column], value)
            if value:
                details[DETAILS_KEYS[column]] = value
    parties: dict[str, dict[str, Any]] = {}
    for prefix, role, suffixes in blocks_for(event_type):
        values: dict[str, Any] = {}
        for suffix in suffixes:
            attr = PERSON_SUFFIX[suffix]
            raw = row.get(prefix + suffix)
            if attr == "birth_date_words":
                continue
            if attr == "birth_date":
                values["birth_date"] = parse_ministry_date(raw)
            elif attr == "sex":
                values["sex"] = _int(raw) or 0
            elif attr == "id_number":
                number = cell(prefix + suffix)
                values["pin" if _PIN.match(number) else "id_document"] = number
            else:
                values[attr] = cell(prefix + suffix)
        if any(v for v in values.values()):
            if "GioiTinh" not in suffixes:
                values["sex"] = ROLE_SEX.get(role, 0)  # the block's role says it (mother, husband, …)
            parties[role] = values
    return MinistryRow(
        entry_no=_int(row.get("so")),
        book_reference=cell("quyenSo"),
        page_no=_int(row.get("trangSo")),
        data=RecordInput(
            registration_date=parse_ministry_date(row.get("ngayDangKy")),
            registration_type=_int(row.get("loaiDangKy")) or 0,
            page_no=_int(row.get("trangSo")),
            event_date=event_date,
            text=text,
            details=details,
            parties=parties,
            as_written=as_written,
        ),
    )


def rows_from_sheet(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> list[dict[str, Any]]:
    """Pair a sheet's header with its rows (as openpyxl's `iter_rows(values_only=True)` gives them)."""
    names = [str(h).strip() if h is not None else "" for h in header]
    return [
        dict(zip(names, values, strict=False)) for values in rows if any(v not in (None, "") for v in values)
    ]
