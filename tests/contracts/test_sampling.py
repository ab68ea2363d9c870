"""ISO 2859-1 sampling plans (no database).

References: ISO 2859-1:1999 (TCVN 7790-1:2007), clause 10 (sampling plans), Table 1 "Sample size
code letters" (general inspection level II) and Table 2-A "Single sampling plans for normal
inspection (Master table)" — the same tables as ANSI/ASQ Z1.4 Tables I and II-A."""

import random

import pytest

from contracts.sampling import AQLS, SAMPLE_SIZES, TABLE_2A, code_letter, normalize_aql, plan_for

# (lot size, AQL) -> (code letter of Table 1, sample size, Ac, Re) read from Tables 1 and 2-A.
STANDARD = {
    # AQL 1.0
    (50, "1.0"): ("D", 13, 0, 1),  # D is an arrow down in Table 2-A: plan E, n = 13, Ac 0 Re 1
    (500, "1.0"): ("H", 50, 1, 2),
    (1200, "1.0"): ("J", 80, 2, 3),
    (10000, "1.0"): ("L", 200, 5, 6),
    (35000, "1.0"): ("M", 315, 7, 8),
    (3200, "1.0"): ("K", 125, 3, 4),
    (150, "1.0"): ("F", 13, 0, 1),  # F is an arrow up: plan E
    (280, "1.0"): ("G", 50, 1, 2),  # G is an arrow down: plan H
    # AQL 2.5
    (50, "2.5"): ("D", 5, 0, 1),  # D is an arrow up: plan C, n = 5, Ac 0 Re 1
    (500, "2.5"): ("H", 50, 3, 4),
    (1200, "2.5"): ("J", 80, 5, 6),
    (10000, "2.5"): ("L", 200, 10, 11),
    (35000, "2.5"): ("M", 315, 14, 15),
    (150000, "2.5"): ("N", 500, 21, 22),
    (500000, "2.5"): ("P", 500, 21, 22),  # P is an arrow up: plan N
    (90, "2.5"): ("E", 20, 1, 2),  # E is an arrow down: plan F, n = 20, Ac 1 Re 2
}


@pytest.mark.parametrize(("lot_size", "aql"), sorted(STANDARD))
def test_sample_size_and_accept_reject_numbers_are_the_standards(lot_size, aql):
    letter, n, ac, re = STANDARD[(lot_size, aql)]
    plan = plan_for(lot_size, aql)
    assert plan.code_letter == letter
    assert (plan.sample_size, plan.accept, plan.reject) == (n, ac, re)


def test_table_1_level_ii_boundaries():
    bounds = {
        2: "A", 8: "A", 9: "B", 15: "B", 16: "C", 25: "C", 26: "D", 50: "D", 51: "E", 90: "E",
        91: "F", 150: "F", 151: "G", 280: "G", 281: "H", 500: "H", 501: "J", 1200: "J",
        1201: "K", 3200: "K", 3201: "L", 10000: "L", 10001: "M", 35000: "M", 35001: "N",
        150000: "N", 150001: "P", 500000: "P", 500001: "Q", 10**7: "Q",
    }  # fmt: skip
    assert {size: code_letter(size) for size in bounds} == bounds
    assert SAMPLE_SIZES == {
        "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50, "J": 80,
        "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000,
    }  # fmt: skip


def test_every_arrow_of_the_table_leads_to_a_plan_and_ac_re_follow_the_standards_steps():
    steps = ["0/1", "1/2", "2/3", "3/4", "5/6", "7/8", "10/11", "14/15", "21/22"]
    for letter, row in TABLE_2A.items():
        plans = [entry for entry in row.values() if "/" in entry]
        assert plans == [s for s in steps if s in plans], letter  # Ac rises with the AQL
    for aql in AQLS:
        for size in (2, 9, 20, 60, 120, 200, 400, 1000, 2000, 5000, 20000, 100000, 400000, 10**6):
            plan = plan_for(size, aql)
            assert plan.reject == plan.accept + 1


def test_a_lot_smaller_than_the_sample_is_inspected_in_full():
    plan = plan_for(5, "1.0")  # code A at AQL 1.0 points down to E (n = 13) > 5 items
    assert plan.sample_size == 5 and (plan.accept, plan.reject) == (0, 1)


@pytest.mark.parametrize("bad", ["0.3", "abc", "", "100"])
def test_an_aql_outside_the_table_is_refused(bad):
    with pytest.raises(ValueError, match="AQL"):
        normalize_aql(bad)


def test_the_draw_is_reproducible_from_its_seed():
    ids = list(range(1000, 1500))
    assert random.Random(42).sample(ids, 50) == random.Random(42).sample(ids, 50)
    assert random.Random(42).sample(ids, 50) != random.Random(43).sample(ids, 50)
