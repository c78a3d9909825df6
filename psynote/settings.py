"""Psynote settings: everything an operator may change comes from PSYNOTE_* variables.

Each variable is read through a typed helper in `psynote.lib.config` that refuses a bad
value at start-up, so a typo never turns into a silently insecure default.
"""

from pathlib import Path

from psynote.lib import config, database_url, keyfiles, pooling, smtp_url

BASE_DIR = Path(__file__).resolve().parent
HOME = config.path("PSYNOTE_HOME", Path.cwd() / "var")

DEBUG = config.boolean("PSYNOTE_DEBUG", False)
# The secret only signs cookies and tokens; it is created once in the data folder.
SECRET_KEY = config.string("PSYNOTE_SECRET_KEY", "") or keyfiles.read_or_create_text(
    HOME / "secret.key"
)
ALLOWED_HOSTS = config.csv("PSYNOTE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = config.csv("PSYNOTE_CSRF_TRUSTED_ORIGINS", [])

# Master key wrapping every data key. It must never live in the database.
MASTER_KEY_FILE = config.path("PSYNOTE_MASTER_KEY_FILE", HOME / "master.key")
# Signed checkpoints of the audit chains (ADR 0003): best on another machine or volume the
# database server cannot write (docs/operations.md).
ANCHOR_DIR = config.path("PSYNOTE_ANCHOR_DIR", HOME / "anchors")

LATE_ENTRY_HOURS = config.integer("PSYNOTE_LATE_ENTRY_HOURS", 72, minimum=1)
# A group member's note names the other attending members by initials only when the practice
# opts in; by default they are a count (ADR 0014).
GROUP_NOTE_INITIALS = config.boolean("PSYNOTE_GROUP_NOTE_INITIALS", False)
# How long an emergency-access grant ("break the glass") opens a chart, read-only
# (docs/adr/0008-emergency-access.md). Capped: past three days it is no emergency.
EMERGENCY_ACCESS_HOURS = config.integer("PSYNOTE_EMERGENCY_ACCESS_HOURS", 24, minimum=1,
                                        maximum=72)
# The 42 CFR 2.32(a) statement sent with every disclosure from a Part 2 record; the
# practice copies the current eCFR text here (exchange ships only a labelled placeholder).
PART2_NOTICE_FILE = config.path("PSYNOTE_PART2_NOTICE_FILE", HOME / "part2-notice.txt")
# Days from signing a treatment plan to its review date (the clinician may set another).
PLAN_REVIEW_DAYS = config.integer("PSYNOTE_PLAN_REVIEW_DAYS", 90, minimum=1)
IDLE_TIMEOUT_MINUTES = config.integer("PSYNOTE_IDLE_TIMEOUT_MINUTES", 15, minimum=1)
LOGIN_MAX_FAILURES = config.integer("PSYNOTE_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = config.integer("PSYNOTE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Personal API tokens end this many days after they are made (ADR 0007).
TOKEN_DAYS = config.integer("PSYNOTE_TOKEN_DAYS", 90, minimum=1)
# Email, for self-report links only (docs/operations.md#email): PSYNOTE_SMTP_URL, e.g.
# smtp+starttls://user:password@mail.example.org:587. Without it, nothing is ever sent.
SMTP_URL = config.string("PSYNOTE_SMTP_URL", "")
if SMTP_URL:
    _smtp = smtp_url.parse(SMTP_URL)
    EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT = (_smtp["EMAIL_BACKEND"], _smtp["EMAIL_HOST"],
                                             _smtp["EMAIL_PORT"])
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _smtp["EMAIL_HOST_USER"], _smtp["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS, EMAIL_USE_SSL = _smtp["EMAIL_USE_TLS"], _smtp["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = config.string("PSYNOTE_EMAIL_FROM", "psynote@localhost")
# The message names the questionnaire (e.g. "PHQ-9") only if the practice allows it.
EMAIL_NAMES_INSTRUMENT = config.boolean("PSYNOTE_EMAIL_NAMES_INSTRUMENT", False)

INSTALLED_APPS = [
    # First, so that its `changepassword` command (through accounts.actions: password
    # rules, signal, sessions and tokens ended) replaces django.contrib.auth's.
    "psynote.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "psynote.audit",
    "psynote.clients",
    "psynote.visits",
    "psynote.notes",
    "psynote.chart",
    "psynote.measures",
    "psynote.plans",
    "psynote.exchange",
    "psynote.records",
    "psynote.hours",
    "psynote.groups",
    "psynote.search",
    "psynote.supervision",
    "psynote.operators",  # the installation's operator: practices, counts (ADR 0017)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files under `psynote serve`
    # Below WhiteNoise: static files stay cacheable, every page and API answer is no-store.
    "psynote.accounts.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # Who the user supervises and which grants they hold, read once per request.
    "psynote.lib.request_memo.RequestMemoMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "psynote.lib.null_bytes.RejectNullBytesMiddleware",
    # A disk full or read-only folder: a 503 saying nothing was saved, not a 500 (ADR 0012).
    "psynote.lib.database_errors.DatabaseUnwritableMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "psynote.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After both: its logout.idle event needs the request's IP, and its notice a message.
    "psynote.accounts.middleware.IdleLogoutMiddleware",
    # The signed-in author's psychotherapy-note key, for this request only (ADR 0009).
    "psynote.notes.keyring.PsychotherapyKeyMiddleware",
    # A one-time password to change, or a second factor to enrol: nothing else until done.
    "psynote.accounts.middleware.AccountGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "psynote.urls"
WSGI_APPLICATION = "psynote.wsgi.application"

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
                "psynote.accounts.context.role_flags",
            ]
        },
    }
]

_database_url = config.string("DATABASE_URL", "")
if _database_url:
    # A multi-host URL names a high-availability pair (ADR 0018): libpq connects to the one
    # that takes writes. Health checks: a connection kept from before a switch-over is tested
    # at the start of the next request and replaced, instead of failing that request.
    DATABASES = {"default": database_url.parse(_database_url, conn_max_age=600)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": HOME / "psynote.sqlite3",
            # What each setting survives (a killed process, a power cut): ADR 0012.
            "OPTIONS": {
                # IMMEDIATE: writers queue for the lock at BEGIN instead of failing mid-way,
                # which is what keeps the per-practice audit chain strictly ordered.
                "transaction_mode": "IMMEDIATE",
                # busy_timeout, in seconds: a writer waits this long for the lock, well
                # under gunicorn's 30 s worker timeout.
                "timeout": 20,
                # WAL: readers never block the writer. synchronous=FULL: a commit returns
                # only once the WAL is on disk, so an acknowledged signature survives a
                # power cut too (NORMAL survives only a crash of the process).
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                ),
            },
            "CONN_MAX_AGE": 600,
        }
    }
# Growing past one server (docs/scaling.md). A connection pooler in transaction mode keeps
# no session between transactions: no server-side cursors then (pgbouncer, docs/operations.md).
DATABASE_POOLER = pooling.pooler("PSYNOTE_DATABASE_POOLER",
                                  config.string("PSYNOTE_DATABASE_POOLER", ""))
# A streaming replica for heavy reads: only inside `replica_reads()` blocks, never after a
# write in the same request, never when it lags more than REPLICA_MAX_LAG_SECONDS.
REPLICA_MAX_LAG_SECONDS = config.integer("PSYNOTE_REPLICA_MAX_LAG_SECONDS", 30, minimum=0)
if _replica_url := config.string("PSYNOTE_REPLICA_DATABASE_URL", ""):
    from psynote.lib import replica

    DATABASES[replica.ALIAS] = replica.database(_replica_url, primary=DATABASES["default"])
    DATABASE_ROUTERS = [replica.ROUTER]
pooling.apply(DATABASES, DATABASE_POOLER)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Argon2id cost of the key derived from a clinician's password to seal their
# psychotherapy-note key (ADR 0009): RFC 9106's second recommended option.
PSYCHOTHERAPY_KDF = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}
if config.boolean("PSYNOTE_FAST_HASHER", False):  # tests only: Argon2 costs ~145 ms a login
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
    PSYCHOTHERAPY_KDF = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
# Enforced wherever a password is set: the web forms, the admin's user form, and
# accounts.actions (which `psynote createuser` and `changepassword` go through).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "psynote.accounts.passwords.VarietyValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "caseload"
LOGOUT_REDIRECT_URL = "login"

# Sessions end with the browser and after IDLE_TIMEOUT_MINUTES without a request.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = IDLE_TIMEOUT_MINUTES * 60
# The idle-logout middleware re-saves the session at most once a minute; saving it on
# every request would make every page view a database write.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Behind HTTPS (a reverse proxy that sets X-Forwarded-Proto), cookies go secure-only.
HTTPS = config.boolean("PSYNOTE_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = config.string("PSYNOTE_TIME_ZONE", "America/New_York")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `psynote init` collects static files into STATIC_ROOT; WhiteNoise serves them, gzipped.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
