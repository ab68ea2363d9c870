"""Inbox selectors and pages: scoping, four eyes, competence, keyset pages, query counts."""

import re

from django.core.cache import cache

from permissions.services import role_grant
from workflows import claims
from workflows import services as wf
from workflows.inbox import PAGE_SIZE, counts_for, page_of, queue_for
from workflows.models import RecordTask


def task_ids(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'data-task="(\d+)"', html)}


def test_the_queue_holds_only_stages_and_units_of_my_roles(world):
    book_a = world.book(world.commune_a, cases=2)
    book_b = world.book(world.commune_b, cases=2)
    book_c = world.book(world.commune_c, cases=2)
    assert set(queue_for(world.clerk).values_list("book_id", flat=True)) == {book_a.pk}
    assert set(queue_for(world.outsider).values_list("book_id", flat=True)) == {book_b.pk}
    assert set(queue_for(world.clerk_d1).values_list("book_id", flat=True)) == {book_a.pk, book_b.pk}
    assert set(queue_for(world.admin).values_list("book_id", flat=True)) >= {book_a.pk, book_b.pk, book_c.pk}
    assert not queue_for(world.reviewer).exists()  # scanning is not a reviewer's stage
    assert not queue_for(world.counter).exists()
    assert not queue_for(world.nobody).exists()


def test_four_eyes_keep_a_record_out_of_its_enterers_review_queue(world):
    role_grant(user=world.clerk, unit=world.commune_a, role="reviewer")
    record = world.record("attached")
    review = RecordTask.objects.get(record=record, stage="review")
    assert review not in queue_for(world.clerk)
    assert review in queue_for(world.reviewer)


def test_approval_work_reaches_only_approvers_at_the_records_level(world):
    district_record = world.record("reviewed", unit=world.district1)
    commune_record = world.record("reviewed")
    approve_district = RecordTask.objects.get(record=district_record, stage="approve")
    approve_commune = RecordTask.objects.get(record=commune_record, stage="approve")
    role_grant(
        user=world.approver, unit=world.district1, role="reviewer"
    )  # sees the district, approves at commune level
    assert approve_district not in queue_for(world.approver)
    assert approve_commune in queue_for(world.approver)
    assert {approve_district, approve_commune} <= set(queue_for(world.approver_d1))


def test_keyset_pages_cover_the_queue_without_overlap(world):
    world.book(cases=PAGE_SIZE + 7)
    first = page_of(queue_for(world.clerk))
    assert len(first.items) == PAGE_SIZE and first.next_cursor
    second = page_of(queue_for(world.clerk), after=first.next_cursor)
    assert len(second.items) == 7 and second.next_cursor is None
    assert not {t.pk for t in first.items} & {t.pk for t in second.items}
    by_due = page_of(queue_for(world.clerk), sort="due")
    assert [t.due_at for t in by_due.items] == sorted(t.due_at for t in by_due.items)


def test_counts_are_capped_and_scoped(world):
    world.book(world.commune_a, cases=3)
    world.book(world.commune_b, cases=4)
    assert counts_for(world.clerk) == {"queue": 3, "queue_more": False, "mine": 0, "returned": 0}
    assert counts_for(world.outsider)["queue"] == 4
    record = world.record("reviewed")
    wf.record_return(record=record, actor=world.approver, reason="Sai")
    assert counts_for(world.clerk)["returned"] == 1


def _steady(client, url):
    cache.clear()
    client.get(url)  # first load: session and the expired-claims sweep


def test_the_queue_page_costs_the_same_queries_for_3_or_60_items(world, client, django_assert_num_queries):
    client.force_login(world.clerk)
    world.book(cases=3)
    _steady(client, "/work/queue/")
    # Session, user, roles, the page's tasks and their records: the filter's choices are kept.
    with django_assert_num_queries(5):
        small = client.get("/work/queue/")
    world.book(cases=57)
    with django_assert_num_queries(8):  # a new book: units, books and phases read again
        large = client.get("/work/queue/")
    assert len(task_ids(small.content.decode())) == 3
    assert len(task_ids(large.content.decode())) == PAGE_SIZE


def test_a_province_admin_gets_one_page_not_the_province(world, client, django_assert_num_queries):
    for unit in (world.commune_a, world.commune_b, world.commune_c):
        world.book(unit, cases=45)
    client.force_login(world.admin)
    _steady(client, "/work/queue/")
    with django_assert_num_queries(5):
        response = client.get("/work/queue/")
    html = response.content.decode()
    assert len(task_ids(html)) == PAGE_SIZE
    assert 'rel="next"' in html
    cursor = re.search(r'after=([^"&]+)" rel="next"', html).group(1).replace("%7C", "|").replace("%3A", ":")
    second = client.get("/work/queue/", {"after": cursor.replace("%2B", "+")})
    assert len(task_ids(second.content.decode())) == PAGE_SIZE
    assert not task_ids(html) & task_ids(second.content.decode())


def test_my_work_returned_and_done_pages_have_fixed_query_counts(world, client, django_assert_num_queries):
    client.force_login(world.clerk)
    book = world.book(cases=12)
    claims.tasks_claim_next(actor=world.clerk, queue=queue_for(world.clerk).filter(book_id=book.pk), count=12)
    for record in [world.record("reviewed") for _ in range(2)]:
        wf.record_return(record=record, actor=world.approver, reason="Sai", remarks={"note": "xem lại"})
    for url, rows in (("/work/mine/", 12), ("/work/returned/", 2), ("/work/done/", 2 * 3)):
        _steady(client, url)
        with django_assert_num_queries(5):
            response = client.get(url)
        assert len(task_ids(response.content.decode())) == rows, url


def test_a_book_registered_or_renamed_is_in_the_filter_at_once(world, client):
    client.force_login(world.clerk)
    first = world.book(cases=1)
    client.get("/work/queue/")  # the choices of the clerk's scope are now kept
    second = world.book(cases=1)
    html = client.get("/work/queue/").content.decode()
    assert f'<option value="{first.pk}">' in html
    assert f'<option value="{second.pk}">' in html
    world.commune_a.name = "Xã Đổi Tên"
    world.commune_a.save()
    assert "Xã Đổi Tên" in client.get("/work/queue/").content.decode()


def test_no_page_filter_or_count_shows_another_communes_work(world, client):
    book_a = world.book(world.commune_a, cases=3)
    world.book(world.commune_b, cases=2)
    a_ids = set(RecordTask.objects.filter(book=book_a).values_list("pk", flat=True))
    client.force_login(world.outsider)
    for params in ({}, {"unit": world.commune_a.pk}, {"book": book_a.pk}, {"unit": world.district1.pk}):
        html = client.get("/work/queue/", params).content.decode()
        assert not task_ids(html) & a_ids, params
        assert book_a.custodian.name not in html, params
    assert client.get("/work/counts/").json()["queue"] == 2
    some_a = min(a_ids)
    assert client.get(f"/work/tasks/{some_a}/").status_code == 404
    assert client.post(f"/work/tasks/{some_a}/claim/").status_code == 404
    assert not RecordTask.objects.filter(pk=some_a).exclude(owner=None).exists()


def test_each_queue_row_shows_the_case_local_dates_and_working_links(world, client, settings):
    import datetime as dt

    from django.utils import timezone

    settings.TIME_ZONE = "Asia/Ho_Chi_Minh"
    book = world.book(cases=1, year=2019, book_no="07")
    task = RecordTask.objects.get(book=book, stage="scan")
    created = dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC)  # 05/03/2026 06:30 in Hà Nội
    RecordTask.objects.filter(pk=task.pk).update(
        created=created, due_at=timezone.now() - dt.timedelta(days=1)
    )
    client.force_login(world.clerk)
    response = client.get("/work/queue/", {"book": book.pk})
    html = response.content.decode()
    row = re.search(rf'<tr data-task="{task.pk}">.*?</tr>', html, re.S).group(0)
    assert f'<a href="/work/tasks/{task.pk}/">Birth 2019 · book 07 · no. 1</a>' in row
    assert f'action="/work/tasks/{task.pk}/claim/"' in row
    assert 'name="csrfmiddlewaretoken"' in row
    assert f'name="next" value="/work/queue/?book={book.pk}"' in row
    assert ">05/03/2026 06:30</td>" in row and 'class="overdue"' in row
    assert f'<option value="{book.pk}" selected>' in html
    follow = client.post(f"/work/tasks/{task.pk}/claim/", {"next": f"/work/queue/?book={book.pk}"})
    assert follow["Location"] == f"/work/tasks/{task.pk}/"
    mine = client.get("/work/mine/").content.decode()
    assert (
        f'action="/work/tasks/{task.pk}/release/"' in mine
        and f'href="/work/tasks/{task.pk}/" aria-label="Open: ' in mine
    )
