"""Production behaviour: configuration from the environment, hardening, health, search."""

import contextlib
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from agreements.models import Cooperation, PlannedProcurement

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
STRONG_KEY = "k" + uuid.uuid4().hex + uuid.uuid4().hex  # 65 characters, many distinct

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL-only; .ci/run also runs the suite there"
)


def _exactly(env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return {**base, **(env or {})}


def manage(*args, env=None, check=True):
    """Run manage.py in a fresh interpreter with exactly the given environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_exactly(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def production_env(**extra):
    return {
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": "samverkan.example.se",
        "REGISTRY_BASE_URL": "https://samverkan.example.se",
        **extra,
    }


@contextlib.contextmanager
def scratch_database(prefix):
    """A new, empty PostgreSQL database for one test, dropped afterwards.

    Tests that run manage.py against PostgreSQL never touch a database that other runs (or
    other checkouts on the same machine) may have migrated differently.
    """
    db_name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_url = PG_URL.replace("postgres://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{db_name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def postgres_reachable():
    try:
        psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


# --- configuration -------------------------------------------------------------------------


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = manage("check", check=False)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY är inte satt" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_a_deployment_without_https():
    env = production_env(DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_SECURE_COOKIES="false")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)
    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W012" in result.stderr


def test_database_url_selects_postgresql():
    code = "from django.db import connection; print(connection.vendor)"
    result = manage("shell", "--no-imports", "-c", code, env=production_env(DATABASE_URL=PG_URL))
    assert result.stdout.strip() == "postgresql"


def test_collectstatic_builds_hashed_compressed_files(tmp_path):
    code = (
        "from django.conf import settings; from django.core.management import call_command; "
        f"settings.STATIC_ROOT = {str(tmp_path)!r}; "
        "call_command('collectstatic', interactive=False, verbosity=0); "
        "from django.templatetags.static import static; print(static('css/site.css'))"
    )
    result = manage("shell", "--no-imports", "-c", code, env=production_env())
    hashed = result.stdout.strip()
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", hashed)
    assert (tmp_path / hashed.removeprefix("/static/")).is_file()
    assert (tmp_path / (hashed.removeprefix("/static/") + ".gz")).is_file()


# --- headers -------------------------------------------------------------------------------

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@pytest.mark.parametrize("url_name", ["agreements:home", "admin:login", "healthz"])
def test_security_headers_on_every_kind_of_response(db, client, url_name):
    response = client.get(reverse(url_name))
    for header, expected in SECURITY_HEADERS.items():
        assert expected in response.headers.get(header, ""), header
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_plain_http_is_redirected_to_https_except_healthz(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("agreements:home"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert client.get(reverse("healthz")).status_code == 200


def test_hsts_is_sent_over_https(db, client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get(reverse("agreements:home"), secure=True)
    assert "max-age=31536000" in response["Strict-Transport-Security"]


# --- health --------------------------------------------------------------------------------


def test_healthz_answers_ok_when_the_database_answers(db, client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    # No DJANGO_CACHE_URL in tests: no page cache, which is no fault.
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "off",
        "outbox": {"status": "ok", "oldest_due_seconds": 0},
    }


def test_healthz_fails_when_the_database_is_unreachable():
    code = (
        "from django.test import Client; "
        "r = Client(HTTP_HOST='samverkan.example.se').get('/healthz'); "
        "print(r.status_code, r.content.decode())"
    )
    env = production_env(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/none", DJANGO_SECURE_SSL_REDIRECT="false"
    )
    result = manage("shell", "--no-imports", "-c", code, env=env)
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503"
    assert json.loads(body)["database"] == "unreachable"


def test_pages_and_api_say_try_again_later_when_the_database_is_unreachable():
    code = (
        "from django.test import Client; "
        "c = Client(HTTP_HOST='samverkan.example.se', raise_request_exception=False); "
        "import json; print(json.dumps([(p, r.status_code, r.get('Retry-After'), "
        "r['Content-Type'], r.content.decode()) for p in ('/', '/en/kommuner/', "
        "'/api/v1/cooperations/') for r in [c.get(p)]]))"
    )
    env = production_env(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/none",
        DJANGO_SECURE_SSL_REDIRECT="false",
        # The pages link their stylesheet: without collectstatic's manifest, from the app folders.
        DJANGO_STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    answers = json.loads(manage("shell", "--no-imports", "-c", code, env=env).stdout)
    for path, status, retry_after, content_type, body in answers:
        # Down for a while, not broken: a crawler or a client retries, a reader is told so.
        assert (status, retry_after) == (503, "30"), path
        if path.startswith("/api/"):
            assert content_type == "application/json"
            assert json.loads(body)["error"]["status"] == 503
        else:
            assert "Registret är tillfälligt otillgängligt" in body
            assert "The registry is temporarily unavailable" in body


def test_healthz_refuses_post(db, client):
    assert client.post(reverse("healthz")).status_code == 405


# --- search --------------------------------------------------------------------------------


def test_search_ignores_case_of_swedish_letters(seed):
    upper = {c.slug for c in Cooperation.objects.search("LAXÅ")}
    assert "avtalssamverkan-hallsberg-laxa-lekeberg" in upper
    assert "natverk-upphandlare-sydnarke" not in upper
    assert upper == {c.slug for c in Cooperation.objects.search("laxå")}


def test_search_finds_inflected_forms(seed):
    # The data says "upphandlarna"; the indefinite singular must find it.
    assert Cooperation.objects.search("upphandlare").filter(slug="natverk-upphandlare-sydnarke")


def test_blank_search_returns_everything(seed):
    assert Cooperation.objects.search("   ").count() == Cooperation.objects.count()


def test_very_long_search_is_answered(seed):
    # Cut to its first words, the search still finds what those words find.
    expected = set(PlannedProcurement.objects.search("upphandling"))
    assert expected
    assert set(PlannedProcurement.objects.search("upphandling " * 500)) == expected


@on_postgresql
def test_swedish_stemming_finds_inflected_forms_on_postgresql(db):
    PlannedProcurement.objects.create(
        title="Städtjänster", slug="stad", status="idea", description="Upphandling av städning"
    )
    assert PlannedProcurement.objects.search("upphandlingar").get().slug == "stad"
    assert PlannedProcurement.objects.search("städtjänsten").get().slug == "stad"


@on_postgresql
def test_search_ranks_the_better_match_first_on_postgresql(db):
    PlannedProcurement.objects.create(
        title="Vinterväghållning", slug="a", status="idea", description="snöröjning"
    )
    PlannedProcurement.objects.create(
        title="Snöröjning", slug="b", status="idea", description="snöröjning och snöröjning"
    )
    assert [p.slug for p in PlannedProcurement.objects.search("snöröjning")] == ["b", "a"]


@on_postgresql
def test_search_results_are_counted_and_paged_in_rank_order_on_postgresql(db, client):
    # 30 matches, each a little less relevant than the one before; 3 that do not match.
    for n in range(30):
        PlannedProcurement.objects.create(
            title=f"Avtal {n:02}", slug=f"m{n:02}", status="idea",
            description="snöröjning " * (30 - n) + "grus " * n,
        )  # fmt: skip
    for n in range(3):
        PlannedProcurement.objects.create(
            title=f"Annat {n}", slug=f"x{n}", status="idea", description="städning"
        )
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/upphandlingar/?q=sn%C3%B6r%C3%B6jning")
    counts = [q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    second = client.get("/upphandlingar/?q=sn%C3%B6r%C3%B6jning&page=2")
    assert "30 upphandlingar" in first.text and "30 upphandlingar" in second.text
    assert "Sida 1 av 2" in first.text and "Sida 2 av 2" in second.text
    shown = [re.findall(r"/upphandlingar/(m\d\d)/", page.text) for page in (first, second)]
    listed = [list(dict.fromkeys(slugs)) for slugs in shown]
    assert listed == [[f"m{n:02}" for n in range(25)], [f"m{n:02}" for n in range(25, 30)]]
    # The matches are read once, to rank and count them together; not counted apart.
    assert not counts
    assert client.get("/upphandlingar/?q=sn%C3%B6r%C3%B6jning&page=3").status_code == 404


@on_postgresql
def test_search_uses_the_gin_index_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        qs = PlannedProcurement.objects.search("upphandling")
        plan = qs.explain()
        cursor.execute("SET enable_seqscan = on")
    assert "agreements_plannedprocurement_search_gin" in plan


# --- backup and restore --------------------------------------------------------------------


ISO_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def same_instant(obj):
    """Compare times as instants: the serializer writes 12:00:00.000Z for 12:00:00.000412
    but 12:00:00Z once a restore has dropped the microseconds, the same millisecond."""
    return {
        key: parse_datetime(value)
        if isinstance(value, str) and ISO_INSTANT.fullmatch(value)
        else value
        for key, value in obj.items()
    }


def test_dump_and_restore_round_trip_sqlite_postgresql_sqlite(tmp_path):
    if not postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {PG_URL}; CI must test the round trip")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    with scratch_database("roundtrip") as pg:
        sqlite_a = f"sqlite:///{tmp_path / 'a.sqlite3'}"
        sqlite_b = f"sqlite:///{tmp_path / 'b.sqlite3'}"
        dumps = []
        urls = [sqlite_a, pg, sqlite_b]
        # The three migrations side by side: each costs seconds, and none depends on another.
        migrations = [
            subprocess.Popen(
                [sys.executable, "manage.py", "migrate", "--noinput"],
                cwd=ROOT,
                env=_exactly(production_env(DATABASE_URL=url)),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for url in urls
        ]
        for migration in migrations:
            _, errors = migration.communicate(timeout=180)
            assert migration.returncode == 0, errors
        for i, url in enumerate(urls):
            env = production_env(DATABASE_URL=url)
            if i == 0:
                manage("loaddata", "fixtures/seed.json", env=env)
            else:
                manage("loaddata", str(tmp_path / f"dump{i - 1}.json"), env=env)
            out = tmp_path / f"dump{i}.json"
            manage(
                "dumpdata",
                "agreements",
                "--natural-foreign",
                "--natural-primary",
                "--indent",
                "1",
                "--output",
                str(out),
                env=env,
            )
            dumps.append(json.loads(out.read_text(encoding="utf-8"), object_hook=same_instant))
        assert len(dumps[0]) > 60
        assert dumps[0] == dumps[1] == dumps[2]


def test_psycopg_pool_serves_queries_when_enabled():
    code = (
        "from django.conf import settings; from django.db import connection; "
        "from agreements.models import County; "
        "print(settings.DATABASES['default']['CONN_MAX_AGE'], "
        "'pool' in settings.DATABASES['default']['OPTIONS'], County.objects.count() >= 0)"
    )
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    with scratch_database("pool") as url:
        env = production_env(DATABASE_URL=url, DJANGO_DB_POOL="true", DJANGO_CONN_MAX_AGE="60")
        manage("migrate", "--noinput", env=env)
        result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.split() == ["0", "True", "True"]
