"""`{% kept %}` (config/templatetags/layout.py): a fragment rendered once per process for each
language and set of values, as the main menu is."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

MENU = Template(
    '{% load layout i18n %}{% kept "test-menu" roles %}{% translate "Records" %}'
    "{% for r in roles %}:{{ r }}{% endfor %}{% endkept %}"
)


def test_a_kept_fragment_differs_by_roles_and_by_language():
    assert MENU.render(Context({"roles": ["clerk"]})) == "Records:clerk"
    assert MENU.render(Context({"roles": ["auditor", "clerk"]})) == "Records:auditor:clerk"
    with translation.override("vi"):
        assert MENU.render(Context({"roles": ["clerk"]})) == "Hồ sơ:clerk"
    # The same roles in another order are the same set: the fragment kept for it.
    assert MENU.render(Context({"roles": ["clerk", "auditor"]})) == "Records:auditor:clerk"
