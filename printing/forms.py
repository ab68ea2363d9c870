"""Forms of the counter: searching, issuing, reprinting and batch printing. Services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from printing.services import MAX_COPIES
from registry.models import EventType


class CounterSearchForm(forms.Form):
    name = forms.CharField(label=_("Name (diacritics optional)"), required=False, max_length=120)
    pin = forms.CharField(label=_("PIN"), required=False, max_length=12)
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1800, max_value=2100)
    event_type = forms.ChoiceField(
        label=_("Event type"), choices=[("", "—"), *EventType.choices], required=False
    )
    book_no = forms.CharField(label=_("Book number"), required=False, max_length=32)
    entry_no = forms.IntegerField(label=_("Entry number"), required=False, min_value=1)

    def has_criteria(self) -> bool:
        return self.is_valid() and any(v not in ("", None) for v in self.cleaned_data.values())


class RequesterFields(forms.Form):
    requester_name = forms.CharField(label=_("Requester's full name"), max_length=120)
    requester_document = forms.CharField(
        label=_("Requester's identity document (type and number)"), max_length=120
    )
    relationship = forms.CharField(
        label=_("Relationship to the person registered"),
        max_length=120,
        help_text=_("e.g. bản thân (self), mẹ (mother), người được ủy quyền (authorized person)"),
    )
    signer_title = forms.CharField(label=_("Signer's title"), max_length=120)
    signer_name = forms.CharField(label=_("Signer's full name"), max_length=120)


class IssueForm(RequesterFields):
    copies = forms.IntegerField(label=_("Copies"), min_value=1, max_value=MAX_COPIES, initial=1)
    electronic = forms.BooleanField(
        label=_("Electronic copy, digitally signed with the unit's certificate"), required=False
    )


class ReprintForm(forms.Form):
    copies = forms.IntegerField(label=_("Copies"), min_value=1, max_value=MAX_COPIES, initial=1)


class BatchForm(RequesterFields):
    pass
