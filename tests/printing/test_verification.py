"""Verification: the QR on the paper leads to a public page that tells genuine, forged and superseded."""

import subprocess
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from printing.services import extract_issue
from printing.tokens import issue_id_from_token, issue_token
from registry.models import EventType
from registry.record_data import record_input_from
from tests.printing.data import ISSUE, extract_input
from workflows import services as wf


def qr_payloads(pdf: bytes, tmp_path) -> list[str]:
    """Decode the QR codes of the PDF's first page as a phone would: render, then read.

    pdftoppm comes with poppler-utils, which `make setup` installs (scripts/debian-packages.txt)."""
    import zxingcpp
    from PIL import Image

    (tmp_path / "x.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "x.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("page*.png")))
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.fixture
def issued(world):
    record = world.record("approved", data=extract_input(EventType.BIRTH))
    return extract_issue(record=record, actor=world.counter, **ISSUE)


def test_the_printed_qr_leads_to_a_page_saying_genuine(issued, tmp_path):
    # given the paper handed out; when a phone reads its QR code
    [url] = qr_payloads(issued.file.read(), tmp_path)
    assert url.startswith("http://127.0.0.1:8000/verify/")
    # and anyone (no login) opens it
    response = Client().get(urlsplit(url).path)
    # then the page says genuine, with the serial, the issue date and the minimum printed on the paper
    body = response.content.decode()
    assert response.status_code == 200
    assert "Genuine." in body and "superseded" not in body
    assert issued.serial in body and timezone.localtime(issued.issued_at).strftime("%d/%m/%Y") in body
    assert "Nguyễn Thị Thuỷ Tiên" in body and "TRÍCH LỤC KHAI SINH" in body
    # and nothing the paper's QR page need not show (parents, PIN)
    assert "Trần Thị Hương" not in body and "035320001234" not in body
    assert AuditEvent.objects.filter(action="verify_extract", record_id_value=issued.record_id).exists()


def test_a_forged_or_altered_token_is_refused(issued):
    token = issue_token(issued.pk)
    assert issue_id_from_token(token) == issued.pk
    value, signature = token.split(":", 1)
    other_id = issue_token(issued.pk + 1).split(":")[0]
    altered = [
        f"{other_id}:{signature}",  # another issue's id under this signature
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character of the signature changed
        "1:" + "x" * 27,  # made up
        value,  # no signature
    ]
    client = Client()
    for bad in altered:
        assert issue_id_from_token(bad) is None
        response = client.get(f"/verify/{bad}/")
        assert response.status_code == 404
        assert "Not genuine." in response.content.decode()


def test_an_amended_record_shows_superseded(world, issued):
    record = issued.record
    data = record_input_from(record)
    data.parties["subject"]["birth_place"] = "Bệnh viện huyện Một"
    wf.record_amend(record=record, actor=world.admin, data=data, reason="Sai nơi sinh")
    body = Client().get(f"/verify/{issue_token(issued.pk)}/").content.decode()
    assert "Genuine, but superseded." in body
    # still superseded once the amendment is approved again
    wf.record_review(record=record, actor=world.reviewer)
    wf.record_approve(record=record, actor=world.approver)
    body = Client().get(f"/verify/{issue_token(issued.pk)}/").content.decode()
    assert "Genuine, but superseded." in body


def test_verification_is_rate_limited_per_address(issued, settings):
    settings.EXTRACT_VERIFY_PER_MINUTE = 3
    url = f"/verify/{issue_token(issued.pk)}/"
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [client.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Too many checks" in client.get(url).content.decode()
    # another address is not held back
    assert Client(REMOTE_ADDR="203.0.113.10").get(url).status_code == 200


def test_an_extract_of_a_transferred_record_amended_later_says_superseded_without_the_new_data(world):
    # given an extract printed from a transferred record
    record = world.record("transferred", data=extract_input(EventType.BIRTH))
    issue = extract_issue(record=record, actor=world.counter, **ISSUE)
    old_name = issue.subject_name
    # when a reviewer of the unit amends the name, and the change goes through review and approval
    data = record_input_from(record)
    data.parties["subject"]["full_name"] = "Trần Văn Mới Sửa"
    wf.record_amend(record=record, actor=world.reviewer, data=data, reason="Cải chính họ tên")
    wf.record_review(record=record, actor=world.reviewer_d1)
    wf.record_approve(record=record, actor=world.approver)
    # then the page behind its QR code says superseded, and since when, and shows only the paper's data
    body = Client().get(f"/verify/{issue_token(issue.pk)}/").content.decode()
    assert "Genuine, but superseded." in body
    assert f"amended on {timezone.localdate():%d/%m/%Y}" in body
    assert old_name in body and "Trần Văn Mới Sửa" not in body
