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


@register.simple_tag
def cell(table, row_key, column_key):
    """`{% cell table r c %}`: one count of a civil-data cross table, 0 when empty."""
    return table.cells.get((row_key, column_key), 0)
