"""Work screens: claims lost, claims expired, stale forms, returns with remarks, approval by page."""

import datetime as dt

from django.utils import timezone

from audit.models import AuditEvent
from registry.models import CivilRecord
from workflows import claims
from workflows import services as wf
from workflows.models import RecordTask


def entry_post(record, **extra):
    data = {
        "version": record.version,
        "registration_date": "10/03/2020",
        "registration_type": "1",
        "subject__full_name": "Nguyễn Văn Giữ Lại",
        "subject__sex": "1",
        "subject__birth_date": "02/03/2020",
        "mother__full_name": "Trần Thị Bình",
        "mother__sex": "2",
        "father__sex": "1",
        "submit": "1",
    }
    data.update(extra)
    return data


def enter_task(world):
    record = world.record("scanned")
    return record, RecordTask.objects.get(record=record, stage="enter")


def test_claiming_a_task_already_taken_says_by_whom_on_the_queue(world, client):
    task = RecordTask.objects.get(book=world.book(cases=1), stage="scan")
    claims.task_claim(task=task, actor=world.clerk2)
    client.force_login(world.clerk)
    response = client.post(f"/work/tasks/{task.pk}/claim/", {"next": "/work/queue/"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/work/queue/"
    assert "Already taken by clerk2_a" in response.content.decode()


def test_the_ui_speaks_vietnamese_by_default(world, client, settings):
    settings.LANGUAGE_CODE = "vi"  # the project default (the test suite otherwise runs in English)
    task = RecordTask.objects.get(book=world.book(cases=1), stage="scan")
    claims.task_claim(task=task, actor=world.clerk2)
    client.force_login(world.clerk)
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    html = client.get("/work/queue/").content.decode()
    assert "Hàng chờ: việc tôi có thể nhận" in html and "Nhận các trường hợp tiếp theo" in html
    response = client.post(f"/work/tasks/{task.pk}/claim/", {"next": "/work/queue/"}, follow=True)
    assert "clerk2_a đã nhận việc này" in response.content.decode()


def test_claim_then_enter_then_the_attach_task_opens_for_the_same_clerk(world, client):
    record, task = enter_task(world)
    client.force_login(world.clerk)
    response = client.post(f"/work/tasks/{task.pk}/claim/")
    assert response["Location"] == f"/work/tasks/{task.pk}/"
    response = client.post(f"/work/tasks/{task.pk}/", entry_post(record))
    attach = RecordTask.objects.get(record=record, stage="attach")
    assert response["Location"] == f"/work/tasks/{attach.pk}/"
    record.refresh_from_db()
    assert record.state == "entered" and record.subject().full_name == "Nguyễn Văn Giữ Lại"


def test_entering_on_an_expired_claim_keeps_the_input_and_says_what_to_do(world, client, settings):
    settings.CLAIM_IDLE_MINUTES = 30
    record, task = enter_task(world)
    claims.task_claim(task=task, actor=world.clerk)
    RecordTask.objects.filter(pk=task.pk).update(last_activity=timezone.now() - dt.timedelta(hours=1))
    client.force_login(world.clerk)
    response = client.post(f"/work/tasks/{task.pk}/", entry_post(record))
    html = response.content.decode()
    assert response.status_code == 200
    assert "expired after 30 minutes" in html
    assert 'value="Nguyễn Văn Giữ Lại"' in html
    assert 'name="reclaim"' in html
    record.refresh_from_db()
    assert record.state == "scanned"
    response = client.post(f"/work/tasks/{task.pk}/", entry_post(record, reclaim="1"))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "entered"


def test_entering_when_someone_else_took_the_expired_claim_names_them(world, client, settings):
    settings.CLAIM_IDLE_MINUTES = 30
    record, task = enter_task(world)
    claims.task_claim(task=task, actor=world.clerk)
    RecordTask.objects.filter(pk=task.pk).update(last_activity=timezone.now() - dt.timedelta(hours=1))
    claims.task_claim(task=task, actor=world.clerk2)
    client.force_login(world.clerk)
    response = client.post(f"/work/tasks/{task.pk}/", entry_post(record, reclaim="1"))
    html = response.content.decode()
    assert "Already taken by clerk2_a" in html
    assert 'value="Nguyễn Văn Giữ Lại"' in html


def test_a_stale_form_keeps_the_input_and_explains_the_conflict(world, client):
    record, task = enter_task(world)
    claims.task_claim(task=task, actor=world.clerk)
    client.force_login(world.clerk)
    stale = entry_post(record)
    wf.record_data_save(record=record, actor=world.clerk, data=_input("Người Khác"))  # another tab saved
    response = client.post(f"/work/tasks/{task.pk}/", stale)
    html = response.content.decode()
    assert "Someone else changed this record" in html
    assert 'value="Nguyễn Văn Giữ Lại"' in html
    assert CivilRecord.objects.get(pk=record.pk).state == "scanned"


def _input(name):
    from tests.factories import birth_input

    return birth_input(name=name)


def test_review_returns_with_remarks_per_field_that_reach_the_clerk(world, client):
    record = world.record("attached")
    task = RecordTask.objects.get(record=record, stage="review")
    client.force_login(world.reviewer)
    client.post(f"/work/tasks/{task.pk}/claim/")
    response = client.post(
        f"/work/tasks/{task.pk}/",
        {
            "version": record.version,
            "action": "return",
            "reason": "Ngày sinh sai",
            "back_to": "entry",
            "remark:subject.birth_date": "Sổ ghi 02/03/2020",
            "remark:note": "",
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "scanned" and record.return_remarks == {"subject.birth_date": "Sổ ghi 02/03/2020"}
    client.force_login(world.clerk)
    html = client.get("/work/returned/").content.decode()
    assert "Ngày sinh sai" in html and "Sổ ghi 02/03/2020" in html and "Date of birth" in html
    rework = RecordTask.objects.get(record=record, stage="enter", status="ASSIGNED")
    html = client.get(f"/work/tasks/{rework.pk}/").content.decode()
    assert "Remark: Sổ ghi 02/03/2020" in html


def test_a_return_without_reason_keeps_the_remarks_typed(world, client):
    record = world.record("attached")
    task = RecordTask.objects.get(record=record, stage="review")
    client.force_login(world.reviewer)
    response = client.post(
        f"/work/tasks/{task.pk}/",
        {"version": record.version, "action": "return", "reason": "", "reclaim": "1", "remark:note": "thiếu"},
    )
    html = response.content.decode()
    assert "Give a reason" in html
    assert 'value="thiếu"' in html


def test_an_approver_approves_a_reviewed_book_page_by_page(world, client):
    book = world.book(cases=4)
    records = list(book.records.order_by("entry_no"))
    for record in records:
        world.walk(record, "reviewed")
    CivilRecord.objects.filter(pk__in=[r.pk for r in records[:3]]).update(page_no=1)
    CivilRecord.objects.filter(pk=records[3].pk).update(page_no=2)
    client.force_login(world.approver)
    html = client.get(f"/work/books/{book.pk}/approve/").content.decode()
    assert "Approve page 1 (3 cases)" in html and "Approve page 2 (1 case)" in html
    page_1 = [f"{r.pk}:{CivilRecord.objects.get(pk=r.pk).version}" for r in records[:3]]
    response = client.post(f"/work/books/{book.pk}/approve/", {"page": "1", "record": page_1}, follow=True)
    assert "Page 1: 3 cases approved." in response.content.decode()
    states = dict(CivilRecord.objects.filter(book=book).values_list("entry_no", "state"))
    assert states == {1: "approved", 2: "approved", 3: "approved", 4: "reviewed"}
    assert (
        AuditEvent.objects.filter(action="approve", record_id_value__in=[r.pk for r in records]).count() == 3
    )
    assert AuditEvent.objects.get(action="approve_page").changes["approved"] == [1, 2, 3]


def test_approval_by_page_names_what_it_left(world, client):
    from permissions.services import role_grant

    role_grant(user=world.reviewer, unit=world.commune_a, role="approver")
    book = world.book(cases=2)
    records = list(book.records.order_by("entry_no"))
    for record in records:
        world.walk(record, "reviewed")  # reviewed by world.reviewer
    client.force_login(world.reviewer)
    seen = [f"{r.pk}:{CivilRecord.objects.get(pk=r.pk).version}" for r in records]
    response = client.post(f"/work/books/{book.pk}/approve/", {"page": "", "record": seen}, follow=True)
    assert "four eyes" in response.content.decode()
    assert not CivilRecord.objects.filter(book=book, state="approved").exists()


def test_bad_data_is_shown_on_its_field_and_kept(world, client):
    record, task = enter_task(world)
    claims.task_claim(task=task, actor=world.clerk)
    client.force_login(world.clerk)
    response = client.post(f"/work/tasks/{task.pk}/", entry_post(record, subject__pin="12345"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="12345"' in html and 'value="Nguyễn Văn Giữ Lại"' in html
    assert 'class="invalid' in html
    record.refresh_from_db()
    assert record.state == "scanned"


def test_after_a_step_the_clerk_stays_with_the_book_and_the_message_names_the_case(world, client):
    # given a clerk holding attach work in two books, the other book's claim the oldest
    other = world.walk(world.book(cases=1, book_no="B9").records.get(), "entered")
    first, second = (
        world.walk(r, "entered") for r in world.book(cases=2, book_no="A1").records.order_by("entry_no")
    )
    for record in (other, first, second):
        claims.task_claim(task=RecordTask.objects.get(record=record, stage="attach"), actor=world.clerk)
    client.force_login(world.clerk)

    # when the first case of the book is attached
    task = RecordTask.objects.get(record=first, stage="attach")
    response = client.post(f"/work/tasks/{task.pk}/", {"version": first.version, "attach": "1"}, follow=True)

    # then the next case of the same book opens, and the message is about the case just attached
    following = RecordTask.objects.get(record=second, stage="attach")
    assert response.redirect_chain[0][0] == f"/work/tasks/{following.pk}/"
    assert f"Book {first.book}, no. 1: Attached" in response.content.decode()

    # and after the book's last case, the book's queue, not the other book's claimed case
    second.refresh_from_db()
    response = client.post(f"/work/tasks/{following.pk}/", {"version": second.version, "attach": "1"})
    assert response["Location"] == f"/work/queue/?book={second.book_id}"
