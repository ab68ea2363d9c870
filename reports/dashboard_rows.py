"""The rows of the progress dashboard's tables (`reports/_dashboard_body.html`) and of the targets
tables it shares with the targets page (`_quota_table.html`, `_ranking_table.html`), written in
Python rather than by the template.

Every cell of those tables was a variable and a filter for the template engine (a count per unit
and state, per unit and action, per day and action, per person and action): on a province of 14
districts, 14 days and 30 people the template took 9 ms of the page's 26 ms CPU; 1.7 ms with these.
Labels are translated once a page and every value is written as the template would: text escaped
with `html.escape` (what Django's `escape` calls), counts as the template prints them
(`_number_text`), shares with the `percent` filter, days as "d/m/Y". The tables' heads and empty
rows stay in the templates. tests/reports/test_dashboard_rows.py keeps the template loops these
replace and compares both outputs byte for byte."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any

from django.conf import settings
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from registry.result_rows import choice_labels
from reports.models import Quota
from reports.selectors import PersonRow, PersonStanding
from reports.services import QuotaProgress
from reports.templatetags.progress import percent

Columns = Sequence[tuple[str, Any]]


def _number_text() -> Callable[[Any], str]:
    """`{{ n }}` for a count: an int prints as itself unless thousands are grouped (settings'
    USE_THOUSAND_SEPARATOR, off in this project); anything else as the template localizes it."""

    def localized(value: Any) -> str:
        return conditional_escape(localize(value))

    if settings.USE_THOUSAND_SEPARATOR:
        return localized
    return lambda value: str(value) if type(value) is int else localized(value)


def _cells(keys: list[str], counts: Mapping[str, Any] | None, number: Callable[[Any], str]) -> str:
    """`{% for k, label in columns %}<td class="num">{{ counts|get:k }}</td>{% endfor %}`."""
    if counts is None:
        return '<td class="num">0</td>' * len(keys)
    get = counts.get
    return "".join([f'<td class="num">{number(get(k, 0))}</td>' for k in keys])


def by_child_rows_html(
    rows: Iterable[tuple[Any, Mapping[str, Any]]], unit: Any, states: Columns
) -> SafeString:
    """Cases per unit and state: a link to each child unit (`?unit=<pk>`), the unit's own books
    unlinked and labelled, then the share done."""
    number = _number_text()
    keys = [key for key, _label in states]
    own = f' <span class="muted">({escape(_("own books"))})</span>'
    out = []
    for row_unit, counts in rows:
        name = escape(str(row_unit.name))
        head = name + own if row_unit.pk == unit.pk else f'<a href="?unit={number(row_unit.pk)}">{name}</a>'
        out.append(
            f"<tr><td>{head}</td>{_cells(keys, counts, number)}"
            f'<td class="num">{percent(counts.get("pct_done"))}</td></tr>\n  '
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


def moves_by_child_rows_html(rows: Iterable[tuple[Any, Mapping[str, Any]]], moves: Columns) -> SafeString:
    """Work done per unit and action in the period."""
    number = _number_text()
    keys = [key for key, _label in moves]
    out = [
        f"<tr><td>{escape(str(row_unit.name))}</td>{_cells(keys, counts, number)}</tr>\n  "
        for row_unit, counts in rows
    ]
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


def per_day_rows_html(rows: Iterable[tuple[dt.date, Mapping[str, Any]]], moves: Columns) -> SafeString:
    """Work done per day and action (the "Per day" table: no empty row, every day is listed)."""
    number = _number_text()
    keys = [key for key, _label in moves]
    out = [
        f"<tr><td>{day.strftime('%d/%m/%Y')}</td>{_cells(keys, counts, number)}</tr>" for day, counts in rows
    ]
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


def people_rows_html(people: Iterable[PersonRow], person_moves: Columns) -> SafeString:
    """Per person: work per action, the return rate (flagged over 10 %), fields overruled in
    arbitration, errors found by acceptance sampling, the share passed in review then returned."""
    number = _number_text()
    keys = [key for key, _label in person_moves]
    out = []
    for person in people:
        rate = person.return_rate
        warn = " warn" if rate and rate > 10 else ""
        out.append(
            f"<tr><td>{escape(str(person.name))}</td>{_cells(keys, person.counts, number)}"
            f'<td class="num{warn}">{percent(rate)}</td>'
            f'<td class="num">{number(person.keying_overruled)}</td>'
            f'<td class="num">{number(person.acceptance_errors)}</td>'
            f'<td class="num">{percent(person.review_missed_rate)}</td></tr>\n  '
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


def _action_labels() -> Callable[[str], str]:
    """`quota.get_action_display`, translated once and escaped (an unknown action shows as itself)."""
    labels = choice_labels("action", Quota)
    return lambda action: labels.get(action) or escape(str(action))


def quota_rows_html(progress: Iterable[QuotaProgress]) -> SafeString:
    """Targets (`reports/_quota_table.html`, on the dashboard and the targets page): the unit, what
    is counted, the target, what is due and done by the day, the share (flagged when behind), the
    period."""
    number = _number_text()
    action = _action_labels()
    per = choice_labels("per", Quota)
    behind = f' <strong class="flag">{escape(_("behind"))}</strong>'
    out = []
    for row in progress:
        quota = row.quota
        late = row.behind
        out.append(
            f'<tr class="{"behind" if late else ""}"><td>{escape(str(quota.unit.name))}</td>'
            f"<td>{action(quota.action)}</td>"
            f"<td>{number(quota.target)} {per.get(quota.per) or escape(str(quota.per))}</td>"
            f'<td class="num">{number(row.due)}</td><td class="num">{number(row.done)}</td>'
            f'<td class="num">{percent(row.pct)}{behind if late else ""}</td>'
            f"<td>{quota.start.strftime('%d/%m/%Y')} – {quota.end.strftime('%d/%m/%Y')}</td></tr>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


def ranking_rows_html(ranking: Iterable[PersonStanding]) -> SafeString:
    """People against their own targets (`reports/_ranking_table.html`): rank, name (flagged when
    past their targets), unit, each target's done/due, the sums, the share, ahead (+) or behind."""
    number = _number_text()
    action = _action_labels()
    exceeds = f' <strong class="flag good">{escape(_("exceeds target"))}</strong>'
    out = []
    for person in ranking:
        ahead = person.ahead
        targets = "; ".join(
            [f"{action(t.quota.action)}: {number(t.done)}/{number(t.due)}" for t in person.targets]
        )
        out.append(
            f'<tr class="{"behind" if ahead < 0 else ""}"><td class="num">{number(person.rank)}</td>'
            f"<td>{escape(str(person.name))}{exceeds if person.exceeds else ''}</td>"
            f"<td>{escape(str(person.unit.name))}</td><td>{targets}</td>"
            f'<td class="num">{number(person.due)}</td><td class="num">{number(person.done)}</td>'
            f'<td class="num">{percent(person.pct)}</td>'
            f'<td class="num">{"+" if ahead > 0 else ""}{number(ahead)}</td></tr>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above
