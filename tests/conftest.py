from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from .mail import smtp_server  # noqa: F401  (a fixture: a real SMTP server in the test process)

PASSWORD = "Ett-långt-lösenord-för-test-2026"
# Every public response reads the registry's latest change (one row) for its ETag and
# Last-Modified, before the view runs (agreements/http_caching.py): on top of each page budget.
VALIDATOR_QUERIES = 1
SEED_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "seed.json"


def domain_models():
    """The registry's own models: not the history tables django-simple-history adds."""
    from django.apps import apps

    return [
        m
        for m in apps.get_app_config("agreements").get_models()
        if not m._meta.model_name.startswith("historical")
    ]


@pytest.fixture(autouse=True)
def _empty_cache():
    # The page cache lives in memory across tests; each test starts without it.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    # A request for an English page leaves English active in this thread afterwards; the next
    # test's reverse() and get_absolute_url() would then give /en/ addresses.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Personas are created per test; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded originals go to a fresh folder per test, never to the developer's media/.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    # Bulk downloads too: a developer's var/exports must not show up on the tested pages.
    settings.REGISTRY_EXPORT_DIR = tmp_path / "exports"
    return settings.REGISTRY_EXPORT_DIR


# --- the seed, loaded once ------------------------------------------------------------------
#
# Loading the seed costs more than most tests, so it is committed once per test database and
# each test runs in a transaction that is rolled back. A test that does not ask for `seed`
# still starts from an empty database: the seeded rows are deleted inside its transaction.
# Transactional tests (live server, transaction=True) commit, and pytest-django flushes the
# database after them; they start empty, as Django's TransactionTestCase expects, or with the
# seed if they ask for it, and the seed is committed again before the next test that is
# rolled back.

# What the committed test database holds: "seed", "empty", "written" (anything else).
_database = {"holds": None}
_seeded_tables: list[str] = []


def _row_counts():
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def commit_database(holds):
    """Commit an empty database, or one with the seed; the caller unblocks database access."""
    if _database["holds"] == holds:
        return
    if _database["holds"] not in (None, "empty"):
        call_command("flush", interactive=False, verbosity=0)
    if holds == "seed":
        before = _row_counts()
        call_command("loaddata", str(SEED_FIXTURE), verbosity=0)
        filled = [table for table, rows in _row_counts().items() if rows != before[table]]
        # Emptying deletes whole tables: rows that migrations put there would go too.
        assert not [t for t in filled if before[t]], "the seed adds to tables migrations fill"
        _seeded_tables[:] = filled
    _database["holds"] = holds


def database_written():
    """Say that a fixture committed rows of its own: the next test needs a fresh database."""
    _database["holds"] = "written"


def _delete_the_seed():
    from django.db import connection

    # Foreign keys are checked at commit (deferred on both backends), and this transaction is
    # rolled back after the test, so the order of deletion does not matter.
    with connection.cursor() as cursor:
        for table in _seeded_tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def _is_transactional(item):
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return any(
        name in item.fixturenames
        for name in ("transactional_db", "live_server", "django_db_reset_sequences")
    )


def _uses_database(item):
    return bool(item.get_closest_marker("django_db")) or any(
        name in item.fixturenames
        for name in ("db", "transactional_db", "live_server", "_django_db_helper")
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        commit_database("seed")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before any fixture: pytest-django opens a test's transaction in an autouse fixture of its
    # own, and the seed must be committed outside it. The first test's database does not exist
    # yet here; django_db_setup seeds it.
    if _database["holds"] in (None, "seed") or not _uses_database(item):
        return
    if not _is_transactional(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            commit_database("seed")


@pytest.fixture(autouse=True)
def _database_state(request, django_db_blocker):
    if not _uses_database(request.node):
        yield
    elif _is_transactional(request.node):
        # No transaction is open in a transactional test: this commits.
        with django_db_blocker.unblock():
            commit_database("seed" if "seed" in request.fixturenames else "empty")
        yield
        # pytest-django flushes the database after a transactional test.
        _database["holds"] = "empty"
    else:
        # The test's transaction starts here, before any fixture writes to the database.
        request.getfixturevalue("_django_db_helper")
        if "seed" not in request.fixturenames:
            _delete_the_seed()
        yield


@pytest.fixture
def seed(db):
    """The seed's records (fixtures/seed.json), in the database when the test starts.

    _database_state puts them there: committed for a transactional test, else left in place.
    """


@pytest.fixture
def forger(django_app_factory):
    """A browser that can send what the page did not offer, or replay a form one user was
    shown as another user: no CSRF check, over HTTPS. Only for tests that forge a request
    on purpose; every other admin test submits the form the page renders."""
    return django_app_factory(csrf_checks=False, extra_environ={"wsgi.url_scheme": "https"})


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("redaktor", "redaktor@example.se", "x")
    client.force_login(user)
    return client


def count_queries(client, path):
    """How many SQL queries one GET of `path` makes (and that it answers 200)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def personas(seed, django_user_model):
    """Editors as the roles exist: superuser, registry editor, two municipalities, an outsider."""
    from django.contrib.auth.models import Group

    from agreements.models import EditorProfile, Municipality
    from agreements.roles import MUNICIPALITY_EDITORS, REGISTRY_EDITORS

    def make(name, group=None, municipality=None, superuser=False):
        user = django_user_model.objects.create_user(
            name, password=PASSWORD, is_staff=True, is_superuser=superuser
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        if municipality:
            EditorProfile.objects.create(
                user=user, municipality=Municipality.objects.get(code=municipality)
            )
        return user

    return {
        "superuser": make("admin", superuser=True),
        "registry": make("registret", REGISTRY_EDITORS),
        "laxa": make("laxa", MUNICIPALITY_EDITORS, "1860"),
        "hallsberg": make("hallsberg", MUNICIPALITY_EDITORS, "1861"),
        "outsider": make("utomstaende"),
    }


@pytest.fixture
def admin_app(django_app):
    """django-webtest's browser, over HTTPS as staff use it (cookies are secure-only)."""
    django_app.extra_environ["wsgi.url_scheme"] = "https"
    return django_app
