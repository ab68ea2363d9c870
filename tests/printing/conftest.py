import pytest
from django.core.cache import cache

from printing.esign import signing_keys_ensure


@pytest.fixture(autouse=True)
def _printing_files(settings, tmp_path):
    """Keys, stored PDFs and the rate-limit counters of each test stay in the test."""
    settings.EXTRACT_KEYS_DIR = tmp_path / "keys"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def unit_keys(world, settings):
    """Demo certificates for the world's units (as seed_demo makes them)."""
    signing_keys_ensure(units=[world.province, world.district1, world.commune_a])
    return settings.EXTRACT_KEYS_DIR
