"""A commit killed mid-way (SIGKILL of a real worker process) and run again: every row exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection

from imports.models import ImportJob, ImportRow, ImportStatus, RowStatus
from imports.services import import_job_check
from registry.models import CivilRecord, Party
from tests.factories import letters
from tests.imports.test_import import birth_rows, upload, write_csv

ROWS = 1000


def database_url() -> str:
    """The URL of the test database as this process is connected to it (socket or TCP)."""
    connection.ensure_connection()
    p = connection.connection.get_dsn_parameters()
    password = connection.settings_dict.get("PASSWORD") or ""
    if p["host"].startswith("/"):  # a socket directory, as the embedded server gives it
        return f"postgresql://{p['user']}:{password}@/{p['dbname']}?host={p['host']}"
    return f"postgresql://{p['user']}:{password}@{quote(p['host'], safe='')}:{p['port']}/{p['dbname']}"


def worker(job: ImportJob) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.pop("TEST_DATABASE_NAME", None)
    env["DATABASE_URL"] = database_url()
    env["DEBUG"] = "1"
    storage = job.file.storage
    assert isinstance(storage, FileSystemStorage)
    env["DATA_DIR"] = str(Path(storage.location).parent)
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_run", str(job.pk), "--commit", "--batch", "50"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_commit_resumes_without_duplicating_rows(world, tmp_path, settings):
    # Given a checked file of 1,000 births
    names = [f"Nguyễn Văn {letters(i)}" for i in range(1, ROWS + 1)]
    path = write_csv(tmp_path, birth_rows(names))
    job = upload(world, path)
    assert Path(job.file.path).exists()
    import_job_check(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error_rows) == (ImportStatus.CHECKED, 0)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    # When the worker is killed after some batches committed
    process = worker(job)
    deadline = time.monotonic() + 120
    while ImportRow.objects.filter(job=job, status=RowStatus.COMMITTED).count() < 100:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = CivilRecord.objects.count()
    assert 0 < partial < ROWS
    # And run again to the end
    process = worker(job)
    assert process.wait(timeout=300) == 0, process.stderr.read().decode()
    # Then every row is a record exactly once
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert CivilRecord.objects.count() == ROWS
    assert job.committed_rows == ROWS
    assert sorted(Party.objects.filter(role="subject").values_list("full_name", flat=True)) == sorted(names)
    assert ImportRow.objects.filter(job=job, status=RowStatus.COMMITTED).count() == ROWS
