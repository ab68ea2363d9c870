"""The data-entry form of each event type, built from `registry.event_fields`.

Fields come in the order of the paper page, so that Tab follows the book: the case's
number and date, the people, the event's own items, then what closes every page
(registration place, signer and title, carried forward from the previous case).

The form only shapes input and converts text pasted in an old Vietnamese encoding;
`registry.record_data.clean_record_input` validates it (the same rules serve the API
and imports) and the services save it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from registry.event_fields import (
    CHOICE,
    CLOSING_FIELDS,
    COMMON_LABELS,
    PARTY_FIELD_LABELS,
    ROLE_SEX,
    field_label,
    spec_for,
)
from registry.models import PartyRole, RegistrationType, Sex
from registry.record_data import AS_WRITTEN, RECORD_TEXT_FIELDS, RecordInput
from vietnamese.legacy_encodings import ENCODING_LABELS, fix_legacy

DATE_HELP = _l("dd/mm/yyyy, mm/yyyy or yyyy; empty if the book has no information")
# Generous limits: the validation service reports overlong text with its own message.
RAW_MAX = 10000
DETAIL_PREFIX = "d__"
# The "not in the book" box of a required field: "nib__subject__full_name".
NOT_IN_BOOK_PREFIX = "nib__"
# The "as written in the book" box of a field that may hold an implausible value: "ok__mother__birth_date".
# Its value is the field's value it confirms, so that a confirmation of an older value never
# confirms a new one: ticked, it posts the value shown when the box was drawn.
AS_WRITTEN_PREFIX = "ok__"
# Person fields a warning can name (registry.record_checks, registry.record_data.pin_mismatches).
CHECKED_PARTY_FIELDS = ("birth_date", "pin")


def _text(label: Any, *, textarea: bool = False, help_text: Any = "") -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 2}) if textarea else forms.TextInput()
    field = forms.CharField(
        label=label, required=False, max_length=RAW_MAX, strip=False, widget=widget, help_text=help_text
    )
    # Control characters (NUL included) are refused by the validation service, with every other problem.
    field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
    return field


class RecordForm(forms.Form):
    """One case of one event type. Field names: "registration_date", "mother__full_name", "d__notice_no"."""

    def __init__(self, *args: Any, event_type: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.event_type = event_type
        self.spec = spec_for(event_type)
        self.roles = tuple(self.spec.parties)
        self.conversions: list[str] = []
        self.fields["page_no"] = forms.IntegerField(
            label=COMMON_LABELS["page_no"], required=False, min_value=1, max_value=10000
        )
        self.fields["registration_date"] = _text(COMMON_LABELS["registration_date"], help_text=DATE_HELP)
        self.fields["registration_type"] = forms.TypedChoiceField(
            label=COMMON_LABELS["registration_type"],
            choices=RegistrationType.choices,
            coerce=int,
            initial=RegistrationType.ON_TIME,
        )
        for role, names in self.spec.parties.items():
            for name in names:
                key = f"{role}__{name}"
                label = PARTY_FIELD_LABELS[name]
                if name == "sex":
                    self.fields[key] = forms.TypedChoiceField(
                        label=label, choices=Sex.choices, coerce=int, required=False, initial=Sex.UNKNOWN
                    )
                elif name == "birth_date":
                    self.fields[key] = _text(label, help_text=DATE_HELP)
                else:
                    self.fields[key] = _text(label)
                self.fields[key].widget.attrs["data-party"] = str(PartyRole(role).label)
        for key, event_label in self.spec.event_fields.items():
            self.fields[key] = _text(event_label, help_text=DATE_HELP if key == "event_date" else "")
        for detail in self.spec.details:
            key = DETAIL_PREFIX + detail.key
            if detail.kind == CHOICE:
                self.fields[key] = forms.ChoiceField(
                    label=str(detail.label), choices=detail.choices, required=False
                )
            else:
                self.fields[key] = _text(
                    detail.label,
                    textarea=detail.max_length > 255,
                    help_text=DATE_HELP if detail.kind == "date" else "",
                )
        for key in CLOSING_FIELDS:
            self.fields[key] = _text(COMMON_LABELS[key], textarea=key == "note")
        for name, bound in self.fields.items():
            bound.widget.attrs.setdefault("autocomplete", "off")
            if (
                name.endswith("birth_date")
                or name.endswith("_date")
                or name.startswith(DETAIL_PREFIX + "valid")
            ):
                bound.widget.attrs.setdefault("inputmode", "numeric")
        self.fields["page_no"].widget.attrs["autofocus"] = True
        # Fields that may carry an implausible value get a hidden "as written" confirmation.
        checked = ["registration_date", *(k for k in ("event_date",) if k in self.fields)]
        checked += [n for n in self.fields if n.split("__", 1)[-1] in CHECKED_PARTY_FIELDS and "__" in n]
        self.warned: set[str] = set()
        for name in checked:
            self.fields[AS_WRITTEN_PREFIX + name] = forms.CharField(
                required=False, strip=False, max_length=RAW_MAX, widget=forms.HiddenInput()
            )
        # Required fields (EventSpec.required) are marked; each gets a box for "the book has none".
        self.required_entry_names: dict[str, str] = {}
        for key in self.spec.required:
            name = self.field_name(key)
            if name in self.fields:
                self.required_entry_names[name] = key
                self.fields[name].widget.attrs["aria-required"] = "true"
                self.fields[NOT_IN_BOOK_PREFIX + name] = forms.BooleanField(
                    label=_l("not in the book"), required=False
                )

    # --- layout --------------------------------------------------------------------------
    def opening_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("page_no", "registration_date", "registration_type")]

    def party_blocks(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (str(PartyRole(role).label), [self[n] for n in self.fields if n.startswith(f"{role}__")])
            for role in self.roles
        ]

    def event_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.spec.event_fields] + [
            self[DETAIL_PREFIX + d.key] for d in self.spec.details
        ]

    def closing_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in CLOSING_FIELDS]

    # --- data ----------------------------------------------------------------------------
    def clean(self) -> dict[str, Any]:
        """Convert text typed in TCVN3 or VNI to Unicode, and say so."""
        super().clean()
        data = self.cleaned_data
        for name, value in list(data.items()):
            if isinstance(value, str) and value and any(ord(ch) > 0x7F for ch in value):
                converted, encoding = fix_legacy(value)
                if encoding:
                    data[name] = converted
                    self.conversions.append(
                        _("“%(field)s” was in %(encoding)s and is now “%(text)s”.")
                        % {
                            "field": self.fields[name].label,
                            "encoding": ENCODING_LABELS[encoding],
                            "text": converted,
                        }
                    )
        return data

    def to_input(self) -> RecordInput:
        data = self.cleaned_data
        parties: dict[str, dict[str, Any]] = {}
        for role in self.roles:
            values = {
                key.split("__", 1)[1]: value for key, value in data.items() if key.startswith(f"{role}__")
            }
            if "sex" not in values and role in ROLE_SEX:
                values["sex"] = ROLE_SEX[PartyRole(role)]
            parties[role] = values
        return RecordInput(
            registration_date=data.get("registration_date") or "",
            registration_type=data.get("registration_type") or 0,
            page_no=data.get("page_no"),
            event_date=data.get("event_date") or "",
            text={k: data.get(k) or "" for k in RECORD_TEXT_FIELDS},
            details={
                k[len(DETAIL_PREFIX) :]: v for k, v in data.items() if k.startswith(DETAIL_PREFIX) and v
            },
            parties=parties,
            not_in_book=tuple(
                key for name, key in self.required_entry_names.items() if data.get(NOT_IN_BOOK_PREFIX + name)
            ),
            as_written=tuple(self.key_of(name) for name in self.confirmed_names()),
        )

    def confirmed_names(self) -> list[str]:
        """Fields whose "as written" box is ticked for the value now in the field."""
        return [
            name[len(AS_WRITTEN_PREFIX) :]
            for name in self.fields
            if name.startswith(AS_WRITTEN_PREFIX) and self.confirms(name[len(AS_WRITTEN_PREFIX) :])
        ]

    def confirms(self, name: str) -> bool:
        """Does the "as written" box of `name` confirm the value the field holds now?"""
        box = AS_WRITTEN_PREFIX + name
        if self.is_bound:
            confirmed, value = self.data.get(box), self.data.get(name)
        else:
            confirmed, value = self.initial.get(box), self.initial.get(name)
        return confirmed is not None and _same(confirmed, value)

    def current_value(self, name: str) -> str:
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        return "" if value is None else str(value)

    @staticmethod
    def key_of(name: str) -> str:
        """Form field name → validation key ("mother__pin" → "party.mother.pin"): `field_name` reversed."""
        if name.startswith(DETAIL_PREFIX):
            return "details." + name[len(DETAIL_PREFIX) :]
        if "__" in name:
            return "party." + name.replace("__", ".")
        return name

    @classmethod
    def initial_from(cls, data: RecordInput) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "registration_date": data.registration_date,
            "registration_type": data.registration_type,
            "page_no": data.page_no,
            "event_date": data.event_date,
            **data.text,
            **{DETAIL_PREFIX + k: v for k, v in (data.details or {}).items()},
        }
        for role, values in data.parties.items():
            for key, value in values.items():
                initial[f"{role}__{key}"] = value
        for key in data.not_in_book:
            initial[NOT_IN_BOOK_PREFIX + cls.field_name(key)] = True
        for key in data.as_written:
            name = cls.field_name(key)
            initial[AS_WRITTEN_PREFIX + name] = "" if initial.get(name) is None else str(initial[name])
        return initial

    @staticmethod
    def field_name(key: str) -> str:
        """Service error key → form field name ("party.mother.pin" → "mother__pin", "details.x" → "d__x")."""
        if key.startswith("details."):
            return DETAIL_PREFIX + key.split(".", 1)[1]
        return key.replace("party.", "").replace(".", "__")

    def add_service_errors(self, error: ValidationError | dict[str, list[str]]) -> None:
        """Show the validation service's errors on the fields they name (or on top, naming the field).
        A warning the clerk may confirm (code `AS_WRITTEN`) also shows its "as written" box."""
        if isinstance(error, ValidationError):
            errors = {key: list(items) for key, items in error.error_dict.items()}
        else:
            errors = {key: [ValidationError(m) for m in messages] for key, messages in error.items()}
        for key, items in errors.items():
            name = self.field_name(key)
            for item in items:
                message = " ".join(item.messages)
                if item.code == AS_WRITTEN and AS_WRITTEN_PREFIX + name in self.fields:
                    self.warned.add(name)
                if name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, f"{field_label(self.event_type, key)}: {message}")


def _same(a: object, b: object) -> bool:
    """Two typed values are the same but for spaces."""
    return " ".join(str(a or "").split()) == " ".join(str(b or "").split())
