"""Linli settings: one file, driven by environment variables (see docs/operations.md).

Out of the box it runs on SQLite in ./var; DATABASE_URL switches to PostgreSQL.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from linli.core.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    sqlite_database,
)
from linli.core.secrets import persistent_key

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("LINLI_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY") or persistent_key(DATA_DIR / "secret_key")
# The key that encrypts ID numbers at rest (PIPL art. 28). Losing it loses those numbers.
LINLI_FIELD_KEY = env_secret("LINLI_FIELD_KEY") or persistent_key(DATA_DIR / "field_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "linli.core",
    "linli.accounts",
    "linli.places",
    "linli.residents",
    "linli.workforce",
    "linli.taskpool",
    "linli.health",
    "linli.tracing",
    "linli.care",
    "linli.supplies",
    "linli.delivery",
    "linli.notices",
    "linli.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "linli.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "linli.core.middleware.ApplicationErrorMiddleware",
    # Last, as django-axes asks: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "linli" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linli.core.context_processors.linli",
                "linli.residents.context_processors.nav",
                "linli.taskpool.context_processors.nav",
                "linli.supplies.context_processors.nav",
                "linli.health.context_processors.nav",
                "linli.care.context_processors.nav",
                "linli.notices.context_processors.unread",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": database_from_url(DATABASE_URL, BASE_DIR)
    if DATABASE_URL
    else sqlite_database(DATA_DIR / "linli.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": env_str("LINLI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind nginx (LINLI_PROXY_COUNT=1) the client's address is in X-Forwarded-For; without this,
# axes would see the proxy's address and lock out by username alone.
LINLI_PROXY_COUNT = env_int("LINLI_PROXY_COUNT", 0)
if LINLI_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = LINLI_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Staff may protect their account with an authenticator app (TOTP); once set up, the login
# page and the API token endpoint ask for the six-digit code too.
OTP_TOTP_ISSUER = "Linli 邻里"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "linli" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "linli" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security. LINLI_HTTPS=true when served behind TLS: secure cookies, HSTS, redirect.
HTTPS = env_bool("LINLI_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Linli's own knobs.
LINLI_PAGE_SIZE = env_int("LINLI_PAGE_SIZE", 50)
LINLI_IMPORT_MAX_ROWS = env_int("LINLI_IMPORT_MAX_ROWS", 50_000)
LINLI_IMPORT_MAX_BYTES = env_int("LINLI_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
LINLI_API_TOKEN_DAYS = env_int("LINLI_API_TOKEN_DAYS", 30)
# Public volunteer sign-ups allowed per client address per hour.
LINLI_SIGNUP_PER_HOUR = env_int("LINLI_SIGNUP_PER_HOUR", 20)
# Supplies (issue 4): a supplier whose delivery staff have no negative test within this many
# hours cannot be scheduled for a round (proposal S4: supply staff must be screened).
LINLI_SUPPLIER_TEST_HOURS = env_int("LINLI_SUPPLIER_TEST_HOURS", 48)
# Health (issue 5): quarantine length in days (extendable per person with a reason); the hour
# after which a resident with no daily health report becomes a check-on task; the fever line.
LINLI_QUARANTINE_DAYS = env_int("LINLI_QUARANTINE_DAYS", 14)
LINLI_HEALTH_REPORT_HOUR = env_int("LINLI_HEALTH_REPORT_HOUR", 10)
# Tracing: the stay assumed when no exit was recorded, and the buffer around each stay.
LINLI_DEFAULT_STAY_MINUTES = env_int("LINLI_DEFAULT_STAY_MINUTES", 30)
LINLI_TRACING_BUFFER_MINUTES = env_int("LINLI_TRACING_BUFFER_MINUTES", 15)
# Psychological support (issue 7): the crisis hotline shown at once to anyone who screens at
# risk of self-harm (12356: the national psychological assistance hotline).
LINLI_CRISIS_HOTLINE = env_str("LINLI_CRISIS_HOTLINE", "12356")
# Where text messages go: LogSmsBackend writes them to the log (and each one is a Notification
# row); ConsoleSmsBackend prints them; a real gateway is one more class with send().
LINLI_SMS_BACKEND = env_str("LINLI_SMS_BACKEND", "linli.notices.backends.LogSmsBackend")
