"""Edit rights after approval (issue 16, item 6): one permission, `amend_record`, held by reviewers,
approvers and province administrators of the unit; never clerks or contractor staff. A refusal
is written to the audit trail."""

import pytest

from audit.models import AuditEvent
from permissions.roles import ROLE_PERMISSIONS, Role
from tests.factories import birth_input, make_user
from workflows import services as wf
from workflows.services import NotPermitted


@pytest.fixture
def contractor(world):
    return make_user("contractor_a", Role.CONTRACTOR, world.commune_a)


def test_only_reviewers_approvers_and_province_admins_carry_the_amend_permission():
    holders = {role for role, perms in ROLE_PERMISSIONS.items() if "amend_record" in perms}
    assert holders == {Role.REVIEWER, Role.APPROVER, Role.PROVINCE_ADMIN}


@pytest.mark.parametrize("state", ["approved", "transferred"])
@pytest.mark.parametrize("who", ["clerk", "contractor"])
def test_a_clerk_or_contractor_is_refused_and_the_refusal_is_audited(world, contractor, state, who):
    actor = contractor if who == "contractor" else world.clerk
    record = world.record(state)
    with pytest.raises(NotPermitted, match="Only a reviewer, an approver or a province administrator"):
        wf.record_amend(record=record, actor=actor, data=birth_input(name="Nguyễn Văn Sửa"), reason="Sửa")
    record.refresh_from_db()
    assert record.state == state and record.subject().full_name != "Nguyễn Văn Sửa"
    denied = AuditEvent.objects.get(record_id_value=record.pk, action="denied", actor=actor)
    assert denied.changes == {"permission": "amend_record", "state": state}
    assert not AuditEvent.objects.filter(record_id_value=record.pk, action="amend").exists()


@pytest.mark.parametrize("state", ["approved", "transferred"])
def test_a_reviewer_of_the_unit_may_amend(world, state):
    record = world.record(state)
    wf.record_amend(
        record=record, actor=world.reviewer, data=birth_input(name="Nguyễn Văn Sửa"), reason="QĐ 7"
    )
    record.refresh_from_db()
    assert (record.state, record.subject().full_name) == ("attached", "Nguyễn Văn Sửa")


def test_a_reviewer_of_another_commune_may_not(world):
    outsider = make_user("reviewer_b", Role.REVIEWER, world.commune_b)
    record = world.record("approved")
    with pytest.raises(NotPermitted):
        wf.record_amend(record=record, actor=outsider, data=birth_input(name="Nguyễn Văn Sửa"), reason="x")


def test_the_entry_page_refuses_a_clerk_after_approval_and_logs_it(world, client):
    record = world.record("transferred")
    client.force_login(world.clerk)
    page = client.get(f"/records/{record.pk}/")
    assert "Edit after approval" not in page.content.decode()
    response = client.post(
        f"/records/{record.pk}/enter/", {"reason": "Sửa", "subject-full_name": "Nguyễn Văn Sửa"}, follow=True
    )
    assert "Only a reviewer, an approver or a province administrator" in response.content.decode()
    assert AuditEvent.objects.filter(record_id_value=record.pk, action="denied", actor=world.clerk).exists()
    record.refresh_from_db()
    assert record.state == "transferred"


def test_the_entry_page_lets_a_reviewer_amend(world, client):
    record = world.record("approved")
    client.force_login(world.reviewer)
    assert "Edit after approval" in client.get(f"/records/{record.pk}/").content.decode()
    page = client.get(f"/records/{record.pk}/enter/")
    assert page.status_code == 200 and "needs a reason" in page.content.decode()
