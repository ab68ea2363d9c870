from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """`{{ counts|get:"approved" }}`: a dict value by key, 0 when missing."""
    if mapping is None:
        return 0
    return mapping.get(key, 0)


@register.filter
def percent(value):
    return "–" if value is None else f"{value:.1f} %".replace(".", ",")
