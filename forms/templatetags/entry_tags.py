"""Showing a record's type-specific fields (`CivilRecord.details`) with their labels."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from registry.event_fields import CHOICE, EVENT_SPECS

register = template.Library()


@register.filter
def detail_items(record) -> list[tuple[str, str]]:
    """[(label, value)] of the record's own fields, in paper order, choices shown by their label."""
    spec = EVENT_SPECS.get(record.event_type)
    details = record.details or {}
    if spec is None:
        return [(key, str(value)) for key, value in details.items()]
    items = []
    for field in spec.details:
        value = details.get(field.key)
        if value in (None, ""):
            continue
        if field.kind == CHOICE:
            value = dict(field.choices).get(value, value)
        items.append((str(field.label), str(value)))
    return items


@register.filter
def remark_for(remarks: dict[str, str] | None, field: Any) -> str:
    """The reviewer's remark on a form field ("mother__pin" is remarked as "mother.pin"), or ""."""
    if not remarks:
        return ""
    return remarks.get(field.name.replace("__", "."), "")


@register.filter
def not_in_book_box(form: Any, field: Any) -> Any:
    """The "not in the book" box of a required entry field, or None for other fields."""
    from forms.entry import NOT_IN_BOOK_PREFIX

    name = NOT_IN_BOOK_PREFIX + field.name
    return form[name] if name in getattr(form, "fields", {}) else None


@register.filter
def as_written_box(form: Any, field: Any) -> dict[str, Any] | None:
    """The "as written in the book" box of a field: shown when the field has a warning to confirm
    or a confirmation of its present value; None otherwise. The box's value is the value it confirms."""
    from forms.entry import AS_WRITTEN_PREFIX

    name = AS_WRITTEN_PREFIX + field.name
    if name not in getattr(form, "fields", {}):
        return None
    confirmed = form.confirms(field.name)
    if field.name not in form.warned and not confirmed:
        return None
    return {
        "name": name,
        "id": f"id_{name}",
        "value": form.current_value(field.name),
        "checked": confirmed,
        "warned": field.name in form.warned,
    }


@register.simple_tag(takes_context=True)
def entry_field(context: template.Context, f: Any) -> str:
    """One field of the entry form with its label, remark, help, errors and boxes.

    Written in Python rather than as an included template: an entry form has 30 to 60 fields and
    the include with its filters was a third of a work screen's CPU. The markup is the one the
    template `forms/_field.html` gave, byte for byte (tests/forms/test_entry_field_tag.py keeps that
    template and compares), a newline after each field included.
    """
    form = context.get("form")
    remark = remark_for(context.get("remarks"), f)
    nib = not_in_book_box(form, f)
    ok = as_written_box(form, f)
    warned = bool(ok and ok["warned"])
    errors = f.errors
    classes = ("warned" if warned else "invalid") if errors else ""
    if ok and ok["checked"]:
        classes += " as-written"
    if remark:
        classes += " remarked"
    if nib:
        classes += " required"
    if f.widget_type == "textarea":
        classes += " wide"
    out = []
    if nib or ok:
        out.append(f'<div class="with-not-in-book{" with-as-written" if ok else ""}">')
    out.append(f'<label class="{classes}" for="{_text(f.id_for_label)}">{_text(f.label)}')
    if nib:
        out.append(f' <abbr class="req" title="{_text(gettext("required"))}">*</abbr>')
    out.append(f" {_text(f)}")
    if remark:
        out.append(
            f'<span class="remark" role="note">{_text(context.get("remark_word", ""))}: '
            f"{_text(remark)}</span>"
        )
    if f.help_text:
        out.append(f'<small id="{_text(f.auto_id)}_helptext">{_text(f.help_text)}</small>')
    for error in errors:
        out.append(
            f'<span class="error{" warning" if warned else ""}" id="{_text(f.auto_id)}_error">'
            f"{_text(error)}</span>"
        )
    out.append("</label>")
    if nib:
        out.append(
            f'<label class="check not-in-book" for="{_text(nib.id_for_label)}">'
            f"{_text(nib)} {_text(nib.label)}</label>"
        )
    if ok:
        out.append(
            f'<label class="check as-written-box" for="{_text(ok["id"])}"><input type="checkbox" '
            f'name="{_text(ok["name"])}" id="{_text(ok["id"])}" value="{_text(ok["value"])}"'
            f"{' checked' if ok['checked'] else ''}> {_text(gettext('as written in the book'))}</label>"
        )
    if nib or ok:
        out.append("</div>")
    out.append("\n")
    return mark_safe("".join(out))  # noqa: S308 - every part above is escaped by _text


def _text(value: Any) -> str:
    """`{{ value }}` of a template: localized, then escaped unless already safe."""
    return conditional_escape(str(localize(value)))
