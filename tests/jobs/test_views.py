"""The "my jobs" page, the bar's JSON and the stop button: each user sees only their own runs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.actions import AuditAction
from audit.models import AuditEvent
from jobs.models import Job, JobKind, JobState
from jobs.services import job_begin, job_finish, job_queue

pytestmark = pytest.mark.django_db


def run_of(world, owner, *, title: str, object_id: int = 1, finished: bool = False) -> Job:
    fields = {
        "kind": JobKind.IMPORT_COMMIT, "object_id": object_id, "owner": owner, "unit": world.commune_a,
        "title": title, "result_url": "/imports/1/", "total": 5000, "cancellable": True,
    }  # fmt: skip
    run = job_begin(**fields)
    if finished:
        job_finish(run)
    return run


class TestMyJobs:
    def test_lists_only_my_runs_newest_first_with_their_bars_and_links(
        self, world, client, django_assert_max_num_queries
    ):
        run_of(world, world.clerk, title="so-cu.csv", finished=True)
        run_of(world, world.clerk, title="so-moi.csv", object_id=2)
        run_of(world, world.clerk2, title="cua-nguoi-khac.csv", object_id=3)
        client.force_login(world.clerk)
        with django_assert_max_num_queries(12):
            page = client.get(reverse("my_jobs"))
        text = page.text
        assert page.status_code == 200
        assert text.index("so-moi.csv") < text.index("so-cu.csv")
        assert "cua-nguoi-khac.csv" not in text
        assert 'aria-valuenow="100"' in text and 'href="/imports/1/"' in text
        assert "Stop this job" in text  # the running one
        # Filtered by state
        done = client.get(reverse("my_jobs"), {"state": "done"}).text
        assert "so-cu.csv" in done and "so-moi.csv" not in done
        assert "so-moi.csv" in client.get(reverse("my_jobs"), {"state": "active"}).text

    def test_a_province_admin_lists_the_jobs_of_the_province_and_a_clerk_only_theirs(self, world, client):
        run_of(world, world.clerk, title="so-cua-xa-a.csv")
        run_of(world, world.admin, title="so-cua-tinh.csv", object_id=2)
        client.force_login(world.admin)
        assert "so-cua-xa-a.csv" not in client.get(reverse("my_jobs")).text
        units = client.get(reverse("my_jobs"), {"who": "units"}).text
        assert "so-cua-xa-a.csv" in units and "so-cua-tinh.csv" in units and "clerk_a" in units
        client.force_login(world.clerk)
        mine = client.get(reverse("my_jobs"), {"who": "units"}).text
        assert "so-cua-xa-a.csv" in mine and "so-cua-tinh.csv" not in mine
        assert "Jobs of my units" not in mine

    def test_the_user_menu_links_to_my_jobs(self, world, client, vietnamese):
        client.force_login(world.clerk)
        assert "Tác vụ của tôi" in client.get(reverse("my_jobs")).text


class TestProgressJson:
    def test_the_owner_reads_the_progress(self, world, client):
        run = run_of(world, world.clerk, title="so.csv")
        Job.objects.filter(pk=run.pk).update(done=1234)
        client.force_login(world.clerk)
        data = client.get(reverse("job_progress", args=[run.pk])).json()
        assert (data["state"], data["percent"], data["counts"]) == ("running", 24, "1.234/5.000 rows")
        assert data["cancellable"] is True

    def test_another_users_run_is_not_found_and_the_try_is_logged(self, world, client):
        run = run_of(world, world.clerk, title="so.csv")
        client.force_login(world.clerk2)
        assert client.get(reverse("job_progress", args=[run.pk])).status_code == 404
        assert client.post(reverse("job_cancel", args=[run.pk])).status_code == 404
        assert AuditEvent.objects.filter(action=AuditAction.DENIED, actor=world.clerk2).count() == 2
        assert Job.objects.get(pk=run.pk).cancel_requested_at is None

    def test_a_province_admin_follows_and_stops_a_run_of_the_province(self, world, client):
        run = run_of(world, world.clerk, title="so.csv")
        client.force_login(world.admin)
        assert client.get(reverse("job_progress", args=[run.pk])).status_code == 200
        response = client.post(reverse("job_cancel", args=[run.pk]), {"next": "/imports/1/"})
        assert response.status_code == 302 and response["Location"] == "/imports/1/"
        assert Job.objects.get(pk=run.pk).cancel_requested_by == world.admin


class TestCancelButton:
    def test_the_owner_stops_a_queued_run_and_sees_it_stopping(self, world, client):
        run = job_queue(kind=JobKind.EXPORT, object_id=9, owner=world.clerk, unit=world.commune_a, title="x",
                        cancellable=True)  # fmt: skip
        client.force_login(world.clerk)
        response = client.post(
            reverse("job_cancel", args=[run.pk]), {"next": "https://evil.example/"}, follow=True
        )
        assert response.redirect_chain[-1][0] == reverse("my_jobs")
        assert "the job stops at its next safe point" in response.text
        assert AuditEvent.objects.filter(action=AuditAction.JOB_CANCEL, actor=world.clerk).exists()
        assert client.get(reverse("job_progress", args=[run.pk])).json()["cancel_requested"] is True

    def test_stopping_a_finished_run_says_so(self, world, client):
        run = run_of(world, world.clerk, title="so.csv", finished=True)
        client.force_login(world.clerk)
        response = client.post(reverse("job_cancel", args=[run.pk]), follow=True)
        assert "This job has already ended." in response.text
        assert Job.objects.get(pk=run.pk).state == JobState.DONE
