"""Settings for the ledger.

Everything that differs between a laptop and production comes from the
environment. The defaults are production's: DEBUG is off and a SECRET_KEY must
be given. `make run` turns DEBUG on for local use.

Environment:
    DJANGO_DEBUG          "1" for development (default off)
    DJANGO_SECRET_KEY     required when DEBUG is off
    DJANGO_ALLOWED_HOSTS  comma-separated host names (default: localhost only)
    DJANGO_CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://ledger.example.org
    DATABASE_URL          e.g. postgres://user@127.0.0.1:5432/ledger (default: SQLite)
    DATABASE_REPLICA_URL  a read replica of it, for the public pages (optional)
    REDIS_URL             e.g. redis://127.0.0.1:6379/0: the cache all app servers share
                          (default: each process's own memory)
    DJANGO_SECURE_SSL_REDIRECT  "0" when a proxy already redirects to HTTPS
    DJANGO_STATIC_ROOT    where collectstatic writes (default: staticfiles/ in the checkout)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production needs a long random secret, e.g. "
            "DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'). "
            "For local development set DJANGO_DEBUG=1 (make run does)."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "aid",
]

MIDDLEWARE = [
    # A request that cannot reach the database gets a short 503 (ledger/outages.py).
    "ledger.outages.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files need neither header, pages and exports get both.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language: the URL's prefix (/uk/), and a reader who prefers Ukrainian
    # sent from an English public page to its twin (ledger/languages.py). Before the cache
    # middleware, whose 304 must not skip that redirect.
    "ledger.languages.ReaderLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Public pages: ETag/Last-Modified from the data version, 304s, Cache-Control, and
    # reads from the replica (aid/caching.py).
    "aid.caching.PublicCacheMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who made a change, for the history of ledger records.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with 429.
    "axes.middleware.AxesMiddleware",
]

# django-axes checks every login first and refuses one from a locked-out client.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "ledger.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "ledger.wsgi.application"

# A connection is kept for a minute of requests, and checked before each request reuses it:
# after the database restarts, every worker finds its connection dead, drops it and
# connects again by itself (tests/test_faults.py).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes write one file (gunicorn's workers, staff saving at once).
    # - WAL: readers never wait for a writer, nor a writer for readers.
    # - IMMEDIATE: a transaction takes the write lock when it begins. Otherwise one that
    #   read first and writes second cannot wait for another writer (SQLite would deadlock)
    #   and fails at once with "database is locked"; now it waits its turn, then sees the
    #   other's save, so the optimistic lock refuses it politely (aid/locking.py).
    # - timeout: how long it waits for the lock (seconds), within gunicorn's 30 s.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL",
        transaction_mode="IMMEDIATE",
        timeout=20,
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's default random_page_cost (4) prices an index probe for a spinning disk.
    # The ledger's tables live in memory or on SSD, where 1.1 is the usual setting; with 4
    # the planner hashes all 70,000 agreements to join 4,600 exported line items (bench:
    # the filtered CSV export 59 -> 36 ms at a million line items). PGOPTIONS overrides it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", os.environ.get("PGOPTIONS", "-c random_page_cost=1.1")
    )
    # A server that does not answer at all (a network fault, not a refusal) would hold a
    # request for the operating system's TCP timeout, minutes, until gunicorn killed the
    # worker; after 5 s the request gets the 503 (ledger/outages.py) instead.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)

# A read replica serves the public pages' reads; the admin reads and writes the primary
# (ledger/routers.py). Replication lag shows as a public page a moment behind.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    if "options" in DATABASES["default"].get("OPTIONS", {}):
        DATABASES["replica"].setdefault("OPTIONS", {})["options"] = DATABASES["default"]["OPTIONS"][
            "options"
        ]
LEDGER_READ_REPLICA = "replica" in DATABASES
DATABASE_ROUTERS = ["ledger.routers.ReplicaRouter"]

# The cache: Redis when REDIS_URL is set, so that every app server shares the summaries it
# holds (aid/caching.py); otherwise each process's own memory. Keys hold the data version,
# so a publication makes every server compute them again; nothing is deleted by hand.
# "pages" holds whole public pages (aid/caching.py), apart so that pages never push the
# summaries out; in memory, at most LEDGER_PAGE_CACHE_ENTRIES pages of at most
# LEDGER_PAGE_CACHE_MAX_BYTES each per process.
LEDGER_PAGE_CACHE = os.environ.get("LEDGER_PAGE_CACHE", "1") != "0"
LEDGER_PAGE_CACHE_ENTRIES = int(os.environ.get("LEDGER_PAGE_CACHE_ENTRIES", "300"))
LEDGER_PAGE_CACHE_MAX_BYTES = 512 * 1024
if os.environ.get("REDIS_URL"):
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
        for alias, prefix in (("default", "ledger"), ("pages", "ledger-pages"))
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pages",
            "OPTIONS": {"MAX_ENTRIES": LEDGER_PAGE_CACHE_ENTRIES},
        },
    }
# Public pages: any cache may keep one this long, then serve it stale this much longer
# while it asks again (a 304 costs one query). Summaries stay in the cache at most this long.
LEDGER_HTTP_MAX_AGE = int(os.environ.get("LEDGER_HTTP_MAX_AGE", "60"))
LEDGER_HTTP_STALE_WHILE_REVALIDATE = 600
LEDGER_SUMMARY_CACHE_SECONDS = 3600
# Threads per process that run a filtered table's facet counts beside its summary, each
# with its own database connection (aid/aside.py); 0 runs them one after another.
# Each app server process may hold this many connections more.
LEDGER_ASIDE_THREADS = int(os.environ.get("LEDGER_ASIDE_THREADS", "3"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The public pages in English (the contract's URLs) and Ukrainian (under /uk/); the admin
# in English. Messages are in locale/ (README, "Languages"); numbers and dates follow the
# language's format, exports never do.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("uk", "Українська")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Source documents cited by the ledger live here, one text file each.
SEEDS_DIR = BASE_DIR / "seeds"

# Production hardening; all of these are off with DEBUG so that plain-HTTP
# local development keeps working.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not DEBUG and env_flag("DJANGO_SECURE_SSL_REDIRECT", True)
# Load balancers probe over plain HTTP, straight to the app: a redirect would read as down.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): everything from the ledger's own origin, nothing
# inline. No template has a <script>, <style>, style="" or on*="" of its own, and neither
# have the admin pages the ledger uses (tests/test_browser.py watches Chromium for
# violations), except django-simple-history's list of changes: its style="border-top: 0" is
# dropped (a border shows) rather than the policy loosened. The charts' SVG uses
# presentation attributes (x, width), which CSP allows.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy (django-permissions-policy): the ledger is text, tables and forms; no
# page uses the camera, location or any other device feature, so none is allowed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    ]
}

# Only staff have sessions (the public pages set no cookie). A session lasts a working
# day from login and ends when the browser closes, whichever comes first.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

DJANGO_TABLES2_TEMPLATE = "aid/table.html"

# Login throttling (django-axes): after 5 failed logins for one username from
# one address, that pair is refused for an hour, even with the right password.
# Username and address together: an attacker cannot lock an analyst out from
# elsewhere, and behind a proxy (one address for everyone) it still throttles
# each username. `manage.py axes_reset` lifts every lockout.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

# Change history (django-simple-history): an index on (record, date) for "what
# changed since" and the corrections log.
SIMPLE_HISTORY_DATE_INDEX = "composite"

# Bulk import (django-import-export): analysts who may add line items may
# import them; an import is one transaction, rolled back when any row is bad.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# The covering indexes' INCLUDE columns are PostgreSQL's; SQLite builds the same index
# without them, which is what it should do (aid/models.py, LineItem.Meta.indexes).
SILENCED_SYSTEM_CHECKS = ["models.W040"]
