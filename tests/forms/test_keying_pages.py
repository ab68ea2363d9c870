"""Double keying through the pages: each keyer keys on their work item and sees only their own input;
the arbitrator sees both values beside the scan, picks one, and that value is saved."""

from django.test import Client

from forms.entry import RecordForm
from registry.services import book_double_keying_set
from tests.factories import birth_input
from workflows.models import KeyingDisagreement, RecordTask


def post_data(record, data, **extra):
    form_data = {k: ("" if v is None else v) for k, v in RecordForm.initial_from(data).items()}
    return {**form_data, "version": record.version, **extra}


def login(user):
    client = Client()
    client.force_login(user)
    return client


def open_task(record):
    return RecordTask.objects.filter(record=record, status__in=["NEW", "ASSIGNED"]).exclude(stage="").get()


def test_two_keyers_and_an_arbitrator_through_the_pages(world):
    book = world.book(cases=1)
    book_double_keying_set(book=book, actor=world.admin, double_keying=True, reason="Hợp đồng")
    record = world.walk(book.records.get(), "scanned")
    a, b, arbitrator = login(world.clerk), login(world.clerk2), login(world.reviewer)

    # The record's own entry page sends the keyer to the work item
    response = a.get(f"/records/{record.pk}/enter/")
    assert response.status_code == 302 and response["Location"] == f"/work/tasks/{open_task(record).pk}/"

    # Keyer A: a draft stays theirs; submitting keeps their keying, the record stays empty
    task = open_task(record)
    page = a.get(f"/work/tasks/{task.pk}/").content.decode()
    assert "Submit my keying" in page and "Save and mark entered" not in page
    a_data = birth_input("Phạm Thị Hòa", mother="Lê Thị Thu")
    a.post(f"/work/tasks/{task.pk}/", post_data(record, a_data, draft="1", reclaim="1"))
    response = a.post(f"/work/tasks/{task.pk}/", post_data(record, a_data, submit="1", reclaim="1"))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "scanned" and not record.parties.exists()

    # Keyer B never sees A's values, on the work item or the record page
    second = open_task(record)
    assert second.stage == "key_second"
    page = b.get(f"/work/tasks/{second.pk}/").content.decode()
    assert "Phạm Thị Hòa" not in page and "Lê Thị Thu" not in page
    assert "Phạm Thị Hòa" not in b.get(f"/records/{record.pk}/").content.decode()
    b_data = birth_input("Phạm Thị Hoa", mother="LÊ THỊ THU")
    response = b.post(f"/work/tasks/{second.pk}/", post_data(record, b_data, submit="1", reclaim="1"))
    assert response.status_code == 302

    # One arbitration task, one disagreeing field (diacritics kept), the scan beside both values
    arbitration = open_task(record)
    assert arbitration.stage == "arbitrate"
    page = arbitrator.get(f"/work/tasks/{arbitration.pk}/").content.decode()
    assert 'class="scan-pane"' in page and "Phạm Thị Hòa" in page and "Phạm Thị Hoa" in page
    assert page.count('class="arbitrate-field') == 1
    # A keyer cannot do it: the button is disabled with the reason, and a post is refused
    page = a.get(f"/work/tasks/{arbitration.pk}/").content.decode()
    assert 'disabled aria-describedby="why-not"' in page
    a.post(f"/work/tasks/{arbitration.pk}/", {"reclaim": "1", "pick:party.subject.full_name": "a"})
    assert open_task(record).stage == "arbitrate"

    # Nothing picked: refused on the field, nothing saved
    response = arbitrator.post(f"/work/tasks/{arbitration.pk}/", {"reclaim": "1"})
    assert response.status_code == 200 and "Pick the first or the second value" in response.content.decode()
    # Keying 2's value is picked: it is what is saved
    response = arbitrator.post(
        f"/work/tasks/{arbitration.pk}/", {"reclaim": "1", "pick:party.subject.full_name": "b"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.state == "entered"
    assert record.parties.get(role="subject").full_name == "Phạm Thị Hoa"
    row = KeyingDisagreement.objects.get(record=record)
    assert (row.right, row.keyer_a, row.keyer_b) == ("b", world.clerk, world.clerk2)


def test_the_supervisor_sees_the_counts_per_keyer(world):
    client = login(world.admin)
    response = client.get(f"/progress/keying/?unit={world.commune_a.pk}")
    assert response.status_code == 200
    assert "No case was keyed twice" in response.content.decode()
    assert login(world.clerk).get(f"/progress/keying/?unit={world.commune_a.pk}").status_code == 403


def test_a_supervisor_sets_double_keying_on_the_book_and_the_phase_pages(world):
    book = world.book(cases=1)
    # A clerk of the unit may not; nothing changes
    response = login(world.clerk).post(
        f"/books/{book.pk}/keying/", {"double_keying": "twice", "reason": "x"}, follow=True
    )
    assert "Only a supervisor" in response.content.decode()
    book.refresh_from_db()
    assert book.double_keying is None
    # The province administrator: without a reason refused, with one saved
    admin = login(world.admin)
    response = admin.post(f"/books/{book.pk}/keying/", {"double_keying": "twice", "reason": " "}, follow=True)
    assert "Give the reason" in response.content.decode()
    admin.post(f"/books/{book.pk}/keying/", {"double_keying": "twice", "reason": "Nhà thầu"})
    book.refresh_from_db()
    assert book.double_keying is True
    assert "Cases of this book are keyed twice" in admin.get(f"/books/{book.pk}/").content.decode()
    # The phase: on the rollout-plan page
    admin.post(
        f"/progress/plan/?unit={world.province.pk}",
        {"action": "keying", "number": book.phase, "double_keying": "1"},
    )
    from registry.models import DigitizationPhase

    assert DigitizationPhase.objects.get(number=book.phase).double_keying is True
