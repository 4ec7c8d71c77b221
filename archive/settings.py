"""Settings for the archive, read from environment variables with safe development defaults."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off; refusing to start."
        )
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Before staticfiles, so that runserver serves static files as production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "django_rq",
    "django_tasks_rq",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accessions",
]

MIDDLEWARE = [
    # First, so that nothing reads parameters it cannot parse (see the class).
    "archive.middleware.RefuseUnreadableRequestsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files are answered here, before sessions or the database are touched.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Cached public pages are answered here, with the headers above and nothing below.
    "accessions.catalogue.page_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "archive.middleware.SlashRedirectMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "archive.database_routing.ReadReplicaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "archive.urls"

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
                "archive.context_processors.site",
            ],
            # Template tags live with their concern; one app has no templatetags folder.
            "libraries": {
                "record_standards": "accessions.standards.template_tags",
                "scan_viewer": "accessions.scans.template_tags",
                "search": "accessions.search.template_tags",
            },
        },
    },
]

WSGI_APPLICATION = "archive.wsgi.application"
ASGI_APPLICATION = "archive.asgi.application"


def database_from_url(url: str) -> dict:
    """A DATABASES entry for a sqlite:/// or postgres:// URL (dj-database-url parses it).

    A relative SQLite path is under the project, wherever the command runs from.
    """
    scheme = url.partition("://")[0]
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"Unsupported DATABASE_URL scheme {scheme!r}: use sqlite:/// or postgres://."
        )
    if scheme == "sqlite":
        if url.rstrip("/") == "sqlite:":
            raise ImproperlyConfigured(
                "A sqlite DATABASE_URL needs a file path: sqlite:///var/db.sqlite3"
            )
        config = dj_database_url.parse(url)
        if config["NAME"] != ":memory:":
            config["NAME"] = str(BASE_DIR / config["NAME"])
        return config
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if not config["NAME"]:
        raise ImproperlyConfigured("A postgres DATABASE_URL needs a database name after the host.")
    # JIT off for the archive's own connections, whatever postgresql.conf says. A search's
    # statements run in a few milliseconds, but their plans carry fallback branches the
    # planner prices high: past jit_above_cost PostgreSQL compiled each one first, 25-30 ms
    # of a 30 ms request at a million records with the default settings.
    options = config.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    # The embedded default: a SQLite file under the git-ignored var/ folder.
    VAR_DIR.mkdir(exist_ok=True)
    DATABASE_URL = "sqlite:///var/db.sqlite3"
DATABASES = {"default": database_from_url(DATABASE_URL)}
# A streaming replica of the primary: public pages read from it, writes and staff pages
# never do (archive.database_routing). Tests see the primary's test database through it.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **database_from_url(DATABASE_REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["archive.database_routing.ReplicaRouter"]
# After a client's write, its next requests read the primary for this long (seconds), so
# that it sees what it wrote whatever the replica's lag.
DATABASE_REPLICA_PIN_SECONDS = int(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "15"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "var" / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Without DEBUG, collectstatic writes hashed names and gzip/Brotli copies, and WhiteNoise
# serves the hashed files with a far-future Cache-Control: immutable.
STATICFILES_BACKEND = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
# A template may name a file that is not there (the optional scan viewer); it is then
# linked by its plain name rather than failing the page.
WHITENOISE_MANIFEST_STRICT = False

# Scans: originals and derivatives live outside MEDIA_ROOT and are served only by views that
# check the record is published (or that the user is staff). On the local disk by default,
# in an S3 bucket when ARCHIVE_SCANS_S3_BUCKET is set.
SCANS_ROOT = Path(os.environ.get("ARCHIVE_SCANS_ROOT", BASE_DIR / "var" / "scans"))
SCANS_S3_BUCKET = os.environ.get("ARCHIVE_SCANS_S3_BUCKET", "")
SCANS_S3_ENDPOINT_URL = os.environ.get("ARCHIVE_SCANS_S3_ENDPOINT_URL", "")
SCANS_S3_REGION = os.environ.get("ARCHIVE_SCANS_S3_REGION", "us-east-1")
# Images of published records are sent from S3 by a signed link valid this many seconds,
# made after the view has checked the record.
SCANS_URL_SECONDS = int(os.environ.get("ARCHIVE_SCANS_URL_SECONDS", "60"))
if SCANS_S3_BUCKET:
    SCANS_STORAGE = {
        # django-storages' S3Storage that fails within seconds when S3 is unreachable.
        "BACKEND": "accessions.scans.storage.S3ScanStorage",
        "OPTIONS": {
            "bucket_name": SCANS_S3_BUCKET,
            "endpoint_url": SCANS_S3_ENDPOINT_URL or None,
            "region_name": SCANS_S3_REGION,
            # Credentials come from boto3's chain: AWS_ACCESS_KEY_ID and
            # AWS_SECRET_ACCESS_KEY, a profile or an instance role.
            "querystring_expire": SCANS_URL_SECONDS,
        },
    }
else:
    SCANS_STORAGE = {"BACKEND": "accessions.scans.storage.ScanStorage"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": STATICFILES_BACKEND},
    "scans": SCANS_STORAGE,
}

LOGIN_URL = "admin:login"
# Staff lists count their rows exactly up to this many; past it PostgreSQL's planner estimates
# the count ("about 920,000 records"), where an exact one reads every row.
ADMIN_EXACT_COUNT_LIMIT = int(os.environ.get("ARCHIVE_ADMIN_EXACT_COUNT_LIMIT", "10000"))
# The search counts facet values with the archive_facets extension's aggregate where the
# database has it (accessions/search/key_tally.py); "off" keeps to plain SQL.
SEARCH_KEY_TALLY = os.environ.get("ARCHIVE_SEARCH_KEY_TALLY", "auto")

# Mail goes through SMTP when EMAIL_HOST is set; in development it is printed to the console.
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": int(os.environ.get("EMAIL_TIMEOUT", "10")),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "archive@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Redis: the cache when REDIS_URL is set (local memory otherwise), and the task queue.
REDIS_URL = os.environ.get("REDIS_URL", "")
# The queue's Redis must not evict keys (maxmemory-policy noeviction), or queued tasks
# could vanish; a cache may evict. They can share a server when it never fills up.
TASKS_REDIS_URL = os.environ.get("TASKS_REDIS_URL", REDIS_URL or "redis://127.0.0.1:6379/0")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that is down or stuck costs a page a fraction of a second, not a hang.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public pages (home, collections, search and facet lists, record pages) are kept this many
# seconds at most; every write that changes what the public sees drops them all at once
# before. Off without Redis: each process's local memory would miss the others' writes.
PAGE_CACHE_SECONDS = int(os.environ.get("ARCHIVE_PAGE_CACHE_SECONDS", 600 if REDIS_URL else 0))

# Background work runs inline unless a worker backend is configured for production:
# django_tasks_rq.RQBackend (Redis, `manage.py rqworker`) or django_tasks_db.DatabaseBackend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "DJANGO_TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"
        )
    }
}
RQ_QUEUES = {"default": {"URL": TASKS_REDIS_URL, "DEFAULT_TIMEOUT": 3600}}

SITE_NAME = os.environ.get("ARCHIVE_SITE_NAME", "Declassified: International History Archive")
# The citation styles of the record page: a label and a CSL style file in
# accessions/standards/citations/csl/ (or an absolute path). Another style is another file.
ARCHIVE_CITATION_STYLES = {
    "chicago": ("Chicago", "chicago-notes-bibliography.csl"),
    "mla": ("MLA", "modern-language-association.csl"),
    "apa": ("APA", "apa.csl"),
}

# OAI-PMH: the repository identifier is part of every record's permanent OAI identifier.
OAI_REPOSITORY_IDENTIFIER = os.environ.get(
    "ARCHIVE_OAI_REPOSITORY_IDENTIFIER", "archive.example.org"
)
OAI_ADMIN_EMAIL = os.environ.get("ARCHIVE_OAI_ADMIN_EMAIL", "archive@example.org")
OAI_PAGE_SIZE = 100

# HTTPS: in production every setting below is on unless the environment turns it off.
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
# Behind a proxy that ends TLS, trust its X-Forwarded-Proto header, and only then: a client
# could otherwise claim HTTPS on a plain connection.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = os.environ.get(
    "DJANGO_SECURE_REFERRER_POLICY", "strict-origin-when-cross-origin"
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: every script and style comes from our own static files, with no
# inline code; scan images may come from the scan bucket through signed links.
SCANS_IMAGE_ORIGIN = os.environ.get("ARCHIVE_SCANS_IMAGE_ORIGIN", "")
if SCANS_S3_BUCKET and not SCANS_IMAGE_ORIGIN:
    SCANS_IMAGE_ORIGIN = (
        SCANS_S3_ENDPOINT_URL.rstrip("/")
        or f"https://{SCANS_S3_BUCKET}.s3.{SCANS_S3_REGION}.amazonaws.com"
    )
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # OpenSeadragon (6.1.1) adds one fixed <style> (no focus outline on touch screens);
    # its hash allows exactly that text and nothing else.
    "style-src": [CSP.SELF, "'sha256-9xTiqzfwFaL2SGb1rmr8gysEwVVjIvqWAgmZgqFqpEE='"],
    # data: for the empty favicon and OpenSeadragon's navigator.
    "img-src": [CSP.SELF, "data:", *([SCANS_IMAGE_ORIGIN] if SCANS_IMAGE_ORIGIN else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Logs: plain lines, or one JSON object per line with DJANGO_LOG_FORMAT=json.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "archive.json_logging.JSONFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Django gives its own logger a console handler too; every line would be printed twice,
    # once by it and once by the root's. Its records go to the root's handler only.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # RQ's worker sets up its own handler; its records go through ours instead.
        "rq.worker": {"handlers": [], "propagate": True},
        # The bagit library logs a line for every file it checks.
        "bagit": {"level": "WARNING"},
    },
}

# Rights inquiries: where unrouted inquiries go, how often one sender may ask, email retries.
RIGHTS_INQUIRY_DEFAULT_EMAIL = os.environ.get("RIGHTS_INQUIRY_DEFAULT_EMAIL", "rights@localhost")
RIGHTS_INQUIRY_LIMIT_PER_EMAIL = int(os.environ.get("RIGHTS_INQUIRY_LIMIT_PER_EMAIL", "5"))
RIGHTS_INQUIRY_LIMIT_PER_IP = int(os.environ.get("RIGHTS_INQUIRY_LIMIT_PER_IP", "20"))
RIGHTS_INQUIRY_LIMIT_WINDOW_MINUTES = int(os.environ.get("RIGHTS_INQUIRY_LIMIT_WINDOW", "60"))
RIGHTS_INQUIRY_EMAIL_MAX_ATTEMPTS = int(os.environ.get("RIGHTS_INQUIRY_EMAIL_MAX_ATTEMPTS", "8"))
RIGHTS_INQUIRY_EMAIL_RETRY_SECONDS = int(os.environ.get("RIGHTS_INQUIRY_EMAIL_RETRY", "60"))

SCAN_MAX_BYTES = int(os.environ.get("ARCHIVE_SCAN_MAX_BYTES", 300 * 1024 * 1024))
# Pixels per page; anything larger is refused as a decompression bomb before it is decoded.
SCAN_MAX_PIXELS = int(os.environ.get("ARCHIVE_SCAN_MAX_PIXELS", 120_000_000))
SCAN_MAX_PAGES = int(os.environ.get("ARCHIVE_SCAN_MAX_PAGES", 2000))
SCAN_DERIVATIVE_MAX_ATTEMPTS = int(os.environ.get("ARCHIVE_SCAN_DERIVATIVE_MAX_ATTEMPTS", 3))
# Behind nginx set e.g. X-Accel-Redirect and the internal location that maps to SCANS_ROOT.
SCANS_SENDFILE_HEADER = os.environ.get("ARCHIVE_SCANS_SENDFILE_HEADER", "")
SCANS_SENDFILE_PREFIX = os.environ.get("ARCHIVE_SCANS_SENDFILE_PREFIX", "/protected-scans/")
# OCR runs when this program is found; set ARCHIVE_TESSERACT="" to switch OCR off.
TESSERACT_COMMAND = os.environ.get("ARCHIVE_TESSERACT", "tesseract")
# The API (accessions/standards/api): public reads need no key; staff writes send a token
# ("Authorization: Token …", made in the admin) and are limited per token.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accessions.standards.api.tokens.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "accessions.standards.api.errors.LimitedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "accessions.standards.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["accessions.standards.api.tokens.TokenRateThrottle"],
}
API_TOKEN_RATE = os.environ.get("ARCHIVE_API_TOKEN_RATE", "120/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Archive API",
    "DESCRIPTION": (
        "Published documents and collections, read without a key; staff writes with a token."
    ),
    "VERSION": "1.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PersonOrOrganizationEnum": "accessions.catalogue.models.vocabularies.Agent.Kind",
        "TextKindEnum": "accessions.catalogue.models.records.RecordText.Kind",
        "ScanKindEnum": "accessions.scans.models.Scan.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accessions.standards.api.views.add_servers",
    ],
}

# The database task worker used in production: DJANGO_TASKS_BACKEND=django_tasks_db.DatabaseBackend
INSTALLED_APPS += ["django_tasks_db"]
