"""Sources come in with their text, and citations are checked against it.

Staff tasks are done by submitting the forms the admin renders (django-webtest), with the
documents made here in the tests (tests/documents.py). What the public sees is checked on
the public pages and the download.
"""

import hashlib
import re

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse
from webtest import Upload

from agreements.models import Citation, Claim, Cooperation, SourceDocument, normalize_space

from . import documents
from .admin_forms import pick
from .test_public import text_of

pytestmark = pytest.mark.django_db

SEED_SOURCE = "askersund-svar-interpellation-upphandling"
AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
PDF_LINES = [
    "Laxå kommun finansierar 0,5 av en upphandlartjänst i Hallsberg.",
    "Avtalet gäller från den 1 mars 2026 (beslut KS 2026/14).",
]


def _add_page(admin_app, user):
    return admin_app.get(reverse("admin:agreements_sourcedocument_add"), user=user)


def _source_form(page, **fields):
    form = page.forms["sourcedocument_form"]
    for name, value in fields.items():
        form[name] = value
    return form


def _new_source(admin_app, user, upload=None, text=None, slug="ny-kalla", **fields):
    """Fill in the new-source form as staff do and submit it; the response."""
    values = {"title": "Avtal om upphandlartjänst", "slug": slug, "kind": "agreement", **fields}
    form = _source_form(_add_page(admin_app, user), **values)
    if upload is not None:
        form["original"] = Upload(*upload)
    if text is not None:
        form["text"] = text
    return form.submit("_save")


def _errors(response):
    return [e.get_text(" ", strip=True) for e in response.html.select(".errornote, .errorlist")]


def _stored_files(media_root):
    return (
        sorted(p.name for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []
    )


@pytest.fixture
def editor(personas):
    return personas["registry"]


# --- registering a source by upload or paste -------------------------------------------------


def test_uploaded_pdf_is_read_shown_and_offered_for_download(admin_app, editor, client):
    data = documents.pdf(PDF_LINES)
    response = _new_source(
        admin_app,
        editor,
        upload=("avtal.pdf", data, "application/pdf"),
        publisher="Hallsbergs kommun",
        url="https://www.hallsberg.se/avtal.pdf",
        date="2026-03-01",
    )
    assert response.status_code == 302, _errors(response)

    page = client.get("/kallor/ny-kalla/")
    text = text_of(page)
    assert "Laxå kommun finansierar 0,5 av en upphandlartjänst i Hallsberg." in text
    assert "Avtalet gäller från den 1 mars 2026 (beslut KS 2026/14)." in text
    assert "Utgivare Hallsbergs kommun" in text
    assert "Datum 1 mars 2026" in text
    assert hashlib.sha256(data).hexdigest() in text
    soup = BeautifulSoup(page.content, "html.parser")
    assert soup.find("a", href="https://www.hallsberg.se/avtal.pdf") is not None

    download = client.get(soup.find("a", string=re.compile("Ladda ner avtal.pdf"))["href"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="avtal.pdf"' in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        (
            "protokoll.docx",
            lambda: documents.docx(
                ["Kommunstyrelsen beslutar att ingå avtal med Laxå."],
                table=[["Kommun", "Andel"], ["Laxå", "0,5"]],
            ),
            ["Kommunstyrelsen beslutar att ingå avtal med Laxå.", "Kommun Andel", "Laxå 0,5"],
        ),
        (
            "protokoll.odt",
            lambda: documents.odt(
                ["Nätverket för upphandlare i Sydnärke träffas varje månad."], heading="§ 12"
            ),
            ["§ 12", "Nätverket för upphandlare i Sydnärke träffas varje månad."],
        ),
        (
            "sida.html",
            lambda: documents.html(
                "<h1>Upphandling</h1><p>Ett <b>team</b> i Sydnärke ska arbeta med upphandling.</p>"
            ),
            ["Upphandling", "Ett team i Sydnärke ska arbeta med upphandling."],
        ),
        (
            "svar.txt",
            lambda: "Askersund har inte ingått något juridiskt bindande samarbete.\r\n".encode(
                "cp1252"
            ),
            ["Askersund har inte ingått något juridiskt bindande samarbete."],
        ),
    ],
    ids=["docx", "odt", "html", "txt-windows-1252"],
)
def test_each_document_format_gives_its_text(admin_app, editor, client, name, make, expected):
    response = _new_source(admin_app, editor, upload=(name, make()))
    assert response.status_code == 302, _errors(response)
    text = text_of(client.get("/kallor/ny-kalla/"))
    for words in expected:
        assert words in text


def test_html_original_is_downloaded_never_shown(admin_app, editor, client):
    data = documents.html("<p>Beslutet gäller från årsskiftet.</p>")
    assert _new_source(admin_app, editor, upload=("beslut.html", data)).status_code == 302
    page = client.get("/kallor/ny-kalla/")
    assert "Beslutet gäller från årsskiftet." in text_of(page)
    assert "skript" not in text_of(page)  # the document's script is not part of its text

    download = client.get(SourceDocument.objects.get(slug="ny-kalla").get_original_url())
    assert download["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download["Content-Security-Policy"]
    assert b"".join(download.streaming_content) == data


def test_pasted_text_is_shown_without_a_file(admin_app, editor, client):
    response = _new_source(
        admin_app, editor, text="Rad ett om avtalet.\r\nRad två om finansieringen."
    )
    assert response.status_code == 302, _errors(response)
    page = client.get("/kallor/ny-kalla/")
    assert "Rad ett om avtalet. Rad två om finansieringen." in text_of(page)
    assert "Ladda ner" not in text_of(page)
    source = SourceDocument.objects.get(slug="ny-kalla")
    assert source.text == "Rad ett om avtalet.\nRad två om finansieringen."
    assert client.get(source.get_original_url()).status_code == 404


def test_a_source_needs_a_file_or_its_text(admin_app, editor):
    response = _new_source(admin_app, editor)
    assert response.status_code == 200
    assert "Ladda upp dokumentet eller klistra in dess text." in _errors(response)
    assert not SourceDocument.objects.filter(slug="ny-kalla").exists()


def test_a_file_and_pasted_text_together_are_refused(admin_app, editor, _media_root):
    response = _new_source(
        admin_app,
        editor,
        upload=("avtal.pdf", documents.pdf(PDF_LINES)),
        text="Något annat.",
    )
    assert response.status_code == 200
    assert any("inte båda" in e for e in _errors(response))
    assert not SourceDocument.objects.filter(slug="ny-kalla").exists()
    assert _stored_files(_media_root) == []


BAD_FILES = {
    "not-a-document": ("bild.pdf", documents.PNG_1X1, "går inte att läsa som PDF"),
    "pdf-named-docx": ("avtal.docx", documents.pdf(PDF_LINES), "men innehållet är PDF"),
    "docx-named-pdf": ("avtal.pdf", documents.docx(["Text."]), "men innehållet är Word (DOCX)"),
    "encrypted-pdf": ("avtal.pdf", documents.encrypted_pdf(PDF_LINES), "lösenordsskyddad"),
    "image-only-pdf": ("skannad.pdf", documents.pdf(image=True), "ingen text, bara bilder"),
    "legacy-word": ("gammal.docx", documents.OLE_DOC, "gamla Word-formatet"),
    "zip-not-docx": ("arkiv.docx", documents.ZIP_ONLY, "går inte att läsa som Word"),
    "binary-as-text": ("data.txt", documents.PNG_1X1, "går inte att läsa som Ren text"),
    "unsupported-type": ("bild.png", documents.PNG_1X1, "Filtypen .png stöds inte"),
    "empty-html": ("tom.html", documents.html(""), "Det finns ingen text i filen"),
}


@pytest.mark.parametrize(("name", "data", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_explained_and_nothing_is_saved(
    admin_app, editor, _media_root, name, data, message
):
    response = _new_source(admin_app, editor, upload=(name, data))
    assert response.status_code == 200
    assert any(message in e for e in _errors(response)), _errors(response)
    assert not SourceDocument.objects.filter(slug="ny-kalla").exists()
    assert _stored_files(_media_root) == []
    # What the editor typed is still in the form.
    assert response.forms["sourcedocument_form"]["title"].value == "Avtal om upphandlartjänst"


def test_too_large_file_is_refused_with_the_limit(admin_app, editor, settings, _media_root):
    settings.SOURCE_UPLOAD_MAX_BYTES = 1000
    response = _new_source(admin_app, editor, upload=("stor.txt", b"Ord. " * 300))
    assert response.status_code == 200
    assert any("Största tillåtna storlek är 1000" in e for e in _errors(response))
    assert not SourceDocument.objects.filter(slug="ny-kalla").exists()
    assert _stored_files(_media_root) == []


def test_pdf_restricted_only_by_an_owner_password_is_accepted(admin_app, editor, client):
    data = documents.encrypted_pdf(PDF_LINES, user_password="")
    response = _new_source(admin_app, editor, upload=("avtal.pdf", data))
    assert response.status_code == 302, _errors(response)
    assert PDF_LINES[0] in text_of(client.get("/kallor/ny-kalla/"))


def test_file_name_with_markup_is_not_echoed_as_markup(admin_app, editor):
    response = _new_source(admin_app, editor, upload=("x.<img src=x onerror=alert(1)>", b"x"))
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert any("stöds inte" in e for e in _errors(response))


def test_the_same_file_twice_is_stored_once(admin_app, editor, _media_root):
    data = documents.pdf(PDF_LINES)
    assert _new_source(admin_app, editor, upload=("a.pdf", data), slug="a").status_code == 302
    assert _new_source(admin_app, editor, upload=("b.pdf", data), slug="b").status_code == 302
    assert _stored_files(_media_root) == [hashlib.sha256(data).hexdigest() + ".pdf"]
    names = SourceDocument.objects.filter(slug__in=["a", "b"]).values_list("original_name")
    assert sorted(names) == [("a.pdf",), ("b.pdf",)]


# --- citations are checked against the stored text ------------------------------------------


@pytest.fixture
def pasted_source(admin_app, editor):
    text = (
        "Hallsberg utökade avtalet med Lekeberg från 0,3 till 0,5 av en tjänst.\n"
        "Laxå kommun ville också ingå i avtalet genom att\nfinansiera 0,5 av en tjänst."
    )
    assert _new_source(admin_app, editor, text=text, slug="pastad").status_code == 302
    return SourceDocument.objects.get(slug="pastad")


def _citation_add(admin_app, user, **query):
    url = reverse("admin:agreements_citation_add")
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return admin_app.get(url, user=user)


def _cite(admin_app, user, source, quote, key="laxa-andel"):
    page = _citation_add(admin_app, user, source=source.pk)
    form = page.forms["citation_form"]
    form["quote"] = quote
    form["key"] = key
    pick(form, "cooperation", Cooperation.objects.get(slug=AGREEMENT))
    return form.submit("_save")


def test_quote_not_in_the_text_is_refused_in_swedish(admin_app, editor, pasted_source):
    response = _cite(admin_app, editor, pasted_source, "Laxå kommun finansierar 0,7 av en tjänst.")
    assert response.status_code == 200
    assert any("Citatet finns inte ordagrant i källan" in e for e in _errors(response))
    assert not Citation.objects.filter(key="laxa-andel").exists()


def test_quote_found_in_two_places_is_refused(admin_app, editor, pasted_source):
    response = _cite(admin_app, editor, pasted_source, "0,5 av en tjänst")
    assert response.status_code == 200
    assert any("finns på 2 ställen" in e for e in _errors(response))


def test_quote_wrapped_differently_is_accepted_and_its_link_lands_on_it(
    admin_app, editor, pasted_source, client
):
    quote = "Laxå kommun ville också ingå i avtalet genom att finansiera 0,5 av en tjänst."
    response = _cite(admin_app, editor, pasted_source, quote)
    assert response.status_code == 302, _errors(response)
    citation = Citation.objects.get(key="laxa-andel")
    source_text = SourceDocument.objects.get(pk=pasted_source.pk).text
    assert normalize_space(source_text[citation.start : citation.end]) == quote
    _assert_lands(client, citation)


def _assert_lands(client, citation):
    path, anchor = citation.get_absolute_url().split("#")
    soup = BeautifulSoup(client.get(path).content, "html.parser")
    target = soup.find(id=anchor)
    assert target.find_parent("mark") is not None
    first_piece = normalize_space(target.get_text())
    assert first_piece and normalize_space(citation.quote).startswith(first_piece)


def test_editing_a_citation_inline_is_checked_too(admin_app, editor, seed):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    page = admin_app.get(
        reverse("admin:agreements_cooperation_change", args=[agreement.pk]), user=editor
    )
    form = page.forms["cooperation_form"]
    prefix = next(
        name.removesuffix("-key")
        for name, fields in form.fields.items()
        if name.endswith("-key") and fields[0].value == "avtalet"
    )
    form[f"{prefix}-quote"] = "Så det som finns är ett avtal mellan Hallsberg och Örebro."
    response = form.submit("_save")
    assert response.status_code == 200
    assert any("finns inte ordagrant" in e for e in _errors(response))
    assert "Örebro" not in Citation.objects.get(key="avtalet").quote


def test_code_cannot_store_an_unchecked_citation(seed):
    source = SourceDocument.objects.get(slug=SEED_SOURCE)
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    with pytest.raises(ValidationError, match="finns inte ordagrant"):
        Citation.objects.create(
            source=source, key="fel", quote="Hallsberg betalar allt.", cooperation=agreement
        )
    with pytest.raises(ValidationError, match="ställen"):
        Citation.objects.create(source=source, key="fel", quote="Laxå", cooperation=agreement)
    assert not Citation.objects.filter(key="fel").exists()


# --- editing a source's text ------------------------------------------------------------------


def _change_page(admin_app, user, source):
    return admin_app.get(
        reverse("admin:agreements_sourcedocument_change", args=[source.pk]), user=user
    )


def test_text_edit_that_breaks_citations_is_refused_naming_them(admin_app, editor, pasted_source):
    quote = "Laxå kommun ville också ingå i avtalet"
    assert _cite(admin_app, editor, pasted_source, quote).status_code == 302
    before = SourceDocument.objects.get(pk=pasted_source.pk).text

    form = _change_page(admin_app, editor, pasted_source).forms["sourcedocument_form"]
    form["text"] = form["text"].value.replace("Laxå kommun ville också", "Laxå ville")
    response = form.submit("_save")
    assert response.status_code == 200
    message = " ".join(_errors(response))
    assert "Texten kan inte ändras så" in message
    assert "laxa-andel" in message and quote in message
    assert SourceDocument.objects.get(pk=pasted_source.pk).text == before


def test_text_edit_moves_the_citations_along(admin_app, editor, pasted_source, client):
    quote = "Laxå kommun ville också ingå i avtalet"
    assert _cite(admin_app, editor, pasted_source, quote).status_code == 302
    old_start = Citation.objects.get(key="laxa-andel").start

    form = _change_page(admin_app, editor, pasted_source).forms["sourcedocument_form"]
    form["text"] = "Bakgrund.\n" + form["text"].value
    assert form.submit("_save").status_code == 302
    citation = Citation.objects.get(key="laxa-andel")
    assert citation.start == old_start + len("Bakgrund.\n")
    _assert_lands(client, citation)


def test_replacement_file_that_breaks_citations_is_refused(
    admin_app, editor, pasted_source, _media_root
):
    assert _cite(admin_app, editor, pasted_source, "Laxå kommun ville också").status_code == 302
    form = _change_page(admin_app, editor, pasted_source).forms["sourcedocument_form"]
    form["original"] = Upload("ny.pdf", documents.pdf(["Helt annan text."]))
    response = form.submit("_save")
    assert response.status_code == 200
    assert any("laxa-andel" in e for e in _errors(response))
    assert _stored_files(_media_root) == []
    assert not SourceDocument.objects.get(pk=pasted_source.pk).has_original


def test_replacement_file_that_keeps_citations_replaces_the_text(
    admin_app, editor, pasted_source, client
):
    assert _cite(admin_app, editor, pasted_source, "Laxå kommun ville också").status_code == 302
    form = _change_page(admin_app, editor, pasted_source).forms["sourcedocument_form"]
    form["original"] = Upload("avtal.pdf", documents.pdf(["Inledning.", "Laxå kommun ville också"]))
    assert form.submit("_save").status_code == 302
    source = SourceDocument.objects.get(pk=pasted_source.pk)
    assert source.text == "Inledning.\nLaxå kommun ville också"
    assert source.original_name == "avtal.pdf"
    _assert_lands(client, Citation.objects.get(key="laxa-andel"))


# --- the seed source, loaded by loaddata -------------------------------------------------------


def test_loaded_seed_source_has_its_file_text_and_checksum(seed, settings, client):
    source = SourceDocument.objects.get(slug=SEED_SOURCE)
    data = (settings.SEEDS_DIR / source.file_name).read_bytes()
    assert source.text == data.decode("utf-8")
    assert source.original_sha256 == hashlib.sha256(data).hexdigest()
    download = client.get(source.get_original_url())
    assert b"".join(download.streaming_content) == data
    assert download["Content-Disposition"].startswith("attachment;")


def test_loaded_citations_have_positions_of_their_own_words(seed):
    citations = Citation.objects.select_related("source")
    assert citations.count() >= 38
    for citation in citations:
        passage = citation.source.text[citation.start : citation.end]
        assert passage == citation.quote, citation.key


# --- picking a passage in the admin ------------------------------------------------------------


def test_without_javascript_a_link_starts_a_citation_of_this_source(admin_app, editor, seed):
    source = SourceDocument.objects.get(slug=SEED_SOURCE)
    page = _change_page(admin_app, editor, source)
    picker = page.html.select_one(".citation-picker")
    assert "Hallsbergs Kommun söker en upphandlare" in picker.get_text()
    add_page = page.click(description="Nytt citat ur den här källan")
    form = add_page.forms["citation_form"]
    assert form["source"].value == str(source.pk)
    form["quote"] = "Även jag reagerade när jag läste annonsen"
    form["key"] = "reaktion"
    pick(form, "claim", Claim.objects.get(slug="team-i-sydnarke"))
    response = form.submit("_save")
    assert response.status_code == 302, _errors(response)
    assert Citation.objects.get(key="reaktion").source == source


def test_citera_link_carries_the_selected_passage(admin_app, editor, seed):
    # What the script builds: the add form with ?source=…&quote=… fills both in.
    source = SourceDocument.objects.get(slug=SEED_SOURCE)
    page = _citation_add(admin_app, editor, source=source.pk, quote="ett team i Sydnärke")
    form = page.forms["citation_form"]
    assert form["source"].value == str(source.pk)
    assert form["quote"].value == "ett team i Sydnärke"


def test_picker_script_is_a_static_file_and_the_page_has_no_inline_script(admin_app, editor, seed):
    source = SourceDocument.objects.get(slug=SEED_SOURCE)
    page = _change_page(admin_app, editor, source)
    scripts = page.html.select("script")
    assert any("citation_picker.js" in (s.get("src") or "") for s in scripts)
    assert all(s.get("src") or s.get("type") == "application/json" for s in scripts)
    button = page.html.select_one(".citation-picker-cite")
    assert button.has_attr("hidden") and button.get_text() == "Citera"


def test_view_only_editor_sees_the_text_without_the_citera_button(admin_app, personas, seed):
    from django.contrib.auth.models import Permission

    viewer = personas["outsider"]
    viewer.user_permissions.add(Permission.objects.get(codename="view_sourcedocument"))
    source = SourceDocument.objects.get(slug=SEED_SOURCE)
    page = _change_page(admin_app, viewer, source)
    assert "Hallsbergs Kommun söker en upphandlare" in page.html.select_one(".source-text").text
    assert page.html.select_one(".citation-picker") is None
    # The file is offered through the public download, not a MEDIA_URL that is never served.
    links = [a["href"] for a in page.html.select("#content a")]
    assert source.get_original_url() in links
    assert not any(href.startswith("/media/") for href in links)


# --- the open data API ----------------------------------------------------------------------


def test_api_gives_publisher_original_and_positions(admin_app, editor, client):
    data = documents.pdf(PDF_LINES)
    _new_source(admin_app, editor, upload=("avtal.pdf", data), publisher="Hallsbergs kommun")
    detail = client.get("/api/v1/sources/ny-kalla/").json()
    assert detail["publisher"] == "Hallsbergs kommun"
    assert detail["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert detail["original"]["download_url"] == "/kallor/ny-kalla/original/"
    assert PDF_LINES[0] in detail["text"]


def test_api_citation_positions_point_at_the_quote(seed, client):
    source = client.get(f"/api/v1/sources/{SEED_SOURCE}/").json()
    citation = client.get(f"/api/v1/citations/{SEED_SOURCE}.laxa-0-5/").json()
    assert source["text"][citation["start"] : citation["end"]] == citation["quote"]


# --- storage shared by several servers -----------------------------------------------------------


def _storage_from_environment(**env):
    """STORAGES["default"] as registry/settings.py builds it from these environment variables."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json; from registry import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_without_s3_settings_originals_go_to_local_disk():
    backend = _storage_from_environment(DJANGO_S3_BUCKET="")["BACKEND"]
    assert backend == "django.core.files.storage.FileSystemStorage"


def test_originals_go_to_s3_compatible_storage_when_configured(admin_app, editor, client, settings):
    moto = pytest.importorskip("moto")
    import boto3

    storage = _storage_from_environment(
        DJANGO_S3_BUCKET="samverkan-kallor",
        DJANGO_S3_REGION="eu-north-1",
        DJANGO_S3_ACCESS_KEY_ID="test-nyckel",
        DJANGO_S3_SECRET_ACCESS_KEY="test-hemlighet",
        DJANGO_S3_PREFIX="registret",
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    data = documents.pdf(PDF_LINES)
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="eu-north-1")
        s3.create_bucket(
            Bucket="samverkan-kallor",
            CreateBucketConfiguration={"LocationConstraint": "eu-north-1"},
        )
        settings.STORAGES = {**settings.STORAGES, "default": storage}
        response = _new_source(admin_app, editor, upload=("avtal.pdf", data))
        assert response.status_code == 302, _errors(response)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="samverkan-kallor")["Contents"]]
        assert keys == [f"registret/kallor/{hashlib.sha256(data).hexdigest()}.pdf"]
        download = client.get("/kallor/ny-kalla/original/")
        assert b"".join(download.streaming_content) == data
        assert PDF_LINES[0] in text_of(client.get("/kallor/ny-kalla/"))


# --- the data migration ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_carries_existing_sources_and_citations_forward(settings):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        ("agreements", "0008_party_period"),
        ("agreements", "0009_source_text_and_files"),
    )
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("agreements")
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps
        county = old.get_model("agreements", "County").objects.create(code="18", name="Örebro län")
        askersund = old.get_model("agreements", "Municipality").objects.create(
            name="Askersund", slug="askersund", code="1882", county=county
        )
        source = old.get_model("agreements", "SourceDocument").objects.create(
            slug="svar",
            title="Svar",
            kind="interpellation_answer",
            file_name="askersund-svar-pa-interpellation-om-upphandlingssamarbete.txt",
        )
        Citation_ = old.get_model("agreements", "Citation")
        quote = "Även jag reagerade när jag läste annonsen eftersom det var en nyhet även för mig."
        Citation_.objects.create(source=source, key="reaktion", quote=quote, municipality=askersund)
        Citation_.objects.create(
            source=source, key="tvetydig", quote="Laxå", municipality=askersund
        )

        executor = MigrationExecutor(connection)
        executor.migrate([after])
        new = executor.loader.project_state([after]).apps
        migrated = new.get_model("agreements", "SourceDocument").objects.get(slug="svar")
        data = (settings.SEEDS_DIR / migrated.file_name).read_bytes()
        assert migrated.text == data.decode("utf-8")
        assert migrated.original_sha256 == hashlib.sha256(data).hexdigest()
        citations = new.get_model("agreements", "Citation").objects
        found = citations.get(key="reaktion")
        assert normalize_space(migrated.text[found.start : found.end]) == quote
        # Ambiguous: left without a position for an editor to fix, not guessed.
        assert citations.get(key="tvetydig").start is None
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)


def test_seed_file_name_cannot_reach_outside_seeds(db):
    # Fixtures load raw, past the form's validator: the path itself is checked too.
    source = SourceDocument(slug="utanfor", title="Utanför", kind="other", file_name="../manage.py")
    with pytest.raises(ValidationError, match="finns inte i seeds/"):
        source.full_clean()
    assert source.open_original() is None
