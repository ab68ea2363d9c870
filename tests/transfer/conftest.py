import pytest
from django.conf import settings

from transfer.adapters import HttpJsonAdapter
from transfer.reference_receiver import ReceiverServer


@pytest.fixture
def receiver(tmp_path):
    """The reference receiver in a thread on a free port of 127.0.0.1, in test mode, with our token."""
    server = ReceiverServer(
        tmp_path / "receiver.sqlite3", token=settings.TRANSFER_TOKEN, test_mode=True
    ).start()
    yield server
    server.stop()


@pytest.fixture
def adapter(receiver):
    return HttpJsonAdapter(receiver.url, timeout=2)
