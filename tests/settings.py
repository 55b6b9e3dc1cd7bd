"""Test settings: production's settings with a throwaway key.

Tests run with DEBUG off (pytest-django forces it), as production does, so the
settings module needs a key; it is set here and nowhere else.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from ledger.settings import *  # noqa: E402, F403

# Static files are served from the finders in tests; no collectstatic step.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A replica that is the same database (a test mirror), so that the router can be tested on
# either database; public reads use it only where a test turns LEDGER_READ_REPLICA on.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
LEDGER_READ_REPLICA = False
