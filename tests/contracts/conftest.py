"""A digitization contract over commune A: the contractor's two staff accounts, unit prices by item
kind (one for a phase), and cases the staff scanned, keyed and attached."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from config.demo import demo_scan_pdf
from contracts import services
from contracts.models import Contract, ItemKind
from permissions.roles import Role
from registry.models import CivilRecord, RegisterBook
from scans.intake import scan_store
from tests.factories import birth_input, letters, make_user
from workflows import services as wf

_PDF = None


def scan_pdf() -> bytes:
    global _PDF
    if _PDF is None:
        _PDF = demo_scan_pdf(title="TEST", lines=["1"])
    return _PDF


def case_input(n: int, year: int):
    """A distinct birth registered in `year` (the book's year)."""
    return birth_input(f"Nguyễn Văn {letters(n)}", birth=f"{1 + n % 28:02d}/02/{year}", reg=f"10/03/{year}")


@dataclass
class ContractWorld:
    world: Any
    contract: Contract
    staff: Any
    staff2: Any

    def book(self, cases: int, *, unit=None, year: int = 2020) -> RegisterBook:
        return self.world.book(unit, cases=cases, year=year)

    def work(self, book: RegisterBook, state: str = "attached", *, by=None) -> list[CivilRecord]:
        """The book's cases scanned (one page), keyed and attached by contractor staff."""
        actor = by or self.staff
        done = []
        for record in book.records.order_by("entry_no"):
            scan_store(record=record, actor=actor, content=scan_pdf())
            wf.record_scan(record=record, actor=actor)
            if state in ("entered", "attached"):
                wf.record_enter(record=record, actor=actor, data=case_input(record.pk, book.year))
            if state == "attached":
                wf.record_attach(record=record, actor=actor)
            record.refresh_from_db()
            done.append(record)
        return done


def make_contract(
    world, *, aql: str = "10", ceiling: int = 50_000_000, number: str = "01/2026/HĐ-STP"
) -> Contract:
    contractor = services.contractor_create(
        name=f"Công ty Số hoá {number}", actor=world.admin, tax_code="0101234567"
    )
    return services.contract_create(
        contractor=contractor,
        unit=world.province,
        number=number,
        title="Số hoá sổ hộ tịch xã An",
        signed_on=dt.date(2026, 1, 5),
        starts_on=dt.date(2026, 1, 10),
        ends_on=dt.date(2026, 12, 31),
        units=[world.commune_a],
        aql=aql,
        ceiling=ceiling,
        actor=world.admin,
    )


@pytest.fixture
def cw(world):
    contract = make_contract(world)
    staff = make_user("nhathau_1", Role.CONTRACTOR, world.commune_a)
    staff2 = make_user("nhathau_2", Role.CONTRACTOR, world.commune_a)
    services.contract_staff_add(contract=contract, user=staff, actor=world.admin)
    services.contract_staff_add(contract=contract, user=staff2, actor=world.admin)
    services.unit_price_set(contract=contract, kind=ItemKind.CASE_KEYED, price=3_500, actor=world.admin)
    services.unit_price_set(contract=contract, kind=ItemKind.PAGE_SCANNED, price=1_200, actor=world.admin)
    services.unit_price_set(contract=contract, kind=ItemKind.CASE_ATTACHED, price=800, actor=world.admin)
    return ContractWorld(world, contract, staff, staff2)
