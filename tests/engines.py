"""Real engines on loopback for the tests, as pytest fixtures: Redis, RQ workers, S3, a replica.

Each engine the tests start is a real server process on a free loopback port (redis-server,
moto's S3 server), owned by the fixture, so that a test may stop it to show what the archive
does without it. The read replica is a PostgreSQL streaming replica made by `.ci/replica`.
Where an engine is missing the tests skip with the reason, except in CI, where they fail.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import psycopg
import pytest
import redis
from asgiref.local import Local
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connections
from django.tasks import task_backends

from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parent.parent
REPLICA = "replica"
DEFAULT_TEST_REPLICA_URL = "postgres://postgres@127.0.0.1:5433/postgres"


def engine_unavailable(reason: str):
    # CI must prove the archive on these engines, so a missing one there is a failure.
    if os.environ.get("CI"):
        pytest.fail(f"{reason} CI must run these tests (see .ci/run).", False)
    pytest.skip(reason)


def wait_until(condition, *, timeout: float = 20, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(0.05)


def forget_task_backends():
    # Django caches task backends and has no setting_changed hook for TASKS (6.1).
    task_backends.__dict__.pop("settings", None)
    task_backends._connections = Local(task_backends.thread_critical)


class LoopbackRedis:
    """A redis-server of the test's own, without persistence, that can be stopped and started."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        engine_unavailable("redis-server is not installed (apt-get install redis-server).")
    server = LoopbackRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(settings, redis_server):
    """The cache on the test's own Redis, as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return redis_server


@pytest.fixture
def rq_tasks(settings, redis_server):
    """Tasks go to an RQ queue on the test's own Redis, where only a worker runs them."""
    settings.RQ_QUEUES = {"default": {"URL": redis_server.url}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    forget_task_backends()
    yield redis_server
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    forget_task_backends()


def run_rq_worker():
    """Run a real RQ worker in this process until the queue is empty.

    RQ's SimpleWorker runs each job in this process instead of a forked child, so that the
    job sees the test's database (SQLite's lives in this process's memory).
    """
    call_command(
        "rqworker",
        "default",
        "--burst",
        "--with-scheduler",
        "--job-class",
        "django_tasks_rq.Job",
        "--worker-class",
        "rq.worker.SimpleWorker",
        verbosity=0,
    )


def worker_environment(*, redis_url: str, **extra) -> dict:
    """The environment of a worker process reading the test database (PostgreSQL only)."""
    database = connections["default"].settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST'] or 'localhost'}"
        f":{database['PORT'] or 5432}/{database['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "TASKS_REDIS_URL": redis_url,
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }


def start_rq_worker_process(env: dict, log: Path) -> subprocess.Popen:
    """A real forking RQ worker in its own process group, as `manage.py rqworker` runs it."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "default", "--with-scheduler"]
        + ["--job-class", "django_tasks_rq.Job"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def descendants(pid: int) -> list[int]:
    """The process ids of a process's children, theirs, and so on (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, waiting = [], [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child)
    return found


def kill_worker(process: subprocess.Popen) -> None:
    """Kill a worker and the job it is running at once, as a crash or an OOM kill would.

    RQ runs each job in a forked child in a session of its own, so the child is found by
    its parent and killed by its id too.
    """
    for pid in [process.pid, *descendants(process.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=30)


class LoopbackS3:
    """moto's S3 server in its own process on a loopback port."""

    def __init__(self, log: Path):
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        wait_until(self._answers, timeout=60, what=f"moto's S3 server on port {self.port}")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1)
        except OSError:
            return False
        return True

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    server = LoopbackS3(tmp_path_factory.mktemp("moto") / "moto.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_scans(settings, s3_server, monkeypatch):
    """Scans in a fresh private bucket of the loopback S3 server, as in production."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"scans-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "scans": {
            "BACKEND": "accessions.scans.storage.S3ScanStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server.url,
                "region_name": "us-east-1",
                "querystring_expire": 60,
            },
        },
    }
    s3_server.bucket = bucket
    return s3_server


def _replica_settings(default: dict) -> dict:
    url = urlsplit(os.environ.get("TEST_REPLICA_URL", DEFAULT_TEST_REPLICA_URL))
    return {
        **default,
        "HOST": url.hostname or "127.0.0.1",
        "PORT": str(url.port or 5433),
        "USER": url.username or default["USER"],
        "PASSWORD": url.password or default["PASSWORD"],
        # Django points a mirror at the primary's test database, on the replica's server.
        "TEST": {**default["TEST"], "MIRROR": "default"},
    }


@pytest.fixture(scope="module")
def replica_database(django_db_setup, django_db_blocker):
    """The "replica" database: the PostgreSQL streaming replica of the primary, on loopback.

    The replica replays the primary's test database like any other, so the alias reads the
    test database's committed rows, as they reach it.
    """
    with django_db_blocker.unblock():
        default = connections["default"].settings_dict
        if default["ENGINE"] != "django.db.backends.postgresql":
            pytest.skip("A streaming replica needs PostgreSQL (DATABASE_URL=postgres://…).")
        replica = _replica_settings(default)
        try:
            with psycopg.connect(
                host=replica["HOST"],
                port=replica["PORT"],
                user=replica["USER"],
                password=replica["PASSWORD"],
                dbname=default["NAME"],
                connect_timeout=3,
            ) as probe:
                in_recovery = probe.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        except psycopg.OperationalError as error:
            engine_unavailable(
                f"No streaming replica at {replica['HOST']}:{replica['PORT']} ({error}); "
                "run .ci/replica (as root) to make one."
            )
        if not in_recovery:
            engine_unavailable(f"{replica['HOST']}:{replica['PORT']} is not a replica.")
    # The connection handler reads the same dict as settings.DATABASES.
    connections.settings[REPLICA] = replica
    django_settings.DATABASES[REPLICA] = replica
    yield replica
    connections[REPLICA].close()
    del connections[REPLICA]
    connections.settings.pop(REPLICA, None)
    django_settings.DATABASES.pop(REPLICA, None)


def replica_caught_up() -> bool:
    """Whether the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        written = cursor.fetchone()[0]
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written])
        return cursor.fetchone()[0]
