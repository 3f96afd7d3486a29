"""Settings for the trusted-address case-management system.

One module, driven by the environment (see README, "Configuration"). ``APP_ENV=production`` turns on
production mode, which refuses to start without its secrets; any other value is a development or test
run, where missing secrets are generated once into ``var/dev-secrets.json`` (never used in production).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str
from config.formats.vi import formats as vietnamese_formats

# Lets Django's generic classes be subscripted at run time (``QuerySet[Case]``, ``Lookup[Any]``) as
# django-stubs types them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

APP_ENV = env_str("APP_ENV", "development")
if APP_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"APP_ENV must be development, production or test, not {APP_ENV!r}.")
PRODUCTION = APP_ENV == "production"

DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production: error pages would show confidential data.")


def _dev_secret(name: str, make: Callable[[], str]) -> str:
    """A per-checkout secret for development runs, created once and kept out of git.

    Production never reaches this function: its secrets must come from the environment.
    """
    path = VAR_DIR / "dev-secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if name not in stored:
        stored[name] = make()
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return stored[name]


def _random_key32() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _secret(name: str, make: Callable[[], str]) -> str:
    if PRODUCTION:
        return env_str(name, required=True)
    return env_str(name) or _dev_secret(name, make)


SECRET_KEY = _secret("SECRET_KEY", lambda: secrets.token_urlsafe(64))
if PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production.")
# Key ring for encrypted fields: "kid:key,kid:key", newest first (see core/crypto.py).
FIELD_ENCRYPTION_KEYS = _secret("FIELD_ENCRYPTION_KEYS", lambda: f"k1:{_random_key32()}")
# Separate key for the keyed blind index used to find duplicate survivors without decrypting.
BLIND_INDEX_KEY = _secret("BLIND_INDEX_KEY", _random_key32)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's hosts in production (not empty, not '*').")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "core",
    "accounts",
    "casework",
    "referrals",
    "indicators",
    "portal",  # last: the top layer, which may import every app before it and which no app imports
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so that static files stay cacheable and every other answer is no-store.
    "accounts.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Between the two: it signs out an idle user before anything else reads the user, and keeps what
    # that user posted (after CsrfViewMiddleware has checked the token) before sign-in is demanded.
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Loads the user's memberships, which the two-factor gate reads: it must come first.
    "accounts.middleware.ActiveMembershipMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# Every form field says autocomplete="off" unless its widget names a token (core/forms.py).
FORM_RENDERER = "core.forms.ConfidentialFormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.membership",
                "accounts.context_processors.idle_timeout",
                "referrals.context_processors.notifications",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL (postgres://…) selects PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: it compiles each statistics query for 1–3 s before running it (measured at a million
    # cases: more than the query itself), and the app's other queries are too short to gain from it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username or address before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failures, counted per username and, separately, per address.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The sign-in view forgives only the signed-in user's own failures (see accounts.views.LoginView).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
AXES_USERNAME_FORM_FIELD = "username"
# Reverse proxies in front of the app (each appends to X-Forwarded-For); see accounts.views.client_ip.
PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "accounts.views.client_ip"
AXES_VERBOSE = False

# Idle timeout, enforced by accounts.middleware.IdleTimeoutMiddleware: a request after this much
# inactivity signs the user out first (and keeps what a form posted; see accounts/unsaved.py).
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=1)
# The banner offering "continue working" appears this many minutes before the time-out.
SESSION_WARNING_MINUTES = env_int("SESSION_WARNING_MINUTES", 5, minimum=1)
if SESSION_WARNING_MINUTES >= SESSION_IDLE_TIMEOUT_MINUTES:
    raise ImproperlyConfigured("SESSION_WARNING_MINUTES must be shorter than SESSION_IDLE_TIMEOUT_MINUTES.")
# What a form posted after the time-out is kept this long, sealed, for its author to sign in again.
SESSION_KEPT_WORK_MINUTES = env_int("SESSION_KEPT_WORK_MINUTES", 60, minimum=1)
# The middleware and the page script work in seconds, so that the browser test can use a short time-out.
SESSION_IDLE_SECONDS = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_WARNING_SECONDS = SESSION_WARNING_MINUTES * 60
SESSION_KEPT_WORK_SECONDS = SESSION_KEPT_WORK_MINUTES * 60
# Django's own expiry is only the backstop: the session row outlives the idle time-out by the time work
# is kept, so that a form posted up to that long after the time-out still says whose it was.
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS + SESSION_KEPT_WORK_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Dia chi tin cay")

# django-guardian: object permissions only; no anonymous user object, no global-permission widening.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
# Past versions in the operator's administration are for reading: reverting would bypass the services
# (a revoked membership brought back without confirmation). The admin also refuses the POST.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Security headers ---------------------------------------------------------------------------
HTTPS = env_bool("HTTPS", PRODUCTION)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# Opaque case URLs never travel to another site. (Not "no-referrer": with it browsers send
# "Origin: null" on same-site POSTs, which Django's CSRF check rightly refuses.)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
# A refused form (open too long, another tab, cookies cleared) gets a Vietnamese page, not Django's.
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "form-action": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    },
}
# Error reports must not carry what a survivor's record holds: every POST value is masked.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.reporting.ConfidentialExceptionReporterFilter"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 400

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# Ours first (makemessages writes it); then other packages' messages that their Vietnamese lacks.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_thirdparty"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Date input formats (day first, in every interface language) over Django's own: config/formats/.
FORMAT_MODULE_PATH = ["config.formats"]
# The same when no language is active (translation.deactivate_all()), instead of Django's month first.
DATE_INPUT_FORMATS = vietnamese_formats.DATE_INPUT_FORMATS

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, serve straight from the app folders (no collectstatic step for `make run`).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email --------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# --- Logging ------------------------------------------------------------------------------------
# Console only, no request bodies; "django.request" lines carry paths, and paths carry only opaque ids.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
ADMINS: list[tuple[str, str]] = []

# --- Referrals ----------------------------------------------------------------------------------
# How long a partner has to acknowledge a referral before it expires, by urgency.
REFERRAL_RESPONSE_HOURS = {
    "routine": env_int("REFERRAL_ROUTINE_HOURS", 24, minimum=1),
    "urgent": env_int("REFERRAL_URGENT_HOURS", 2, minimum=1),
}
# Optional email notices (they say only that something needs attention, with a link).
REFERRAL_EMAIL_NOTICES = env_bool("REFERRAL_EMAIL_NOTICES", False)

# --- Indicators ---------------------------------------------------------------------------------
# Counts of people below this are shown as "<k" in every report, download and export.
INDICATORS_MIN_CELL = env_int("INDICATORS_MIN_CELL", 5, minimum=2)
# DHIS2 (optional): where "Send to DHIS2" imports the dataValueSets (a dry run first, always).
DHIS2_URL = env_str("DHIS2_URL").rstrip("/")
DHIS2_USERNAME = env_str("DHIS2_USERNAME")
DHIS2_PASSWORD = env_str("DHIS2_PASSWORD")
DHIS2_TIMEOUT_SECONDS = env_int("DHIS2_TIMEOUT_SECONDS", 30, minimum=1)
# JSON file overriding the data element, category option combo and org unit codes (see
# indicators/dhis2.py); without it the codes are derived from the indicator codes and official unit codes.
DHIS2_MAPPING_FILE = env_str("DHIS2_MAPPING_FILE")
if PRODUCTION and DHIS2_URL and not DHIS2_URL.startswith("https://"):
    raise ImproperlyConfigured("DHIS2_URL must use https:// in production: it carries a password.")
# Built reports are kept this long (seconds; 0: always rebuilt), per area, period, release and
# language; a release never changes. Set CACHES to a shared cache in production.
INDICATORS_CACHE_SECONDS = env_int("INDICATORS_CACHE_SECONDS", 900, minimum=0)
# Figures are published only for completed periods, once, and never change afterwards: a month,
# quarter, year or phase is released by `manage.py indicators_refresh` (schedule it, e.g. hourly) once
# it has ended and this many days have passed, so that late records have time to come in.
INDICATORS_RELEASE_LAG_DAYS = env_int("INDICATORS_RELEASE_LAG_DAYS", 15, minimum=0)
