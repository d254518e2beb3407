"""Settings for 安全守护, read from the environment.

Every value comes through one of the small helpers below, which raise on a value they
cannot read: a typo in production should stop the process, not fall back silently.
"""

import base64
import binascii
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required")
    return value


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false)")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "0")
# A development key is only acceptable while DEBUG is on; production must set its own.
SECRET_KEY = envstr("SECRET_KEY", "dev-only-insecure-key-do-not-deploy" if DEBUG else None)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
# The reverse proxies (addresses or networks, e.g. 10.0.0.5,10.1.0.0/16) whose
# X-Forwarded-For is believed; see accounts.audit.client_ip. Empty: REMOTE_ADDR only.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", "")

# Behind TLS (HTTPS=1): redirect plain HTTP, secure cookies, HSTS. The load balancer's
# /healthz probe over the private network is answered before any redirect (ops/middleware.py).
HTTPS = envbool("HTTPS", "0")
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", "31536000") if HTTPS else 0
# Only for a domain all of whose subdomains are HTTPS; set 0 otherwise (check --deploy warns).
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", "1") and HTTPS
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", "1") and HTTPS
# Only when told: a TLS-terminating proxy that sets X-Forwarded-Proto itself (and strips
# the client's). Believing the header otherwise lets any client claim HTTPS.
if envbool("PROXY_SETS_X_FORWARDED_PROTO", "0"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI's files for /api/docs/, served by the app itself (air-gapped intranet).
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "django_htmx",
    "core",
    "accounts",
    "tabular",
    "onboarding",
    "institutions",
    "campaign",
    "selfcheck",
    "inspections",
    "sampling",
    "clock",
    "progress",
    "personnel",
    "fees",
    "complaints",
    "enforcement",
    "reporting",
    "portal",
    "ops",
    "api",
]

MIDDLEWARE = [
    # Outermost: the load balancer's probe needs no host check, session or redirect; every
    # other request gets its id and one log line (ops/middleware.py).
    "ops.middleware.HealthCheckMiddleware",
    "ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A control character or NUL in the path, query or form values: a Chinese 400 before
    # any view or form sees it (ops/middleware.py); after the locale, for the message.
    "ops.middleware.InputCheckMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
    # A password someone else chose is changed before anything else (accounts/middleware.py).
    "accounts.middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# The demo runs on a SQLite file so it needs nothing but Python; tests and production
# run on PostgreSQL (make test sets DATABASE_URL).
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'demo.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "60"),
        # A kept connection is tested before each request reuses it, so after PostgreSQL
        # restarts the next request reconnects instead of failing (ops/errors.py: 503 meanwhile).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable database costs a request seconds, not the kernel's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = envint(
        "DATABASE_CONNECT_TIMEOUT", "5"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]

# Accounts: 5 failures lock the user name for 30 minutes; idle sessions end after 30.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locking by IP too would lock out a whole county office behind one NAT address after
# five typos by five people; the requirement is a per-account lock.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
# A retry during the lock must not extend it, or anyone could keep an account locked.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "1" if HTTPS else "0")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp): scripts and styles only from our own static files,
# no inline <script>, on*= handler, style="" attribute or eval anywhere (templates and
# static/js keep to it; tests/ops/test_ops_deploy.py checks every template and
# tests/ops/test_ops_csp_browser.py the pages in Chromium). data: images are Bootstrap's SVG icons in its CSS; blob: the phone form's
# photo previews before upload. No outside host at all.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "media")))
# Each uploaded PDF is read in a child process allowed 768 MB (tabular/
# pdf_check.py). A web process runs at most PDF_CHECK_SLOTS of them at once (its threads
# share them); an upload that waits longer than PDF_CHECK_WAIT_SECONDS for one is asked to
# try again, and all the PDFs of one request share PDF_CHECK_REQUEST_SECONDS.
PDF_CHECK_SLOTS = envint("PDF_CHECK_SLOTS", "2")
PDF_CHECK_WAIT_SECONDS = envint("PDF_CHECK_WAIT_SECONDS", "5")
PDF_CHECK_REQUEST_SECONDS = envint("PDF_CHECK_REQUEST_SECONDS", "30")
if PDF_CHECK_SLOTS < 1 or PDF_CHECK_WAIT_SECONDS < 0 or PDF_CHECK_REQUEST_SECONDS < 1:
    raise ImproperlyConfigured(
        "PDF_CHECK_SLOTS and PDF_CHECK_REQUEST_SECONDS must be at least 1, "
        "PDF_CHECK_WAIT_SECONDS at least 0"
    )
# Production serves hashed, compressed files (collectstatic first). The demo and the test
# live server serve straight from the source folders, where hashed names do not exist.
STATIC_MANIFEST = envbool("STATIC_MANIFEST", "0" if DEBUG else "1")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (the demo, the tests) whitenoise serves from the finders.
WHITENOISE_USE_FINDERS = True

REDIS_URL = os.environ.get("REDIS_URL", "")


def _redis_for_test_worker(url: str) -> str:
    """`make test` runs the suite in two pytest-xdist workers; each gets its own test database
    (pytest-django's `_gw0` suffix) and here its own Redis database, the one after the given one
    per worker, so one worker's Celery worker never takes the other's task and per-IP limits,
    lock-outs and kept copies never meet. The shifted URL is written back with a mark, so the
    worker and beat processes the tests start (which inherit the environment) do not shift
    again."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (url and worker.startswith("gw")) or os.environ.get("REDIS_URL_PER_TEST_WORKER"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    shifted = urlunsplit(parts._replace(path=f"/{(base + 1 + int(worker[2:])) % 16}"))
    os.environ["REDIS_URL"] = shifted
    os.environ["REDIS_URL_PER_TEST_WORKER"] = "1"
    return shifted


REDIS_URL = _redis_for_test_worker(REDIS_URL)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that drops packets costs a request two seconds, not a hung worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background jobs. With Redis the broker is Redis. Without it (the demo) Celery uses
# kombu's filesystem transport under var/celery, so the real worker and beat still run
# with nothing installed beyond Python.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _queue_dir = BASE_DIR / "var" / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # Exchange bindings; kombu's default is ./control beside wherever Celery started.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task taken by a worker that then died unannounced (SIGKILL, lost host) goes back
        # to the queue after this many seconds; longer than any task's run (acks late).
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", "3600"),
        # A Redis that is down or unreachable must cost a request a moment, not hang it.
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }
# Publishing from a request (after its commit) gives up quickly when the broker is down: the
# e-mails it asked for are rows of the outbox (accounts/outbox.py) and a sweep sends them.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

REST_FRAMEWORK = {
    # Token first so an anonymous API call gets 401 with a WWW-Authenticate header. Tokens
    # are stored as SHA-256 digests (api/services.py), not DRF's plaintext authtoken keys.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api_permissions.ScopePermission"],
    # `page_size` up to 200 (core/api/pagination.py); every view names its `ordering_fields`.
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON read with limits (depth, finite numbers, no NUL): a 400 in Chinese, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "api.parsers.FormParser",
        "api.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "accounts.api_permissions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "安全守护 API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "DESCRIPTION": "校外培训安全专项行动的数据接口。认证：请求头 `Authorization: Token <令牌>`"
    "（在“API 令牌”页面创建），或已登录的会话。数据范围与页面相同。",
    # Request bodies get components of their own: only the fields a client may send.
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` (or `category`, `outcome`): one clear name for each set.
    "ENUM_NAME_OVERRIDES": {
        "InstitutionStatusEnum": "institutions.models.Institution.Status",
        "InstitutionCategoryEnum": "institutions.models.Institution.Category",
        "InspectionStatusEnum": "inspections.models.Inspection.Status",
        "FindingStatusEnum": "inspections.models.Finding.Status",
        "DrawStatusEnum": "sampling.models.Draw.Status",
        "BackgroundCheckStatusEnum": "personnel.models.BackgroundCheck.Status",
        "BackgroundCheckOutcomeEnum": "personnel.models.BackgroundCheck.Outcome",
        "DisqualificationCategoryEnum": "personnel.models.Category",
        "DismissalStatusEnum": "personnel.models.Dismissal.Status",
        "FeeViolationStatusEnum": "fees.models.FeeViolation.Status",
        "CaseStatusEnum": "complaints.models.Case.Status",
        "ComplaintCategoryEnum": "complaints.models.Category",
        "ReferralOutcomeEnum": "complaints.models.Referral.Outcome",
        "NotificationKindEnum": "accounts.models.Notification.Kind",
        # The six departments, and the five that write a part of a city's summary.
        "DepartmentEnum": "accounts.roles.Department",
        "SummarySectionDepartmentEnum": "accounts.roles.SUMMARY_SECTION_DEPARTMENTS",
    },
}

# Staff ID numbers (PIPL) are encrypted at rest (core/crypto.py). STAFF_ID_KEYS: Fernet
# keys, comma-separated, newest first (rotation: put a new key first, run
# `manage.py rotate_staff_keys`, then drop the old one). STAFF_ID_HASH_KEY: the HMAC key of
# the lookup hash. Production refuses to start without both; only DEBUG and test runs
# (pytest sets PYTEST_VERSION) derive throw-away keys from SECRET_KEY. `make demo` writes
# its own keys to var/.
_DERIVE_STAFF_KEYS = DEBUG or "PYTEST_VERSION" in os.environ
STAFF_ID_KEYS = envlist("STAFF_ID_KEYS", "")
STAFF_ID_HASH_KEY = envstr("STAFF_ID_HASH_KEY", "")
if not STAFF_ID_KEYS or not STAFF_ID_HASH_KEY:
    if not _DERIVE_STAFF_KEYS:
        raise ImproperlyConfigured(
            "STAFF_ID_KEYS and STAFF_ID_HASH_KEY are required (development: DEBUG=1 derives"
            " throw-away keys)"
        )

    def _derived(label: str) -> bytes:
        return hashlib.sha256(f"{label}:{SECRET_KEY}".encode()).digest()

    STAFF_ID_KEYS = STAFF_ID_KEYS or [
        base64.urlsafe_b64encode(_derived("staff-id-fernet")).decode()
    ]
    STAFF_ID_HASH_KEY = STAFF_ID_HASH_KEY or _derived("staff-id-hash").hex()
for _key in STAFF_ID_KEYS:
    try:
        _raw = base64.urlsafe_b64decode(_key.encode())
    except (binascii.Error, ValueError):
        _raw = b""
    if len(_raw) != 32:
        raise ImproperlyConfigured("STAFF_ID_KEYS holds a value that is not a Fernet key")
if len(STAFF_ID_HASH_KEY) < 32:
    raise ImproperlyConfigured("STAFF_ID_HASH_KEY must be at least 32 characters")

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "anquan@localhost")
# A hung mail server must fail a send well inside the outbox's claim (accounts/outbox.py
# LEASE, 5 minutes); smtplib's default is to wait forever and the row would go out twice.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "30")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (tests of real workers).
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))

# Logs: one JSON object per line on stderr (core/logs.py), for the log collector of each
# host. Every record passes the privacy filter first: no ID numbers, phone numbers or
# query strings; requests are logged by ops.middleware.RequestLogMiddleware with the user's
# id, never the name. LOG_FORMAT=text gives plain lines for a developer's terminal.
LOG_FORMAT = envstr("LOG_FORMAT", "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "privacy": {"()": "core.logs.PrivacyFilter"},
        "request_id": {"()": "core.logs.RequestIdFilter"},
    },
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "privacy"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # Django's own handlers for these would bypass the filter (runserver's request lines
    # carry the query string): send them through the same one.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# Celery workers keep this configuration instead of installing their own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
