"""Demo data: one legacy province (Hà Nam) with two districts of three communes each,
one user per role per level, books of several types and years, and records in every
state with small generated scans. Idempotent: a second run changes nothing.

The passwords are for the demo only and are printed in the README.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
from dataclasses import dataclass
from typing import Any

import img2pdf
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from contracts import services as contracts
from permissions.roles import Role
from permissions.services import role_grant
from registry.book_condition import ConditionChecklist
from registry.models import AdministrativeUnit, CivilRecord, EventType, RegisterBook, UnitEra, UnitLevel
from registry.record_data import RecordInput
from registry.services import (
    book_double_keying_set,
    book_register,
    book_slots_add,
    unit_create,
    units_rebuild_paths,
)
from scans.intake import scan_store
from workflows import services as wf

DEMO_PASSWORD = "demo12345"  # noqa: S105 - demo accounts only, printed in the README
# The authenticator key of every demo user whose role requires a code (README: "Demo accounts"):
# base32 MNUXM4TFM4WWIZLNN4WXI33UOAWWWZLZ for an authenticator app, or `manage.py totp_code <user>`.
DEMO_TOTP_KEY = b"civreg-demo-totp-key".hex()

# Codes of the pre-2025 tree (as in vietnam-provinces 0.6.0), so that a loaded tree is reused.
PROVINCE = ("35", "Tỉnh Hà Nam")
DISTRICTS = {
    ("347", "Thành phố Phủ Lý"): [
        ("13285", "Phường Quang Trung"),
        ("13291", "Phường Lê Hồng Phong"),
        ("13294", "Phường Châu Cầu"),
    ],
    ("349", "Thị xã Duy Tiên"): [
        ("13321", "Phường Đồng Văn"),
        ("13324", "Phường Hòa Mạc"),
        ("13327", "Xã Mộc Hoàn"),
    ],
}

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Kim"]
GIVEN_M = ["Hùng", "Dũng", "Tuấn", "Nam", "Hải", "Long", "Khoa", "Phúc"]
GIVEN_F = ["Hoà", "Lan", "Hương", "Mai", "Thuỷ", "Linh", "Hạnh", "Nga"]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    unit_code: str
    level: str
    name: str


def _units() -> dict[str, AdministrativeUnit]:
    def get_or_make(
        code: str, name: str, level: str, parent: AdministrativeUnit | None
    ) -> AdministrativeUnit:
        unit = AdministrativeUnit.objects.filter(era=UnitEra.LEGACY, level=level, code=code).first()
        return unit or unit_create(
            code=code,
            name=name,
            level=level,
            parent=parent,
            era=UnitEra.LEGACY,
            valid_to=dt.date(2025, 6, 30),
        )

    units = {}
    province = get_or_make(*PROVINCE, UnitLevel.PROVINCE, None)
    units[PROVINCE[0]] = province
    for (dcode, dname), communes in DISTRICTS.items():
        district = get_or_make(dcode, dname, UnitLevel.DISTRICT, province)
        units[dcode] = district
        for ccode, cname in communes:
            units[ccode] = get_or_make(ccode, cname, UnitLevel.COMMUNE, district)
    units_rebuild_paths()
    for unit in units.values():
        unit.refresh_from_db()
    return units


COMMUNE_1, COMMUNE_2, DISTRICT_1 = "13285", "13291", "347"

DEMO_USERS = [
    DemoUser("admin.tinh", Role.PROVINCE_ADMIN, PROVINCE[0], "province", "Quản trị Sở Tư pháp"),
    DemoUser("approver.tinh", Role.APPROVER, PROVINCE[0], "province", "Lãnh đạo Sở (phê duyệt)"),
    DemoUser("reviewer.tinh", Role.REVIEWER, PROVINCE[0], "province", "Chuyên viên Sở (kiểm tra)"),
    DemoUser("clerk.tinh", Role.CLERK, PROVINCE[0], "province", "Chuyên viên Sở (số hoá)"),
    DemoUser("counter.tinh", Role.COUNTER_CLERK, PROVINCE[0], "province", "Một cửa Sở"),
    DemoUser("auditor.tinh", Role.AUDITOR, PROVINCE[0], "province", "Thanh tra Sở"),
    DemoUser("contractor.tinh", Role.CONTRACTOR, PROVINCE[0], "province", "Nhà thầu số hoá"),
    DemoUser("approver.huyen", Role.APPROVER, DISTRICT_1, "district", "Trưởng phòng Tư pháp Phủ Lý"),
    DemoUser("reviewer.huyen", Role.REVIEWER, DISTRICT_1, "district", "Chuyên viên Phòng Tư pháp (kiểm tra)"),
    DemoUser("clerk.huyen", Role.CLERK, DISTRICT_1, "district", "Chuyên viên Phòng Tư pháp (số hoá)"),
    DemoUser("counter.huyen", Role.COUNTER_CLERK, DISTRICT_1, "district", "Một cửa Phủ Lý"),
    DemoUser("auditor.huyen", Role.AUDITOR, DISTRICT_1, "district", "Kiểm soát Phủ Lý"),
    DemoUser("contractor.huyen", Role.CONTRACTOR, DISTRICT_1, "district", "Nhân viên nhà thầu Phủ Lý"),
    DemoUser("approver.xa", Role.APPROVER, COMMUNE_1, "commune", "Chủ tịch UBND P. Quang Trung"),
    DemoUser("reviewer.xa", Role.REVIEWER, COMMUNE_1, "commune", "Công chức tư pháp (kiểm tra)"),
    DemoUser("clerk.xa", Role.CLERK, COMMUNE_1, "commune", "Công chức tư pháp (số hoá)"),
    DemoUser("counter.xa", Role.COUNTER_CLERK, COMMUNE_1, "commune", "Bộ phận một cửa Quang Trung"),
    DemoUser("auditor.xa", Role.AUDITOR, COMMUNE_1, "commune", "Kiểm soát Quang Trung"),
    DemoUser("contractor.xa", Role.CONTRACTOR, COMMUNE_1, "commune", "Nhân viên nhà thầu Quang Trung"),
    DemoUser("clerk.xa2", Role.CLERK, COMMUNE_2, "commune", "Công chức tư pháp P. Lê Hồng Phong"),
    DemoUser("reviewer.xa2", Role.REVIEWER, COMMUNE_2, "commune", "Kiểm tra P. Lê Hồng Phong"),
    DemoUser("approver.xa2", Role.APPROVER, COMMUNE_2, "commune", "Chủ tịch UBND P. Lê Hồng Phong"),
]


def demo_scan_pdf(*, title: str, lines: list[str]) -> bytes:
    """A small one-page grayscale 'scan' (A4 at 100 dpi) with the case written on it."""
    image = Image.new("L", (827, 1169), 246)
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 797, 1139), outline=120, width=2)
    draw.text((60, 60), title, fill=20)
    for i, line in enumerate(lines):
        draw.text((60, 110 + 26 * i), line, fill=40)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return img2pdf.convert(
        buffer.getvalue(), layout_fun=img2pdf.get_layout_fun((img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297)))
    )


def _ascii(text: str) -> str:
    from vietnamese.names import name_key

    return name_key(text).title()


def _person(rng: random.Random, sex: int) -> str:
    if sex == 1:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"


def demo_record_input(record: CivilRecord, rng: random.Random) -> RecordInput:
    """Plausible data for a case of the record's type and year."""
    year = record.book.year
    reg = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
    text = {
        "registration_place": f"UBND {record.unit.name}",
        "signer_name": "Trần Văn Bình",
        "signer_title": "Chủ tịch",
        "performer_name": "Lê Thị Hạnh",
    }
    parties: dict[str, dict] = {}
    event_date = ""
    if record.event_type == EventType.BIRTH:
        sex = rng.choice([1, 2])
        born = reg - dt.timedelta(days=rng.randint(5, 50))
        family = rng.choice(FAMILY)
        parties = {
            "subject": {
                "full_name": f"{family} {_person(rng, sex).split(' ', 1)[1]}",
                "sex": sex,
                "birth_date": born.strftime("%d/%m/%Y"),
                "birth_place": "Trạm y tế " + record.unit.name,
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
            },
            "mother": {
                "full_name": _person(rng, 2),
                "sex": 2,
                "birth_date": str(year - rng.randint(20, 35)),
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "residence": record.unit.name,
            },
            "father": {
                "full_name": f"{family} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}",
                "sex": 1,
                "birth_date": str(year - rng.randint(22, 40)),
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "residence": record.unit.name,
            },
        }
    elif record.event_type in (EventType.MARRIAGE, EventType.DIVORCE_NOTE):
        parties = {
            "husband": {
                "full_name": _person(rng, 1),
                "sex": 1,
                "birth_date": str(year - rng.randint(22, 35)),
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "residence": record.unit.name,
            },
            "wife": {
                "full_name": _person(rng, 2),
                "sex": 2,
                "birth_date": str(year - rng.randint(20, 33)),
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "residence": record.unit.name,
            },
        }
    elif record.event_type == EventType.DEATH:
        sex = rng.choice([1, 2])
        died = reg - dt.timedelta(days=rng.randint(1, 20))
        event_date = died.strftime("%d/%m/%Y")
        text.update(
            {
                "event_place": "Tại nhà, " + record.unit.name,
                "event_cause": "Tuổi già",
                "event_time": f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
            }
        )
        parties = {
            "deceased": {
                "full_name": _person(rng, sex),
                "sex": sex,
                "birth_date": str(year - rng.randint(60, 90)),
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "residence": record.unit.name,
            },
            # The death register writes the declarant's name, residence and papers, not their sex.
            "declarant": {"full_name": _person(rng, 1), "residence": record.unit.name},
        }
    else:
        parties = {"subject": {"full_name": _person(rng, 1), "sex": 1, "birth_date": str(year - 30)}}
    as_written: tuple[str, ...] = ()
    if record.event_type == EventType.BIRTH and record.entry_no == AS_WRITTEN_ENTRY:
        # An old book's case that today's rules find implausible (a mother over 60), confirmed by
        # the clerk as written in the book: the reviewer and the approver see it flagged.
        parties["mother"]["birth_date"] = str(year - 64)
        as_written = ("party.mother.birth_date",)
    return RecordInput(
        registration_date=reg.strftime("%d/%m/%Y"),
        registration_type=1,
        page_no=(record.entry_no + 1) // 2,
        event_date=event_date,
        text=text,
        parties=parties,
        as_written=as_written,
    )


# The birth case of each demo book whose mother's age is confirmed "as written in the book" (reviewed).
AS_WRITTEN_ENTRY = 5

# Target state of each demo record, by position in its book.
STATE_PLAN = [
    "transferred",
    "transferred",
    "approved",
    "approved",
    "reviewed",
    "reviewed",
    "attached",
    "attached",
    "entered",
    "entered",
    "scanned",
    "scanned",
    "returned",
    "rejected",
    "collected",
    "collected",
]


@transaction.atomic
def demo_seed(*, stdout=None) -> dict[str, int]:
    """Create the demo if it is not there yet; return what was created."""
    User = get_user_model()
    units = _units()
    created = {"users": 0, "books": 0, "records_moved": 0}
    from printing.esign import signing_keys_ensure  # demo certificates for signed extracts

    signing_keys_ensure(units=list(units.values()))
    users: dict[str, object] = {}
    for spec in DEMO_USERS:
        first, *rest = spec.name.split(" ", 1)
        user, made = User.objects.get_or_create(
            username=spec.username, defaults={"first_name": first, "last_name": rest[0] if rest else ""}
        )
        if made:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            role_grant(user=user, unit=units[spec.unit_code], role=spec.role)
            created["users"] += 1
        users[spec.username] = user
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.invalid", DEMO_PASSWORD)
        created["users"] += 1
    _demo_authenticators()

    if RegisterBook.objects.filter(custodian=units[COMMUNE_1]).exists():
        return created
    rng = random.Random(2025)
    plans = [
        (COMMUNE_1, EventType.BIRTH, 2020, "01", 16, "clerk.xa", "reviewer.xa", "approver.xa"),
        (COMMUNE_1, EventType.MARRIAGE, 2010, "01", 16, "contractor.xa", "reviewer.xa", "approver.xa"),
        (COMMUNE_1, EventType.DEATH, 1998, "01", 16, "clerk.xa", "reviewer.huyen", "approver.xa"),
        (COMMUNE_2, EventType.BIRTH, 2016, "02", 16, "clerk.xa2", "reviewer.xa2", "approver.xa2"),
        (DISTRICT_1, EventType.BIRTH, 2004, "03", 16, "clerk.huyen", "reviewer.huyen", "approver.huyen"),
    ]
    # The condition checklist of a few books, for the condition report (progress › Book condition).
    conditions = {
        (COMMUNE_1, EventType.BIRTH): ("good", ConditionChecklist()),
        (COMMUNE_1, EventType.MARRIAGE): ("worn", ConditionChecklist(faded=True)),
        (COMMUNE_1, EventType.DEATH): (
            "damaged",
            ConditionChecklist(
                torn=True,
                water_damaged=True,
                missing_page_numbers="6-7",
                needs_restoration=True,
                note="Gáy sổ bung, ẩm mốc góc dưới các trang cuối",
            ),
        ),
        (DISTRICT_1, EventType.BIRTH): ("worn", ConditionChecklist(torn=True, faded=True)),
    }
    for code, event_type, year, book_no, n, clerk, reviewer, approver in plans:
        unit = units[code]
        condition, checklist = conditions.get((code, event_type), ("good", None))
        book = book_register(
            custodian=unit,
            event_type=event_type,
            year=year,
            book_no=book_no,
            declared_cases=n,
            declared_pages=n // 2 + 1,
            actor=users["admin.tinh"],
            authority_as_written=f"UBND {unit.name}",
            # One book runs across two years, as old registers do.
            year_to=year + 1 if event_type == EventType.DEATH else None,
            condition=condition,
            checklist=checklist,
        )
        created["books"] += 1
        for record, target in zip(book.records.order_by("entry_no"), STATE_PLAN, strict=False):
            _walk(record, target, rng, users[clerk], users[reviewer], users[approver])
            created["records_moved"] += 1
        if event_type == EventType.DEATH:
            _squeezed_in_and_crossed_out(book, users[clerk])
            created["records_moved"] += 1
    created["records_moved"] += _double_keyed_book(units[COMMUNE_1], users, rng)
    _demo_population_extract(units[COMMUNE_1], users["approver.xa"])
    _demo_contract(units, users)
    from reports.civil_stats import civil_stats_rebuild  # the statistics page has figures at once

    civil_stats_rebuild()
    _demo_person_targets(units, users)
    return created


def _demo_person_targets(units: dict[str, AdministrativeUnit], users: dict[str, Any]) -> None:
    """Daily targets of the commune's clerk and contractor ("rõ việc, rõ người"): the dashboard's ranking."""
    from reports.services import quota_set

    today = timezone.localdate()
    start, end = today.replace(month=1, day=1), today.replace(month=12, day=31)
    for username, action, target in (
        ("clerk.xa", "scan", 5),
        ("clerk.xa", "enter", 5),
        ("contractor.xa", "enter", 8),
        ("contractor.xa", "attach", 8),
    ):
        quota_set(
            unit=units[COMMUNE_1],
            person=users[username],
            action=action,
            target=target,
            start=start,
            end=end,
            actor=users["admin.tinh"],
        )


def _demo_population_extract(unit: AdministrativeUnit, approver) -> None:
    """The commune's population extract: its entered births, one of another ethnicity (the
    police list), and a child the 2020 book may still hold (pending while the book is entered)."""
    from registry.models import Party, PartyRole
    from transfer.reconciliation import population_import

    people = Party.objects.filter(
        record__unit_path__startswith=unit.path,
        record__event_type=EventType.BIRTH,
        role=PartyRole.SUBJECT,
        birth_day__isnull=False,
    ).order_by("record__entry_no")[:6]
    lines = ["hoTen,gioiTinh,ngaySinh,danToc,quocTich"]
    for n, party in enumerate(people):
        born = f"{party.birth_day:02d}/{party.birth_month:02d}/{party.birth_year}"
        lines.append(f"{party.full_name},{party.sex},{born},{'Tày' if n == 0 else 'Kinh'},Việt Nam")
    lines.append("Hoàng Thị Hoa,2,15/04/2020,Kinh,Việt Nam")
    population_import(
        actor=approver, unit=unit, content="\n".join(lines).encode(), filename="csdl-dan-cu-xa-an.csv"
    )


def _demo_contract(units: dict[str, AdministrativeUnit], users: dict[str, Any]) -> None:
    """A digitization contract over the first commune (contractor.xa is its staff) with unit prices,
    and the marriage book the contractor worked handed over as lot 1, its sample drawn (seed 2025)
    and waiting for inspection (Hợp đồng in the Supervision menu)."""
    admin = users["admin.tinh"]
    company = contracts.contractor_create(
        name="Công ty Cổ phần Số hoá Dữ liệu Hà Nam",
        actor=admin,
        tax_code="0700123456",
        representative="Trần Văn Số",
    )
    today = dt.date.today()
    contract = contracts.contract_create(
        contractor=company,
        unit=units[PROVINCE[0]],
        number=f"15/{today.year}/HĐ-STP",
        title="Số hoá sổ hộ tịch xã Quang Trung",
        signed_on=today.replace(day=1),
        starts_on=today.replace(day=1),
        ends_on=today.replace(month=12, day=31),
        units=[units[COMMUNE_1]],
        aql="2.5",
        ceiling=150_000_000,
        actor=admin,
    )
    contracts.contract_staff_add(contract=contract, user=users["contractor.xa"], actor=admin)
    for kind, price in (("case_keyed", 3_500), ("page_scanned", 1_200), ("case_attached", 800)):
        contracts.unit_price_set(contract=contract, kind=kind, price=price, actor=admin)
    worked = CivilRecord.objects.filter(
        unit=units[COMMUNE_1], event_type=EventType.MARRIAGE, scanned_by=users["contractor.xa"]
    )
    lot = contracts.lot_handover(contract=contract, records=worked, actor=users["contractor.xa"])
    contracts.lot_draw_sample(lot=lot, actor=admin, seed=2025)


def _squeezed_in_and_crossed_out(book: RegisterBook, clerk) -> None:
    """A case written between two lines ("8a") that the registrar then crossed out: its slot added
    with the reason, its scan kept, the case digitized as crossed out."""
    (slot,) = book_slots_add(
        book=book, actor=clerk, entry_numbers=["8a"], reason="Trường hợp ghi chen giữa số 8 và số 9"
    )
    pdf = demo_scan_pdf(
        title=f"SO {book.get_event_type_display()} {book.years_label}", lines=["So: 8a (gach bo)"]
    )
    scan_store(record=slot, actor=clerk, content=pdf, original_name="scan-8a.pdf")
    wf.record_scan(record=slot, actor=clerk)
    wf.record_cross_out(record=slot, actor=clerk, reason="Cán bộ hộ tịch gạch bỏ cả dòng, có ký nháy")


def _double_keyed_book(unit: AdministrativeUnit, users: dict, rng: random.Random) -> int:
    """A book keyed twice (workflows.keying): a case where the two keyings agreed (entered), one whose
    keyings differ in the name (waiting for a reviewer's arbitration), one keyed once (waiting for
    the second keying)."""
    from workflows.keying import keying_submit

    book = book_register(
        custodian=unit,
        event_type=EventType.BIRTH,
        year=2021,
        book_no="02",
        declared_cases=3,
        actor=users["admin.tinh"],
        authority_as_written=f"UBND {unit.name}",
    )
    book_double_keying_set(
        book=book, actor=users["admin.tinh"], double_keying=True, reason="Sổ do nhà thầu số hoá: nhập hai lần"
    )
    first, second = users["contractor.xa"], users["clerk.xa"]
    records = list(book.records.order_by("entry_no"))
    for n, record in enumerate(records):
        _walk(record, "scanned", rng, first, None, None)
        record.refresh_from_db()
        data = demo_record_input(record, rng)
        keying_submit(record=record, actor=first, data=data)
        if n == 2:
            continue
        if n == 1:  # the second keyer drops the diacritics of the name
            subject = dict(data.parties["subject"], full_name=_ascii(data.parties["subject"]["full_name"]))
            data = dataclasses.replace(data, parties={**data.parties, "subject": subject})
        keying_submit(record=record, actor=second, data=data)
    return len(records)


def _demo_authenticators() -> None:
    """A confirmed authenticator with the documented key for each demo user who must give a code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.second_factor import otp_required_for

    for user in get_user_model().objects.filter(username__in=[u.username for u in DEMO_USERS] + ["admin"]):
        if otp_required_for(user) and not TOTPDevice.objects.filter(user=user).exists():
            TOTPDevice.objects.create(user=user, name="Demo", key=DEMO_TOTP_KEY, confirmed=True)


def _walk(record: CivilRecord, target: str, rng: random.Random, clerk, reviewer, approver) -> None:
    if target == "collected":
        return
    if target == "rejected":
        wf.record_reject(record=record, actor=approver, reason="Trang trống, không phải trường hợp đăng ký")
        return
    data = demo_record_input(record, rng)
    subject = next(iter(data.parties.values()))["full_name"]
    pdf = demo_scan_pdf(
        title=f"SO {record.book.get_event_type_display()} {record.book.year} - QUYEN {record.book.book_no}",
        lines=[
            f"So: {record.entry_no}",
            f"Ho ten: {_ascii(subject)}",
            f"Ngay dang ky: {data.registration_date}",
        ],
    )
    scan_store(record=record, actor=clerk, content=pdf, original_name=f"scan-{record.entry_no}.pdf")
    wf.record_scan(record=record, actor=clerk)
    if target == "scanned":
        return
    wf.record_enter(record=record, actor=clerk, data=data)
    if target == "entered":
        return
    wf.record_attach(record=record, actor=clerk)
    if target == "attached":
        return
    if target == "returned":
        wf.record_return(
            record=record,
            actor=reviewer,
            reason="Ngày sinh không khớp với bản quét",
            remarks={"subject.birth_date": "Xem lại ngày sinh ở dòng 3"},
        )
        return
    wf.record_review(record=record, actor=reviewer)
    if target == "reviewed":
        return
    wf.record_approve(record=record, actor=approver)
    if target == "approved":
        return
    wf.record_transfer(record=record, receipt=f"DEMO-{record.pk}")
