"""The quick form renderer writes the plain widgets byte for byte as Django's templates do."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from config.form_renderer import QUICK, QuickWidgetsRenderer

TEMPLATES = DjangoTemplates()
QUICK_RENDERER = QuickWidgetsRenderer()

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(
        attrs={"autocomplete": "off", "inputmode": "numeric", "autofocus": True, "hidden": False}
    ),
    forms.HiddenInput(),
    forms.CheckboxInput(),
    forms.NumberInput(attrs={"min": 0}),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.DateInput(format="%d/%m/%Y"),
    forms.TimeInput(),
    forms.DateTimeInput(),
    forms.Textarea(attrs={"rows": 2}),
    forms.Textarea(),
]
VALUES: list[object] = [
    None,
    "",
    "Nguyễn Văn An",
    "a \"quoted\" <b>&amp;</b> 'x'",
    mark_safe("<i>safe</i>"),
    0,
    17,
    True,
    False,
]
VALUES += [dt.date(2020, 3, 2), dt.datetime(2020, 3, 2, 8, 30), dt.time(8, 30)]
ATTRS = [None, {"id": "id_x", "required": True, "aria-describedby": "id_x_helptext", "aria-invalid": "true"}]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_the_quick_widgets_render_as_the_templates(widget: forms.Widget) -> None:
    assert widget.template_name in QUICK
    for value in VALUES:
        for attrs in ATTRS:
            expected = widget.render("field<1>", value, attrs=attrs, renderer=TEMPLATES)
            assert widget.render("field<1>", value, attrs=attrs, renderer=QUICK_RENDERER) == expected, value


def test_other_widgets_still_go_through_their_templates() -> None:
    select = forms.Select(choices=[("1", "Nam"), ("2", "Nữ <x>")])
    assert select.template_name not in QUICK
    expected = select.render("sex", "2", renderer=TEMPLATES)
    assert select.render("sex", "2", renderer=QUICK_RENDERER) == expected
    assert '<option value="2" selected>Nữ &lt;x&gt;</option>' in expected


def test_the_project_renders_forms_with_it() -> None:
    class Form(forms.Form):
        name = forms.CharField(help_text="Họ <và> tên")

    form = Form(data={"name": ""})
    assert isinstance(form.renderer, QuickWidgetsRenderer)
    html = str(form["name"])
    assert html == str(Form(data={"name": ""}, renderer=TEMPLATES)["name"])
    assert 'aria-invalid="true"' in html and "required" in html
