"""Qamqor settings: one file, read from the environment; a bad value stops start-up with a clear message."""

import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("QAMQOR_VAR_DIR", PROJECT_DIR / "var"))


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or env_bool("QAMQOR_TESTING")
DEBUG = env_bool("DEBUG", False)
# `qamqor serve` sets QAMQOR_PRODUCTION; `qamqor run` (the local demo) sets QAMQOR_DEMO.
PRODUCTION = env_bool("QAMQOR_PRODUCTION", False)
DEMO = env_bool("QAMQOR_DEMO", False) and not PRODUCTION
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("Production refuses DEBUG=true: it would show internals to anyone. Unset DEBUG.")
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if (DEBUG or DEMO or TESTING) and not PRODUCTION:
        SECRET_KEY = "insecure-local-only-key-do-not-use-in-production-qamqor-0123456789"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production refuses to start without it: "
            "set SECRET_KEY to a long random value (or DEBUG=true for local development)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if (DEBUG or DEMO or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "qamqor.core",
    "qamqor.accounts",
    "qamqor.organizations",
    "qamqor.registry",
    "qamqor.aid",
    "qamqor.events",
    "qamqor.social_services",
    "qamqor.ledger",
    "qamqor.transport",
    "qamqor.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qamqor.core.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "qamqor.accounts.middleware.RequireTwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
    "qamqor.api.middleware.ApiMethodNotAllowedMiddleware",
]

ROOT_URLCONF = "qamqor.urls"
WSGI_APPLICATION = "qamqor.wsgi.application"
ASGI_APPLICATION = "qamqor.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "qamqor.core.context_processors.site",
            ],
        },
    }
]

# Forms render with our templates (the error-summary pattern in templates/includes/form_div.html).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: SQLite under var/ by default; DATABASE_URL (postgres://...) for PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    import dj_database_url

    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database address Qamqor understands: {exc}") from None
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    if not os.environ.get("SQLITE_PATH"):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "qamqor.sqlite3")),
            # WAL lets the web server and the task worker share the file.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Fast hashing in tests only; the behaviour under test does not depend on the algorithm.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"

# Failed log-ins: after AXES_FAILURE_LIMIT failures for one e-mail from one address, a cool-off.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "qamqor.accounts.views.lockout"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("LOGIN_THROTTLING", True)

# Two-factor: every role that can see personal data must confirm a TOTP code.
OTP_TOTP_ISSUER = "Qamqor"
QAMQOR_REQUIRE_2FA = True  # not a setting: personal data is never shown without a second factor

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page (hx-headers), never from the cookie
SECURE = not (DEBUG or DEMO or TESTING)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", SECURE) else None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Enforced everywhere but the local demo (`qamqor run`), where it is sent report-only so that accessibility tools
# that inject their own script into pages (axe crawlers, browser extensions) can run. The browser tests run axe
# against the enforced policy.
if DEMO:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

LANGUAGE_CODE = "kk"
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "qamqor_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
TIME_ZONE = env_str("TIME_ZONE", "Asia/Almaty")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Collected files for production; locally WhiteNoise serves straight from the apps (WHITENOISE_USE_FINDERS).
STATIC_ROOT = None if (DEBUG or TESTING or DEMO) else VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING or DEMO)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING or DEMO
MEDIA_ROOT = VAR_DIR / "media"

# E-mail: printed to the console unless EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Qamqor <no-reply@qamqor.local>")

# SMS notices (off by default): an HTTP gateway taking one JSON message per POST (social_services/notifications.py).
QAMQOR_SMS_ENABLED = env_bool("SMS_ENABLED", False)
QAMQOR_SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL")
QAMQOR_SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN")
QAMQOR_SMS_SENDER = env_str("SMS_SENDER", "Qamqor")
if QAMQOR_SMS_ENABLED and not QAMQOR_SMS_GATEWAY_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("SMS_ENABLED is true but SMS_GATEWAY_URL is not an http(s) address: set the gateway, "
                               "or switch SMS off.")

# InvaTaxi travel times: "haversine" (built in: great circle x detour factor, speed by hour), or the address of an
# OSRM server (http://osrm.internal:5000) for road times. Solver processes per plan (0: one per core, at most 2).
TRANSPORT_TRAVEL = env_str("TRANSPORT_TRAVEL", "haversine")
if TRANSPORT_TRAVEL != "haversine" and not TRANSPORT_TRAVEL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"TRANSPORT_TRAVEL must be 'haversine' or an OSRM server's http(s) address, not "
                               f"{TRANSPORT_TRAVEL!r}.")
TRANSPORT_SOLVER_WORKERS = env_int("TRANSPORT_SOLVER_WORKERS", 0)

TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if env_bool("TASKS_IMMEDIATE", False)
        else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING" if TESTING else "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.request": {"level": "ERROR"}},
}
