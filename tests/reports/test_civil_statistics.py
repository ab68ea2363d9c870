"""Statistics on the civil data: the cross tables equal counts made directly from the records."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from openpyxl import load_workbook

from audit.models import AuditEvent
from registry.models import SUBJECT_ROLES, CivilRecord, RegistrationType
from reports.civil_stats import DATA_STATES, civil_stats_rebuild, civil_stats_table
from reports.models import CivilDataSnapshot
from tests.factories import distinct_birth_input, event_input
from tests.reports.conftest import walk
from workflows import services as wf

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world, crew):
    """Births in communes A and B (some late, one re-registered), a death, a marriage, empty slots."""
    made = []
    for unit, n in ((world.commune_a, 4), (world.commune_b, 3)):
        book = world.book(unit, cases=n + 1)  # one slot stays empty: no data, not counted
        for i, record in enumerate(book.records.order_by("entry_no")[:n]):
            data = distinct_birth_input(record.pk)
            if i == 0:
                data.registration_type = RegistrationType.LATE
            if unit == world.commune_b and i == 1:
                data.registration_type = RegistrationType.REREGISTRATION
            walk(record, "scanned", crew)
            wf.record_enter(record=record, actor=crew[unit.pk][0], data=data)
            made.append(record)
    for event_type in ("death", "marriage"):
        book = world.book(world.commune_a, event_type=event_type, cases=1)
        record = walk(book.records.get(), "scanned", crew)
        wf.record_enter(record=record, actor=world.clerk, data=event_input(event_type))
        made.append(record)
    return made


def direct_counts(unit_path: str, key) -> Counter:
    """Count straight from the records and people, the way a statistician would by hand."""
    counts: Counter = Counter()
    query = CivilRecord.objects.filter(unit_path__startswith=unit_path, state__in=DATA_STATES)
    for record in query.prefetch_related("parties"):
        subject = next((p for p in record.parties.order_by("id") if p.role in SUBJECT_ROLES), None)
        counts[key(record, subject)] += 1
    return counts


def test_counts_by_event_type_and_sex_equal_the_records(world, records):
    civil_stats_rebuild()
    table = civil_stats_table(world.province, "event_type", "sex")
    direct = direct_counts(world.province.path, lambda r, s: (r.event_type, s.sex if s else None))
    assert {k: v for k, v in table.cells.items() if v} == dict(direct)
    assert table.total == len(records) == 9
    assert table.column_totals[None] == 1  # the marriage: no person registered, so no sex


def test_counts_by_unit_and_registration_kind_within_a_district(world, records):
    civil_stats_rebuild()
    table = civil_stats_table(world.district1, "unit", "registration_type")
    by_child = {label: table.row_totals[key] for key, label in table.row_keys}
    assert by_child == {"Xã An": 6, "Xã Bình": 3}
    direct = direct_counts(world.district1.path, lambda r, s: (r.unit_id, r.registration_type))
    assert {k: v for k, v in table.cells.items() if v} == dict(direct)
    assert table.cells[(world.commune_b.pk, RegistrationType.REREGISTRATION)] == 1
    # a commune sees only itself
    assert civil_stats_table(world.commune_b, "event_type", "event_type").total == 3


def test_a_change_shows_after_the_next_rebuild_and_the_page_and_export_agree(world, records, client):
    civil_stats_rebuild()
    before = civil_stats_table(world.province, "state", "state").total
    wf.record_attach(record=records[0], actor=world.clerk)
    assert civil_stats_table(world.province, "state", "state").total == before  # the snapshot
    snapshot = civil_stats_rebuild()
    assert CivilDataSnapshot.objects.count() == 1 and snapshot.records == before
    table = civil_stats_table(world.province, "state", "decade")
    assert table.cells[("attached", 2020)] == 1

    client.force_login(world.auditor)
    page = client.get(f"/progress/civil-data/?unit={world.province.pk}&rows=event_type&columns=sex")
    assert page.status_code == 200
    assert page.context["table"].total == 9
    response = client.get(f"/progress/civil-data/xlsx/?unit={world.province.pk}&rows=event_type&columns=sex")
    sheet = load_workbook(io.BytesIO(response.content)).active
    last = [c.value for c in list(sheet.iter_rows())[-1]]
    assert last[0] == "Tổng cộng" and last[-1] == 9
    assert AuditEvent.objects.filter(action="export_civil_statistics", actor=world.auditor).count() == 1


def test_bad_criteria_are_explained_and_outsiders_see_nothing(world, records, client):
    civil_stats_rebuild()
    client.force_login(world.auditor)
    page = client.get(f"/progress/civil-data/?unit={world.province.pk}&year_from=2020&year_to=1990")
    assert page.status_code == 200 and page.context["table"] is None
    assert "swap them" in page.content.decode()
    assert client.get("/progress/civil-data/?rows=nonsense").status_code == 200
    client.force_login(world.outsider)  # commune B's clerk
    assert client.get(f"/progress/civil-data/?unit={world.commune_a.pk}").status_code == 404
