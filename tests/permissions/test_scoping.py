"""Scope follows the administrative tree: a role on a unit covers its subtree and nothing else."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from permissions.scoping import books_visible_to, records_visible_to


@pytest.fixture
def records(world):
    """One record of each commune, scanned so that each has a file."""
    return {
        "a": world.record("attached", world.commune_a),
        "b": world.walk(world.book(world.commune_b, cases=1).records.get(), "collected"),
        "c": world.walk(world.book(world.commune_c, cases=1).records.get(), "collected"),
    }


def urls_for(record):
    book = record.book
    scan = record.scans.first()
    get_urls = [
        reverse("record_detail", args=[record.pk]),
        reverse("record_enter", args=[record.pk]),
        reverse("book_detail", args=[book.pk]),
    ]
    if scan:
        get_urls.append(reverse("scan_download", args=[scan.pk]))
    post_urls = [reverse("scan_upload", args=[record.pk])] + [
        reverse("record_action", args=[record.pk, a])
        for a in ("attach", "review", "approve", "return", "reject", "mark_duplicate")
    ]
    return get_urls, post_urls


def test_a_commune_user_gets_404_for_everything_of_another_commune(client, world, records):
    target = records["a"]
    client.force_login(world.outsider)  # clerk of commune B
    get_urls, post_urls = urls_for(target)
    for url in get_urls:
        assert client.get(url).status_code == 404, url
    for url in post_urls:
        assert client.post(url, {"reason": "x", "version": target.version}).status_code == 404, url
    target.refresh_from_db()
    assert target.state == "attached"
    denied = AuditEvent.objects.filter(action="denied", record_id_value=target.pk, actor=world.outsider)
    assert denied.count() == len(get_urls) + len(post_urls) - 1  # the book page logs without a record id


def test_the_scan_download_refusal_is_logged(client, world, records):
    scan = records["a"].scans.get()
    client.force_login(world.outsider)
    assert client.get(reverse("scan_download", args=[scan.pk])).status_code == 404
    assert AuditEvent.objects.filter(
        action="denied", actor=world.outsider, record_id_value=records["a"].pk
    ).exists()


def test_lists_show_only_what_is_in_scope(client, world, records):
    client.force_login(world.clerk)
    page = client.get(reverse("record_list")).content.decode()
    assert f'href="/records/{records["a"].pk}/"' in page
    assert f'href="/records/{records["b"].pk}/"' not in page
    books = client.get(reverse("book_list")).content.decode()
    assert f'href="/books/{records["b"].book_id}/"' not in books


def test_a_district_user_sees_all_its_communes_and_no_other_district(world, records):
    visible = set(records_visible_to(world.approver_d1).values_list("pk", flat=True))
    assert records["a"].pk in visible and records["b"].pk in visible
    assert records["c"].pk not in visible
    assert set(books_visible_to(world.approver_d1)) == {records["a"].book, records["b"].book}


def test_the_province_admin_sees_everything_of_the_province(world, records):
    visible = set(records_visible_to(world.admin).values_list("pk", flat=True))
    assert {r.pk for r in records.values()} <= visible


def test_a_user_without_roles_sees_nothing(client, world, records):
    assert not records_visible_to(world.nobody).exists()
    client.force_login(world.nobody)
    assert client.get(reverse("record_detail", args=[records["a"].pk])).status_code == 404
    assert "(0)" in client.get(reverse("home")).content.decode()


def test_the_home_counts_do_not_leak_other_communes(client, world, records):
    client.force_login(world.outsider)
    page = client.get(reverse("home")).content.decode()
    assert "(1)" in page  # only commune B's one record


def test_guardian_permissions_mirror_roles_down_the_subtree(world):
    assert world.approver_d1.has_perm("registry.approve_record", world.commune_a)
    assert world.approver_d1.has_perm("registry.approve_record", world.district1)
    assert not world.approver_d1.has_perm("registry.approve_record", world.commune_c)
    assert not world.clerk.has_perm("registry.review_record", world.commune_a)
