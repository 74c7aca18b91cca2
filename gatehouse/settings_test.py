"""Settings for the test suite: fresh random secrets per run, a fast password hasher.

DATABASE_URL picks PostgreSQL; without it the suite runs on SQLite.
"""

import os
import secrets

os.environ.setdefault("GATEHOUSE_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("GATEHOUSE_DATA_KEY", secrets.token_urlsafe(32))
os.environ["GATEHOUSE_ENV_FILE"] = os.devnull  # never read a developer's .env into the tests

from gatehouse.settings import *  # noqa: F403
from gatehouse.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in memory
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns about a missing root
GATEHOUSE_API_TOKEN_CACHE_SECONDS = 0  # tests see revocations at once; the cache has its own test
