"""Validators, 304s and the caching policy (agreements/http_caching.py), as a client meets them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from agreements import release as release_module
from agreements.models import Cooperation
from agreements.pagecache.models import PageGeneration

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"

# Every kind of public response: pages in both languages, lists and details, CSV, feeds,
# the sitemap, robots.txt, the API, OCDS and the API's schema.
PUBLIC = [
    "/",
    "/en/",
    "/kommuner/",
    "/kommuner/hallsberg/",
    "/samverkan/",
    f"/samverkan/{AGREEMENT}/",
    f"/en/samverkan/{AGREEMENT}/",
    "/upphandlingar/",
    "/kallor/",
    "/oppna-data/",
    "/samverkan/?format=csv",
    "/flode.atom",
    "/kommuner/askersund/flode.atom",
    "/sitemap.xml",
    "/robots.txt",
    "/api/v1/cooperations/",
    f"/api/v1/cooperations/{AGREEMENT}/",
    "/api/v1/municipalities/?lang=en",
    "/api/v1/ocds/releases/",
    "/api/v1/schema/",
]


@pytest.fixture(autouse=True)
def _settled(db):
    """The registry's latest change an hour ago: Last-Modified is withheld in the second of a
    change (see the test about it), and the seed was loaded moments before."""
    PageGeneration.objects.update(changed_at=timezone.now() - timedelta(hours=1))


def _get(client, path, **headers):
    response = client.get(path, headers=headers)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


@pytest.mark.parametrize("path", PUBLIC)
def test_every_public_response_carries_validators_and_a_public_policy(seed, client, path):
    response = _get(client, path)
    assert response.status_code == 200
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 10
    assert parse_http_date(response["Last-Modified"]) <= datetime.now(UTC).timestamp() + 1
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=30"


@pytest.mark.parametrize("path", PUBLIC)
def test_a_matching_etag_is_answered_304_without_running_the_view(
    seed, client, path, django_assert_max_num_queries
):
    etag = _get(client, path)["ETag"]
    # One query: the registry's latest change. No rendering, no page queries.
    with django_assert_max_num_queries(1):
        response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"].startswith("public, ")


def test_if_modified_since_is_answered_304_from_the_last_change_on(seed, client):
    last_modified = client.get("/samverkan/")["Last-Modified"]
    assert (
        client.get("/samverkan/", headers={"If-Modified-Since": last_modified}).status_code == 304
    )
    earlier = http_date(parse_http_date(last_modified) - 1)
    assert client.get("/samverkan/", headers={"If-Modified-Since": earlier}).status_code == 200


def test_an_old_etag_gets_the_whole_page(seed, client):
    response = client.get("/samverkan/", headers={"If-None-Match": '"something-else"'})
    assert response.status_code == 200 and b"Avtalssamverkan" in response.content


def test_a_change_to_the_data_changes_the_validators(seed, client):
    before = client.get(f"/samverkan/{AGREEMENT}/")
    cooperation = Cooperation.objects.get(slug=AGREEMENT)
    cooperation.description += " Ändrad."
    cooperation.save()
    after = client.get(f"/samverkan/{AGREEMENT}/", headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "Ändrad." in after.content.decode()
    # Two seconds on, the change's time is Last-Modified.
    PageGeneration.objects.update(changed_at=timezone.now() - timedelta(seconds=2))
    later = client.get(f"/samverkan/{AGREEMENT}/")
    assert later["ETag"] == after["ETag"]
    assert parse_http_date(later["Last-Modified"]) > parse_http_date(before["Last-Modified"])


def test_each_language_and_each_address_has_its_own_etag(seed, client):
    etags = {client.get(path)["ETag"] for path in ["/", "/en/", "/samverkan/", "/kommuner/"]}
    etags.add(client.get("/api/v1/cooperations/")["ETag"])
    etags.add(client.get("/api/v1/cooperations/?lang=en")["ETag"])
    assert len(etags) == 6


def test_tracking_parameters_do_not_change_the_etag(seed, client):
    plain = client.get("/samverkan/")["ETag"]
    assert client.get("/samverkan/?utm_source=nyhetsbrev&fbclid=x")["ETag"] == plain


@pytest.mark.parametrize("path", ["/oppna-data/", "/samverkan/", "/upphandlingar/?page=1"])
def test_a_page_never_repeats_tracking_parameters(seed, client, path):
    # The language links, CSV and API links must not carry them: a cached copy would hand
    # one visitor's campaign tag, or anyone's planted text, to everyone.
    sep = "&" if "?" in path else "?"
    tagged = client.get(f"{path}{sep}utm_source=PLANTED&fbclid=PLANTED2")
    assert tagged.status_code == 200
    assert "PLANTED" not in tagged.content.decode()
    assert tagged.content == client.get(path).content


def test_the_api_ignores_tracking_parameters_as_pages_do(seed, client):
    response = client.get("/api/v1/cooperations/?utm_campaign=x")
    assert response.status_code == 200
    assert "utm_campaign" not in response.content.decode()


def test_a_new_release_changes_the_etag(seed, client, monkeypatch):
    before = client.get("/samverkan/")["ETag"]
    _code, released_at = release_module.release()
    monkeypatch.setattr("agreements.http_caching.release", lambda: ("another-release", released_at))
    after = client.get("/samverkan/", headers={"If-None-Match": before})
    assert after.status_code == 200 and after["ETag"] != before


def test_the_release_fingerprint_follows_the_files_that_shape_responses(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    (tmp_path / "templates").mkdir()
    template = tmp_path / "templates" / "page.html"
    template.write_text("<p>Hej</p>", encoding="utf-8")
    release_module.release.cache_clear()
    try:
        first, _ = release_module.release()
        template.write_text("<p>Hej då</p>", encoding="utf-8")
        release_module.release.cache_clear()
        second, _ = release_module.release()
    finally:
        release_module.release.cache_clear()
    assert first != second


def test_last_modified_is_never_before_the_release(seed, client):
    _, released_at = release_module.release()
    assert parse_http_date(client.get("/")["Last-Modified"]) >= int(released_at.timestamp())


def test_browser_language_does_not_vary_a_public_page(seed, client):
    swedish = client.get("/samverkan/")
    asked_in_english = client.get("/samverkan/", headers={"Accept-Language": "en"})
    # The language is in the address: the same page, so a shared cache keeps one copy.
    assert asked_in_english.content == swedish.content
    assert asked_in_english["ETag"] == swedish["ETag"]
    vary = swedish.get("Vary", "").lower()
    assert "accept-language" not in vary and "cookie" not in vary


def test_staff_get_private_responses_even_on_public_pages(seed, staff_client):
    for path in ["/samverkan/", "/api/v1/cooperations/", reverse("admin:index")]:
        response = staff_client.get(path)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store", path


def test_staff_are_never_answered_304(seed, client, django_user_model):
    etag = client.get("/samverkan/")["ETag"]
    client.force_login(django_user_model.objects.create_superuser("redaktor", "r@example.se"))
    response = client.get("/samverkan/", headers={"If-None-Match": etag})
    assert response.status_code == 200 and b"Avtalssamverkan" in response.content


def test_the_login_form_is_private(db, client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response


def test_writes_are_private(db, client):
    response = client.post(reverse("admin:login"), {"username": "x", "password": "y"})
    assert response["Cache-Control"] == "private, no-store"


def test_errors_and_the_health_check_are_never_kept(seed, client):
    for path, status in [("/samverkan/?okand=1", 400), ("/healthz", 200)]:
        response = client.get(path)
        assert response.status_code == status
        assert response["Cache-Control"] == "private, no-store", path
        assert "ETag" not in response


def test_a_missing_page_may_be_kept_briefly_without_validators(seed, client):
    response = client.get("/samverkan/finns-inte/")
    assert response.status_code == 404
    assert response["Cache-Control"].startswith("public, max-age=60")
    assert "ETag" not in response


def test_max_age_and_stale_while_revalidate_are_settings(seed, client, settings):
    settings.HTTP_MAX_AGE, settings.HTTP_STALE_WHILE_REVALIDATE = 5, 0
    assert client.get("/")["Cache-Control"] == "public, max-age=5, stale-while-revalidate=0"


def test_validators_are_the_same_in_every_worker(seed, client):
    # Two processes answer the same request with the same ETag and Last-Modified: nothing in
    # them comes from the process (start time, memory).
    first = client.get("/kommuner/")
    release_module.release.cache_clear()
    second = client.get("/kommuner/")
    assert (first["ETag"], first["Last-Modified"]) == (second["ETag"], second["Last-Modified"])


def test_a_changed_setting_is_a_new_release(settings, monkeypatch, tmp_path):
    settings.BASE_DIR = tmp_path
    release_module.release.cache_clear()
    try:
        monkeypatch.setenv("REGISTRY_PUBLISHER", "Utgivare ett")
        first, _ = release_module.release()
        release_module.release.cache_clear()
        monkeypatch.setenv("REGISTRY_PUBLISHER", "Utgivare två")
        second, _ = release_module.release()
        release_module.release.cache_clear()
        monkeypatch.setenv("DJANGO_SECRET_KEY", "another secret")
        third, _ = release_module.release()
    finally:
        release_module.release.cache_clear()
    assert first != second
    assert third == second  # secrets never enter the digest


def test_in_the_second_of_a_change_only_the_etag_validates(seed, client):
    before = client.get("/samverkan/")
    cooperation = Cooperation.objects.get(slug=AGREEMENT)
    cooperation.description += " Ändrad."
    cooperation.save()
    # A copy from earlier in this very second would carry the same whole-second time.
    response = client.get("/samverkan/", headers={"If-Modified-Since": before["Last-Modified"]})
    assert response.status_code == 200
    assert "Last-Modified" not in response and response["ETag"]


def test_without_the_database_nothing_is_marked_public(seed, client, monkeypatch):
    from django.db import DatabaseError

    def unreachable(request):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("agreements.http_caching.validators", unreachable)
    response = client.get("/kallor/")
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response


@pytest.mark.parametrize("tag", ["igshid=1", "_ga=2.1", "_gl=1*x", "ref=twitter", "srsltid=x"])
def test_links_shared_from_social_media_and_search_open(seed, client, tag):
    # Found by a reader's review: these answered 400 "Felaktig adress" on every page.
    assert client.get(f"/om-registret/?{tag}").status_code == 200
    assert client.get(f"/samverkan/?{tag}").content == client.get("/samverkan/").content
