"""Settings for the civil-status digitization system, all read from the environment.

Every variable is listed in `.env.example`. A bad value fails at start-up with
django-environ's error naming the variable. With no DATABASE_URL the project
starts its own PostgreSQL (see config/embedded_db.py).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """A boolean variable; anything but 1/0, true/false, yes/no, on/off fails at start-up."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off.")


TESTING = "pytest" in sys.modules or env_bool("CIVREG_TESTING", default=False)

DEBUG = env_bool("DEBUG", default=False)
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "dev-only-not-secret-" + "x" * 40

# The audit chain's HMAC key (audit.chain). It must live outside the database: whoever holds it
# and the database could rewrite the trail undetected up to the last anchor. Required when DEBUG
# is off; in development and tests a key file under DATA_DIR is made on first use (mode 0600).
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="")
AUDIT_CHAIN_KEY_FILE = DATA_DIR / "audit-chain.key"
if not AUDIT_CHAIN_KEY and not (DEBUG or TESTING):
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be set when DEBUG is off (see .env.example).")
if AUDIT_CHAIN_KEY and len(AUDIT_CHAIN_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be at least 32 characters long (see .env.example).")
# Where the daily anchors of the audit chains are appended (production: the data-centre copy).
AUDIT_ANCHOR_DIR = Path(env.str("AUDIT_ANCHOR_DIR", default=str(DATA_DIR / "audit-anchors")))
# Audit lanes for claims (audit/streams.py): how many chains one commune's claims spread over (1: off,
# every claim queues on the commune's head row as before lanes).
AUDIT_LANES = env.int("AUDIT_LANES", default=8)
# How many reverse proxies in front append to X-Forwarded-For (0: the client is REMOTE_ADDR).
CLIENT_IP_TRUSTED_PROXIES = env.int("CLIENT_IP_TRUSTED_PROXIES", default=0)
# Backups (`manage.py backup`): where they are written, and where pg_dump/pg_restore are looked
# for first (otherwise PATH, /usr/lib/postgresql/*/bin and the embedded PostgreSQL's binaries).
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(DATA_DIR / "backups")))
PG_BIN_DIR = env.str("PG_BIN_DIR", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if (DEBUG or TESTING) else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Public address used in QR codes on printed extracts.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "config.staticfiles.StaticFilesConfig",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "viewflow",
    "viewflow.workflow",
    # Project apps by layer, bottom up (DESIGN.md §9; `make lint` checks the imports).
    "audit",
    "registry",
    "permissions.apps.PermissionsConfig",
    "workflows",
    "accounts",
    "jobs",
    "scans",
    "forms.apps.FormsConfig",
    "duplicates",
    "imports.apps.ImportsConfig",
    "printing",
    "transfer",
    "reports",
    "contracts",
    "ninja",  # django-ninja: its static files serve the API docs page (no CDN)
    "api",
    "config",  # last: wires the hooks (config.wiring) once every app is loaded
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "audit.request_context.RequestOriginMiddleware",  # IP and user agent on every audit row
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.locale.ChosenLanguageMiddleware",  # Vietnamese unless the user chose English
    "api.middleware.ApiRequestMiddleware",  # /api/v1/: Accept-Language, upload size before the body
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout, end date of mobilized staff, forced password change, second factor (accounts).
    "accounts.middleware.AccountSessionMiddleware",
    "config.request_checks.RefuseUnsafeInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into our login page (django-axes)
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "permissions.context_processors.roles",
            ],
        },
    }
]
# Django's form renderer, with the plain inputs written in Python (config/form_renderer.py).
FORM_RENDERER = "config.form_renderer.QuickWidgetsRenderer"

# --- Database -------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from config.embedded_db import ensure_running

    DATABASES = {"default": environ.Env.db_url_config(ensure_running(DATA_DIR / "pgdata"))}
# Persistent connections for the WSGI page workers (config/serve.py sets 60 s for them): one
# connection per worker thread, checked before reuse. Under ASGI Django closes it after each request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL 15 or newer.")
_test_db_name = env.str("TEST_DATABASE_NAME", default="")
if _test_db_name:
    DATABASES["default"]["TEST"] = {"NAME": _test_db_name}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out user before the password is tried
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: nothing is public but verification

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Names, place names, "hotich"/"matkhau" and sequences, ignoring case and diacritics.
    {"NAME": "accounts.passwords.VietnameseWordsValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"  # each role lands on its own page (permissions.views.landing)
LOGOUT_REDIRECT_URL = "login"

# --- Login throttling, second factor, sessions (accounts) -----------------------------------
# After LOGIN_FAILURE_LIMIT wrong passwords or codes, the user name is locked for LOGIN_LOCKOUT_MINUTES
# (django-axes); a province administrator of the user's unit can unlock it sooner. Locking the user
# name, not the address: a commune office shares one address, and an attacker has many.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit trail
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "audit.services.client_ip"  # the address the audit trail records
# The roles that must log in with a TOTP code (django-otp) as well as the password; superusers too
# whenever this list is not empty. Empty: nobody must, but whoever enrolled is still asked.
OTP_REQUIRED_ROLES = [
    role.strip()
    for role in env.list("OTP_REQUIRED_ROLES", default=["approver", "province_admin", "auditor"])
    if role.strip()
]
_ROLES = {"clerk", "reviewer", "approver", "counter_clerk", "province_admin", "auditor", "contractor"}
if set(OTP_REQUIRED_ROLES) - _ROLES:
    raise ImproperlyConfigured(
        f"OTP_REQUIRED_ROLES={','.join(OTP_REQUIRED_ROLES)}: unknown role(s) "
        f"{', '.join(sorted(set(OTP_REQUIRED_ROLES) - _ROLES))}; use {', '.join(sorted(_ROLES))}."
    )
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Hộ tịch")
# A signed-in session ends after this many minutes without a request (refreshed by each request).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)

# --- Language and dates -----------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
# The language menu's choice is kept for a year (config.locale ignores the browser's language).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Pages are never framed; the scan view alone allows same-origin frames (beside the entry form).
X_FRAME_OPTIONS = "DENY"
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
# S3-compatible storage for scans and other files when S3_BUCKET is set (django-storages);
# files stay private (no public ACL, signed URLs never handed out: views stream them).
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default=""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Scans and extracts are served only through permission-checked views: no MEDIA_URL.
MEDIA_ROOT = str(DATA_DIR / "files")
# Request bodies: each route's limit is enforced before the body is read (config/request_limits.py,
# in front of the app in config/asgi.py); uploads over 1 MB stream to FILE_UPLOAD_TEMP_DIR on disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default="") or None
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Channels and background jobs --------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Pages (gunicorn's WSGI workers) and WebSockets (one uvicorn process) are separate processes
# (config/serve.py): live updates cross them through Redis (REDIS_URL), or without it through
# PostgreSQL NOTIFY (config/channel_layer.py). Tests use an in-process layer and cache, except tests
# of real server processes (CIVREG_LIVE_SERVER=1: tests/config/live_server.py).
SHARED_LAYERS = not TESTING or env_bool("CIVREG_LIVE_SERVER", default=False)
REDIS_TIMEOUT_S = env.float("REDIS_TIMEOUT_S", default=2.0)
if SHARED_LAYERS and REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
elif SHARED_LAYERS:
    CHANNEL_LAYERS = {"default": {"BACKEND": "config.channel_layer.PostgresChannelLayer"}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "config.channel_layer.InProcessChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TESTING
        else "django_tasks_db.DatabaseBackend",
    }
}

CACHES: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if SHARED_LAYERS and REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that accepts connections and never answers fails the call after this, instead of
            # holding the request (sessions are read here) or the live sender's loop for good.
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT_S, "socket_timeout": REDIS_TIMEOUT_S},
        }
    }
    # Sessions read from Redis, written through to PostgreSQL: every web process (and machine) sees
    # the same session, a Redis restart logs nobody out. Nothing deletes session rows behind the
    # cache's back (logout goes through the session store).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# --- Domain settings --------------------------------------------------------------
# Idle time after which a claimed work item goes back to the queue.
CLAIM_IDLE_MINUTES = env.int("CLAIM_IDLE_MINUTES", default=120)
# Largest scan: SCAN_MAX_KB for the whole case file (seed 002: "01 file pdf riêng … không quá 100Kb"),
# or per A4 page when SCAN_SIZE_LIMIT_PER=page (the Ministry's guidance read per page).
SCAN_MAX_KB = env.int("SCAN_MAX_KB", default=100)
# Calls per personal API token (or per user on the session), e.g. "600/m", "20/s" (api/).
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/m")
SCAN_SIZE_LIMIT_PER = env.str("SCAN_SIZE_LIMIT_PER", default="case")
if SCAN_SIZE_LIMIT_PER not in ("case", "page"):
    raise ImproperlyConfigured(f"SCAN_SIZE_LIMIT_PER={SCAN_SIZE_LIMIT_PER!r}: use case or page.")
if SCAN_MAX_KB < 20:
    raise ImproperlyConfigured(f"SCAN_MAX_KB={SCAN_MAX_KB}: a legible A4 page needs more; use 20 or more.")
# Uploads: refused above these sizes before the body is read (config/request_limits.py). A named
# batch of case scans takes up to SCAN_BATCH_UPLOAD_MAX_MB; legacy imports and population extracts
# IMPORT_UPLOAD_MAX_MB.
SCAN_UPLOAD_MAX_MB = env.int("SCAN_UPLOAD_MAX_MB", default=50)
SCAN_BOOK_UPLOAD_MAX_MB = env.int("SCAN_BOOK_UPLOAD_MAX_MB", default=2048)
SCAN_BATCH_UPLOAD_MAX_MB = env.int("SCAN_BATCH_UPLOAD_MAX_MB", default=1000)
IMPORT_UPLOAD_MAX_MB = env.int("IMPORT_UPLOAD_MAX_MB", default=100)
SCAN_MAX_PAGES_PER_CASE = env.int("SCAN_MAX_PAGES_PER_CASE", default=20)
SCAN_BOOK_MAX_PAGES = env.int("SCAN_BOOK_MAX_PAGES", default=3000)
# Approved records not transferred within this many hours are flagged.
TRANSFER_DEADLINE_HOURS = env.int("TRANSFER_DEADLINE_HOURS", default=12)
NATIONAL_DB_URL = env.str("NATIONAL_DB_URL", default="http://127.0.0.1:8765")
# Bearer token the transfer adapter sends to the national database; the reference receiver
# (transfer.reference_receiver) demands TRANSFER_RECEIVER_TOKEN, by default the same token.
_DEV_TRANSFER_TOKEN = "dev-only-transfer-token-" + "x" * 20
TRANSFER_TOKEN = env.str("TRANSFER_TOKEN", default=_DEV_TRANSFER_TOKEN if (DEBUG or TESTING) else "")
TRANSFER_RECEIVER_TOKEN = env.str("TRANSFER_RECEIVER_TOKEN", default=TRANSFER_TOKEN)
# Mutual TLS with the national database (NATIONAL_DB_URL https://): our client certificate and its
# key (PEM files, the key unencrypted and readable by the worker only), and the CA bundle that signed
# the national database's server certificate (empty: the system's CAs).
TRANSFER_CLIENT_CERT = env.str("TRANSFER_CLIENT_CERT", default="")
TRANSFER_CLIENT_KEY = env.str("TRANSFER_CLIENT_KEY", default="")
TRANSFER_CA_BUNDLE = env.str("TRANSFER_CA_BUNDLE", default="")
if TRANSFER_CLIENT_KEY and not TRANSFER_CLIENT_CERT:
    raise ImproperlyConfigured(
        "TRANSFER_CLIENT_KEY is set without TRANSFER_CLIENT_CERT: set both or neither."
    )
# The reference receiver's /_state and /_control endpoints (for tests) exist only when this is on.
TRANSFER_RECEIVER_TEST_MODE = env_bool("TRANSFER_RECEIVER_TEST_MODE", default=False)
# Transfer worker: batch size, HTTP timeout, retry backoff, claim lease, idle poll.
TRANSFER_BATCH_SIZE = env.int("TRANSFER_BATCH_SIZE", default=50)
# Largest request body of a batch: the scans travel inside it (base64), so a batch also stops short
# of this many bytes (a single record larger than this still goes, alone).
TRANSFER_BATCH_MAX_BYTES = env.int("TRANSFER_BATCH_MAX_BYTES", default=8 * 1024 * 1024)
TRANSFER_TIMEOUT_SECONDS = env.float("TRANSFER_TIMEOUT_SECONDS", default=30.0)
TRANSFER_RETRY_BASE_SECONDS = env.float("TRANSFER_RETRY_BASE_SECONDS", default=30.0)
TRANSFER_RETRY_MAX_SECONDS = env.float("TRANSFER_RETRY_MAX_SECONDS", default=3600.0)
TRANSFER_LEASE_SECONDS = env.float("TRANSFER_LEASE_SECONDS", default=120.0)
TRANSFER_POLL_SECONDS = env.float("TRANSFER_POLL_SECONDS", default=2.0)
# Books with more cases than this are exported for the Ministry in the background.
EXPORT_INLINE_MAX_RECORDS = env.int("EXPORT_INLINE_MAX_RECORDS", default=300)
# Daily progress reports are frozen at these local times (HH:MM), per unit level.
REPORT_CUTOFFS = {
    "commune": env.str("REPORT_CUTOFF_COMMUNE", default="17:00"),
    "district": env.str("REPORT_CUTOFF_DISTRICT", default="17:30"),
    "province": env.str("REPORT_CUTOFF_PROVINCE", default="18:00"),
}
# The unit head's narrative ("khó khăn, vướng mắc, đề xuất") is due this many hours after the
# report's cut-off; later submissions are flagged as late.
REPORT_SUBMIT_HOURS = env.int("REPORT_SUBMIT_HOURS", default=16)
# The civil-data statistics (reports.civil_stats) are recompiled by the report scheduler when older.
CIVIL_STATS_EVERY_MINUTES = env.int("CIVIL_STATS_EVERY_MINUTES", default=10)
# At most one live dashboard push per unit in this many seconds.
PROGRESS_PUSH_SECONDS = env.int("PROGRESS_PUSH_SECONDS", default=5)
# Certified extracts: signing keys (PKCS#12 per unit, never in git), their passphrase,
# and how many verification checks one address may make per minute.
EXTRACT_KEYS_DIR = Path(env.str("EXTRACT_KEYS_DIR", default=str(DATA_DIR / "keys")))
EXTRACT_KEY_PASSPHRASE = env.str("EXTRACT_KEY_PASSPHRASE", default="")
EXTRACT_VERIFY_PER_MINUTE = env.int("EXTRACT_VERIFY_PER_MINUTE", default=20)

# --- Security (production) ----------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not (DEBUG or TESTING):
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS preload commits the whole parent domain (often a shared .gov.vn zone): the operator decides
# with SECURE_HSTS_PRELOAD, so the deploy check does not insist on it.
# axes.W006 asks for the address among the lockout parameters: we lock user names only, on purpose
# (see LOGIN_FAILURE_LIMIT above).
SILENCED_SYSTEM_CHECKS = ["security.W021", "axes.W006"]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # pgserver and pikepdf report every start and exit at INFO.
        "pgserver": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "axes": {"level": "WARNING"},  # every login at INFO; failures and lockouts are in the audit trail
    },
}
