"""gunicorn's settings for `make serve` (gunicorn reads this file from the working folder)."""

import os

bind = os.environ.get("ARCHIVE_BIND", "127.0.0.1:8000")
# Sync workers: each request is short, and the database does the waiting.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
timeout = int(os.environ.get("ARCHIVE_REQUEST_TIMEOUT", "60"))
graceful_timeout = 30
# A worker is replaced after this many requests, so a slow leak never grows for long.
max_requests = 5000
max_requests_jitter = 500
# The app is loaded once and the workers forked from it; connections open in each worker.
preload_app = True
# Not used; two servers on one machine (a bench, the tests) would share its one default path.
control_socket_disable = True
# The proxy in front may set X-Forwarded-Proto (with DJANGO_SECURE_PROXY_SSL_HEADER=1).
forwarded_allow_ips = os.environ.get("ARCHIVE_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("ARCHIVE_ACCESS_LOG", "-")
# %(M)s is the time the request took, in milliseconds.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
if os.environ.get("DJANGO_LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "archive.json_logging.JSONFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
