"""Who stands behind the registry: the about page, the publisher and contact on every page,
the favicon, and the error pages."""

import re

import pytest
from django.contrib.staticfiles import finders

from .test_public import AGREEMENT, text_of

pytestmark = pytest.mark.django_db

PUBLISHER = {
    "REGISTRY_PUBLISHER": "Region Örebro län",
    "REGISTRY_PUBLISHER_URL": "https://www.regionorebrolan.se/",
    "REGISTRY_CONTACT_EMAIL": "registret@regionorebrolan.se",
}


@pytest.fixture
def publisher(settings):
    for name, value in PUBLISHER.items():
        setattr(settings, name, value)


@pytest.mark.parametrize("path", ["/om-registret/", "/en/om-registret/"])
def test_about_page_names_the_publisher_with_a_link_and_the_contact_address(
    seed, client, publisher, path
):
    html = client.get(path).content.decode()
    assert '<a href="https://www.regionorebrolan.se/">Region Örebro län</a>' in html
    assert '<a href="mailto:registret@regionorebrolan.se">registret@regionorebrolan.se</a>' in html


@pytest.mark.parametrize(
    "path", ["/", "/samverkan/", AGREEMENT, "/oppna-data/", "/en/kommuner/", "/finns-inte/"]
)
def test_every_page_footer_names_the_publisher_and_links_contact_and_about(
    seed, client, publisher, path
):
    footer = client.get(path).content.decode().split('<footer class="site-footer">')[1]
    assert "Region Örebro län" in footer
    assert 'href="mailto:registret@regionorebrolan.se"' in footer
    about = "/en/om-registret/" if path.startswith("/en/") else "/om-registret/"
    assert f'href="{about}"' in footer


def test_a_publisher_without_a_web_address_is_named_without_a_link(seed, client, settings):
    settings.REGISTRY_PUBLISHER = "Sydnärkes kommuner"
    settings.REGISTRY_PUBLISHER_URL = ""
    html = client.get("/om-registret/").content.decode()
    assert "Sydnärkes kommuner" in html
    assert not re.search(r"<a [^>]*>Sydnärkes kommuner</a>", html)


def test_home_page_links_to_the_about_page(seed, client):
    main = client.get("/").content.decode().split("<footer")[0]
    assert 'href="/om-registret/"' in main


def test_about_page_is_in_the_sitemap_in_both_languages(seed, client, settings):
    body = client.get("/sitemap-pages.xml").content.decode()
    assert f"<loc>{settings.REGISTRY_BASE_URL}/om-registret/</loc>" in body
    assert f"<loc>{settings.REGISTRY_BASE_URL}/en/om-registret/</loc>" in body


def test_about_page_explains_as_of_in_the_words_a_fact_page_uses(seed, client):
    # The seed's source is undated: its facts say so, and the about page explains that phrase.
    assert "enligt en odaterad källa" in text_of(client.get(AGREEMENT))
    about = text_of(client.get("/om-registret/"))
    assert "enligt en odaterad källa Källan har inget datum" in about
    assert re.search(r"nu \(bekräftat \d{4}-\d\d-\d\d\) En källa som är högst 365 dagar", about)


def test_about_page_links_the_licence_by_its_name(seed, client, settings):
    html = client.get("/en/om-registret/").content.decode()
    assert f'<a href="{settings.OPEN_DATA_LICENSE_URL}">CC0 1.0 Universal</a>' in html
    assert 'href="/en/oppna-data/"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/om-registret/",
        "/kommuner/",
        "/samverkan/?q=upphandling",
        AGREEMENT,
        "/oppna-data/",
        "/en/",
        "/finns-inte/",
        "/samverkan/?format=csv",
        "/api/v1/municipalities/",
    ],
)
def test_an_anonymous_visitor_gets_no_cookie_as_the_about_page_says(seed, client, path):
    assert (
        "webbplatsen sätter inga kakor när du läser den"
        in text_of(client.get("/om-registret/")).lower()
    )
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert not response.cookies


def test_the_report_form_sets_only_a_csrf_cookie_that_ends_with_the_browser_session(seed, client):
    about = text_of(client.get("/om-registret/"))
    assert "formuläret för att rapportera ett fel eller bevaka ändringar får du en kaka" in about
    assert "försvinner när du stänger webbläsaren" in about
    response = client.get(AGREEMENT + "rapportera-fel/")
    assert response.status_code == 200
    assert list(response.cookies) == ["csrftoken"]
    assert not response.cookies["csrftoken"]["expires"]
    assert not response.cookies["csrftoken"]["max-age"]


def test_staff_login_sets_the_cookies_the_about_page_names(seed, client):
    response = client.get("/admin/login/")
    assert "csrftoken" in response.cookies


def test_every_page_points_browsers_to_the_svg_icon(seed, client):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
    with open(finders.find("img/favicon.svg"), encoding="utf-8") as icon:
        assert icon.read().startswith("<svg")


def test_favicon_ico_answers_with_an_icon(db, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header


def test_not_found_page_offers_the_contact_address(db, client, publisher):
    response = client.get("/finns-inte/")
    assert response.status_code == 404
    main = response.content.decode().split("<footer")[0]
    assert 'href="mailto:registret@regionorebrolan.se"' in main


def test_server_error_page_offers_the_contact_address(rf, publisher):
    from agreements.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert 'href="mailto:registret@regionorebrolan.se"' in response.content.decode()


def test_an_api_fault_is_answered_in_the_apis_json_not_the_page(client, monkeypatch):
    from agreements.api import views as api_views

    def broken(*args, **kwargs):
        raise RuntimeError("a fault in the code")

    monkeypatch.setattr(api_views.CooperationViewSet, "list", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/cooperations/")
    assert response.status_code == 500
    assert response.json()["error"]["status"] == 500


@pytest.mark.parametrize("language", ["", "/en"])
def test_the_about_page_quotes_the_report_link_as_the_record_pages_word_it(seed, client, language):
    record = text_of(client.get(language + AGREEMENT))
    about = text_of(client.get(language + "/om-registret/"))
    quoted = re.search(r"[”“]((?:Rapportera|Report)[^”“]+)”", about).group(1)
    assert quoted in record


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("", ["Integritetsskyddsmyndigheten (IMY)", "aldrig adressen själv", "ansvarar för"]),
        ("/en", ["Swedish Authority for Privacy Protection (IMY)", "never the address itself"]),
    ],
)
def test_the_privacy_text_names_who_is_responsible_the_rights_and_the_address_code(
    seed, client, settings, language, words
):
    settings.REGISTRY_PUBLISHER = "Sydnärkes kommunalförbund"
    about = text_of(client.get(language + "/om-registret/"))
    assert "Sydnärkes kommunalförbund" in about
    for word in words:
        assert word in about


def test_the_about_page_says_unsubscribing_deletes_the_sent_mail_too(seed, client):
    about = " ".join(text_of(client.get("/om-registret/")).split())
    assert "Då raderas bevakningen och adressen direkt, med alla mejl om bevakningen" in about
    assert "skickade eller inte" in about
    english = " ".join(text_of(client.get("/en/om-registret/")).split())
    assert "sent or not" in english
