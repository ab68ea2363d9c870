# ruff: noqa: E501 - the old templates are kept as they were, line for line
"""The rows of the progress dashboard's tables and of the targets tables, written in Python
(`reports.dashboard_rows`), are byte for byte the markup of the template loops they replace (kept
below: the loops one by one, and the whole of the dashboard's body with its two included tables as it
was), in both languages, with names to escape, counts zero or missing, shares unknown, a unit's own
books, return rates either side of 10 %, people ahead of and behind their targets, and empty tables."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.test import Client, override_settings
from django.utils import timezone, translation

from registry.models import AdministrativeUnit
from reports.dashboard_rows import (
    by_child_rows_html,
    moves_by_child_rows_html,
    people_rows_html,
    per_day_rows_html,
    quota_rows_html,
    ranking_rows_html,
)
from reports.models import ActorDailyCount, Quota, UnitDailyCount, UnitStateCount
from reports.selectors import PersonRow, PersonStanding, derive
from reports.services import PersonQuotaProgress, QuotaProgress
from reports.views import ACTION_LABELS, MOVES, PERSON_MOVES, STATES
from tests.factories import make_unit, make_user
from tests.reports.conftest import walk

# reports/templates/reports/_dashboard_body.html as it was when reports.dashboard_rows replaced its loops
# (session 9), with reports/_quota_table.html and reports/_ranking_table.html inlined where it included them.
OLD_BODY = """{% load i18n progress %}
<p class="muted live-status"><span class="dot" aria-hidden="true"></span> {% blocktranslate with t=generated|time:"H:i:s" %}Figures as of {{ t }}; they refresh by themselves when work is saved.{% endblocktranslate %}</p>
<section class="tiles">
  <div class="tile"><span class="big">{{ totals.slots }}</span>{% translate "cases collected" %}</div>
  <div class="tile"><span class="big">{{ totals.digitized }}</span>{% translate "entered or further" %}</div>
  <div class="tile ok"><span class="big">{{ totals.done }}</span>{% translate "approved or transferred" %}</div>
  <div class="tile"><span class="big">{{ totals.remaining }}</span>{% translate "still to do" %}</div>
  <div class="tile"><span class="big">{{ totals.pct_done|percent }}</span>{% translate "done" %}</div>
  <div class="tile{% if scan_flags.over_limit %} warn{% endif %}"><span class="big">{{ scan_flags.over_limit }}</span>{% translate "scans over the size limit" %}</div>
  <div class="tile"><span class="big">{{ scan_flags.late_waiting }}</span>{% translate "late scans waiting for their check" %}</div>
</section>
{% if at_risk %}<section class="card plan-risk"><h2>{% translate "Units at risk against the rollout plan" %}</h2>
<ul>{% for r in at_risk %}<li><strong>{{ r.plan.unit.name }}</strong>, {% blocktranslate with p=r.plan.phase d=r.plan.deadline|date:"d/m/Y" %}phase {{ p }}, deadline {{ d }}{% endblocktranslate %}: {{ r.status_label }}{% if r.projected %} ({% blocktranslate with f=r.projected|date:"d/m/Y" %}projected {{ f }}{% endblocktranslate %}){% endif %}{% if r.reason %}, {{ r.reason }}{% endif %}</li>{% endfor %}</ul>
<p><a href="{% url 'progress_plan' %}?unit={{ unit.pk }}">{% translate "The whole plan" %}</a></p></section>{% endif %}
<section class="card">{{ progress_chart }}</section>
<section class="card">{{ throughput_chart }}</section>
<section class="card">
  <h2>{% translate "Cases per unit and state (now)" %}</h2>
  <div class="scroll"><table class="list compact"><thead><tr><th>{% translate "Unit" %}</th>{% for s, label in states %}<th class="num">{{ label }}</th>{% endfor %}<th class="num">{% translate "Done" %}</th></tr></thead><tbody>
  {% for u, v in by_child %}<tr><td>{% if u.pk != unit.pk %}<a href="?unit={{ u.pk }}">{{ u.name }}</a>{% else %}{{ u.name }} <span class="muted">({% translate "own books" %})</span>{% endif %}</td>{% for s, label in states %}<td class="num">{{ v|get:s }}</td>{% endfor %}<td class="num">{{ v.pct_done|percent }}</td></tr>
  {% empty %}<tr><td colspan="11">{% translate "No books registered in this unit yet." %}</td></tr>{% endfor %}
  </tbody></table></div>
</section>
<section class="card">
  <h2>{% blocktranslate with a=start|date:"d/m/Y" b=end|date:"d/m/Y" %}Work done per unit, {{ a }} – {{ b }}{% endblocktranslate %}</h2>
  <div class="scroll"><table class="list compact"><thead><tr><th>{% translate "Unit" %}</th>{% for m, label in moves %}<th class="num">{{ label }}</th>{% endfor %}</tr></thead><tbody>
  {% for u, v in moves_by_child %}<tr><td>{{ u.name }}</td>{% for m, label in moves %}<td class="num">{{ v|get:m }}</td>{% endfor %}</tr>
  {% empty %}<tr><td colspan="10">{% translate "Nothing was done in this period." %}</td></tr>{% endfor %}
  </tbody></table></div>
  <details><summary>{% translate "Per day" %}</summary>
  <table class="list compact"><thead><tr><th>{% translate "Day" %}</th>{% for m, label in moves %}<th class="num">{{ label }}</th>{% endfor %}</tr></thead><tbody>
  {% for d, v in per_day %}<tr><td>{{ d|date:"d/m/Y" }}</td>{% for m, label in moves %}<td class="num">{{ v|get:m }}</td>{% endfor %}</tr>{% endfor %}
  </tbody></table></details>
</section>
<div class="two-cols">
<section class="card"><h2>{% translate "By event type (now)" %}</h2>
  <table class="list compact"><thead><tr><th>{% translate "Event type" %}</th><th class="num">{% translate "Cases" %}</th><th class="num">{% translate "Entered" %}</th><th class="num">{% translate "Done" %}</th><th class="num">{% translate "Remaining" %}</th></tr></thead><tbody>
  {% for label, v in states_by_type %}<tr><td>{{ label }}</td><td class="num">{{ v.slots }}</td><td class="num">{{ v.digitized }}</td><td class="num">{{ v.done }}</td><td class="num">{{ v.remaining }}</td></tr>{% endfor %}
  </tbody></table></section>
<section class="card"><h2>{% translate "By phase (now)" %}</h2>
  <table class="list compact"><thead><tr><th>{% translate "Phase" %}</th><th class="num">{% translate "Cases" %}</th><th class="num">{% translate "Entered" %}</th><th class="num">{% translate "Done" %}</th><th class="num">{% translate "Remaining" %}</th></tr></thead><tbody>
  {% for phase, v in states_by_phase %}<tr><td>{% if phase %}{% translate "Phase" %} {{ phase }}{% else %}—{% endif %}</td><td class="num">{{ v.slots }}</td><td class="num">{{ v.digitized }}</td><td class="num">{{ v.done }}</td><td class="num">{{ v.remaining }}</td></tr>{% endfor %}
  </tbody></table></section>
</div>
<section class="card"><h2>{% blocktranslate with d=today|date:"d/m/Y" %}Targets on {{ d }}{% endblocktranslate %}</h2>
  {% with progress=quotas %}{% load i18n progress %}
<table class="list compact"><thead><tr><th>{% translate "Unit" %}</th><th>{% translate "What is counted" %}</th><th>{% translate "Target" %}</th><th class="num">{% translate "Due by today" %}</th><th class="num">{% translate "Done" %}</th><th class="num">%</th><th>{% translate "Period" %}</th></tr></thead><tbody>
{% for p in progress %}<tr class="{% if p.behind %}behind{% endif %}"><td>{{ p.quota.unit.name }}</td><td>{{ p.quota.get_action_display }}</td><td>{{ p.quota.target }} {{ p.quota.get_per_display }}</td><td class="num">{{ p.due }}</td><td class="num">{{ p.done }}</td><td class="num">{{ p.pct|percent }}{% if p.behind %} <strong class="flag">{% translate "behind" %}</strong>{% endif %}</td><td>{{ p.quota.start|date:"d/m/Y" }} – {{ p.quota.end|date:"d/m/Y" }}</td></tr>
{% empty %}<tr><td colspan="7">{% translate "No targets are set for today." %}</td></tr>{% endfor %}
</tbody></table>
{% endwith %}
</section>
<section class="card"><h2>{% blocktranslate with d=today|date:"d/m/Y" %}People against their targets on {{ d }} (ranking){% endblocktranslate %}</h2>
  {% load i18n progress %}
<div class="scroll"><table class="list compact ranking"><thead><tr><th class="num">{% translate "Rank" %}</th><th>{% translate "Person" %}</th><th>{% translate "Unit" %}</th><th>{% translate "Targets" %}</th><th class="num">{% translate "Due by today" %}</th><th class="num">{% translate "Done" %}</th><th class="num">%</th><th class="num">{% translate "Ahead (+) / behind (−)" %}</th></tr></thead><tbody>
{% for p in ranking %}<tr class="{% if p.ahead < 0 %}behind{% endif %}"><td class="num">{{ p.rank }}</td><td>{{ p.name }}{% if p.exceeds %} <strong class="flag good">{% translate "exceeds target" %}</strong>{% endif %}</td><td>{{ p.unit.name }}</td><td>{% for t in p.targets %}{{ t.quota.get_action_display }}: {{ t.done }}/{{ t.due }}{% if not forloop.last %}; {% endif %}{% endfor %}</td><td class="num">{{ p.due }}</td><td class="num">{{ p.done }}</td><td class="num">{{ p.pct|percent }}</td><td class="num">{% if p.ahead > 0 %}+{% endif %}{{ p.ahead }}</td></tr>
{% empty %}<tr><td colspan="8">{% translate "Nobody has a target of their own today." %}</td></tr>{% endfor %}
</tbody></table></div>

</section>
<section class="card"><h2>{% translate "People: work done and return rate" %}</h2>
  <p class="muted">{% translate "Return rate: the share of a person's entries that a reviewer or approver sent back. Use it for contractor acceptance." %}</p>
  <div class="scroll"><table class="list compact"><thead><tr><th>{% translate "Person" %}</th>{% for m, label in person_moves %}<th class="num">{{ label }}</th>{% endfor %}<th class="num">{% translate "Return rate" %}</th><th class="num">{% translate "Fields overruled in arbitration" %}</th><th class="num">{% translate "Errors found by acceptance sampling" %}</th><th class="num">{% translate "Passed in review, then returned by the approver" %}</th></tr></thead><tbody>
  {% for p in people %}<tr><td>{{ p.name }}</td>{% for m, label in person_moves %}<td class="num">{{ p.counts|get:m }}</td>{% endfor %}<td class="num{% if p.return_rate and p.return_rate > 10 %} warn{% endif %}">{{ p.return_rate|percent }}</td><td class="num">{{ p.keying_overruled }}</td><td class="num">{{ p.acceptance_errors }}</td><td class="num">{{ p.review_missed_rate|percent }}</td></tr>
  {% empty %}<tr><td colspan="12">{% translate "Nobody worked in this period." %}</td></tr>{% endfor %}
  </tbody></table></div>
  {% if people_more %}<p><a href="{% url 'progress_statistics' %}?unit={{ unit.pk }}&amp;measure=moves&amp;by=person&amp;start={{ start|date:'d/m/Y' }}&amp;end={{ end|date:'d/m/Y' }}">{% blocktranslate count n=people_more %}and {{ n }} more person{% plural %}and {{ n }} more people{% endblocktranslate %}</a></p>{% endif %}
</section>
"""
OLD_QUOTA_TABLE = """{% load i18n progress %}
<table class="list compact"><thead><tr><th>{% translate "Unit" %}</th><th>{% translate "What is counted" %}</th><th>{% translate "Target" %}</th><th class="num">{% translate "Due by today" %}</th><th class="num">{% translate "Done" %}</th><th class="num">%</th><th>{% translate "Period" %}</th></tr></thead><tbody>
{% for p in progress %}<tr class="{% if p.behind %}behind{% endif %}"><td>{{ p.quota.unit.name }}</td><td>{{ p.quota.get_action_display }}</td><td>{{ p.quota.target }} {{ p.quota.get_per_display }}</td><td class="num">{{ p.due }}</td><td class="num">{{ p.done }}</td><td class="num">{{ p.pct|percent }}{% if p.behind %} <strong class="flag">{% translate "behind" %}</strong>{% endif %}</td><td>{{ p.quota.start|date:"d/m/Y" }} – {{ p.quota.end|date:"d/m/Y" }}</td></tr>
{% empty %}<tr><td colspan="7">{% translate "No targets are set for today." %}</td></tr>{% endfor %}
</tbody></table>
"""
OLD_RANKING_TABLE = """{% load i18n progress %}
<div class="scroll"><table class="list compact ranking"><thead><tr><th class="num">{% translate "Rank" %}</th><th>{% translate "Person" %}</th><th>{% translate "Unit" %}</th><th>{% translate "Targets" %}</th><th class="num">{% translate "Due by today" %}</th><th class="num">{% translate "Done" %}</th><th class="num">%</th><th class="num">{% translate "Ahead (+) / behind (−)" %}</th></tr></thead><tbody>
{% for p in ranking %}<tr class="{% if p.ahead < 0 %}behind{% endif %}"><td class="num">{{ p.rank }}</td><td>{{ p.name }}{% if p.exceeds %} <strong class="flag good">{% translate "exceeds target" %}</strong>{% endif %}</td><td>{{ p.unit.name }}</td><td>{% for t in p.targets %}{{ t.quota.get_action_display }}: {{ t.done }}/{{ t.due }}{% if not forloop.last %}; {% endif %}{% endfor %}</td><td class="num">{{ p.due }}</td><td class="num">{{ p.done }}</td><td class="num">{{ p.pct|percent }}</td><td class="num">{% if p.ahead > 0 %}+{% endif %}{{ p.ahead }}</td></tr>
{% empty %}<tr><td colspan="8">{% translate "Nobody has a target of their own today." %}</td></tr>{% endfor %}
</tbody></table></div>
"""

# The loops of the body above, one by one, without their empty rows (the template keeps those).
BY_CHILD_ROWS = Template(
    "{% load i18n progress %}"
    '{% for u, v in by_child %}<tr><td>{% if u.pk != unit.pk %}<a href="?unit={{ u.pk }}">{{ u.name }}</a>'
    '{% else %}{{ u.name }} <span class="muted">({% translate "own books" %})</span>{% endif %}</td>'
    '{% for s, label in states %}<td class="num">{{ v|get:s }}</td>{% endfor %}'
    '<td class="num">{{ v.pct_done|percent }}</td></tr>\n  {% endfor %}'
)
MOVES_BY_CHILD_ROWS = Template(
    "{% load i18n progress %}"
    "{% for u, v in moves_by_child %}<tr><td>{{ u.name }}</td>"
    '{% for m, label in moves %}<td class="num">{{ v|get:m }}</td>{% endfor %}</tr>\n  {% endfor %}'
)
PER_DAY_ROWS = Template(
    "{% load i18n progress %}"
    '{% for d, v in per_day %}<tr><td>{{ d|date:"d/m/Y" }}</td>'
    '{% for m, label in moves %}<td class="num">{{ v|get:m }}</td>{% endfor %}</tr>{% endfor %}'
)
PEOPLE_ROWS = Template(
    "{% load i18n progress %}"
    "{% for p in people %}<tr><td>{{ p.name }}</td>"
    '{% for m, label in person_moves %}<td class="num">{{ p.counts|get:m }}</td>{% endfor %}'
    '<td class="num{% if p.return_rate and p.return_rate > 10 %} warn{% endif %}">{{ p.return_rate|percent }}</td>'
    '<td class="num">{{ p.keying_overruled }}</td><td class="num">{{ p.acceptance_errors }}</td>'
    '<td class="num">{{ p.review_missed_rate|percent }}</td></tr>\n  {% endfor %}'
)
QUOTA_ROWS = Template(
    "{% load i18n progress %}"
    '{% for p in progress %}<tr class="{% if p.behind %}behind{% endif %}"><td>{{ p.quota.unit.name }}</td>'
    "<td>{{ p.quota.get_action_display }}</td><td>{{ p.quota.target }} {{ p.quota.get_per_display }}</td>"
    '<td class="num">{{ p.due }}</td><td class="num">{{ p.done }}</td><td class="num">{{ p.pct|percent }}'
    '{% if p.behind %} <strong class="flag">{% translate "behind" %}</strong>{% endif %}</td>'
    '<td>{{ p.quota.start|date:"d/m/Y" }} – {{ p.quota.end|date:"d/m/Y" }}</td></tr>\n{% endfor %}'
)
RANKING_ROWS = Template(
    "{% load i18n progress %}"
    '{% for p in ranking %}<tr class="{% if p.ahead < 0 %}behind{% endif %}"><td class="num">{{ p.rank }}</td>'
    '<td>{{ p.name }}{% if p.exceeds %} <strong class="flag good">{% translate "exceeds target" %}</strong>'
    "{% endif %}</td><td>{{ p.unit.name }}</td><td>{% for t in p.targets %}{{ t.quota.get_action_display }}: "
    "{{ t.done }}/{{ t.due }}{% if not forloop.last %}; {% endif %}{% endfor %}</td>"
    '<td class="num">{{ p.due }}</td><td class="num">{{ p.done }}</td><td class="num">{{ p.pct|percent }}</td>'
    '<td class="num">{% if p.ahead > 0 %}+{% endif %}{{ p.ahead }}</td></tr>\n{% endfor %}'
)

ODD = 'Xã "An" <b>&</b> Bình\'s'
ODD_ESCAPED = "Xã &quot;An&quot; &lt;b&gt;&amp;&lt;/b&gt; Bình&#x27;s"
MOVE_COLUMNS = [(m, ACTION_LABELS[m]) for m in MOVES]
PERSON_COLUMNS = [(m, ACTION_LABELS[m]) for m in PERSON_MOVES]


def _unit(pk: int, name: str) -> AdministrativeUnit:
    return AdministrativeUnit(pk=pk, name=name, path=f"/{pk}/", depth=0)


def _by_child() -> tuple[AdministrativeUnit, list]:
    """The unit's own books first, then children: every state counted, some states missing, all
    zero, nothing active (no share), thousands of cases."""
    unit = _unit(7, "Huyện <Một>")
    rows = [
        (unit, derive({"collected": 3, "approved": 1})),
        (_unit(12345, ODD), derive({s: i for i, (s, _label) in enumerate(STATES)})),
        (_unit(3, "Xã Cát"), derive({"rejected": 2, "duplicate": 1})),
        (_unit(4, "Xã Đông"), derive({})),
        (_unit(5, "Xã Lớn"), derive({"collected": 123456, "approved": 98765, "transferred": 1000})),
    ]
    return unit, rows


def _moves() -> list:
    return [
        (_unit(2, ODD), {"scan": 4, "enter": 12000, "return": 0}),
        (_unit(3, "Xã Cát"), defaultdict(int, {"approve": 1})),
        (_unit(4, "Xã Đông"), {}),
    ]


def _per_day() -> list:
    return [
        (dt.date(2026, 12, 7), defaultdict(int, {"scan": 3, "enter": 1500})),
        (dt.date(2026, 1, 1), defaultdict(int)),
        (dt.date(1999, 10, 31), {"reject": 2, "transfer": 0}),
    ]


def _people() -> list[PersonRow]:
    """Return rates over 10 %, exactly 10 %, 0 %, none (nothing entered); quality counts."""
    return [
        PersonRow(1, ODD, {"enter": 40, "work_returned": 5, "review": 8, "review_missed": 1}),
        PersonRow(2, "Lê Thị Mai", {"enter": 10, "work_returned": 1, "keying_overruled": 3}),
        PersonRow(3, "Trần Văn Bảo", {"enter": 7, "amend": 3, "acceptance_error": 2, "scan": 15000}),
        PersonRow(4, "nv_04", {"scan": 2}),
        PersonRow(5, "Phạm An", {"enter": 3, "work_returned": 3, "review": 1, "review_missed": 0}),
    ]


def _quota(unit: AdministrativeUnit, action: str, per: str, target: int, **kw) -> Quota:
    return Quota(
        unit=unit,
        action=action,
        per=per,
        target=target,
        start=kw.get("start", dt.date(2026, 12, 1)),
        end=kw.get("end", dt.date(2027, 1, 31)),
    )


def _quotas() -> list[QuotaProgress]:
    """Behind, done, past the target, nothing due yet, an action the choices no longer hold."""
    odd, cat = _unit(2, ODD), _unit(3, "Xã Cát")
    return [
        QuotaProgress(_quota(odd, "enter", Quota.Per.DAY, 200), 200, 150),
        QuotaProgress(_quota(cat, "approve", Quota.Per.PERIOD, 12000), 4000, 4000),
        QuotaProgress(_quota(cat, "scan", Quota.Per.DAY, 50, start=dt.date(2026, 2, 3)), 50, 75),
        QuotaProgress(_quota(odd, "collect", Quota.Per.PERIOD, 10), 0, 0),
        QuotaProgress(_quota(cat, "<old>", Quota.Per.DAY, 5), 5, 1),
    ]


def _ranking() -> list[PersonStanding]:
    """Ahead (past the targets), on the mark, behind, with one target, several, none."""
    odd, cat = _unit(2, ODD), _unit(3, "Xã Cát")

    def target(unit, action, due, done):
        return PersonQuotaProgress(_quota(unit, action, Quota.Per.DAY, due), due, done, "x")

    return [
        PersonStanding(1, ODD, odd, [target(odd, "enter", 30, 45), target(odd, "scan", 10, 12)], rank=1),
        PersonStanding(2, "Lê Thị Mai", cat, [target(cat, "enter", 30, 30)], rank=2),
        PersonStanding(3, "Trần <Bảo>", cat, [target(cat, "approve", 1200, 3)], rank=2),
        PersonStanding(4, "nv_04", cat, [], rank=4),
    ]


@pytest.mark.parametrize("grouping", [False, True])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_rows_are_the_template_loops_markup(language, grouping):
    """Each table, old loop against new function; with thousands grouped too (off in the project:
    the functions print numbers as the template would if it were turned on)."""
    unit, by_child = _by_child()
    with override_settings(USE_THOUSAND_SEPARATOR=grouping), translation.override(language):
        context = Context(
            {
                "unit": unit,
                "states": STATES,
                "by_child": by_child,
                "moves": MOVE_COLUMNS,
                "moves_by_child": _moves(),
                "per_day": _per_day(),
                "person_moves": PERSON_COLUMNS,
                "people": _people(),
                "progress": _quotas(),
                "ranking": _ranking(),
            }
        )
        pairs = [
            (BY_CHILD_ROWS.render(context), by_child_rows_html(by_child, unit, STATES)),
            (MOVES_BY_CHILD_ROWS.render(context), moves_by_child_rows_html(_moves(), MOVE_COLUMNS)),
            (PER_DAY_ROWS.render(context), per_day_rows_html(_per_day(), MOVE_COLUMNS)),
            (PEOPLE_ROWS.render(context), people_rows_html(_people(), PERSON_COLUMNS)),
            (QUOTA_ROWS.render(context), quota_rows_html(_quotas())),
            (RANKING_ROWS.render(context), ranking_rows_html(_ranking())),
        ]
        own_books = str(translation.gettext("own books"))
    for expected, written in pairs:
        assert written == expected
    by_child_html, _, per_day_html, people_html, quota_html, ranking_html = (w for _, w in pairs)
    # What a reader sees: links to the units below, the own books unlinked and labelled, names
    # escaped, shares with a comma, a dash when nothing is active, the high return rate flagged.
    assert (
        '<a href="?unit=7"' not in by_child_html
        and f'Huyện &lt;Một&gt; <span class="muted">({own_books})' in by_child_html
    )
    assert f'<a href="?unit={"12.345" if grouping else "12345"}">{ODD_ESCAPED}</a>' in by_child_html
    assert ("123.456" if grouping else '<td class="num">123456</td>') in by_child_html
    assert '<td class="num">44,7 %</td>' in by_child_html and '<td class="num">–</td>' in by_child_html
    assert "<td>07/12/2026</td>" in per_day_html and "<td>31/10/1999</td>" in per_day_html
    assert people_html.count(' warn"') == 2 and '<td class="num">10,0 %</td>' in people_html
    assert quota_html.count('<tr class="behind">') == 2 and "&lt;old&gt;" in quota_html
    assert ranking_html.count('<tr class="behind">') == 1 and ranking_html.count("flag good") == 1
    assert (
        '<td class="num">+17</td>' in ranking_html
        and f'<td class="num">{"-1.197" if grouping else "-1197"}</td>' in ranking_html
    )
    for function in (by_child_rows_html, moves_by_child_rows_html, per_day_rows_html, people_rows_html):
        assert function([], *([unit, STATES] if function is by_child_rows_html else [MOVE_COLUMNS])) == ""
    assert quota_rows_html([]) == "" and ranking_rows_html([]) == ""


@pytest.fixture
def busy(world, crew):
    """A province at work: cases walked in communes A, B and C and in the district's own books,
    counters of more units, days and people (names to escape among them), unit and personal
    targets behind and ahead."""
    for commune, n in ((world.commune_a, 7), (world.commune_b, 4), (world.commune_c, 3)):
        book = world.book(commune, cases=n)
        for i, record in enumerate(book.records.order_by("entry_no")):
            walk(
                record,
                ["collected", "scanned", "entered", "attached", "reviewed", "approved", "transferred"][i],
                crew,
            )
    walk(world.book(world.district1, cases=1).records.first(), "scanned", crew)
    AdministrativeUnit.objects.filter(pk=world.commune_b.pk).update(name=ODD)
    AdministrativeUnit.objects.filter(pk=world.district2.pk).update(name='Huyện "Hai" <&>')
    today = timezone.localdate()
    people = [make_user(f"nv_{i}", "clerk", world.commune_c) for i in range(4)]
    get_user_model().objects.filter(pk=people[0].pk).update(first_name="<Lê>", last_name='"Mai" & Co\'s')
    c = world.commune_c
    UnitStateCount.objects.create(
        unit=c, unit_path=c.path, event_type="death", phase=2, state="approved", n=12345
    )
    for back in range(3):
        day = today - dt.timedelta(days=back)
        UnitDailyCount.objects.update_or_create(
            day=day, unit=c, action="transfer", defaults={"unit_path": c.path, "n": 1000 + back}
        )
        for i, person in enumerate(people):
            for action, n in (
                ("enter", 10 * i + back),
                ("work_returned", i),
                ("review", i),
                ("review_missed", 1),
            ):
                if n:
                    ActorDailyCount.objects.create(
                        day=day, unit=c, unit_path=c.path, actor=person, action=action, n=n
                    )
    for unit, action, per, target in ((c, "enter", "day", 5000), (world.commune_a, "scan", "period", 3)):
        Quota.objects.create(
            unit=unit,
            action=action,
            per=per,
            target=target,
            start=today - dt.timedelta(days=2),
            end=today + dt.timedelta(days=9),
        )
    for person, target in ((people[1], 5), (people[3], 500)):
        Quota.objects.create(
            unit=c, person=person, action="enter", per="day", target=target, start=today, end=today
        )
    return world


def _flat(page) -> dict:
    """The values the page's templates were given (a ContextList iterates over its contexts)."""
    return {key: page.context[key] for key in page.context.keys()}  # noqa: SIM118


def _old_body(page) -> str:
    context = _flat(page)
    return Template(OLD_BODY).render(Context(context, autoescape=True))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_dashboard_is_the_old_templates_page(busy, language):
    """Through the view, the live fragment is byte for byte the old body for a province, a district
    with its own books, a commune, and a district with nothing at all (the empty rows)."""
    client = Client()
    client.force_login(busy.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    empty = make_unit("Huyện Trống", "district", busy.province)
    for unit in (busy.province, busy.district1, busy.commune_c, busy.district2, empty):
        page = client.get("/progress/", {"unit": unit.pk, "fragment": 1})
        assert page.status_code == 200
        with translation.override(language):
            expected = _old_body(page)
        assert page.content.decode() == expected
        whole = client.get("/progress/", {"unit": unit.pk}).content.decode()
        assert expected.split("</p>", 1)[1] in whole  # the page holds the body (after its time stamp)
    page = client.get("/progress/", {"unit": busy.province.pk, "fragment": 1}).content.decode()
    assert "Huyện &quot;Hai&quot; &lt;&amp;&gt;" in page and f'href="?unit={busy.district1.pk}"' in page
    assert "&lt;Lê&gt; &quot;Mai&quot; &amp; Co&#x27;s" in page
    district = client.get("/progress/", {"unit": busy.district1.pk, "fragment": 1}).content.decode()
    with translation.override(language):
        assert f'Huyện Một <span class="muted">({translation.gettext("own books")})</span>' in district
        nothing = client.get("/progress/", {"unit": empty.pk, "fragment": 1}).content.decode()
        for row in (
            '<td colspan="11">' + translation.gettext("No books registered in this unit yet."),
            '<td colspan="10">' + translation.gettext("Nothing was done in this period."),
            '<td colspan="12">' + translation.gettext("Nobody worked in this period."),
            '<td colspan="7">' + translation.gettext("No targets are set for today."),
            '<td colspan="8">' + translation.gettext("Nobody has a target of their own today."),
        ):
            assert row in nothing


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_targets_page_holds_the_old_tables(busy, language):
    client = Client()
    client.force_login(busy.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for unit in (busy.province, busy.district2):
        page = client.get("/progress/quotas/", {"unit": unit.pk})
        assert page.status_code == 200
        context = _flat(page)
        with translation.override(language):
            quota_table = Template(OLD_QUOTA_TABLE).render(Context(context))
            ranking_table = Template(OLD_RANKING_TABLE).render(Context(context))
        text = page.content.decode()
        assert quota_table in text and ranking_table in text
