"""Audit actions are `AuditAction` members, and the pages that show audit rows show their labels."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from audit.actions import AuditAction
from audit.models import AuditEvent, AuditKind
from audit.services import audit_access, audit_change, audit_write_many
from registry.event_fields import field_label


@pytest.mark.django_db
@pytest.mark.parametrize(
    "write",
    [
        lambda: audit_change(action="made_up_action"),
        lambda: audit_access(action="made_up_action"),
        lambda: audit_write_many(kind=AuditKind.CHANGE, action="made_up_action", entries=[]),
    ],
    ids=["audit_change", "audit_access", "audit_write_many"],
)
def test_an_action_that_is_not_an_audit_action_is_refused(write):
    with pytest.raises(ValueError, match="made_up_action"):
        write()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_member_or_its_code_is_stored_as_the_code_and_reads_as_its_label():
    event = audit_change(action=AuditAction.UNITS_LOAD)
    by_code = audit_change(action="units_load")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == by_code.action == "units_load"
    assert stored.get_action_display() == "Administrative units loaded"


def test_every_action_has_a_vietnamese_label():
    with translation.override("en"):
        english = {a.value: str(a.label) for a in AuditAction}
    with translation.override("vi"):
        untranslated = [a.value for a in AuditAction if str(a.label) == english[a.value]]
    assert untranslated == []


def _table(page: str) -> str:
    """The trail's rows (the filter's option values are codes by design)."""
    return re.sub(r"\s+", " ", page.split("<tbody>", 1)[1])


@pytest.mark.django_db
def test_the_trail_shows_action_and_field_labels_in_vietnamese(world, client, settings):
    record = world.record("entered")
    audit_access(
        action=AuditAction.VERIFY_EXTRACT,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"superseded": False},
    )
    audit_change(
        action=AuditAction.EDIT,
        actor=world.clerk,
        unit_id=record.unit_id,
        obj=record,
        record_id=record.pk,
        changes={"party.mother.birth_date": [None, "1990"], "party.subject.sex": [None, 2]},
    )
    settings.LANGUAGE_CODE = "vi"
    client.force_login(world.auditor)

    page = client.get(reverse("audit_trail"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()

    rows = _table(page)
    with translation.override("vi"):
        verified, saved = str(AuditAction.VERIFY_EXTRACT.label), str(AuditAction.EDIT.label)
        mother_born = field_label(record.event_type, "party.mother.birth_date")
        subject_sex = field_label(record.event_type, "party.subject.sex")
    assert verified == "Xác minh trích lục (mã QR)"
    assert verified in rows and saved in rows
    assert "Đã bị thay thế bởi lần cải chính sau</b>: không" in rows
    assert f"{mother_born}</b>: — → 1990" in rows
    assert f"{subject_sex}</b>: — → Nữ" in rows
    for code in ("verify_extract", "superseded", "party.mother.birth_date", "party.subject.sex", "False"):
        assert code not in rows
    # the action filter lists labels
    assert f'<option value="verify_extract">{verified}</option>' in page


@pytest.mark.django_db
def test_the_trail_filters_by_action(world, client):
    record = world.record("entered")
    audit_access(action=AuditAction.VERIFY_EXTRACT, unit_id=record.unit_id, obj=record, record_id=record.pk)
    client.force_login(world.auditor)

    rows = _table(client.get(reverse("audit_trail"), {"action": "verify_extract"}).content.decode())

    assert str(AuditAction.VERIFY_EXTRACT.label) in rows
    assert str(AuditAction.ENTER.label) not in rows
    assert rows.count("<tr>") == 1


@pytest.mark.django_db
def test_the_record_history_labels_every_action(world, client):
    record = world.record("entered")
    client.force_login(world.reviewer)

    page = client.get(reverse("record_detail", args=[record.pk])).content.decode()
    history = re.sub(r"\s+", " ", page.split('id="history"', 1)[1])

    actions = {e.action for e in AuditEvent.objects.filter(record_id_value=record.pk, kind="change")}
    assert actions and all(str(AuditAction(a).label) in history for a in actions)
    assert not [a for a in actions if f"<td>{a}</td>" in history]
