from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from contracts.models import FIELD_DEFECTS, SCAN_DEFECTS, Contractor, ItemKind
from contracts.sampling import AQLS
from registry.models import AdministrativeUnit, EventType, RecordState, RegisterBook

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def check_period(form: forms.Form, start: str, end: str) -> None:
    """An error on `end` when the period it closes ends before it starts."""
    data = form.cleaned_data
    if data.get(start) and data.get(end) and data[end] < data[start]:
        form.add_error(end, _("The period ends before it starts."))


class ContractorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255)
    tax_code = forms.CharField(label=_("Tax code"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    representative = forms.CharField(label=_("Representative"), max_length=120, required=False)


class ContractForm(forms.Form):
    contractor = forms.ModelChoiceField(label=_("Contractor"), queryset=Contractor.objects.all())
    unit = forms.ModelChoiceField(label=_("Managed by"), queryset=AdministrativeUnit.objects.none())
    number = forms.CharField(label=_("Contract number"), max_length=64)
    title = forms.CharField(label=_("Title"), max_length=255)
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE_INPUT)
    starts_on = forms.DateField(label=_("Start of the period"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("End of the period"), widget=DATE_INPUT)
    units = forms.ModelMultipleChoiceField(
        label=_("Units covered"), queryset=AdministrativeUnit.objects.none()
    )
    aql = forms.ChoiceField(
        label=_("AQL (percent nonconforming)"), choices=[(a, a) for a in AQLS], initial="1.0"
    )
    ceiling = forms.IntegerField(label=_("Total ceiling (VND)"), min_value=0, max_value=10**15)

    def __init__(self, *args, managed_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = managed_units  # type: ignore[attr-defined]
        self.fields["units"].queryset = managed_units  # type: ignore[attr-defined]

    def clean(self):
        super().clean()
        check_period(self, "starts_on", "ends_on")
        return self.cleaned_data


class PriceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Item kind"), choices=ItemKind.choices)
    phase = forms.IntegerField(label=_("Phase (blank: any)"), required=False, min_value=1, max_value=99)
    event_type = forms.ChoiceField(
        label=_("Event type"), choices=[("", _("Any")), *EventType.choices], required=False
    )
    price = forms.IntegerField(label=_("Unit price (VND)"), min_value=0, max_value=10**12)


class StaffForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)

    def clean_username(self):
        user = get_user_model().objects.filter(username=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise forms.ValidationError(_("No account has this user name."))
        return user


HANDOVER_STATE_CHOICES = [
    (RecordState.SCANNED.value, RecordState.SCANNED.label),
    (RecordState.ENTERED.value, RecordState.ENTERED.label),
    (RecordState.ATTACHED.value, RecordState.ATTACHED.label),
]


class HandoverForm(forms.Form):
    books = forms.ModelMultipleChoiceField(
        label=_("Books"), queryset=RegisterBook.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    state = forms.ChoiceField(
        label=_("Cases in the state"), choices=HANDOVER_STATE_CHOICES, initial=RecordState.ATTACHED
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, books, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["books"].queryset = books  # type: ignore[attr-defined]


DEFECT_CHOICES = [
    ("", "—"),
    (_("Field error"), [(d.value, d.label) for d in FIELD_DEFECTS]),
    (_("Scan defect"), [(d.value, d.label) for d in SCAN_DEFECTS]),
]


class FindingForm(forms.Form):
    defect = forms.ChoiceField(label=_("Defect"), choices=DEFECT_CHOICES, required=False)
    field = forms.CharField(label=_("Field"), max_length=64, required=False)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("defect", "") in FIELD_DEFECTS and not data.get("field", "").strip():
            self.add_error("field", _("Name the field of a field error."))
        return data


FindingFormSet = forms.formset_factory(FindingForm, extra=0, max_num=20, absolute_max=20)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DATE_INPUT, required=False)
    date_to = forms.DateField(label=_("To"), widget=DATE_INPUT, required=False)

    def clean(self):
        super().clean()
        check_period(self, "date_from", "date_to")
        return self.cleaned_data
