"""The second review shows what changed since the return; forbidden actions are disabled, with why."""

import re

from permissions.roles import Role
from permissions.services import role_grant
from tests.factories import birth_input, make_user
from workflows import claims
from workflows import services as wf
from workflows.models import RecordTask


def test_after_a_return_the_reviewer_sees_each_changed_field_old_and_new(world, client):
    # given a case the reviewer returned with a remark on the mother's name, and the clerk's fix
    record = world.record("attached", data=birth_input("Lê Văn Bảo", mother="Trần Thị Bình"))
    wf.record_return(
        record=record, actor=world.reviewer, reason="Tên mẹ sai", remarks={"mother.full_name": "Bình → Bính"}
    )
    record.refresh_from_db()
    wf.record_enter(record=record, actor=world.clerk, data=birth_input("Lê Văn Bảo", mother="Trần Thị Bính"))
    wf.record_attach(record=record, actor=world.clerk)

    # when the reviewer opens the review again
    task = RecordTask.objects.get(record=record, stage="review", status="NEW")
    client.force_login(world.reviewer)
    html = client.get(f"/work/tasks/{task.pk}/").content.decode()

    # then the mother's name is highlighted with the old and the new value, and nothing else is
    changed = re.findall(r'<tr class="changed">.*?</tr>', html, re.S)
    assert len(changed) == 1
    assert "<del>Trần Thị Bình</del>" in changed[0] and "<ins>Trần Thị Bính</ins>" in changed[0]


def test_the_reviewer_of_a_case_sees_approve_disabled_with_the_four_eyes_reason(world, client):
    # given someone who reviews and approves in the commune, and who reviewed this case
    both = make_user("reviewer_approver", Role.REVIEWER, world.commune_a)
    role_grant(user=both, unit=world.commune_a, role=Role.APPROVER)
    record = world.record("attached")
    review = RecordTask.objects.get(record=record, stage="review", status="NEW")
    claims.task_claim(task=review, actor=both)
    wf.record_review(record=record, actor=both)

    # when they open the approval
    task = RecordTask.objects.get(record=record, stage="approve", status="NEW")
    client.force_login(both)
    html = client.get(f"/work/tasks/{task.pk}/").content.decode()

    # then Approve is there but disabled, and the page says why
    approve = re.search(r'<button[^>]*value="approve"[^>]*>', html).group(0)
    assert "disabled" in approve
    assert "You reviewed this record, so someone else must approve it (four eyes)." in html
    # while the approver of the commune gets it enabled
    client.force_login(world.approver)
    html = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert "disabled" not in re.search(r'<button[^>]*value="approve"[^>]*>', html).group(0)


def test_the_record_page_names_the_remarked_fields_by_their_labels(world, client):
    record = world.record("attached")
    wf.record_return(
        record=record, actor=world.reviewer, reason="Xem lại", remarks={"subject.birth_place": "Sai nơi sinh"}
    )
    client.force_login(world.clerk)
    for url in (f"/records/{record.pk}/", f"/records/{record.pk}/enter/"):
        html = client.get(url).content.decode()
        assert "Sai nơi sinh" in html
        assert "subject.birth_place" not in html
        assert "Place of birth</strong>: Sai nơi sinh" in html
