"""After logging in, each role lands on the page of its daily work."""

import pytest

LANDINGS = [
    ("counter", "/counter/"),
    ("clerk", "/work/queue/"),
    ("reviewer", "/work/queue/"),
    ("approver", "/work/queue/"),
    ("admin", "/progress/"),
    ("auditor", "/audit/"),
    ("nobody", "/"),
]


@pytest.mark.parametrize(("who", "page"), LANDINGS)
def test_each_role_lands_on_its_own_page(world, client, who, page):
    user = getattr(world, who)
    response = client.post("/accounts/login/", {"username": user.username, "password": "pw"}, follow=True)
    assert response.redirect_chain[-1][0] == page
    assert response.status_code == 200
