"""Gatehouse settings: one module, every value from the environment (see `.env.example`).

Helpers fail loudly on a malformed value instead of silently falling back: a district that sets
GATEHOUSE_FEVER_LINE=37,3 must learn at start-up, not at the gate.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets ModelAdmin[Model] and friends be subscripted at runtime, as the type checker wants them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_env_file(path: Path) -> None:
    # A tiny .env reader so `make demo` can keep its generated secrets outside the repo; real
    # deployments set the environment themselves and the file is simply absent.
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_env_file(Path(os.environ.get("GATEHOUSE_ENV_FILE", BASE_DIR / ".env")))


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set (see .env.example)")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return env_str(name)


DEBUG = env_bool("GATEHOUSE_DEBUG", False)
SECRET_KEY = env_secret("GATEHOUSE_SECRET_KEY")
# Master key for personal data: identity numbers are encrypted and hashed with keys derived from it.
DATA_KEY = env_secret("GATEHOUSE_DATA_KEY")
ALLOWED_HOSTS = [h.strip() for h in env_str("GATEHOUSE_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in env_str("GATEHOUSE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "gatehouse.core",
    "gatehouse.places",
    "gatehouse.people",
    "gatehouse.accounts",
    "gatehouse.alerts",
    "gatehouse.observation",
    "gatehouse.passes",
    "gatehouse.returnees",
    "gatehouse.gate",
    "gatehouse.volunteers",
    "gatehouse.devices",
    "gatehouse.web",
    "gatehouse.demo",
    "gatehouse.worker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gatehouse.web.middleware.LanguageMiddleware",
    "gatehouse.api.middleware.ControlCharacterGuard",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gatehouse.urls"
WSGI_APPLICATION = "gatehouse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gatehouse" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gatehouse.web.context.navigation",
            ],
        },
    },
]

DEFAULT_SQLITE = BASE_DIR / "var" / "gatehouse.sqlite3"
DEFAULT_SQLITE.parent.mkdir(exist_ok=True)  # a fresh checkout has no var/ yet
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}"), conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and the ingester share one file; IMMEDIATE transactions
    # take the write lock up front so concurrent writers wait instead of failing with "locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DB_PREPARED_STATEMENTS", True
):
    # The gate's hot statements (gatehouse.lib.db.hot_fetchone) are prepared once per connection and
    # run with their generic plan: planning the facts query cost PostgreSQL 0.2 ms, running it 0.04.
    # psycopg prepares only when prepare_threshold is set (Django leaves it None: never), and with
    # plan_cache_mode at auto PostgreSQL went on planning anew each time. Django's own queries bind
    # on the client, so neither setting touches them. Off (DB_PREPARED_STATEMENTS=0) behind a
    # transaction-mode pooler that cannot keep prepared statements (PgBouncer before 1.21).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["prepare_threshold"] = 5
    _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Brute-force throttling: five failures lock the username from that address for 15 minutes.
AXES_FAILURE_LIMIT = env_int("GATEHOUSE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("GATEHOUSE_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Apps carry their own locale/; lib and api are plain packages, so they are listed here.
LOCALE_PATHS = [BASE_DIR / "gatehouse" / "lib" / "locale", BASE_DIR / "gatehouse" / "api" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("GATEHOUSE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("GATEHOUSE_SESSION_SECONDS", 12 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

MQTT_URL = os.environ.get("MQTT_URL", "")
# How long a process remembers a verified device token (see accounts.services.api_token_authenticate).
GATEHOUSE_API_TOKEN_CACHE_SECONDS = env_int("GATEHOUSE_API_TOKEN_CACHE_SECONDS", 5)
# Every paginated list is bounded at both ends (see gatehouse.api.base.Pagination).
NINJA_PAGINATION_CLASS = "gatehouse.api.base.Pagination"
NINJA_PAGINATION_MAX_LIMIT = 500

# Alert notifications (gatehouse/alerts/channels.py). `log` needs nothing; each gateway is off
# until configured, and listing one without its settings stops start-up instead of losing alerts.
GATEHOUSE_ALERT_CHANNELS = [
    c.strip() for c in env_str("GATEHOUSE_ALERT_CHANNELS", "log").split(",") if c.strip()
]
if set(GATEHOUSE_ALERT_CHANNELS) - {"log", "email", "sms"}:
    raise ImproperlyConfigured("GATEHOUSE_ALERT_CHANNELS may list only log, email and sms")
GATEHOUSE_SMS_URL = env_str("GATEHOUSE_SMS_URL", "")
GATEHOUSE_SMS_TOKEN = env_secret("GATEHOUSE_SMS_TOKEN") if "sms" in GATEHOUSE_ALERT_CHANNELS else ""
if "sms" in GATEHOUSE_ALERT_CHANNELS and not GATEHOUSE_SMS_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("the sms channel needs GATEHOUSE_SMS_URL (http:// or https://)")
EMAIL_HOST = env_str("EMAIL_HOST", "")
if "email" in GATEHOUSE_ALERT_CHANNELS and not EMAIL_HOST:
    raise ImproperlyConfigured("the email channel needs EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = (
    env_secret("EMAIL_HOST_PASSWORD")
    if os.environ.get("EMAIL_HOST_PASSWORD_FILE")
    else env_str("EMAIL_HOST_PASSWORD", "")
)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("GATEHOUSE_ALERT_FROM_EMAIL", "gatehouse@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_identity": {"()": "gatehouse.lib.logging.RedactIdentityNumbers"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_identity"]}
    },
    "root": {"handlers": ["console"], "level": env_str("GATEHOUSE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

GATEHOUSE_SITE_NAME = _("Gatehouse")

# --- Resident sign-in by phone and one-time code (accounts) and the phone pass (passes) ------------
# SMS gateway: "off" (default), "console" (prints codes to the server's console; the demo's choice),
# "http" (a provider's HTTP API, configured below) or "memory" (tests). Each is off until configured.
SMS_GATEWAY = env_str("GATEHOUSE_SMS_GATEWAY", "console" if env_bool("GATEHOUSE_DEMO", False) else "off")
if SMS_GATEWAY not in {"off", "console", "http", "memory"}:
    raise ImproperlyConfigured(
        f"GATEHOUSE_SMS_GATEWAY must be off, console, http or memory, got {SMS_GATEWAY!r}"
    )
SMS_HTTP_URL = env_str("GATEHOUSE_SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env_secret("GATEHOUSE_SMS_HTTP_TOKEN") if SMS_GATEWAY == "http" else ""
SMS_HTTP_TIMEOUT_SECONDS = env_int("GATEHOUSE_SMS_HTTP_TIMEOUT_SECONDS", 5)
if SMS_GATEWAY == "http" and not SMS_HTTP_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "GATEHOUSE_SMS_HTTP_URL must be an http(s) URL when GATEHOUSE_SMS_GATEWAY=http"
    )
SIGNIN_CODE_TTL_SECONDS = env_int("GATEHOUSE_SIGNIN_CODE_TTL_SECONDS", 300)
SIGNIN_CODE_MAX_ATTEMPTS = env_int("GATEHOUSE_SIGNIN_CODE_MAX_ATTEMPTS", 5)
SIGNIN_CODE_RESEND_SECONDS = env_int("GATEHOUSE_SIGNIN_CODE_RESEND_SECONDS", 60)
SIGNIN_CODES_PER_PHONE_PER_HOUR = env_int("GATEHOUSE_SIGNIN_CODES_PER_PHONE_PER_HOUR", 5)
# Mobile carriers put many phones behind one address (carrier-grade NAT): generous, but bounded.
SIGNIN_CODES_PER_ADDRESS_PER_HOUR = env_int("GATEHOUSE_SIGNIN_CODES_PER_ADDRESS_PER_HOUR", 30)
# Seconds between QR refreshes on the phone; 0 follows the token's 30 s time step.
PASS_REFRESH_SECONDS = env_int("GATEHOUSE_PASS_REFRESH_SECONDS", 0)
