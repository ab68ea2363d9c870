"""The dry run's memory does not grow with the file: earlier rows of the file are read a probe at a time."""

from __future__ import annotations

import weakref

import pytest

from imports import checking, services
from imports.models import ImportRow
from imports.services import import_job_check
from registry.matching import THRESHOLD, DedupPerson, rank, score
from registry.partial_dates import PartialDate
from tests.imports.test_import import birth_rows, upload, write_csv

pytestmark = pytest.mark.django_db


def test_each_probe_meets_at_most_max_block_earlier_rows_few_held_at_once(world, tmp_path, monkeypatch):
    # Given a file of 24 children of one name born in one month (every row in every later row's
    # block), checked in batches of 4, with small bounds
    monkeypatch.setattr(services, "BATCH", 4)
    monkeypatch.setattr(checking, "MAX_BLOCK", 3)
    monkeypatch.setattr(checking, "ROW_PEOPLE_CACHE", 2)
    monkeypatch.setattr(checking, "ROW_BLOCK_FETCH", 5)
    blocks: list[int] = []
    alive: list[weakref.ref] = []
    most_alive = [0]
    parse, read_blocks = checking.person_from_json, checking._earlier_rows_blocks

    def person_from_json(*args, **kwargs):
        person = parse(*args, **kwargs)
        alive.append(weakref.ref(person))
        most_alive[0] = max(most_alive[0], sum(1 for ref in alive if ref() is not None))
        return person

    def earlier_rows_blocks(*args, **kwargs):
        for probe, block in read_blocks(*args, **kwargs):
            blocks.append(len(block))
            yield probe, block

    monkeypatch.setattr(checking, "person_from_json", person_from_json)
    monkeypatch.setattr(checking, "_earlier_rows_blocks", earlier_rows_blocks)
    job = upload(world, write_csv(tmp_path, birth_rows(["Nguyễn Văn Hùng"] * 24)))
    # When it is checked
    import_job_check(job.pk)
    # Then every later row was compared with earlier batches' rows, at most MAX_BLOCK of them,
    assert len(blocks) == 20
    assert max(blocks) == 3
    # the earlier rows were never all held at once (the last batch has 20 before it): the parsed
    # ones kept for the next probes, the block being scored and the next one
    assert most_alive[0] <= 2 + 3 + 3 < 20
    # and the in-file likely duplicates are still found
    last = ImportRow.objects.get(job=job, row_no=25)
    assert last.status == "likely_duplicate"
    assert {kind for kind, _row, _score in last.candidates} == {"row"}


def _person(**changes) -> DedupPerson:
    fields = {
        "event_type": "birth", "name_key": "nguyen van hung", "exact_key": "nguyễn văn hùng", "sex": 1,
        "birth": PartialDate(2004, 1, 5), "others": {"mother": "hoang thi lan b"},
        "registration": PartialDate(2005, 3, 10), "record_id": 7,
    }  # fmt: skip
    return DedupPerson(**{**fields, **changes})


@pytest.mark.parametrize(
    ("other", "may_match"),
    [
        (_person(), True),
        (_person(sex=2), False),  # another sex: 25 off at most 100
        (_person(sex=0), True),
        (_person(pin="090224000001"), True),  # one PIN only
        (_person(pin="090224000001", sex=2), False),
    ],
)
def test_a_row_left_out_before_scoring_never_reaches_the_threshold(other, may_match):
    probe = _person()
    assert checking._may_match(probe, other) is may_match
    if not may_match:
        assert score(probe, other)[0] < THRESHOLD


def test_two_pins_decide_before_sex():
    probe = _person(pin="090224000001")
    assert checking._may_match(probe, _person(pin="090224000002")) is False
    assert score(probe, _person(pin="090224000002"))[0] == 0
    assert checking._may_match(probe, _person(pin="090224000001", sex=2)) is True
    assert score(probe, _person(pin="090224000001", sex=2))[0] == 100


def test_rank_gives_the_reasons_score_gives():
    probe, other = _person(), _person(exact_key="nguyen van hung", birth=PartialDate(2004, 1, 15))
    (candidate,) = rank(probe, [other], threshold=0)
    assert (candidate.score, candidate.reasons) == score(probe, other)
    assert len(candidate.reasons) >= 3
