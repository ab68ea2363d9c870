"""PINs are the same value however their digits were typed: the one-birth-per-person rule holds."""

import importlib

import pytest
from django.urls import reverse

from registry.models import CivilRecord, Party
from registry.record_data import clean_record_input
from tests.factories import birth_input
from workflows import services as wf

PIN = "035220001234"  # province 035, digit 4 = 2 → male born in the 2000s, "20" → 2020
FULL_WIDTH = "".join(chr(0xFF10 + int(d)) for d in PIN)
ARABIC_INDIC = "".join(chr(0x0660 + int(d)) for d in PIN)


@pytest.mark.parametrize("typed", [FULL_WIDTH, ARABIC_INDIC, "0352 2000 1234"])
def test_a_pin_typed_in_other_digits_is_stored_in_ascii(typed):
    clean = clean_record_input(birth_input(pin=typed, sex=1, birth="02/03/2020"), event_type="birth")
    assert clean.parties[0].pin == PIN


@pytest.mark.parametrize("typed", [FULL_WIDTH, ARABIC_INDIC])
def test_the_same_pin_in_other_digits_is_refused_as_the_same_person(world, typed):
    first = world.record("entered", data=birth_input(name="Lê Văn Một", pin=typed, birth="02/03/2020"))
    assert first.identity_key == f"pin:{PIN}"
    second = world.record("scanned")
    with pytest.raises(wf.DuplicateRecordError):
        wf.record_enter(
            record=second,
            actor=world.clerk,
            data=birth_input(name="Lê Văn Hai", pin=PIN, birth="02/03/2020"),
        )


def test_search_by_pin_typed_in_full_width_digits_finds_the_record(client, world):
    record = world.record("entered", data=birth_input(name="Lê Văn Một", pin=PIN, birth="02/03/2020"))
    client.force_login(world.clerk)
    response = client.get(reverse("record_search"), {"pin": FULL_WIDTH})
    assert record in [r for r in response.context["page"]]


def test_the_migration_rewrites_stored_pins_and_their_identity_keys_in_ascii(world):
    record = world.record("entered", data=birth_input(name="Lê Văn Một", pin=PIN, birth="02/03/2020"))
    # as stored before PINs were normalized
    Party.objects.filter(record=record, role="subject").update(pin=FULL_WIDTH)
    CivilRecord.objects.filter(pk=record.pk).update(identity_key=f"pin:{FULL_WIDTH}")
    migration = importlib.import_module("registry.migrations.0009_normalize_pin_digits_and_name_keys")
    from django.apps import apps

    migration.normalize(apps, None)
    record.refresh_from_db()
    assert record.identity_key == f"pin:{PIN}"
    assert record.parties.get(role="subject").pin == PIN


def test_the_migration_rekeys_names_stored_with_invisible_characters(world):
    record = world.record("entered", data=birth_input(name="Lê Văn Một", birth="02/03/2020"))
    Party.objects.filter(record=record, role="subject").update(
        full_name="Lê Văn\u2060 Một", name_key="le van\u2060 mot", name_exact_key="x"
    )
    before = record.identity_key
    CivilRecord.objects.filter(pk=record.pk).update(identity_key="id:x|02/03/2020|y")
    migration = importlib.import_module("registry.migrations.0009_normalize_pin_digits_and_name_keys")
    from django.apps import apps

    migration.normalize(apps, None)
    party = record.parties.get(role="subject")
    assert party.name_key == "le van mot"
    record.refresh_from_db()
    assert record.identity_key == before
