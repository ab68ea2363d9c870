"""Tags of the base layout (templates/base.html)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

# Rendered fragments kept in this process: (name, language, script prefix, values) -> HTML.
_kept: dict[tuple[Any, ...], SafeString] = {}
KEPT_MAX = 1000


class KeptNode(template.Node):
    def __init__(self, name: str, values: list[FilterExpression], nodelist: NodeList):
        self.name, self.values, self.nodelist = name, values, nodelist

    def render(self, context: Context) -> SafeString:
        values = tuple(_hashable(value.resolve(context)) for value in self.values)
        key = (self.name, get_language(), get_script_prefix(), values)
        html = _kept.get(key)
        if html is None:
            if len(_kept) >= KEPT_MAX:
                _kept.clear()
            html = _kept[key] = mark_safe(self.nodelist.render(context))  # noqa: S308 - rendered by the engine
        return html


def _hashable(value: Any) -> Any:
    if isinstance(value, (set, frozenset, list, tuple)):
        return tuple(sorted(value))
    return value


@register.tag
def kept(parser: Parser, token: Token) -> KeptNode:
    """`{% kept "menu" my_roles user.is_superuser %}…{% endkept %}`: the fragment rendered once per
    process for each language and each set of the values named, then reused. Only for markup that
    depends on nothing else (links by URL name, translated words, static files): the main menu is
    ~30 `{% url %}` and `{% translate %}` tags, a tenth of the Queue page's CPU when rendered each time."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% kept %} needs a name.")
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(bits[1].strip("\"'"), [parser.compile_filter(bit) for bit in bits[2:]], nodelist)
