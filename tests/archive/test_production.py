"""The production stack as `make serve` starts it: gunicorn, WhiteNoise, the security headers.

bin/serve runs once for the module, with production variables, on a SQLite file of its own;
the tests ask it over HTTP on loopback, as a browser or a load balancer would.
"""

import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engines import wait_until
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "production-test-secret-" + "x" * 40


def production_env(tmp: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": SECRET,
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(tmp / "static"),
            "ARCHIVE_SCANS_ROOT": str(tmp / "scans"),
            "EMAIL_HOST": "127.0.0.1",
            # Behind a proxy that ends TLS and says so in X-Forwarded-Proto.
            "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
            **extra,
        }
    )
    return env


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_json_logs_are_one_object_per_line(tmp_path):
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('accessions.scans').warning('scan %s failed', 7, extra={'scan': 7})"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **production_env(tmp_path, DJANGO_LOG_FORMAT="json"),
            "DJANGO_SETTINGS_MODULE": "archive.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "accessions.scans"
    assert entry["message"] == "scan 7 failed"
    assert entry["scan"] == 7


class Served:
    def __init__(self, port: int):
        self.port = port

    def get(self, path: str, *, https: bool = True, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": "localhost", **({"X-Forwarded-Proto": "https"} if https else {})}
        connection.request("GET", path, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response, body


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """bin/serve with production variables, until the module's tests are done."""
    tmp = tmp_path_factory.mktemp("serve")
    port = free_port()
    log = tmp / "serve.log"
    process = subprocess.Popen(
        ["bin/serve"],
        cwd=ROOT,
        env=production_env(
            tmp,
            ARCHIVE_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="2",
            PYTHON=sys.executable,
        ),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Served(port)

    def answers():
        if process.poll() is not None:
            raise AssertionError("bin/serve stopped:\n" + log.read_text())
        try:
            return server.get("/healthz", https=False)[0].status == 200
        except OSError:
            return False

    try:
        wait_until(answers, timeout=120, what="bin/serve to answer")
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert process.returncode is not None


def stylesheet_url(served) -> str:
    _, body = served.get("/")
    return re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body.decode()).group(1)


def test_pages_name_hashed_static_files_served_for_a_year_and_compressed(served):
    url = stylesheet_url(served)
    response, body = served.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "max-age=315360000" in response.getheader("Cache-Control")
    assert "immutable" in response.getheader("Cache-Control")
    assert b".site-header" in gzip.decompress(body)


def test_a_plain_http_request_is_sent_to_https(served):
    response, _ = served.get("/search/", https=False)
    assert response.status == 301
    assert response.getheader("Location") == "https://localhost/search/"


def test_pages_carry_the_security_headers(served):
    response, _ = served.get("/")
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Referrer-Policy") == "strict-origin-when-cross-origin"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    policy = response.getheader("Content-Security-Policy")
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_health_checks_answer_over_plain_http_for_the_load_balancer(served):
    response, body = served.get("/healthz", https=False)
    assert (response.status, body) == (200, b"ok\n")
    response, body = served.get("/readyz", https=False)
    assert response.status == 200
    assert json.loads(body)["checks"]["database"] == "ok"
