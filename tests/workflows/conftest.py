import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """Assertions below read the English msgids; the UI itself defaults to Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
