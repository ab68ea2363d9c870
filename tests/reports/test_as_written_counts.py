"""Progress statistics count the cases (and values) confirmed "as written in the book"."""

import dataclasses

from tests.factories import birth_input


def confirmed(n: int):
    data = birth_input(f"Nguyễn Văn {'ABC'[n]}", pin=f"00132012345{n}", sex=1)
    data.parties["mother"] = {**data.parties["mother"], "birth_date": "1958"}
    return dataclasses.replace(data, as_written=("party.mother.birth_date", "party.subject.pin"))


def test_the_statistics_count_cases_confirmed_as_written_by_unit_and_type(client, world):
    world.record("entered", data=confirmed(0))
    world.record("approved", data=confirmed(1))
    world.record("entered")  # nothing to confirm
    world.record("reviewed", data=confirmed(2))
    client.force_login(world.admin)

    by_unit = dict(client.get("/progress/statistics/", {"measure": "states", "by": "child"}).context["rows"])
    assert (by_unit["Huyện Một"]["as_written"], by_unit["Huyện Một"]["as_written_fields"]) == (3, 6)
    assert "as_written" not in by_unit.get("Huyện Hai", {})

    page = client.get("/progress/statistics/", {"measure": "states", "by": "event_type"})
    assert page.context["totals"]["as_written"] == 3
    html = page.content.decode()
    assert "Cases confirmed as written" in html and "Values confirmed as written" in html
