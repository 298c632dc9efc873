"""Project settings, read from the environment (django-environ), with a production profile."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"


def _required_in_production(name: str, development_default: str) -> str:
    """Production refuses to start without its secrets; development gets a safe local default."""
    if PRODUCTION:
        value = env.str(name, default="")
        if not value:
            raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production")
        return value
    return env.str(name, default=development_default)


SECRET_KEY = _required_in_production(
    "SECRET_KEY", "development-only-key-not-for-production-0123456789abcdefghijklmnop"
)
DEBUG = env.bool("DEBUG", default=False) and not PRODUCTION

# Hosts: the public host is BASE_DOMAIN, each tenant lives on <slug>.BASE_DOMAIN.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost")
# Where the platform is reached, for links built outside a request (admin, emails).
SITE_SCHEME = env.str("SITE_SCHEME", default="https" if PRODUCTION else "http")
SITE_PORT = env.str("SITE_PORT", default="" if PRODUCTION else "8000")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.list("EXTRA_ALLOWED_HOSTS", default=[])]
# Django always trusts a request's own origin; beyond it, only the public host (never a wildcard
# over tenant hosts, which would let one tenant's pages post to another's).
_PUBLIC_ORIGIN = f"{SITE_SCHEME}://{BASE_DOMAIN}" + (f":{SITE_PORT}" if SITE_PORT else "")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[_PUBLIC_ORIGIN])

# Databases: PostgreSQL only; django-tenants' backend switches search_path per request.
DATABASES = {
    "default": env.db_url_config(
        _required_in_production("DATABASE_URL", "postgres://postgres@localhost:5432/loginexus")
    )
}
# A Unix-socket directory arrives percent-encoded in the URL's host part.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
DATABASES["default"]["ENGINE"] = "loginexus.tenancy.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "DATABASE_CONN_MAX_AGE", default=60 if PRODUCTION else 0
)
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_loginexus")}
# A hot standby of the primary, for staff-only heavy reads that ask for it (loginexus/replica.py);
# without it every read is the primary's. Under tests its database is the primary's test
# database as the standby replays it (TEST MIRROR), never one created on the standby.
if DATABASE_REPLICA_URL := env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["HOST"] = unquote(DATABASES["replica"]["HOST"])
    DATABASES["replica"]["ENGINE"] = DATABASES["default"]["ENGINE"]
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    # A standby that does not answer costs a staff page this long, once a second at most.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Staff reads go to the standby only while it replays the primary's writes this closely.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
# Nothing goes to the standby unless a read names it; then django-tenants' migration routing.
DATABASE_ROUTERS = ["loginexus.replica.PrimaryRouter", "django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _required_in_production("REDIS_URL", "redis://localhost:6379/0")

# Tenancy: what lives in the public schema and what in each tenant's schema.
SHARED_APPS = [
    # First, so that its migrate commands (which also keep the template schema current) win.
    "loginexus.tenancy",
    "django_tenants",
    "loginexus.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "djstripe",
    "billing",
    "loginexus.mail",
    "loginexus.i18n",
    # Identity (django-allauth): its tables live beside the users, so in every schema.
    "allauth",
    "allauth.account",
    "allauth.mfa",
]
TENANT_APPS = [
    "loginexus.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework.authtoken",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "loginexus.audit",
    "shipments",
    "escrows",
    "webhooks",
    # Integrators: workspace API keys, and the answers kept for Idempotency-Key.
    "loginexus.apikeys",
    "loginexus.idempotency",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_URLCONF = "loginexus.urls_public"
ROOT_URLCONF = "loginexus.urls_tenant"
# New tenants are cloned from this schema, which every migrate keeps current.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_BASE_MIGRATE_COMMAND = "loginexus.tenancy.migrate.TenantMigrateCommand"
TENANT_SUBPROCESS_PARALLEL = env.int("TENANT_MIGRATION_PARALLEL", default=2)
# Set the search_path only when the schema changes, not before every query's cursor.
TENANT_LIMIT_SET_CALLS = True
# How long a process keeps the workspace a host names (loginexus/tenancy/resolution.py). Tests
# change workspaces with UPDATEs and look at once, so they read it every time.
TENANT_HOST_CACHE_SECONDS = env.float(
    "TENANT_HOST_CACHE_SECONDS", default=0.0 if DJANGO_ENV == "test" else 1.0
)

AUTH_USER_MODEL = "accounts.User"
# Sessions in the schema of the host they were made on, each row with its user's id, so that
# deactivating a user deletes their sessions (loginexus/accounts/sessions.py).
SESSION_ENGINE = "loginexus.accounts.sessions"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "account_login"
# Login looks the account up by its normalised address (accounts.addresses.email_key); allauth's
# own backend would match case-insensitively only, and is not needed for email-only login.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

# Identity on django-allauth, per workspace (every table in the tenant's schema). Email is the
# login; nobody signs up on a workspace's host (signup makes workspaces, on the public host;
# people join one by invitation).
ACCOUNT_ADAPTER = "loginexus.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Unverified owners may use the workspace and pay; inviting people waits for a verified address.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
# One address per person: a new one replaces the old once it is verified.
ACCOUNT_CHANGE_EMAIL = True
# Confirmation keys are rows of the workspace's schema, so a link means nothing on another host
# (a signed key would carry only the address's id, which another workspace also has).
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
# Password reset and "find my workspace" for an unknown address send nothing and answer the same.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "loginexus.accounts.tokens.WorkspaceResetTokenGenerator"  # noqa: S105
# allauth's limits for everything but the login itself, which the login throttle below limits on
# every way in (pages, token API, admin) per address and per account.
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None}
MFA_ADAPTER = "loginexus.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="LogiNexus")
# Signup ends signed in on the new workspace's host through a one-time link valid this long.
LOGIN_LINK_SECONDS = env.int("LOGIN_LINK_SECONDS", default=60)
# An invitation's emailed link stays valid this many days (PRODUCT.md: 7).
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "loginexus.accounts.passwords.NotOnlyWhitespaceValidator"},
    # zxcvbn's estimate of how quickly a password is guessed, with the product's name and the
    # person's own address among the guesses (django-zxcvbn-password-validator).
    {"NAME": "django_zxcvbn_password_validator.ZxcvbnPasswordValidator"},
]
PASSWORD_MINIMAL_STRENGTH = env.int("PASSWORD_MINIMAL_STRENGTH", default=3)
PASSWORD_EXTRA_DICTIONARY = ["loginexus", "logi", "nexus"]
# Fast hashing only where nothing real is protected: the test suite creates many users.
if DJANGO_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

MIDDLEWARE = [
    # Security headers first, so every answer carries them: unknown hosts' 404s and suspended
    # workspaces' pages too, which are answered by the two tenancy middlewares below.
    "django.middleware.security.SecurityMiddleware",
    "loginexus.i18n.middleware.BrowserLanguageMiddleware",
    "csp.middleware.CSPMiddleware",
    "loginexus.middleware.AdminStylesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "loginexus.middleware.PrivateCacheMiddleware",
    "loginexus.tenancy.resolution.CachedTenantMainMiddleware",
    "loginexus.tenancy.middleware.SuspendedTenantMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "loginexus.i18n.middleware.LanguageAndTimeZoneMiddleware",
    "loginexus.audit.context.AuditContextMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "billing.middleware.EntitlementMiddleware",
    "loginexus.middleware.ApplicationErrorMiddleware",
]

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
                "billing.context_processors.billing",
                "loginexus.navigation.section",
            ],
        },
    },
]

WSGI_APPLICATION = "loginexus.wsgi.application"
ASGI_APPLICATION = "loginexus.asgi.application"

LANGUAGE_CODE = "en"
# The languages of pages and emails (loginexus/i18n/middleware.py chooses one per request);
# each name in its own language, as the switcher shows it.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "loginexus_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production WhiteNoise serves straight from the app and project static folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Cache on Redis, keys prefixed with the current schema so tenants never share an entry.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="loginexus"),
    }
}

# Login throttling (django-ratelimit): per client address and per account, on each host.
RATELIMIT_VIEW = "loginexus.accounts.identity_views.rate_limited"
# Where the client's address is: behind a proxy that sets it, e.g. "HTTP_X_REAL_IP".
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="30/m")
LOGIN_RATE_PER_ACCOUNT = env.str("LOGIN_RATE_PER_ACCOUNT", default="5/m")
SIGNUP_RATE_PER_IP = env.str("SIGNUP_RATE_PER_IP", default="20/h")
FIND_RATE_PER_IP = env.str("FIND_RATE_PER_IP", default="10/h")
FIND_RATE_PER_EMAIL = env.str("FIND_RATE_PER_EMAIL", default="3/h")
# Requests per workspace API key (django-ratelimit's rate syntax); past it, 429 and Retry-After.
API_KEY_RATE = env.str("API_KEY_RATE", default="600/m")
# How long the first answer to a POST with an Idempotency-Key is kept and replayed.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing login a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        # Workspace API keys: `Authorization: Bearer lnx_…`.
        "loginexus.apikeys.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A key may do only what its scopes grant; users' tokens and sessions are not concerned.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "loginexus.apikeys.permissions.HasApiKeyScope",
    ],
    "DEFAULT_PAGINATION_CLASS": "loginexus.pagination.StandardPagination",
    # Integrators send JSON; one request format keeps the documented contract exact.
    "DEFAULT_PARSER_CLASSES": ["loginexus.parsers.JSONParser"],
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "loginexus.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "loginexus.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LogiNexus API",
    "DESCRIPTION": "Shipments, escrows and billing for logistics companies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components, so required text fields say minLength 1.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ShipmentStatusEnum": "shipments.models.ShipmentStatus",
        "EscrowStatusEnum": "escrows.models.EscrowStatus",
        "RoleEnum": "loginexus.accounts.models.Role",
        "CurrencyEnum": "escrows.currencies.CURRENCY_CHOICES",
        "BillingCurrencyEnum": "billing.plans.CURRENCY_CHOICES",
        "WebhookEventTypeEnum": "webhooks.models.EventType",
        "WebhookDeliveryStatusEnum": "webhooks.models.DeliveryStatus",
        "PaidPlanEnum": ["pro", "enterprise"],
    },
    # The outbound webhooks' bodies as components beside the objects they carry.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "webhooks.openapi.webhook_payload_components",
    ],
    # Swagger UI served from our own static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Content Security Policy (django-csp): scripts and styles from our own origin only, inline
# scripts only with the request's nonce, no framing. Forms may lead on to the platform's other
# hosts (signup ends on the new tenant's host) and to Stripe's hosted pages (Checkout and the
# customer portal redirect there).
_PLATFORM_HOSTS = [f"{SITE_SCHEME}://{BASE_DOMAIN}:*", f"{SITE_SCHEME}://*.{BASE_DOMAIN}:*"]
_STRIPE_HOSTED_PAGES = ["https://checkout.stripe.com", "https://billing.stripe.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *_PLATFORM_HOSTS, *_STRIPE_HOSTED_PAGES],
    }
}

# Celery on Redis; tasks that touch tenant data run inside the tenant's schema.
# Celery names a Redis Unix socket "redis+socket://" where redis-py says "unix://".
_CELERY_REDIS_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_CELERY_REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_CELERY_REDIS_URL)
CELERY_TASK_ACKS_LATE = True
# Tasks report through the database, not through results nobody reads.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task taken by a worker that died unacknowledged goes back to the queue after the visibility
# timeout (Redis has no other way to know; it must outlast the longest task). Workers look for
# such tasks every `unacked_restore_interval` seconds (kombu's default is every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task unless told to reuse
# it: reused here for this many tasks, and closed earlier as Django closes a request's
# (CONN_MAX_AGE, errors; loginexus/celery.py).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_ALWAYS_EAGER = False
# How often beat looks for webhook triggers whose task was lost (Redis lost its queue).
STRIPE_WEBHOOK_SWEEP_SECONDS = env.float("STRIPE_WEBHOOK_SWEEP_SECONDS", default=60.0)
# Outbound webhooks: retried after each wait in turn (Standard Webhooks' schedule), then given
# up; an endpoint whose every attempt failed for WEBHOOKS_DISABLE_AFTER_DAYS is disabled. Waits
# up to WEBHOOKS_COUNTDOWN_MAX_SECONDS ride on a task's countdown; beat's sweeper, every
# WEBHOOKS_SWEEP_SECONDS, queues longer ones once due, and any delivery overdue by
# WEBHOOKS_REQUEUE_OVERDUE_SECONDS (its task was lost). Outside production loopback and private
# addresses are allowed (local receivers); production sends only https to public addresses.
WEBHOOKS_RETRY_SCHEDULE_SECONDS = env.list(
    "WEBHOOKS_RETRY_SCHEDULE_SECONDS",
    cast=float,
    default=[5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600],
)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
# A worker sends up to this many due deliveries of one endpoint in one go.
WEBHOOKS_BATCH_SIZE = env.int("WEBHOOKS_BATCH_SIZE", default=50)
WEBHOOKS_LEASE_SECONDS = env.float("WEBHOOKS_LEASE_SECONDS", default=50.0)
WEBHOOKS_COUNTDOWN_MAX_SECONDS = env.float("WEBHOOKS_COUNTDOWN_MAX_SECONDS", default=600.0)
WEBHOOKS_SWEEP_SECONDS = env.float("WEBHOOKS_SWEEP_SECONDS", default=30.0)
WEBHOOKS_REQUEUE_OVERDUE_SECONDS = env.float("WEBHOOKS_REQUEUE_OVERDUE_SECONDS", default=30.0)
WEBHOOKS_DISABLE_AFTER_DAYS = env.int("WEBHOOKS_DISABLE_AFTER_DAYS", default=5)
WEBHOOKS_ALLOW_PRIVATE_URLS = env.bool("WEBHOOKS_ALLOW_PRIVATE_URLS", default=not PRODUCTION)
WEBHOOKS_REQUIRE_HTTPS = env.bool("WEBHOOKS_REQUIRE_HTTPS", default=PRODUCTION)
# Overage: extra shipments are reported to Stripe's meter this often, this many a batch.
BILLING_OVERAGE_SEND_SECONDS = env.float("BILLING_OVERAGE_SEND_SECONDS", default=60.0)
BILLING_OVERAGE_BATCH_SIZE = env.int("BILLING_OVERAGE_BATCH_SIZE", default=200)
# Periodic work (Celery beat).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "billing-overage-send": {
        "task": "billing.overage.tasks.overage_events_send_task",
        "schedule": BILLING_OVERAGE_SEND_SECONDS,
        "options": {"expires": BILLING_OVERAGE_SEND_SECONDS},
    },
    "billing-overdue-reconcile": {
        "task": "billing.tasks.entitlements_overdue_reconcile_task",
        "schedule": crontab(minute=7),
    },
    "billing-nightly-reconcile": {
        "task": "billing.tasks.entitlements_reconcile_all_task",
        "schedule": crontab(hour=3, minute=17),
    },
    "billing-webhooks-requeue": {
        "task": "billing.tasks.webhook_triggers_requeue_task",
        "schedule": STRIPE_WEBHOOK_SWEEP_SECONDS,
        # A sweep nobody ran in time is dropped: the next one does the same work.
        "options": {"expires": STRIPE_WEBHOOK_SWEEP_SECONDS},
    },
    "webhooks-due-requeue": {
        "task": "webhooks.tasks.webhook_deliveries_due_requeue_task",
        "schedule": WEBHOOKS_SWEEP_SECONDS,
        "options": {"expires": WEBHOOKS_SWEEP_SECONDS},
    },
    "idempotency-keys-purge": {
        "task": "loginexus.idempotency.tasks.idempotent_requests_purge_task",
        "schedule": crontab(minute=41),
    },
    "mail-unsent-requeue": {
        "task": "loginexus.mail.tasks.emails_unsent_requeue_task",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
}

# Stripe: outside production, demo mode (the built-in simulator) unless a secret key is set. The
# code paths are the same either way: only the API base, the keys and the webhook secret differ.
STRIPE_SECRET_KEY = _required_in_production("STRIPE_SECRET_KEY", "")
STRIPE_PUBLIC_KEY = env.str("STRIPE_PUBLIC_KEY", default="")
STRIPE_DEMO_MODE = not STRIPE_SECRET_KEY
if STRIPE_DEMO_MODE:
    from billing.simulator import DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY

    STRIPE_SECRET_KEY, STRIPE_PUBLIC_KEY = DEMO_SECRET_KEY, DEMO_PUBLISHABLE_KEY
    # dj-stripe points the stripe library here (stripe.api_base) when it loads.
    STRIPE_API_HOST = env.str("STRIPE_SIMULATOR_URL", default="http://127.0.0.1:12111")
    # dj-stripe warns about STRIPE_API_HOST whenever DEBUG is off; here it is the point.
    SILENCED_SYSTEM_CHECKS = ["djstripe.W002"]
    # The simulator serves the hosted checkout and portal pages that forms lead to (on its
    # host, whichever port it was started on).
    _simulator = urlsplit(STRIPE_API_HOST)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        f"{_simulator.scheme}://{_simulator.hostname}:*"
    )
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith("sk_live_")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Deliveries refused (bad signature, not an event) per client address, before they answer 429.
STRIPE_WEBHOOK_REFUSALS_PER_IP = env.str("STRIPE_WEBHOOK_REFUSALS_PER_IP", default="20/m")
# A valid trigger still unprocessed, with no failure, this long after it was queued is queued again.
STRIPE_WEBHOOK_REQUEUE_AFTER_SECONDS = env.int("STRIPE_WEBHOOK_REQUEUE_AFTER_SECONDS", default=60)
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# Calls per second that background work (webhooks, reconciliation) may make, out of Stripe's
# 100 (live mode) or 25 (test mode): the rest is kept for users. 0: unpaced.
STRIPE_BACKGROUND_RATE_PER_SECOND = env.float(
    "STRIPE_BACKGROUND_RATE_PER_SECOND", default=60.0 if STRIPE_LIVE_MODE else 15.0
)
# How long a user-facing call retries Stripe's 429 before the answer is 503.
STRIPE_RATE_LIMITED_WAIT_SECONDS = env.float("STRIPE_RATE_LIMITED_WAIT_SECONDS", default=2.0)
DJSTRIPE_SUBSCRIBER_MODEL = "tenancy.Tenant"
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)
# What one unit of each other billing currency counts as in USD in the staff revenue figures
# (a fixed table, as Decimal strings: "eur=1.08,gbp=1.27").
BILLING_FX_TO_USD = env.dict("BILLING_FX_TO_USD", default={"eur": "1.08", "gbp": "1.27"})

# Demo logins made by `manage.py seed_demo` (development only; it refuses to run in production).
DEMO_STAFF_EMAIL = env.str("DEMO_STAFF_EMAIL", default="staff@loginexus.localhost")
DEMO_STAFF_PASSWORD = env.str("DEMO_STAFF_PASSWORD", default="demo-staff-password")
DEMO_ADMIN_EMAIL = env.str("DEMO_ADMIN_EMAIL", default="admin@acme.localhost")
DEMO_ADMIN_PASSWORD = env.str("DEMO_ADMIN_PASSWORD", default="demo-admin-password")

# Email leaves through the outbox (loginexus/mail/). Outside production every message is also
# written as .data/mail/<UTC timestamp>-<n>.eml, then shown on the console.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "loginexus.mail.backends.EmlFileBackend",
)
EMAIL_FILE_PATH = env.str(
    "EMAIL_FILE_PATH",
    default=str(Path(env.str("LOCAL_DATA_DIR", default=str(BASE_DIR / ".data"))) / "mail"),
)
EMAIL_INNER_BACKEND = env.str(
    "EMAIL_INNER_BACKEND",
    default="django.core.mail.backends.locmem.EmailBackend"
    if DJANGO_ENV == "test"
    else "django.core.mail.backends.console.EmailBackend",
)
# An email still unsent this long after it was queued is queued again (its task was lost).
EMAIL_REQUEUE_AFTER_SECONDS = env.int("EMAIL_REQUEUE_AFTER_SECONDS", default=120)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LogiNexus <billing@localhost>")

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    # /healthz/ is probed over plain HTTP by the load balancer and the container runtime.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
