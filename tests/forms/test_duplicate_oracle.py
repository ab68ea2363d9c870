"""The likely-duplicate check never tells anyone about records outside their units (issue 22,
finding 7): a clerk of one commune learns only that a likely duplicate exists elsewhere, the same
answer however alike it is, and the pair goes to a supervisor who may see both records."""

from django.urls import reverse

from tests.factories import birth_input
from tests.forms.test_entry_views import login, post_data
from workflows import services as wf

NOTICE = {
    "visible": False,
    "message": "A likely duplicate exists in another unit; a supervisor has been asked.",
}
PERSON = {"name": "Nguyễn Thị Hoà", "mother": "Trần Thị Bình", "sex": 2}


def scanned_in(world, unit, clerk):
    record = world.book(unit, cases=1).records.get()
    world.walk(record, "scanned") if unit == world.commune_a else _scan(record, clerk)
    record.refresh_from_db()
    return record


def _scan(record, clerk):
    from config.demo import demo_scan_pdf
    from scans.intake import scan_store

    scan_store(record=record, actor=clerk, content=demo_scan_pdf(title="B", lines=["1"]))
    wf.record_scan(record=record, actor=clerk)


def autosave(user, record, data):
    response = login(user).post(reverse("draft_autosave", args=[record.pk]), post_data(record, data))
    assert response.status_code == 200
    return response.json()["duplicates"]


def test_exact_and_near_matches_elsewhere_give_the_same_answer(world):
    # given a person registered in commune A
    world.record("entered", data=birth_input(birth="02/03/2020", **PERSON))
    mine = scanned_in(world, world.commune_b, world.outsider)
    # when a clerk of commune B types the exact person, a near one, and nobody like them
    exact = autosave(world.outsider, mine, birth_input(birth="02/03/2020", **PERSON))
    near = autosave(world.outsider, mine, birth_input(birth="03/03/2020", **PERSON))
    nobody = autosave(
        world.outsider, mine, birth_input("Phạm Văn Khác", birth="09/09/2020", mother="Lý Thị Mơ")
    )
    # then exact and near are the same generic notice: no unit, name, score or reasons
    assert exact == near == [NOTICE]
    assert nobody == []
    # while a clerk of commune A sees who it is
    own = scanned_in(world, world.commune_a, world.clerk)
    (seen,) = autosave(world.clerk, own, birth_input(birth="02/03/2020", **PERSON))
    assert seen["visible"] and seen["name"] == "Nguyễn Thị Hoà" and seen["unit"] == "Xã An"


def test_the_pair_goes_to_a_supervisor_who_may_see_both(world):
    original = world.record("approved", data=birth_input(birth="02/03/2020", **PERSON))
    mine = scanned_in(world, world.commune_b, world.outsider)
    wf.record_enter(record=mine, actor=world.outsider, data=birth_input(birth="03/03/2020", **PERSON))
    # the clerk's page shows the notice only
    page = login(world.outsider).get(reverse("record_enter", args=[mine.pk])).content.decode()
    assert "A likely duplicate exists in another unit; a supervisor has been asked." in page
    assert "Xã An" not in page and "Nguyễn Thị Hoà" in page  # their own typed name only
    assert str(original.book) not in page
    # the district's approver (covers A and B) gets the pair; the communes' approvers do not
    link = reverse("record_duplicates", args=[mine.pk])
    assert link in login(world.approver_d1).get(reverse("duplicate_queue")).content.decode()
    for approver in (world.approver, world.approver_b):
        assert link not in login(approver).get(reverse("duplicate_queue")).content.decode()
    # and the approval check does not name the other record to commune B's approver
    from duplicates.services import approval_check

    message = approval_check(mine)
    assert "another unit" in message and "Xã An" not in message
    # the district supervisor decides, seeing both
    page = login(world.approver_d1).get(link).content.decode()
    assert "Not a duplicate" in page and str(original.book) in page


def test_the_hard_duplicate_refusal_names_nothing_outside_the_users_units(world):
    import pytest

    original = world.record("entered", data=birth_input(birth="02/03/2020", **PERSON))
    mine = scanned_in(world, world.commune_b, world.outsider)
    with pytest.raises(wf.DuplicateRecordError) as refused:
        wf.record_enter(record=mine, actor=world.outsider, data=birth_input(birth="02/03/2020", **PERSON))
    message = refused.value.messages[0]
    assert "a record of another unit" in message
    assert "Xã An" not in message and str(original.book) not in message
    assert refused.value.existing is None
