"""Input of the progress pages: date ranges, statistics criteria, targets."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from permissions.models import UnitRole
from permissions.scoping import scope_q
from registry.models import AdministrativeUnit, EventType
from reports.civil_stats import DIMENSIONS as CIVIL_DIMENSIONS
from reports.models import QUOTA_ACTIONS, Action, Quota

DATE_INPUT = ["%d/%m/%Y", "%Y-%m-%d"]
MAX_DAYS = 366


class RangeForm(forms.Form):
    start = forms.DateField(label=_l("From"), required=False, input_formats=DATE_INPUT)
    end = forms.DateField(label=_l("To"), required=False, input_formats=DATE_INPUT)

    def clean(self):
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data, never None
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - dt.timedelta(days=13)
        if start > end:
            raise forms.ValidationError(_l("The start date is after the end date: swap them."))
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_l("Choose at most one year at a time."))
        data["start"], data["end"] = start, end
        return data

    def range(self) -> tuple[dt.date, dt.date]:
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        end = timezone.localdate()
        return end - dt.timedelta(days=13), end


class StatsForm(RangeForm):
    MEASURES = [("states", _l("Cases per state now")), ("moves", _l("Work done in the period"))]
    DIMENSIONS = [
        ("child", _l("Unit")),
        ("event_type", _l("Event type")),
        ("phase", _l("Phase")),
        ("year", _l("Year of the book")),
        ("day", _l("Day")),
        ("person", _l("Person")),
    ]
    measure = forms.ChoiceField(label=_l("Show"), choices=MEASURES, required=False)
    by = forms.ChoiceField(label=_l("Group by"), choices=DIMENSIONS, required=False)

    def clean(self):
        data = super().clean()
        data["measure"] = data.get("measure") or "states"
        data["by"] = data.get("by") or "child"
        if data["measure"] == "states" and data["by"] in ("day", "person"):
            raise forms.ValidationError(
                _l(
                    "Cases per state are counted as they are now, not per day or person: "
                    "choose “Work done in the period”."
                )
            )
        if data["measure"] == "moves" and data["by"] == "year":
            raise forms.ValidationError(
                _l("Work done is counted by unit, event type, phase, day or person, not by year of the book.")
            )
        return data


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.get_username()} ({obj.get_username()})"


class QuotaForm(forms.Form):
    unit = forms.ModelChoiceField(label=_l("Unit"), queryset=AdministrativeUnit.objects.none())
    person = PersonChoiceField(
        label=_l("Person (leave empty for the unit's target)"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_l("A target of one person counts only their own work in the unit."),
    )
    action = forms.ChoiceField(
        label=_l("What is counted"), choices=[(a.value, a.label) for a in QUOTA_ACTIONS]
    )
    per = forms.ChoiceField(label=_l("Target"), choices=Quota.Per.choices)
    target = forms.IntegerField(label=_l("Number of cases"), min_value=1)
    start = forms.DateField(label=_l("From"), input_formats=DATE_INPUT, help_text=_l("dd/mm/yyyy"))
    end = forms.DateField(label=_l("To"), input_formats=DATE_INPUT, help_text=_l("dd/mm/yyyy"))
    note = forms.CharField(label=_l("Note"), max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        # A unit's target is set by the level above; a person's by whoever manages their unit.
        field.queryset = AdministrativeUnit.objects.filter(
            scope_q(user, "manage_unit", path_field="parent__path")
            | scope_q(user, "manage_unit", path_field="path")
        ).order_by("path")
        # The people who work in the units the user manages.
        person = cast(forms.ModelChoiceField, self.fields["person"])
        person.queryset = (
            get_user_model()
            .objects.filter(
                is_active=True,
                groups__unit_role__in=UnitRole.objects.filter(
                    scope_q(user, "manage_unit", path_field="unit__path")
                ),
            )
            .distinct()
            .order_by("last_name", "first_name", "username")
        )


ACTION_LABELS = dict(Action.choices)


class CivilStatsForm(forms.Form):
    """Criteria of the civil-data statistics: rows × columns, and optional filters."""

    rows = forms.ChoiceField(label=_l("Rows"), choices=CIVIL_DIMENSIONS, required=False)
    columns = forms.ChoiceField(label=_l("Columns"), choices=CIVIL_DIMENSIONS, required=False)
    event_type = forms.ChoiceField(
        label=_l("Event type"), choices=[("", _l("All")), *EventType.choices], required=False
    )
    year_from = forms.IntegerField(
        label=_l("Registered from year"), required=False, min_value=1800, max_value=2200
    )
    year_to = forms.IntegerField(label=_l("to year"), required=False, min_value=1800, max_value=2200)

    def clean(self):
        data = cast(dict[str, Any], super().clean())
        data["rows"] = data.get("rows") or "event_type"
        data["columns"] = data.get("columns") or "sex"
        start, end = data.get("year_from"), data.get("year_to")
        if start and end and start > end:
            raise forms.ValidationError(_l("The first year is after the last one: swap them."))
        return data


class PlanForm(forms.Form):
    """A line of the rollout plan: a unit below the user, a phase, the plan year and the deadline."""

    unit = forms.ModelChoiceField(label=_l("Unit"), queryset=AdministrativeUnit.objects.none())
    phase = forms.TypedChoiceField(label=_l("Phase"), coerce=int, choices=[])
    year = forms.IntegerField(label=_l("Plan year"), min_value=1990, max_value=2100)
    deadline = forms.DateField(label=_l("Deadline"), input_formats=DATE_INPUT, help_text=_l("dd/mm/yyyy"))
    note = forms.CharField(label=_l("Note"), max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        from registry.models import DigitizationPhase

        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        field.queryset = AdministrativeUnit.objects.filter(
            scope_q(user, "manage_unit", path_field="parent__path")
        ).order_by("path")
        phase_field = cast(forms.TypedChoiceField, self.fields["phase"])
        phase_field.choices = [(p.number, p.name) for p in DigitizationPhase.objects.all()]


class PhaseLimitsForm(forms.Form):
    number = forms.IntegerField(widget=forms.HiddenInput)
    year_from = forms.IntegerField(label=_l("From year"), required=False, min_value=1800, max_value=2100)
    year_to = forms.IntegerField(label=_l("To year"), required=False, min_value=1800, max_value=2100)


class ConditionFilterForm(forms.Form):
    """The phase the condition report covers (empty: all books)."""

    phase = forms.TypedChoiceField(
        label=_l("Phase"), coerce=int, required=False, empty_value=None, choices=[]
    )

    def __init__(self, *args, **kwargs):
        from registry.models import DigitizationPhase

        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["phase"])
        field.choices = [
            ("", _l("All phases")),
            *((p.number, p.name) for p in DigitizationPhase.objects.all()),
        ]
