"""What each kind of certified extract prints: title, form code and the lines of fields.

The titles, labels and order follow the extract forms of Circular 04/2020/TT-BTP
(as replaced in 2024): the subject's block, the other people's blocks, then
the registration (place, date, number, book) and the notes. Text printed on the
paper is Vietnamese, written here directly. Nothing here touches the database
beyond reading the record, its book and its people.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from registry.event_fields import paper_words
from registry.models import CivilRecord, EventType, Party, PartyRole, Sex
from registry.partial_dates import PartialDate, parse_partial_date
from vietnamese.words import date_in_words


@dataclass(frozen=True)
class Line:
    """One printed line: one or more (label, value) cells; `strong` prints the values in bold."""

    cells: tuple[tuple[str, str], ...]
    strong: bool = False


@dataclass(frozen=True)
class ExtractKind:
    title: str  # "TRÍCH LỤC KHAI SINH"
    code: str  # form code in the serial: "TLKS" → "…/TLKS-BS"
    book_name: str  # "Sổ đăng ký khai sinh"
    registration_label: str  # "Nơi đăng ký khai sinh"


KINDS: dict[str, ExtractKind] = {
    EventType.BIRTH: ExtractKind(
        "TRÍCH LỤC KHAI SINH", "TLKS", "Sổ đăng ký khai sinh", "Nơi đăng ký khai sinh"
    ),
    EventType.MARRIAGE: ExtractKind("TRÍCH LỤC KẾT HÔN", "TLKH", "Sổ đăng ký kết hôn", "Nơi đăng ký kết hôn"),
    EventType.DEATH: ExtractKind("TRÍCH LỤC KHAI TỬ", "TLKT", "Sổ đăng ký khai tử", "Nơi đăng ký khai tử"),
    EventType.PARENTAGE: ExtractKind(
        "TRÍCH LỤC ĐĂNG KÝ NHẬN CHA, MẸ, CON",
        "TLNCMC",
        "Sổ đăng ký nhận cha, mẹ, con",
        "Nơi đăng ký",
    ),
    EventType.GUARDIANSHIP: ExtractKind(
        "TRÍCH LỤC ĐĂNG KÝ GIÁM HỘ", "TLGH", "Sổ đăng ký giám hộ", "Nơi đăng ký giám hộ"
    ),
    EventType.GUARDIANSHIP_END: ExtractKind(
        "TRÍCH LỤC ĐĂNG KÝ CHẤM DỨT GIÁM HỘ",
        "TLCDGH",
        "Sổ đăng ký giám hộ",
        "Nơi đăng ký chấm dứt giám hộ",
    ),
    EventType.AMENDMENT: ExtractKind(
        "TRÍCH LỤC THAY ĐỔI, CẢI CHÍNH, BỔ SUNG THÔNG TIN HỘ TỊCH",
        "TLCCHT",
        "Sổ đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "Nơi đăng ký",
    ),
    EventType.DIVORCE_NOTE: ExtractKind(
        "TRÍCH LỤC GHI CHÚ LY HÔN", "TLGCLH", "Sổ ghi chú ly hôn", "Nơi ghi vào sổ hộ tịch"
    ),
    EventType.MARITAL_STATUS: ExtractKind(
        "TRÍCH LỤC XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
        "TLXNHN",
        "Sổ cấp Giấy xác nhận tình trạng hôn nhân",
        "Nơi cấp xác nhận",
    ),
    EventType.ADOPTION: ExtractKind(
        "TRÍCH LỤC ĐĂNG KÝ NUÔI CON NUÔI", "TLNCN", "Sổ đăng ký nuôi con nuôi", "Nơi đăng ký nuôi con nuôi"
    ),
}

SEX_WORDS: dict[int, str] = {
    Sex.UNKNOWN: "",
    Sex.MALE: "Nam",
    Sex.FEMALE: "Nữ",
    Sex.UNDETERMINED: "Chưa xác định",
}


@dataclass(frozen=True)
class ExtractContent:
    """Everything an extract prints about the record (not the issue: serial, date, signer)."""

    event_type: str
    kind: ExtractKind
    lines: tuple[Line, ...]
    notes: tuple[str, ...]
    subject_name: str
    key_date_label: str
    key_date: str

    def fingerprint(self) -> str:
        """SHA-256 of what is printed: if it changes, papers issued before are superseded."""
        payload = json.dumps(
            [self.kind.title, [[list(c) for c in line.cells] for line in self.lines], list(self.notes)],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def texts(self) -> list[str]:
        """Every non-empty value printed (tests read them back from the PDF)."""
        return [v for line in self.lines for _label, v in line.cells if v] + list(self.notes)


class _People:
    """The record's people by role (loaded once; `prefetch_related('parties')` makes it free)."""

    def __init__(self, record: CivilRecord):
        self.by_role: dict[str, Party] = {p.role: p for p in record.parties.all()}

    def get(self, role: str) -> Party:
        return self.by_role.get(role) or Party(role=role)


def _d(value: PartialDate) -> str:
    return str(value)


def _in_words(date: PartialDate) -> Line:
    return Line((("Ghi bằng chữ", date_in_words(date)),))


def _birth_line(p: Party) -> Line:
    date = p.birth_date
    label = "Ngày, tháng, năm sinh" if date.month is not None or date.is_empty else "Năm sinh"
    return Line(((label, _d(date)),))


def _origin_line(p: Party, *, sex: bool = False) -> Line:
    cells = [("Giới tính", SEX_WORDS.get(p.sex, ""))] if sex else []
    cells += [("Dân tộc", p.ethnicity), ("Quốc tịch", p.nationality)]
    return Line(tuple(cells))


def _person(
    p: Party, name_label: str, *, sex: bool = False, pin: bool = True, document: bool = False
) -> list[Line]:
    lines = [Line(((name_label, p.full_name),), strong=True), _birth_line(p), _origin_line(p, sex=sex)]
    if pin:
        lines.append(Line((("Số định danh cá nhân", p.pin),)))
    if document:
        lines.append(Line((("Giấy tờ tùy thân", p.id_document),)))
    lines.append(Line((("Nơi cư trú", p.residence),)))
    return lines


def _registration(record: CivilRecord, kind: ExtractKind, *, in_words: bool = False) -> list[Line]:
    place = record.registration_place or record.book.authority_as_written
    reg = record.registration_date
    return [
        Line(((kind.registration_label, place),)),
        Line((("Ngày, tháng, năm đăng ký", _d(reg)),)),
        *([_in_words(reg)] if in_words else []),
        Line(
            (
                ("Số đăng ký", str(record.entry_no)),
                ("Quyển số", record.book.book_no),
                ("Năm", str(record.book.year)),
            )
        ),
    ]


def _birth(record: CivilRecord, people: _People) -> tuple[list[Line], Party, str, str]:
    child, mother, father = (
        people.get(PartyRole.SUBJECT),
        people.get(PartyRole.MOTHER),
        people.get(PartyRole.FATHER),
    )
    lines = [
        Line((("Họ, chữ đệm, tên", child.full_name),), strong=True),
        _birth_line(child),
        _in_words(child.birth_date),
        _origin_line(child, sex=True),
        Line((("Nơi sinh", child.birth_place),)),
        Line((("Quê quán", child.hometown),)),
        Line((("Số định danh cá nhân", child.pin),)),
        *_person(mother, "Họ, chữ đệm, tên người mẹ", pin=False),
        *_person(father, "Họ, chữ đệm, tên người cha", pin=False),
    ]
    return lines, child, "Ngày sinh", _d(child.birth_date)


def _marriage(record: CivilRecord, people: _People) -> tuple[list[Line], Party, str, str]:
    husband, wife = people.get(PartyRole.HUSBAND), people.get(PartyRole.WIFE)
    lines = [
        *_person(husband, "Họ, chữ đệm, tên người chồng", document=True),
        *_person(wife, "Họ, chữ đệm, tên người vợ", document=True),
    ]
    return lines, husband, "Ngày đăng ký kết hôn", _d(record.registration_date)


def _death(record: CivilRecord, people: _People) -> tuple[list[Line], Party, str, str]:
    dead, declarant = people.get(PartyRole.DECEASED), people.get(PartyRole.DECLARANT)
    details = record.details or {}
    time = record.event_time
    if time and ":" in time:
        hours, minutes = time.split(":", 1)
        time = f"{hours} giờ {minutes} phút"
    notice_date = details.get("notice_date", "")
    notice = ", ".join(
        part
        for part in (
            paper_words(EventType.DEATH, "notice_type", details.get("notice_type", "")),
            f"số {details['notice_no']}" if details.get("notice_no") else "",
            f"ngày {notice_date}" if notice_date else "",
            f"do {details['notice_issuer']} cấp" if details.get("notice_issuer") else "",
        )
        if part
    )
    lines = [
        Line((("Họ, chữ đệm, tên người đã chết", dead.full_name),), strong=True),
        _birth_line(dead),
        _origin_line(dead, sex=True),
        Line((("Số định danh cá nhân", dead.pin),)),
        Line((("Nơi cư trú cuối cùng", dead.residence),)),
        Line((("Đã chết vào lúc", time), ("ngày", _d(record.event_date)))),
        _in_words(record.event_date),
        Line((("Nơi chết", record.event_place),)),
        Line((("Nguyên nhân chết", record.event_cause),)),
        Line((("Giấy báo tử/Giấy tờ thay thế Giấy báo tử", notice),)),
        Line((("Họ, chữ đệm, tên người đi khai tử", declarant.full_name),)),
        Line((("Quan hệ với người đã chết", details.get("declarant_relationship", "")),)),
        Line((("Giấy tờ tùy thân", declarant.id_document),)),
    ]
    return lines, dead, "Ngày chết", _d(record.event_date)


def _two_people(
    first_role: str, first_label: str, second_role: str, second_label: str, relation: tuple[str, str] | None
):
    """Two people's blocks, then `relation` = (label, details key) printed in the paper's words."""

    def build(record: CivilRecord, people: _People) -> tuple[list[Line], Party, str, str]:
        first, second = people.get(first_role), people.get(second_role)
        lines = [
            *_person(first, first_label, document=True),
            *_person(second, second_label, sex=True),
        ]
        if relation:
            label, key = relation
            value = (record.details or {}).get(key, "")
            lines.append(Line(((label, paper_words(record.event_type, key, value)),)))
        return lines, second, "Ngày đăng ký", _d(record.registration_date)

    return build


def _amendment(record: CivilRecord, people: _People) -> tuple[list[Line], Party, str, str]:
    subject, requester = people.get(PartyRole.SUBJECT), people.get(PartyRole.REQUESTER)
    details = record.details or {}
    lines = [
        *_person(subject, "Họ, chữ đệm, tên người được thay đổi, cải chính, bổ sung", sex=True),
        Line((("Nội dung", paper_words(EventType.AMENDMENT, "kind", details.get("kind", ""))),)),
        Line((("Việc hộ tịch được thay đổi, cải chính, bổ sung", details.get("amended_registration", "")),)),
        Line((("Từ", details.get("content_before", "")), ("thành", details.get("content_after", "")))),
        Line((("Căn cứ", details.get("basis", "")),)),
        Line((("Họ, chữ đệm, tên người yêu cầu", requester.full_name),)),
        Line((("Giấy tờ tùy thân", requester.id_document),)),
    ]
    return lines, subject, "Ngày đăng ký", _d(record.registration_date)


def _divorce(record: CivilRecord, people: _People) -> tuple[list[Line], Party, str, str]:
    husband, wife = people.get(PartyRole.HUSBAND), people.get(PartyRole.WIFE)
    details = record.details or {}
    judgment_date = parse_partial_date(details.get("judgment_date", ""))
    lines = [
        *_person(husband, "Họ, chữ đệm, tên người chồng", document=True),
        *_person(wife, "Họ, chữ đệm, tên người vợ", document=True),
        Line(
            (
                ("Đã ly hôn theo bản án/quyết định số", details.get("judgment_no", "")),
                ("ngày", _d(judgment_date)),
            )
        ),
        _in_words(judgment_date),
        Line((("Cơ quan giải quyết", details.get("judgment_authority", "")),)),
        Line((("Quốc gia", details.get("judgment_country", "")),)),
    ]
    return lines, husband, "Ngày bản án/quyết định", _d(judgment_date)


def _marital_status(record: CivilRecord, people: _People) -> tuple[list[Line], Party, str, str]:
    subject = people.get(PartyRole.SUBJECT)
    details = record.details or {}
    lines = [
        *_person(subject, "Họ, chữ đệm, tên", sex=True, document=True),
        Line((("Tình trạng hôn nhân", details.get("marital_status", "")),)),
        Line((("Mục đích sử dụng", details.get("purpose", "")),)),
        Line((("Có giá trị đến ngày", details.get("valid_until", "")),)),
    ]
    return lines, subject, "Ngày cấp", _d(record.registration_date)


def _adoption(record: CivilRecord, people: _People) -> tuple[list[Line], Party, str, str]:
    child = people.get(PartyRole.ADOPTEE)
    lines = [
        *_person(child, "Họ, chữ đệm, tên người được nhận làm con nuôi", sex=True),
        *_person(
            people.get(PartyRole.ADOPTIVE_FATHER), "Họ, chữ đệm, tên cha nuôi", pin=False, document=True
        ),
        *_person(people.get(PartyRole.ADOPTIVE_MOTHER), "Họ, chữ đệm, tên mẹ nuôi", pin=False, document=True),
    ]
    return lines, child, "Ngày đăng ký", _d(record.registration_date)


BUILDERS: dict[str, Callable[[CivilRecord, _People], tuple[list[Line], Party, str, str]]] = {
    EventType.BIRTH: _birth,
    EventType.MARRIAGE: _marriage,
    EventType.DEATH: _death,
    EventType.PARENTAGE: _two_people(
        PartyRole.PARENT,
        "Họ, chữ đệm, tên người nhận",
        PartyRole.CHILD,
        "Họ, chữ đệm, tên người được nhận",
        ("Nội dung", "kind"),
    ),
    EventType.GUARDIANSHIP: _two_people(
        PartyRole.GUARDIAN,
        "Họ, chữ đệm, tên người giám hộ",
        PartyRole.WARD,
        "Họ, chữ đệm, tên người được giám hộ",
        ("Hình thức giám hộ", "kind"),
    ),
    EventType.GUARDIANSHIP_END: _two_people(
        PartyRole.GUARDIAN,
        "Họ, chữ đệm, tên người giám hộ",
        PartyRole.WARD,
        "Họ, chữ đệm, tên người được giám hộ",
        ("Lý do chấm dứt giám hộ", "reason"),
    ),
    EventType.AMENDMENT: _amendment,
    EventType.DIVORCE_NOTE: _divorce,
    EventType.MARITAL_STATUS: _marital_status,
    EventType.ADOPTION: _adoption,
}

# Types whose key date is the registration itself: print it in words with the registration.
_REGISTRATION_IN_WORDS = {
    EventType.MARRIAGE,
    EventType.PARENTAGE,
    EventType.GUARDIANSHIP,
    EventType.GUARDIANSHIP_END,
    EventType.AMENDMENT,
    EventType.MARITAL_STATUS,
    EventType.ADOPTION,
}


def extract_content(record: CivilRecord, *, notes: Sequence[str] = ()) -> ExtractContent:
    """The printed content of the record's extract; `notes` are later amendments to print under Ghi chú."""
    kind = KINDS[record.event_type]
    people = _People(record)
    lines, subject, key_label, key_date = BUILDERS[record.event_type](record, people)
    lines += _registration(record, kind, in_words=record.event_type in _REGISTRATION_IN_WORDS)
    all_notes = tuple(n for n in (record.note.strip(), *notes) if n)
    return ExtractContent(
        event_type=record.event_type,
        kind=kind,
        lines=tuple(lines),
        notes=all_notes,
        subject_name=subject.full_name,
        key_date_label=key_label,
        key_date=key_date,
    )
