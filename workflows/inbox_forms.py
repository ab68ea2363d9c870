"""Forms of the inbox pages: filters (choices limited to the user's scope) and the review remarks."""

from __future__ import annotations

from html import escape
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from audit.actors import Actor
from permissions.scoping import books_visible_to, units_visible_to, user_scopes
from registry.models import DigitizationPhase, EventType
from workflows.inbox import InboxFilters, stages_of
from workflows.models import Stage

# A filter dropdown never lists a whole province: the user's units and one level below,
# and the books of the chosen unit, newest first, up to this many.
MAX_CHOICES = 300


class QuickSelect(forms.Select):
    """A <select> of flat choices written in Python, with the same markup as Django's template
    (less its whitespace): rendering each of 300 book options through the template engine, or
    even through Django's option dicts, cost more than the rest of the page."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = self.format_value(value)
        selected = chosen[0] if chosen else None
        options = "".join(
            f'<option value="{escape(str(option))}"{" selected" if str(option) == selected else ""}>'
            f"{escape(str(label))}</option>"
            for option, label in self.choices
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe(options),  # noqa: S308 - every value and label escaped above
        )


class InboxFilterForm(forms.Form):
    unit = forms.TypedChoiceField(
        label=_("Unit"), coerce=int, required=False, empty_value=None, widget=QuickSelect
    )
    book = forms.TypedChoiceField(
        label=_("Book"), coerce=int, required=False, empty_value=None, widget=QuickSelect
    )
    event_type = forms.ChoiceField(label=_("Event type"), required=False, widget=QuickSelect)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1800, max_value=2100)
    phase = forms.TypedChoiceField(
        label=_("Phase"), coerce=int, required=False, empty_value=None, widget=QuickSelect
    )
    stage = forms.ChoiceField(label=_("Stage"), required=False, widget=QuickSelect)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("age", _("Oldest first")), ("due", _("Deadline"))],
        widget=QuickSelect,
    )

    def __init__(self, data: Any = None, *, user: Actor):
        super().__init__(data)
        scopes = user_scopes(user)
        chosen = self._raw_int("unit")
        top = min((s.unit_path.count("/") for s in scopes), default=1)
        visible = units_visible_to(user).filter(Q(depth__lte=top) | Q(parent_id=chosen or 0))
        units = list(visible.order_by("path").values_list("pk", "name", "depth", "path")[:MAX_CHOICES])
        self.units_by_id = {pk: path for pk, _name, _depth, path in units}
        self._choice_field("unit").choices = [("", "—")] + [
            (pk, "\u2003" * max(depth - top + 1, 0) + name) for pk, name, depth, _path in units
        ]
        book_qs = books_visible_to(user)
        if chosen and chosen in self.units_by_id:
            book_qs = book_qs.filter(custodian__path__startswith=self.units_by_id[chosen])
        books = book_qs.order_by("-year", "custodian__name", "book_no").values_list(
            "pk", "custodian__name", "event_type", "year", "book_no"
        )[:MAX_CHOICES]
        # Labels looked up once: get_event_type_display() translates every choice on each call.
        labels = {value: str(label) for value, label in EventType.choices}
        word = str(_("book"))
        self._choice_field("book").choices = [("", "—")] + [
            (pk, f"{custodian} · {labels.get(event_type, '')} {year} · {word} {book_no}")
            for pk, custodian, event_type, year, book_no in books
        ]
        self._choice_field("event_type").choices = [("", "—"), *EventType.choices]
        self._choice_field("phase").choices = [("", "—")] + [
            (p.number, p.name) for p in DigitizationPhase.objects.order_by("number")
        ]
        self._choice_field("stage").choices = [("", "—")] + [(s, Stage(s).label) for s in stages_of(user)]

    def _choice_field(self, name: str) -> forms.ChoiceField:
        # Every field whose choices are set here is declared above as a (Typed)ChoiceField.
        return cast(forms.ChoiceField, self.fields[name])

    def _raw_int(self, name: str) -> int | None:
        value = (self.data or {}).get(name)
        return int(value) if value and str(value).isdigit() else None

    def filters(self) -> InboxFilters:
        if not self.is_bound or not self.is_valid():
            return InboxFilters()
        data = self.cleaned_data
        unit = None
        if data["unit"]:
            from registry.models import AdministrativeUnit

            unit = AdministrativeUnit(pk=data["unit"], path=self.units_by_id[data["unit"]])
        return InboxFilters(
            unit=unit,
            book_id=data["book"],
            event_type=data["event_type"],
            year=data["year"],
            phase=data["phase"],
            stage=data["stage"],
        )

    @property
    def sort_order(self) -> str:
        if self.is_bound and self.is_valid() and self.cleaned_data["sort"]:
            return self.cleaned_data["sort"]
        return "age"
