"""/oppna-data/ for people: the API described in the page's language, as text, not Markdown."""

import html as html_module
import re

import pytest

from .test_public import text_of as markup_text


def text_of(response):
    return html_module.unescape(markup_text(response))


pytestmark = pytest.mark.django_db

# Descriptions of parameters and endpoints, as each language writes them.
SWEDISH = [
    "Samverkansform.",
    "Sortera.",
    "Sidnummer, från 1.",
    "Språket för de etiketter och texter som registret skriver",
    "Källans kortnamn.",
    "Ordagranna citat ur källorna",
    "Juridiskt bindande.",
    "Värdkommun.",
]
ENGLISH = [
    "Form of cooperation.",
    "Sort by.",
    "Page number, from 1.",
    "The language of the labels and texts the registry writes",
    "The source's slug.",
    "Verbatim passages from the sources",
    "Legally binding.",
    "Host municipality.",
]
# What the page said before its texts came from the registry's own translated strings.
UNTRANSLATED = [
    "A page number within the paginated result set",
    "Number of results to return per page",
    "The language of labels and texts",
    "Source slug",
    "Verbatim passages and the record each supports",
]


def test_swedish_page_describes_every_parameter_in_swedish(seed, client):
    text = text_of(client.get("/oppna-data/"))
    for words in SWEDISH:
        assert words in text
    for words in ENGLISH + UNTRANSLATED:
        assert words not in text


def test_english_page_describes_every_parameter_in_english(seed, client):
    text = text_of(client.get("/en/oppna-data/"))
    for words in ENGLISH:
        assert words in text
    for words in SWEDISH:
        assert words not in text


@pytest.mark.parametrize("path", ["/oppna-data/", "/en/oppna-data/"])
def test_page_shows_no_markdown(seed, client, path):
    html = client.get(path).content.decode()
    assert "* `" not in html and "`" not in text_of(client.get(path))


def test_choices_are_a_list_of_values_and_their_meanings(seed, client):
    html = client.get("/oppna-data/").content.decode()
    assert "<li><code>joint_committee</code> – Gemensam nämnd</li>" in html
    assert "<li><code>-name</code> – Namn, omvänd ordning</li>" in html
    assert "<li><code>1</code> – Ja</li>" in html


def test_each_parameter_name_is_a_term_of_its_own(seed, client):
    # A term with its meaning below it (not a narrow table cell that breaks the name).
    html = client.get("/oppna-data/").content.decode()
    assert re.search(r"<dt><code>procurement_year</code> <span class=\"meta\">heltal,", html)


@pytest.mark.parametrize("path", ["/oppna-data/", "/en/oppna-data/"])
def test_licence_is_a_link_named_for_the_licence(seed, client, settings, path):
    html = client.get(path).content.decode()
    url = settings.OPEN_DATA_LICENSE_URL
    assert f'<a href="{url}">CC0 1.0 Universal</a>' in html
    assert f">{url}</a>" not in html


def test_openapi_document_comes_in_the_language_asked_for(seed, client):
    def descriptions(query):
        schema = client.get("/api/v1/schema/" + query, HTTP_ACCEPT="application/json").json()
        operation = schema["paths"]["/api/v1/cooperations/"]["get"]
        return operation["description"], {
            p["name"]: p["description"] for p in operation["parameters"]
        }

    summary, parameters = descriptions("")
    assert summary.startswith("Samverkan: parterna")
    assert parameters["page"] == "Sidnummer, från 1."
    assert parameters["legally_binding"].startswith("Juridiskt bindande")
    summary, parameters = descriptions("?lang=en")
    assert summary.startswith("Cooperations: the parties")
    assert parameters["page"] == "Page number, from 1."
    assert parameters["host"] == "Host municipality"
