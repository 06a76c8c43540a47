"""flowhub settings, read from the environment (12-factor).

The defaults give the embedded mode (SQLite, local files, a filesystem broker under
FLOWHUB_DATA_DIR); DATABASE_URL, CELERY_BROKER_URL and FLOWHUB_STORAGE switch to the
distributed one. Nothing else in the code knows which mode it runs in.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_choice, env_int, env_list, env_networks, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("FLOWHUB_DATA_DIR", str(BASE_DIR / ".flowhub"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """FLOWHUB_SECRET_KEY, or a random key kept in DATA_DIR (one machine only; see docs/operations.md)."""
    configured = env_str("FLOWHUB_SECRET_KEY", "")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
SECRET_KEY_FROM_ENV = bool(env_str("FLOWHUB_SECRET_KEY", ""))
# Former keys: they still verify sessions and decrypt secrets until `manage.py rotate_secrets` has run.
SECRET_KEY_FALLBACKS = env_list("FLOWHUB_SECRET_KEY_FALLBACKS", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "flowhub.apps.FlowhubConfig",
    "access",
    "audit",
    "namespaces",
    "executions",
    "kv",
    "notifications",
]

# The trace id first and the request log next, so that every response and log line has the id; CORS before
# anything that may answer on its own (an HTTPS redirect, a static file), so that such answers have its headers.
MIDDLEWARE = [
    "flowhub.api.middleware.RequestIdMiddleware",
    "flowhub.api.throttles.RateLimitHeadersMiddleware",
    "flowhub.api.middleware.RequestLogMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.actors.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "flowhub.urls"
WSGI_APPLICATION = "flowhub.wsgi.application"
ASGI_APPLICATION = "flowhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes share the file: WAL lets readers run beside the writer, IMMEDIATE takes
    # the write lock up front so two writers queue instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Storage: namespace and execution files (DESIGN.md §8).
FLOWHUB_STORAGE = env_choice("FLOWHUB_STORAGE", "local", ("local", "s3"))
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("FLOWHUB_STATIC_ROOT", str(DATA_DIR / "static")))
if FLOWHUB_STORAGE == "s3":
    from boto3.s3.transfer import TransferConfig

    # boto3's default holds up to 10 parts of 8 MiB in memory per upload; 4 keeps an upload near 32 MiB.
    _transfer = TransferConfig(max_concurrency=4, multipart_chunksize=8 * 1024 * 1024)
    _transfer.max_in_memory_upload_chunks = 4
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME", "flowhub"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "location": env_str("AWS_LOCATION", ""),
            "file_overwrite": True,
            "default_acl": None,
            "transfer_config": _transfer,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "storage")},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Production hardening (python manage.py check --deploy); see docs/operations.md.
# Behind a proxy, Django believes its X-Forwarded-Proto and the rate limits its X-Forwarded-For.
FLOWHUB_BEHIND_TLS_PROXY = env_bool("FLOWHUB_BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if FLOWHUB_BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = env_bool("FLOWHUB_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("FLOWHUB_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("FLOWHUB_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# A year of HSTS with includeSubDomains is what the browsers' preload lists ask for; such a site says
# `preload` too unless FLOWHUB_HSTS_PRELOAD=false (check --deploy then warns, security.W021).
SECURE_HSTS_PRELOAD = env_bool("FLOWHUB_HSTS_PRELOAD", SECURE_HSTS_SECONDS >= 365 * 24 * 3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Django's defaults stay: Referrer-Policy same-origin, an HttpOnly session cookie, PBKDF2 passwords. The CSRF
# cookie is not HttpOnly: nothing gains from it, since the admin's forms carry the token themselves.
CSRF_FAILURE_VIEW = "flowhub.api.views.csrf_failure"

# CORS (django-cors-headers), for the API only: no origin is allowed unless listed.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOWED_ORIGINS = env_list("FLOWHUB_CORS_ALLOWED_ORIGINS", "")
CORS_ALLOW_CREDENTIALS = env_bool("FLOWHUB_CORS_ALLOW_CREDENTIALS", False)
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key", "last-event-id", "x-request-id")
CORS_EXPOSE_HEADERS = [
    "X-Request-ID", "X-Total-Count", "Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
    "Retry-After",
]  # fmt: skip

# Request limits (DESIGN.md §5 rule 5).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("FLOWHUB_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)
FLOWHUB_MAX_UPLOAD_BYTES = env_int("FLOWHUB_MAX_UPLOAD_BYTES", 100 * 1024 * 1024, minimum=1024)
# Previous revisions kept per namespace file, besides the current one.
FLOWHUB_FILE_VERSIONS = env_int("FLOWHUB_FILE_VERSIONS", 10, minimum=0)
FLOWHUB_KV_MAX_VALUE_BYTES = env_int("FLOWHUB_KV_MAX_VALUE_BYTES", 1024 * 1024, minimum=1)
# The longest a `wait=true` trigger holds its request open, and its default.
FLOWHUB_MAX_WAIT_SECONDS = env_int("FLOWHUB_MAX_WAIT_SECONDS", 300, minimum=1)
FILE_UPLOAD_HANDLERS = ["flowhub.api.uploads.BoundedUploadHandler"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: DRF takes the WWW-Authenticate challenge of a 401 from the first class (see docs/access.md).
        "flowhub.api.authentication.TokenAuthentication",
        "flowhub.api.authentication.CachedBasicAuthentication",
        "flowhub.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "flowhub.api.permissions.NamespaceRole",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "flowhub.api.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["flowhub.api.throttles.ApiThrottle"],
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
}

# Rate limits (docs/access.md, "Rate limits"): requests per caller, per webhook key, per login name and address.
FLOWHUB_RATE_LIMIT = env_rate("FLOWHUB_RATE_LIMIT", "1200/min")
FLOWHUB_WEBHOOK_RATE_LIMIT = env_rate("FLOWHUB_WEBHOOK_RATE_LIMIT", "600/min")
FLOWHUB_LOGIN_RATE_LIMIT = env_rate("FLOWHUB_LOGIN_RATE_LIMIT", "10/min")


def _caches(url: str) -> dict[str, dict[str, object]]:
    """The rate limits' counters live in the cache: this process's memory unless FLOWHUB_CACHE_URL names a Redis
    that every web process shares (with several web processes, each would otherwise count on its own)."""
    if not url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                # Past MAX_ENTRIES the cache drops a third of its keys, counters included: keep that far away.
                "OPTIONS": {"MAX_ENTRIES": 100_000},
            }
        }
    if url.startswith(("redis://", "rediss://", "unix://")):
        # A Redis shared with the broker or other programs: flowhub's keys all start with `flowhub:`.
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "flowhub",
            }
        }
    raise ImproperlyConfigured(f"FLOWHUB_CACHE_URL={url!r} must be empty or a redis://, rediss:// or unix:// URL")


CACHES = _caches(env_str("FLOWHUB_CACHE_URL", ""))

SPECTACULAR_SETTINGS = {
    "TITLE": "flowhub API",
    "DESCRIPTION": "Namespaced workflows with Kestra's model and wire API.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1/main",
    "PREPROCESSING_HOOKS": ["flowhub.api.schema.document_tenant_paths_only"],
}

# Celery (DESIGN.md §5 rule 4): at-least-once delivery; PostgreSQL holds the state.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "executor"
CELERY_TASK_ROUTES = {"executions.run_task": {"queue": "worker"}}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Keep database connections across tasks: CONN_MAX_AGE decides when they close (flowhub.celery).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BEAT_SCHEDULE = {
    "sweep-stalled-work": {"task": "executions.sweep", "schedule": timedelta(seconds=10)},
    "reap-lost-workers": {"task": "executions.reap", "schedule": timedelta(seconds=10)},
    "purge-expired-kv": {"task": "kv.purge_expired", "schedule": timedelta(minutes=1)},
    # Schedules fire within a second of their time; a tick nobody took in 10 s is dropped, not piled up.
    "fire-due-schedules": {
        "task": "executions.schedule_tick",
        "schedule": timedelta(seconds=1),
        "options": {"expires": 10},
    },
    "sweep-notification-deliveries": {"task": "notifications.sweep", "schedule": timedelta(seconds=10)},
    "purge-notification-deliveries": {"task": "notifications.purge", "schedule": timedelta(hours=1)},
    "purge-audit-log": {"task": "audit.purge", "schedule": timedelta(hours=1)},
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "flowhub.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.01,
    }
else:
    # Above the longest task wall time, so a slow task is never redelivered while it runs.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 12 * 3600}

# Who `manage.py serve` creates as the first superuser, if missing.
FLOWHUB_ADMIN_USER = env_str("FLOWHUB_ADMIN_USER", "")
FLOWHUB_ADMIN_PASSWORD = env_str("FLOWHUB_ADMIN_PASSWORD", "")
FLOWHUB_WORKER_CONCURRENCY = env_int("FLOWHUB_WORKER_CONCURRENCY", 2, minimum=1)
# A running attempt heartbeats six times per lease; one silent for a whole lease counts as worker lost.
FLOWHUB_TASK_LEASE_SECONDS = env_int("FLOWHUB_TASK_LEASE_SECONDS", 30, minimum=6)
# How many Subflow executions deep a chain may go: a flow calling itself through another stops there.
FLOWHUB_MAX_SUBFLOW_DEPTH = env_int("FLOWHUB_MAX_SUBFLOW_DEPTH", 10, minimum=1)

# A Schedule's time missed by more than this (the scheduler was down) is skipped unless the trigger's
# backfill or recoverMissedSchedules asks for it; its `lateMaximumDelay` replaces it.
FLOWHUB_SCHEDULE_LATENESS_SECONDS = env_int("FLOWHUB_SCHEDULE_LATENESS_SECONDS", 60, minimum=1)
# How many executions one scheduler tick (every second) starts at most; the rest wait for the next tick.
FLOWHUB_SCHEDULE_FIRES_PER_TICK = env_int("FLOWHUB_SCHEDULE_FIRES_PER_TICK", 100, minimum=1)

# Log lines one task attempt may store; past it a WARN line says so and the rest are dropped.
FLOWHUB_MAX_LOG_BYTES_PER_RUN = env_int("FLOWHUB_MAX_LOG_BYTES_PER_RUN", 1024 * 1024, minimum=1024)

# Live streams (docs/streams.md): how often the follow hub looks, the keepalive comment's period, how long
# one stream lasts before the client resumes it, and how long a follow waits for an unknown execution.
FLOWHUB_FOLLOW_POLL_MS = env_int("FLOWHUB_FOLLOW_POLL_MS", 500, minimum=50)
FLOWHUB_FOLLOW_KEEPALIVE_SECONDS = env_int("FLOWHUB_FOLLOW_KEEPALIVE_SECONDS", 15, minimum=1)
FLOWHUB_FOLLOW_MAX_SECONDS = env_int("FLOWHUB_FOLLOW_MAX_SECONDS", 3600, minimum=10)
FLOWHUB_FOLLOW_APPEAR_SECONDS = env_int("FLOWHUB_FOLLOW_APPEAR_SECONDS", 10, minimum=0)
# Outgoing notifications (docs/notifications-and-metrics.md): each POST waits this long at most per
# connect/write/read; a failed one is tried again after base * 2^(attempt - 1) seconds, at most max.
FLOWHUB_NOTIFICATION_TIMEOUT_SECONDS = env_int("FLOWHUB_NOTIFICATION_TIMEOUT_SECONDS", 5, minimum=1)
FLOWHUB_NOTIFICATION_MAX_ATTEMPTS = env_int("FLOWHUB_NOTIFICATION_MAX_ATTEMPTS", 10, minimum=1)
FLOWHUB_NOTIFICATION_RETRY_BASE_SECONDS = env_int("FLOWHUB_NOTIFICATION_RETRY_BASE_SECONDS", 10, minimum=0)
FLOWHUB_NOTIFICATION_RETRY_MAX_SECONDS = env_int("FLOWHUB_NOTIFICATION_RETRY_MAX_SECONDS", 3600, minimum=1)
# Delivered and given-up deliveries are deleted, with their attempts, this many days after they ended.
FLOWHUB_NOTIFICATION_LOG_DAYS = env_int("FLOWHUB_NOTIFICATION_LOG_DAYS", 30, minimum=1)
# The audit log keeps its entries this many days (0: for ever); an hourly task deletes older ones.
FLOWHUB_AUDIT_RETENTION_DAYS = env_int("FLOWHUB_AUDIT_RETENTION_DAYS", 365, minimum=0)
# Where people reach this server (https://flowhub.example.com): notifications link to executions from there.
FLOWHUB_PUBLIC_URL = env_str("FLOWHUB_PUBLIC_URL", "").rstrip("/")
# Notifications reach public addresses only, and these networks (CIDRs: a receiver inside the server's
# network, such as 10.0.0.0/8): an editor must not make the server POST to its own database or cache.
FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS = env_networks("FLOWHUB_NOTIFICATION_ALLOWED_NETWORKS", "")
# /metrics: public (for a Prometheus inside a trusted network) or behind the API's authentication.
FLOWHUB_METRICS_PUBLIC = env_bool("FLOWHUB_METRICS_PUBLIC", False)
# The window of the windowed metrics (task-run durations, executions ended recently).
FLOWHUB_METRICS_WINDOW_SECONDS = env_int("FLOWHUB_METRICS_WINDOW_SECONDS", 300, minimum=10)
FLOWHUB_METRICS_COLLECTORS = ["executions.metrics.ExecutionCollector", "notifications.metrics.DeliveryCollector"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "flowhub.api.middleware.RequestIdLogFilter"},
        "routine_tasks": {"()": "flowhub.logfilters.RoutineTaskFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id", "routine_tasks"]}
    },
    "root": {"handlers": ["console"], "level": env_str("FLOWHUB_LOG_LEVEL", "INFO")},
    # flowhub.requests has a line for every response: django.request's warnings about 4xx ones would repeat
    # it, and a Host not in ALLOWED_HOSTS (scanners send them all day) would log a traceback each time.
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "CRITICAL"},
    },
}

# Webhook triggers: the largest body a call may send (413 past it), and how long a `wait: true` call is
# answered after at most (then 202 with the execution as it is).
FLOWHUB_WEBHOOK_MAX_BODY_BYTES = env_int("FLOWHUB_WEBHOOK_MAX_BODY_BYTES", 1024 * 1024, minimum=1)
FLOWHUB_WEBHOOK_WAIT_SECONDS = env_int("FLOWHUB_WEBHOOK_WAIT_SECONDS", 60, minimum=1)

# Sessions for API clients: how long the token of `POST /auth/login` (or of a refresh) lasts.
FLOWHUB_SESSION_TOKEN_SECONDS = env_int("FLOWHUB_SESSION_TOKEN_SECONDS", 3600, minimum=1)
