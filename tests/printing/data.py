"""Entry data for one case of every event type, full of Vietnamese diacritics."""

from __future__ import annotations

from registry.event_fields import ROLE_SEX, spec_for
from registry.models import EventType
from registry.record_data import RecordInput

COMMON = {
    "registration_place": "Ủy ban nhân dân xã An, huyện Một, tỉnh Thử",
    "signer_name": "Lê Văn Cường",
    "signer_title": "Chủ tịch",
    "performer_name": "Đỗ Thị Hạnh",
}


def _p(name, sex, birth, **more):
    return {"full_name": name, "sex": sex, "birth_date": birth, **more}


PEOPLE = {
    "subject": _p(
        "Nguyễn Thị Thuỷ Tiên",
        2,
        "15/04/2020",
        birth_place="Trạm y tế xã An, huyện Một, tỉnh Thử",
        hometown="Xã Hòa Mạc, huyện Duy Tiên, tỉnh Hà Nam",
        ethnicity="Kinh",
        nationality="Việt Nam",
        pin="035320001234",
    ),
    "mother": _p(
        "Trần Thị Hương", 2, "1995", ethnicity="Tày", nationality="Việt Nam", residence="Thôn Đông, xã An"
    ),
    "father": _p(
        "Nguyễn Đức Khoa", 1, "1990", ethnicity="Kinh", nationality="Việt Nam", residence="Thôn Đông, xã An"
    ),
    "husband": _p(
        "Phạm Quang Dũng",
        1,
        "12/09/1985",
        ethnicity="Kinh",
        nationality="Việt Nam",
        residence="Số 5 phố Lê Lợi, phường Quang Trung",
        id_document="CCCD 035085001111",
    ),
    "wife": _p(
        "Vũ Ngọc Hoà",
        2,
        "01/01/1988",
        ethnicity="Mường",
        nationality="Việt Nam",
        residence="Xóm Thượng, xã Mộc Hoàn",
        id_document="CCCD 035188002222",
    ),
    "deceased": _p(
        "Hoàng Văn Được",
        1,
        "1931",
        ethnicity="Kinh",
        nationality="Việt Nam",
        pin="035031009876",
        residence="Xóm Giữa, xã An",
    ),
    # A declarant or requester: the register writes the name, residence and identity paper only.
    "declarant": {"full_name": "Hoàng Thị Nguyệt", "id_document": "CCCD 035160003333"},
    "guardian": _p(
        "Bùi Thị Lựu",
        2,
        "1970",
        ethnicity="Kinh",
        nationality="Việt Nam",
        residence="Thôn Bắc, xã An",
        id_document="CCCD 035170004444",
    ),
    "ward": _p(
        "Bùi Minh Đức", 1, "03/03/2015", ethnicity="Kinh", nationality="Việt Nam", residence="Thôn Bắc, xã An"
    ),
    "parent": _p(
        "Đặng Hữu Phúc",
        1,
        "1980",
        ethnicity="Kinh",
        nationality="Việt Nam",
        residence="Thôn Nam, xã An",
        id_document="CCCD 035080005555",
    ),
    "child": _p(
        "Đặng Thu Hằng",
        2,
        "20/10/2010",
        ethnicity="Kinh",
        nationality="Việt Nam",
        residence="Thôn Nam, xã An",
    ),
    "requester": {"full_name": "Ngô Thị Kim", "id_document": "CCCD 035175006666"},
    "adoptee": _p(
        "Lý Gia Bảo", 1, "25/12/2019", ethnicity="Kinh", nationality="Việt Nam", residence="Thôn Tây, xã An"
    ),
    "adoptive_father": _p(
        "Lý Văn Tuấn",
        1,
        "1982",
        ethnicity="Kinh",
        nationality="Việt Nam",
        residence="Thôn Tây, xã An",
        id_document="CCCD 035082007777",
    ),
    "adoptive_mother": _p(
        "Mai Thị Lan",
        2,
        "1984",
        ethnicity="Kinh",
        nationality="Việt Nam",
        residence="Thôn Tây, xã An",
        id_document="CCCD 035184008888",
    ),
}

ROLES: dict[str, tuple[str, ...]] = {
    EventType.BIRTH: ("subject", "mother", "father"),
    EventType.MARRIAGE: ("husband", "wife"),
    EventType.DEATH: ("deceased", "declarant"),
    EventType.PARENTAGE: ("parent", "child"),
    EventType.GUARDIANSHIP: ("guardian", "ward"),
    EventType.GUARDIANSHIP_END: ("guardian", "ward"),
    EventType.AMENDMENT: ("subject", "requester"),
    EventType.DIVORCE_NOTE: ("husband", "wife"),
    EventType.MARITAL_STATUS: ("subject",),
    EventType.ADOPTION: ("adoptee", "adoptive_father", "adoptive_mother"),
}

DETAILS: dict[str, dict[str, str]] = {
    EventType.DEATH: {
        "notice_type": "notice",
        "notice_no": "12/GBT",
        "notice_date": "05/01/2021",
        "notice_issuer": "Trạm y tế xã An",
        "declarant_relationship": "Con",
    },
    EventType.PARENTAGE: {"kind": "father_child"},
    EventType.GUARDIANSHIP: {"kind": "appointed", "reason": "Cha mẹ đều đã chết"},
    EventType.GUARDIANSHIP_END: {"reason": "Người được giám hộ đã thành niên"},
    EventType.AMENDMENT: {
        "kind": "correction",
        "amended_registration": "Khai sinh, quyển 01, số 15, ngày 20/04/2020",
        "content_before": "Họ, chữ đệm, tên: Nguyễn Thuỷ Tiên",
        "content_after": "Họ, chữ đệm, tên: Nguyễn Thị Thuỷ Tiên",
        "basis": "Sai sót khi đăng ký",
    },
    EventType.DIVORCE_NOTE: {
        "judgment_no": "45/2021/QĐST-HNGĐ",
        "judgment_date": "30/12/2020",
        "judgment_authority": "Tòa án nhân dân huyện Một",
        "judgment_country": "Việt Nam",
    },
    EventType.MARITAL_STATUS: {
        "marital_status": "Chưa đăng ký kết hôn với ai",
        "purpose": "Đăng ký kết hôn",
        "valid_until": "10/07/2021",
    },
}

EVENTS: dict[str, dict[str, str]] = {
    EventType.DEATH: {
        "event_date": "04/01/2021",
        "event_time": "07:30",
        "event_place": "Tại nhà, xóm Giữa, xã An",
        "event_cause": "Tuổi già",
    },
}


def extract_input(
    event_type: str, *, reg: str = "10/01/2021", note: str = "", given_name: str = ""
) -> RecordInput:
    """A complete case of `event_type` as a clerk would key it; `given_name` makes another person (no PIN)."""
    event = dict(EVENTS.get(event_type, {}))
    event_date = event.pop("event_date", "")
    parties = {}
    written = spec_for(event_type).parties
    for role in ROLES[event_type]:
        # One person may serve several registers (the birth's child is the amendment's subject):
        # each register keys only what it writes about the role.
        person = {
            k: v for k, v in PEOPLE[role].items() if k in written[role] or (k == "sex" and role in ROLE_SEX)
        }
        if given_name and role == ROLES[event_type][0]:
            person["full_name"] = person["full_name"].rsplit(" ", 1)[0] + " " + given_name
            person["pin"] = ""
        parties[role] = person
    return RecordInput(
        registration_date=reg,
        registration_type=1,
        page_no=3,
        event_date=event_date,
        text={**COMMON, **event, "note": note},
        details=dict(DETAILS.get(event_type, {})),
        parties=parties,
    )


# What the counter clerk types for an issue.
ISSUE = {
    "requester_name": "Trần Thị Hương",
    "requester_document": "CCCD 035195000111",
    "relationship": "Mẹ",
    "signer_title": "Phó Chủ tịch",
    "signer_name": "Trịnh Thị Ngọc Ánh",
}
