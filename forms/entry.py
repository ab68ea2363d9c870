"""The data-entry form: the record's common fields and one block per person of the event type.

The form only shapes input; `registry.record_data.clean_record_input` validates it
(the same rules serve the API and imports) and the services save it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from registry.models import EVENT_PARTY_ROLES, PartyRole, RegistrationType, Sex
from registry.record_data import PARTY_TEXT_FIELDS, RECORD_TEXT_FIELDS, RecordInput

DATE_HELP = _("dd/mm/yyyy, mm/yyyy or yyyy; empty if the book has no information")
# The person blocks label these fields with _(name.replace("_", " ").capitalize()); the markers put
# those msgids into the catalog, which cannot read a computed string.
PARTY_TEXT_LABELS = (
    gettext_noop("Birth place"),
    gettext_noop("Hometown"),
    gettext_noop("Id document"),
    gettext_noop("Ethnicity"),
    gettext_noop("Nationality"),
    gettext_noop("Residence"),
)


class RecordForm(forms.Form):
    registration_date = forms.CharField(label=_("Registration date"), required=False, help_text=DATE_HELP)
    registration_type = forms.TypedChoiceField(
        label=_("Registration type"),
        choices=RegistrationType.choices,
        coerce=int,
        initial=RegistrationType.ON_TIME,
    )
    page_no = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=10000)
    event_date = forms.CharField(label=_("Date of the event"), required=False, help_text=DATE_HELP)
    event_time = forms.CharField(label=_("Time of the event"), required=False, max_length=16)
    event_place = forms.CharField(label=_("Place of the event"), required=False, max_length=255)
    event_cause = forms.CharField(label=_("Cause"), required=False, max_length=255)
    registration_place = forms.CharField(label=_("Place of registration"), required=False, max_length=255)
    signer_name = forms.CharField(label=_("Signer"), required=False, max_length=120)
    signer_title = forms.CharField(label=_("Signer's title"), required=False, max_length=120)
    performer_name = forms.CharField(label=_("Officer who performed it"), required=False, max_length=120)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args: Any, event_type: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.event_type = event_type
        self.roles = EVENT_PARTY_ROLES[event_type]
        for role in self.roles:
            label = PartyRole(role).label
            self.fields[f"{role}__full_name"] = forms.CharField(
                label=_("Full name"), required=False, max_length=10000
            )
            self.fields[f"{role}__sex"] = forms.TypedChoiceField(
                label=_("Sex"), choices=Sex.choices, coerce=int, required=False, initial=Sex.UNKNOWN
            )
            self.fields[f"{role}__birth_date"] = forms.CharField(
                label=_("Date of birth"), required=False, help_text=DATE_HELP
            )
            self.fields[f"{role}__pin"] = forms.CharField(
                label=_("PIN (12 digits)"), required=False, max_length=20
            )
            for name in PARTY_TEXT_FIELDS:
                self.fields[f"{role}__{name}"] = forms.CharField(
                    label=_(name.replace("_", " ").capitalize()), required=False, max_length=10000
                )
            for name in [n for n in self.fields if n.startswith(f"{role}__")]:
                self.fields[name].widget.attrs["data-party"] = str(label)

    def party_blocks(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (str(PartyRole(role).label), [self[n] for n in self.fields if n.startswith(f"{role}__")])
            for role in self.roles
        ]

    def common_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if "__" not in n]

    def to_input(self) -> RecordInput:
        data = self.cleaned_data
        return RecordInput(
            registration_date=data.get("registration_date") or "",
            registration_type=data.get("registration_type") or 0,
            page_no=data.get("page_no"),
            event_date=data.get("event_date") or "",
            text={k: data.get(k) or "" for k in RECORD_TEXT_FIELDS},
            parties={
                role: {
                    key.split("__", 1)[1]: value for key, value in data.items() if key.startswith(f"{role}__")
                }
                for role in self.roles
            },
        )

    @classmethod
    def initial_from(cls, data: RecordInput) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "registration_date": data.registration_date,
            "registration_type": data.registration_type,
            "page_no": data.page_no,
            "event_date": data.event_date,
            **data.text,
        }
        for role, values in data.parties.items():
            for key, value in values.items():
                initial[f"{role}__{key}"] = value
        return initial

    def add_service_errors(self, message_dict: dict[str, list[str]]) -> None:
        """Show the validation service's errors on the fields they name."""
        for key, messages in message_dict.items():
            name = key.replace("party.", "").replace(".", "__")
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)
