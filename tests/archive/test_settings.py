import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from archive.settings import database_from_url

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_relative_sqlite_url_lives_under_the_project():
    config = database_from_url("sqlite:///var/db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(PROJECT_DIR / "var" / "db.sqlite3")


def test_absolute_sqlite_url_and_memory():
    assert database_from_url("sqlite:////tmp/x.db")["NAME"] == "/tmp/x.db"
    assert database_from_url("sqlite:///:memory:")["NAME"] == ":memory:"


def test_postgres_url_with_credentials_port_and_options():
    config = database_from_url(
        "postgres://arch%40ive:p%2Fss@db.example.org:6543/archive?sslmode=require"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("archive", "arch@ive", "p/ss")
    assert (config["HOST"], config["PORT"]) == ("db.example.org", 6543)
    assert config["OPTIONS"] == {"sslmode": "require", "options": "-c jit=off"}


def test_postgres_options_given_in_the_url_are_kept_beside_jit_off():
    config = database_from_url("postgres://db/archive?options=-c%20statement_timeout%3D5000")
    assert config["OPTIONS"]["options"] == "-c statement_timeout=5000 -c jit=off"


@pytest.mark.django_db
def test_the_archive_connection_to_postgresql_runs_without_jit():
    # A search's plans are priced past jit_above_cost by branches that never run: compiling
    # them cost 25-30 ms a request with PostgreSQL's default settings.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_postgresql_scheme_without_password_or_port():
    config = database_from_url("postgresql://postgres@127.0.0.1/archive")
    assert (config["USER"], config["PASSWORD"], config["PORT"]) == ("postgres", "", "")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/archive", "Unsupported DATABASE_URL scheme 'mysql'"),
        ("postgres://localhost", "needs a database name"),
        ("sqlite://", "needs a file path"),
    ],
)
def test_bad_database_urls_are_refused_with_a_clear_message(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url(url)


def _run_check(extra_env: dict) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    env.update({"DATABASE_URL": "sqlite:///:memory:", **extra_env})
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_check({"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_secret_key():
    result = _run_check({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("debug", ["1", "0"])
def test_a_log_line_is_printed_once(debug):
    """Django's own logger and the root logger must not both print the same line."""
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.tasks').info('task line'); "
        "logging.getLogger('accessions.scans').info('scan line')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "archive.settings",
        "DJANGO_DEBUG": debug,
        "DJANGO_SECRET_KEY": "x" * 50,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("task line") == 1
    assert result.stderr.count("scan line") == 1
