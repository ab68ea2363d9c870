"""Scan pages over HTTP: upload limits, hostile uploads, scoping with the access log, viewer, book split."""

import io
import re

import pytest
from django.core.files.uploadhandler import StopUpload
from django.urls import reverse
from PIL import Image

from audit.models import AuditEvent
from scans.models import ScanFile
from scans.views import UploadLimitHandler
from tests import scan_samples as samples


def upload(client, record, content, name="scan.pdf"):
    return client.post(
        reverse("scan_upload", args=[record.pk]),
        {"file": _file(content, name)},
        follow=True,
    )


def _file(content, name):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def shown(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_a_clerk_uploads_a_scan_and_the_case_becomes_scanned(client, world):
    record = world.record("collected")
    client.force_login(world.clerk)
    response = upload(client, record, samples.with_embedded_file(), name="scan.pdf")
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.state == "scanned"
    text = shown(response)
    assert "Scan stored: 1 page(s)" in text
    assert "Removed from the file" in text and "embedded file" in text


@pytest.mark.parametrize(
    ("make", "name", "text"),
    [
        (samples.truncated, "scan.pdf", "The PDF is incomplete"),
        (samples.encrypted, "scan.pdf", "encrypted"),
        (samples.zero_pages, "scan.pdf", "has no pages"),
        (samples.content_stream_bomb, "scan.pdf", "decompression bomb"),
        (samples.png_bomb, "scan.png", "decompression bomb"),
    ],
    ids=["truncated", "encrypted", "zero-pages", "bomb", "png-bomb"],
)
def test_hostile_uploads_are_refused_with_a_message_and_nothing_else_is_lost(client, world, make, name, text):
    record = world.record("scanned")
    before = list(record.scans.values_list("pk", flat=True))
    client.force_login(world.clerk)
    response = upload(client, record, make(), name=name)
    assert response.status_code == 200
    assert text in shown(response)
    record.refresh_from_db()
    assert record.state == "scanned"
    assert list(record.scans.values_list("pk", flat=True)) == before


def test_a_png_named_with_a_path_is_stored_under_a_name_of_ids_and_hash(client, world, scan_storage):
    record = world.record("collected")
    client.force_login(world.clerk)
    response = upload(client, record, samples.png_page(), name="../../etc/passwd.pdf")
    assert "named .pdf but is a PNG" in shown(response)
    scan = record.scans.get()
    assert scan.original_name == "passwd.pdf"
    assert re.fullmatch(rf"scans/{record.unit_id}/{record.pk}/[0-9a-f]{{16}}\.pdf", scan.file.name)
    assert not (scan_storage / "etc").exists() and not (scan_storage / "files" / "etc").exists()


class EndlessBody:
    """A request body of `size` bytes, produced as it is read (never held in memory)."""

    def __init__(self, size: int, boundary: str):
        self.head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
        ).encode()
        self.size = size
        self.read_bytes = 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.read_bytes if n is None or n < 0 else min(n, self.size - self.read_bytes)
        start = self.read_bytes
        self.read_bytes += n
        head = self.head[start : start + n]
        return head + b"0" * (n - len(head))

    def readline(self, *args) -> bytes:
        return self.read(1024)


def test_a_200_mb_upload_is_refused_before_its_body_is_read(client, world):
    record = world.record("collected")
    client.force_login(world.clerk)
    body = EndlessBody(200 * 1024 * 1024, "XyZ")
    response = client.generic(
        "POST",
        reverse("scan_upload", args=[record.pk]),
        data=b"",
        content_type="multipart/form-data; boundary=XyZ",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(body.size)},
    )
    assert response.status_code == 302
    assert body.read_bytes == 0
    response = client.get(response["Location"])
    assert "The upload is 200 MB; at most 50 MB are accepted. Nothing was stored." in shown(response)
    assert not record.scans.exists()


def test_the_byte_counter_stops_a_body_that_grows_past_the_limit(rf):
    handler = UploadLimitHandler(rf.post("/"), limit=1000)
    handler.receive_data_chunk(b"x" * 600, 0)
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 600, 600)


def test_a_user_of_another_commune_cannot_get_any_scan_and_the_attempt_is_logged(client, world):
    record = world.record("scanned")
    scan = record.scans.get()
    client.force_login(world.outsider)
    for url in (
        reverse("scan_download", args=[scan.pk]),
        reverse("scan_view", args=[scan.pk]),
        reverse("scan_page", args=[scan.pk, 1]),
    ):
        assert client.get(url).status_code == 404
    denied = AuditEvent.objects.filter(record_id_value=record.pk, action="denied", actor=world.outsider)
    assert denied.count() == 3
    assert (
        client.post(reverse("scan_upload", args=[record.pk]), {"file": _file(b"%PDF", "x.pdf")}).status_code
        == 404
    )


def test_a_download_carries_the_canonical_name_and_is_logged(client, world):
    record = world.record("attached")
    scan = record.scans.get()
    client.force_login(world.reviewer)
    response = client.get(reverse("scan_download", args=[scan.pk]))
    assert response.status_code == 200
    assert scan.canonical_name.startswith("KS.2020.")
    assert scan.canonical_name in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(
        record_id_value=record.pk, action="download_scan", actor=world.reviewer
    ).exists()


def test_the_viewer_shows_page_images_beside_the_entry_form(client, world):
    record = world.record("scanned")
    scan = record.scans.get()
    client.force_login(world.clerk)
    page = client.get(reverse("record_enter", args=[record.pk]))
    assert f'data-page-url="{reverse("scan_page", args=[scan.pk, 1])}"'.encode() in page.content
    image = client.get(reverse("scan_page", args=[scan.pk, 1]) + "?w=200")
    assert image["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).width <= 200
    assert client.get(reverse("scan_page", args=[scan.pk, 2])).status_code == 404
    assert client.get(reverse("scan_view", args=[scan.pk])).status_code == 200
    assert AuditEvent.objects.filter(record_id_value=record.pk, action="view_scan").exists()


def test_a_book_is_uploaded_marked_and_split_through_the_pages(client, world):
    book = world.book(year=2018, book_no="05", cases=3)
    client.force_login(world.clerk)
    response = client.post(
        reverse("book_scans", args=[book.pk]), {"file": _file(samples.book_pdf(4), "book.pdf")}, follow=True
    )
    book_scan = book.scan_uploads.get()
    assert "Book scan stored: 4 pages" in shown(response)
    split = client.get(reverse("book_scan_split", args=[book_scan.pk]))
    assert split.content.count(b'class="thumb"') == 4
    thumb = client.get(reverse("book_scan_page", args=[book_scan.pk, 3]) + "?w=200")
    assert thumb["Content-Type"] == "image/jpeg"

    bad = client.post(reverse("book_scan_split", args=[book_scan.pk]), {"ranges": "1: 1\n7: 2"})
    assert "the book has no open case with entry number 7" in bad.content.decode()
    assert "1: 1\n7: 2" in bad.content.decode()  # the input is kept

    csv = _file(b"entry_no,first_page,last_page\n1,1,1\n2,2,3\n3,4,4\n", "ranges.csv")
    done = client.post(reverse("book_scan_split", args=[book_scan.pk]), {"ranges": "", "csv_file": csv})
    assert done.status_code == 302
    progress = client.get(done["Location"] + "?format=json").json()
    assert progress["status"] == "done" and progress["done"] == 3 and progress["percent"] == 100
    assert ScanFile.objects.filter(record__book=book).count() == 3


def test_an_outsider_cannot_see_a_book_scan_or_its_pages(client, world):
    book = world.book(year=2018, book_no="06", cases=1)
    client.force_login(world.clerk)
    client.post(reverse("book_scans", args=[book.pk]), {"file": _file(samples.book_pdf(1), "book.pdf")})
    book_scan = book.scan_uploads.get()
    client.force_login(world.outsider)
    assert client.get(reverse("book_scan_page", args=[book_scan.pk, 1])).status_code == 404
    assert client.get(reverse("book_scan_split", args=[book_scan.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="denied", actor=world.outsider).count() == 2


def test_a_batch_page_lists_what_to_settle(client, world):
    book = world.book(year=2020, book_no="11", cases=2)
    client.force_login(world.clerk)
    response = client.post(
        reverse("scan_batch_new"),
        {
            "files": [
                _file(samples.small_page_pdf("X1"), "KS.2020.11.0001.pdf"),
                _file(samples.small_page_pdf("X9"), "KS.2020.11.0009.pdf"),
            ]
        },
        follow=True,
    )
    text = response.content.decode()
    assert "No open case you may scan has this book and entry number." in text
    assert book.records.get(entry_no=1).state == "scanned"
