"""Fixtures of the backup tests: an archive elsewhere (a fresh database and scan storage)."""

import uuid
from contextlib import contextmanager

import boto3
import psycopg
import pytest
from django.db import connections


@pytest.fixture(autouse=True)
def ocr_off(settings):
    settings.TESSERACT_COMMAND = ""


def _admin_sql(settings_dict: dict, statement: str) -> None:
    with psycopg.connect(
        host=settings_dict["HOST"] or "localhost",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(statement)


@contextmanager
def fresh_database(tmp_path):
    """Point the default connection at a new, empty database for the duration.

    PostgreSQL: a second database made and dropped here (pytest-django's is test_<name>).
    SQLite: a new file; the test's in-memory database is kept aside, open, meanwhile.
    """
    connection = connections["default"]
    original = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        name = f"{original}_restored_{uuid.uuid4().hex[:8]}"
        _admin_sql(connection.settings_dict, f'CREATE DATABASE "{name}"')
        connection.close()
        connection.settings_dict["NAME"] = name
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["NAME"] = original
            _admin_sql(connection.settings_dict, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    # Closing the in-memory database would destroy it: set its connection aside instead.
    kept = connection.connection
    connection.connection = None
    connection.settings_dict["NAME"] = str(tmp_path / f"restored-{uuid.uuid4().hex[:8]}.sqlite3")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        connection.connection = kept


@pytest.fixture
def elsewhere(tmp_path, settings):
    """A context manager: an empty database and an empty scan storage of the same kind."""

    @contextmanager
    def switch():
        storages_before, root_before = settings.STORAGES, settings.SCANS_ROOT
        scans = storages_before["scans"]
        options = scans.get("OPTIONS", {})
        if "bucket_name" in options:
            bucket = f"restored-{uuid.uuid4().hex[:12]}"
            _s3_client(options).create_bucket(Bucket=bucket)
            settings.STORAGES = {
                **storages_before,
                "scans": {**scans, "OPTIONS": {**options, "bucket_name": bucket}},
            }
        settings.SCANS_ROOT = tmp_path / f"restored-scans-{uuid.uuid4().hex[:8]}"
        try:
            with fresh_database(tmp_path):
                yield
        finally:
            settings.STORAGES, settings.SCANS_ROOT = storages_before, root_before

    return switch


def _s3_client(options: dict):
    return boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name=options["region_name"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def postgres_only():
    if connections["default"].vendor != "postgresql":
        pytest.skip("This runs in the PostgreSQL suite (DATABASE_URL=postgres://…).")
