"""Absolute links come from the configured public address, never from the request's Host.

ALLOWED_HOSTS ignores the port, so `Host: 127.0.0.1:6666` passes; a page cached from such a
request would give every later visitor links to port 6666.
"""

import re

import pytest

POISON = "127.0.0.1:6666"
AGREEMENT = "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/"

# Every answer that carries absolute links.
LINKED = [
    "/",
    AGREEMENT,
    "/en/samverkan/",
    "/api/v1/",
    "/api/v1/cooperations/",
    "/api/v1/cooperations/?page_size=1",  # next/previous
    "/api/v1/municipalities/laxa/",
    "/api/v1/ocds/releases/?page_size=1",
    "/flode.atom",
    "/kommuner/laxa/flode.atom",
    "/sitemap.xml",
    "/sitemap-cooperations.xml",
    "/robots.txt",
    "/samverkan/?format=csv",
]


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.REGISTRY_BASE_URL = "https://samverkan.example.se"


def body(response):
    assert response.status_code == 200
    content = b"".join(response) if response.streaming else response.content
    return content.decode()


@pytest.mark.parametrize("path", LINKED)
def test_a_request_with_another_host_changes_no_ones_links(page_cache, seed, client, path):
    poisoned = body(client.get(path, HTTP_HOST=POISON))
    assert POISON not in poisoned
    others = body(client.get(path))
    assert POISON not in others and "testserver" not in others
    assert "https://samverkan.example.se/" in others


def test_every_absolute_link_in_the_api_starts_with_the_public_address(page_cache, seed, client):
    data = body(client.get("/api/v1/cooperations/?page_size=1", HTTP_HOST=POISON))
    links = re.findall(r'"(https?://[^"]+)"', data)
    own = [link for link in links if "example.se" in link or "6666" in link]
    assert own and all(link.startswith("https://samverkan.example.se/") for link in own), own


def test_the_public_address_must_be_an_address_without_a_path():
    from .test_production import manage, production_env

    result = manage(
        "check",
        env=production_env(REGISTRY_BASE_URL="samverkan.example.se/registret"),
        check=False,
    )
    assert result.returncode != 0
    assert "REGISTRY_BASE_URL ska vara en adress som https://samverkan.example.se" in (
        result.stderr
    )
