import importlib

import pytest

from tests.factories import World, make_world


@pytest.fixture(autouse=True)
def scan_storage(settings, tmp_path):
    """Uploaded scans, generated files and the page cache go to a temporary folder, never var/."""
    settings.DATA_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    settings.MEDIA_ROOT = str(tmp_path / "files")
    settings.AUDIT_ANCHOR_DIR = tmp_path / "audit-anchors"
    settings.BACKUP_DIR = tmp_path / "backups"
    return tmp_path


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests assert the English source texts; tests of the Vietnamese UI activate "vi" themselves."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    """The suite signs approvers, administrators and auditors in with `force_login`: the second factor is
    not enforced unless a test asks for it with the `second_factor_enforced` fixture."""
    settings.OTP_REQUIRED_ROLES = []


@pytest.fixture
def second_factor_enforced(settings):
    """The production rule: approvers, province administrators and auditors (and superusers) need a code."""
    settings.OTP_REQUIRED_ROLES = ["approver", "province_admin", "auditor"]


@pytest.fixture
def vietnamese(settings):
    """The interface in its default language, for tests that read the Vietnamese texts."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "vi"
    with translation.override("vi"):
        yield


@pytest.fixture(autouse=True)
def _phases(request):
    """The digitization phases come from a data migration; a transactional test's flush empties them
    for the tests after it on the same worker, so every database test gets them back first."""
    uses_db = {"db", "transactional_db"} & set(request.fixturenames)
    if not (request.node.get_closest_marker("django_db") or uses_db):
        return
    request.getfixturevalue("_django_db_helper")  # the database access the test asked for
    from registry.models import DigitizationPhase

    phases = importlib.import_module("registry.migrations.0002_seed_digitization_phases").PHASES
    if DigitizationPhase.objects.count() != len(phases):
        for number, name, year_from, year_to in phases:
            DigitizationPhase.objects.update_or_create(
                number=number, defaults={"name": name, "year_from": year_from, "year_to": year_to}
            )


@pytest.fixture
def world(db) -> World:
    return make_world()
