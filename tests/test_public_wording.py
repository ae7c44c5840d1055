"""Small words on the public pages: the default sort, plural forms of shares, CSV headers."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import translation

from agreements.formats import format_fte_posts

from .growth import grow
from .test_public import AGREEMENT, text_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/samverkan/", "Standard (namn, A–Ö)"),
        ("/kommuner/", "Standard (namn, A–Ö)"),
        ("/upphandlingar/", "Standard (upphandlingsår, sedan rubrik)"),
        ("/en/samverkan/", "Default (name, A–Z)"),
        ("/en/upphandlingar/", "Default (procurement year, then title)"),
    ],
)
def test_the_sort_menu_names_the_default_order(seed, django_app, path, label):
    html = django_app.get(path).text
    assert f'<option value="" selected>{label}</option>' in html
    assert "---------" not in html


def test_the_default_order_is_the_order_its_label_names(seed, client):
    grow(3)
    default = [c.slug for c in client.get("/samverkan/").context["cooperation_list"]]
    by_name = [c.slug for c in client.get("/samverkan/", {"o": "name"}).context["cooperation_list"]]
    assert default == by_name
    procurements = client.get("/upphandlingar/").context["plannedprocurement_list"]
    keys = [(p.procurement_year, p.title) for p in procurements]
    assert keys == sorted(keys)


# The shares the source states (Lekeberg's 0,3, then 0,5; Laxå's 0,5), and the edges.
SHARES = [
    ("sv", "0", "0 heltidstjänster"),
    ("sv", "0.3", "0,3 heltidstjänst"),
    ("sv", "0.50", "0,5 heltidstjänst"),
    ("sv", "1.0", "1 heltidstjänst"),
    ("sv", "1.5", "1,5 heltidstjänster"),
    ("en", "0", "0 full-time posts"),
    ("en", "0.3", "0.3 full-time post"),
    ("en", "0.50", "0.5 full-time post"),
    ("en", "1.0", "1 full-time post"),
    ("en", "1.5", "1.5 full-time posts"),
]


@pytest.mark.parametrize(("language", "share", "text"), SHARES)
def test_a_share_is_written_with_the_plural_form_it_needs(language, share, text):
    with translation.override(language):
        assert format_fte_posts(Decimal(share)) == text


def test_the_cooperation_page_writes_the_sources_shares_with_their_unit(seed, client):
    # Laxå and Lekeberg each finance 0,5 of Hallsberg's post, as the source says.
    text = text_of(client.get(AGREEMENT))
    assert "Laxå finansierar 0,5 heltidstjänst hos Hallsberg" in text
    # The unit after the total; test_truth.py checks what it says of the sources.
    assert "Sammanlagt 1 heltidstjänst (" in text
    english = text_of(client.get("/en" + AGREEMENT))
    assert "Lekeberg finances 0.5 full-time post at Hallsberg" in english


def test_nothing_financed_is_written_in_the_plural(seed, client):
    from agreements.models import StaffingCommitment

    StaffingCommitment.objects.update(fte=None)  # every share unknown: nothing known is paid
    assert "Sammanlagt 0 heltidstjänster finansieras" in text_of(client.get(AGREEMENT))


def _headers(client, path):
    response = client.get(path, {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    delimiter = "," if path.startswith("/en/") else ";"
    return next(csv.reader(io.StringIO(body), delimiter=delimiter))


@pytest.mark.parametrize(
    "path",
    [
        "/kommuner/",
        "/samverkan/",
        "/upphandlingar/",
        "/en/kommuner/",
        "/en/samverkan/",
        "/en/upphandlingar/",
    ],
)
def test_every_csv_header_starts_with_a_capital(seed, client, path):
    headers = _headers(client, path)
    assert headers and all(header[0].isupper() for header in headers), headers


def test_procurement_csv_headers_read_as_on_the_page(seed, client):
    assert {"Samordnande kommun", "Valuta"} <= set(_headers(client, "/upphandlingar/"))
    assert {"Lead municipality", "Currency"} <= set(_headers(client, "/en/upphandlingar/"))


def test_the_registrys_swedish_prose_is_marked_swedish_on_english_pages(seed, client):
    # The citizen reviewer: on English pages the registry's own Swedish (a description, a
    # comment, the dating note) had no lang="sv", so a screen reader read it as English.
    from bs4 import BeautifulSoup

    from agreements.models import Cooperation, Party

    agreement = Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")
    note = Party.objects.exclude(note="").filter(cooperation=agreement).first().note
    with translation.override("en"):
        html = client.get("/en" + AGREEMENT).content.decode()
    page = BeautifulSoup(html, "html.parser")
    swedish = [" ".join(t.get_text().split()) for t in page.select('main [lang="sv"]')]
    for text in (agreement.description, note, "Odaterat."):
        assert any(s.startswith(" ".join(text.split())) for s in swedish), (text, swedish)
    # Swedish pages need no mark: the whole page is Swedish.
    swedish_page = client.get(AGREEMENT).content.decode()
    assert agreement.description[:40] in swedish_page
    assert f'<span lang="sv">{agreement.description[:40]}' not in swedish_page
