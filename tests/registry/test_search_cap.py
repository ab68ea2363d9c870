"""A name search takes the first people who match (by name) in the user's units, says so when more
match, and never lists a person of another unit; people carry their record's unit path, which the
database keeps right whoever writes them."""

import io

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from config.demo import demo_scan_pdf
from permissions.roles import Role
from registry import search
from registry.models import CivilRecord, Party
from registry.search import RecordQuery, name_capped, records_search
from scans.intake import scan_store
from tests.factories import birth_input, make_user
from workflows import services as wf


@pytest.fixture
def cap_of_two(monkeypatch):
    monkeypatch.setattr(search, "MATCH_CAP", 2)
    monkeypatch.setattr(search.CappedPaginator, "cap", 2)


def born(world, name: str, unit=None, *, mother: str = "Trần Thị Bình") -> CivilRecord:
    """A birth entered through the entry services by a clerk of `unit` (commune A by default)."""
    data = birth_input(name=name, mother=mother)
    if unit is None or unit == world.commune_a:
        return world.record("entered", data=data)
    clerk = world.users.get(f"clerk_{unit.pk}") or make_user(f"clerk_{unit.pk}", Role.CLERK, unit)
    world.users[f"clerk_{unit.pk}"] = clerk
    record = world.book(unit, cases=1).records.get()
    scan_store(record=record, actor=clerk, content=demo_scan_pdf(title="TEST", lines=["1"]))
    wf.record_scan(record=record, actor=clerk)
    wf.record_enter(record=record, actor=clerk, data=data)
    record.refresh_from_db()
    return record


def ids(user, **criteria) -> list[int]:
    return [r.pk for r in records_search(user, RecordQuery(**criteria))]


def test_past_the_cap_the_first_people_by_name_are_listed_and_the_page_says_so(world, cap_of_two):
    c = born(world, "Nguyễn Văn Cường", mother="Lê Thị Mai")
    a = born(world, "Nguyễn Văn An", mother="Lê Thị Mai")
    b = born(world, "Nguyễn Văn Bình", mother="Lê Thị Mai")
    query = RecordQuery(name="nguyen van")
    assert name_capped(world.clerk, query)
    assert sorted(ids(world.clerk, name="nguyen van")) == sorted([a.pk, b.pk])  # An, Bình: not Cường
    assert ids(world.clerk, name="nguyen van c") == [c.pk]
    assert not name_capped(world.clerk, RecordQuery(name="nguyen van c"))

    client = Client()
    client.force_login(world.clerk)
    page = client.get(reverse("record_search"), {"name": "nguyen van"}).content.decode()
    assert "More than 2 people match this name" in page and "Born from" in page
    narrowed = client.get(reverse("record_search"), {"name": "nguyen van c"}).content.decode()
    assert "people match this name" not in narrowed and "Nguyễn Văn Cường" in narrowed
    with translation.override("vi"):  # the default language of the interface
        vietnamese = Template(
            "{% load i18n %}{% blocktranslate with n=2 %}More than {{ n }} people match this name: the list"
            " holds the records of the first {{ n }} in name order. Add the given name or a date of birth"
            " (“Born from”, “Born until”) to narrow the search.{% endblocktranslate %}"
        ).render(Context())
    assert vietnamese.startswith("Hơn 2 người khớp tên này") and "Sinh từ ngày" in vietnamese
    answer = client.get(reverse("record_search_json"), {"name": "nguyen van"}).json()
    assert answer["name_capped"] is True and answer["count"] == 2


def test_the_count_stops_at_the_cap(world, cap_of_two):
    for name in ("Lê Văn An", "Lê Văn Bình", "Lê Văn Cường"):
        born(world, name, mother="Đỗ Thị Lan")
    client = Client()
    client.force_login(world.clerk)
    answer = client.get(reverse("record_search_json"), {"event_type": "birth"}).json()
    assert answer["capped"] is True and answer["count"] == 2 and answer["name_capped"] is False
    page = client.get(reverse("record_search"), {"event_type": "birth"}).content.decode()
    assert "More than 2 records match" in page


def test_people_of_other_units_never_count_nor_appear(world, cap_of_two):
    """The cap is taken over the user's own units: people of another district do not use it up."""
    far = [born(world, f"Nguyễn Văn {n}", world.commune_c) for n in ("An", "Ánh", "Bảo")]
    near = born(world, "Nguyễn Văn Dũng")
    assert ids(world.clerk, name="nguyen van") == [near.pk]
    assert not name_capped(world.clerk, RecordQuery(name="nguyen van"))
    assert ids(world.outsider, name="nguyen van") == []  # commune B: nothing of A or C
    assert ids(world.clerk_d1, name="nguyen van") == [near.pk]  # district 1: not commune C
    province = ids(world.auditor, name="nguyen van")
    assert name_capped(world.auditor, RecordQuery(name="nguyen van"))
    assert sorted(province) == sorted([far[0].pk, far[1].pk])  # An, Ánh: the first two by name


def test_people_carry_their_records_unit_path_from_the_entry_form(world):
    record = born(world, "Phạm Thị Hoa", world.commune_c)
    paths = set(Party.objects.filter(record=record).values_list("unit_path", flat=True))
    assert paths == {world.commune_c.path}


def test_the_database_sets_the_path_whatever_the_writer_sends(world):
    record = born(world, "Phạm Thị Hoa", world.commune_b)
    Party.objects.bulk_create([Party(record=record, role="declarant", full_name="X", unit_path="9/9/")])
    # A bulk load by COPY that does not name the column.
    values = [
        str(record.pk),
        "requester",
        "Y",
        "y",
        "y",
        "0",
        r"\N",
        r"\N",
        r"\N",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]
    buffer = io.StringIO("\t".join(values) + "\n")
    with connection.cursor() as cur:
        cur.cursor.copy_expert(
            "COPY registry_party (record_id, role, full_name, name_key, name_exact_key, sex, birth_year,"
            " birth_month, birth_day, birth_place, hometown, pin, id_document, ethnicity, nationality,"
            " residence) FROM STDIN",
            buffer,
        )
    Party.objects.filter(record=record, role="declarant").update(unit_path="")  # a stray write
    paths = dict(Party.objects.filter(record=record).values_list("role", "unit_path"))
    assert set(paths.values()) == {world.commune_b.path} and {"declarant", "requester"} <= set(paths)


def test_a_record_moved_to_another_unit_moves_its_people(world):
    record = born(world, "Phạm Thị Hoa")
    other = born(world, "Phạm Văn Nam", world.commune_c)
    CivilRecord.objects.filter(pk=record.pk).update(unit=world.commune_c, unit_path=world.commune_c.path)
    assert set(Party.objects.filter(record=record).values_list("unit_path", flat=True)) == {
        world.commune_c.path
    }
    party = Party.objects.filter(record=other, role="mother").get()
    # A person moved to another record.
    Party.objects.filter(pk=party.pk).update(record=record, role="requester")
    party.refresh_from_db()
    assert party.unit_path == world.commune_c.path
    assert ids(world.clerk, name="pham thi hoa") == []  # commune A's clerk no longer finds it
    assert ids(world.clerk_d1, name="pham thi hoa") == []
