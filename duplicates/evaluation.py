"""Recall and precision of the likely-duplicate check on generated Vietnamese birth cases.

A pool of birth cases is generated with real name frequencies (`vietnamese.common_names`:
Nguyễn ≈ 38 %, Văn/Thị middles, common given names), births 1945–2020, some with the year
only, plus hard negatives: namesakes (same name, same year, other parents), siblings and
twins (same mother and day, close given names: Thủy/Thùy, Lan/Loan...).

Probes are of two sorts. Duplicates: a pool case written again as a clerk or an old export
would write it (`KINDS`): diacritics dropped, NFD, old/new tone placement (hoà / hòa), a
one-letter typo, the birth year one off, one digit wrong in the day, the month or the year,
the year only, no parents, or two of these at once. Other people (`NEGATIVE_KINDS`): a twin
of a pool case, a namesake born the same year in the same commune to another mother; any
record flagged for them is a false alarm. Each probe is checked against the pool with
exactly the blocking keys and scoring of `registry.matching` (an in-memory index standing
in for the GIN index: same keys, same overlap rule).

- recall = duplicate probes whose original is flagged / duplicate probes
- precision = flagged pairs that are (probe, its original) / all flagged pairs

`manage.py dedup_eval` prints the report with a line per kind; tests assert the targets on
a smaller set.
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from registry.matching import THRESHOLD, DedupPerson, _digit_slip, dedup_keys, probe_keys, rank, score
from registry.models import EventType, PartyRole, Sex
from registry.partial_dates import PartialDate
from vietnamese.common_names import (
    FAMILY_SHARES,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MIDDLE_FEMALE,
    MIDDLE_MALE,
)
from vietnamese.names import name_exact_key, name_key

FAMILY = FAMILY_SHARES
MIDDLE: dict[int, tuple[tuple[str, int], ...]] = {Sex.MALE: MIDDLE_MALE, Sex.FEMALE: MIDDLE_FEMALE}
GIVEN: dict[int, tuple[str, ...]] = {Sex.MALE: GIVEN_MALE, Sex.FEMALE: GIVEN_FEMALE}
# Twins' given names seen in registers: equal without diacritics, or one letter apart.
TWIN_NAMES: tuple[tuple[str, str], ...] = (
    ("Thủy", "Thùy"),
    ("Hòa", "Hoa"),
    ("Huy", "Quý"),
    ("Lan", "Loan"),
    ("Toàn", "Xoan"),
    ("Thúy", "Thủy"),
    ("Thanh", "Thành"),
    ("Tâm", "Tân"),
    ("Anh", "Ánh"),
    ("Nhi", "Như"),
    ("Thu", "Thư"),
    ("Phương", "Phượng"),
    ("Quyên", "Quyền"),
    ("Hiền", "Hiển"),
    ("Khánh", "Khang"),
    ("Thảo", "Thoa"),
    ("Hương", "Hường"),
    ("Hà", "Hân"),
    ("Tuyên", "Tuyền"),
    ("Hoàn", "Hoan"),
)

KINDS = (
    "no_diacritics",
    "nfd",
    "tone_placement",
    "typo",
    "year_one_off",
    "day_slip",
    "month_slip",
    "year_slip",
    "partial_date",
    "no_parents",
    "combined",
)
NEGATIVE_KINDS = ("twin", "namesake")
_NAME_STEPS = ("no_diacritics", "typo", "tone_placement")
_DATE_STEPS = ("year_one_off", "day_slip", "month_slip", "year_slip")
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "x": "zc",
    "y": "tu",
}


@dataclass
class KindFigures:
    probes: int = 0
    found: int = 0  # duplicates: the original was flagged
    false_alarms: int = 0  # flagged records that are not the probe's original

    @property
    def precision(self) -> float:
        flagged = self.found + self.false_alarms
        return self.found / flagged if flagged else 1.0


@dataclass
class EvalReport:
    threshold: int
    probes: int
    pool: int
    true_positives: int
    false_positives: int
    missed: int
    recall: float
    precision: float
    by_kind: dict[str, KindFigures] = field(default_factory=dict)
    examples_missed: list[tuple[str, str, str, int]] = field(default_factory=list)
    examples_false: list[tuple[str, str, str, int]] = field(default_factory=list)

    @property
    def recall_by_kind(self) -> dict[str, float]:
        return {k: f.found / f.probes for k, f in self.by_kind.items() if k in KINDS and f.probes}

    def lines(self) -> list[str]:
        duplicates = sum(f.probes for k, f in self.by_kind.items() if k in KINDS)
        out = [
            f"threshold {self.threshold}: {self.probes} probes ({duplicates} duplicates, "
            f"{self.probes - duplicates} other people) against {self.pool} records",
            f"recall    {self.recall:.2%} ({self.true_positives} found, {self.missed} missed)",
            f"precision {self.precision:.2%} ({self.true_positives} true, {self.false_positives} false)",
            "",
            f"{'kind':<16}{'probes':>7}{'found':>7}{'recall':>9}{'false':>7}{'precision':>11}",
        ]
        for kind in (*KINDS, *NEGATIVE_KINDS):
            f = self.by_kind.get(kind)
            if f is None:
                continue
            if kind in KINDS:
                recall = f"{f.found / f.probes:.1%}" if f.probes else "-"
                out.append(
                    f"{kind:<16}{f.probes:>7}{f.found:>7}{recall:>9}{f.false_alarms:>7}{f.precision:>11.1%}"
                )
            else:
                out.append(f"{kind:<16}{f.probes:>7}{'-':>7}{'-':>9}{f.false_alarms:>7}{'-':>11}")
        out.append("")
        out += [f"  missed ({k}): {a!r} vs {b!r} ({s})" for k, a, b, s in self.examples_missed[:8]]
        out += [f"  false ({k}):  {a!r} vs {b!r} ({s})" for k, a, b, s in self.examples_false[:8]]
        return out


@dataclass
class _Case:
    name: str
    sex: int
    birth: PartialDate
    mother: str
    father: str


def _pick(rng: random.Random, weighted) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights)[0]


def _name(rng: random.Random, sex: int, family: str | None = None, given: str | None = None) -> str:
    middle = _pick(rng, MIDDLE[sex])
    if rng.random() < 0.15:  # two middle names: Nguyễn Thị Thu Hà
        middle += " " + _pick(rng, MIDDLE[sex])
    return f"{family or _pick(rng, FAMILY)} {middle} {given or rng.choice(GIVEN[sex])}"


def _year(date: PartialDate) -> int:
    """The year of a generated date of birth: `_birth` always sets it."""
    assert date.year is not None
    return date.year


def _birth(rng: random.Random, year: int | None = None) -> PartialDate:
    year = year or rng.randint(1945, 2020)
    return PartialDate(year, rng.randint(1, 12), rng.randint(1, 28))


def _case(rng: random.Random) -> _Case:
    sex = rng.choice((Sex.MALE, Sex.FEMALE))
    father_family = _pick(rng, FAMILY)
    birth = _birth(rng)
    if rng.random() < 0.05:  # an old book: the year only
        birth = PartialDate(birth.year)
    return _Case(
        name=_name(rng, sex, father_family),
        sex=sex,
        birth=birth,
        mother=_name(rng, Sex.FEMALE),
        father=_name(rng, Sex.MALE, father_family),
    )


def _sex_of(given: str, rng: random.Random) -> int:
    male, female = given in GIVEN_MALE, given in GIVEN_FEMALE
    if male == female:  # both lists, or neither
        return rng.choice((Sex.MALE, Sex.FEMALE))
    return Sex.MALE if male else Sex.FEMALE


def twins(rng: random.Random, base: _Case) -> tuple[_Case, _Case]:
    """Two children of `base`'s mother and father born the same day with close given names."""
    first, second = rng.choice(TWIN_NAMES)
    family, *middle = base.name.split()[:-1]
    birth = base.birth if base.birth.is_complete else _birth(rng, _year(base.birth))

    def child(given: str) -> _Case:
        sex = _sex_of(given, rng)
        middle_name = " ".join(middle) if sex == base.sex else _pick(rng, MIDDLE[sex])
        return _Case(f"{family} {middle_name} {given}", sex, birth, base.mother, base.father)

    return child(first), child(second)


def namesake(rng: random.Random, base: _Case) -> _Case:
    """Another child with `base`'s name, born the same year (a third of them the same month) to
    other parents: a commune has many "Nguyễn Văn Hùng" of one year."""
    year = _year(base.birth)
    birth = _birth(rng, year)
    if base.birth.month and rng.random() < 1 / 3:
        birth = PartialDate(year, base.birth.month, rng.randint(1, 28))
    return _Case(
        base.name, base.sex, birth, _name(rng, Sex.FEMALE), _name(rng, Sex.MALE, base.name.split()[0])
    )


# --- variants as people write them -----------------------------------------------------------


def drop_diacritics(text: str) -> str:
    out = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in out if not unicodedata.combining(ch))


def to_nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def move_tone(text: str) -> str:
    """Old ↔ new tone placement in oa/oe/uy syllables without a final consonant: hoà ↔ hòa."""
    words = []
    for word in text.split(" "):
        nfd = unicodedata.normalize("NFD", word)
        tone = next((ch for ch in nfd if ch in _TONES), "")
        base = "".join(ch for ch in nfd if ch not in _TONES)
        low = unicodedata.normalize("NFC", base).lower()
        for pair in ("oa", "oe", "uy"):
            idx = low.find(pair)
            if tone and idx >= 0 and idx + 2 == len(low) and not low.startswith("qu"):
                letters = list(unicodedata.normalize("NFC", base))
                current = unicodedata.normalize("NFC", word)
                on_first = unicodedata.normalize("NFD", current[idx])[-1:] == tone
                target = idx + 1 if on_first else idx
                letters[target] = unicodedata.normalize("NFC", letters[target] + tone)
                word = "".join(letters)
                break
        words.append(word)
    return " ".join(words)


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip in one letter: substitute, delete, insert or swap."""
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    i = rng.choice(positions)
    base = drop_diacritics(text[i]).lower()
    op = rng.choice(("substitute", "delete", "insert", "swap"))
    if op == "substitute":
        new = rng.choice(_KEYBOARD_NEIGHBOURS.get(base, "aeiou"))
        return text[:i] + (new.upper() if text[i].isupper() else new) + text[i + 1 :]
    if op == "delete" and len(text) > 3:
        return text[:i] + text[i + 1 :]
    if op == "swap" and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i] + text[i:]  # doubled letter


def _slip(value: int, width: int, low: int, high: int, rng: random.Random) -> int:
    """`value` with one digit wrong (or two neighbouring digits swapped), still in low..high."""
    return rng.choice([v for v in range(low, high + 1) if _digit_slip(value, v, width)])


def _date_slip(birth: PartialDate, part: str, rng: random.Random) -> PartialDate:
    year, month, day = _year(birth), birth.month or 1, birth.day or 1
    if part == "day":
        day = _slip(day, 2, 1, 28, rng)
    elif part == "month":
        month = _slip(month, 2, 1, 12, rng)
    else:  # a slip in the last two digits of the year: 1954 → 1934, 1955, 1945
        century = year // 100 * 100
        year = _slip(year, 4, century, min(century + 99, 2025), rng)
    return PartialDate(year, month, day)


def make_variant(case: _Case, kind: str, rng: random.Random) -> _Case:
    """`case` written again: `kind` (one of `KINDS`) plus what else differs between two books."""
    name, birth, mother, father = case.name, case.birth, case.mother, case.father
    steps = [kind]
    if kind == "combined":  # two slips: in the name twice, or in the name and in a full date
        steps = rng.sample(_NAME_STEPS, 2)
        if birth.is_complete and rng.random() < 0.5:
            steps[1] = rng.choice(_DATE_STEPS)
    for step in steps:
        if step == "no_diacritics":
            name, mother, father = drop_diacritics(name), drop_diacritics(mother), drop_diacritics(father)
        elif step == "nfd":
            name, mother = to_nfd(name), to_nfd(mother)
        elif step == "tone_placement":
            moved = move_tone(name)
            name = moved if moved != name else to_nfd(name)
        elif step == "typo":
            name = typo(name, rng)
        elif step == "year_one_off":
            birth = PartialDate(_year(birth) + rng.choice((-1, 1)), birth.month, birth.day)
        elif step in ("day_slip", "month_slip", "year_slip"):
            birth = _date_slip(birth, step.split("_")[0], rng)
        elif step == "partial_date":
            birth = PartialDate(birth.year)
        elif step == "no_parents":
            mother = father = ""
    if kind in ("partial_date", "no_parents"):
        return _Case(name, case.sex, birth, mother, father)
    # What else differs between two writings of one case: parents missing from one book,
    # a slip in the mother's name, only the year of birth written.
    roll = rng.random()
    if roll < 0.10:
        mother = father = ""
    elif roll < 0.35:
        father = ""
    if mother and rng.random() < 0.2:
        mother = typo(mother, rng)
    if rng.random() < 0.1 and not set(steps) & set(_DATE_STEPS):
        birth = PartialDate(birth.year)
    return _Case(name, case.sex, birth, mother, father)


def _person(case: _Case, record_id: int) -> DedupPerson:
    return DedupPerson(
        event_type=EventType.BIRTH,
        name_key=name_key(case.name),
        exact_key=name_exact_key(case.name),
        sex=case.sex,
        birth=case.birth,
        others={
            role: name_key(text)
            for role, text in ((PartyRole.MOTHER, case.mother), (PartyRole.FATHER, case.father))
            if text
        },
        record_id=record_id,
    )


def generate(*, variants: int = 2600, pool: int | None = None, seed: int = 7):
    """(pool of cases, [(probe, index of its original or -1, kind)]). Deterministic for a seed.

    Probes cycle through `KINDS` and `NEGATIVE_KINDS`; a duplicate kind that needs a full
    date (the slips) is drawn from pool cases that have one.
    """
    rng = random.Random(seed)
    size = pool or max(variants * 2, 200)
    cases = [_case(rng) for _ in range(size)]
    # Hard negatives: namesakes born the same year as someone, with other parents; siblings; twins.
    for base in rng.sample(cases, size // 5):
        cases.append(namesake(rng, base))
    for base in rng.sample(cases, size // 10):
        sex = rng.choice((Sex.MALE, Sex.FEMALE))
        family = base.name.split()[0]
        cases.append(
            _Case(
                _name(rng, sex, family),
                sex,
                _birth(rng, _year(base.birth) + rng.choice((-3, -2, 2, 3))),
                base.mother,
                base.father,
            )
        )
    for index in rng.sample(range(size), size // 50):
        cases[index], second = twins(rng, cases[index])
        cases.append(second)
    all_kinds = (*KINDS, *NEGATIVE_KINDS)
    probes: list[tuple[_Case, int, str]] = []
    originals = rng.sample(range(size), min(size, variants))
    full = [i for i in range(size) if cases[i].birth.is_complete]
    for n, index in enumerate(originals[:variants]):
        kind = all_kinds[n % len(all_kinds)]
        if kind in ("day_slip", "month_slip", "year_slip") and not cases[index].birth.is_complete:
            index = rng.choice(full)
        if kind == "twin":
            # A pool case whose twin comes to be registered: the pool holds the first child.
            first, second = twins(rng, cases[index])
            cases[index] = first
            probes.append((second, -1, kind))
        elif kind == "namesake":
            probes.append((namesake(rng, cases[index]), -1, kind))
        else:
            probes.append((make_variant(cases[index], kind, rng), index, kind))
    return cases, probes


def evaluate(
    *, variants: int = 2600, pool: int | None = None, seed: int = 7, threshold: int = THRESHOLD
) -> EvalReport:
    """Check each probe against the pool through the blocking keys; count hits and false alarms."""
    cases, probes = generate(variants=variants, pool=pool, seed=seed)
    people = [_person(case, i) for i, case in enumerate(cases)]
    index: dict[str, list[int]] = defaultdict(list)
    for i, person in enumerate(people):
        for key in dedup_keys(person):
            index[key].append(i)
    by_kind: dict[str, KindFigures] = {}
    examples_missed: list[tuple[str, str, str, int]] = []
    examples_false: list[tuple[str, str, str, int]] = []
    for variant, original, kind in probes:
        probe = _person(variant, -1)
        block = {i for key in probe_keys(probe) for i in index.get(key, ())}
        flagged = rank(probe, (people[i] for i in block), threshold=threshold)
        figures = by_kind.setdefault(kind, KindFigures())
        figures.probes += 1
        if original >= 0:
            if any(c.record_id == original for c in flagged):
                figures.found += 1
            else:
                # -1: not even in the block
                value = score(probe, people[original])[0] if original in block else -1
                examples_missed.append((kind, _text(variant), _text(cases[original]), value))
        for c in flagged:
            if c.record_id != original:
                figures.false_alarms += 1
                examples_false.append((kind, _text(variant), _text(cases[c.record_id]), c.score))
    tp = sum(f.found for f in by_kind.values())
    fp = sum(f.false_alarms for f in by_kind.values())
    duplicates = sum(f.probes for k, f in by_kind.items() if k in KINDS)
    return EvalReport(
        threshold=threshold,
        probes=len(probes),
        pool=len(cases),
        true_positives=tp,
        false_positives=fp,
        missed=duplicates - tp,
        recall=tp / duplicates if duplicates else 0.0,
        precision=tp / (tp + fp) if tp + fp else 1.0,
        by_kind=by_kind,
        examples_missed=examples_missed,
        examples_false=examples_false,
    )


def _text(case: _Case) -> str:
    return f"{case.name}, {case.birth}, mẹ {case.mother or '-'}"
