"""A PDF or image bomb is refused at upload on every upload path, never kept for a later stage."""

import io

import pytest
from django.urls import reverse

from scans.models import BookScan, ItemStatus, ScanBatchItem, ScanFile
from tests import scan_samples as samples


@pytest.fixture
def worker_not_yet_run(monkeypatch):
    """The batch's background matching has not run: what is refused now was refused at upload."""
    import scans.tasks

    class Later:
        @staticmethod
        def enqueue(*args, **kwargs):
            return None

    monkeypatch.setattr(scans.tasks, "scan_batch_task", Later)


def _file(content: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


@pytest.mark.parametrize("make", [samples.content_stream_bomb, samples.image_bomb_pdf])
def test_a_bomb_uploaded_as_a_whole_book_is_refused_at_upload(client, world, make):
    book = world.book(cases=2)
    client.force_login(world.clerk)
    response = client.post(reverse("book_scans", args=[book.pk]), {"file": _file(make(), "book.pdf")})
    assert response.status_code == 200  # the page again, with the refusal
    assert "decompression bomb" in response.content.decode()
    assert not BookScan.objects.filter(book=book).exists()


@pytest.mark.parametrize(
    ("make", "name"),
    [(samples.content_stream_bomb, "KS.2020.01.0001.pdf"), (samples.png_bomb, "KS.2020.01.0002.png")],
)
def test_a_bomb_in_a_named_batch_is_refused_at_upload_and_never_stored(
    client, world, worker_not_yet_run, make, name
):
    client.force_login(world.clerk)
    response = client.post(reverse("scan_batch_new"), {"files": [_file(make(), name)]})
    assert response.status_code == 302
    item = ScanBatchItem.objects.get(original_name=name)
    assert item.status == ItemStatus.REFUSED
    assert "decompression bomb" in item.message
    assert not item.file
    assert not ScanFile.objects.exists()


def test_a_good_file_beside_a_bomb_in_a_batch_is_still_staged(client, world, worker_not_yet_run):
    book = world.book(year=2020, book_no="01", cases=2)
    client.force_login(world.clerk)
    client.post(
        reverse("scan_batch_new"),
        {
            "files": [
                _file(samples.content_stream_bomb(), "01_1.pdf"),
                _file(samples.small_page_pdf("OK"), "01_2.pdf"),
            ],
            "book": book.pk,
        },
    )
    statuses = dict(ScanBatchItem.objects.values_list("original_name", "status"))
    assert statuses == {"01_1.pdf": ItemStatus.REFUSED, "01_2.pdf": ItemStatus.PENDING}
    assert ScanBatchItem.objects.get(original_name="01_2.pdf").file
