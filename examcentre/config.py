"""Default configuration.

Layers, each overriding the one before (see ``create_app``):

1. ``DefaultConfig`` below: every key, commented;
2. ``instance/config.py`` (copy ``instance/config.example.py``);
3. environment variables ``EXAMCENTRE_<KEY>``, e.g. ``EXAMCENTRE_DATABASE_URL``. Values are
   parsed as JSON when they can be (``EXAMCENTRE_SESSION_COOKIE_SECURE=true``).
"""

from __future__ import annotations

from typing import ClassVar


class DefaultConfig:
    # --- Database -------------------------------------------------------------------------
    # None means the embedded default: SQLite in WAL mode at instance/examcentre.sqlite3.
    # PostgreSQL: "postgresql://user@host:5432/dbname" (the psycopg 3 driver is selected
    # automatically).
    DATABASE_URL: str | None = None
    # How long an SQLite writer waits for the lock before giving up, in milliseconds. A room
    # of terminals saving answers at once queues here instead of failing.
    SQLITE_BUSY_TIMEOUT_MS = 10_000
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    # Connections each server process keeps open for reuse: at least a worker's threads
    # (examcentre serve: 8) and the scheduler's. Beyond it, a connection opened at a busy
    # moment is closed again when it is returned (SQLAlchemy's QueuePool keeps 5 by
    # default), and on PostgreSQL each one is a new server process with cold caches, opened
    # at the worst moment: the start of an exam.
    DATABASE_POOL_SIZE = 10

    # --- Secrets and cookies --------------------------------------------------------------
    # Leave unset: on first run a random key is written to instance/secret_key and reused.
    SECRET_KEY: str | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Set to true whenever the platform is served over HTTPS (it should be, even on a LAN).
    # False by default only so that the embedded run works at http://127.0.0.1:5000.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Staff sessions end after this many seconds without a request (8 h: one exam day).
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    # --- Sign-in protection (Flask-Limiter) ------------------------------------------------
    # Failed sign-ins allowed per account and address before a temporary lock-out.
    LOGIN_FAILURE_LIMIT = "5 per 15 minutes"
    # Where the limiter keeps its counters. None: instance/ratelimits.sqlite3, shared by
    # every server process on this machine (examcentre/ratelimit_storage.py). Servers on
    # several machines must share one, e.g. "redis://10.0.0.5:6379". Not "memory://" with
    # several workers: each would count alone.
    RATELIMIT_STORAGE_URI: str | None = None
    RATELIMIT_HEADERS_ENABLED = True

    # --- Exam terminals --------------------------------------------------------------------
    # The cookie that makes a browser a registered exam terminal (holds the device token).
    TERMINAL_COOKIE_NAME = "examcentre_terminal"
    # Five years: a terminal is registered once, not once per exam day.
    TERMINAL_COOKIE_MAX_AGE = 5 * 365 * 24 * 3600

    # --- The timed theory exam -------------------------------------------------------------
    # Saves arriving up to this many seconds after the deadline are still recorded: they
    # were in flight when time ran out. After it the paper is submitted automatically.
    ANSWER_GRACE_SECONDS = 60
    # The invigilator console flags a running terminal silent for longer than this.
    HEARTBEAT_LOST_SECONDS = 45
    # How often the scheduler submits overdue papers (it also runs once at start-up).
    AUTO_SUBMIT_INTERVAL_SECONDS = 15
    # How often the candidate's exam page sends a heartbeat and re-synchronises its clock
    # with the server's (seconds; tests shorten it). The page varies each interval by up to a
    # tenth, and waits a random part of it for the first beat, so that a room's terminals do
    # not beat all at once (static/js/exam.js). Keep it well under HEARTBEAT_LOST_SECONDS.
    EXAM_HEARTBEAT_SECONDS = 15

    # --- Languages (Flask-Babel) -----------------------------------------------------------
    LANGUAGES = ("zh_CN", "en")
    # Used when the browser states no language we have.
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

    # --- Scheduler (APScheduler) -----------------------------------------------------------
    # Hour (centre local time) of the nightly audit-chain verification.
    AUDIT_VERIFY_HOUR = 2
    # Hour of the nightly compliance self-check of every centre (after the chain check).
    COMPLIANCE_CHECK_HOUR = 3

    # --- Question bank -----------------------------------------------------------------------
    # A blueprint is published only when every cell (area x type) holds at least this many
    # times the questions one paper draws from it, live. 3 is rule R-BANK's DEFAULT reading.
    BANK_COVERAGE_FACTOR = 3

    # --- Practical exams and simulator stations ----------------------------------------------
    # The folder holding the practical score sheets and the simulator scenario catalogue
    # (question_bank/practical/README.md). None: question_bank/practical beside the code.
    # Read once per process: restart after changing a sheet or the catalogue.
    PRACTICAL_DIR: str | None = None
    # A candidate may be enrolled in a practical session only after passing the theory exam
    # of the item (the newest result version counts). INFERENCE, domain.md §4: a setting.
    PRACTICAL_REQUIRES_THEORY_PASS = True
    # Two examiners whose totals differ by more than this many points go to the session's
    # lead examiner, who decides with a reason; otherwise the result is PRACTICAL_RECONCILE_
    # POLICY of the two: "mean" (exact, 70 and 71 give 70.5) or "lower". INFERENCE.
    PRACTICAL_RECONCILE_THRESHOLD = 10
    PRACTICAL_RECONCILE_POLICY = "mean"
    # A retake of a failed subject must be within this many days of the first failed
    # sitting (domain.md §4 "commonly 1 year"; INFERENCE, configurable).
    PRACTICAL_RETAKE_WINDOW_DAYS = 365

    # --- Working days ------------------------------------------------------------------------
    # Deadlines counted in working days (appeal answers, reporting to the authority) skip
    # weekends and these public holidays, and count these make-up weekend days (调休) as
    # working. ISO dates; enter each year's State Council notice (examcentre/workdays.py).
    HOLIDAYS: ClassVar[list[str]] = []
    EXTRA_WORKING_DAYS: ClassVar[list[str]] = []

    # --- Data transmission to the certifying authority (数据传输) -------------------------------
    # Where this centre delivers its signed results batches: the hub's base URL, e.g.
    # "https://hub.example.gov.cn". None: nothing is sent; batches wait in the outbox and can
    # be exported to a file (examcentre results export) for offline transfer.
    AUTHORITY_HUB_URL: str | None = None
    # A session's results are due at the authority within this many working days of the
    # session's end (HOLIDAYS / EXTRA_WORKING_DAYS apply). Overdue batches are flagged on the
    # centre's outbox page and on the hub's page.
    RESULTS_DUE_WORKING_DAYS = 5
    # How often the scheduler builds batches for newly closed sessions and sends the due ones.
    OUTBOX_INTERVAL_SECONDS = 60
    # Retry backoff after a failed delivery: base * 2^(attempts - 1), capped.
    OUTBOX_BACKOFF_BASE_SECONDS = 30
    OUTBOX_BACKOFF_MAX_SECONDS = 6 * 3600
    # Seconds to wait for the hub to answer one delivery.
    OUTBOX_TIMEOUT_SECONDS = 30
    # Where the centres' Ed25519 private keys live (one file per centre, mode 0600). None:
    # instance/keys. Never in the database, never served.
    SIGNING_KEY_DIR: str | None = None
    # Authority-hub mode: this install accepts signed batches from registered centres at
    # POST /api/v1/hub/batches. Off on a centre's install.
    HUB_MODE = False

    # --- Applications and appeals -------------------------------------------------------------
    # Uploaded application documents (JPEG, PNG, PDF, checked by content): the size limit per
    # file, and the folder they are kept in (never served as static files). None:
    # instance/applications.
    APPLICATION_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    APPLICATION_FILES_DIR: str | None = None
    # An appeal or complaint is answered within this many working days of receipt
    # (HOLIDAYS / EXTRA_WORKING_DAYS apply), and followed up within this many calendar days
    # of the answer. Overdue cases are highlighted in the list.
    APPEAL_ANSWER_WORKING_DAYS = 3
    APPEAL_FOLLOWUP_DAYS = 7

    # --- Item statistics (reports/itemstats.py, docs/item-statistics.md) -----------------
    # A question is flagged too hard below / too easy above these facility indexes (0..1),
    # negatively discriminating below this corrected point-biserial, and never on fewer
    # responses than ITEM_STATS_MIN_RESPONSES (too few to tell a fault from noise).
    ITEM_STATS_FACILITY_MIN = 0.2
    ITEM_STATS_FACILITY_MAX = 0.9
    ITEM_STATS_DISCRIMINATION_MIN = 0.0
    ITEM_STATS_MIN_RESPONSES = 30
    # The nightly job computes the statistics of the last N days (up to yesterday), at this
    # local hour.
    ITEM_STATS_PERIOD_DAYS = 365
    ITEM_STATS_HOUR = 4
    # The local hour of the nightly job that keeps last month's summary report (once).
    MONTHLY_REPORT_HOUR = 5
    # Authority dashboard: a centre's theory pass rate more than this many points from the
    # mean of the other centres' is highlighted, among centres with at least OUTLIER_MIN_SAT
    # decided theory results in the period (reports/dashboard.py).
    OUTLIER_PASS_RATE_POINTS = 20
    OUTLIER_MIN_SAT = 30
    # A practical examiner whose mean signed difference from their co-examiners' totals (same
    # candidates) exceeds this many points is highlighted, among examiners with at least
    # OUTLIER_EXAMINER_MIN_PAIRS co-scored candidates in the period (reports/dashboard.py).
    OUTLIER_EXAMINER_POINTS = 8
    OUTLIER_EXAMINER_MIN_PAIRS = 10
    # Months shown in the dashboard's trend chart.
    DASHBOARD_TREND_MONTHS = 12

    # --- Forms -----------------------------------------------------------------------------
    WTF_CSRF_TIME_LIMIT = 8 * 3600
