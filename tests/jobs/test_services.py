"""The progress API: throttled writes, time left, who may stop a job, and the audit row of a stop."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.actions import AuditAction
from audit.models import AuditEvent
from jobs.models import Job, JobKind, JobState
from jobs.services import (
    job_begin,
    job_cancel_request,
    job_cancel_requested,
    job_finish,
    job_progress,
    job_queue,
    job_status,
)

pytestmark = pytest.mark.django_db


def a_run(world, *, owner=None, total=10, cancellable=True, queued=False) -> Job:
    fields = {
        "kind": JobKind.IMPORT_CHECK, "object_id": 7, "owner": owner or world.clerk, "unit": world.commune_a,
        "title": "sổ 01.csv", "total": total, "cancellable": cancellable,
    }  # fmt: skip
    return job_queue(**fields) if queued else job_begin(**fields)


class TestProgress:
    def test_writes_at_most_every_half_second_and_always_the_last_step(self, world, frozen_clock):
        # Given a running job of 10 rows, begun at t=0
        run = a_run(world)
        # When it reports a row 0.1 s later, the row is not written yet
        frozen_clock.now = 0.1
        assert job_progress(run, done=1) is False
        assert Job.objects.get(pk=run.pk).done == 0
        # Then half a second after the start, it is
        frozen_clock.now = 0.6
        assert job_progress(run, done=4) is True
        assert Job.objects.get(pk=run.pk).done == 4
        # And the last step is written at once, whatever the clock
        frozen_clock.now = 0.61
        assert job_progress(run, done=10) is True
        assert Job.objects.get(pk=run.pk).percent == 100

    def test_begin_takes_over_the_queued_run(self, world):
        queued = a_run(world, queued=True)
        run = a_run(world)
        assert run.pk == queued.pk and run.state == JobState.RUNNING and run.started_at is not None
        assert Job.objects.count() == 1

    def test_a_run_left_running_by_a_dead_worker_is_marked_interrupted_when_the_job_resumes(self, world):
        first = a_run(world)
        second = a_run(world)
        first.refresh_from_db()
        assert first.state == JobState.FAILED and "Interrupted" in first.message
        assert second.state == JobState.RUNNING

    def test_without_a_known_total_writes_are_still_throttled(self, world, frozen_clock):
        run = a_run(world, total=0)
        frozen_clock.now = 0.2
        assert job_progress(run, done=3) is False
        frozen_clock.now = 0.7
        assert job_progress(run, done=5, total=9) is True
        assert Job.objects.get(pk=run.pk).counts_text == "5/9 rows"

    def test_time_left_follows_the_pace_so_far(self, world, vietnamese):
        # Given a job that did 1,250 of 5,000 rows in its first minute
        run = a_run(world, total=5000)
        Job.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(seconds=60), done=1250)
        run.refresh_from_db()
        # Then three more minutes are expected, and the bar says so in Vietnamese
        now = run.started_at + dt.timedelta(seconds=60)
        assert run.seconds_left(now) == 180
        status = job_status(run)
        assert status["counts"] == "1.250/5.000 dòng"
        assert status["percent"] == 25 and status["state_label"] == "Đang chạy"
        assert "3 phút" in status["time_left"]

    def test_no_time_left_before_any_pace_or_once_done(self, world):
        run = a_run(world)
        assert run.seconds_left() is None
        job_finish(run)
        run.refresh_from_db()
        assert (run.state, run.percent, run.seconds_left()) == (JobState.DONE, 100, None)


class TestCancel:
    def test_the_owner_stops_a_run_and_the_stop_is_audited(self, world, ticking_clock):
        run = a_run(world)
        assert job_cancel_requested(run) is False
        job_cancel_request(job=run, actor=world.clerk)
        event = AuditEvent.objects.get(action=AuditAction.JOB_CANCEL)
        assert event.actor_id == world.clerk.pk and event.unit_id_value == world.commune_a.pk
        # The running loop sees it at its next check
        assert job_cancel_requested(run) is True
        assert job_status(Job.objects.get(pk=run.pk))["cancel_requested"] is True

    def test_a_supervisor_of_the_unit_may_stop_it_but_not_another_commune_clerk(self, world):
        run = a_run(world)
        with pytest.raises(PermissionDenied):
            job_cancel_request(job=run, actor=world.outsider)
        with pytest.raises(PermissionDenied):
            job_cancel_request(job=run, actor=world.reviewer)
        assert not AuditEvent.objects.filter(action=AuditAction.JOB_CANCEL).exists()
        job_cancel_request(job=run, actor=world.admin)
        assert Job.objects.get(pk=run.pk).cancel_requested_by == world.admin

    def test_an_ended_or_unsafe_job_cannot_be_stopped(self, world):
        done = a_run(world)
        job_finish(done)
        with pytest.raises(ValidationError, match="already ended"):
            job_cancel_request(job=done, actor=world.clerk)
        unsafe = a_run(world, cancellable=False)
        with pytest.raises(ValidationError, match="cannot be stopped"):
            job_cancel_request(job=unsafe, actor=world.clerk)
