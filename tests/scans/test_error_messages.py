"""Refusals of scans speak to the person uploading: no internal object names, our own pages."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scans import pdf as scan_pdf
from scans.models import ScanFile
from tests import scan_samples as samples


def damaged() -> bytes:
    """Starts and ends as a PDF, but the body between is garbage."""
    return b"%PDF-1.7\n" + b"\x00garbage " * 400 + b"\nstartxref\n999999\n%%EOF\n"


def damaged_page() -> bytes:
    """Opens, but the page's content stream claims a filter its bytes do not satisfy."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(samples.small_page_pdf("DMG")))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"\x01\x02 not flate at all")
    pdf.pages[0].obj.Contents.Filter = pikepdf.Name.FlateDecode
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("make", [damaged, damaged_page])
def test_a_damaged_pdf_is_refused_without_internal_object_names(make):
    try:
        scan_pdf.scan_clean(make(), max_pages=10, budget_kb=100)
    except ValidationError as refused:
        message = " ".join(refused.messages)
        assert "object at 0x" not in message and "BytesIO" not in message and "<" not in message
        if refused.code == "damaged":
            assert "Scan it again" in message
    # a reader that repairs the file is fine too: nothing to show


def upload(client, record, name):
    handle = io.BytesIO(samples.small_page_pdf("LONG"))
    handle.name = name
    return client.post(reverse("scan_upload", args=[record.pk]), {"file": handle}, follow=True)


def test_a_long_file_name_is_stored_shortened_and_the_upload_works(client, world):
    record = world.record("collected")
    client.force_login(world.clerk)
    response = upload(client, record, "Sổ khai sinh " * 20 + ".pdf")
    assert response.status_code == 200
    scan = ScanFile.objects.get(record=record)
    assert len(scan.original_name) <= 255 and scan.original_name.endswith(".pdf")


def test_a_1000_character_file_name_gets_our_400_page_saying_to_shorten_it(client, world):
    # Django refuses an upload part whose headers pass 1 KB before any view runs (a DoS guard).
    record = world.record("collected")
    client.force_login(world.clerk)
    response = upload(client, record, "Sổ khai sinh " * 80 + ".pdf")
    assert response.status_code == 400
    page = response.content.decode()
    assert next(t.name for t in response.templates) == "400.html"
    assert "shorter name" in page and "viewflow" not in page.lower()
    assert not ScanFile.objects.filter(record=record).exists()


def test_the_400_page_is_the_projects_own_template(client, world):
    client.force_login(world.clerk)
    response = client.get(reverse("progress_dashboard") + "?unit=%00")
    assert response.status_code == 400
    assert next(t.name for t in response.templates) == "400.html"
    assert "viewflow" not in response.content.decode().lower()
