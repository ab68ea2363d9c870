"""In a real browser: a draft typed and never submitted survives closing the browser."""

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse

from forms.models import Draft

pytestmark = pytest.mark.slow


def session_cookie(user, live_server):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}


@pytest.mark.django_db(transaction=True)
def test_a_typed_draft_is_restored_in_a_new_browser_after_logging_in_again(world, live_server, browser):
    record = world.record("scanned")
    url = live_server.url + reverse("record_enter", args=[record.pk])
    # Two separate logins (two browser contexts).
    cookies = [session_cookie(world.clerk, live_server), session_cookie(world.clerk, live_server)]
    first = browser.new_context()
    first.add_cookies([cookies[0]])
    page = first.new_page()
    page.goto(url)
    page.fill("#id_subject__full_name", "Vương Thị Mộng Tuyền")
    page.press("#id_subject__full_name", "Tab")  # leaving the field autosaves
    page.wait_for_function("document.querySelector('.autosave-status').textContent.length > 0")
    first.close()  # the tab and the browser's session are gone, nothing was submitted

    second = browser.new_context()
    second.add_cookies([cookies[1]])
    page = second.new_page()
    page.goto(url)
    assert page.input_value("#id_subject__full_name") == "Vương Thị Mộng Tuyền"
    assert "Your unsaved input from" in page.content()
    assert Draft.objects.get(record=record).data["subject__full_name"] == "Vương Thị Mộng Tuyền"
