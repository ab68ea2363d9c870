import pytest

from tests.factories import World, make_world


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Uploaded scans and generated files go to a temporary folder, never var/files."""
    storages = dict(settings.STORAGES)
    storages["default"] = {**storages["default"], "OPTIONS": {"location": str(tmp_path / "files")}}
    settings.STORAGES = storages
    settings.MEDIA_ROOT = str(tmp_path / "files")


@pytest.fixture
def world(db) -> World:
    return make_world()
