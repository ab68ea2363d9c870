"""The viewflow process of a record follows its state machine, in the transition's transaction."""

import pytest
from guardian.core import ObjectPermissionChecker

from audit.models import AuditEvent
from config.demo import demo_scan_pdf
from permissions.services import role_revoke
from scans.intake import scan_store
from tests.factories import birth_input
from workflows import services as wf
from workflows.claims import task_claim
from workflows.flows import RecordFlow, process_start
from workflows.machine import TransitionRefused
from workflows.models import RecordProcess, RecordTask


def open_task(record):
    return RecordTask.objects.filter(record=record, status__in=["NEW", "ASSIGNED"]).exclude(stage="").get()


def shape(process):
    """The rows viewflow keeps for a process: (node, status) in order, and who precedes whom."""
    tasks = list(RecordTask.objects.filter(process=process).order_by("id"))
    names = {t.pk: t.flow_task.name for t in tasks}
    return (
        [(t.flow_task.name, t.status) for t in tasks],
        sorted((names[t.pk], names[p]) for t in tasks for p in t.previous.values_list("pk", flat=True)),
    )


def test_registering_a_book_gives_each_slot_a_scan_task_in_bulk(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        book = world.book(cases=40)
    tasks = RecordTask.objects.filter(book=book, stage="scan", status="NEW")
    assert tasks.count() == 40
    assert set(tasks.values_list("unit_path", flat=True)) == {world.commune_a.path}
    assert RecordProcess.objects.filter(record__book=book, status="NEW").count() == 40


def test_the_bulk_start_writes_the_same_rows_as_viewflows_start_handle(world):
    bulk_record = world.book(cases=1).records.get()
    single_record = world.book(cases=1).records.get()
    RecordFlow.instance.cancel(RecordProcess.objects.get(record=single_record))
    process_start(single_record)
    bulk = RecordProcess.objects.get(record=bulk_record)
    single = RecordProcess.objects.get(record=single_record, status="NEW")
    assert shape(bulk) == shape(single)
    assert shape(bulk)[0] == [("start", "DONE"), ("route", "DONE"), ("scan", "NEW")]


def test_each_transition_completes_its_task_and_the_next_stage_opens(world):
    record = world.record("entered")
    attach = open_task(record)
    assert (attach.stage, attach.owner) == ("attach", world.clerk)  # attaching stays with whoever entered
    wf.record_attach(record=record, actor=world.clerk)
    review = open_task(record)
    assert (review.stage, review.status, review.owner, review.excluded_user) == (
        "review",
        "NEW",
        None,
        world.clerk,
    )
    done = RecordTask.objects.filter(record=record, status="DONE").exclude(stage="")
    assert list(done.order_by("id").values_list("stage", "owner__username")) == [
        ("scan", "clerk_a"),
        ("enter", "clerk_a"),
        ("attach", "clerk_a"),
    ]


def test_approval_ends_the_process_and_transfer_needs_no_task(world):
    record = world.record("transferred")
    process = RecordProcess.objects.get(record=record)
    assert process.status == "DONE"
    assert not RecordTask.objects.filter(record=record, status__in=["NEW", "ASSIGNED"]).exists()


def test_a_return_goes_back_to_the_clerk_who_entered_with_reason_and_remarks(world):
    record = world.record("reviewed")
    wf.record_return(
        record=record,
        actor=world.approver,
        reason="Sai ngày sinh",
        remarks={"subject.birth_date": "Dòng 3 ghi 02/03"},
    )
    task = open_task(record)
    assert (task.stage, task.owner, task.status, task.is_return) == ("enter", world.clerk, "ASSIGNED", True)
    assert task.data["return"]["reason"] == "Sai ngày sinh"
    assert task.data["return"]["remarks"] == {"subject.birth_date": "Dòng 3 ghi 02/03"}
    returned_approve = RecordTask.objects.get(record=record, stage="approve")
    assert returned_approve.data["outcome"] == "returned"


def test_a_return_to_scanning_goes_to_who_scanned(world):
    record = world.record("attached")
    wf.record_return(record=record, actor=world.reviewer, reason="Ảnh mờ", stage="scan")
    task = open_task(record)
    assert (task.stage, task.owner, task.is_return) == ("scan", world.clerk, True)


def test_returned_work_goes_to_the_queue_when_its_clerk_is_gone(world):
    record = world.record("attached")
    role_revoke(user=world.clerk, unit=world.commune_a, role="clerk")
    wf.record_return(record=record, actor=world.reviewer, reason="Sai tên")
    task = open_task(record)
    assert (task.stage, task.owner, task.status, task.is_return) == ("enter", None, "NEW", True)


def test_rejection_and_duplicate_closing_cancel_the_process(world):
    blank = world.book(cases=1).records.get()
    wf.record_reject(record=blank, actor=world.approver, reason="Trang trống")
    assert RecordProcess.objects.get(record=blank).status == "CANCELED"
    assert RecordTask.objects.get(record=blank, stage="scan").status == "CANCELED"
    original = world.record("approved")
    copy = world.record("attached", data=birth_input(name="Lê Thị Khác", birth="05/02/2020"))
    wf.record_mark_duplicate(record=copy, actor=world.approver, original=original, reason="Trùng")
    assert RecordProcess.objects.get(record=copy).status == "CANCELED"
    assert RecordTask.objects.get(record=copy, stage="review").status == "CANCELED"


def test_an_amendment_after_approval_starts_a_new_pass_at_review(world):
    from permissions.services import role_grant

    role_grant(user=world.clerk2, unit=world.commune_a, role="reviewer")
    record = world.record("approved")
    wf.record_amend(
        record=record, actor=world.clerk2, data=birth_input(name="Nguyễn Văn Sửa"), reason="QĐ số 5"
    )
    processes = list(
        RecordProcess.objects.filter(record=record).order_by("id").values_list("status", flat=True)
    )
    assert processes == ["DONE", "NEW"]
    task = open_task(record)
    assert (task.stage, task.excluded_user) == ("review", world.clerk2)


def test_a_refusal_by_the_national_database_goes_back_to_the_approver(world):
    record = world.record("approved")
    wf.record_transfer_refused(record=record, message="Sai mã đơn vị")
    task = open_task(record)
    assert (task.stage, task.owner, task.is_return) == ("approve", world.approver, True)
    assert task.data["return"]["reason"] == "Sai mã đơn vị"


def test_a_transition_is_refused_while_someone_else_holds_the_task(world):
    record = world.record("attached")
    from permissions.services import role_grant

    role_grant(user=world.approver, unit=world.commune_a, role="reviewer")
    task_claim(task=open_task(record), actor=world.reviewer)
    with pytest.raises(TransitionRefused, match="reviewer_a is working on this"):
        wf.record_review(record=record, actor=world.approver)
    record.refresh_from_db()
    assert record.state == "attached"
    assert not AuditEvent.objects.filter(record_id_value=record.pk, action="review").exists()
    wf.record_review(record=record, actor=world.reviewer)
    assert open_task(record).stage == "approve"


def test_node_permissions_are_guardian_permissions_on_the_records_unit(world):
    record = world.book(cases=1).records.get()
    task = open_task(record)
    assert task.owner_permission == "registry.scan_record"
    assert task.owner_permission_obj == world.commune_a
    node = RecordFlow.instance.node("scan")
    assert node.can_assign(world.clerk, task)
    assert node.can_assign(world.clerk_d1, task)  # a district role covers its communes
    assert not node.can_assign(world.outsider, task)
    assert not node.can_assign(world.reviewer, task)
    assert ObjectPermissionChecker(world.clerk).has_perm("scan_record", world.commune_a)


# --- the direct writes are viewflow's rows ---------------------------------------------------


def viewflow_task_complete(task, *, actor, outcome):
    """A stage's completion through viewflow's own activation: the reference for `task_complete`."""
    from django.utils import timezone

    activation = task.flow_task.activation_class(task)
    now = timezone.now()
    if task.status == "NEW":
        task.assigned, task.owner, task.status = now, actor, "ASSIGNED"
    elif actor is not None and task.owner_id != actor.pk:
        task.owner = actor
    task.data = {**(task.data or {}), "outcome": outcome}
    task.last_activity = now
    activation.start(None)
    activation.execute()


def walk_with_a_return(world, record, data):
    """Scan, enter, attach, review, a return to entry by the approver, and the whole way to transfer."""
    wf.record_scan(record=record, actor=world.clerk)
    wf.record_enter(record=record, actor=world.clerk, data=data)
    wf.record_attach(record=record, actor=world.clerk)
    wf.record_review(record=record, actor=world.reviewer)
    wf.record_return(record=record, actor=world.approver, reason="Sai ngày sinh", remarks={"a": "b"})
    wf.record_enter(record=record, actor=world.clerk, data=data)
    wf.record_attach(record=record, actor=world.clerk)
    wf.record_review(record=record, actor=world.reviewer)
    wf.record_approve(record=record, actor=world.approver)
    wf.record_transfer(record=record, receipt="TEST")


def rows(record):
    """The record's process and task rows as viewflow and the inboxes read them, without ids and times."""
    process = RecordProcess.objects.get(record=record)
    tasks = list(RecordTask.objects.filter(process=process).order_by("id"))
    order = {t.pk: i for i, t in enumerate(tasks)}
    return (process.status, process.finished is not None), [
        (
            t.flow_task.name,
            t.flow_task_type,
            t.status,
            str(t.token),
            t.owner_id,
            t.owner_permission,
            t.owner_permission_content_type_id,
            t.owner_permission_obj_pk,
            t.record_id is not None,
            (t.stage, t.unit_id, t.unit_path, t.event_type, t.min_rank, t.excluded_user_id, t.is_return),
            (t.book_year, t.phase, t.due_at is not None),
            tuple(x is not None for x in (t.assigned, t.started, t.finished, t.last_activity)),
            {k: ({**v, "at": None} if k == "return" else v) for k, v in t.data.items()},
            sorted(order[p] for p in t.previous.values_list("pk", flat=True)),
        )
        for t in tasks
    ]


def test_completing_a_stage_writes_the_rows_viewflows_activation_writes(world, monkeypatch):
    from tests.factories import distinct_birth_input
    from workflows import flows

    reference, direct = world.book(cases=2).records.order_by("entry_no")
    for record in (reference, direct):
        scan_store(record=record, actor=world.clerk, content=demo_scan_pdf(title="T", lines=["1"]))
    with monkeypatch.context() as patched:
        patched.setattr(flows, "task_complete", viewflow_task_complete)
        walk_with_a_return(world, reference, distinct_birth_input(1))
    walk_with_a_return(world, direct, distinct_birth_input(2))
    assert rows(direct) == rows(reference)
    assert [r[0] for r in rows(direct)[1]][-3:] == ["approve", "route", "end"]
