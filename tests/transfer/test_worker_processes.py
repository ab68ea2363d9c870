"""The real worker and the real receiver, as separate processes, on PostgreSQL.

Receiver down, slow, answering 500, or the worker killed with SIGKILL in the middle
of a batch: after recovery every approved record is at the receiver exactly once,
with its scan byte-identical to ours, and marked transferred. The receiver demands the
bearer token throughout; the last test also demands a client certificate (mutual TLS).
"""

# ruff: noqa: S310 - the tests talk to the receiver they started on 127.0.0.1
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from registry.models import CivilRecord
from scans.models import current_scan
from tests.transfer.pki import Pki, make_pki
from transfer.adapters import client_tls_context
from transfer.models import TransferItem

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
N = 12
AUTH = {"Authorization": f"Bearer {settings.TRANSFER_TOKEN}"}


def database_url() -> str:
    """The test database as a DATABASE_URL, so the subprocesses use it (not the dev database)."""
    d = connection.settings_dict
    host = d["HOST"] or d.get("OPTIONS", {}).get("host", "")
    auth = f"{quote(d['USER'] or '')}:{quote(d['PASSWORD'] or '')}"
    if host.startswith("/"):
        return f"postgres://{auth}@/{d['NAME']}?host={quote(host)}"
    return f"postgres://{auth}@{host}:{d['PORT'] or 5432}/{d['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, *, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Processes:
    def __init__(self, tmp_path: Path, pki: Pki | None = None):
        self.tmp = tmp_path
        self.port = free_port()
        self.pki = pki
        self.url = f"{'https' if pki else 'http'}://127.0.0.1:{self.port}"
        self.started: list[subprocess.Popen] = []
        self.logs: list[IO[bytes]] = []
        # how the test itself talks to the receiver (with our client certificate under mutual TLS)
        self.context: ssl.SSLContext | None = (
            client_tls_context(
                ca_bundle=str(pki.ca), client_cert=str(pki.client_cert), client_key=str(pki.client_key)
            )
            if pki
            else None
        )

    def _log(self, name: str):
        handle = open(self.tmp / name, "ab")  # noqa: SIM115 - closed in stop_all
        self.logs.append(handle)
        return handle

    def receiver(self, *args: str) -> subprocess.Popen:
        if self.pki:
            tls = [
                "--tls-cert",
                self.pki.server_cert,
                "--tls-key",
                self.pki.server_key,
                "--tls-client-ca",
                self.pki.ca,
            ]
            args = (*args, *map(str, tls))
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "transfer.reference_receiver",
                "--port",
                str(self.port),
                "--db",
                str(self.tmp / "receiver.sqlite3"),
                "--test-mode",
                *args,
            ],
            cwd=ROOT,
            env={**os.environ, "TRANSFER_RECEIVER_TOKEN": settings.TRANSFER_TOKEN},
            stdout=self._log("receiver.log"),
            stderr=subprocess.STDOUT,
        )
        self.started.append(proc)
        wait_for(self._healthy, timeout=20, what="the receiver to listen")
        return proc

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1, context=self.context):
                return True
        except OSError:
            return False

    def worker(self, **env: str) -> subprocess.Popen:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DEBUG": "1",
            "NATIONAL_DB_URL": self.url,
            "TRANSFER_BATCH_SIZE": "5",
            "TRANSFER_TIMEOUT_SECONDS": "1",
            "TRANSFER_RETRY_BASE_SECONDS": "0.2",
            "TRANSFER_RETRY_MAX_SECONDS": "1",
            "TRANSFER_LEASE_SECONDS": "3",
            "TRANSFER_POLL_SECONDS": "0.2",
            # the scans the worker sends are in this test's storage (the scan_storage fixture)
            "DATA_DIR": str(self.tmp),
            **self.tls_env(),
            **env,
        }
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "transfer_worker"],
            cwd=ROOT,
            env=environment,
            stdout=self._log("worker.log"),
            stderr=subprocess.STDOUT,
        )
        self.started.append(proc)
        return proc

    def tls_env(self) -> dict[str, str]:
        if not self.pki:
            return {}
        return {
            "TRANSFER_CLIENT_CERT": str(self.pki.client_cert),
            "TRANSFER_CLIENT_KEY": str(self.pki.client_key),
            "TRANSFER_CA_BUNDLE": str(self.pki.ca),
        }

    def control(self, **settings) -> None:
        request = urllib.request.Request(
            f"{self.url}/_control",
            data=json.dumps(settings).encode(),
            method="POST",
            headers={"Content-Type": "application/json", **AUTH},
        )
        urllib.request.urlopen(request, timeout=5, context=self.context).close()

    def state(self) -> dict:
        request = urllib.request.Request(f"{self.url}/_state", headers=AUTH)
        with urllib.request.urlopen(request, timeout=5, context=self.context) as response:
            return json.loads(response.read())

    def scan(self, key: str) -> bytes:
        """The bytes of the scan the receiver stored under the key."""
        request = urllib.request.Request(f"{self.url}/_scans/{key}", headers=AUTH)
        with urllib.request.urlopen(request, timeout=5, context=self.context) as response:
            return response.read()

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        for handle in self.logs:
            handle.close()


@pytest.fixture
def procs(tmp_path):
    p = Processes(tmp_path)
    yield p
    p.stop_all()


def all_transferred(ids) -> bool:
    return CivilRecord.objects.filter(pk__in=ids, state="transferred").count() == len(ids)


def assert_exactly_once(procs: Processes, records) -> dict:
    ids = [r.pk for r in records]
    wait_for(lambda: all_transferred(ids), what="every record to be transferred")
    state = procs.state()
    received = [r["recordId"] for r in state["records"]]
    assert sorted(received) == sorted(ids), "each approved record is at the receiver exactly once"
    assert len({r["key"] for r in state["records"]}) == len(ids)
    assert TransferItem.objects.filter(record_id__in=ids, status="acknowledged").count() == len(ids)
    assert TransferItem.objects.filter(record_id__in=ids, status="pending").count() == 0
    for pk in ids:
        assert AuditEvent.objects.filter(record_id_value=pk, action="transfer").count() == 1
    # ... each with its scan, byte-identical to ours
    for stored in state["records"]:
        scan = current_scan(CivilRecord.objects.get(pk=stored["recordId"]).scans.all())
        assert scan is not None
        with scan.file.open("rb") as handle:
            ours = handle.read()
        theirs = procs.scan(stored["key"])
        assert (
            theirs == ours and hashlib.sha256(theirs).hexdigest() == scan.sha256 == stored["scan"]["sha256"]
        )
    return state


def approved(world, n=N):
    return [world.record("approved") for _ in range(n)]


def test_receiver_down_at_first_then_up(world, procs):
    records = approved(world)
    worker = procs.worker()
    wait_for(
        lambda: TransferItem.objects.filter(
            attempts__gte=2, last_error__contains="cannot be reached"
        ).exists(),
        what="failed attempts while the receiver is down",
    )
    assert CivilRecord.objects.filter(state="transferred").count() == 0
    procs.receiver()
    assert_exactly_once(procs, records)
    assert worker.poll() is None


def test_receiver_answering_500_then_recovering(world, procs):
    records = approved(world)
    procs.receiver("--mode", "fail500")
    procs.worker()
    wait_for(
        lambda: TransferItem.objects.filter(attempts__gte=2, last_error__contains="HTTP 500").exists(),
        what="retries after HTTP 500",
    )
    assert procs.state()["records"] == []
    procs.control(mode="ok")
    assert_exactly_once(procs, records)


def test_slow_receiver_that_stores_but_answers_too_late(world, procs):
    records = approved(world)
    procs.receiver("--mode", "slow", "--delay", "2")
    procs.worker()  # times out after 1 s, while the receiver has already stored the batch
    wait_for(
        lambda: (
            TransferItem.objects.filter(last_error__contains="did not answer within").exists()
            and len(procs.state()["records"]) >= 5
        ),
        what="timeouts with records stored at the receiver",
    )
    procs.control(mode="ok")
    state = assert_exactly_once(procs, records)
    assert state["deliveries"] > N  # some records were sent more than once, stored once


def test_worker_killed_in_the_middle_of_a_batch(world, procs):
    records = approved(world)
    procs.receiver("--mode", "slow", "--delay", "30")
    worker = procs.worker(TRANSFER_TIMEOUT_SECONDS="60", TRANSFER_LEASE_SECONDS="4")
    # The receiver stored the first batch and the worker waits for the answer: kill it now.
    wait_for(lambda: len(procs.state()["records"]) == 5, what="the first batch to arrive")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    assert CivilRecord.objects.filter(state="transferred").count() == 0
    claimed = TransferItem.objects.filter(claimed_until__isnull=False, status="pending")
    assert claimed.count() == 5

    procs.control(mode="ok")
    procs.worker(TRANSFER_LEASE_SECONDS="4")
    state = assert_exactly_once(procs, records)
    assert state["deliveries"] == N + 5  # the killed batch went twice, and was stored once


def test_with_mutual_tls_a_lost_acknowledgement_and_a_worker_without_a_certificate(world, tmp_path):
    procs = Processes(tmp_path, pki=make_pki(tmp_path / "pki"))
    try:
        records = approved(world)
        procs.receiver("--mode", "store_then_500")
        # a worker without the client certificate is cut off before anything is read
        stranger = procs.worker(TRANSFER_CLIENT_CERT="", TRANSFER_CLIENT_KEY="")
        wait_for(
            lambda: TransferItem.objects.filter(
                attempts__gte=2, last_error__contains="national database"
            ).exists(),
            what="refused attempts without a client certificate",
        )
        stranger.kill()
        stranger.wait(10)
        assert procs.state()["deliveries"] == 0
        assert CivilRecord.objects.filter(state="transferred").count() == 0

        procs.worker()
        wait_for(lambda: len(procs.state()["records"]) >= 5, what="records stored, acknowledgements lost")
        procs.control(mode="ok")
        state = assert_exactly_once(procs, records)
        assert state["deliveries"] > N
    finally:
        procs.stop_all()
