"""Settings of the benchmark harness: the project's settings on the bench's own database.

The harness, its worker processes and the web server it starts all use this module.
It never touches the dev database `civreg`: the database name comes from
BENCH_DATABASE (default `civreg_bench`) on the server the project would use
(DATABASE_URL's, or the embedded pgserver).
"""

from __future__ import annotations

import os
import warnings

# Production-like settings (DEBUG off: no query log, no debug toolbar) need a key.
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-" + "x" * 40)

from config.settings import *  # noqa: F403
from config.settings import DATABASES, INSTALLED_APPS, STORAGES

BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "civreg_bench")
if BENCH_DATABASE == "civreg":
    raise RuntimeError("The benchmark never runs on the dev database `civreg`: set BENCH_DATABASE.")
DATABASES["default"]["NAME"] = BENCH_DATABASE
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "0"))

# `bench` holds the peer-baseline viewflow flow (bench/flows.py): viewflow resolves flows by app.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"

# Served over plain HTTP on 127.0.0.1 by the harness: no TLS redirect, no manifest storage.
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
# The harness measures pages with sessions it makes itself (force_login, SessionStore), not logins:
# no second factor is asked of them.
OTP_REQUIRED_ROLES: list[str] = []
warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic: finders serve
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
