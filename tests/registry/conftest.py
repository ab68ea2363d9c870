import pytest


@pytest.fixture(autouse=True)
def scan_storage(settings, tmp_path):
    """Files and the page cache of these tests go to a temporary folder, not the project's data folder."""
    settings.DATA_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    return tmp_path
