"""The language switch links to this site only, whatever address was asked for."""

import re

import pytest
from bs4 import BeautifulSoup
from django.conf import settings

HOSTILE_PATHS = ["//evil.example/x", "/\\evil.example/x", "///evil.example/x"]


def switch_links(response):
    """The language-switch links (and the alternates in the head) as rendered."""
    html = BeautifulSoup(response.content, "html.parser")
    switch = {a["hreflang"]: a["href"] for a in html.select("a[hreflang]")}
    alternates = {link["hreflang"]: link["href"] for link in html.select("link[hreflang]")}
    return switch, alternates


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_404_language_switch_never_leads_to_another_site(db, client, path):
    # The test client would read `//evil.example` as a host: the server sees it as the path.
    response = client.get("/", PATH_INFO=path)
    assert response.status_code == 404
    switch, alternates = switch_links(response)
    assert switch == {"en": "/en/"}
    for url in alternates.values():
        # Absolute links start with the configured public address, whatever the request says.
        assert url.startswith(settings.REGISTRY_BASE_URL + "/"), url
        assert "evil.example" not in url


def test_encoded_slashes_in_the_path_do_not_leave_the_site(db, client):
    # %2F is decoded before routing: the server sees //evil.example/x here too.
    response = client.get("/%2Fevil.example/x")
    assert response.status_code == 404
    switch, _alternates = switch_links(response)
    assert switch == {"en": "/en/"}


def test_english_404_links_to_the_swedish_start_page(db, client):
    response = client.get("/en/", PATH_INFO="/en//evil.example/x")
    assert response.status_code == 404
    switch, _alternates = switch_links(response)
    assert switch == {"sv": "/"}


def test_a_real_page_still_switches_to_the_same_page_with_its_filters(seed, client):
    switch, _alternates = switch_links(client.get("/kommuner/", {"q": "lax"}))
    assert switch == {"en": "/en/kommuner/?q=lax"}
    switch, _alternates = switch_links(client.get("/en/kommuner/laxa/"))
    assert switch == {"sv": "/kommuner/laxa/"}


@pytest.mark.parametrize(
    ("path", "selector"),
    [
        ("/en/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/", "blockquote"),
        ("/en/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/", ".interpretation span"),
        ("/en/kallor/askersund-svar-interpellation-upphandling/", ".document"),
    ],
)
def test_swedish_quotes_on_english_pages_are_marked_swedish(seed, client, path, selector):
    # WCAG 3.1.2: a screen reader reads the source's Swedish words with Swedish pronunciation.
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get(path).content, "html.parser")
    elements = soup.select(f"main {selector}")
    assert elements
    assert {element.get("lang") for element in elements} == {"sv"}


def test_a_choice_label_follows_the_language_it_is_asked_in(seed):
    from django.utils import translation

    from agreements.models import Cooperation

    cooperation = Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")
    assert cooperation.status == "active"
    # The labels are built once per field and language (models.base.choice_labels): each
    # language still gets its own.
    with translation.override("sv"):
        assert cooperation.get_status_display() == "Verksam"
    with translation.override("en"):
        assert cooperation.get_status_display() == "Operating"
    with translation.override("sv"):
        assert cooperation.get_status_display() == "Verksam"
    cooperation.status = "unheard-of"
    assert cooperation.get_status_display() == "unheard-of"


@pytest.mark.parametrize(
    "path",
    [
        "/en/samverkan/",
        "/en/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/",
        "/en/kommuner/laxa/",
        "/en/upphandlingar/?procurement_year=2027",
        "/en/mojligheter/",
        "/en/kallor/askersund-svar-interpellation-upphandling/",
    ],
)
def test_an_english_pages_json_link_gives_english_labels(seed, client, path):
    # The citizen reviewer followed "Same data as JSON" from English pages and got Swedish.
    html = client.get(path).content.decode()
    links = re.findall(r'<a href="([^"]+)" type="application/json"', html)
    alternates = re.findall(r'<link rel="alternate" type="application/json" href="([^"]+)"', html)
    assert links and alternates
    for link in links + alternates:
        url = link.replace("&amp;", "&")
        assert "lang=en" in url, url
        assert client.get(url).status_code == 200, url
    swedish = client.get(path.removeprefix("/en")).content.decode()
    assert "lang=" not in " ".join(re.findall(r'href="(/api/[^"]+)"', swedish))
