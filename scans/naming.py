"""The naming rule: canonical names of case scans (name, sex, number, year), and parsing them back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from audit.actors import Actor
from permissions.scoping import records_visible_to
from registry.models import (
    EVENT_PARTY_ROLES,
    SUBJECT_ROLES,
    CivilRecord,
    EventType,
    PartyRole,
    RecordState,
    RegisterBook,
    Sex,
)
from scans.intake import safe_name
from scans.models import (
    ScanFile,
)
from vietnamese.names import name_key

EVENT_CODES: dict[str, str] = {
    EventType.BIRTH: "KS",
    EventType.MARRIAGE: "KH",
    EventType.DEATH: "KT",
    EventType.PARENTAGE: "CMC",
    EventType.GUARDIANSHIP: "GH",
    EventType.GUARDIANSHIP_END: "CDGH",
    EventType.AMENDMENT: "TDCC",
    EventType.DIVORCE_NOTE: "GCLH",
    EventType.MARITAL_STATUS: "XNHN",
    EventType.ADOPTION: "NCN",
}
CODE_EVENTS = {code: event for event, code in EVENT_CODES.items()}
SEX_CODES: dict[int, str] = {Sex.MALE: "Nam", Sex.FEMALE: "Nu", Sex.UNDETERMINED: "KXD"}
TWO_PERSON_EVENTS = (EventType.MARRIAGE, EventType.DIVORCE_NOTE)


def _ascii_word(text: str) -> str:
    """'Nguyễn Văn An' -> 'NguyenVanAn' (no diacritics, đ -> d, only letters)."""
    return "".join(part.capitalize() for part in re.split(r"[^a-z]+", name_key(text)) if part)


def _book_token(book_no: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name_key(book_no)).strip("-").upper() or "0"


def scan_canonical_name(record: CivilRecord) -> str:
    """The file name of a case's scan by the naming rule.

    ``<event code>.<book year>.<book number>.<entry number, 4 digits>.<name>.<sex>.pdf``,
    e.g. ``KS.2020.01.0005.NguyenVanAn.Nam.pdf``: codes KS birth, KH marriage, KT death,
    CMC parentage, GH guardianship, CDGH end of guardianship, TDCC amendment, GCLH
    divorce notation, XNHN marital status, NCN adoption; the name of the person
    registered (marriage and divorce: husband-wife) without diacritics; sex Nam / Nu /
    KXD. A part with no data is left out, so an unentered slot is
    ``KS.2020.01.0005.pdf``.
    """
    parts = [
        EVENT_CODES.get(record.event_type, "HT"),
        str(record.book.year),
        _book_token(record.book.book_no),
        f"{record.entry_no:04d}{record.entry_suffix}",  # a case squeezed in: 0015a, 0015bis
    ]
    parties = {p.role: p for p in record.parties.all()}
    if record.event_type in TWO_PERSON_EVENTS:
        names = [
            _ascii_word(parties[r].full_name) for r in (PartyRole.HUSBAND, PartyRole.WIFE) if r in parties
        ]
        if any(names):
            parts.append("-".join(n for n in names if n))
    else:
        roles = [r for r in EVENT_PARTY_ROLES.get(record.event_type, ()) if r in SUBJECT_ROLES] or list(
            EVENT_PARTY_ROLES.get(record.event_type, ())[:1]
        )
        person = next((parties[r] for r in roles if r in parties and parties[r].full_name), None)
        if person is not None:
            parts.append(_ascii_word(person.full_name))
            if person.sex in SEX_CODES:
                parts.append(SEX_CODES[person.sex])
    return ".".join(p for p in parts if p) + ".pdf"


def scan_name_on_attach(record: CivilRecord, event: str, actor: Actor | None) -> None:
    """Transition hook: at attach, the current scan takes its canonical name (inside the transaction)."""
    if event != "attach":
        return
    scan = record.scans.first()
    if scan is None:
        return
    name = scan_canonical_name(record)
    if scan.canonical_name == name:
        return
    # No audit row of its own: the name follows from the data at attach, which the attach row records.
    scan.canonical_name = name
    scan.save(update_fields=["canonical_name"])


def scan_download_name(scan: ScanFile) -> str:
    """The name a download carries: the canonical one, or the rule applied to what is known now."""
    return scan.canonical_name or scan_canonical_name(scan.record)


_RULE_NAME = re.compile(
    r"^(?P<code>[A-Za-z]{2,4})\.(?P<year>\d{4})\.(?P<book>[A-Za-z0-9-]+)\.(?P<entry>\d{1,6})"
    r"(?:\.(?P<name>[A-Za-z-]+))?(?:\.(?P<sex>Nam|Nu|KXD))?\.(?:pdf|jpe?g|png|tiff?)$",
    re.IGNORECASE,
)
_LOOSE_NAME = re.compile(
    r"^(?:(?P<book>[A-Za-z0-9]+?)[ ._-]+)?(?P<entry>\d{1,6})\.(?:pdf|jpe?g|png|tiff?)$", re.IGNORECASE
)


@dataclass(frozen=True)
class ParsedName:
    entry_no: int
    book_no: str = ""
    event_type: str = ""
    year: int | None = None
    name: str = ""


def scan_name_parse(filename: str) -> ParsedName | None:
    """Read the case a file is named for: the full rule, or ``<book>_<entry>`` / ``<entry>`` loosely."""
    base = safe_name(filename)
    match = _RULE_NAME.match(base)
    if match and match["code"].upper() in CODE_EVENTS:
        return ParsedName(
            entry_no=int(match["entry"]),
            book_no=match["book"],
            event_type=CODE_EVENTS[match["code"].upper()],
            year=int(match["year"]),
            name=match["name"] or "",
        )
    match = _LOOSE_NAME.match(base)
    if match:
        return ParsedName(entry_no=int(match["entry"]), book_no=match["book"] or "")
    return None


def scan_match_candidates(
    parsed: ParsedName, *, user: Actor | None, book: RegisterBook | None = None
) -> list[CivilRecord]:
    """Open cases the user may scan that a parsed name points to (several means ambiguous)."""
    records = (
        records_visible_to(user, "scan_record")
        .filter(entry_no=parsed.entry_no)
        .exclude(state__in=[RecordState.REJECTED, RecordState.DUPLICATE])
    )
    if book is not None:
        records = records.filter(book=book)
    elif not parsed.book_no:
        return []
    if parsed.event_type:
        records = records.filter(event_type=parsed.event_type)
    if parsed.year:
        records = records.filter(book__year=parsed.year)
    found = list(records.select_related("book", "unit").prefetch_related("parties")[:20])
    if parsed.book_no:
        token = _book_token(parsed.book_no)
        found = [r for r in found if _book_token(r.book.book_no) == token]
    return found
