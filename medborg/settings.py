"""Django settings for Medborg, read only from the environment (see medborg/env.py)."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from medborg import env
from medborg.municipality import country_for_code, time_zone_for_country

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = env.is_production()
DEBUG = not PRODUCTION

SECRET_KEY = env.value("SECRET_KEY") or (
    "django-insecure-development-only-key-never-used-in-production-0123456789"
)
ALLOWED_HOSTS = env.as_list("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "medborg.accounts",
    "medborg.processes",
    "medborg.catalog",
    "medborg.cases",
    "medborg.rules",
    "medborg.sensors",
    "medborg.routing",
    "medborg.opendata",
    "medborg.api",
    "medborg.open311",
    "medborg.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "medborg.urls"
WSGI_APPLICATION = "medborg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "medborg.web.context_processors.municipality",
            ],
        },
    },
]

# Databases ---------------------------------------------------------------------------

DATABASES = {"default": env.database("DATABASE_URL", BASE_DIR / "db.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent submissions queue
    # instead of failing with "database is locked" half-way; WAL lets readers
    # carry on while one writer works.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Opening an SQLite connection (and its PRAGMAs) costs about a millisecond.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    # A file, not shared-cache memory, so that tests see SQLite's real locking.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".pytest-db.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache -----------------------------------------------------------------------------

if env.value("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.value("REDIS_URL"),
            "KEY_PREFIX": "medborg",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Authentication ----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "medborg.accounts.backends.StaffBackend",
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:start"
LOGOUT_REDIRECT_URL = "staff:login"
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
    {"NAME": "medborg.accounts.backends.NotTheDemoPasswordValidator"},
]

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The proxy's address would make the lockout per username only, letting anyone
# lock any staff member out; use the client's address behind trusted proxies.
AXES_CLIENT_IP_CALLABLE = "medborg.web.client.client_ip"

# Internationalisation ----------------------------------------------------------------

MUNICIPALITY_CODE = env.value("MEDBORG_MUNICIPALITY_CODE")
MUNICIPALITY_COUNTRY = country_for_code(MUNICIPALITY_CODE)

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("da", _("Danish")), ("en", _("English"))]
MODELTRANSLATION_DEFAULT_LANGUAGE = "sv"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("sv", "en", "da")
LOCALE_PATHS = [BASE_DIR / "medborg" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = time_zone_for_country(MUNICIPALITY_COUNTRY)
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Static files and uploads ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.value("MEDBORG_STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_ROOT = Path(env.value("MEDBORG_MEDIA_ROOT") or BASE_DIR / "media")
# Uploads are private (photos may show people); views stream them after a check.
MEDIA_URL = "/media-not-served/"
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
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Mail --------------------------------------------------------------------------------

vars().update(env.email("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.value("DEFAULT_FROM_EMAIL")
# A stuck mail server must not hold a web process until the proxy gives up.
EMAIL_TIMEOUT = 10
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CITIZEN_MAIL_INTERVAL_MINUTES = env.as_int("MEDBORG_CITIZEN_MAIL_INTERVAL")
MAIL_ATTEMPTS = env.as_int("MEDBORG_MAIL_ATTEMPTS")

# Background work ---------------------------------------------------------------------

# Tasks are rows in the database, run by `manage.py db_worker` processes; web
# processes only enqueue them (after commit), so a slow mail server or a stopped
# worker never delays a page. Tests use the same backend: its tables are migrated.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail"],
    }
}

# Security ----------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Load balancers probe /healthz over plain HTTP on the internal network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.as_bool("MEDBORG_HSTS_PRELOAD")
    CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS]


def _tile_host(url):
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


MAP_TILE_URL = env.value("MEDBORG_MAP_TILE_URL")
MAP_ATTRIBUTION = env.value("MEDBORG_MAP_ATTRIBUTION")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Leaflet positions tiles and markers with inline style attributes.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"]
        + ([_tile_host(MAP_TILE_URL)] if _tile_host(MAP_TILE_URL) else []),
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "medborg.web.views.too_many_requests"
RATELIMIT_IP_META_KEY = "medborg.web.client.client_ip"
# Without Redis each process counts on its own: acceptable in development only
# (production requires REDIS_URL).
SILENCED_SYSTEM_CHECKS = [] if PRODUCTION else ["django_ratelimit.W001"]

# Medborg -----------------------------------------------------------------------------


def _host(url):
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""


MUNICIPALITY_NAME = env.value("MEDBORG_MUNICIPALITY_NAME")
BASE_URL = env.value("MEDBORG_BASE_URL").rstrip("/")
REFERENCE_PREFIX = env.reference_prefix("MEDBORG_REFERENCE_PREFIX")
OPEN_DATA_MIN_COUNT = env.as_int("MEDBORG_OPEN_DATA_MIN_COUNT")
OPEN_DATA_LICENCE = env.value("MEDBORG_OPEN_DATA_LICENCE")
if OPEN_DATA_LICENCE not in {"CC0-1.0", "CC-BY-4.0"}:
    raise ImproperlyConfigured(
        "MEDBORG_OPEN_DATA_LICENCE must be CC0-1.0 or CC-BY-4.0, "
        f"not {OPEN_DATA_LICENCE!r}"
    )
BOUNDARY_FILE = Path(
    env.value("MEDBORG_BOUNDARY_FILE")
    or BASE_DIR / "medborg" / "catalog" / "demo" / "boundary.geojson"
)
MAP_CENTER = [float(part) for part in env.value("MEDBORG_MAP_CENTER").split(",")]
TRACK_GUESS_RATE = env.value("MEDBORG_TRACK_GUESS_RATE")
SUBMIT_RATE = env.value("MEDBORG_SUBMIT_RATE")
PROXY_COUNT = env.as_int("MEDBORG_PROXY_COUNT")
DUPLICATE_RADIUS_METRES = env.as_int("MEDBORG_DUPLICATE_RADIUS")
DUPLICATE_WINDOW_DAYS = env.as_int("MEDBORG_DUPLICATE_WINDOW")
DUE_SOON_WORKING_DAYS = env.as_int("MEDBORG_DUE_SOON")
PROTECTED_CHARACTERISTICS = env.as_list("MEDBORG_PROTECTED_INPUTS")
API_KEY_RATE = env.value("MEDBORG_API_KEY_RATE")
MQTT_URL = env.value("MQTT_URL")
MQTT_TOPICS = env.as_list("MEDBORG_MQTT_TOPICS")
MQTT_CLIENT_ID = env.value("MEDBORG_MQTT_CLIENT_ID")
MQTT_SHARE_GROUP = env.value("MEDBORG_MQTT_SHARE_GROUP")
INGEST_BATCH = env.as_int("MEDBORG_INGEST_BATCH")
INGEST_FLUSH_MS = env.as_int("MEDBORG_INGEST_FLUSH_MS")
SENSOR_SILENCE_HOURS = env.as_int("MEDBORG_SENSOR_SILENCE_HOURS")
READINGS_RAW_DAYS = env.as_int("MEDBORG_READINGS_RAW_DAYS")
BIN_REPORT_RADIUS_METRES = env.as_int("MEDBORG_BIN_REPORT_RADIUS")
OSRM_URL = env.value("OSRM_URL").rstrip("/")
ROAD_FACTOR = env.as_float("MEDBORG_ROAD_FACTOR")
TRUCK_SPEED_KMH = env.as_int("MEDBORG_TRUCK_SPEED_KMH")
STOP_SECONDS = env.as_int("MEDBORG_STOP_SECONDS")
PLAN_SECONDS = env.as_int("MEDBORG_PLAN_SECONDS")
OPEN311_JURISDICTION = env.value("MEDBORG_OPEN311_JURISDICTION") or (_host(BASE_URL))

# API ---------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "medborg.api.authentication.ApiKeyAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["medborg.api.permissions.HasScope"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "medborg.api.pagination.StablePagination",
    "DEFAULT_VERSIONING_CLASS": None,
    "EXCEPTION_HANDLER": "medborg.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Medborg API",
    "DESCRIPTION": (
        "Public, read-only access to the service catalog and public cases; with a "
        "key, creating and following cases. See docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "filters": {"tokens": {"()": "medborg.web.logging.HideTrackingTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "medborg": {
            "handlers": ["console"],
            "level": env.value("MEDBORG_LOG_LEVEL").upper(),
            "propagate": False,
        }
    },
}
