"""The administrative-unit loader: both trees, their consistency, successors, and re-runs.

Loading ~14,000 units takes seconds, so the trees are loaded once for the module inside a transaction
that is rolled back when the module ends; each test runs in its own savepoint on top of it.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F

from registry.models import AdministrativeUnit, UnitEra, UnitLevel
from registry.unit_loading import (
    CURRENT_VALID_FROM,
    LEGACY_VALID_TO,
    units_link_successors,
    units_load_current,
    units_load_legacy,
)

PROVINCE, DISTRICT, COMMUNE = UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE


@pytest.fixture(scope="module")
def first_load(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield {
            "current": units_load_current(),
            "legacy": units_load_legacy(),
            "links": units_link_successors(),
        }
        transaction.set_rollback(True)


def level_counts(era: str) -> dict[str, int]:
    rows = AdministrativeUnit.objects.filter(era=era).values("level").annotate(n=Count("id"))
    return {row["level"]: row["n"] for row in rows}


def unit(era: str, level: str, code: str) -> AdministrativeUnit:
    return AdministrativeUnit.objects.select_related("successor", "successor__parent").get(
        era=era, level=level, code=code
    )


@pytest.mark.django_db
class TestFirstLoad:
    def test_current_tree_has_34_provinces_and_3321_communes(self, first_load):
        assert level_counts(UnitEra.CURRENT) == {PROVINCE: 34, COMMUNE: 3321}
        assert first_load["current"].created == Counter({PROVINCE: 34, COMMUNE: 3321})

    def test_legacy_tree_has_63_provinces_696_districts_10051_communes(self, first_load):
        assert level_counts(UnitEra.LEGACY) == {PROVINCE: 63, DISTRICT: 696, COMMUNE: 10051}
        assert first_load["legacy"].created == Counter({PROVINCE: 63, DISTRICT: 696, COMMUNE: 10051})

    def test_units_carry_official_codes_names_and_validity(self, first_load):
        hanoi = unit(UnitEra.CURRENT, PROVINCE, "01")
        assert (hanoi.name, hanoi.valid_from, hanoi.valid_to) == (
            "Thành phố Hà Nội",
            CURRENT_VALID_FROM,
            None,
        )
        assert unit(UnitEra.CURRENT, PROVINCE, "08").name == "Tỉnh Tuyên Quang"
        phuc_xa = unit(UnitEra.LEGACY, COMMUNE, "00001")
        assert (phuc_xa.name, phuc_xa.valid_to) == ("Phường Phúc Xá", LEGACY_VALID_TO)
        assert phuc_xa.parent.name == "Quận Ba Đình"

    def test_every_commune_path_starts_with_its_province_path(self, first_load):
        current = AdministrativeUnit.objects.filter(era=UnitEra.CURRENT, level=COMMUNE)
        assert (
            current.filter(parent__level=PROVINCE, depth=1, path__startswith=F("parent__path")).count()
            == 3321
        )
        legacy = AdministrativeUnit.objects.filter(era=UnitEra.LEGACY, level=COMMUNE)
        assert (
            legacy.filter(
                parent__level=DISTRICT,
                parent__parent__level=PROVINCE,
                depth=2,
                path__startswith=F("parent__parent__path"),
            )
            .filter(path__startswith=F("parent__path"))
            .count()
            == 10051
        )

    def test_a_province_subtree_holds_exactly_its_communes(self, first_load):
        ha_nam = unit(UnitEra.LEGACY, PROVINCE, "35")
        in_subtree = AdministrativeUnit.objects.filter(ha_nam.subtree_q(), level=COMMUNE)
        by_parent = AdministrativeUnit.objects.filter(level=COMMUNE, parent__parent=ha_nam)
        assert set(in_subtree.values_list("pk", flat=True)) == set(by_parent.values_list("pk", flat=True))
        assert in_subtree.count() > 0

    def test_a_hanoi_ward_links_to_the_ward_that_took_it_over(self, first_load):
        # Resolution 1656/NQ-UBTVQH15: Phúc Xá (Ba Đình) became part of the new Phường Hồng Hà.
        phuc_xa = unit(UnitEra.LEGACY, COMMUNE, "00001")
        assert (phuc_xa.successor.era, phuc_xa.successor.code) == (UnitEra.CURRENT, "00097")
        assert phuc_xa.successor.name == "Phường Hồng Hà"
        assert phuc_xa.successor.parent.name == "Thành phố Hà Nội"

    def test_a_merged_province_links_to_the_province_that_absorbed_it(self, first_load):
        # Resolution 202/2025/QH15: Hà Giang merged into Tuyên Quang.
        ha_giang = unit(UnitEra.LEGACY, PROVINCE, "02")
        assert (ha_giang.name, ha_giang.successor.name) == ("Tỉnh Hà Giang", "Tỉnh Tuyên Quang")

    def test_a_split_commune_goes_to_the_commune_that_kept_its_code(self, first_load):
        # Ngọc Khánh was shared between Giảng Võ and Ngọc Hà; Giảng Võ kept its code 00025.
        ngoc_khanh = unit(UnitEra.LEGACY, COMMUNE, "00025")
        assert ngoc_khanh.successor.name == "Phường Giảng Võ"

    def test_a_split_with_no_continuing_commune_is_left_for_a_person(self, first_load):
        # Đội Cấn was shared between Ba Đình and Ngọc Hà, neither keeping its name or code.
        assert unit(UnitEra.LEGACY, COMMUNE, "00022").successor is None

    def test_successor_coverage(self, first_load):
        links = first_load["links"]
        assert links.provinces_linked == 63
        assert (links.communes_linked, links.communes_split, links.communes_unmapped) == (9853, 181, 17)
        assert links.changed == 63 + 9853
        legacy = AdministrativeUnit.objects.filter(era=UnitEra.LEGACY)
        assert not legacy.filter(level=DISTRICT, successor__isnull=False).exists()
        linked = legacy.filter(successor__isnull=False)
        assert not linked.exclude(successor__era=UnitEra.CURRENT, successor__level=F("level")).exists()
        # A commune's successor lies in the province that took over the commune's old province.
        communes = linked.filter(level=COMMUNE)
        assert communes.filter(successor__parent=F("parent__parent__successor")).count() == 9853


@pytest.mark.django_db
class TestRerun:
    def test_second_run_creates_and_changes_nothing(self, first_load, django_assert_max_num_queries):
        before = AdministrativeUnit.objects.count()
        with django_assert_max_num_queries(10):
            current, legacy, links = units_load_current(), units_load_legacy(), units_link_successors()
        assert current.created.total() == legacy.created.total() == 0
        assert current.updated.total() == legacy.updated.total() == 0
        assert links.changed == 0
        assert links.communes_linked == first_load["links"].communes_linked
        assert AdministrativeUnit.objects.count() == before

    def test_a_changed_name_is_restored_from_the_data(self, first_load):
        AdministrativeUnit.objects.filter(era=UnitEra.LEGACY, level=COMMUNE, code="00001").update(
            name="Phúc Xá cũ"
        )
        counts = units_load_legacy()
        assert counts.created.total() == 0
        assert counts.updated == Counter({COMMUNE: 1})
        assert unit(UnitEra.LEGACY, COMMUNE, "00001").name == "Phường Phúc Xá"

    def test_a_successor_chosen_by_hand_for_a_split_commune_is_kept(self, first_load):
        doi_can = unit(UnitEra.LEGACY, COMMUNE, "00022")
        ngoc_ha = unit(UnitEra.CURRENT, COMMUNE, "00008")
        AdministrativeUnit.objects.filter(pk=doi_can.pk).update(successor=ngoc_ha)
        links = units_link_successors()
        assert links.changed == 0
        assert unit(UnitEra.LEGACY, COMMUNE, "00022").successor == ngoc_ha

    def test_command_prints_the_counts(self, first_load, capsys):
        call_command("load_units", "--only", "current")
        out = capsys.readouterr().out
        assert "current commune: 3321 in data, 0 created, 0 updated" in out
        assert "63 provinces and 9853 communes linked (0 changed)" in out
