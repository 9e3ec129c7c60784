"""Kinwell's one settings module. Everything that differs between installations
comes from environment variables, documented in docs/configuration.md."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KINWELL_DATA_DIR", BASE_DIR / "var")).resolve()

DEBUG = env_bool("KINWELL_DEBUG")
SECRET_KEY = os.environ.get("KINWELL_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "KINWELL_SECRET_KEY is not set. Set it to a long random string "
            "(or run 'kinwell demo', which keeps one under var/)."
        )
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 - refused outside debug

ALLOWED_HOSTS = env_list("KINWELL_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("KINWELL_CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("KINWELL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("KINWELL_SITE_NAME", "Kinwell")

INSTALLED_APPS = [
    "kinwell.accounts",
    "kinwell.communities",
    "kinwell.discussions",
    "kinwell.notifications",
    "kinwell.search",
    "kinwell.stories",
    "kinwell.tracking",
    "kinwell.circles",
    "kinwell.api",
    "kinwell.web",
    "kinwell.accounts.admin_site.KinwellAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "kinwell.accounts.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "kinwell.accounts.middleware.session_activity_middleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kinwell.accounts.middleware.acting_for_middleware",
    "kinwell.web.middleware.RateLimitMiddleware",
    # Last, so that everything above also applies to the pages it shares.
    "kinwell.lib.visitor_pages.VisitorPageMiddleware",
]

ROOT_URLCONF = "kinwell.urls"
WSGI_APPLICATION = "kinwell.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kinwell.web.context_processors.site",
                # The bell's unread count, on every page.
                "kinwell.notifications.context.unread",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kinwell.sqlite3'}"),
        conn_max_age=int(os.environ.get("KINWELL_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue on the busy timeout instead of failing
    # with "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # The same backend, with writers queued without sleeping (see its module).
    DATABASES["default"]["ENGINE"] = "kinwell.lib.sqlite"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kinwell",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# PostgreSQL: no JIT. Kinwell's queries are short, and JIT spent 100-300 ms
# compiling a search's window query that runs in about 50 ms.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

# Rendered fragments of pages (kinwell.lib.fragments), keyed by everything
# they show, so each server process may keep its own without going stale.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 10000},
}

# Pages every visitor sees alike (kinwell.lib.visitor_pages), shared between
# server processes: in Redis when there is one, else in files under the
# data directory. They are keyed by what has changed, so the timeout bounds
# how far a relative date ("3 hours ago") may lag, and changes made outside
# Kinwell (SQL typed by hand); 0 turns sharing off.
KINWELL_VISITOR_PAGE_SECONDS = int(os.environ.get("KINWELL_VISITOR_PAGE_SECONDS", "60"))
# What a signed-in member's every page asks again (their membership and any
# suspension, their personas) is kept in the default cache under the same
# generation of changes, so a change is seen at once; the timeout only lets
# unused values go. 0 turns it off (kinwell.lib.changes).
KINWELL_MEMBER_STATE_SECONDS = int(os.environ.get("KINWELL_MEMBER_STATE_SECONDS", "60"))
if REDIS_URL:
    CACHES["pages"] = {**CACHES["default"], "KEY_PREFIX": "kinwell-pages"}
else:
    CACHES["pages"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": DATA_DIR / "pages",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Length and a list of common passwords; no composition rules (NIST SP 800-63B).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": (
            "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
        ),
        "OPTIONS": {"user_attributes": ["email", "display_name"]},
    },
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool(
    "KINWELL_SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https")
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# With Redis, sessions are read from it and written through to the database,
# so a page view needs no session query. Without it each server process
# has its own memory cache, which would not see a logout made in another:
# sessions then stay in the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
# Messages name what a member just did ("Fatigue is on the list"): kept in
# the session, never in a cookie the browser carries about.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# allauth: email is the login; real names are never asked for.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "kinwell.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# Per address and per account; they expire, so nobody is locked out for good.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_PASSKEY_SIGNUP_ENABLED = False
MFA_TOTP_ISSUER = SITE_NAME
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or SITE_URL.startswith("http://127.0.0.1")
# Activity is tracked by kinwell.accounts.middleware.session_activity_middleware,
# at most every five minutes per session instead of on every request.
USERSESSIONS_TRACK_ACTIVITY = False

# Mail: console by default, SMTP when KINWELL_EMAIL_BACKEND=smtp.
_MAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_mail_backend = os.environ.get("KINWELL_EMAIL_BACKEND", "console")
if _mail_backend not in _MAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"KINWELL_EMAIL_BACKEND must be one of {', '.join(_MAIL_BACKENDS)}."
    )
MAILERS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": _MAIL_BACKENDS[_mail_backend], "OPTIONS": {}}
}
if _mail_backend == "smtp":
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("KINWELL_EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("KINWELL_EMAIL_PORT", "25")),
        "username": os.environ.get("KINWELL_EMAIL_USER", ""),
        "password": os.environ.get("KINWELL_EMAIL_PASSWORD", ""),
        "use_tls": env_bool("KINWELL_EMAIL_USE_TLS"),
        "use_ssl": env_bool("KINWELL_EMAIL_USE_SSL"),
        "timeout": 20,
    }
DEFAULT_FROM_EMAIL = os.environ.get("KINWELL_FROM_EMAIL", "Kinwell <kinwell@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("KINWELL_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
WHITENOISE_USE_FINDERS = DEBUG

# Security headers. No third-party origin appears anywhere: every asset is ours.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("KINWELL_SSL_REDIRECT")
SECURE_HSTS_SECONDS = int(os.environ.get("KINWELL_HSTS_SECONDS", "0"))
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KINWELL_BEHIND_PROXY") else None
)

# Logs carry ids, never health details; the formatter never sees request bodies.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("KINWELL_LOG_LEVEL", "INFO"),
    },
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Kinwell's own settings.
KINWELL_SERVER_WORKERS = int(os.environ.get("KINWELL_SERVER_WORKERS", "2"))
KINWELL_SERVER_THREADS = int(os.environ.get("KINWELL_SERVER_THREADS", "4"))
# Changes (POST, PATCH, DELETE…) one account may make per minute, web and API together.
KINWELL_WRITES_PER_MINUTE = int(os.environ.get("KINWELL_WRITES_PER_MINUTE", "30"))
# The largest size cap an organiser may set for a community (default cap: 150).
KINWELL_MAX_COMMUNITY_SIZE = int(os.environ.get("KINWELL_MAX_COMMUNITY_SIZE", "150"))
# Community archives: what an import accepts (docs/archive-format.md).
KINWELL_ARCHIVE_MAX_BYTES = int(
    os.environ.get("KINWELL_ARCHIVE_MAX_BYTES", str(1024 * 2**20))
)
KINWELL_ARCHIVE_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("KINWELL_ARCHIVE_MAX_UNCOMPRESSED_BYTES", str(8 * 2**30))
)
KINWELL_ARCHIVE_MAX_RATIO = int(os.environ.get("KINWELL_ARCHIVE_MAX_RATIO", "100"))
KINWELL_ARCHIVE_MAX_ENTRIES = int(os.environ.get("KINWELL_ARCHIVE_MAX_ENTRIES", "1000"))
KINWELL_ARCHIVE_MAX_MEDIA_BYTES = int(
    os.environ.get("KINWELL_ARCHIVE_MAX_MEDIA_BYTES", str(10 * 2**20))
)
KINWELL_API_TOKEN_PREFIX = "kw_"  # noqa: S105 - a prefix, not a secret

# Moderation: where to find help, shown beside a post flagged as a risk of
# self-harm (docs/moderation.md). A JSON list of {"name", "contact", "url"}.
import json  # noqa: E402

DEFAULT_SUPPORT_RESOURCES = [
    {
        "name": "Samaritans, any time, day or night",
        "contact": "116 123 (free)",
        "url": "https://www.samaritans.org/",
    },
    {
        "name": "NHS 111, urgent help for your physical or mental health",
        "contact": "111",
        "url": "https://111.nhs.uk/",
    },
    {
        "name": "Emergency services, if a life is at risk now",
        "contact": "999",
        "url": "",
    },
]


def support_resources_from_env() -> list[dict[str, str]]:
    raw = os.environ.get("KINWELL_SUPPORT_RESOURCES", "").strip()
    if not raw:
        return DEFAULT_SUPPORT_RESOURCES
    try:
        found: Any = json.loads(raw)
    except ValueError:
        found = None  # refused just below, with the message saying what to write
    fields = {"name", "contact", "url"}
    if not (
        isinstance(found, list)
        and all(
            isinstance(item, dict)
            and set(item) <= fields
            and "name" in item
            and all(isinstance(value, str) for value in item.values())
            for item in found
        )
    ):
        raise ImproperlyConfigured(
            'KINWELL_SUPPORT_RESOURCES must be a JSON list of {"name", "contact", '
            '"url"} objects whose values are strings.'
        )
    return [{field: item.get(field, "") for field in sorted(fields)} for item in found]


KINWELL_SUPPORT_RESOURCES = support_resources_from_env()

# Benchmark: `kinwell bench` turns this on in the server it starts, to serve
# its floor page at /bench/floor (docs/performance.md). Off, the URL does not exist.
KINWELL_BENCH_FLOOR = env_bool("KINWELL_BENCH_FLOOR")

# Care stories: a responder's replies wait for a moderator until this many of
# theirs have been published; after that they are published at once.
KINWELL_STORY_REPLY_TRUST = int(os.environ.get("KINWELL_STORY_REPLY_TRUST", "3"))
