"""Statements per transition, pinned: a hook or a workflow step that adds a round trip fails here.

What a stage's transition costs (inside the test's transaction, so with its savepoint and release):
lock the record with its book, update it, the audit row (head upsert, row insert), the workflow
(lock the process, read its open task, finish it, insert the route row and the next task, link
them), and the hooks (duplicate pairs refreshed, progress counters, scan name, transfer outbox).
"""

from config.demo import demo_scan_pdf
from permissions.scoping import user_scopes
from scans.intake import scan_store
from tests.factories import distinct_birth_input
from workflows import services as wf
from workflows.models import RecordTask

# Stage → most statements its service may run on a first pass, with the hooks installed today.
# Attach, review and approve read who changed the case from the audit trail (four eyes): one each.
# Approve also supersedes any older pending version in the outbox (an amendment, a late scan).
# Enter looks up the unit's latest population extract to match the case's people (one, when none).
MAX_STATEMENTS = {"scan": 14, "enter": 22, "attach": 21, "review": 14, "approve": 19, "transfer": 9}


def test_each_stage_runs_no_more_statements_than_pinned(world, django_assert_max_num_queries):
    for actor in (world.clerk, world.reviewer, world.approver):
        user_scopes(actor)  # read once per request and kept on the user: not a transition's cost
    record = world.book(cases=1).records.get()
    scan_store(record=record, actor=world.clerk, content=demo_scan_pdf(title="T", lines=["1"]))
    steps = {
        "scan": lambda: wf.record_scan(record=record.pk, actor=world.clerk),
        "enter": lambda: wf.record_enter(record=record.pk, actor=world.clerk, data=distinct_birth_input(7)),
        "attach": lambda: wf.record_attach(record=record.pk, actor=world.clerk),
        "review": lambda: wf.record_review(record=record.pk, actor=world.reviewer),
        "approve": lambda: wf.record_approve(record=record.pk, actor=world.approver),
        "transfer": lambda: wf.record_transfer(record=record.pk, receipt="TEST"),
    }
    for stage, step in steps.items():
        with django_assert_max_num_queries(MAX_STATEMENTS[stage], info=stage):
            step()
    done = RecordTask.objects.filter(record=record, status="DONE").exclude(stage="")
    assert list(done.order_by("id").values_list("stage", flat=True)) == [
        "scan",
        "enter",
        "attach",
        "review",
        "approve",
    ]


def test_a_workflow_step_writes_three_task_statements(world):
    """Finishing a task and opening the next: one UPDATE, one INSERT of both rows, one of the links."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record = world.record("entered")
    with CaptureQueriesContext(connection) as captured:
        wf.record_attach(record=record, actor=world.clerk)
    task_writes = [
        q["sql"].split(" ")[0] + " " + q["sql"].split('"')[1]
        for q in captured.captured_queries
        if '"workflows_recordtask' in q["sql"] and not q["sql"].startswith("SELECT")
    ]
    assert task_writes == [
        "UPDATE workflows_recordtask",
        "INSERT workflows_recordtask",
        "INSERT workflows_recordtask_previous",
    ]
