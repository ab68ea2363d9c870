"""Forms of the inbox pages: filters (choices limited to the user's scope) and the review remarks."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from html import escape
from typing import Any, cast

from django import forms
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audit.actors import Actor
from permissions.scoping import (
    _minimal_prefixes,
    _work_scopes,
    books_visible_to,
    contract_paths,
    scopes_with,
    units_visible_to,
    user_scopes,
)
from registry.models import AdministrativeUnit, DigitizationPhase, EventType, RegisterBook
from workflows.inbox import InboxFilters, stages_of
from workflows.models import Stage

# A filter dropdown never lists a whole province: the user's units and one level below,
# and the books of the chosen unit, newest first, up to this many.
MAX_CHOICES = 300

# The unit, book and phase choices are the same for everyone with the same scope: read once per
# scope and language, kept in the process for CHOICES_SECONDS, and dropped everywhere as soon as a
# book, unit or phase is saved or deleted (a shared version in the cache, bumped below). Paths
# that skip the model signals (bulk loads of units) show within CHOICES_SECONDS.
CHOICES_SECONDS = 60
CHOICES_KEPT = 512  # scopes × chosen units × languages kept per process
CHOICES_VERSION_KEY = "workflows:inbox-choices-version"
_choices_memo: OrderedDict[tuple[Any, ...], tuple[float, dict[str, Any]]] = OrderedDict()
_choices_lock = threading.Lock()


def choices_version_bump(**_kwargs: Any) -> None:
    """A book, unit or phase changed: every process reads the filter choices again (now, and once
    more when the transaction commits, so that no request caches what was there before it)."""

    def bump() -> None:
        cache.set(CHOICES_VERSION_KEY, uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


def choices_follow_models() -> None:
    """Connects `choices_version_bump` to the models the choices are read from (from
    `WorkflowsConfig.ready`, so that job workers creating books bump it too)."""
    for model in (RegisterBook, AdministrativeUnit, DigitizationPhase):
        for signal in (post_save, post_delete):
            signal.connect(choices_version_bump, sender=model, dispatch_uid="inbox-choices-version")


class PreparedChoices(BaseChoiceIterator):
    """Flat choices taken as they are (Django normalizes a plain list on every assignment: 300
    books each request), with each option's markup escaped once for `QuickSelect`."""

    def __init__(self, choices: list[tuple[Any, Any]]):
        self.choices = choices
        self.options = [
            (str(value), f'<option value="{escape(str(value))}"', f">{escape(str(label))}</option>")
            for value, label in choices
        ]

    def __iter__(self) -> Any:
        return iter(self.choices)


class QuickSelect(forms.Select):
    """A <select> of flat choices written in Python, with the same markup as Django's template
    (less its whitespace): rendering each of 300 book options through the template engine, or
    even through Django's option dicts, cost more than the rest of the page."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = self.format_value(value)
        selected = chosen[0] if chosen else None
        if isinstance(self.choices, PreparedChoices):
            options = "".join(
                f"{head} selected{tail}" if option == selected else head + tail
                for option, head, tail in self.choices.options
            )
        else:
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


class QuickNumber(forms.NumberInput):
    """Django's number input, written in Python like `QuickSelect` (the widget's template, with its
    attributes' template, cost more than the field's six neighbours together)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)
        # In the order given, as django/forms/widgets/attrs.html writes them (flatatt sorts them).
        extra = "".join(
            f" {escape(key)}" if item is True else f' {escape(key)}="{escape(str(item))}"'
            for key, item in self.build_attrs(self.attrs, attrs).items()
            if item is not False
        )
        value_attr = f' value="{escape(str(shown))}"' if shown is not None else ""
        return mark_safe(f'<input type="{self.input_type}" name="{escape(name)}"{value_attr}{extra}>')  # noqa: S308


class InboxFilterForm(forms.Form):
    unit = forms.TypedChoiceField(
        label=_("Unit"), coerce=int, required=False, empty_value=None, widget=QuickSelect
    )
    book = forms.TypedChoiceField(
        label=_("Book"), coerce=int, required=False, empty_value=None, widget=QuickSelect
    )
    event_type = forms.ChoiceField(label=_("Event type"), required=False, widget=QuickSelect)
    year = forms.IntegerField(
        label=_("Year"), required=False, min_value=1800, max_value=2100, widget=QuickNumber
    )
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
        prepared = scope_choices(user, self._raw_int("unit"))
        self.units_by_id = prepared["units_by_id"]
        for name in ("unit", "book", "event_type", "phase"):
            self._choice_field(name).choices = prepared[name]
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


def scope_choices(user: Actor, chosen: int | None) -> dict[str, Any]:
    """The unit, book, event type and phase choices of the user's scope (with `chosen` unit's
    children and books), from the process's memo while the shared version and CHOICES_SECONDS allow."""
    scopes = user_scopes(user)
    top = min((s.unit_path.count("/") for s in scopes), default=1)
    confined = contract_paths(user)
    # Everything `units_visible_to` and `books_visible_to` read of the user, and the language.
    version = cache.get(CHOICES_VERSION_KEY)
    if version is None:  # a cleared or evicted cache: a new version, never one kept before
        cache.add(CHOICES_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(CHOICES_VERSION_KEY)
    key = (
        version,
        get_language(),
        bool(getattr(user, "is_superuser", False)),
        tuple(_minimal_prefixes(s.unit_path for s in scopes_with(user, "view_records"))),
        None if confined is None else tuple(confined),
        tuple(_minimal_prefixes(s.unit_path for s in _work_scopes(user, "view_records"))),
        top,
        chosen,
    )
    now = time.monotonic()
    kept = _choices_memo.get(key)
    if kept is not None and kept[0] > now:
        return kept[1]
    prepared = _choices_read(user, chosen, top)
    with _choices_lock:  # threads of one process (ASGI, threaded workers) share the memo
        _choices_memo[key] = (now + CHOICES_SECONDS, prepared)
        while len(_choices_memo) > CHOICES_KEPT:
            _choices_memo.popitem(last=False)  # the oldest first
    return prepared


def _choices_read(user: Actor, chosen: int | None, top: int) -> dict[str, Any]:
    visible = units_visible_to(user).filter(Q(depth__lte=top) | Q(parent_id=chosen or 0))
    units = list(visible.order_by("path").values_list("pk", "name", "depth", "path")[:MAX_CHOICES])
    units_by_id = {pk: path for pk, _name, _depth, path in units}
    book_qs = books_visible_to(user)
    if chosen and chosen in units_by_id:
        book_qs = book_qs.filter(custodian__path__startswith=units_by_id[chosen])
    books = book_qs.order_by("-year", "custodian__name", "book_no").values_list(
        "pk", "custodian__name", "event_type", "year", "book_no"
    )[:MAX_CHOICES]
    # Labels looked up once: get_event_type_display() translates every choice on each call.
    labels = {value: str(label) for value, label in EventType.choices}
    word = str(_("book"))
    return {
        "units_by_id": units_by_id,
        "unit": PreparedChoices(
            [("", "—")]
            + [(pk, "\u2003" * max(depth - top + 1, 0) + name) for pk, name, depth, _path in units]
        ),
        "book": PreparedChoices(
            [("", "—")]
            + [
                (pk, f"{custodian} · {labels.get(event_type, '')} {year} · {word} {book_no}")
                for pk, custodian, event_type, year, book_no in books
            ]
        ),
        "event_type": PreparedChoices(
            [("", "—"), *((value, str(labels[value])) for value in EventType.values)]
        ),
        "phase": PreparedChoices(
            [("", "—"), *DigitizationPhase.objects.order_by("number").values_list("number", "name")]
        ),
    }
