"""The record page's history speaks the user's words, not the audit stream's codes."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import translation

from tests.factories import birth_input
from workflows import services as wf


def _history(client, record) -> str:
    page = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    return re.sub(r"\s+", " ", page.split('id="history"', 1)[-1] if 'id="history"' in page else page)


def test_history_names_actions_fields_and_values_in_words(world, client):
    record = world.record("reviewed", data=birth_input("Nguyễn Văn An", mother="Trần Thị Bình"))
    wf.record_return(
        record=record,
        actor=world.approver,
        reason="Sai ngày sinh",
        remarks={"subject.birth_date": "Xem lại trang 3"},
    )
    client.force_login(world.reviewer)

    history = _history(client, record)

    assert "Enter data" in history and "Pass review" in history and "Return for rework" in history
    assert "Mother: Full name</b>: — → Trần Thị Bình" in history
    assert "Person registered: Sex</b>: — → Male" in history
    assert "State</b>: Reviewed → Scanned" in history
    assert "Person registered: Date of birth: Xem lại trang 3" in history
    assert "Stage</b>: Enter data" in history
    # The machine codes stay in the audit stream, not on the page.
    assert "party.mother.full_name" not in history
    assert "identity_key" not in history


def test_history_is_vietnamese_for_vietnamese_users(world, client):
    record = world.record("entered")
    client.force_login(world.reviewer)
    with translation.override("vi"):
        client.cookies["django_language"] = "vi"
        history = _history(client, record)
    assert "Nhập liệu" in history
    assert "Enter data" not in history


def test_an_imported_record_says_from_which_file_and_row(world, client, tmp_path):
    from imports.services import legacy_import
    from registry.models import CivilRecord
    from tests.imports.test_import import birth_rows, write_csv

    legacy_import(write_csv(tmp_path, birth_rows(["Lê Quốc Việt"])), unit=world.commune_a,
                  event_type="birth", actor=world.clerk)  # fmt: skip
    client.force_login(world.reviewer)

    history = _history(client, CivilRecord.objects.get())

    assert "Imported from a file" in history and "Imported as</b>: Entered" in history
    assert "File</b>: book.csv" in history and "Row</b>: 2" in history
