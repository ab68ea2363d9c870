"""Finding 11: the reference receiver answers only authenticated senders and well-formed batches,
and its test endpoints exist only in test mode."""

# ruff: noqa: S310 - the tests talk to the receiver they started on 127.0.0.1
import base64
import hashlib
import json
import urllib.error
import urllib.request
import uuid

import pytest
from django.conf import settings

from transfer.reference_receiver import ReceiverServer, main

TOKEN = settings.TRANSFER_TOKEN


def call(url: str, path: str, body: bytes | None = None, *, token: str | None = TOKEN, method: str = "POST"):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{url}{path}", data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def scan_part(content: bytes = b"%PDF-1.4 a scan", name: str = "a.pdf", pages: int = 1) -> dict:
    """A scan as the adapter sends it: described, and its bytes in base64."""
    return {
        "name": name,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "pages": pages,
        "contentType": "application/pdf",
        "encoding": "base64",
        "content": base64.b64encode(content).decode(),
    }


def good_batch(record_id: int = 7, version: int = 2) -> dict:
    return {
        "batch": str(uuid.uuid4()),
        "records": [
            {
                "key": f"civreg-{record_id}-v{version}",
                "record": {
                    "recordId": record_id,
                    "version": version,
                    "eventType": "birth",
                    "unitCode": "00001",
                    "data": {"ngayDangKy": "01/02/2003", "nksHoTen": "Nguyễn Văn A"},
                    "scan": scan_part(),
                },
            }
        ],
    }


def encoded(batch) -> bytes:
    return json.dumps(batch, ensure_ascii=False).encode()


@pytest.fixture
def live(tmp_path):
    """A receiver outside test mode, as the demo runs it."""
    server = ReceiverServer(tmp_path / "live.sqlite3", token=TOKEN).start()
    yield server
    server.stop()


def test_a_good_batch_with_the_token_is_accepted(receiver):
    status, answer = call(receiver.url, "/api/v1/batches", encoded(good_batch()))
    assert status == 200
    assert answer["results"][0]["status"] == "accepted"


@pytest.mark.parametrize("token", [None, "", "wrong-token-of-some-length", TOKEN + "x", TOKEN[:-1]])
def test_a_batch_without_the_token_or_with_another_is_refused_401_and_not_stored(receiver, token):
    status, answer = call(receiver.url, "/api/v1/batches", encoded(good_batch()), token=token)
    assert status == 401
    assert "authentication required" in answer["error"]
    assert receiver.receiver.state()["records"] == []


def forged_key(batch):
    batch["records"][0]["key"] = "civreg-8-v2"  # another record's key on record 7


def mutate(path, value):
    def change(batch):
        target = batch
        for part in path[:-1]:
            target = target[part]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (mutate(["batch"], "not-a-uuid"), "batch"),
        (mutate(["records"], []), "records"),
        (mutate(["records"], "everything"), "records"),
        (mutate(["records", 0], ["a list"]), "records[0]"),
        (mutate(["records", 0, "key"], "anything"), "records[0].key"),
        (forged_key, "records[0].record.recordId"),
        (mutate(["records", 0, "record", "recordId"], "7"), "records[0].record.recordId"),
        (mutate(["records", 0, "record", "version"], True), "records[0].record.version"),
        (mutate(["records", 0, "record", "eventType"], "coronation"), "records[0].record.eventType"),
        (mutate(["records", 0, "record", "unitCode"], KeyError), "records[0].record.unitCode"),
        (mutate(["records", 0, "record", "unitCode"], "0\x001"), "records[0].record.unitCode"),
        (mutate(["records", 0, "record", "data"], "a string"), "records[0].record.data"),
        (mutate(["records", 0, "record", "scan", "sha256"], "xyz"), "records[0].record.scan.sha256"),
        (mutate(["records", 0, "record", "scan", "size"], -1), "records[0].record.scan.size"),
        (mutate(["records", 0, "record", "scan", "content"], 12), "records[0].record.scan.content"),
        (mutate(["records", 0, "record", "scan", "encoding"], "hex"), "records[0].record.scan.encoding"),
    ],
)
def test_a_forged_or_malformed_batch_is_refused_400_naming_the_field(receiver, change, field):
    batch = good_batch()
    change(batch)
    status, answer = call(receiver.url, "/api/v1/batches", encoded(batch))
    assert status == 400
    assert answer["field"] == field
    assert answer["error"].startswith(field)
    assert receiver.receiver.state()["records"] == []


def test_a_key_twice_in_one_batch_is_refused(receiver):
    batch = good_batch()
    batch["records"].append(batch["records"][0])
    status, answer = call(receiver.url, "/api/v1/batches", encoded(batch))
    assert (status, answer["field"]) == (400, "records[1].key")


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_refused_400(receiver, body):
    status, answer = call(receiver.url, "/api/v1/batches", body)
    assert status == 400 and "error" in answer


def test_the_test_endpoints_do_not_exist_outside_test_mode(live):
    assert call(live.url, "/_state", method="GET")[0] == 404
    assert call(live.url, "/_control", encoded({"mode": "fail500"}))[0] == 404
    assert live.receiver.mode == "ok"
    # the batches endpoint and the health check still answer
    assert call(live.url, "/api/v1/batches", encoded(good_batch()))[0] == 200
    assert call(live.url, "/health", method="GET", token=None) == (200, {"status": "ok"})


def test_in_test_mode_the_test_endpoints_also_need_the_token(receiver):
    assert call(receiver.url, "/_state", method="GET", token=None)[0] == 401
    assert call(receiver.url, "/_control", encoded({"mode": "fail500"}), token="nope")[0] == 401
    assert receiver.receiver.mode == "ok"
    assert call(receiver.url, "/_control", encoded({"mode": "fail500"}))[0] == 200
    assert receiver.receiver.mode == "fail500"


def test_the_receiver_refuses_to_start_without_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("TRANSFER_RECEIVER_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="needs a token"):
        main(["--port", "0", "--db", str(tmp_path / "r.sqlite3")])


def scan_update_batch(record_id: int = 7, scan_id: int = 3) -> dict:
    return {
        "batch": str(uuid.uuid4()),
        "records": [
            {
                "key": f"civreg-{record_id}-scan-{scan_id}",
                "record": {
                    "recordId": record_id,
                    "version": 4,
                    "update": "scan",
                    "eventType": "birth",
                    "unitCode": "00001",
                    "scan": scan_part(b"%PDF-1.4 a late scan", pages=2),
                },
            }
        ],
    }


def test_a_late_scan_update_is_accepted_and_a_forged_one_refused_naming_the_field(receiver):
    status, answer = call(receiver.url, "/api/v1/batches", encoded(scan_update_batch()))
    assert status == 200 and answer["results"][0]["status"] == "accepted"
    forged = scan_update_batch()
    forged["records"][0]["record"]["recordId"] = 8  # the key names record 7
    assert call(receiver.url, "/api/v1/batches", encoded(forged))[1]["field"] == "records[0].record.recordId"
    no_scan = scan_update_batch(scan_id=4)
    no_scan["records"][0]["record"]["scan"] = None
    assert call(receiver.url, "/api/v1/batches", encoded(no_scan))[1]["field"] == "records[0].record.scan"
    not_an_update = scan_update_batch(scan_id=5)
    del not_an_update["records"][0]["record"]["update"]
    assert (
        call(receiver.url, "/api/v1/batches", encoded(not_an_update))[1]["field"]
        == "records[0].record.update"
    )


def with_scan(**changes) -> dict:
    batch = good_batch()
    batch["records"][0]["record"]["scan"].update(changes)
    return batch


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"content": base64.b64encode(b"%PDF-1.4 A SCAN").decode()}, "SHA-256"),  # same size
        ({"size": 3}, "kích thước"),
        ({"content": "not base64!"}, "base64"),
        ({"content": None}, "scan.content"),
    ],
)
def test_a_scan_that_does_not_match_its_description_is_rejected_naming_why(receiver, changes, words):
    status, answer = call(receiver.url, "/api/v1/batches", encoded(with_scan(**changes)))
    assert status == 200
    (result,) = answer["results"]
    assert result["status"] == "rejected" and words in result["message"]
    assert receiver.receiver.state()["records"] == []
    assert receiver.receiver.scan_content("civreg-7-v2") is None


def test_a_stored_scan_is_read_back_byte_identical_and_stored_once(receiver):
    content = bytes(range(256)) * 40  # every byte value
    batch = with_scan(**scan_part(content))
    assert call(receiver.url, "/api/v1/batches", encoded(batch))[1]["results"][0]["status"] == "accepted"
    batch["batch"] = str(uuid.uuid4())
    assert call(receiver.url, "/api/v1/batches", encoded(batch))[1]["results"][0]["status"] == "duplicate"
    assert receiver.receiver.scan_content("civreg-7-v2") == content
    (stored,) = receiver.receiver.state()["records"]
    assert stored["scan"] == {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
    request = urllib.request.Request(
        f"{receiver.url}/_scans/civreg-7-v2", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.read() == content
    assert call(receiver.url, "/_scans/civreg-7-v2", method="GET", token=None)[0] == 401
    assert call(receiver.url, "/_scans/civreg-8-v2", method="GET")[0] == 404


@pytest.mark.parametrize(
    ("tls", "words"),
    [
        (["--tls-cert", "missing.pem", "--tls-key", "missing.key"], "TLS files cannot be loaded"),
        (["--tls-client-ca", "ca.pem"], "needs the server's certificate and key"),
        (["--tls-cert", "server.pem"], "both the server's certificate and its key"),
    ],
)
def test_the_receiver_refuses_to_start_with_tls_options_that_cannot_work(tmp_path, tls, words):
    with pytest.raises(SystemExit, match=words):
        main(
            [
                "--port",
                "0",
                "--db",
                str(tmp_path / "r.sqlite3"),
                *[str(tmp_path / a) if "." in a else a for a in tls],
            ],
            token=TOKEN,
        )
