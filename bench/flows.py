"""The peer baseline: the record lifecycle as a plain viewflow flow, used as shipped.

One Process per record, one human View task per stage, each permitted by the
unit-scoped guardian permission of that stage (`registry.<perm>` on the record's
unit). The harness writes its Processes and Tasks with COPY for the seeded
records (bench/seed.py) and measures viewflow's own queue query and view over
them. It is not the project's flow (that one lands with issue 3); it only gives
viewflow "as shipped" a fair, equally shaped workload.
"""

from __future__ import annotations

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView

# Stage node name → the permission a user needs on the record's unit to claim it.
STAGE_PERMISSIONS = {
    "scan": "registry.scan_record",
    "enter": "registry.enter_record",
    "attach": "registry.attach_record",
    "review": "registry.review_record",
    "approve": "registry.approve_record",
}
# Record state → the stage node whose task is open for it.
OPEN_STAGE_OF_STATE = {
    "collected": "scan",
    "scanned": "enter",
    "entered": "attach",
    "attached": "review",
    "reviewed": "approve",
}


def _unit(process):
    return process.artifact.unit


class BaselineRecordFlow(flow.Flow):
    process_title = "Civil record (viewflow baseline)"
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_record).Next(this.scan)
    scan = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Permission(STAGE_PERMISSIONS["scan"], obj=_unit)
        .Next(this.enter)
    )
    enter = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Permission(STAGE_PERMISSIONS["enter"], obj=_unit)
        .Next(this.attach)
    )
    attach = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Permission(STAGE_PERMISSIONS["attach"], obj=_unit)
        .Next(this.review)
    )
    review = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Permission(STAGE_PERMISSIONS["review"], obj=_unit)
        .Next(this.approve)
    )
    approve = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Permission(STAGE_PERMISSIONS["approve"], obj=_unit)
        .Next(this.end)
    )
    end = flow.End()

    def start_record(self, activation, record=None):
        activation.process.artifact = record
