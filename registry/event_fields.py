"""What the register of each event type carries, in the order of the paper page.

One spec per event type says which common fields apply (with the label the book uses),
which people appear and what is written about each of them, and the type's own fields
(kept in `CivilRecord.details`). The entry form is built from it, `clean_record_input`
validates against it, and importers map their columns onto the same keys. Every field is
optional: an old book may have no information for it.

The birth, marriage and death fields follow the Ministry's import template (DESIGN.md §1:
`nks*`, `me*`, `cha*`, `chong*`, `vo*`, `nkt*`, `gbt*`); the other types follow the
same pattern with the items their registers have.

What is written about each person (`EventSpec.parties`) is settled against the register
and extract forms of Circular 04/2020/TT-BTP (as amended by Circular 01/2022/TT-BTP) and the
Ministry template, and enforced: a value for an item the register does not write about that
role is refused (`clean_record_input`) and the form does not offer it.
- Birth: the child's name, sex, date and place of birth, home town, ethnicity, nationality
  and PIN; of the mother and the father their name, (year of) birth, ethnicity,
  nationality and residence, and the identity paper of the Ministry template — never a
  PIN, a sex (the role says it) or a place of birth.
- Marriage, divorce notation: each spouse's name, date of birth, ethnicity, nationality,
  residence and identity paper (a citizen-ID number is the PIN); no sex (the role says it).
- Death: the deceased's name, sex, date of birth, ethnicity, nationality, last residence,
  identity paper and PIN; the declarant's name, residence and identity paper (and the
  relationship, a field of the case) — not their sex or date of birth.
- Parentage: the recognizing parent and the child each with name, date of birth,
  ethnicity, nationality, residence and identity paper (the kind of recognition says who is
  father or mother: no sex; no place of birth or home town).
- Guardianship and its end: the guardian as above; the ward also with sex.
- Amendment: the person concerned in full; the requester's name, residence, identity paper.
- Marital-status confirmation: the person in full.
- Adoption: the child's name, sex, date and place of birth, ethnicity, nationality,
  residence and PIN; the adoptive parents as the parents of a birth.
Doubts (no copy of every register form at hand): whether the birth register writes the
parents' identity papers (kept: the Ministry template has `meSoGiayToTuyThan`), and whether
the death register writes the declarant's residence (kept, as before).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from registry.models import EventType, PartyRole, Sex
from vietnamese.names import name_key

TEXT = "text"
DATE = "date"
CHOICE = "choice"


@dataclass(frozen=True)
class DetailField:
    """A field of one event type stored in `details` (printed, neither queried nor constrained)."""

    key: str
    label: str | Promise
    kind: str = TEXT
    choices: tuple[tuple[str, str | Promise], ...] = ()
    max_length: int = 255


@dataclass(frozen=True)
class EventSpec:
    # Common fields of CivilRecord used by this type, with the label the book gives them.
    event_fields: dict[str, str | Promise] = field(default_factory=dict)
    # People, in paper order, and the fields written about each, in paper order.
    parties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    details: tuple[DetailField, ...] = ()
    # What a case must carry before it goes to the national database, named as validation errors
    # name fields ("registration_date", "party.<role>.full_name"). Entry never requires them (an
    # old book may lack them): the clean-up worklist lists approved cases that lack any of them.
    required: tuple[str, ...] = ("registration_date",)


# Sex that a role implies (a mother is a woman); entered data may not contradict it.
ROLE_SEX = {
    PartyRole.MOTHER: Sex.FEMALE,
    PartyRole.FATHER: Sex.MALE,
    PartyRole.HUSBAND: Sex.MALE,
    PartyRole.WIFE: Sex.FEMALE,
    PartyRole.ADOPTIVE_FATHER: Sex.MALE,
    PartyRole.ADOPTIVE_MOTHER: Sex.FEMALE,
}

# The common fields that close every page, carried forward from one case to the next.
CARRY_FORWARD_FIELDS = ("registration_place", "signer_name", "signer_title")
CLOSING_FIELDS = ("registration_place", "signer_name", "signer_title", "performer_name", "note")

_PERSON = ("full_name", "birth_date", "ethnicity", "nationality", "residence", "id_document", "pin")
_CHILD = ("full_name", "sex", "birth_date", "birth_place", "hometown", "ethnicity", "nationality", "pin")
_PARENT = ("full_name", "birth_date", "ethnicity", "nationality", "residence", "id_document")
_SEXED = ("full_name", "sex", "birth_date", "ethnicity", "nationality", "residence", "id_document", "pin")
_ADOPTEE = ("full_name", "sex", "birth_date", "birth_place", "ethnicity", "nationality", "residence", "pin")
# Named in a case without being its subject: who declared or asked for it.
_DECLARANT = ("full_name", "residence", "id_document")

_JUDGMENT = (
    DetailField("judgment_no", _("Number of the judgment or decision")),
    DetailField("judgment_date", _("Date of the judgment or decision"), DATE),
    DetailField("judgment_authority", _("Court or authority that issued it")),
)

EVENT_SPECS: dict[str, EventSpec] = {
    EventType.BIRTH: EventSpec(
        required=("registration_date", "party.subject.full_name"),
        parties={PartyRole.SUBJECT: _CHILD, PartyRole.MOTHER: _PARENT, PartyRole.FATHER: _PARENT},
        details=(DetailField("declarant", _("Person who declared the birth")),),
    ),
    EventType.MARRIAGE: EventSpec(
        required=("registration_date", "party.husband.full_name", "party.wife.full_name"),
        parties={PartyRole.HUSBAND: _PERSON, PartyRole.WIFE: _PERSON},
    ),
    EventType.DEATH: EventSpec(
        required=("registration_date", "party.deceased.full_name"),
        parties={
            PartyRole.DECEASED: _SEXED,
            PartyRole.DECLARANT: _DECLARANT,
        },
        event_fields={
            "event_date": _("Date of death"),
            "event_time": _("Time of death (hh:mm)"),
            "event_place": _("Place of death"),
            "event_cause": _("Cause of death"),
        },
        details=(
            DetailField("declarant_relationship", _("Declarant's relationship to the deceased")),
            DetailField(
                "notice_type",
                _("Death notice: kind of paper"),
                CHOICE,
                (
                    ("", _("No information")),
                    ("notice", _("Death notice")),
                    ("replacement", _("Paper replacing a death notice")),
                    ("court", _("Court decision declaring death")),
                ),
            ),
            DetailField("notice_no", _("Death notice: number")),
            DetailField("notice_date", _("Death notice: date"), DATE),
            DetailField("notice_issuer", _("Death notice: issued by")),
        ),
    ),
    EventType.PARENTAGE: EventSpec(
        required=("registration_date", "party.parent.full_name", "party.child.full_name"),
        parties={PartyRole.PARENT: _PERSON, PartyRole.CHILD: _PERSON},
        details=(
            DetailField(
                "kind",
                _("Kind of recognition"),
                CHOICE,
                (
                    ("", _("No information")),
                    ("father_child", _("Father recognizes child")),
                    ("mother_child", _("Mother recognizes child")),
                    ("child_father", _("Child recognizes father")),
                    ("child_mother", _("Child recognizes mother")),
                ),
            ),
        ),
    ),
    EventType.GUARDIANSHIP: EventSpec(
        required=("registration_date", "party.guardian.full_name", "party.ward.full_name"),
        parties={PartyRole.GUARDIAN: _PERSON, PartyRole.WARD: _SEXED},
        event_fields={"event_date": _("Guardianship starts on")},
        details=(
            DetailField(
                "kind",
                _("Kind of guardianship"),
                CHOICE,
                (("", _("No information")), ("appointed", _("Appointed")), ("by_law", _("By law"))),
            ),
            DetailField("reason", _("Why a guardian is needed")),
        ),
    ),
    EventType.GUARDIANSHIP_END: EventSpec(
        required=("registration_date", "party.guardian.full_name", "party.ward.full_name"),
        parties={PartyRole.GUARDIAN: _PERSON, PartyRole.WARD: _SEXED},
        event_fields={"event_date": _("Guardianship ends on")},
        details=(
            DetailField("reason", _("Why the guardianship ends")),
            DetailField(
                "original_registration", _("Guardianship registration that ends (book, number, date)")
            ),
        ),
    ),
    EventType.AMENDMENT: EventSpec(
        required=("registration_date", "party.subject.full_name"),
        parties={
            PartyRole.SUBJECT: _SEXED,
            PartyRole.REQUESTER: _DECLARANT,
        },
        details=(
            DetailField(
                "kind",
                _("Kind of amendment"),
                CHOICE,
                (
                    ("", _("No information")),
                    ("change", _("Change of civil status")),
                    ("correction", _("Correction of civil status")),
                    ("supplement", _("Supplement of civil status")),
                    ("ethnicity", _("Re-determination of ethnicity")),
                ),
            ),
            DetailField("amended_registration", _("Registration amended (type, book, number, date)")),
            DetailField("content_before", _("Content before"), max_length=1000),
            DetailField("content_after", _("Content after"), max_length=1000),
            DetailField("basis", _("Basis (documents, reason)"), max_length=1000),
        ),
    ),
    EventType.DIVORCE_NOTE: EventSpec(
        required=("registration_date", "party.husband.full_name", "party.wife.full_name"),
        parties={PartyRole.HUSBAND: _PERSON, PartyRole.WIFE: _PERSON},
        details=(*_JUDGMENT, DetailField("judgment_country", _("Country where the divorce was granted"))),
    ),
    EventType.MARITAL_STATUS: EventSpec(
        required=("registration_date", "party.subject.full_name"),
        parties={PartyRole.SUBJECT: _SEXED},
        details=(
            DetailField("marital_status", _("Marital status confirmed"), max_length=1000),
            DetailField("purpose", _("Purpose of the confirmation")),
            DetailField("valid_until", _("Valid until"), DATE),
        ),
    ),
    EventType.ADOPTION: EventSpec(
        required=("registration_date", "party.adoptee.full_name"),
        parties={
            PartyRole.ADOPTEE: _ADOPTEE,
            PartyRole.ADOPTIVE_FATHER: _PARENT,
            PartyRole.ADOPTIVE_MOTHER: _PARENT,
        },
        event_fields={"event_date": _("Date the adoption takes effect")},
        details=(
            DetailField("birth_parents", _("Birth parents or institution giving the child")),
            DetailField("decision", _("Decision or agreement (number, date)")),
        ),
    ),
}

# How papers (certified extracts, the Ministry sheet) write a choice: in Vietnamese, not translated.
PAPER_WORDS: dict[tuple[str, str], dict[str, str]] = {
    (EventType.DEATH, "notice_type"): {
        "notice": "Giấy báo tử",
        "replacement": "Giấy tờ thay thế Giấy báo tử",
        "court": "Quyết định của Tòa án tuyên bố chết",
    },
    (EventType.PARENTAGE, "kind"): {
        "father_child": "Cha nhận con",
        "mother_child": "Mẹ nhận con",
        "child_father": "Con nhận cha",
        "child_mother": "Con nhận mẹ",
    },
    (EventType.GUARDIANSHIP, "kind"): {"appointed": "Giám hộ cử", "by_law": "Giám hộ đương nhiên"},
    (EventType.AMENDMENT, "kind"): {
        "change": "Thay đổi hộ tịch",
        "correction": "Cải chính hộ tịch",
        "supplement": "Bổ sung thông tin hộ tịch",
        "ethnicity": "Xác định lại dân tộc",
    },
}


def paper_words(event_type: str, key: str, value: str) -> str:
    """The Vietnamese words a paper prints for a detail's value ("notice" → "Giấy báo tử")."""
    return PAPER_WORDS.get((event_type, key), {}).get(value, value or "")


def choice_from_words(event_type: str, key: str, text: str) -> str:
    """The choice code for a value as a paper or an old sheet writes it (code or words, any
    diacritics or case); the text itself when it matches none, for validation to report."""
    words = PAPER_WORDS.get((event_type, key), {})
    wanted = name_key(text or "")
    for code, written in words.items():
        if wanted in (name_key(code), name_key(written)):
            return code
    return text or ""


PARTY_FIELD_LABELS = {
    "full_name": _("Full name"),
    "sex": _("Sex"),
    "birth_date": _("Date of birth"),
    "birth_place": _("Place of birth"),
    "hometown": _("Home town"),
    "ethnicity": _("Ethnicity"),
    "nationality": _("Nationality"),
    "residence": _("Residence"),
    "id_document": _("Identity document (kind, number)"),
    "pin": _("Personal identification number (12 digits)"),
}

COMMON_LABELS = {
    "page_no": _("Page"),
    "registration_date": _("Registration date"),
    "registration_type": _("Registration type"),
    "event_date": _("Date of the event"),
    "event_time": _("Time of the event"),
    "event_place": _("Place of the event"),
    "event_cause": _("Cause"),
    "registration_place": _("Place of registration"),
    "signer_name": _("Signer"),
    "signer_title": _("Signer's title"),
    "performer_name": _("Officer who performed it"),
    "note": _("Note"),
}


def spec_for(event_type: str) -> EventSpec:
    return EVENT_SPECS[EventType(event_type)]


def field_label(event_type: str, key: str) -> str:
    """The label a user sees for a validation key ("party.mother.birth_date" → "Mother: Date of birth")."""
    spec = spec_for(event_type)
    if key.startswith("party."):
        parts = key.split(".")
        role_label = PartyRole(parts[1]).label if parts[1] in PartyRole.values else parts[1]
        if len(parts) > 2:
            return f"{role_label}: {PARTY_FIELD_LABELS.get(parts[2], parts[2])}"
        return str(role_label)
    if key.startswith("details."):
        name = key.split(".", 1)[1]
        for detail in spec.details:
            if detail.key == name:
                return str(detail.label)
        return name
    return str(spec.event_fields.get(key) or COMMON_LABELS.get(key, key))
