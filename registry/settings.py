"""Settings for Samverkansregistret.

Everything that differs between a laptop and a production server comes from the environment,
so that one settings module serves both (twelve-factor style).
"""

import os
import re
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} ska vara ett heltal, inte {value!r}.") from exc
    # Refused at start, not at the first request: a zero or negative timeout would otherwise
    # pass `check --deploy` and leave the cache "unreachable" for good.
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} ska vara minst {minimum}, inte {number}.")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY är inte satt. Sätt en lång slumpmässig nyckel i miljön, "
            "eller DJANGO_DEBUG=true för lokal utveckling."
        )
    # Only reachable with DEBUG on: a fixed, obviously unsafe key for local development.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

# The registry's public address: scheme, host and port if not the default, no path. Every
# absolute link (language alternates, API `url` fields, sitemap, Atom, OCDS, CSV, robots.txt)
# starts with it, never with the Host header a client sent.
REGISTRY_BASE_URL = os.environ.get("REGISTRY_BASE_URL", "http://127.0.0.1:8000").strip().rstrip("/")
# Production must say it: the default would send every published link to 127.0.0.1 (a deploy
# check error, agreements/checks.py).
REGISTRY_BASE_URL_IS_SET = bool(os.environ.get("REGISTRY_BASE_URL", "").strip())
if not re.fullmatch(r"https?://[^/?#\s]+", REGISTRY_BASE_URL):
    raise ImproperlyConfigured(
        f"REGISTRY_BASE_URL ska vara en adress som https://samverkan.example.se, utan sökväg, "
        f"inte {REGISTRY_BASE_URL!r}."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # django.contrib.admin with the registry's own site (grouped by task) as admin.site.
    "agreements.admin_apps.RegistryAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "simple_history",
    # django-axes, with a Swedish name for its admin section.
    "agreements.admin_apps.RegistryAxesConfig",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "agreements",
    "agreements.pagecache",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag, Last-Modified, 304s and Cache-Control (agreements/http_caching.py): outside the
    # session and locale middleware, whose Vary headers it decides on.
    "agreements.http_caching.HttpCachingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything that queries: PostgreSQL cannot hold a NUL byte (a 500, not a 400).
    "agreements.middleware.RefuseNulMiddleware",
    # Below the header middleware, so cached responses get fresh security headers too.
    "agreements.cache.PublicPageCacheMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # django-axes wants to be last.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff sign in through the admin; "log in" links (after setting a password) lead there.
LOGIN_URL = "admin:login"
# Lock an account for an hour after five failed logins from the same address.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"


def client_address_settings(trusted_proxies: int) -> dict:
    """django-axes' settings (read through django-ipware) for where the client's address is.

    Each of `trusted_proxies` proxies in front of the app appends the address it was reached
    from to X-Forwarded-For, so the client is the entry that many places from the right;
    anything left of it the client may have forged. With none, only REMOTE_ADDR counts: a
    forged header neither locks someone else out nor lets an attacker evade the lockout.
    """
    if trusted_proxies < 0:
        raise ImproperlyConfigured("DJANGO_TRUSTED_PROXY_COUNT kan inte vara negativt.")
    if trusted_proxies == 0:
        return {"AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"]}
    return {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
        # ipware counts the proxies listed in the header; the first proxy is REMOTE_ADDR.
        "AXES_IPWARE_PROXY_COUNT": trusted_proxies - 1,
        "AXES_IPWARE_PROXY_ORDER": "left-most",
        # Not strict: extra (forged) entries on the left are ignored rather than making
        # ipware fall back to the proxy's own address, which would lock out everyone.
        "IPWARE_STRICT": False,
    }


TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
globals().update(client_address_settings(TRUSTED_PROXY_COUNT))

ROOT_URLCONF = "registry.urls"

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
                "agreements.context_processors.languages",
                "agreements.context_processors.publisher",
            ],
        },
    },
]

WSGI_APPLICATION = "registry.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DJANGO_DB_POOL", default=False
):
    # psycopg's pool replaces persistent connections; Django refuses both at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DJANGO_DB_POOL_MIN", 2),
        "max_size": env_int("DJANGO_DB_POOL_MAX", 10),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("svenska")), ("en", _("engelska"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts the files; a proxy in front serves them from here (deploy/nginx).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "DJANGO_STATICFILES_STORAGE",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
if DEBUG:
    # The manifest only exists after collectstatic; local runs should not need that step.
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"

# The seed documents that citations quote from; stored with the code because they are data.
SEEDS_DIR = BASE_DIR / "seeds"

# --- Uploaded source documents ----------------------------------------------------------------
# Originals go through Django's storage API: local disk by default, S3-compatible object
# storage when DJANGO_S3_BUCKET is set, so that several app servers see the same files. They
# are never served from MEDIA_URL: the public download view streams them as attachments.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", "") or BASE_DIR / "media")
MEDIA_URL = "/media/"
if os.environ.get("DJANGO_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["DJANGO_S3_BUCKET"],
            # Empty for AWS itself; e.g. https://s3.example.se for another S3-compatible store.
            "endpoint_url": os.environ.get("DJANGO_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("DJANGO_S3_REGION") or None,
            "access_key": os.environ.get("DJANGO_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("DJANGO_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("DJANGO_S3_PREFIX", ""),
            # Objects stay private: only the download view reads them, with its own headers.
            "default_acl": "private",
            "querystring_auth": True,
            # Names are content hashes, so an existing object already holds the same bytes.
            "file_overwrite": True,
        },
    }
# Largest source document staff may upload (megabytes). A proxy in front should allow at
# least this much (nginx: client_max_body_size), or it refuses before Django can explain.
SOURCE_UPLOAD_MAX_BYTES = env_int("DJANGO_SOURCE_UPLOAD_MAX_MB", 20) * 1024 * 1024
# Uploads above this size go to a temporary file rather than memory while they are checked.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/")

# Who publishes this registry and how to reach them; shown in every page's footer, on the
# about page and in the accessibility statement (agreements.context_processors.publisher).
# Operators must set the name and address for their own organisation; the web address (the
# publisher's own site) is optional.
REGISTRY_PUBLISHER = os.environ.get("REGISTRY_PUBLISHER", "Samverkansregistret")
REGISTRY_CONTACT_EMAIL = os.environ.get(
    "REGISTRY_CONTACT_EMAIL", "tillganglighet@samverkansregistret.example"
)
REGISTRY_PUBLISHER_URL = os.environ.get("REGISTRY_PUBLISHER_URL", "").strip()

# --- Error reports from the public ----------------------------------------------------------
# At most this many reports per client address and hour (agreements/error_reports.py); more
# are refused with 429. Counted in the database, so every worker and server shares the count.
REGISTRY_REPORTS_PER_HOUR = env_int("REGISTRY_REPORTS_PER_HOUR", 5)

# --- E-mail alerts (agreements/alerts.py) ---------------------------------------------------
# Follow requests accepted per client address and hour (more get 429), confirmation mails sent
# to one address per day (more requests get the same page and no mail), days an unconfirmed
# subscription is kept, and how late the oldest due outbox mail may be before /healthz says
# "degraded".
REGISTRY_ALERTS_PER_HOUR = env_int("REGISTRY_ALERTS_PER_HOUR", 10)
REGISTRY_ALERTS_CONFIRMATIONS_PER_DAY = env_int("REGISTRY_ALERTS_CONFIRMATIONS_PER_DAY", 3)
REGISTRY_ALERTS_UNCONFIRMED_DAYS = env_int("REGISTRY_ALERTS_UNCONFIRMED_DAYS", 7)
REGISTRY_OUTBOX_LATE_MINUTES = env_int("REGISTRY_OUTBOX_LATE_MINUTES", 30)

# "Now" is said only of facts that a dated source confirmed within this many days; older or
# undated facts are shown "as of" their source.
REGISTRY_CONFIRMED_WITHIN_DAYS = env_int("REGISTRY_CONFIRMED_WITHIN_DAYS", 365)

# The bulk download (`manage.py export_bulk`): where the ZIPs and their manifest are written
# (served from there by /oppna-data/registret.zip), and how many ZIPs to keep.
REGISTRY_EXPORT_DIR = Path(
    os.environ.get("REGISTRY_EXPORT_DIR", "") or BASE_DIR / "var" / "exports"
)
REGISTRY_EXPORT_KEEP = max(1, env_int("REGISTRY_EXPORT_KEEP", 3))
# Processes that write the export's parts at once (PostgreSQL only; SQLite writes them in one).
REGISTRY_EXPORT_WORKERS = max(1, env_int("REGISTRY_EXPORT_WORKERS", os.cpu_count() or 1))

# --- Security -------------------------------------------------------------------------------
# Safe by default: without DEBUG, cookies are secure and plain HTTP is redirected to HTTPS.
# Behind a TLS-terminating proxy set DJANGO_BEHIND_PROXY=true so the proxy's header is trusted.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The error report form is the one public page that sets a cookie (its CSRF token): gone when
# the browser closes, not kept for a year, as the about page says.
CSRF_COOKIE_AGE = None
# A refused CSRF token (blocked cookies, a form left open too long) shows the site's own page
# in the reader's language, and the report form keeps what was typed.
CSRF_FAILURE_VIEW = "agreements.report_views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
# Staff sessions end after eight hours, and when the browser closes.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Time with its UTC offset, level and logger on every line, so that an operator can find
    # and filter warnings such as the page cache's ("agreements.cache").
    "formatters": {
        "plain": {
            "()": "registry.log.ZonedFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # axes logs every successful login at INFO; lockouts are WARNING and still show.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Mail ------------------------------------------------------------------------------------
# New editors get a link to choose their password by e-mail. Without DJANGO_EMAIL_HOST a
# development server (DEBUG) prints mails to its console instead of sending them.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG and not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "Sätt DJANGO_EMAIL_USE_TLS (STARTTLS, oftast port 587) eller DJANGO_EMAIL_USE_SSL "
        "(oftast port 465), inte båda."
    )
# Seconds before a mail server that does not answer counts as down (Django waits forever).
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "Samverkansregistret <noreply@samverkansregistret.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How long the link in an invitation (Django's password-reset link) stays valid.
PASSWORD_RESET_TIMEOUT = env_int("DJANGO_PASSWORD_LINK_DAYS", 3) * 24 * 60 * 60

# --- Open data -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Public and read-only: no sessions, so no CSRF and no personal data in the API.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_FILTER_BACKENDS": ["agreements.api.rest.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "agreements.api.rest.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "agreements.api.rest.json_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Samverkansregistret API",
    "DESCRIPTION": (
        "Read-only open data on Swedish inter-municipal procurement cooperation: "
        "municipalities, cooperations with parties and staffing history, planned "
        "procurements, sources and verbatim citations. Decimals are strings, dates ISO 8601."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Every operation documents its errors (400, 404, 405, 406) in the one error format.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "agreements.api.rest.fill_database_choices",
        "agreements.api.rest.document_query_rules",
        "agreements.api.rest.document_errors",
        "agreements.api.rest.link_lists_to_records",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CooperationStatusEnum": "agreements.models.Cooperation.Status",
        "ProcurementStatusEnum": "agreements.models.PlannedProcurement.Status",
        "ProposalStatusEnum": "agreements.models.Proposal.Status",
        "AgreementVersionKindEnum": "agreements.models.AgreementVersion.Kind",
        "SourceKindEnum": "agreements.models.SourceDocument.Kind",
        "PartyLevelEnum": "agreements.models.Party.Level",
    },
}
# OCDS ocid prefix: register one with the Open Contracting Partnership before publishing.
OCDS_OCID_PREFIX = os.environ.get("OCDS_OCID_PREFIX", "ocds-samver")
OPEN_DATA_LICENSE_URL = os.environ.get(
    "OPEN_DATA_LICENSE_URL", "https://creativecommons.org/publicdomain/zero/1.0/"
)
# The licence's name, the text of every link to it (set it with the address).
OPEN_DATA_LICENSE_NAME = os.environ.get("OPEN_DATA_LICENSE_NAME", "CC0 1.0 Universal")

# --- Cache ---------------------------------------------------------------------------------
# Public pages are cached only in a cache every worker and server shares: Redis, e.g.
# DJANGO_CACHE_URL=redis://127.0.0.1:6379/1. Without it there is no page cache: a cache per
# process would keep serving a page after another process saved a change.
CACHE_URL = os.environ.get("DJANGO_CACHE_URL", "").strip()
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"DJANGO_CACHE_URL ska vara en Redis-adress som redis://127.0.0.1:6379/1 "
        f"(redis://, rediss:// eller unix://), inte {CACHE_URL!r}."
    )
# A cache that does not answer costs a request at most these many milliseconds (connecting,
# then each read or write); after a failure the cache is left alone for
# DJANGO_CACHE_RETRY_SECONDS and pages come from the database.
CACHE_CONNECT_TIMEOUT_MS = env_int("DJANGO_CACHE_CONNECT_TIMEOUT_MS", 200, minimum=1)
CACHE_TIMEOUT_MS = env_int("DJANGO_CACHE_TIMEOUT_MS", 500, minimum=1)
# At least a second: without the pause every request would wait out a hanging cache again.
PAGE_CACHE_RETRY_SECONDS = env_int("DJANGO_CACHE_RETRY_SECONDS", 30, minimum=1)


def redis_cache(url):
    """The shared cache at `url`, bounded by the timeouts above (redis-py waits 5 s otherwise;
    Django's pool passes these options to each connection, which does not retry by itself)."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "socket_connect_timeout": CACHE_CONNECT_TIMEOUT_MS / 1000,
            "socket_timeout": CACHE_TIMEOUT_MS / 1000,
        },
    }


if CACHE_URL:
    CACHES = {"default": redis_cache(CACHE_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public pages: cached until the next change of the registry, at most this long.
PAGE_CACHE_SECONDS = env_int("DJANGO_PAGE_CACHE_SECONDS", 300, minimum=0) if CACHE_URL else 0

# What browsers and shared proxies may do with anonymous public responses (agreements/
# http_caching.py): keep them this many seconds, then serve the kept copy for at most this many
# more while they fetch a fresh one. A change reaches everyone within the sum.
HTTP_MAX_AGE = env_int("DJANGO_HTTP_MAX_AGE", 60)
HTTP_STALE_WHILE_REVALIDATE = env_int("DJANGO_HTTP_STALE_WHILE_REVALIDATE", 30)
