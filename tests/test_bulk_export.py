"""The bulk download: `manage.py export_bulk` writes the whole public registry as one ZIP,
publishes it atomically, and /oppna-data/ offers it with its checksum, size and date."""

import base64
import hashlib
import io
import json
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.http import http_date

from agreements import bulk, downloads, exports, http_caching
from agreements.formats import format_file_size
from agreements.models import Municipality, SourceDocument
from agreements.pagecache.models import PageGeneration

from .test_open_data import ocds_validator  # noqa: F401  (a fixture: the official OCDS schema)

pytestmark = pytest.mark.django_db

CSV_PAGES = {
    "csv/kommuner.csv": "/kommuner/",
    "csv/samverkan.csv": "/samverkan/",
    "csv/planerade-upphandlingar.csv": "/upphandlingar/",
}
RESOURCES = ["municipalities", "cooperations", "procurements", "sources", "citations"]


def export_now(when=None):
    return bulk.export(created_at=when)


def archive_of(export):
    return zipfile.ZipFile(export.path)


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def api_path(resource, record):
    if resource == "citations":
        return f"/api/v1/citations/{record['source']}.{record['key']}/"
    return urlsplit(record["url"]).path


def jsonl(archive, resource):
    lines = archive.read(f"jsonl/{resource}.jsonl").decode().splitlines()
    return [json.loads(line) for line in lines]


def api_list(client, path):
    rows, page = [], 1
    while True:
        data = client.get(path, {"page": page, "page_size": 500}).json()
        rows += data["results"]
        if not data["next"]:
            return rows
        page += 1


# --- what the file holds ----------------------------------------------------------------------


def test_zip_holds_every_part(seed):
    names = set(archive_of(export_now()).namelist())
    source = SourceDocument.objects.get()
    text_path, original_path = bulk.source_paths(source)
    assert names == {
        *CSV_PAGES,
        *(f"jsonl/{resource}.jsonl" for resource in RESOURCES),
        "ocds/releases.json",
        text_path,
        original_path,
        "README.txt",
    }


@pytest.mark.parametrize(("entry", "page"), CSV_PAGES.items())
def test_each_csv_equals_the_pages_csv_download(seed, client, entry, page):
    archive = archive_of(export_now())
    assert archive.read(entry) == body(client.get(page, {"format": "csv"}))


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_json_line_equals_the_api_detail_response(seed, client, resource):
    records = jsonl(archive_of(export_now()), resource)
    assert records
    for record in records:
        response = client.get(api_path(resource, record))
        assert response.status_code == 200
        assert record == response.json()


@pytest.mark.parametrize("resource", RESOURCES)
def test_json_lines_hold_every_record_the_api_lists(seed, client, resource):
    records = jsonl(archive_of(export_now()), resource)
    listed = api_list(client, f"/api/v1/{resource}/")
    assert [api_path(resource, r) for r in records] == [api_path(resource, r) for r in listed]


def test_ocds_package_has_every_release_of_the_api(seed, client):
    # Two releases, so that the API pages (page_size 1) and the file joins them.
    call_command(
        "generate_scale_data",
        municipalities=6,
        cooperations=5,
        procurements=4,
        stdout=io.StringIO(),
    )
    package = json.loads(archive_of(export_now()).read("ocds/releases.json"))
    releases, page = [], client.get("/api/v1/ocds/releases/", {"page_size": 1}).json()
    first = page
    while True:
        releases += page["releases"]
        if "next" not in page.get("links", {}):
            break
        page = client.get(
            urlsplit(page["links"]["next"]).path + "?" + urlsplit(page["links"]["next"]).query
        ).json()
    assert len(releases) > 1
    assert package["releases"] == releases
    for name in ("version", "publisher", "license", "publicationPolicy"):
        assert package[name] == first[name]
    assert "links" not in package  # one package: no pages before or after


def test_ocds_package_validates_against_the_official_schema(seed, ocds_validator):  # noqa: F811
    package = json.loads(archive_of(export_now()).read("ocds/releases.json"))
    assert not list(ocds_validator.iter_errors(package))


def test_source_texts_equal_the_registrys_text_and_original(seed, client):
    archive = archive_of(export_now())
    source = SourceDocument.objects.get()
    text_path, original_path = bulk.source_paths(source)
    assert archive.read(text_path).decode() == source.text
    assert archive.read(original_path) == body(client.get(source.get_original_url()))


def test_readme_names_licence_publisher_date_and_generation(seed, settings):
    settings.OPEN_DATA_LICENSE_NAME = "Testlicens 2.0"
    settings.OPEN_DATA_LICENSE_URL = "https://licens.example/2.0"
    settings.REGISTRY_PUBLISHER = "Sydnärkes kommuner"
    export = export_now(datetime(2026, 11, 26, 8, 30, tzinfo=UTC))
    readme = archive_of(export).read("README.txt").decode()
    assert "Licens: Testlicens 2.0 <https://licens.example/2.0>" in readme
    assert "Licence: Testlicens 2.0 <https://licens.example/2.0>" in readme
    assert "Utgivare: Sydnärkes kommuner" in readme
    assert "Publisher: Sydnärkes kommuner" in readme
    assert "Exporterad: 2026-11-26 08:30:00 (UTC)" in readme
    assert f"Registrets ändringsgeneration: {export.generation}" in readme
    assert f"The registry's change generation: {export.generation}" in readme


def _section(readme, path):
    """The data dictionary's lines for one file (in the first, Swedish, half)."""
    start = readme.index(f"\n{path}\n")
    end = readme.find("\n\n", start + len(path) + 2)
    return readme[start:end]


@pytest.mark.parametrize("entry", CSV_PAGES)
def test_readme_gives_every_csv_column_a_meaning(seed, entry):
    archive = archive_of(export_now())
    readme = archive.read("README.txt").decode()
    header = archive.read(entry).decode().lstrip("\ufeff").split("\r\n")[0].split(";")
    section = _section(readme, entry)
    for column in header:
        line = next(li for li in section.splitlines() if li.startswith(f"- {column}: "))
        assert len(line) > len(f"- {column}: ") + 10


@pytest.mark.parametrize("resource", RESOURCES)
def test_readme_documents_every_api_field(seed, resource):
    archive = archive_of(export_now())
    readme = archive.read("README.txt").decode()
    section = _section(readme, f"jsonl/{resource}.jsonl")
    documented = {li[2:].split(": ", 1)[0] for li in section.splitlines() if li.startswith("- ")}
    for record in jsonl(archive, resource):
        for key, value in record.items():
            is_rows = isinstance(value, list) and value and isinstance(value[0], dict)
            name = f"{key}[]" if isinstance(value, list) else key
            assert name in documented
            if is_rows and key != "staffing_history":
                for row in value:
                    subs = {f"{name}.{sub}{'[]' * isinstance(v, list)}" for sub, v in row.items()}
                    assert subs <= documented


def test_readme_is_in_english_too(seed):
    readme = archive_of(export_now()).read("README.txt").decode()
    assert "Data dictionary" in readme
    # English headers beside the Swedish ones in the file.
    assert "- Kommun (Municipality): " in readme


# --- published atomically, kept N deep -------------------------------------------------------


class Crash(Exception):
    pass


def _files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name != downloads.LOCK)


def test_a_crash_mid_write_leaves_the_previous_export_published(seed, monkeypatch):
    previous = export_now()
    folder = previous.path.parent
    before = _files(folder)
    manifest = (folder / downloads.MANIFEST).read_bytes()

    def crash(archive, contents):
        raise Crash

    monkeypatch.setattr(bulk, "write_sources", crash)
    with pytest.raises(Crash):
        export_now(timezone.now() + timedelta(minutes=1))
    assert _files(folder) == before  # no partial file left, none published
    assert (folder / downloads.MANIFEST).read_bytes() == manifest
    assert downloads.latest() == previous
    assert hashlib.sha256(previous.path.read_bytes()).hexdigest() == previous.sha256


def test_a_download_during_an_export_gets_the_previous_complete_file(seed, client, monkeypatch):
    previous = export_now()
    seen = {}
    write_sources = bulk.write_sources

    def download_meanwhile(archive, contents):
        write_sources(archive, contents)
        seen["during"] = body(client.get("/oppna-data/registret.zip"))

    monkeypatch.setattr(bulk, "write_sources", download_meanwhile)
    new = export_now(timezone.now() + timedelta(minutes=1))
    assert hashlib.sha256(seen["during"]).hexdigest() == previous.sha256
    assert zipfile.ZipFile(io.BytesIO(seen["during"])).testzip() is None
    after = body(client.get("/oppna-data/registret.zip"))
    assert hashlib.sha256(after).hexdigest() == new.sha256 != previous.sha256


def test_manifest_names_the_files_checksum_size_and_generation(seed):
    export = export_now()
    manifest = json.loads((export.path.parent / downloads.MANIFEST).read_text())
    assert manifest["file_name"] == export.path.name
    assert manifest["sha256"] == hashlib.sha256(export.path.read_bytes()).hexdigest()
    assert manifest["size"] == export.path.stat().st_size
    assert manifest["generation"] == PageGeneration.objects.get().value


def test_only_the_newest_exports_are_kept(seed, settings):
    settings.REGISTRY_EXPORT_KEEP = 2
    start = timezone.now()
    made = [export_now(start + timedelta(minutes=n)) for n in range(4)]
    kept = [p.name for p in downloads.published_files()]
    assert kept == [made[3].file_name, made[2].file_name]
    assert downloads.latest() == made[3]


def test_if_changed_skips_an_unchanged_registry(seed, settings):
    call_command("export_bulk", "--if-changed", stdout=io.StringIO())
    first = downloads.latest()
    out = io.StringIO()
    call_command("export_bulk", "--if-changed", stdout=out)
    assert "Oförändrat" in out.getvalue()
    assert downloads.latest() == first
    assert len(downloads.published_files()) == 1


def test_if_changed_exports_after_a_change(seed):
    call_command("export_bulk", "--if-changed", stdout=io.StringIO())
    first = downloads.latest()
    municipality = Municipality.objects.get(slug="laxa")
    municipality.website = "https://www.laxa.se/"
    municipality.save()
    call_command("export_bulk", "--if-changed", stdout=io.StringIO())
    assert downloads.latest().generation > first.generation


def test_debounce_waits_while_the_latest_change_is_recent(seed):
    PageGeneration.objects.update(changed_at=timezone.now() - timedelta(seconds=30))
    out = io.StringIO()
    call_command("export_bulk", "--debounce", "300", stdout=out)
    assert "väntar" in out.getvalue()
    assert downloads.latest() is None


def test_debounce_exports_once_the_latest_change_has_settled(seed):
    PageGeneration.objects.update(changed_at=timezone.now() - timedelta(seconds=301))
    call_command("export_bulk", "--debounce", "300", stdout=io.StringIO())
    assert downloads.latest() is not None


# --- served on /oppna-data/ -----------------------------------------------------------------


def test_open_data_page_shows_the_exports_checksum_size_and_date(seed, django_app):
    export = export_now(datetime(2026, 11, 26, 8, 30, tzinfo=UTC))
    page = django_app.get("/oppna-data/")
    section = page.html.find(id="hela-registret").find_next("dl")
    text = section.get_text(" ", strip=True)
    assert export.sha256 in text
    # kB is 1000 bytes: 38,337 bytes are "38,3 kB", not the KiB a binary formatter gives.
    assert 1000 <= export.size < 1_000_000
    assert f"{export.size / 1000:.1f}".replace(".", ",") + "\xa0kB" in text
    assert "26 november 2026 09.30" in text  # Swedish time
    assert f"Ladda ner {export.file_name}" in text
    download = page.click(href="/oppna-data/registret.zip")
    assert hashlib.sha256(download.body).hexdigest() == export.sha256
    assert download.content_type == "application/zip"
    digest = base64.b64encode(bytes.fromhex(export.sha256)).decode()
    assert download.headers["Repr-Digest"] == f"sha-256=:{digest}:"


@pytest.mark.parametrize(
    "size, swedish, english",
    [
        (0, "0\xa0byte", "0\xa0bytes"),
        (1, "1\xa0byte", "1\xa0byte"),
        (999, "999\xa0byte", "999\xa0bytes"),
        (1000, "1,0\xa0kB", "1.0\xa0kB"),
        (38_337, "38,3\xa0kB", "38.3\xa0kB"),
        (999_949, "999,9\xa0kB", "999.9\xa0kB"),
        (999_950, "1,0\xa0MB", "1.0\xa0MB"),
        (12_345_678, "12,3\xa0MB", "12.3\xa0MB"),
        (2_500_000_000, "2,5\xa0GB", "2.5\xa0GB"),
    ],
)
def test_file_sizes_are_written_in_decimal_units(size, swedish, english):
    with translation.override("sv"):
        assert format_file_size(size) == swedish
    with translation.override("en"):
        assert format_file_size(size) == english


def test_english_open_data_page_shows_the_export_in_english(seed, django_app):
    export = export_now(datetime(2026, 11, 26, 8, 30, tzinfo=UTC))
    page = django_app.get("/en/oppna-data/")
    text = page.html.find(id="hela-registret").find_next("dl").get_text(" ", strip=True)
    assert 1000 <= export.size < 1_000_000
    assert f"{export.size / 1000:.1f}\xa0kB" in text
    assert f"Download {export.file_name}" in text
    assert "26 November 2026" in text
    assert "The whole registry as one file" in page.text


def test_without_an_export_the_page_says_so_and_the_download_is_not_found(seed, django_app):
    page = django_app.get("/oppna-data/")
    assert "Det finns ingen export av hela registret ännu." in page.text
    missing = django_app.get("/oppna-data/registret.zip", status=404)
    assert "text/html" in missing.content_type
    english = django_app.get("/en/oppna-data/registret.zip", status=404)
    assert "text/html" in english.content_type


def test_download_refuses_unknown_parameters(seed, client):
    export_now()
    assert client.get("/oppna-data/registret.zip", {"x": "1"}).status_code == 400


def test_a_new_export_is_shown_at_once_though_the_registry_is_unchanged(seed, client, settings):
    settings.PAGE_CACHE_SECONDS = 300  # the page cache on: the page must not come from it
    first = export_now()
    response = client.get("/oppna-data/")
    assert first.sha256 in response.content.decode()
    second = export_now(timezone.now() + timedelta(minutes=1))
    again = client.get("/oppna-data/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 200
    assert second.sha256 in again.content.decode()
    download = client.get("/oppna-data/registret.zip", HTTP_IF_NONE_MATCH=response["ETag"])
    assert hashlib.sha256(body(download)).hexdigest() == second.sha256


def test_open_data_page_costs_no_query_for_the_export(seed, client):
    from .conftest import count_queries

    without = count_queries(client, "/oppna-data/")
    export_now()
    assert count_queries(client, "/oppna-data/") == without


# --- bounded memory ---------------------------------------------------------------------------


def _peak_export(when):
    tracemalloc.start()
    try:
        export = export_now(when)
        return tracemalloc.get_traced_memory()[1], export
    finally:
        tracemalloc.stop()


def _uncompressed(export):
    return sum(info.file_size for info in archive_of(export).infolist())


def test_export_memory_does_not_grow_with_the_data(seed, monkeypatch):
    # Batches of 100 rows: what is held at once is a batch, a small part of each table.
    monkeypatch.setattr(bulk, "BATCH_SIZE", 100)
    monkeypatch.setattr(exports, "BATCH_SIZE", 100)
    scale = {"municipalities": 20, "cooperations": 50, "stdout": io.StringIO()}
    call_command("generate_scale_data", procurements=500, **scale)
    # What a process builds once (translations, the OpenAPI document, URL patterns) is not
    # what an export holds: measured from the second export on.
    export_now()
    small_peak, small = _peak_export(timezone.now() + timedelta(minutes=1))
    call_command("generate_scale_data", procurements=3000, replace=True, **scale)
    large_peak, large = _peak_export(timezone.now() + timedelta(minutes=2))
    assert _uncompressed(large) > 4 * _uncompressed(small)
    assert large_peak < small_peak * 1.5


# --- worker processes (PostgreSQL) ------------------------------------------------------------


def _entries(export):
    """Each entry's content; the OCDS package without its publishedDate (the time it was
    rendered) and the README without its export time."""
    archive = archive_of(export)
    entries = {}
    for name in archive.namelist():
        if name == "README.txt":
            continue
        data = archive.read(name)
        if name == "ocds/releases.json":
            package = json.loads(data)
            package.pop("publishedDate")
            data = package
        entries[name] = data
    return entries


@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_the_same_file_as_one_process(seed, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("worker processes share a PostgreSQL snapshot; SQLite writes in one")
    settings.REGISTRY_EXPORT_WORKERS = 1
    alone = export_now()
    settings.REGISTRY_EXPORT_WORKERS = 2
    shared = export_now(timezone.now() + timedelta(minutes=1))
    assert _entries(shared) == _entries(alone)
    assert zipfile.ZipFile(shared.path).testzip() is None


def test_the_download_is_dated_and_tagged_by_its_file_not_by_later_changes(seed, client):
    # The citizen reviewer saw the download's Last-Modified move forward with each change to
    # the registry while the file stayed the one written before them.
    export = export_now(timezone.now() - timedelta(hours=1))
    municipality = Municipality.objects.get(code="1860")
    municipality.name = "Laxå kommun"
    municipality.save()
    response = client.get("/oppna-data/registret.zip")
    assert response["Last-Modified"] == http_date(int(export.created_at.timestamp()))
    assert response["ETag"] == f'"{export.sha256}"'
    body(response)
    unchanged = client.get("/oppna-data/registret.zip", HTTP_IF_NONE_MATCH=response["ETag"])
    assert unchanged.status_code == 304
    # A 304 refreshes what a cache keeps: the same policy and validators as the file itself
    # (it said "private, no-store", which tells a cache to drop its copy), and like every
    # public response one copy per address, not per browser language.
    for kept in (response, unchanged):
        assert kept["Cache-Control"] == http_caching.public_policy()
        assert kept["Last-Modified"] == response["Last-Modified"]
        assert "Accept-Language" not in kept.get("Vary", "")
    newer = export_now()
    fresh = client.get("/oppna-data/registret.zip", HTTP_IF_NONE_MATCH=response["ETag"])
    assert fresh.status_code == 200
    assert hashlib.sha256(body(fresh)).hexdigest() == newer.sha256
