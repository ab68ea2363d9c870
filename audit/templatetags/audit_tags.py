from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

HIDDEN = {"identity_key"}


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


@register.filter
def change_text(value: Any) -> str:
    """An audit change as people read it: "old → new" for a pair, the value otherwise."""
    if isinstance(value, list) and len(value) == 2:
        return f"{_text(value[0])} → {_text(value[1])}"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "—"
    return _text(value)


@register.filter
def visible_changes(changes: dict[str, Any]) -> list[tuple[str, Any]]:
    """The changes worth showing, in a stable order (state first)."""
    items = [(k, v) for k, v in (changes or {}).items() if k not in HIDDEN]
    return sorted(items, key=lambda kv: (kv[0] != "state", kv[0]))
