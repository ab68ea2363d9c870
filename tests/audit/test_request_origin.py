"""Every audit row written while serving a request carries the client's address and user agent."""

import pytest
from django.test import RequestFactory

from audit.models import AuditEvent
from audit.request_context import client_ip
from audit.verification import verify_chains


def test_a_change_made_through_a_page_carries_ip_and_user_agent(client, world):
    record = world.record("entered")
    client.force_login(world.clerk)
    client.get(
        f"/records/{record.pk}/", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Mozilla/5.0 (Test) Firefox/120"
    )
    row = AuditEvent.objects.filter(action="view_record", record_id_value=record.pk).get()
    assert (row.ip, row.user_agent) == ("198.51.100.7", "Mozilla/5.0 (Test) Firefox/120")
    assert list(verify_chains()) == []


def test_a_transition_posted_by_a_user_carries_ip_and_user_agent(client, world):
    """A change row (not only an access row): claiming a work item through its page."""
    from workflows.models import RecordTask

    record = world.record("scanned")
    task = RecordTask.objects.get(record=record, stage="enter")
    client.force_login(world.clerk)
    response = client.post(
        f"/work/tasks/{task.pk}/claim/", REMOTE_ADDR="198.51.100.8", HTTP_USER_AGENT="Chrome/131 civreg-test"
    )
    assert response.status_code in (200, 302)
    row = AuditEvent.objects.filter(kind="change", action="task_claim").latest("id")
    assert (row.ip, row.user_agent) == ("198.51.100.8", "Chrome/131 civreg-test")


def test_changing_the_user_agent_of_a_row_breaks_the_chain(client, world):
    record = world.record("entered")
    client.force_login(world.clerk)
    client.get(f"/records/{record.pk}/", HTTP_USER_AGENT="Original agent")
    row = AuditEvent.objects.filter(action="view_record", record_id_value=record.pk).get()
    AuditEvent.objects.filter(pk=row.pk).update(user_agent="Someone else's agent")
    assert [b.event_id for b in verify_chains()] == [row.pk]


def test_rows_written_outside_a_request_have_no_origin(world):
    world.record("approved")
    assert set(AuditEvent.objects.values_list("ip", "user_agent")) == {("", "")}


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.1"}, "10.0.0.5"),
        (1, {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.1"}, "203.0.113.1"),
        (2, {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.1"}, "1.2.3.4"),
        (1, {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "not-an-ip"}, "10.0.0.5"),
        (1, {"REMOTE_ADDR": "10.0.0.5"}, "10.0.0.5"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(settings, proxies, meta, expected):
    settings.CLIENT_IP_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", **meta)
    assert client_ip(request) == expected


def test_the_audit_trail_page_shows_the_address_and_browser_of_each_row(client, world):
    record = world.record("entered")
    client.force_login(world.clerk)
    client.get(
        f"/records/{record.pk}/", REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="Mozilla/5.0 Trail <b>x</b>"
    )
    client.force_login(world.auditor)
    page = client.get("/audit/").content.decode()
    assert "IP and browser" in page
    assert "198.51.100.9" in page
    assert 'title="Mozilla/5.0 Trail &lt;b&gt;x&lt;/b&gt;"' in page
