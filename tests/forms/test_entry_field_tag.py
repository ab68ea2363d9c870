"""The entry form's fields, written by the `entry_field` tag, are byte for byte the markup of the
template they replace (kept below as REFERENCE), in every state a field can be in."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from forms.entry import RecordForm
from registry.record_data import AS_WRITTEN
from tests.forms.test_as_written import entry_post

# templates/forms/_field.html as it was when the tag replaced it (commit of session 8).
REFERENCE = Template(
    "{% load i18n entry_tags %}"
    "{% with remark=remarks|remark_for:f nib=form|not_in_book_box:f ok=form|as_written_box:f %}"
    '{% if nib or ok %}<div class="with-not-in-book{% if ok %} with-as-written{% endif %}">'
    '{% endif %}<label class="{% if f.errors %}{% if ok.warned %}warned{% else %}invalid'
    "{% endif %}{% endif %}{% if ok.checked %} as-written{% endif %}{% if remark %} remarked"
    "{% endif %}{% if nib %} required{% endif %}{% if f.widget_type == 'textarea' %} wide"
    '{% endif %}" for="{{ f.id_for_label }}">{{ f.label }}'
    '{% if nib %} <abbr class="req" title="{% translate \'required\' %}">*</abbr>'
    "{% endif %} {{ f }}"
    '{% if remark %}<span class="remark" role="note">{{ remark_word }}: {{ remark }}</span>'
    "{% endif %}"
    '{% if f.help_text %}<small id="{{ f.auto_id }}_helptext">{{ f.help_text }}</small>'
    '{% endif %}{% for e in f.errors %}<span class="error{% if ok.warned %} warning'
    '{% endif %}" id="{{ f.auto_id }}_error">{{ e }}</span>{% endfor %}</label>'
    '{% if nib %}<label class="check not-in-book" for="{{ nib.id_for_label }}">'
    "{{ nib }} {{ nib.label }}</label>"
    "{% endif %}"
    '{% if ok %}<label class="check as-written-box" for="{{ ok.id }}">'
    '<input type="checkbox" name="{{ ok.name }}" id="{{ ok.id }}" value="{{ ok.value }}"'
    '{% if ok.checked %} checked{% endif %}> {% translate "as written in the book" %}</label>'
    "{% endif %}{% if nib or ok %}</div>{% endif %}{% endwith %}\n"
)
TAG = Template("{% load entry_tags %}{% entry_field f %}")


def _post(**changes: str) -> dict[str, str]:
    """The form data of tests.forms.test_as_written (a mother aged 62 at the birth), a name to escape."""
    return entry_post(SimpleNamespace(version=1), subject__full_name='Nguyễn "Văn" <An> & Co', **changes)


REMARKS = {"mother.full_name": "Sổ ghi: <Trần Thị Mơ>", "subject.birth_date": "Kiểm tra lại"}


def _forms() -> list[tuple[str, RecordForm]]:
    unbound = RecordForm(initial={"subject__full_name": "Lê Thị <Hoa>"}, event_type="birth")
    warned = RecordForm(data=_post(), event_type="birth")
    confirmed = RecordForm(data=_post(ok__mother__birth_date="1958"), event_type="birth")
    invalid = RecordForm(
        data=_post(subject__birth_date="31/02/2020", registration_date=""), event_type="birth"
    )
    for form in (warned, confirmed, invalid):
        form.is_valid()
    # The validation service's answers, as the views pass them on.
    aged = ValidationError("Người mẹ 62 tuổi khi sinh con <kiểm tra>", code=AS_WRITTEN)
    warned.add_service_errors(ValidationError({"party.mother.birth_date": [aged]}))
    confirmed.add_service_errors(ValidationError({"party.mother.birth_date": [aged]}))
    invalid.add_service_errors(
        {"party.subject.birth_date": ["Ngày không có thật: 31/02"], "registration_date": ["Cần ngày đăng ký"]}
    )
    return [("unbound", unbound), ("warned", warned), ("confirmed", confirmed), ("invalid", invalid)]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_field_in_every_state_is_the_templates_markup(language: str) -> None:
    from django.utils import translation

    compared = 0
    states: set[str] = set()
    with translation.override(language):
        for name, form in _forms():
            for f in form:
                for remarks in ({}, REMARKS):
                    context = {"form": form, "f": f, "remarks": remarks, "remark_word": "Ghi chú"}
                    expected = REFERENCE.render(Context(context))
                    assert TAG.render(Context(context)) == expected, (name, f.name)
                    compared += 1
                    states.update(
                        s
                        for s in ("warned", "invalid", "as-written", "remarked", "required", "wide")
                        if f'class="{s}' in expected or f" {s}" in expected
                    )
    # The comparison saw each state of a field at least once (else it proves little).
    assert states >= {"warned", "invalid", "as-written", "remarked", "required"}, states
    assert compared > 100
