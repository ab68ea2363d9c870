"""The work screen of every stage shows the case's scan in the viewer beside the form, never a download."""

import re

import pytest

from workflows.models import RecordTask

# (state the record is in, stage of its open task, who works it)
STAGES = [
    ("scanned", "enter", "clerk"),
    ("entered", "attach", "clerk2"),
    ("attached", "review", "reviewer"),
    ("reviewed", "approve", "approver"),
]


@pytest.mark.parametrize(("state", "stage", "who"), STAGES, ids=[s for _, s, _ in STAGES])
def test_the_scan_pane_shows_the_pages_of_the_scan(world, client, state, stage, who):
    # given a case with a stored scan, waiting at `stage`
    record = world.record(state)
    task = RecordTask.objects.get(record=record, stage=stage, status__in=["NEW", "ASSIGNED"])
    scan = record.scans.first()
    client.force_login(getattr(world, who))

    # when its work screen opens
    html = client.get(f"/work/tasks/{task.pk}/").content.decode()

    # then the pane holds the viewer with the first page as an image, and no frame on the download
    pane = re.search(r'<section class="scan-pane".*?</section>', html, re.S).group(0)
    assert f'src="/scans/{scan.pk}/pages/1/?w=1200"' in pane
    assert "<iframe" not in pane
    # the page image it points at is an image served inline, not an attachment
    page = client.get(f"/scans/{scan.pk}/pages/1/?w=1200")
    assert page.status_code == 200 and page["Content-Type"] == "image/jpeg"
    assert "attachment" not in page.get("Content-Disposition", "")
    assert page.content[:3] == b"\xff\xd8\xff"
    # and the viewer's own download button is the only way to the PDF
    assert f'href="/scans/{scan.pk}/"' in pane
