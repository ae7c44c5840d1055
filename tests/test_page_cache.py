"""The page cache never serves a wrong page, and losing it costs speed, never service or data.

The fault tests run against the machine's Redis (127.0.0.1:6379, database 14) through a TCP
proxy of their own (tests/tcp_proxy.py), which they cut, make hang and restore.
"""

import json
import logging
import re
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.pagecache.models import PageGeneration

from .conftest import SEED_FIXTURE
from .tcp_proxy import TcpProxy
from .test_production import manage, production_env

NETWORK = "natverk-upphandlare-sydnarke"
DETAIL = f"/samverkan/{NETWORK}/"
NEW_NAME = "Nätverket i Sydnärke, nytt namn"
REDIS_DATABASE = 14  # this suite's own database on the shared server

# One of each kind of public answer: pages, lists, the API, OCDS, the feed, CSV, the sitemap.
PUBLIC = [
    "/",
    "/kommuner/",
    "/kommuner/laxa/",
    "/samverkan/",
    DETAIL,
    "/upphandlingar/",
    "/kallor/",
    "/en/samverkan/",
    "/api/v1/cooperations/",
    "/api/v1/ocds/releases/",
    "/flode.atom",
    "/samverkan/?format=csv",
    "/sitemap.xml",
    "/sitemap-cooperations.xml",
]


@pytest.fixture
def page_cache(settings):
    """The page cache switched on, in this process's memory (enough for one process)."""
    from agreements.cache import breaker

    settings.PAGE_CACHE_SECONDS = 300
    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture
def proxy():
    proxy = TcpProxy()
    yield proxy
    proxy.close()


@pytest.fixture
def shared_cache(settings, page_cache, proxy):
    """The page cache in Redis, as in production, reached through `proxy`."""
    from django.core.cache import cache

    from registry.settings import redis_cache

    settings.CACHES = {
        "default": {**redis_cache(f"{proxy.url}/{REDIS_DATABASE}"), "KEY_PREFIX": "h_cache"}
    }
    cache.clear()
    yield cache
    proxy.restore()
    cache.clear()


def page(client, path=DETAIL):
    response = client.get(path)
    assert response.status_code == 200, path
    return b"".join(response) if response.streaming else response.content


def rename_in_admin(admin_app, user, name=NEW_NAME):
    """An editor renames the cooperation through the admin's change form, as rendered."""
    from agreements.models import Cooperation

    network = Cooperation.objects.get(slug=NETWORK)
    url = reverse("admin:agreements_cooperation_change", args=[network.pk])
    form = admin_app.get(url, user=user).forms["cooperation_form"]
    form["name"] = name
    assert form.submit("_save").status_code == 302
    network.refresh_from_db()
    assert network.name == name


# --- correct when it works ---------------------------------------------------------------


def test_without_a_shared_cache_there_is_no_page_cache():
    from .test_production import manage, production_env

    code = (
        "from django.conf import settings; "
        "print(settings.PAGE_CACHE_SECONDS, settings.CACHES['default']['BACKEND'])"
    )
    alone = manage("shell", "--no-imports", "-c", code, env=production_env())
    assert alone.stdout.split()[0] == "0"
    shared = manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env=production_env(DJANGO_CACHE_URL="redis://127.0.0.1:6379/14"),
    )
    assert shared.stdout.split() == ["300", "django.core.cache.backends.redis.RedisCache"]


def test_a_cached_page_costs_one_query_and_a_save_shows_at_once(
    shared_cache, seed, client, admin_app, personas
):
    from django.test.utils import CaptureQueriesContext

    page(client)
    with CaptureQueriesContext(connection) as ctx:
        cached = client.get(DETAIL)
    assert len(ctx.captured_queries) == 1  # the generation
    assert "Content-Security-Policy" in cached.headers
    rename_in_admin(admin_app, personas["superuser"])
    assert NEW_NAME in page(client).decode()


def test_staff_and_searches_are_never_served_from_cache(page_cache, seed, client, admin_user):
    from django.test.utils import CaptureQueriesContext

    client.get("/samverkan/?q=träff")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/samverkan/?q=träff")
    assert len(ctx.captured_queries) > 1
    client.force_login(admin_user)
    client.get("/samverkan/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/samverkan/")
    assert len(ctx.captured_queries) > 1


def test_loading_a_fixture_counts_as_a_change(page_cache, seed, client):
    from agreements.cache import generation

    page(client)
    before = generation()
    call_command("loaddata", str(SEED_FIXTURE), verbosity=0)
    assert generation() > before


def test_a_change_behind_the_registrys_back_shows_after_the_documented_reconcile(
    page_cache, seed, client
):
    from agreements.models import Cooperation

    before = client.get(DETAIL)
    assert before.status_code == 200
    # Raw SQL, as an operator's repair would: no signal, no bump.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Cooperation._meta.db_table} SET name = %s WHERE slug = %s",
            [NEW_NAME, NETWORK],
        )
    assert NEW_NAME not in page(client).decode()  # the cached copy, until the operator acts
    call_command("reconcile_change_feed", "--all", verbosity=0)
    assert NEW_NAME in page(client).decode()
    revalidated = client.get(DETAIL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert revalidated.status_code == 200


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)"
)
@pytest.mark.django_db(transaction=True)
def test_a_page_read_between_save_and_commit_is_not_kept_as_current(page_cache, seed, client):
    """A reader between the save and its commit sees the old row; its page must not be
    stored as the page of the new state."""
    from agreements.models import Cooperation

    page(client)
    saved, read, seen = threading.Event(), threading.Event(), []

    def edit():
        try:
            with transaction.atomic():
                network = Cooperation.objects.get(slug=NETWORK)
                network.name = NEW_NAME
                network.save()
                saved.set()
                assert read.wait(20)
        finally:
            connection.close()

    def visit():
        try:
            seen.append(Client().get(DETAIL).content.decode())
        finally:
            connection.close()

    editor = threading.Thread(target=edit)
    editor.start()
    assert saved.wait(20)
    reader = threading.Thread(target=visit)
    reader.start()
    reader.join(20)
    read.set()
    editor.join(20)
    assert NEW_NAME not in seen[0]  # the reader did run before the commit
    assert NEW_NAME in page(client).decode()


# --- unknown query parameters --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/samverkan/?sortera=namn", f"{DETAIL}?page=2", "/?a=1", "/flode.atom?x=1", "/kallor/?q=x"],
)
def test_unknown_parameters_are_refused_and_never_cached(page_cache, seed, client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "Adressen innehåller något som sidan inte känner till" in response.content.decode()


def test_the_refusal_names_the_parameter_escaped_and_in_english_on_english_pages(
    page_cache, seed, client
):
    response = client.get("/en/samverkan/", {"<b>x</b>": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "The address contains something this page does not know" in html


@pytest.mark.parametrize(
    "path",
    [
        "/samverkan/?status=active&page=1",
        "/samverkan/?q=laxå",
        "/kallor/?page=1",
        "/sitemap-cooperations.xml?p=1",
        "/api/v1/cooperations/?lang=en",
    ],
)
def test_known_parameters_still_work(page_cache, seed, client, path):
    assert client.get(path).status_code == 200


# --- a cache that fails --------------------------------------------------------------------


def test_refused_cache_readers_and_editors_carry_on(
    shared_cache, proxy, seed, client, admin_app, personas, caplog
):
    for path in PUBLIC:
        page(client, path)  # cached where cacheable
    proxy.refuse()
    caplog.set_level(logging.WARNING, logger="agreements.cache")
    started = time.monotonic()
    for path in PUBLIC:
        page(client, path)
    assert time.monotonic() - started < 30
    rename_in_admin(admin_app, personas["superuser"])
    call_command("loaddata", str(SEED_FIXTURE), verbosity=0)
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unreachable",
        "outbox": {"status": "ok", "oldest_due_seconds": 0},
    }
    warnings = [r for r in caplog.records if r.name == "agreements.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert warnings[0].levelno == logging.WARNING and not warnings[0].exc_info


def test_unknown_cache_host_is_no_outage(settings, page_cache, seed, client):
    from registry.settings import redis_cache

    settings.CACHES = {"default": redis_cache("redis://no-such-host.invalid:6379/14")}
    for path in PUBLIC:
        page(client, path)


def test_hanging_cache_costs_a_request_at_most_its_timeouts(
    shared_cache, proxy, seed, client, settings
):
    page(client)
    proxy.hang()
    bound = (settings.CACHE_CONNECT_TIMEOUT_MS + settings.CACHE_TIMEOUT_MS) / 1000
    started = time.monotonic()
    assert NETWORK in page(client).decode()
    first = time.monotonic() - started
    assert first < bound + 1.5, first
    started = time.monotonic()
    for path in PUBLIC:
        page(client, path)
    # The cache is left alone for a while after a failure: no request waits for it again.
    assert time.monotonic() - started < bound * len(PUBLIC) / 2


def test_no_stale_page_after_the_cache_comes_back(
    shared_cache, proxy, seed, client, admin_app, personas, settings
):
    settings.PAGE_CACHE_RETRY_SECONDS = 0  # try the cache again on the next request
    assert NEW_NAME not in page(client).decode()  # cached before the outage
    proxy.refuse()
    rename_in_admin(admin_app, personas["superuser"])
    proxy.restore()
    assert NEW_NAME in page(client).decode()
    assert NEW_NAME in page(client).decode()  # and from the cache


def test_no_stale_page_when_redis_comes_back_from_an_old_snapshot(
    shared_cache, proxy, seed, client, admin_app, personas, settings
):
    """Redis restarted from its last snapshot: every key, pages and all, as it was before."""
    import redis

    server = redis.Redis(port=6379, db=REDIS_DATABASE)
    page(client)
    snapshot = {key: server.dump(key) for key in server.scan_iter("h_cache:*")}
    assert snapshot
    rename_in_admin(admin_app, personas["superuser"])
    assert NEW_NAME in page(client).decode()
    server.flushdb()
    for key, value in snapshot.items():
        server.restore(key, 0, value, replace=True)
    assert NEW_NAME in page(client).decode()


def test_flushed_cache_loses_nothing(shared_cache, proxy, seed, client, admin_app, personas):
    page(client)
    shared_cache.clear()
    rename_in_admin(admin_app, personas["superuser"])
    assert NEW_NAME in page(client).decode()
    assert client.get("/healthz").json()["cache"] == "ok"


# --- found by an operator trying it: shared Redis, restores, probes, shared links ---------


def _rename_without_signals(name):
    # What restoring the database does: rows change, and no save signal fires.
    from agreements.models import Cooperation

    Cooperation.objects.filter(slug=NETWORK).update(name=name)


def test_a_database_restored_to_an_earlier_state_is_not_served_pages_cached_after_it(
    shared_cache, seed, client
):
    from agreements.models import Cooperation

    page(client)
    before = PageGeneration.objects.values_list("value", "mark").get()
    original = Cooperation.objects.get(slug=NETWORK).name
    network = Cooperation.objects.get(slug=NETWORK)
    network.name = "Namnet före återställningen"
    network.save()
    assert "Namnet före återställningen" in page(client).decode()  # now in the cache

    # The database is restored from a backup taken before that change.
    _rename_without_signals(original)
    PageGeneration.objects.update(value=before[0], mark=before[1])

    network = Cooperation.objects.get(slug=NETWORK)
    network.name = "Namnet efter återställningen"
    network.save()
    html = page(client).decode()
    assert "Namnet efter återställningen" in html
    assert "Namnet före återställningen" not in html


def test_two_registries_sharing_one_redis_never_get_each_others_pages(shared_cache, seed, client):
    from agreements.models import Cooperation

    # Another registry (staging, say) on the same Redis database has reached the same number
    # and cached its version of the page.
    network = Cooperation.objects.get(slug=NETWORK)
    network.name = "Den andra registrets namn"
    network.save()
    page(client)
    theirs = PageGeneration.objects.values_list("value", flat=True).get()

    # This registry: its own data at the same number.
    _rename_without_signals("Det här registrets namn")
    PageGeneration.objects.update(value=theirs - 1)
    network = Cooperation.objects.get(slug=NETWORK)
    network.save()
    assert PageGeneration.objects.values_list("value", flat=True).get() == theirs
    assert "Det här registrets namn" in page(client).decode()


def test_health_probe_does_not_wait_for_a_hanging_cache_again(
    shared_cache, proxy, seed, client, settings
):
    page(client)
    proxy.hang()
    assert json.loads(client.get("/healthz").content)["cache"] == "unreachable"
    started = time.monotonic()
    for _ in range(5):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert json.loads(response.content) == {
            "status": "degraded",
            "database": "ok",
            "cache": "unreachable",
            "outbox": {"status": "ok", "oldest_due_seconds": 0},
        }
    # Within the retry interval no probe waits for the cache's timeout again.
    assert time.monotonic() - started < settings.CACHE_TIMEOUT_MS / 1000


def test_health_probe_with_a_cache_buster_gets_its_json(db, client):
    response = client.get("/healthz", {"x": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["database"] == "ok"


def test_shared_links_with_tracking_parameters_open_the_page(page_cache, seed, client):
    plain = page(client, "/kommuner/laxa/")
    tagged = client.get("/kommuner/laxa/", {"utm_source": "nyhetsbrev", "fbclid": "abc"})
    assert tagged.status_code == 200
    assert tagged.content == plain
    assert client.get("/en/", {"utm_campaign": "x", "gclid": "y"}).status_code == 200


def test_tracking_parameters_do_not_make_pages_of_their_own_in_the_cache(
    shared_cache, seed, client
):
    page(client, "/kommuner/laxa/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/kommuner/laxa/", {"utm_source": "a"}).status_code == 200
    assert len(queries.captured_queries) == 1  # the generation: the page came from the cache


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_CACHE_TIMEOUT_MS", "0"),
        ("DJANGO_CACHE_TIMEOUT_MS", "-5"),
        ("DJANGO_CACHE_CONNECT_TIMEOUT_MS", "0"),
        ("DJANGO_CACHE_RETRY_SECONDS", "-1"),
        ("DJANGO_CACHE_URL", "127.0.0.1:6379"),
    ],
)
def test_a_cache_setting_that_would_never_work_stops_the_start_and_names_itself(name, value):
    settings = {"DJANGO_CACHE_URL": "redis://127.0.0.1:6379/14", name: value}
    result = manage("check", "--deploy", env=production_env(**settings), check=False)
    assert result.returncode != 0
    assert name in result.stderr and "ska vara" in result.stderr


def test_log_lines_say_their_utc_offset():
    import re

    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "import logging; logging.getLogger('agreements.cache').warning('provrad')",
        env=production_env(),
    )
    line = next(line for line in result.stderr.splitlines() if "provrad" in line)
    # Stockholm is UTC+01:00 in winter and +02:00 in summer: the line says which.
    assert re.match(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[12]:00 WARNING agreements\.cache: provrad", line
    )


def test_production_refuses_to_start_without_its_public_address():
    env = production_env()
    del env["REGISTRY_BASE_URL"]
    result = manage("check", "--deploy", env=env, check=False)
    assert result.returncode != 0
    assert "registry.E001" in result.stderr
    assert "REGISTRY_BASE_URL är inte satt" in result.stderr


@pytest.mark.parametrize(
    "path",
    [
        "/samverkan/?status=active&status=ended",
        "/upphandlingar/?page=1&page=2",
        "/bevaka/?lista=samverkan&lista=upphandlingar",
    ],
)
def test_a_parameter_given_twice_is_refused_not_half_read(page_cache, seed, client, path):
    name = path.split("?")[1].split("=")[0]
    response = client.get(path)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Adressen anger {name} mer än en gång. Sidan tar ett värde av var och en." in html


def test_a_parameter_given_twice_is_refused_in_english_on_english_pages(page_cache, seed, client):
    response = client.get("/en/samverkan/?status=active&status=ended")
    assert response.status_code == 400
    assert "The address gives status more than once." in response.content.decode()


def test_two_lists_to_follow_name_the_filters_of_every_list_not_the_last(page_cache, seed, client):
    response = client.get("/bevaka/?lista=samverkan&lista=upphandlingar")
    assert response.status_code == 400
    understood = re.search(r"Sidan förstår: ([^<]*)\.", response.content.decode()).group(1)
    # "form" filters cooperations only, "contract_year" procurements only.
    assert {"lista", "form", "contract_year"} <= set(understood.split(", "))
