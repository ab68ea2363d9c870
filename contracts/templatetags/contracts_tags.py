from django import template

from contracts.statements import dong as _dong

register = template.Library()


@register.filter
def dong(value):
    """An amount in đồng with dots between thousands (1.234.500)."""
    return _dong(value)


@register.filter
def get(mapping, key):
    return mapping.get(key, 0) if mapping else 0
