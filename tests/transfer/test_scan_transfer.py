"""Issue 19, item 5: the transfer carries each case's scan, and authenticates.

Against the reference receiver with its bearer token on (and, below, with mutual TLS on): every
stored scan is byte-identical to ours, a call without credentials is refused and nothing is
stored, a scan altered on the way is refused for good with the receiver's message, a batch stays
under its byte limit, and a scan damaged in our own storage is not sent.
"""

import base64
import hashlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from scans.models import ScanFile, current_scan
from tests.transfer.pki import make_pki
from transfer.adapters import (
    ENVELOPE_BYTES,
    HttpJsonAdapter,
    OutgoingRecord,
    entry_bytes,
    idempotency_key,
    record_payload,
)
from transfer.models import TransferItem
from transfer.reference_receiver import ReceiverServer
from transfer.services import transfer_send_batch


def our_scan(record) -> ScanFile:
    scan = current_scan(ScanFile.objects.filter(record=record))
    assert scan is not None
    return scan


def our_bytes(record) -> bytes:
    with our_scan(record).file.open("rb") as handle:
        return handle.read()


def assert_scans_arrived_identical(server: ReceiverServer, records) -> None:
    """The receiver holds each record once, with our scan's exact bytes (SHA-256 checked)."""
    stored = {r["recordId"]: r for r in server.receiver.state()["records"]}
    assert sorted(stored) == sorted(r.pk for r in records)
    for record in records:
        ours = our_bytes(record)
        theirs = server.receiver.scan_content(stored[record.pk]["key"])
        assert theirs == ours
        assert stored[record.pk]["scan"]["sha256"] == hashlib.sha256(ours).hexdigest()
        assert stored[record.pk]["scan"]["sha256"] == our_scan(record).sha256


def approved(world, n: int):
    return [world.record("approved") for _ in range(n)]


def test_approved_records_arrive_with_their_scans_byte_identical(world, receiver, adapter):
    records = approved(world, 3)
    report = transfer_send_batch(adapter=adapter)
    assert (report.claimed, report.acknowledged) == (3, 3)
    for record in records:
        record.refresh_from_db()
        assert record.state == "transferred"
    assert_scans_arrived_identical(receiver, records)
    # what the receiver keeps as the record describes the scan without repeating its bytes
    with receiver.receiver._db() as db:
        payloads = [row[0] for row in db.execute("SELECT payload FROM records")]
    assert all('"content"' not in payload for payload in payloads)


def test_a_call_without_the_token_is_refused_and_nothing_is_stored(world, receiver):
    record = world.record("approved")
    report = transfer_send_batch(adapter=HttpJsonAdapter(receiver.url, timeout=2, token=""))
    assert (report.acknowledged, report.retried) == (0, 1)
    item = TransferItem.objects.get(record=record)
    assert item.status == "pending" and "HTTP 401" in item.last_error
    record.refresh_from_db()
    assert record.state == "approved"
    state = receiver.receiver.state()
    assert state["records"] == [] and state["deliveries"] == 0


class TamperingAdapter(HttpJsonAdapter):
    """Changes one byte of each scan on the way, leaving its declared hash and size as they were."""

    def send_batch(self, records):
        altered = []
        for outgoing in records:
            scan = dict(outgoing.record["scan"])
            content = bytearray(base64.b64decode(scan["content"]))
            content[len(content) // 2] ^= 0xFF
            scan["content"] = base64.b64encode(bytes(content)).decode()
            altered.append(OutgoingRecord(key=outgoing.key, record={**outgoing.record, "scan": scan}))
        return super().send_batch(altered)


def test_a_scan_altered_on_the_way_is_refused_for_good_with_the_receivers_message(world, receiver):
    record = world.record("approved")
    report = transfer_send_batch(adapter=TamperingAdapter(receiver.url, timeout=2))
    assert report.rejected == 1
    item = TransferItem.objects.get(record=record)
    assert item.status == "rejected"
    assert "SHA-256" in item.message and current_scan(record.scans.all()).sha256 in item.message
    record.refresh_from_db()
    assert record.state == "reviewed"
    assert record.last_reason.startswith("Refused by the national database")
    assert "SHA-256" in record.last_reason
    assert receiver.receiver.state()["records"] == []
    assert receiver.receiver.scan_content(item.idempotency_key) is None


def test_a_scan_damaged_in_our_storage_is_not_sent_and_waits_saying_why(world, receiver, adapter):
    damaged, sound = approved(world, 2)
    scan = current_scan(damaged.scans.all())
    path = scan.file.path
    with open(path, "r+b") as handle:
        handle.seek(10)
        handle.write(b"\x00\x00\x00")
    report = transfer_send_batch(adapter=adapter)
    assert (report.acknowledged, report.retried) == (1, 1)
    item = TransferItem.objects.get(record=damaged)
    assert item.status == "pending"
    assert "no longer matches its SHA-256" in item.last_error and scan.canonical_name in item.last_error
    assert [r["recordId"] for r in receiver.receiver.state()["records"]] == [sound.pk]


class MeasuringAdapter(HttpJsonAdapter):
    """Remembers the size of each request body it sends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bodies: list[int] = []

    def post(self, body):
        self.bodies.append(len(body))
        return super().post(body)


def test_a_batch_stays_under_its_byte_limit_and_the_rest_follow_in_the_next(world, receiver, settings):
    records = approved(world, 5)
    sizes = [entry_bytes(OutgoingRecord(key=idempotency_key(r), record=record_payload(r))) for r in records]
    # room for two records with their scans, not three
    settings.TRANSFER_BATCH_MAX_BYTES = ENVELOPE_BYTES + 2 * max(sizes) + min(sizes) // 2
    adapter = MeasuringAdapter(receiver.url, timeout=2)
    reports = [transfer_send_batch(adapter=adapter) for _ in range(4)]
    assert [r.acknowledged for r in reports] == [2, 2, 1, 0]
    assert [r.deferred for r in reports] == [3, 1, 0, 0]
    assert len(adapter.bodies) == 3
    assert all(size <= settings.TRANSFER_BATCH_MAX_BYTES for size in adapter.bodies)
    # left for the next batch is not an attempt: each item was sent once
    assert list(TransferItem.objects.filter(record__in=records).values_list("attempts", flat=True)) == [1] * 5
    assert_scans_arrived_identical(receiver, records)


def test_a_record_larger_than_the_byte_limit_goes_alone(world, receiver, settings):
    records = approved(world, 2)
    settings.TRANSFER_BATCH_MAX_BYTES = 1000  # smaller than any one record with its scan
    adapter = MeasuringAdapter(receiver.url, timeout=2)
    assert transfer_send_batch(adapter=adapter).acknowledged == 1
    assert transfer_send_batch(adapter=adapter).acknowledged == 1
    assert len(adapter.bodies) == 2
    assert_scans_arrived_identical(receiver, records)


# --- Mutual TLS --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def mtls_receiver(tmp_path, pki, settings):
    """The reference receiver on HTTPS, demanding a client certificate our CA signed and the token."""
    server = ReceiverServer(
        tmp_path / "mtls.sqlite3",
        token=settings.TRANSFER_TOKEN,
        test_mode=True,
        tls_cert=pki.server_cert,
        tls_key=pki.server_key,
        client_ca=pki.ca,
    ).start()
    yield server
    server.stop()


def mtls_adapter(server, pki, **changes):
    options = {
        "timeout": 5,
        "ca_bundle": str(pki.ca),
        "client_cert": str(pki.client_cert),
        "client_key": str(pki.client_key),
        **changes,
    }
    return HttpJsonAdapter(server.url, **options)


def test_with_mutual_tls_the_scans_arrive_byte_identical(world, mtls_receiver, pki, settings):
    # configured as in production: the settings name the files
    settings.NATIONAL_DB_URL = mtls_receiver.url
    settings.TRANSFER_CLIENT_CERT, settings.TRANSFER_CLIENT_KEY = str(pki.client_cert), str(pki.client_key)
    settings.TRANSFER_CA_BUNDLE = str(pki.ca)
    assert mtls_receiver.url.startswith("https://")
    records = approved(world, 3)
    report = transfer_send_batch()  # the default adapter, from the settings
    assert report.acknowledged == 3, report.error
    assert_scans_arrived_identical(mtls_receiver, records)


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param({"client_cert": "", "client_key": ""}, id="no client certificate"),
        pytest.param({"client_cert": "stranger_cert", "client_key": "stranger_key"}, id="another CA's"),
        pytest.param({"token": ""}, id="certificate but no token"),
    ],
)
def test_with_mutual_tls_a_call_without_credentials_is_refused_and_nothing_stored(
    world, mtls_receiver, pki, credentials
):
    record = world.record("approved")
    changes = {name: str(getattr(pki, value)) if value else value for name, value in credentials.items()}
    report = transfer_send_batch(adapter=mtls_adapter(mtls_receiver, pki, **changes))
    assert (report.acknowledged, report.retried) == (0, 1)
    item = TransferItem.objects.get(record=record)
    assert item.status == "pending" and item.last_error
    record.refresh_from_db()
    assert record.state == "approved"
    state = mtls_receiver.receiver.state()
    assert state["records"] == [] and state["deliveries"] == 0


def test_a_receiver_we_cannot_verify_is_not_sent_anything(world, mtls_receiver, pki):
    record = world.record("approved")
    report = transfer_send_batch(adapter=mtls_adapter(mtls_receiver, pki, ca_bundle=str(pki.stranger_cert)))
    assert report.retried == 1 and "CERTIFICATE_VERIFY_FAILED" in report.error
    assert TransferItem.objects.get(record=record).status == "pending"
    assert mtls_receiver.receiver.state()["deliveries"] == 0


def test_tls_settings_that_cannot_work_stop_the_worker_saying_which(settings, tmp_path, pki):
    settings.NATIONAL_DB_URL = "http://127.0.0.1:8765"
    settings.TRANSFER_CLIENT_CERT, settings.TRANSFER_CLIENT_KEY = str(pki.client_cert), str(pki.client_key)
    with pytest.raises(CommandError, match="not https://"):
        call_command("transfer_worker", "--until-idle")
    settings.NATIONAL_DB_URL = "https://127.0.0.1:8765"
    settings.TRANSFER_CLIENT_CERT = str(tmp_path / "missing.pem")
    with pytest.raises(ImproperlyConfigured, match="TRANSFER_CLIENT_CERT="):
        HttpJsonAdapter(settings.NATIONAL_DB_URL, timeout=1)


def test_the_payload_carries_the_scan_file_itself(world):
    record = world.record("approved")
    scan = current_scan(record.scans.all())
    part = record_payload(record)["scan"]
    assert (part["sha256"], part["size"], part["pages"]) == (scan.sha256, scan.size, scan.pages)
    assert (part["contentType"], part["encoding"]) == ("application/pdf", "base64")
    assert base64.b64decode(part["content"]) == our_bytes(record)
