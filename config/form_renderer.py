"""The form renderer: Django's, with the plain widgets written in Python.

An entry form has 30 to 60 inputs; each goes through Django's widget templates (`input.html` with
its `attrs.html` include): about a third of the CPU of a work screen (bench/README.md, "Campaign").
The widgets below are rendered by the same rules in Python — same context (`Widget.get_context`),
same escaping, same attribute order, byte for byte the markup of Django's templates
(tests/config/test_form_renderer.py compares the two) — and every other template (selects,
radio lists, the project's own) still goes through the template engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

_INPUT_TYPES = (
    "input",
    "text",
    "hidden",
    "checkbox",
    "number",
    "email",
    "url",
    "password",
    "search",
    "tel",
    "date",
    "datetime",
    "time",
)


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html (text, hidden, checkbox … include it unchanged)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict[str, Any]) -> str:
    """django/forms/widgets/textarea.html."""
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


QUICK: dict[str, Callable[[dict[str, Any]], str]] = {
    **{f"django/forms/widgets/{kind}.html": _input for kind in _INPUT_TYPES},
    "django/forms/widgets/textarea.html": _textarea,
}


class QuickWidgetsRenderer(DjangoTemplates):
    """FORM_RENDERER: the widgets of QUICK in Python, everything else by the templates."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        quick = QUICK.get(template_name)
        if quick is not None and "widget" in context:
            return quick(context["widget"])
        return super().render(template_name, context, request=request)
