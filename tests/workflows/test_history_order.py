"""A record's audit rows are read in the order they were written, whichever lanes they lie on.

The rows of one unit may be spread over several lanes (audit.streams), each numbered from 1 on its
own: `seq` says nothing about the order of two rows of different lanes."""

from audit.models import AuditEvent
from tests.factories import birth_input
from workflows import services as wf
from workflows.history import changes_since_return

LANE = 3 * 2**40  # lane 3 of a unit: stream = lane * 2**40 + unit id


def test_the_fix_after_a_return_is_seen_when_the_return_row_sits_on_a_lane_numbered_further(world):
    # given a case returned with a remark on the mother's name, then fixed by the clerk
    record = world.record("attached", data=birth_input("Lê Văn Bảo", mother="Trần Thị Bình"))
    wf.record_return(
        record=record, actor=world.reviewer, reason="Tên mẹ sai", remarks={"mother.full_name": "x"}
    )
    record.refresh_from_db()
    wf.record_enter(record=record, actor=world.clerk, data=birth_input("Lê Văn Bảo", mother="Trần Thị Bính"))
    # and the return's row on another lane of the commune, whose numbers run ahead of the fix's
    returned = AuditEvent.objects.get(record_id_value=record.pk, action="return")
    later = AuditEvent.objects.filter(record_id_value=record.pk, at__gt=returned.at).order_by("seq").last()
    AuditEvent.objects.filter(pk=returned.pk).update(stream=LANE + world.commune_a.pk, seq=later.seq + 1000)

    # then what changed since the return is still the mother's name, old and new
    changed = changes_since_return(record)

    assert changed["party.mother.full_name"] == ("Trần Thị Bình", "Trần Thị Bính")
