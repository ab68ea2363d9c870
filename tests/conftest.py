import pytest

from tests.factories import World, make_world


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Uploaded scans and generated files go to a temporary folder, never var/files."""
    storages = dict(settings.STORAGES)
    storages["default"] = {**storages["default"], "OPTIONS": {"location": str(tmp_path / "files")}}
    settings.STORAGES = storages
    settings.MEDIA_ROOT = str(tmp_path / "files")


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests assert the English source texts; tests of the Vietnamese UI activate "vi" themselves."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(db) -> World:
    return make_world()
