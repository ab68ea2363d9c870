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


@register.simple_tag
def quota_rows(progress):
    """`{% quota_rows progress %}`: the rows of a targets table (`reports.dashboard_rows`)."""
    from reports.dashboard_rows import quota_rows_html

    return quota_rows_html(progress)


@register.simple_tag
def ranking_rows(ranking):
    """`{% ranking_rows ranking %}`: the rows of the people's ranking (`reports.dashboard_rows`)."""
    from reports.dashboard_rows import ranking_rows_html

    return ranking_rows_html(ranking)
