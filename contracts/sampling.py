"""Acceptance sampling by ISO 2859-1 (Sampling procedures for inspection by attributes — Part 1),
general inspection level II, single sampling plans for normal inspection.

The two tables are data, copied from the standard (ISO 2859-1:1999, identical to MIL-STD-105E
and ANSI/ASQ Z1.4 in these tables): Table 1 gives the sample size code letter by lot size,
Table 2-A (the master table) the sample size of each code letter and, per AQL, the acceptance
and rejection numbers (Ac/Re) or an arrow: "↓" use the first plan below the arrow, "↑" the
first plan above it; the sample size is then that plan's (clause 10.2 of the standard). When the
sample size equals or exceeds the lot size, every item is inspected (clause 10.1).

Only the AQLs of percent nonconforming items (0.010 to 10) are kept: a case is an item, and
a case with any finding is one nonconforming item. No database, no randomness here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Table 1, column "general inspection level II": (largest lot size of the range, code letter).
CODE_LETTERS_LEVEL_II: tuple[tuple[int | None, str], ...] = (
    (8, "A"),
    (15, "B"),
    (25, "C"),
    (50, "D"),
    (90, "E"),
    (150, "F"),
    (280, "G"),
    (500, "H"),
    (1200, "J"),
    (3200, "K"),
    (10000, "L"),
    (35000, "M"),
    (150000, "N"),
    (500000, "P"),
    (None, "Q"),  # 500 001 and over
)

# Table 2-A: sample size by code letter (R is reached only through an arrow from Q).
SAMPLE_SIZES: dict[str, int] = {
    "A": 2,
    "B": 3,
    "C": 5,
    "D": 8,
    "E": 13,
    "F": 20,
    "G": 32,
    "H": 50,
    "J": 80,
    "K": 125,
    "L": 200,
    "M": 315,
    "N": 500,
    "P": 800,
    "Q": 1250,
    "R": 2000,
}

AQLS: tuple[str, ...] = (
    "0.010",
    "0.015",
    "0.025",
    "0.040",
    "0.065",
    "0.10",
    "0.15",
    "0.25",
    "0.40",
    "0.65",
    "1.0",
    "1.5",
    "2.5",
    "4.0",
    "6.5",
    "10",
)

# Table 2-A, the columns of AQLS in order: "Ac/Re", "↓" or "↑".
_TABLE_2A_ROWS: dict[str, str] = {
    "A": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓",
    "B": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓",
    "C": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2",
    "D": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3",
    "E": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4",
    "F": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6",
    "G": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8",
    "H": "↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11",
    "J": "↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15",
    "K": "↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22",
    "L": "↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑",
    "M": "↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑",
    "N": "↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑",
    "P": "↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑",
    "Q": "0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑",
    "R": "↑ ↑ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑",
}
TABLE_2A: dict[str, dict[str, str]] = {
    letter: dict(zip(AQLS, row.split(), strict=True)) for letter, row in _TABLE_2A_ROWS.items()
}
_LETTERS = list(SAMPLE_SIZES)


@dataclass(frozen=True)
class SamplingPlan:
    lot_size: int
    aql: str
    code_letter: str  # the letter of Table 1 (before any arrow)
    plan_letter: str  # the letter whose plan is used (after following the arrows)
    sample_size: int  # items to draw: the plan's, or the whole lot when the lot is smaller
    accept: int  # Ac: accept the lot with at most this many nonconforming items in the sample
    reject: int  # Re: reject it with this many or more


def normalize_aql(aql: str | Decimal | float) -> str:
    """The AQL as written in the table ("1.0", "2.5", "0.65", "10"); ValueError if not a column."""
    try:
        value = Decimal(str(aql))
    except ArithmeticError as exc:
        raise ValueError(f"Not an AQL: {aql!r}") from exc
    for column in AQLS:
        if Decimal(column) == value:
            return column
    raise ValueError(f"Not an AQL of ISO 2859-1 Table 2-A (0.010 to 10): {aql!r}")


def code_letter(lot_size: int) -> str:
    """Table 1, general inspection level II."""
    if lot_size < 1:
        raise ValueError("A lot holds at least one item.")
    for largest, letter in CODE_LETTERS_LEVEL_II:
        if largest is None or lot_size <= largest:
            return letter
    raise AssertionError("unreachable")


def plan_for(lot_size: int, aql: str | Decimal | float) -> SamplingPlan:
    """The single sampling plan for normal inspection at level II: follow the arrows of Table 2-A
    from the lot's code letter to the first plan, and take that plan's sample size."""
    column = normalize_aql(aql)
    letter = code_letter(lot_size)
    index = _LETTERS.index(letter)
    while True:
        entry = TABLE_2A[_LETTERS[index]][column]
        if entry == "↓":
            index += 1
        elif entry == "↑":
            index -= 1
        else:
            break
    accept, reject = (int(n) for n in entry.split("/"))
    plan_letter = _LETTERS[index]
    return SamplingPlan(
        lot_size=lot_size,
        aql=column,
        code_letter=letter,
        plan_letter=plan_letter,
        sample_size=min(SAMPLE_SIZES[plan_letter], lot_size),
        accept=accept,
        reject=reject,
    )
