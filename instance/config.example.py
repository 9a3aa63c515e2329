# Copy to instance/config.py and uncomment what you need. Environment variables
# EXAMCENTRE_<KEY> override this file. Every key is described in examcentre/config.py.

# PostgreSQL instead of the embedded SQLite database:
# DATABASE_URL = "postgresql://examcentre@127.0.0.1:5432/examcentre"

# Behind HTTPS (recommended even on a closed LAN):
# SESSION_COOKIE_SECURE = True
# REMEMBER_COOKIE_SECURE = True

# Several gunicorn workers must share the sign-in lock-out counters:
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"

# Failed sign-ins allowed per account and address before a temporary lock-out:
# LOGIN_FAILURE_LIMIT = "5 per 15 minutes"

# The centre's time zone (exam days, report dates):
# BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

# Reporting results to the certifying authority (data transmission):
# AUTHORITY_HUB_URL = "https://hub.example.gov.cn"
# RESULTS_DUE_WORKING_DAYS = 5
# On the authority's own install (authority-hub mode):
# HUB_MODE = True
