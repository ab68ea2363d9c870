"""The Queue page's rows, written in Python (`workflows.inbox_views.rows_html`): what a row shows,
escaped as the template would, for each list."""

from __future__ import annotations

from workflows.inbox_views import rows_html

ROW = {
    "pk": 7,
    "case": "Birth 2020 · book <1> · no. 3",
    "is_return": True,
    "unit": "Xã An & Bình",
    "stage": "Enter data",
    "created": "01/02/2026 08:00",
    "due": "03/02/2026 08:00",
    "overdue": True,
    "finished": "",
    "outcome_returned": False,
    "return_reason": 'Sai "ngày" sinh',
    "return_by": "Người duyệt",
    "remark_rows": [("Person registered › Date of birth", "Sổ ghi <02/03/2020>")],
    "work_url": "/work/tasks/7/",
    "claim_url": "/work/tasks/7/claim/",
    "release_url": "/work/tasks/7/release/",
}


def test_a_queue_row_escapes_what_people_typed_and_offers_the_claim():
    html = rows_html([ROW], "queue", here="/work/queue/?unit=1&book=2", csrf="<csrf>")
    assert "book &lt;1&gt;" in html and "Xã An &amp; Bình" in html
    assert '<td data-label="Deadline" class="overdue">03/02/2026 08:00</td>' in html
    assert '<span class="badge returned">returned</span>' in html
    assert 'action="/work/tasks/7/claim/"' in html and "<csrf>" in html
    assert 'name="next" value="/work/queue/?unit=1&amp;book=2"' in html
    assert 'aria-label="Claim: Birth 2020 · book &lt;1&gt; · no. 3"' in html
    assert "release" not in html


def test_a_returned_row_shows_reason_remarks_and_who_returned_it():
    html = rows_html([ROW], "returned", here="/work/returned/", csrf="")
    assert "Sai &quot;ngày&quot; sinh" in html
    remark = "<li><strong>Person registered › Date of birth</strong>: Sổ ghi &lt;02/03/2020&gt;</li>"
    assert f'<ul class="remarks">{remark}</ul>' in html
    assert '<div class="muted">by Người duyệt</div>' in html
    assert 'href="/work/tasks/7/"' in html and 'action="/work/tasks/7/release/"' in html


def test_a_done_row_shows_the_outcome_and_no_action():
    html = rows_html([{**ROW, "finished": "04/02/2026 09:00"}], "done", here="/work/done/", csrf="")
    assert '<td data-label="Finished">04/02/2026 09:00</td><td data-label="Outcome">passed</td>' in html
    assert "<form" not in html and "Deadline" not in html
