"""The UI is Vietnamese by default: complete catalogs, Vietnamese pages, dd/mm/yyyy dates.

The root conftest switches tests to English; these tests switch back to Vietnamese the way a
browser does (Accept-Language) and with translation.override for code outside a request.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation

from tests.factories import birth_input

ROOT = Path(settings.BASE_DIR)
CATALOGS = [
    ROOT / "locale/vi/LC_MESSAGES/django.po",
    ROOT / "workflows/locale/vi/LC_MESSAGES/django.po",
]
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|%[sd]")


def _entries(path: Path) -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(path)) if not e.obsolete]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalog_is_complete_and_not_fuzzy(path):
    po = polib.pofile(str(path))
    assert po.metadata["Language"] == "vi"
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert not po.metadata_is_fuzzy
    entries = _entries(path)
    assert len(entries) > 50
    assert [e.msgid for e in entries if "fuzzy" in e.flags] == []
    assert [e.msgid for e in entries if not e.translated()] == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_translations_keep_every_placeholder(path):
    wrong = []
    for e in _entries(path):
        for msgstr in [e.msgstr] if not e.msgid_plural else list(e.msgstr_plural.values()):
            if sorted(PLACEHOLDER.findall(e.msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
                wrong.append((e.msgid, msgstr))
    assert wrong == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_mo_matches_the_po(path):
    """The compiled catalog is committed, so a machine without gettext still shows Vietnamese."""
    mo = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0)
        for e in polib.mofile(str(path.with_suffix(".mo")))
    }
    po = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0) for e in _entries(path)}
    stale = {k: (v, mo.get(k)) for k, v in po.items() if mo.get(k) != v}
    assert stale == {}, "run manage.py compilemessages"


def test_both_catalogs_agree_where_they_share_a_message():
    project, workflows = ({(e.msgctxt, e.msgid): e.msgstr for e in _entries(p)} for p in CATALOGS)
    differ = {
        k: (project[k], workflows[k]) for k in project.keys() & workflows.keys() if project[k] != workflows[k]
    }
    assert differ == {}


@pytest.mark.django_db
def test_login_page_is_vietnamese(client, vietnamese):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="vi">' in page
    for text in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu", "Sổ hộ tịch"):
        assert text in page
    assert "Log in" not in page and "Password" not in page


@pytest.mark.django_db
def test_an_english_browser_still_gets_vietnamese(client, vietnamese):
    # given an office PC on English Windows
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    # then the first page is Vietnamese all the same
    assert '<html lang="vi">' in page and "Mật khẩu" in page
    assert "Password" not in page


@pytest.mark.django_db
def test_english_only_by_the_users_choice_and_remembered(client, vietnamese):
    # when the user picks English in the language menu
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    # then pages are English from then on, even with a Vietnamese browser
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Log in" in page and "Password" in page
    assert "Mật khẩu" not in page
    # and choosing Vietnamese again switches back
    client.post(reverse("set_language"), {"language": "vi", "next": reverse("login")})
    assert "Mật khẩu" in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_records_list_is_vietnamese_with_dd_mm_yyyy_dates(client, world, vietnamese):
    world.record("entered", data=birth_input("Trần Thị Hoa", reg="05/03/2020"))
    client.force_login(world.clerk)
    page = client.get(reverse("record_list"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    for text in (
        "Hồ sơ",
        "Quyển sổ",
        "Loại việc hộ tịch",
        "Ngày đăng ký",
        "Trạng thái",
        "Khai sinh",
        "Đã nhập",
        "Đăng xuất",
        "Trần Thị Hoa",
    ):
        assert text in page, text
    assert "05/03/2020" in page
    for english in ("Records", "Registration date", "Log out", ">Entered<"):
        assert english not in page, english


def test_home_names_roles_in_vietnamese(client, world, vietnamese):
    client.force_login(world.clerk)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Vai trò của tôi" in page and "Cán bộ số hoá" in page
    assert ">clerk<" not in page


def test_language_switcher_turns_the_ui_english_and_back(client, world):
    client.force_login(world.clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert "Records in my scope" in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    client.post(reverse("set_language"), {"language": "vi", "next": "/"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert "Hồ sơ trong phạm vi của tôi" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_dates_render_dd_mm_yyyy(settings, lang):
    settings.LANGUAGE_CODE = lang
    day = dt.date(2026, 3, 5)
    moment = dt.datetime(2026, 3, 5, 14, 7)
    with translation.override(lang):
        assert formats.date_format(day) == "05/03/2026"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "05/03/2026"
        assert Template("{{ d }}|{{ d|date }}").render(Context({"d": day})) == "05/03/2026|05/03/2026"
        assert Template("{{ m|date:'DATETIME_FORMAT' }}").render(Context({"m": moment})) == "05/03/2026 14:07"


def test_release_and_return_for_rework_have_distinct_vietnamese_verbs():
    from django.utils import translation

    with translation.override("vi"):
        release = {translation.gettext(m) for m in ("Release", "Release (back to the queue)")}
        rework = {translation.gettext(m) for m in ("Return", "Return for rework", "Return with remarks")}
    assert all(word.startswith("Bỏ nhận") for word in release)
    assert all(word.startswith("Trả lại để sửa") for word in rework)
