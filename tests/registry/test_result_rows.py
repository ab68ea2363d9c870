"""The rows of the staff search and of the counter, written in Python
(`registry.result_rows.search_rows_html`, `printing.views.counter_rows_html`), are byte for byte the
markup of the template loops they replace (kept below as SEARCH_ROWS and COUNTER_ROWS), for every
event type, in both languages, with names and books that need escaping, people and dates missing,
records ticked for a batch or not, printable or not."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from printing.views import counter_rows_html
from registry.matching import PRIMARY_ROLE
from registry.models import AdministrativeUnit, CivilRecord, EventType, Party, RegisterBook
from registry.result_rows import search_rows_html
from tests.factories import birth_input, event_input

# The loops of templates/registry/search.html and templates/printing/counter.html as they were when
# the functions replaced them (session 9).
SEARCH_ROWS = Template(
    "{% load i18n %}{% for r, p in rows %}\n"
    '  <tr><td><a href="{% url \'record_detail\' r.pk %}">{{ p.full_name|default:"—" }}</a></td>'
    '<td>{{ p.birth_date|stringformat:"s"|default:"—" }}</td><td>{{ r.get_event_type_display }}</td>'
    "<td>{{ r.book.book_no }}/{{ r.book.years_label }}</td><td>{{ r.entry_label }}</td>"
    '<td>{{ r.registration_date|stringformat:"s"|default:"—" }}</td><td>{{ r.unit.name }}</td>'
    '<td><span class="state s-{{ r.state }}">{{ r.get_state_display }}</span></td></tr>\n'
    "  {% endfor %}"
)
COUNTER_ROWS = Template(
    "{% load i18n %}{% for r in page %}\n"
    "  <tr>\n"
    '    <td><input type="checkbox" name="record" value="{{ r.pk }}"'
    " aria-label=\"{% translate 'Add to batch' %}\""
    '{% if r.pk|stringformat:"d" in selected %} checked{% endif %}></td>\n'
    "    <td><a href=\"{% url 'counter_record' r.pk %}\">{% for p in r.parties.all %}"
    '{{ p.full_name|default:"—" }}{% if not forloop.last %} · {% endif %}{% empty %}—{% endfor %}</a></td>\n'
    "    <td>{{ r.get_event_type_display }}</td>\n"
    "    <td>{{ r.book.years_label }} / {{ r.book.book_no }}</td><td>{{ r.entry_label }}</td>\n"
    '    <td>{{ r.registration_date|stringformat:"s"|default:"—" }}</td><td>{{ r.unit.name }}</td>\n'
    '    <td><span class="state s-{{ r.state }}">{{ r.get_state_display }}</span></td>\n'
    "  </tr>\n"
    "  {% endfor %}"
)

ODD_NAME = 'Nguyễn "Văn" <b>An</b> & Bình\'s'


@pytest.fixture
def records(world) -> list[CivilRecord]:
    """One approved case of every event type in commune A, then the odd ones: names and a book and a
    unit that need escaping, a name left empty, unknown dates of birth and registration, an entry
    number with a suffix, a book over two years, a record not yet approved (not printable), a
    record with nobody in it yet, one of another commune."""
    made = [
        world.record("approved", event_type=event_type, data=event_input(event_type))
        for event_type in EventType.values
    ]
    odd = world.record("approved", data=birth_input("Lê Thị Ánh"))
    Party.objects.filter(record=odd, role="subject").update(
        full_name=ODD_NAME, birth_year=None, birth_month=None, birth_day=None
    )
    Party.objects.filter(record=odd, role="mother").update(full_name="")
    Party.objects.filter(record=made[1]).update(birth_day=None)
    Party.objects.filter(record=made[3], role=PRIMARY_ROLE[made[3].event_type]).update(full_name="")
    CivilRecord.objects.filter(pk=odd.pk).update(
        reg_year=2020, reg_month=None, reg_day=None, entry_suffix="a"
    )
    CivilRecord.objects.filter(pk=made[2].pk).update(
        reg_year=None, reg_month=None, reg_day=None, entry_suffix="bis"
    )
    RegisterBook.objects.filter(pk=odd.book_id).update(book_no='<7> & "B"', year=2019, year_to=2020)
    AdministrativeUnit.objects.filter(pk=world.commune_a.pk).update(name='Xã "An" & <Bình>')
    pending = world.record("reviewed", data=birth_input("Trần Văn Bảo"))
    empty = world.record("collected")
    other = world.record("approved", unit=world.district1)
    ids = [r.pk for r in [*made, odd, pending, empty, other]]
    return list(
        CivilRecord.objects.filter(pk__in=ids)
        .select_related("book", "unit")
        .prefetch_related("parties")
        .order_by("pk")
    )


def _primary(record: CivilRecord) -> Party | None:
    return next((p for p in record.parties.all() if p.role == PRIMARY_ROLE.get(record.event_type)), None)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_search_rows_are_the_templates_markup(records, language):
    # Each record with its primary person, then each again without one (the page shows dashes).
    rows = [(r, _primary(r)) for r in records] + [(r, None) for r in records]
    with translation.override(language):
        expected = SEARCH_ROWS.render(Context({"rows": rows}))
        written = search_rows_html(rows)
    assert written == expected
    assert len(rows) == 2 * len(EventType.values) + 8
    assert "Nguyễn &quot;Văn&quot; &lt;b&gt;An&lt;/b&gt; &amp; Bình&#x27;s" in written
    assert (
        "&lt;7&gt; &amp; &quot;B&quot;/2019–2020" in written
        and "Xã &quot;An&quot; &amp; &lt;Bình&gt;" in written
    )
    with translation.override(language):
        assert str(EventType.DIVORCE_NOTE.label) in written
    assert search_rows_html([]) == ""
    # an unknown date of birth or of registration shows a dash, not an empty cell
    odd = next(r for r in records if r.entry_suffix == "a")
    row = search_rows_html([(odd, _primary(odd))])
    assert "<td></td>" not in row and row.count("<td>—</td>") == 1  # birth unknown; 2020 registered
    undated = next(r for r in records if r.entry_suffix == "bis")
    assert f"<td>{escape(undated.entry_label)}</td><td>—</td>" in search_rows_html([(undated, None)])


@pytest.mark.parametrize("language", ["vi", "en"])
def test_counter_rows_are_the_templates_markup(records, language):
    selected = {str(records[0].pk), str(records[-1].pk), "999999"}
    for ticked in (set(), selected):
        with translation.override(language):
            expected = COUNTER_ROWS.render(Context({"page": records, "selected": ticked}))
            written = counter_rows_html(records, selected=ticked)
        assert written == expected
        assert written.count(" checked>") == len(ticked & {str(r.pk) for r in records})
    assert "—" in written and "&lt;b&gt;An&lt;/b&gt;" in written
    assert counter_rows_html([], selected=set()) == ""


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_pages_hold_the_rows_and_the_empty_row(world, records, language):
    """Through the views: the table body is the template loop's output, or the empty row."""
    with translation.override(language):
        empty_search = Template(
            "{% load i18n %}{% translate 'No records match. Try fewer criteria, or the name without its"
            " last word.' %}"
        ).render(Context())
        empty_counter = Template(
            "{% load i18n %}{% translate 'No printable record matches. Check the spelling, or search by book"
            " and entry number.' %}"
        ).render(Context())
    counter = Client()
    counter.force_login(world.counter)
    counter.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = counter.get(reverse("counter"), {"name": "nguyen"})
    listed = list(page.context["page"])
    assert listed, "the counter finds printable records named Nguyễn"
    with translation.override(language):
        expected = COUNTER_ROWS.render(Context({"page": listed, "selected": set()}))
    assert f"<tbody>\n  {expected}\n  </tbody>" in page.content.decode()
    nothing = counter.get(reverse("counter"), {"name": "zzz"}).content.decode()
    assert f'<tbody>\n  <tr><td colspan="8">{empty_counter}</td></tr>\n  \n  </tbody>' in nothing

    staff = Client()
    staff.force_login(world.admin)
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = staff.get(reverse("record_search"), {"name": "nguyen"})
    found = [
        CivilRecord.objects.select_related("book", "unit").prefetch_related("parties").get(pk=r.pk)
        for r in page.context["page"].object_list
    ]
    assert found, "the staff search finds records named Nguyễn"
    with translation.override(language):
        expected = SEARCH_ROWS.render(Context({"rows": [(r, _primary(r)) for r in found]}))
    assert f"<tbody>\n  {expected}\n  </tbody>" in page.content.decode()
    nothing = staff.get(reverse("record_search"), {"name": "zzz"}).content.decode()
    assert f'<tbody>\n  <tr><td colspan="8">{empty_search}</td></tr>\n  \n  </tbody>' in nothing
