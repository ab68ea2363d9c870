"""The data of a case: validating what was typed and writing it onto a record.

Input is plain data (`RecordInput`), as a form, the API or an import produces
it: dates as text ("dd/mm/yyyy", "mm/yyyy", "yyyy" or empty), people as dicts
keyed by role. Every problem is reported at once, keyed by field
("party.mother.pin", "registration_date"), with a message that says the fix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from registry.event_fields import CHOICE, COMMON_LABELS, DATE, EVENT_SPECS, ROLE_SEX, EventSpec
from registry.matching import dedup_keys, person_from_clean
from registry.models import CivilRecord, EventType, Party, PartyRole, RegistrationType, Sex
from registry.partial_dates import PartialDate, parse_partial_date
from registry.record_checks import check_consistency
from vietnamese.input_values import ascii_digits
from vietnamese.legacy_encodings import ENCODING_LABELS, fix_legacy, mixed_encoding
from vietnamese.names import clean_name, name_exact_key, name_key

RECORD_TEXT_FIELDS = (
    "registration_place",
    "signer_name",
    "signer_title",
    "performer_name",
    "note",
    "event_time",
    "event_place",
    "event_cause",
)
PARTY_TEXT_FIELDS = ("birth_place", "hometown", "id_document", "ethnicity", "nationality", "residence")
PARTY_INPUT_FIELDS = ("full_name", "sex", "birth_date", "pin", *PARTY_TEXT_FIELDS)
# Common fields that only some event types have (see registry.event_fields).
EVENT_TEXT_FIELDS = ("event_time", "event_place", "event_cause")
MAX_TEXT = 255
MAX_NOTE = 2000
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!]")
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffd\ud800-\udfff]"
)
_PIN = re.compile(r"^[0-9]{12}$")
# Identity numbers: digits typed on another layout ("０３５", "٠٣٥") are stored as ASCII digits.
DIGIT_FIELDS = ("pin", "id_document")


@dataclass
class RecordInput:
    """What a person (or an import) says the book holds for one case."""

    registration_date: str = ""
    registration_type: int = RegistrationType.UNKNOWN
    page_no: int | None = None
    event_date: str = ""
    text: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    parties: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Required fields the book does not write, confirmed by the clerk (keys as in EventSpec.required).
    not_in_book: tuple[str, ...] = ()


@dataclass
class CleanParty:
    role: str
    full_name: str
    sex: int
    birth_date: PartialDate
    pin: str
    text: dict[str, str]


@dataclass
class CleanRecord:
    registration_date: PartialDate
    registration_type: int
    page_no: int | None
    event_date: PartialDate
    text: dict[str, str]
    details: dict[str, Any]
    parties: list[CleanParty]
    not_in_book: tuple[str, ...] = ()


def _clean_text(value: Any, key: str, errors: dict[str, list[str]], max_length: int = MAX_TEXT) -> str:
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    if _CONTROL.search(str(value or "")):
        errors.setdefault(key, []).append(
            _("Contains invisible control characters; retype it as plain text.")
        )
    if _HTML.search(text):
        errors.setdefault(key, []).append(
            _("Remove the HTML or script tags (“<…>”): only plain text is kept.")
        )
    if len(text) > max_length:
        errors.setdefault(key, []).append(
            _("Too long: %(length)d characters, at most %(max)d.") % {"length": len(text), "max": max_length}
        )
    return text


def _date(value: str, key: str, errors: dict[str, list[str]]) -> PartialDate:
    try:
        return parse_partial_date(value)
    except ValidationError as exc:
        errors.setdefault(key, []).extend(exc.messages)
        return PartialDate()


def normalize_pin(value: Any) -> str:
    """A PIN as stored and compared: ASCII digits ("０３５…" and "٠٣٥…" too), no spaces."""
    return ascii_digits(re.sub(r"\s", "", str(value or "")))


def pin_problems(pin: str, *, sex: int, birth_year: int | None) -> list[str]:
    """Check a PIN: 12 digits, a province code, then digit 4 = century and sex, digits 5–6 = year."""
    if not _PIN.match(pin):
        return [
            _(
                "The personal identification number is exactly 12 digits; “%(pin)s” is not "
                "(%(n)d characters). Type the 12 digits without spaces or letters."
            )
            % {"pin": pin, "n": len(pin)}
        ]
    problems = []
    if not 1 <= int(pin[:3]) <= 96:
        problems.append(
            _(
                "The identification number starts with %(code)s, which is not a province code (001–096): "
                "check the first three digits."
            )
            % {"code": pin[:3]}
        )
    code = int(pin[3])
    century = 1900 + 100 * (code // 2)
    pin_sex = Sex.MALE if code % 2 == 0 else Sex.FEMALE
    if sex in (Sex.MALE, Sex.FEMALE) and sex != pin_sex:
        problems.append(
            _(
                "The identification number says %(pin_sex)s (digit 4 is %(code)d) but the sex entered is "
                "%(sex)s: check the sex or the number."
            )
            % {"pin_sex": Sex(pin_sex).label, "sex": Sex(sex).label, "code": code}
        )
    if birth_year is not None:
        pin_year = century + int(pin[4:6])
        if pin_year != birth_year:
            problems.append(
                _(
                    "The identification number says born in %(pin_year)d (digits 4–6), the date of birth "
                    "says %(year)d: check the number or the date."
                )
                % {"pin_year": pin_year, "year": birth_year}
            )
    return problems


# The codes as sets: `Choices.values` builds a new list on every use, and these are checked for
# every field of every case (an import checks hundreds of thousands).
_SEXES = frozenset(Sex.values)
_ROLES = frozenset(PartyRole.values)
_REGISTRATION_TYPES = frozenset(RegistrationType.values)


@cache
def _limit(model: type[models.Model], name: str) -> int:
    # Only called with the names of text columns, never a relation.
    field = cast("models.Field[Any, Any]", model._meta.get_field(name))
    return field.max_length or MAX_NOTE


@lru_cache(maxsize=8192)
def _legacy_reading(value: str) -> tuple[bool, str, str | None]:
    """(mixed encodings?, the text converted to Unicode, the old encoding found or None).

    A pure function of the text, remembered for the values that recur from case to case
    (places, ethnicities, signers: most of a book's text), which the detection scores letter
    by letter."""
    if mixed_encoding(value):
        return True, value, None
    converted, encoding = fix_legacy(value)
    return False, converted, encoding


def _legacy_problem(value: str) -> str | None:
    """A message if `value` is (partly) typed in an old Vietnamese encoding; None if it is Unicode."""
    mixed, converted, encoding = _legacy_reading(value)
    if mixed:
        return _(
            "Part of this text is in an old Vietnamese encoding (TCVN3 or VNI) and part in Unicode. "
            "Retype it, or paste it again from the original document."
        )
    if encoding:
        return _(
            "This text looks typed in the old %(encoding)s encoding; in Unicode it reads “%(converted)s”. "
            "Enter it in Unicode (the form converts pasted text for you)."
        ) % {"encoding": ENCODING_LABELS[encoding], "converted": converted}
    return None


def _clean_checked_text(
    value: Any, key: str, errors: dict[str, list[str]], max_length: int = MAX_TEXT
) -> str:
    text = _clean_text(value, key, errors, max_length)
    problem = _legacy_problem(text) if text else None
    if problem:
        errors.setdefault(key, []).append(problem)
    return unicodedata.normalize("NFC", text)


def _clean_details(
    details: dict[str, Any], spec: EventSpec | None, errors: dict[str, list[str]]
) -> dict[str, Any]:
    known = {d.key: d for d in spec.details} if spec else {}
    clean: dict[str, Any] = {}
    for key in sorted(set(details) - set(known)):
        if str(details[key] or "").strip():
            errors.setdefault(f"details.{key}", []).append(
                _("This event type has no field “%(field)s”.") % {"field": key}
            )
    for key, detail in known.items():
        raw = details.get(key)
        error_key = f"details.{key}"
        if detail.kind == DATE:
            date_value = _date(str(raw or ""), error_key, errors)
            if not date_value.is_empty:
                clean[key] = str(date_value)
        elif detail.kind == CHOICE:
            value = str(raw or "")
            if value not in {c for c, _label in detail.choices}:
                errors.setdefault(error_key, []).append(
                    _("Choose “%(field)s” from the list.") % {"field": detail.label}
                )
            elif value:
                clean[key] = value
        else:
            value = _clean_checked_text(raw, error_key, errors, detail.max_length)
            if value:
                clean[key] = value
    return clean


def _clean_sex(values: dict[str, Any], role: str, prefix: str, errors: dict[str, list[str]]) -> int:
    sex = values.get("sex") or Sex.UNKNOWN
    try:
        sex = int(sex)
        if sex not in _SEXES:
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault(f"{prefix}.sex", []).append(_("Choose the sex from the list."))
        return Sex.UNKNOWN
    # The caller passes only valid roles (it checks `PartyRole.values` first).
    implied = ROLE_SEX.get(PartyRole(role))
    if implied is not None:
        if sex in (Sex.MALE, Sex.FEMALE) and sex != implied:
            errors.setdefault(f"{prefix}.sex", []).append(
                _("The %(role)s is entered as %(sex)s: check the sex or whether the person belongs here.")
                % {"role": PartyRole(role).label.lower(), "sex": Sex(sex).label.lower()}
            )
        return implied
    return sex


def clean_record_input(
    data: RecordInput, *, event_type: str, book_year: int | None = None, book_year_to: int | None = None
) -> CleanRecord:
    """Validate everything; raise one ValidationError listing every problem by field.

    The same rules serve the entry form, the API and imports. Each field is checked on
    its own (format, length, control characters, HTML, old encodings, PIN), then the case
    as a whole (`registry.record_checks`: dates in order, plausible ages, and, given
    `book_year`, a registration date in the book's year). Nothing is written here.
    """
    errors: dict[str, list[str]] = {}
    spec = EVENT_SPECS.get(event_type)
    if spec is None:
        errors["event_type"] = [_("“%(value)s” is not an event type.") % {"value": event_type}]
    unknown = set(data.text) - set(RECORD_TEXT_FIELDS)
    for key in sorted(unknown):
        errors[key] = [_("There is no field “%(field)s”.") % {"field": key}]
    reg_date = _date(data.registration_date, "registration_date", errors)
    event_date = _date(data.event_date, "event_date", errors)
    if spec is not None and not event_date.is_empty and "event_date" not in spec.event_fields:
        errors.setdefault("event_date", []).append(
            _("This event type has no separate event date: leave it empty.")
        )
    try:
        registration_type = int(data.registration_type)
    except (TypeError, ValueError):
        registration_type = -1
    if registration_type not in _REGISTRATION_TYPES:
        errors["registration_type"] = [_("Choose a registration type from the list.")]
    if data.page_no is not None and not (isinstance(data.page_no, int) and 1 <= data.page_no <= 10000):
        errors["page_no"] = [_("The page is a number from 1 to 10,000.")]
    text = {
        k: _clean_checked_text(data.text.get(k), k, errors, _limit(CivilRecord, k))
        for k in RECORD_TEXT_FIELDS
    }
    if spec is not None:
        for key in EVENT_TEXT_FIELDS:
            if text[key] and key not in spec.event_fields:
                errors.setdefault(key, []).append(
                    _("This event type has no field “%(field)s”: leave it empty.")
                    % {"field": COMMON_LABELS[key]}
                )
    parties: list[CleanParty] = []
    allowed_roles = spec.parties if spec else {}
    for role, values in data.parties.items():
        prefix = f"party.{role}"
        if role not in _ROLES:
            errors[prefix] = [_("“%(role)s” is not a role of a person in a record.") % {"role": role}]
            continue
        if role not in allowed_roles:
            if any(str(v or "").strip() for k, v in values.items() if k != "sex"):
                errors[prefix] = [
                    _("A %(event)s has no “%(role)s”.")
                    % {"event": EventType(event_type).label.lower(), "role": PartyRole(role).label}
                ]
            continue
        for key in sorted(set(values) - set(PARTY_INPUT_FIELDS)):
            errors.setdefault(f"{prefix}.{key}", []).append(
                _("There is no field “%(field)s” for a person.") % {"field": key}
            )
        full_name = ""
        raw_name = str(values.get("full_name") or "")
        # An old encoding is named first: its letters ("¨", "ª") are not a name's, and the message
        # gives the name's Unicode reading.
        legacy = _legacy_problem(" ".join(raw_name.split())) if raw_name.strip() else None
        if legacy:
            errors.setdefault(f"{prefix}.full_name", []).append(legacy)
        else:
            try:
                full_name = clean_name(raw_name)
            except ValidationError as exc:
                errors.setdefault(f"{prefix}.full_name", []).extend(exc.messages)
        sex = _clean_sex(values, role, prefix, errors)
        birth = _date(str(values.get("birth_date") or ""), f"{prefix}.birth_date", errors)
        pin = normalize_pin(values.get("pin"))
        if pin:
            for problem in pin_problems(pin, sex=sex, birth_year=birth.year):
                errors.setdefault(f"{prefix}.pin", []).append(problem)
        party_text = {
            k: _clean_checked_text(
                ascii_digits(str(values.get(k) or "")) if k in DIGIT_FIELDS else values.get(k),
                f"{prefix}.{k}",
                errors,
                _limit(Party, k),
            )
            for k in PARTY_TEXT_FIELDS
        }
        if full_name or pin or not birth.is_empty or any(party_text.values()):
            parties.append(CleanParty(role, full_name, sex, birth, pin, party_text))
    details = _clean_details(dict(data.details or {}), spec, errors)
    if not errors and spec is not None:
        errors = check_consistency(
            event_type=event_type,
            registration_date=reg_date,
            event_date=event_date,
            parties=parties,
            book_year=book_year,
            book_year_to=book_year_to,
        )
    if errors:
        raise ValidationError(errors)
    return CleanRecord(
        registration_date=reg_date,
        registration_type=registration_type,
        page_no=data.page_no,
        event_date=event_date,
        text=text,
        details=details,
        parties=parties,
        not_in_book=tuple(k for k in data.not_in_book if spec is None or k in spec.required),
    )


def required_missing(event_type: str, data: RecordInput) -> dict[str, list[str]]:
    """The required fields of the event type (`EventSpec.required`) left empty in what was typed,
    without the clerk's confirmation that the book does not write them. Checked when a case is
    marked entered (and on amendment), not while drafting; reported with the other errors."""
    spec = EVENT_SPECS.get(event_type)
    if spec is None:
        return {}
    missing: dict[str, list[str]] = {}
    for key in spec.required:
        if key in data.not_in_book:
            continue
        if key.startswith("party."):
            _prefix, role, attr = key.split(".", 2)
            value: Any = (data.parties.get(role) or {}).get(attr)
        elif key == "registration_date":
            value = data.registration_date
        elif key.startswith("details."):
            value = data.details.get(key.removeprefix("details."))
        else:
            value = data.text.get(key)
        if value is None or not str(value).strip():
            missing[key] = [
                _("Required: type it as written in the book, or tick “not in the book” if the book has none.")
            ]
    return missing


def identity_key(event_type: str, parties: list[CleanParty]) -> str | None:
    """The hard duplicate key of a birth or death: the PIN, else name + birth date + mother's name."""
    if event_type not in (EventType.BIRTH, EventType.DEATH):
        return None
    subject_role = PartyRole.SUBJECT if event_type == EventType.BIRTH else PartyRole.DECEASED
    by_role = {p.role: p for p in parties}
    subject = by_role.get(subject_role)
    if subject is None or not subject.full_name:
        return None
    if subject.pin:
        return f"pin:{subject.pin}"
    if not subject.birth_date.is_complete:
        return None  # too little to be sure two entries are one person: the soft check covers it
    mother = by_role.get(PartyRole.MOTHER)
    mother_key = name_exact_key(mother.full_name) if mother and mother.full_name else ""
    return f"id:{name_exact_key(subject.full_name)}|{subject.birth_date}|{mother_key}"


def apply_record_data(
    record: CivilRecord, clean: CleanRecord, *, parties: list[Party] | None = None
) -> dict[str, list[Any]]:
    """Write clean data onto the record and replace its parties; return old → new of what changed.

    Also sets `record.dedup_keys` (the likely-duplicate blocking keys), which is not
    reported as a change: save it with the changed fields.
    """
    changes: dict[str, list[Any]] = {}
    record.dedup_keys = dedup_keys(person_from_clean(record.event_type, clean))

    def put(attr: str, value: Any) -> None:
        old = getattr(record, attr)
        if old != value:
            changes[attr] = [old, value]
            setattr(record, attr, value)

    put("reg_year", clean.registration_date.year)
    put("reg_month", clean.registration_date.month)
    put("reg_day", clean.registration_date.day)
    put("registration_type", clean.registration_type)
    put("page_no", clean.page_no)
    put("event_year", clean.event_date.year)
    put("event_month", clean.event_date.month)
    put("event_day", clean.event_date.day)
    for key, value in clean.text.items():
        put(key, value)
    put("details", clean.details)
    put("not_in_book", sorted(clean.not_in_book))
    put("identity_key", identity_key(record.event_type, clean.parties))

    old_parties = {p.role: p for p in (record.parties.all() if parties is None else parties)}
    new_roles = {p.role for p in clean.parties}
    for role in set(old_parties) - new_roles:
        changes[f"party.{role}"] = [old_parties[role].full_name, None]
        old_parties[role].delete()
    added: list[Party] = []
    for cp in clean.parties:
        party = old_parties.get(cp.role) or Party(record=record, role=cp.role)
        values: dict[str, Any] = {
            "full_name": cp.full_name,
            "name_key": name_key(cp.full_name),
            "name_exact_key": name_exact_key(cp.full_name),
            "sex": cp.sex,
            "birth_year": cp.birth_date.year,
            "birth_month": cp.birth_date.month,
            "birth_day": cp.birth_date.day,
            "pin": cp.pin,
            **cp.text,
        }
        for attr, value in values.items():
            old = getattr(party, attr)
            if old != value and attr not in ("name_key", "name_exact_key"):
                changes[f"party.{cp.role}.{attr}"] = [old if party.pk else None, value]
            setattr(party, attr, value)
        if party.pk is None:
            added.append(party)
        else:
            party.save()
    Party.objects.bulk_create(added)  # a first entry's people in one statement
    return changes


def keep_absent_fields(data: RecordInput, current: RecordInput) -> RecordInput:
    """`data` with each person's fields it does not carry taken from `current` (the stored values).

    A form shows only the fields of its event type (a death's declarant has no sex on the form),
    and a value may have come another way (an import, the data centre): saving must leave what it
    was not given as it is. An empty value that is given clears the field; a person the input does
    not mention at all is removed, as before."""
    parties = {
        role: {**current.parties.get(role, {}), **values} if role in current.parties else dict(values)
        for role, values in data.parties.items()
    }
    return replace(data, parties=parties)


def record_input_from(record: CivilRecord, *, parties: list[Party] | None = None) -> RecordInput:
    """The record's current data as input (to prefill a form or re-validate); `parties` if already read."""
    return RecordInput(
        registration_date=str(record.registration_date),
        registration_type=record.registration_type,
        page_no=record.page_no,
        event_date=str(record.event_date),
        text={k: getattr(record, k) for k in RECORD_TEXT_FIELDS},
        details=dict(record.details or {}),
        not_in_book=tuple(record.not_in_book or ()),
        parties={
            p.role: {
                "full_name": p.full_name,
                "sex": p.sex,
                "birth_date": str(p.birth_date),
                "pin": p.pin,
                **{k: getattr(p, k) for k in PARTY_TEXT_FIELDS},
            }
            for p in (record.parties.all() if parties is None else parties)
        },
    )
