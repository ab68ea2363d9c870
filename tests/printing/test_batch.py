"""Batch printing: many extracts in one merged PDF, as a background job with progress."""

import io

import pytest
from pypdf import PdfReader

from audit.models import AuditEvent
from printing.models import ExtractBatch, ExtractIssue
from printing.services import PrintRefused, extract_batch_create
from registry.models import EventType
from tests.printing.data import ISSUE, extract_input
from tests.printing.test_rendering import pdf_text


@pytest.mark.slow
def test_a_batch_renders_every_extract_into_one_pdf_and_logs_each(world):
    # given approved records of three types in commune A
    records = [
        world.record("approved", data=extract_input(t), event_type=t)
        for t in (EventType.BIRTH, EventType.MARRIAGE, EventType.DEATH)
    ]
    # when the counter queues a batch (the job runs inline in tests)
    batch = extract_batch_create(actor=world.counter, record_ids=[r.pk for r in records], **ISSUE)
    batch.refresh_from_db()
    # then the job finished with full progress and one merged PDF, one page per extract
    assert (batch.status, batch.done, batch.total, batch.percent) == ("done", 3, 3, 100)
    pdf = batch.file.read()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3
    text = pdf_text(pdf)
    for title in ("TRÍCH LỤC KHAI SINH", "TRÍCH LỤC KẾT HÔN", "TRÍCH LỤC KHAI TỬ"):
        assert title in text
    # and each extract has its own log row, serial and audit row
    issues = list(ExtractIssue.objects.filter(batch=batch).order_by("id"))
    assert [i.record_id for i in issues] == [r.pk for r in records]
    assert len({i.serial for i in issues}) == 3
    for issue in issues:
        assert f"Số: {issue.serial}" in text
    assert AuditEvent.objects.filter(action="extract_issue").count() == 3


def test_a_batch_with_a_record_outside_the_scope_prints_nothing_and_logs_the_refusal(world):
    mine = world.record("approved", unit=world.commune_a)
    theirs = world.record("approved", unit=world.district1)  # kept by the district, above commune A
    with pytest.raises(PrintRefused, match=f"records {theirs.pk} are not among"):
        extract_batch_create(actor=world.counter, record_ids=[mine.pk, theirs.pk], **ISSUE)
    assert not ExtractBatch.objects.exists() and not ExtractIssue.objects.exists()
    assert AuditEvent.objects.filter(action="denied", record_id_value=theirs.pk, actor=world.counter).exists()


def test_a_batch_with_an_unprintable_record_prints_nothing(world):
    ok = world.record("approved")
    pending = world.record("reviewed")
    with pytest.raises(PrintRefused, match="Only approved or transferred"):
        extract_batch_create(actor=world.counter, record_ids=[ok.pk, pending.pk], **ISSUE)
    assert not ExtractIssue.objects.exists()
