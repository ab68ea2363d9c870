"""A scanner station on its token: registers a book, pushes its 20 scans as one PDF to split and
(for a second book) as 20 single files, and sees every slot filled, named by the naming rule."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scans.naming import scan_name_parse
from tests import scan_samples as samples


def _new_book(client, headers, world, book_no: str) -> int:
    payload = {
        "unit_code": world.commune_a.code,
        "event_type": "birth",
        "year": 2020,
        "book_no": book_no,
        "declared_cases": 20,
    }
    answer = client.post("/api/v1/books", json.dumps(payload), content_type="application/json", **headers)
    assert answer.status_code == 201, answer.content
    assert answer.json()["slots"] == 20
    return answer.json()["id"]


def _slots(client, headers, book_id: int) -> list[dict]:
    rows, after = [], ""
    while True:
        page = client.get(f"/api/v1/records?book={book_id}&limit=7&after={after}", **headers).json()
        rows += page["items"]
        if not page["next"]:
            return rows
        after = page["next"]


def _assert_filled_and_named(rows: list[dict]) -> None:
    assert [r["entry_no"] for r in rows] == list(range(1, 21))
    assert {r["state"] for r in rows} == {"scanned"}
    for row in rows:
        parsed = scan_name_parse(row["scan"]["name"])
        assert parsed is not None and parsed.entry_no == row["entry_no"] and parsed.year == 2020
        assert row["scan"]["name"].startswith("KS.2020.")


@pytest.mark.slow
def test_a_scanner_station_pushes_a_book_as_one_pdf_and_as_single_files(client, world, bearer):
    headers = bearer(world.clerk)

    # One PDF of the whole book, cut by the ranges the station knows (one page a case).
    book_id = _new_book(client, headers, world, "S1")
    upload = SimpleUploadedFile("book.pdf", samples.book_pdf(20), content_type="application/pdf")
    ranges = "\n".join(f"{n}: {n}-{n}" for n in range(1, 21))
    answer = client.post(f"/api/v1/books/{book_id}/scan", {"file": upload, "ranges": ranges}, **headers)
    assert answer.status_code == 202, answer.content
    progress = client.get(f"/api/v1/split-jobs/{answer.json()['job']}", **headers).json()
    assert progress["done"] == 20 and progress["percent"] == 100
    _assert_filled_and_named(_slots(client, headers, book_id))

    # The same book's scans as 20 single files, one per case.
    book_id = _new_book(client, headers, world, "S2")
    for row in _slots(client, headers, book_id):
        page = SimpleUploadedFile(
            f"{row['entry_no']}.pdf",
            samples.small_page_pdf(f"CASE {row['entry_no']}"),
            content_type="application/pdf",
        )
        sent = client.post(f"/api/v1/records/{row['id']}/scan", {"file": page}, **headers)
        assert sent.status_code == 201, sent.content
    rows = _slots(client, headers, book_id)
    _assert_filled_and_named(rows)

    # The scan comes back as the PDF, under its rule name.
    download = client.get(f"/api/v1/records/{rows[4]['id']}/scan", **headers)
    assert download["Content-Type"] == "application/pdf"
    assert rows[4]["scan"]["name"] in download["Content-Disposition"]


def test_the_same_file_twice_is_a_conflict_not_a_second_scan(client, world, bearer):
    headers = bearer(world.clerk)
    record = world.book(cases=1).records.get()
    content = samples.small_page_pdf("ONCE")
    first = client.post(
        f"/api/v1/records/{record.pk}/scan", {"file": SimpleUploadedFile("a.pdf", content)}, **headers
    )
    again = client.post(
        f"/api/v1/records/{record.pk}/scan", {"file": SimpleUploadedFile("a.pdf", content)}, **headers
    )
    assert first.status_code == 201 and again.status_code == 409
    assert record.scans.count() == 1


def test_a_file_that_is_not_a_scan_is_refused_by_field(client, world, bearer):
    record = world.book(cases=1).records.get()
    answer = client.post(
        f"/api/v1/records/{record.pk}/scan",
        {"file": SimpleUploadedFile("notes.txt", b"hello")},
        **bearer(world.clerk),
    )
    assert answer.status_code == 422 and "file" in answer.json()["errors"]
