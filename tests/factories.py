"""Test data builders. Writes go through the project's services, as in production."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import factory
from django.contrib.auth import get_user_model

from config.demo import demo_scan_pdf
from permissions.roles import Role
from permissions.services import role_grant
from registry.models import AdministrativeUnit, CivilRecord, EventType, RegisterBook
from registry.record_data import RecordInput
from registry.services import book_register, unit_create
from scans.intake import scan_store
from workflows import services as wf

_codes = itertools.count(90000)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")


def letters(number: int) -> str:
    """A name-safe tag for a number: 123 -> 'Bcd'."""
    return "".join("abcdefghij"[int(d)] for d in str(number)).capitalize()


def make_unit(name: str, level: str, parent: AdministrativeUnit | None = None) -> AdministrativeUnit:
    return unit_create(code=str(next(_codes)), name=name, level=level, parent=parent)


def make_user(username: str, role: str | None = None, unit: AdministrativeUnit | None = None):
    user = UserFactory(username=username)
    if role and unit:
        role_grant(user=user, unit=unit, role=role)
    return user


def birth_input(
    name: str = "Nguyễn Văn An",
    *,
    birth: str = "02/03/2020",
    reg: str = "10/03/2020",
    mother: str = "Trần Thị Bình",
    pin: str = "",
    sex: int = 1,
) -> RecordInput:
    return RecordInput(
        registration_date=reg,
        registration_type=1,
        text={"registration_place": "UBND xã", "signer_name": "Lê Văn Cường", "signer_title": "Chủ tịch"},
        parties={
            "subject": {
                "full_name": name,
                "sex": sex,
                "birth_date": birth,
                "pin": pin,
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
            },
            "mother": {"full_name": mother, "sex": 2, "birth_date": "1995"},
            "father": {"full_name": "Nguyễn Văn Dũng", "sex": 1, "birth_date": "1990"},
        },
    )


_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý", "Hồ"]
_GIVEN = [
    "Khang",
    "Bảo",
    "Minh",
    "Phúc",
    "Thịnh",
    "Quân",
    "Tùng",
    "Hiếu",
    "Lộc",
    "Sơn",
    "Toàn",
    "Vinh",
    "Duy",
]
_MOTHER = ["Mai", "Lan", "Hương", "Thảo", "Ngọc", "Yến", "Trang", "Nhung", "Oanh", "Quyên", "Vân"]


def distinct_birth_input(n: int) -> RecordInput:
    """A birth unlike any other the factories make (name, birth date and mother differ), so that
    records made for tests are not likely duplicates of each other."""
    family, given = _FAMILY[n % len(_FAMILY)], _GIVEN[(n // len(_FAMILY)) % len(_GIVEN)]
    mother = f"{_FAMILY[(n + 5) % len(_FAMILY)]} Thị {_MOTHER[n % len(_MOTHER)]}"
    born = f"{1 + n % 28:02d}/{1 + (n // 28) % 2:02d}/2020"
    return birth_input(f"{family} {letters(n)} {given}", birth=born, mother=mother)


@dataclass
class World:
    """A province with two districts; commune A and B under district 1, C under district 2."""

    province: AdministrativeUnit
    district1: AdministrativeUnit
    district2: AdministrativeUnit
    commune_a: AdministrativeUnit
    commune_b: AdministrativeUnit
    commune_c: AdministrativeUnit
    users: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def book(
        self,
        unit: AdministrativeUnit | None = None,
        *,
        event_type: str = EventType.BIRTH,
        year: int = 2020,
        cases: int = 3,
        book_no: str | None = None,
    ) -> RegisterBook:
        return book_register(
            custodian=unit or self.commune_a,
            event_type=event_type,
            year=year,
            book_no=book_no or str(next(_codes)),
            declared_cases=cases,
            actor=self.admin,
        )

    def record(
        self,
        state: str = "collected",
        unit: AdministrativeUnit | None = None,
        *,
        data: RecordInput | None = None,
        event_type: str = EventType.BIRTH,
    ) -> CivilRecord:
        """A record walked to `state` by the usual people of its commune, in its registration year's book."""
        from registry.partial_dates import parse_partial_date

        year = (parse_partial_date(data.registration_date).year if data else None) or 2020
        book = self.book(unit, event_type=event_type, cases=1, year=year)
        record = book.records.get()
        return self.walk(record, state, data=data)

    def walk(self, record: CivilRecord, state: str, *, data: RecordInput | None = None) -> CivilRecord:
        order = ["collected", "scanned", "entered", "attached", "reviewed", "approved", "transferred"]
        target = order.index(state)
        district_level = record.competence == "district"
        clerk = self.clerk_d1 if district_level else self.clerk
        if target >= 1:
            scan_store(record=record, actor=clerk, content=demo_scan_pdf(title="TEST", lines=["1"]))
            wf.record_scan(record=record, actor=clerk)
        if target >= 2:
            wf.record_enter(record=record, actor=clerk, data=data or distinct_birth_input(record.pk))
        if target >= 3:
            wf.record_attach(record=record, actor=clerk)
        if target >= 4:
            wf.record_review(record=record, actor=self.reviewer_d1 if district_level else self.reviewer)
        if target >= 5:
            wf.record_approve(record=record, actor=self.approver_d1 if district_level else self.approver)
        if target >= 6:
            wf.record_transfer(record=record, receipt="TEST")
        record.refresh_from_db()
        return record


def make_world() -> World:
    province = make_unit("Tỉnh Thử", "province")
    district1 = make_unit("Huyện Một", "district", province)
    district2 = make_unit("Huyện Hai", "district", province)
    commune_a = make_unit("Xã An", "commune", district1)
    commune_b = make_unit("Xã Bình", "commune", district1)
    commune_c = make_unit("Xã Cát", "commune", district2)
    world = World(province, district1, district2, commune_a, commune_b, commune_c)
    world.users = {
        "admin": make_user("admin_p", Role.PROVINCE_ADMIN, province),
        "clerk": make_user("clerk_a", Role.CLERK, commune_a),
        "clerk2": make_user("clerk2_a", Role.CLERK, commune_a),
        "reviewer": make_user("reviewer_a", Role.REVIEWER, commune_a),
        "approver": make_user("approver_a", Role.APPROVER, commune_a),
        "counter": make_user("counter_a", Role.COUNTER_CLERK, commune_a),
        "outsider": make_user("clerk_b", Role.CLERK, commune_b),
        "approver_b": make_user("approver_b", Role.APPROVER, commune_b),
        "clerk_d1": make_user("clerk_d1", Role.CLERK, district1),
        "approver_d1": make_user("approver_d1", Role.APPROVER, district1),
        "reviewer_d1": make_user("reviewer_d1", Role.REVIEWER, district1),
        "auditor": make_user("auditor_p", Role.AUDITOR, province),
        "nobody": make_user("nobody"),
    }
    return world


# --- one valid case per event type (registered 10/03/2020, a book of 2020) -------------------------

_PEOPLE = {
    "husband": {
        "full_name": "Trần Văn Hùng",
        "birth_date": "12/05/1990",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence": "Xã An",
    },
    "wife": {
        "full_name": "Lê Thị Hoà",
        "birth_date": "1993",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence": "Xã An",
    },
    # A recognizing parent or a guardian: the registers write no sex for them (Circular 04/2020 forms).
    "adult_m": {"full_name": "Phạm Văn Minh", "birth_date": "1980", "residence": "Xã An"},
    "adult_f": {"full_name": "Đỗ Thị Lan", "sex": 2, "birth_date": "03/1982", "residence": "Xã An"},
    # A child adopted (its place of birth is written) ...
    "child": {"full_name": "Phạm Ngọc Ánh", "sex": 2, "birth_date": "14/07/2012", "birth_place": "Xã An"},
    # ... and a ward (sex, residence) or a recognized child (residence, no sex).
    "ward": {"full_name": "Phạm Ngọc Ánh", "sex": 2, "birth_date": "14/07/2012", "residence": "Xã An"},
    "recognized": {"full_name": "Phạm Ngọc Ánh", "birth_date": "14/07/2012", "residence": "Xã An"},
}

EVENT_CASES: dict[str, dict[str, Any]] = {
    "birth": {},
    "marriage": {"parties": {"husband": _PEOPLE["husband"], "wife": _PEOPLE["wife"]}},
    "death": {
        "event_date": "01/03/2020",
        "text": {"event_time": "07:30", "event_place": "Tại nhà", "event_cause": "Tuổi già"},
        "details": {
            "notice_type": "notice",
            "notice_no": "12/GBT",
            "notice_date": "02/03/2020",
            "notice_issuer": "Trạm y tế xã An",
            "declarant_relationship": "Con",
        },
        "parties": {
            "deceased": {"full_name": "Nguyễn Văn Lực", "sex": 1, "birth_date": "1940", "residence": "Xã An"},
            "declarant": {"full_name": "Nguyễn Văn Tài", "residence": "Xã An"},
        },
    },
    "parentage": {
        "details": {"kind": "father_child"},
        "parties": {"parent": _PEOPLE["adult_m"], "child": _PEOPLE["recognized"]},
    },
    "guardianship": {
        "event_date": "10/03/2020",
        "details": {"kind": "appointed", "reason": "Mồ côi"},
        "parties": {"guardian": _PEOPLE["adult_m"], "ward": _PEOPLE["ward"]},
    },
    "guardianship_end": {
        "event_date": "10/03/2020",
        "details": {"reason": "Người được giám hộ đủ 18 tuổi"},
        "parties": {"guardian": _PEOPLE["adult_m"], "ward": _PEOPLE["ward"]},
    },
    "amendment": {
        "details": {
            "kind": "correction",
            "content_before": "Ngày sinh 12/05/1982",
            "content_after": "Ngày sinh 03/1982",
        },
        "parties": {"subject": _PEOPLE["adult_f"], "requester": {"full_name": "Đỗ Thị Lan"}},
    },
    "divorce_note": {
        "details": {
            "judgment_no": "45/2019/HNGĐ",
            "judgment_date": "20/12/2019",
            "judgment_authority": "Tòa án nhân dân huyện Một",
        },
        "parties": {"husband": _PEOPLE["husband"], "wife": _PEOPLE["wife"]},
    },
    "marital_status": {
        "details": {
            "marital_status": "Chưa đăng ký kết hôn với ai",
            "purpose": "Kết hôn",
            "valid_until": "10/09/2020",
        },
        "parties": {"subject": _PEOPLE["adult_f"]},
    },
    "adoption": {
        "event_date": "10/03/2020",
        "details": {"birth_parents": "Trung tâm bảo trợ xã hội"},
        "parties": {
            "adoptee": _PEOPLE["child"],
            "adoptive_father": {"full_name": "Phạm Văn Minh", "birth_date": "1980"},
            "adoptive_mother": {"full_name": "Đỗ Thị Lan", "birth_date": "1982"},
        },
    },
}

# The main person of each event type (whose birth date the generic rules test).
MAIN_ROLE = {
    "birth": "subject",
    "marriage": "husband",
    "death": "deceased",
    "parentage": "child",
    "guardianship": "ward",
    "guardianship_end": "ward",
    "amendment": "subject",
    "divorce_note": "husband",
    "marital_status": "subject",
    "adoption": "adoptee",
}


def event_input(event_type: str, *, reg: str = "10/03/2020", **changes: Any) -> RecordInput:
    """A valid case of `event_type`; `changes` replace top-level parts (parties, details, text, ...)."""
    if event_type == "birth" and not changes:
        return birth_input(reg=reg)
    case: dict[str, Any] = {
        key: (dict(value) if isinstance(value, dict) else value)
        for key, value in EVENT_CASES[event_type].items()
    }
    if event_type == "birth":
        case = {"parties": birth_input().parties}
    parties = {role: dict(values) for role, values in case.pop("parties").items()}
    text = {
        "registration_place": "UBND xã An",
        "signer_name": "Lê Văn Cường",
        "signer_title": "Chủ tịch",
        **case.pop("text", {}),
    }
    data = RecordInput(registration_date=reg, registration_type=1, text=text, parties=parties, **case)
    for key, value in changes.items():
        setattr(data, key, value)
    return data
