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


def _phases_ensure() -> None:
    """The digitization phases seeded by a data migration: a transactional test's flush empties the
    table, and a later test in the same worker would otherwise see books without a phase."""
    import importlib

    from django.apps import apps

    from registry.models import DigitizationPhase

    if not DigitizationPhase.objects.exists():
        importlib.import_module("registry.migrations.0002_seed_digitization_phases").seed(apps, None)


@pytest.fixture
def world(db) -> World:
    _phases_ensure()
    return make_world()
