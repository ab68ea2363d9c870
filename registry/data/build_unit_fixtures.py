"""Build the administrative-unit fixtures read by `registry.unit_loading` (run by hand, never at runtime).

    pip download --no-deps vietnam-provinces==0.6.0 -d /tmp/vp06
    .venv/bin/python registry/data/build_unit_fixtures.py /tmp/vp06/vietnam_provinces-0.6.0-py3-none-any.whl

Inputs:
- the vietnam-provinces 0.6.0 wheel (data of 2025-01-04): the pre-July-2025 tree with official GSO codes;
- the installed vietnam-provinces (2025.x): today's provinces and communes with their official codes;
- the installed vietnam-address-converter: the official old -> new commune mapping, but keyed by its own
  (non-GSO) codes, so it is joined to the two trees above by names.

Outputs (next to this script):
- units_legacy.json.gz: {"provinces": [[code, name]], "districts": [[code, name, province_code]],
  "communes": [[code, name, district_code]]};
- units_successors.json.gz: {"provinces": {legacy: current}, "communes": {legacy: current},
  "splits": {legacy: [current, ...]}}. A legacy commune shared among several current communes gets
  the one that kept its name, else the one that kept its code; "splits" lists the rest, for which the
  data names no single successor.

The name join is heuristic, so the script prints what it could not match; read that before committing.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import re
import sys
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LEGACY_FILE = HERE / "units_legacy.json.gz"
SUCCESSORS_FILE = HERE / "units_successors.json.gz"
LEGACY_WHEEL_MEMBER = "vietnam_provinces/data/nested-divisions.json"
EXPECTED_WHEEL = "vietnam_provinces-0.6.0-py3-none-any.whl"

PROVINCE_DIGITS, DISTRICT_DIGITS, COMMUNE_DIGITS = 2, 3, 5

_TYPE_PREFIX = re.compile(r"^(thành phố|tỉnh|quận|huyện|thị xã|thị trấn|phường|xã|đặc khu)\s+")
# Old-style tone placement on open syllables ("Hoà", "Thuỵ") -> new style ("Hòa", "Thụy").
_TONE_MOVES = {
    f"{v}{t}": f"{t2}{w}"
    for v, w, pairs in (
        ("o", "a", "àòáóảỏãõạọ"),
        ("o", "e", "èòéóẻỏẽõẹọ"),
        ("u", "y", "ỳùýúỷủỹũỵụ"),
    )
    for t, t2 in zip(pairs[0::2], pairs[1::2], strict=True)
}
_TONE_RE = re.compile(r"(" + "|".join(_TONE_MOVES) + r")\b")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}


def code_str(value: int | str, digits: int) -> str:
    return str(int(value)).zfill(digits)


def unit_type(name: str) -> str:
    match = _TYPE_PREFIX.match(unicodedata.normalize("NFC", name).lower().strip())
    return match.group(1) if match else ""


def exact_key(name: str) -> str:
    """Name without its type word, case and tone-placement differences; diacritics kept."""
    text = unicodedata.normalize("NFC", name).lower().strip()
    text = _TYPE_PREFIX.sub("", text)
    text = _TONE_RE.sub(lambda m: _TONE_MOVES[m.group(1)], text)
    text = re.sub(r"^n\.?\s*t\.?\s+", "nông trường ", text)
    words = [_ROMAN.get(w, w.lstrip("0") or "0") for w in re.split(r"[\s\-–.,]+", text) if w]
    return " ".join(words)


def loose_key(name: str) -> str:
    """`exact_key` without diacritics, spaces, and with the i/y spelling variants folded."""
    text = exact_key(name).replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = re.sub(r"y\b", "i", text)
    return re.sub(r"[^a-z0-9]", "", text)


def read_legacy_tree(wheel: Path) -> list[dict]:
    with zipfile.ZipFile(wheel) as archive:
        return json.loads(archive.read(LEGACY_WHEEL_MEMBER))


def build_legacy(tree: list[dict]) -> dict:
    provinces: list[list[str]] = []
    districts: list[list[str]] = []
    communes: list[list[str]] = []
    for province in tree:
        pcode = code_str(province["code"], PROVINCE_DIGITS)
        provinces.append([pcode, province["name"]])
        for district in province["districts"]:
            dcode = code_str(district["code"], DISTRICT_DIGITS)
            districts.append([dcode, district["name"], pcode])
            communes.extend(
                [code_str(ward["code"], COMMUNE_DIGITS), ward["name"], dcode] for ward in district["wards"]
            )
    return {"provinces": provinces, "districts": districts, "communes": communes}


def _pick_one(candidates: set, type_of: dict, wanted_type: str) -> tuple[Any, bool]:
    """(the one candidate, ambiguous?) after narrowing several candidates by unit type."""
    if len(candidates) == 1:
        return next(iter(candidates)), False
    if not candidates:
        return None, False
    narrowed = {c for c in candidates if type_of[c] == wanted_type}
    if len(narrowed) == 1:
        return next(iter(narrowed)), False
    return None, True


def build_successors(tree: list[dict], report: collections.Counter) -> dict:
    from vietnam_address_converter.data import DEFAULT_DATA
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    current = json.loads(NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    mapping_rows = DEFAULT_DATA["mapping"]["rows"]
    conv_new_provinces = DEFAULT_DATA["newProvinces"]
    conv_new_wards = DEFAULT_DATA["newWards"]

    # Converter's new codes -> official current codes, joined by (province, name).
    current_province_by_key = {loose_key(p["name"]): p for p in current}
    current_ward_index: dict[tuple[int, str], list[dict]] = collections.defaultdict(list)
    for province in current:
        for ward in province["wards"]:
            current_ward_index[(province["code"], loose_key(ward["name"]))].append(ward)
    new_province_code = {
        conv_code: code_str(current_province_by_key[loose_key(p["name"])]["code"], PROVINCE_DIGITS)
        for conv_code, p in conv_new_provinces.items()
    }
    new_ward_code: dict[str, str] = {}
    current_ward_name: dict[str, str] = {}
    for conv_code, ward in conv_new_wards.items():
        province = current_province_by_key[loose_key(conv_new_provinces[ward["parent_code"]]["name"])]
        matches = current_ward_index[(province["code"], loose_key(ward["name"]))]
        if len(matches) > 1:
            matches = [m for m in matches if exact_key(m["name"]) == exact_key(ward["name"])]
        if len(matches) != 1:
            report["current commune not matched"] += 1
            print(f"  current commune not matched: {ward['path_with_type']}", file=sys.stderr)
            continue
        new_ward_code[conv_code] = code_str(matches[0]["code"], COMMUNE_DIGITS)
        current_ward_name[new_ward_code[conv_code]] = matches[0]["name"]

    # Converter's old communes: identity -> names and ordered successor codes.
    old_names: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    old_successors: dict[tuple[str, str, str], list[str]] = collections.defaultdict(list)
    old_province_successor: dict[str, str] = {}
    for row in mapping_rows:
        old, new = row["old"], row["new"]
        ident = (old["province_code"], old["district_code"], old["ward_code"])
        old_names[ident] = (old["province_name"], old["district_name"], old["ward_name"])
        code = new_ward_code.get(new["ward_code"])
        if code and code not in old_successors[ident]:
            old_successors[ident].append(code)
        old_province_successor[loose_key(old["province_name"])] = new_province_code[new["province_code"]]

    # Name indexes, tried in order: A/B by (province, district, commune) names, exact then loose; E/F the
    # same through the converter's earlier names of a commune (communes renamed or merged between the
    # 0.6.0 snapshot and July 2025 keep their converter code).
    indexes: dict[str, dict[tuple, set]] = {n: collections.defaultdict(set) for n in "ABEF"}
    old_type: dict[tuple[str, str, str], str] = {}
    for ident, (p, d, w) in old_names.items():
        province_key = loose_key(p)
        indexes["A"][(province_key, exact_key(d), exact_key(w))].add(ident)
        indexes["B"][(province_key, loose_key(d), loose_key(w))].add(ident)
        old_type[ident] = unit_type(w)
    ident_by_ward_code: dict[str, set] = collections.defaultdict(set)
    for ident in old_names:
        ident_by_ward_code[ident[2]].add(ident)
    for conv_code, ward in DEFAULT_DATA["oldWards"].items():
        if len(ident_by_ward_code.get(conv_code, ())) != 1:
            continue
        (ident,) = ident_by_ward_code[conv_code]
        district = DEFAULT_DATA["oldDistricts"][ward["parent_code"]]
        province_key = loose_key(DEFAULT_DATA["oldProvinces"][district["parent_code"]]["name"])
        indexes["E"][(province_key, exact_key(district["name"]), exact_key(ward["name"]))].add(ident)
        indexes["F"][(province_key, loose_key(district["name"]), loose_key(ward["name"]))].add(ident)

    provinces: dict[str, str] = {}
    communes: dict[str, str] = {}
    splits: dict[str, list[str]] = {}
    for province in tree:
        province_key = loose_key(province["name"])
        pcode = code_str(province["code"], PROVINCE_DIGITS)
        if province_key in old_province_successor:
            provinces[pcode] = old_province_successor[province_key]
        else:
            report["legacy province not matched"] += 1
            print(f"  legacy province not matched: {province['name']}", file=sys.stderr)
        for district in province["districts"]:
            for ward in district["wards"]:
                exact = (province_key, exact_key(district["name"]), exact_key(ward["name"]))
                loose = (province_key, loose_key(district["name"]), loose_key(ward["name"]))
                match: tuple[str, str, str] | None = None
                for step, key in (("A", exact), ("B", loose), ("E", exact), ("F", loose)):
                    match, ambiguous = _pick_one(
                        indexes[step].get(key, set()), old_type, unit_type(ward["name"])
                    )
                    if match or ambiguous:
                        report[f"matched by {step}" if match else "ambiguous name"] += 1
                        break
                label = f"{province['name']} / {district['name']} / {ward['name']}"
                if match is not None and step != "A":
                    print(f"  matched by {step}: {label} = {' / '.join(old_names[match])}", file=sys.stderr)
                if match is None:
                    report["legacy commune not in mapping"] += 1
                    print(f"  legacy commune not in mapping: {label}", file=sys.stderr)
                    continue
                wcode = code_str(ward["code"], COMMUNE_DIGITS)
                candidates = old_successors[match]
                if len(candidates) == 1:
                    communes[wcode] = candidates[0]
                    report["single successor"] += 1
                    continue
                # A split commune goes to the current commune that continues it: the one that kept its
                # name, else the one that kept its code (GSO gave each new commune the code of one of
                # the communes it was formed from).
                same_name = [
                    c for c in candidates if exact_key(current_ward_name[c]) == exact_key(ward["name"])
                ]
                if len(same_name) == 1 and wcode in candidates and same_name[0] != wcode:
                    report["split, name and code point to different communes (name wins)"] += 1
                    print(f"  name and code disagree: {label} -> {candidates}", file=sys.stderr)
                if len(same_name) == 1:
                    communes[wcode] = same_name[0]
                    report["split, successor keeps the name"] += 1
                elif wcode in candidates:
                    communes[wcode] = wcode
                    report["split, successor keeps the code"] += 1
                elif candidates:
                    splits[wcode] = candidates
                    report["split, no single successor"] += 1
                else:
                    report["successor not matched"] += 1
                    print(f"  successor not matched: {label}", file=sys.stderr)
    return {"provinces": provinces, "communes": communes, "splits": splits}


def write_gz_json(path: Path, data: dict) -> None:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    # mtime=0 keeps the file byte-identical across rebuilds of the same data.
    path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"wrote {path.name}: {path.stat().st_size:,} bytes ({len(raw):,} uncompressed)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("wheel", type=Path, help=f"path to {EXPECTED_WHEEL}")
    args = parser.parse_args()
    if args.wheel.name != EXPECTED_WHEEL:
        parser.error(f"expected {EXPECTED_WHEEL}, got {args.wheel.name}")
    print(f"{args.wheel.name} sha256 {hashlib.sha256(args.wheel.read_bytes()).hexdigest()}")

    tree = read_legacy_tree(args.wheel)
    legacy = build_legacy(tree)
    print({level: len(rows) for level, rows in legacy.items()})
    write_gz_json(LEGACY_FILE, legacy)

    report: collections.Counter = collections.Counter()
    successors = build_successors(tree, report)
    for line, count in sorted(report.items()):
        print(f"{line}: {count}")
    write_gz_json(SUCCESSORS_FILE, successors)


if __name__ == "__main__":
    main()
