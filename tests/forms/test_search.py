"""Staff search: name with or without diacritics, PIN, book and entry, parents, dates, type, state."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from registry.search import RecordQuery, records_search
from tests.factories import birth_input, event_input


@pytest.fixture
def cases(world):
    hoa = world.record(
        "approved", data=birth_input(name="Nguyễn Thị Hoà", sex=2, pin="001320001234", mother="Trần Thị Bình")
    )
    an = world.record(
        "entered",
        data=birth_input(name="Lê Văn An", birth="05/01/2020", reg="20/01/2020", mother="Phạm Thị Cúc"),
    )
    wedding = world.record("entered", event_type="marriage", data=event_input("marriage"))
    return {"hoa": hoa, "an": an, "wedding": wedding}


def ids(user, **criteria):
    return [r.pk for r in records_search(user, RecordQuery(**criteria))]


def test_names_are_found_with_or_without_diacritics_and_by_prefix(world, cases):
    hoa = cases["hoa"].pk
    assert ids(world.clerk, name="nguyen thi hoa") == [hoa]
    assert ids(world.clerk, name="Nguyễn Thị Hòa") == [hoa]  # other tone placement
    assert ids(world.clerk, name="NGUYEN THI") == [hoa]
    assert ids(world.clerk, name="Tran Van Hung") == [cases["wedding"].pk]


def test_pin_book_entry_parents_dates_type_and_state(world, cases):
    hoa, an = cases["hoa"], cases["an"]
    assert ids(world.clerk, pin="001 320 001234") == [hoa.pk]
    assert ids(world.clerk, book_no=an.book.book_no, entry_no=1) == [an.pk]
    assert ids(world.clerk, mother="tran thi binh") == [hoa.pk]
    assert ids(world.clerk, mother="Phạm Thị") == [an.pk]
    import datetime as dt

    assert ids(world.clerk, registered_from=dt.date(2020, 1, 15), registered_to=dt.date(2020, 1, 31)) == [
        an.pk
    ]
    assert ids(world.clerk, born_from=dt.date(2020, 1, 1), born_to=dt.date(2020, 1, 31)) == [an.pk]
    assert ids(world.clerk, event_type="marriage") == [cases["wedding"].pk]
    assert ids(world.clerk, state="approved") == [hoa.pk]


def test_search_is_scoped_to_the_users_units(world, cases):
    assert ids(world.outsider, name="nguyen") == []
    assert ids(world.auditor, name="nguyen thi hoa") == [cases["hoa"].pk]  # province-wide role


def test_the_page_and_the_json_endpoint(world, cases, django_assert_max_num_queries):
    client = Client()
    client.force_login(world.clerk)
    page = client.get(reverse("record_search"), {"name": "nguyen thi hoa"}).content.decode()
    assert "Nguyễn Thị Hoà" in page and "1 record found" in page
    with django_assert_max_num_queries(12):
        answer = client.get(reverse("record_search_json"), {"name": "nguyen", "state": ""}).json()
    assert answer["count"] == 2
    assert {r["name"] for r in answer["results"]} == {
        "Nguyễn Thị Hoà",
        "Lê Văn An",
    }  # "Nguyễn" fathers match too
    assert AuditEvent.objects.filter(action="search", actor=world.clerk).exists()
    bad = client.get(reverse("record_search_json"), {"registered_from": "31/02/2020"})
    assert bad.status_code == 400 and "dd/mm/yyyy" in bad.json()["fields"]["registered_from"][0]
    assert client.get(reverse("record_search_json")).status_code == 400


def test_the_json_list_does_not_grow_queries_with_results(world, cases, django_assert_num_queries):
    client = Client()
    client.force_login(world.clerk)
    client.get(reverse("record_search_json"), {"event_type": "birth"})  # warm the session
    with django_assert_num_queries(8):
        one = client.get(reverse("record_search_json"), {"event_type": "birth", "state": "approved"}).json()
    with django_assert_num_queries(8):
        two = client.get(reverse("record_search_json"), {"event_type": "birth"}).json()
    assert (one["count"], two["count"]) == (1, 2)
