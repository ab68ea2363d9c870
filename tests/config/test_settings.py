"""Settings come from the environment and fail loudly on bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    settings = connection.settings_dict
    user, name, host = settings["USER"], settings["NAME"], settings["HOST"]
    db_url = f"postgres://{user}:{settings['PASSWORD'] or ''}@/{name}?host={host}"
    if settings["HOST"] and not settings["HOST"].startswith("/"):
        db_url = (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"
        )
    base = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "CIVREG_TESTING", "PYTEST_CURRENT_TEST")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, "DATABASE_URL": db_url, **env},
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY="x" * 60 + "y7#k",
        AUDIT_CHAIN_KEY="k" * 40,
        ALLOWED_HOSTS="civreg.example.vn",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "0"}, "SECRET_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "s" * 60}, "AUDIT_CHAIN_KEY must be set"),
        ({"DEBUG": "0", "SECRET_KEY": "s" * 60, "AUDIT_CHAIN_KEY": "short"}, "at least 32 characters"),
        ({"DEBUG": "1", "CLAIM_IDLE_MINUTES": "two hours"}, "two hours"),
    ],
)
def test_bad_values_stop_the_start_naming_the_variable(env, message):
    result = manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_every_variable_the_settings_read_is_documented_in_env_example():
    import re

    settings_text = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+|_bool)\("([A-Z][A-Z0-9_]+)"', settings_text))
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - documented == set()
