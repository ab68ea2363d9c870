"""Recall and precision of the likely-duplicate check on generated Vietnamese names.

A pool of birth cases is generated with realistic name frequencies (Nguyễn ≈ 38 %, Văn/Thị
middles, common given names), plus hard negatives: namesakes (same name, birth year within
one, other parents) and siblings. From some of them, variants are made as a clerk or an old
export would write them: diacritics dropped, NFD, old/new tone placement (hoà / hòa), a
one-letter typo, the birth year one off, or two of these at once. Each variant is checked
against the pool with exactly the blocking keys and scoring of `registry.matching`
(an in-memory index standing in for the GIN index: same keys, same overlap rule).

- recall = variants whose original is flagged / variants
- precision = flagged pairs that are (variant, its original) / all flagged pairs

`manage.py dedup_eval` prints the report; tests assert the targets on a smaller set.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from registry.matching import THRESHOLD, DedupPerson, dedup_keys, probe_keys, rank
from registry.models import EventType, PartyRole, Sex
from registry.partial_dates import PartialDate
from vietnamese.names import name_exact_key, name_key

FAMILY = (
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 40),
    ("Huỳnh", 30),
    ("Phan", 45),
    ("Vũ", 25),
    ("Võ", 15),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 5),
    ("Trương", 5),
    ("Lâm", 3),
    ("Mai", 3),
    ("Đoàn", 3),
    ("Trịnh", 3),
    ("Cao", 3),
    ("Lương", 3),
    ("Tạ", 2),
    ("Hà", 3),
    ("Thái", 2),
    ("Châu", 1),
    ("Quách", 1),
    ("Khúc", 1),
)
MIDDLE: dict[int, tuple[str, ...]] = {
    Sex.MALE: (
        "Văn",
        "Văn",
        "Văn",
        "Hữu",
        "Đức",
        "Minh",
        "Quang",
        "Công",
        "Thành",
        "Xuân",
        "Duy",
        "Ngọc",
        "Thanh",
        "Đình",
        "Quốc",
        "Trọng",
        "Anh",
        "Hoàng",
        "Gia",
        "Tuấn",
    ),
    Sex.FEMALE: (
        "Thị",
        "Thị",
        "Thị",
        "Ngọc",
        "Thu",
        "Thanh",
        "Kim",
        "Mỹ",
        "Bích",
        "Thùy",
        "Hồng",
        "Phương",
        "Minh",
        "Diệu",
        "Khánh",
        "Thuỷ",
        "Hoài",
        "Bảo",
    ),
}
GIVEN: dict[int, tuple[str, ...]] = {
    Sex.MALE: (
        "An",
        "Anh",
        "Bảo",
        "Bình",
        "Cường",
        "Dũng",
        "Đạt",
        "Đức",
        "Hải",
        "Hiếu",
        "Hoà",
        "Hoàng",
        "Hùng",
        "Huy",
        "Khoa",
        "Khánh",
        "Kiên",
        "Long",
        "Lâm",
        "Minh",
        "Nam",
        "Nghĩa",
        "Phong",
        "Phúc",
        "Quân",
        "Quang",
        "Sơn",
        "Tài",
        "Thắng",
        "Thành",
        "Thịnh",
        "Tiến",
        "Toàn",
        "Trung",
        "Tuấn",
        "Tùng",
        "Việt",
        "Vinh",
        "Vũ",
        "Hoè",
        "Thuỵ",
        "Quý",
        "Khuê",
        "Toản",
        "Tuệ",
        "Hào",
        "Hậu",
        "Lộc",
        "Thọ",
    ),
    Sex.FEMALE: (
        "Anh",
        "Chi",
        "Dung",
        "Giang",
        "Hà",
        "Hằng",
        "Hạnh",
        "Hoa",
        "Hoà",
        "Hương",
        "Huyền",
        "Lan",
        "Linh",
        "Loan",
        "Mai",
        "My",
        "Nga",
        "Ngân",
        "Ngọc",
        "Nhung",
        "Oanh",
        "Phương",
        "Quyên",
        "Quỳnh",
        "Tâm",
        "Thảo",
        "Thuỷ",
        "Thuý",
        "Trang",
        "Trinh",
        "Tuyết",
        "Uyên",
        "Vân",
        "Xuân",
        "Yến",
        "Khuê",
        "Thoa",
        "Hoè",
        "Nhuệ",
        "Loà",
    ),
}

KINDS = ("no_diacritics", "nfd", "tone_placement", "typo", "year", "combined")
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
class EvalReport:
    threshold: int
    probes: int
    pool: int
    true_positives: int
    false_positives: int
    missed: int
    recall: float
    precision: float
    recall_by_kind: dict[str, float] = field(default_factory=dict)
    examples_missed: list[tuple[str, str, int]] = field(default_factory=list)
    examples_false: list[tuple[str, str, int]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"threshold {self.threshold}: {self.probes} variants against {self.pool} records",
            f"recall    {self.recall:.2%} ({self.true_positives} found, {self.missed} missed)",
            f"precision {self.precision:.2%} ({self.true_positives} true, {self.false_positives} false)",
            "recall by kind: " + ", ".join(f"{k} {v:.1%}" for k, v in sorted(self.recall_by_kind.items())),
        ]
        out += [f"  missed: {a!r} vs {b!r} ({s})" for a, b, s in self.examples_missed[:5]]
        out += [f"  false:  {a!r} vs {b!r} ({s})" for a, b, s in self.examples_false[:5]]
        return out


@dataclass
class _Case:
    name: str
    sex: int
    birth: PartialDate
    mother: str
    father: str


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    names, weights = zip(*weighted, strict=True)
    return rng.choices(names, weights)[0]


def _name(rng: random.Random, sex: int, family: str | None = None) -> str:
    middle = rng.choice(MIDDLE[sex])
    given = rng.choice(GIVEN[sex])
    if rng.random() < 0.15:  # two middle names: Nguyễn Thị Thu Hà
        middle += " " + rng.choice(MIDDLE[sex])
    return f"{family or _pick(rng, FAMILY)} {middle} {given}"


def _year(date: PartialDate) -> int:
    """The year of a generated date of birth: `_birth` always sets it."""
    assert date.year is not None
    return date.year


def _birth(rng: random.Random, year: int | None = None) -> PartialDate:
    year = year or rng.randint(1975, 2020)
    return PartialDate(year, rng.randint(1, 12), rng.randint(1, 28))


def _case(rng: random.Random) -> _Case:
    sex = rng.choice((Sex.MALE, Sex.FEMALE))
    father_family = _pick(rng, FAMILY)
    return _Case(
        name=_name(rng, sex, father_family),
        sex=sex,
        birth=_birth(rng),
        mother=_name(rng, Sex.FEMALE),
        father=_name(rng, Sex.MALE, father_family),
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


def make_variant(case: _Case, kind: str, rng: random.Random) -> _Case:
    name, birth, mother, father = case.name, case.birth, case.mother, case.father
    steps = (
        [kind] if kind != "combined" else rng.sample(("no_diacritics", "typo", "year", "tone_placement"), 2)
    )
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
        elif step == "year":
            birth = PartialDate(_year(birth) + rng.choice((-1, 1)), birth.month, birth.day)
    # What else differs between two writings of one case: parents missing from one book,
    # a slip in the mother's name, only the year of birth written.
    roll = rng.random()
    if roll < 0.10:
        mother = father = ""
    elif roll < 0.35:
        father = ""
    if mother and rng.random() < 0.2:
        mother = typo(mother, rng)
    if rng.random() < 0.1:
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


def generate(*, variants: int = 1200, pool: int | None = None, seed: int = 7):
    """(pool of cases, [(variant, index of its original, kind)]). Deterministic for a seed."""
    rng = random.Random(seed)
    size = pool or max(variants * 2, 200)
    cases = [_case(rng) for _ in range(size)]
    # Hard negatives: namesakes born within a year of someone, with other parents; siblings.
    for base in rng.sample(cases, size // 5):
        cases.append(
            _Case(
                base.name,
                base.sex,
                _birth(rng, _year(base.birth) + rng.choice((-1, 0, 1))),
                _name(rng, Sex.FEMALE),
                _name(rng, Sex.MALE, base.name.split()[0]),
            )
        )
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
    probes: list[tuple[_Case, int, str]] = []
    for index in rng.sample(range(size), variants):
        kind = KINDS[len(probes) % len(KINDS)]
        probes.append((make_variant(cases[index], kind, rng), index, kind))
    return cases, probes


def evaluate(
    *, variants: int = 1200, pool: int | None = None, seed: int = 7, threshold: int = THRESHOLD
) -> EvalReport:
    """Check each variant against the pool through the blocking keys; count hits and false alarms."""
    cases, probes = generate(variants=variants, pool=pool, seed=seed)
    people = [_person(case, i) for i, case in enumerate(cases)]
    index: dict[str, list[int]] = defaultdict(list)
    for i, person in enumerate(people):
        for key in dedup_keys(person):
            index[key].append(i)
    tp = fp = missed = 0
    by_kind: Counter[str] = Counter()
    found_by_kind: Counter[str] = Counter()
    examples_missed: list[tuple[str, str, int]] = []
    examples_false: list[tuple[str, str, int]] = []
    for variant, original, kind in probes:
        probe = _person(variant, -1)
        block = {i for key in probe_keys(probe) for i in index.get(key, ())}
        flagged = rank(probe, (people[i] for i in block), threshold=threshold)
        by_kind[kind] += 1
        hit = any(c.record_id == original for c in flagged)
        if hit:
            tp += 1
            found_by_kind[kind] += 1
        else:
            missed += 1
            if original in block:
                from registry.matching import score

                value = score(probe, people[original])[0]
            else:
                value = -1  # not even in the block
            examples_missed.append((variant.name, cases[original].name, value))
        for c in flagged:
            if c.record_id != original:
                fp += 1
                examples_false.append((variant.name, cases[c.record_id].name, c.score))
    flagged_total = tp + fp
    return EvalReport(
        threshold=threshold,
        probes=len(probes),
        pool=len(cases),
        true_positives=tp,
        false_positives=fp,
        missed=missed,
        recall=tp / len(probes) if probes else 0.0,
        precision=tp / flagged_total if flagged_total else 1.0,
        recall_by_kind={k: found_by_kind[k] / n for k, n in by_kind.items()},
        examples_missed=examples_missed,
        examples_false=examples_false,
    )
