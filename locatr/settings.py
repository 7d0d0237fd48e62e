"""Settings for locatr: one module, driven by environment variables.

Secure by default: DEBUG is off and there is no default SECRET_KEY. A laptop gets a
local, git-ignored `.env` (DEBUG on, generated secret) from `make run`; see README.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
ENV_FILE = Path(env.str("LOCATR_ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    # Real environment variables win over the file.
    environ.Env.read_env(ENV_FILE, overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Export SECRET_KEY (a long random string) or run "
        "`make run`, which writes a local .env with a generated secret."
    )
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# JSON for the API (/api/...), Django's own page everywhere else.
CSRF_FAILURE_VIEW = "levelofcare.api.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    # Second factor (TOTP + one-time backup codes); see the "MFA" block below.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "locatr",
    "intake",
    "levelofcare",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor: django-otp marks request.user verified or not; ours sends a
    # signed-in but unverified user to verify/enrol (LOCATR_MFA_REQUIRED).
    "django_otp.middleware.OTPMiddleware",
    "locatr.mfa.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sessions (issue 11): idle timeout and absolute lifetime; no-store and
    # Permissions-Policy headers. After authentication and messages.
    "locatr.middleware.SessionTimeoutMiddleware",
    "locatr.middleware.SecurityHeadersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last: it turns lockouts raised by the backend into responses.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "locatr.urls"
WSGI_APPLICATION = "locatr.wsgi.application"

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
                "locatr.context_processors.navigation",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'locatr.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: one per request cost ~35% of throughput
# (bench/load_bench.py); health checks drop connections the server closed.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Password policy (issue 11): at least 12 characters, not a common password, not
# like the username/name/email, not all digits. create_demo_data runs them too.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Plain storage for tests (live_server cannot serve hashed names).
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Email: console by default; EMAIL_URL (e.g. smtp+tls://user:pw@host:587) in production.
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
    # Only read by the file-based backend (the real-worker tests use it).
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# Password reset by email needs real email (EMAIL_URL); without it the reset pages
# say that an administrator resets passwords, and the sign-in page has no link.
PASSWORD_RESET_BY_EMAIL = env.bool(
    "PASSWORD_RESET_BY_EMAIL", default="EMAIL_URL" in env
)
# Password reset requests are throttled per address and per client IP, counted in
# Django's cache (locatr.views.password_reset). No CACHES is configured, so this is
# the default local-memory cache: exact for one process; with N gunicorn workers
# each counts on its own (at most N times the limits). Configure a shared cache
# (e.g. Redis) to make the limits exact across processes.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.int(
    "PASSWORD_RESET_LIMIT_PER_ADDRESS", default=3
)
PASSWORD_RESET_LIMIT_PER_IP = env.int("PASSWORD_RESET_LIMIT_PER_IP", default=10)
PASSWORD_RESET_LIMIT_WINDOW_SECONDS = 3600
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="locatr <noreply@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Security: production-grade unless DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=1; SECURE_SSL_REDIRECT can be turned off when the proxy
# already redirects.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# --- Sessions -----------------------------------------------------------------------
# Signed out after SESSION_IDLE_MINUTES without a request and 8 hours after signing
# in whatever the activity (locatr.middleware.SessionTimeoutMiddleware); the page
# warns SESSION_IDLE_WARNING_SECONDS before the idle timeout (static/js/session.js).
# The cookie ends with the browser; the stored session expires with the lifetime.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=15)
SESSION_IDLE_WARNING_SECONDS = env.int("SESSION_IDLE_WARNING_SECONDS", default=60)
SESSION_ABSOLUTE_SECONDS = 8 * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Security headers / CSP ---------------------------------------------------------
# No inline scripts or styles anywhere (data for scripts comes in json_script blocks
# or data- attributes). Browsers report violations to /csp-report/ (logged).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "report-uri": "/csp-report/",
    },
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# --- Behind a proxy -------------------------------------------------------------------
# How many reverse proxies that append to X-Forwarded-For sit in front of the app.
# 0 (default): the client is REMOTE_ADDR and X-Forwarded-For is ignored (it can be
# forged). locatr.http.client_ip resolves it for axes and the sign-in audit alike.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
# The IP comes from locatr.http.client_ip (TRUSTED_PROXY_COUNT above), the same
# helper the sign-in audit rows use; django-ipware is not installed, so axes'
# AXES_IPWARE_* settings would be ignored.
AXES_CLIENT_IP_CALLABLE = "locatr.http.client_ip"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- MFA: a TOTP second factor (django-otp) ---------------------------------------
# On by default whenever DEBUG is off: then a password alone opens only the verify
# (or enrolment) page, sign-out and /healthz. The laptop .env that `make run`
# writes sets LOCATR_MFA_REQUIRED=0. Read per request (locatr.mfa.middleware).
LOCATR_MFA_REQUIRED = env.bool("LOCATR_MFA_REQUIRED", default=not DEBUG)
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="locatr")
# Wrong codes are throttled by django-otp: after n failures in a row the device
# refuses every code for 2**(n-1) * factor seconds. 0 would switch it off.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
MFA_BACKUP_CODES = 10
# --- end MFA -----------------------------------------------------------------------

# Input limits: a request body above them is refused (400 for forms, 413 JSON for
# the API) before it is parsed. 2 MiB holds the API's 1,000 answer sets even
# pretty-printed (about 1.1 MB); forms stay far below it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery. The default broker is kombu's filesystem transport, so a laptop needs no
# Redis; production and CI set CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
REMINDER_SWEEP_SECONDS = env.int("REMINDER_SWEEP_SECONDS", default=300)
# Reminder email: at most one digest per person per window; failed sends are
# retried with exponential backoff, then shown to criteria admins as failed.
REMINDER_DIGEST_MINUTES = env.int("REMINDER_DIGEST_MINUTES", default=60)
REMINDER_DIGEST_MAX_ITEMS = env.int("REMINDER_DIGEST_MAX_ITEMS", default=50)
REMINDER_EMAIL_MAX_ATTEMPTS = env.int("REMINDER_EMAIL_MAX_ATTEMPTS", default=5)
REMINDER_EMAIL_RETRY_SECONDS = env.int("REMINDER_EMAIL_RETRY_SECONDS", default=60)
# Overdue reviews escalate to this group (all active clinicians when it is empty).
REMINDER_ESCALATION_GROUP = env.str(
    "REMINDER_ESCALATION_GROUP", default="Clinical leads"
)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Reminders are swept from ProgressReview.due_at, never queued as ETA tasks.
    # A sweep left in the queue past the next one is dropped: the next catches up.
    "send-due-reminders": {
        "task": "levelofcare.send_due_reminders",
        "schedule": REMINDER_SWEEP_SECONDS,
        "options": {"expires": REMINDER_SWEEP_SECONDS},
    },
    # The sweep task delivers right after sweeping; this one retries in between.
    "deliver-reminder-emails": {
        "task": "levelofcare.deliver_reminder_emails",
        "schedule": 60,
        "options": {"expires": 60},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "locatr.csp": {"level": "WARNING"}},
}

# Audit history: admins may read it but never "revert" a record from it.
SIMPLE_HISTORY_REVERT_DISABLED = True

# FHIR R4 export (levelofcare.fhir): the system URI of Patient.identifier, whose
# value is the clinic reference. Set it to the URI your EHR knows the MRN by.
FHIR_IDENTIFIER_SYSTEM = env.str(
    "FHIR_IDENTIFIER_SYSTEM", default="urn:locatr:client-reference"
)
