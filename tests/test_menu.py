"""The main menu: daily work on top, the rest in two groups, each link only for those it serves."""

from __future__ import annotations

import re

from django.urls import reverse


def _menu(client, user) -> str:
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    return page[page.index('<nav class="menu"') : page.index("</nav>")]


def _top_level(menu: str) -> list[str]:
    """Links and group titles outside the groups' lists."""
    outside = re.sub(r"<div>.*?</div>", "", menu, flags=re.S)
    return re.findall(r"<a href=|<summary>", outside)


def test_a_province_admin_finds_every_page_in_a_short_menu(world, client):
    menu = _menu(client, world.admin)
    for name in ("record_list", "record_search", "book_list", "duplicate_queue", "import_list",
                 "progress_dashboard", "transfer_overview", "audit_trail", "people", "counter",
                 "inbox_queue", "inbox_mine", "inbox_returned", "inbox_done"):  # fmt: skip
        assert f'href="{reverse(name)}"' in menu, name
    assert len(_top_level(menu)) <= 8
    assert "<summary>Registers</summary>" in menu and "<summary>Supervision</summary>" in menu


def test_a_clerk_sees_no_audit_people_or_counter_links(world, client):
    menu = _menu(client, world.clerk)
    assert f'href="{reverse("inbox_queue")}"' in menu and f'href="{reverse("import_list")}"' in menu
    for name in ("audit_trail", "people", "counter"):
        assert f'href="{reverse(name)}"' not in menu, name
