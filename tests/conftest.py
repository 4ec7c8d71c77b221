"""Shared fixtures: staff users per role and records made through the production functions."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from accessions.catalogue.intake import create_record
from accessions.catalogue.workflow import transition_record
from accessions.models import Donor, Language, RecordText, RightsStatement

SHARED_DIR = Path(__file__).resolve().parent.parent.parent / "shared"

# Queries the public record page runs, however many texts, taxonomy values or scan pages a
# record has: the record with its foreign keys, its texts, all its vocabulary lists in one,
# its scan pages.
RECORD_PAGE_QUERIES = 4
# The same without the scan pages: the API record, the citation downloads.
RECORD_QUERIES = 3

# Generated tests run the same examples on every run and save none between runs, so that CI
# is reproducible and the repository gets no example database.
hypothesis_settings.register_profile("archive", derandomize=True, database=None, deadline=None)
hypothesis_settings.load_profile("archive")

# The loopback SMTP server fixtures (smtp_server, smtp_down) and the other real engines
# (redis_server, rq_tasks, s3_scans, replica_database) for every test module.
pytest_plugins = ["tests.smtp_server", "tests.engines"]


@pytest.fixture(autouse=True)
def test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SCANS_ROOT = tmp_path / "scans"
    # Public pages are cached in every test, as in production; each test starts with none.
    settings.PAGE_CACHE_SECONDS = 600
    cache.clear()
    # Real hashing costs most of a second per user; it is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def migration_rows(django_db_setup, django_db_blocker):
    """The rows migrations create (languages, staff roles), read once after migrating."""
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock():
        languages = list(Language.objects.values_list("code", "name"))
        roles = {
            group.name: list(group.permissions.values_list("content_type__app_label", "codename"))
            for group in Group.objects.all()
        }
    return languages, roles


@pytest.fixture(autouse=True)
def restore_migration_rows(request):
    """Put back what migrations made before each transactional test.

    A transactional test (live_server, transaction=True) ends with a flush that empties every
    table, so the tests after it would find no languages and no roles.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames
    )
    if not transactional:
        return
    from django.contrib.auth.models import Permission

    # Asked for here, not as an argument, so that tests without a database need none; the
    # first transactional test reads the rows before its own flush empties the tables.
    languages, roles = request.getfixturevalue("migration_rows")
    request.getfixturevalue("transactional_db")
    Language.objects.bulk_create(
        [Language(code=code, name=name) for code, name in languages], ignore_conflicts=True
    )
    for name, permissions in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = {codename for _, codename in permissions}
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="accessions", codename__in=wanted)
        )


def _staff_user(django_user_model, username: str, group: str | None):
    user = django_user_model.objects.create_user(
        username=username, password="pw-for-tests-only", is_staff=True
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def cataloguer(django_user_model):
    return _staff_user(django_user_model, "cat", "Cataloguer")


@pytest.fixture
def editor(django_user_model):
    return _staff_user(django_user_model, "ed", "Editor")


@pytest.fixture
def rights_manager(django_user_model):
    return _staff_user(django_user_model, "rm", "Rights manager")


@pytest.fixture
def staff_without_role(django_user_model):
    return _staff_user(django_user_model, "nobody", None)


@pytest.fixture
def rights_statement(db):
    return RightsStatement.objects.create(
        name="Research reuse",
        statement="Reuse for research and education is welcome.",
        uri="http://rightsstatements.org/vocab/InC-EDU/1.0/",
        inquiry_contact="the Rights Desk",
        inquiry_email="rights@example.org",
    )


@pytest.fixture
def funder(db):
    return Donor.objects.create(
        name="Example Foundation",
        is_funder=True,
        email="secret-contact@example.net",
        phone="+1 555 0199",
        address="99 Hidden Lane",
    )


@pytest.fixture
def make_record(db, rights_statement):
    """Make a complete record in the given status through the real workflow."""
    from django.contrib.auth import get_user_model

    def make(status="published", title="A telegram about arms control", **fields):
        User = get_user_model()
        actor, _ = User.objects.get_or_create(
            username="workflow-robot", defaults={"is_superuser": True, "is_staff": True}
        )
        fields.setdefault("date_text", "1963-11-25")
        fields.setdefault("summary", "A summary of the telegram.")
        fields.setdefault("rights", rights_statement)
        record = create_record(title=title, user=actor, **fields)
        RecordText.objects.create(
            record=record,
            body="First paragraph.\n\nSecond paragraph.",
            language=Language.objects.get(code="en"),
            is_primary=True,
            credit="Translated by A. Translator",
        )
        steps = {
            "draft": [],
            "in_review": ["submit"],
            "published": ["submit", "publish"],
            "withdrawn": ["submit", "publish", "withdraw"],
        }[status]
        for action in steps:
            transition_record(record=record, action=action, user=actor)
        return record

    return make
