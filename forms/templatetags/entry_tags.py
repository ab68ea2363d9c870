"""Showing a record's type-specific fields (`CivilRecord.details`) with their labels."""

from __future__ import annotations

from typing import Any

from django import template

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
