"""Two batch prints over the same issuing units, ticked in opposite orders, both go through.

A batch takes the serial counter of each unit it issues in; taken as the records came, batch one
held commune A's counter and waited for the district's while batch two held the district's and
waited for commune A's: PostgreSQL broke the deadlock by refusing one of them."""

import contextlib
import threading

import pytest
from django.db import connections

from permissions.roles import Role
from permissions.services import role_grant
from printing import services
from printing.models import ExtractIssue
from printing.services import extract_batch_create
from tests.factories import make_user
from tests.printing.data import ISSUE


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_batches_over_two_units_in_opposite_orders_both_print(world, monkeypatch):
    # given two counter clerks who issue in commune A's and in the district's name
    clerks = [make_user(f"counter_two_{n}", Role.COUNTER_CLERK, world.commune_a) for n in (1, 2)]
    for clerk in clerks:
        role_grant(user=clerk, unit=world.district1, role=Role.COUNTER_CLERK)
    commune = [world.record("approved") for _ in range(2)]
    district = [world.record("approved", unit=world.district1) for _ in range(2)]
    # and each clerk's batch pausing after its first extract until the other has issued its first
    meeting = threading.Barrier(2, timeout=3)
    issued = threading.local()
    audit_issue = services._audit_issue

    def pausing(*args, **kwargs):
        audit_issue(*args, **kwargs)
        if not getattr(issued, "once", False):
            issued.once = True
            # (broken when the other batch waits for this one's counters: go on alone)
            with contextlib.suppress(threading.BrokenBarrierError):
                meeting.wait()

    monkeypatch.setattr(services, "_audit_issue", pausing)
    errors: list[Exception] = []

    def batch(clerk, records):
        try:
            extract_batch_create(actor=clerk, record_ids=[r.pk for r in records], **ISSUE)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    # when one batches commune A's case then the district's, the other the district's then commune A's
    threads = [
        threading.Thread(target=batch, args=(clerks[0], [commune[0], district[0]])),
        threading.Thread(target=batch, args=(clerks[1], [district[1], commune[1]])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then both printed, each unit's serials one after the other
    assert errors == []
    for unit in (world.commune_a, world.district1):
        numbers = sorted(ExtractIssue.objects.filter(issuing_unit=unit).values_list("serial_no", flat=True))
        assert numbers == [1, 2]
