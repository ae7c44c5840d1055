"""Open data: JSON API, CSV, OCDS planning releases and Atom feeds."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource

from .conftest import VALIDATOR_QUERIES, count_queries
from .growth import grow, queries_that_grow

pytestmark = pytest.mark.django_db

OCDS = Path(__file__).parent / "data" / "ocds"
ATOM = "{http://www.w3.org/2005/Atom}"
AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
PROCUREMENT = "askersund-verksamheter-pa-entreprenad"
SOURCE = "askersund-svar-interpellation-upphandling"


def get_json(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].split(";")[0] in {
        "application/json",
        "application/vnd.oai.openapi+json",
    }
    return response.json()


# --- endpoints -----------------------------------------------------------------------------

LISTS = {
    "/api/v1/municipalities/": "Municipality",
    "/api/v1/cooperations/": "Cooperation",
    "/api/v1/procurements/": "PlannedProcurement",
    "/api/v1/sources/": "SourceDocument",
    "/api/v1/citations/": "Citation",
}


@pytest.mark.parametrize(("url", "model"), LISTS.items(), ids=LISTS.keys())
def test_list_endpoint_answers_with_pagination(seed, client, url, model):
    from django.apps import apps

    count = apps.get_model("agreements", model).objects.count()
    data = get_json(client, url, {"page_size": 500})
    assert data["count"] == count
    assert len(data["results"]) == count
    assert set(data) == {"count", "next", "previous", "results"}


DETAILS = [
    "/api/v1/municipalities/hallsberg/",
    f"/api/v1/cooperations/{AGREEMENT}/",
    f"/api/v1/procurements/{PROCUREMENT}/",
    f"/api/v1/sources/{SOURCE}/",
    f"/api/v1/citations/{SOURCE}.laxa-0-5/",
]


@pytest.mark.parametrize("url", DETAILS)
def test_detail_endpoint_answers(seed, client, url):
    assert get_json(client, url)


def test_cooperation_detail_has_parties_and_staffing_history(seed, client):
    data = get_json(client, f"/api/v1/cooperations/{AGREEMENT}/")
    assert data["host"] == "hallsberg" and data["legally_binding"] is True
    assert {p["municipality"]["code"]: p["role"] for p in data["parties"]} == {
        "1861": "host",
        "1860": "participant",
        "1814": "participant",
    }
    assert data["party_count"] == 3 and data["other_municipalities"] == []
    lekeberg = [c for c in data["staffing_history"] if c["financer"]["code"] == "1814"]
    current = next(c for c in lekeberg if c["is_current"])
    [replaced] = [c for c in lekeberg if c["key"] == current["supersedes"]]
    assert replaced["superseded_by"] == current["key"]
    assert (replaced["state"], current["state"]) == ("superseded", "current")


def test_municipality_has_stable_identifiers_and_exact_decimals(seed, client):
    data = get_json(client, "/api/v1/municipalities/lekeberg/")
    assert (data["code"], data["slug"]) == ("1814", "lekeberg")
    assert data["current_financed_fte"] == "0.50"
    assert data["county"] == {"code": "18", "name": "Örebro län"}
    assert data["organisation_number"] is None  # not checked yet: null, never guessed


def test_citation_names_the_record_it_supports(seed, client):
    data = get_json(client, f"/api/v1/citations/{SOURCE}.laxa-0-5/")
    assert data["about"]["type"] == "staffingcommitment"
    assert data["about"]["key"] == [AGREEMENT, "1861", "upphandlare-lekeberg-laxa", "1860", 1]
    assert data["html_url"] == f"/kallor/{SOURCE}/#citat-laxa-0-5"


def test_dates_are_iso_8601(seed, client):
    data = get_json(client, f"/api/v1/cooperations/{AGREEMENT}/")
    assert data["updated_at"][:4].isdigit() and "T" in data["updated_at"]
    assert data["start_date"] is None


# --- filters match the pages ---------------------------------------------------------------

FILTERS = [
    ("/samverkan/", "/api/v1/cooperations/", {"municipality": "askersund"}),
    ("/samverkan/", "/api/v1/cooperations/", {"form": "network"}),
    ("/samverkan/", "/api/v1/cooperations/", {"legally_binding": "1"}),
    ("/samverkan/", "/api/v1/cooperations/", {"status": "rejected"}),
    ("/samverkan/", "/api/v1/cooperations/", {"host": "hallsberg"}),
    ("/samverkan/", "/api/v1/cooperations/", {"q": "träff"}),
    ("/samverkan/", "/api/v1/cooperations/", {"o": "-name"}),
    ("/upphandlingar/", "/api/v1/procurements/", {"municipality": "testkommun-1"}),
    ("/upphandlingar/", "/api/v1/procurements/", {"procurement_year": "2026"}),
    ("/upphandlingar/", "/api/v1/procurements/", {"contract_year": "2027"}),
    ("/upphandlingar/", "/api/v1/procurements/", {"status": "planned"}),
    ("/upphandlingar/", "/api/v1/procurements/", {"joint": "1"}),
    ("/upphandlingar/", "/api/v1/procurements/", {"cpv": "7731"}),
    ("/kommuner/", "/api/v1/municipalities/", {"county": "99"}),
]


@pytest.mark.parametrize(("page", "api", "params"), FILTERS, ids=[str(f[2]) for f in FILTERS])
def test_api_filter_gives_the_same_result_as_the_page(seed, client, page, api, params):
    grow(3)
    context_name = {
        "/samverkan/": "cooperation_list",
        "/upphandlingar/": "plannedprocurement_list",
        "/kommuner/": "municipality_list",
    }[page]
    on_page = [o.slug for o in client.get(page, params).context[context_name]]
    in_api = [r["slug"] for r in get_json(client, api, params)["results"]]
    assert in_api == on_page


# --- errors --------------------------------------------------------------------------------

BAD_API_REQUESTS = [
    ("/api/v1/cooperations/", {"municipalty": "laxa"}, 400, "municipalty"),
    ("/api/v1/cooperations/", {"form": "kommunalt-kaos"}, 400, "form"),
    ("/api/v1/procurements/", {"procurement_year": "tjugo"}, 400, "procurement_year"),
    ("/api/v1/procurements/", {"q": "x" * 5000}, 400, "q"),
    ("/api/v1/cooperations/", {"page": "99"}, 404, None),
    ("/api/v1/cooperations/", {"page": "-1"}, 400, "page"),
    ("/api/v1/cooperations/finns-inte/", {}, 404, None),
    ("/api/v1/finns-inte/", {}, 404, None),
    ("/api/v1/cooperations/", {"lang": "de"}, 400, "lang"),
    ("/api/v1/ocds/releases/", {"lang": "en"}, 400, "lang"),
]


@pytest.mark.parametrize(("url", "params", "status", "field"), BAD_API_REQUESTS)
def test_bad_api_input_gets_a_json_error(seed, client, url, params, status, field):
    data = get_json(client, url, params, status=status)
    assert data["error"]["status"] == status
    assert data["error"]["message"]
    if field:
        assert field in data["error"]["details"]


def test_api_refuses_writes(seed, client):
    response = client.post("/api/v1/cooperations/", {}, content_type="application/json")
    assert response.status_code == 405
    assert response.json()["error"]["status"] == 405


# --- OpenAPI -------------------------------------------------------------------------------


def test_openapi_document_validates_and_describes_every_endpoint(seed, client):
    schema = get_json(client, "/api/v1/schema/")
    validate(schema)
    expected = {
        "/api/v1/municipalities/", "/api/v1/municipalities/{slug}/",
        "/api/v1/cooperations/", "/api/v1/cooperations/{slug}/",
        "/api/v1/procurements/", "/api/v1/procurements/{slug}/",
        "/api/v1/sources/", "/api/v1/sources/{slug}/",
        "/api/v1/citations/", "/api/v1/citations/{key}/",
        "/api/v1/ocds/releases/", "/api/v1/opportunities/", "/api/v1/changes/",
    }  # fmt: skip
    assert set(schema["paths"]) == expected
    cooperation_params = {
        p["name"] for p in schema["paths"]["/api/v1/cooperations/"]["get"]["parameters"]
    }
    assert {"municipality", "form", "legally_binding", "status", "host", "q", "page"} <= (
        cooperation_params
    )


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _property(schema, component, name):
    prop = schema["components"]["schemas"][component]["properties"][name]
    if "allOf" in prop:  # drf-spectacular wraps a nullable enum or reference this way
        return {**_resolve(schema, prop["allOf"][0]), **prop}
    return {**_resolve(schema, prop), **prop}


NULLABLE = [
    ("Cooperation", "legally_binding"),
    ("Cooperation", "has_host"),
    ("Cooperation", "host"),
    ("Cooperation", "as_of"),
    ("CooperationDetail", "record_keeper"),
    ("Commitment", "fte"),
    ("Commitment", "agreement_version"),
    ("Commitment", "supersedes"),
    ("Post", "employer_share"),
    ("Party", "role"),
    ("Procurement", "joint"),
    ("Procurement", "as_of"),
    ("Municipality", "current_financed_fte"),
    ("Municipality", "organisation_number"),
    ("Municipality", "as_of"),
    ("Claim", "assessed_by"),
    ("Citation", "interpretation"),
]


@pytest.mark.parametrize(("component", "name"), NULLABLE, ids=[".".join(n) for n in NULLABLE])
def test_openapi_marks_unknowns_nullable(seed, client, component, name):
    schema = get_json(client, "/api/v1/schema/")
    assert _property(schema, component, name).get("nullable") is True


def test_openapi_enums_are_the_models_codes(seed, client):
    from agreements.models import Cooperation, Party, PlannedProcurement

    schema = get_json(client, "/api/v1/schema/")
    assert _property(schema, "Procurement", "status")["enum"] == PlannedProcurement.Status.values
    assert _property(schema, "Cooperation", "status")["enum"] == Cooperation.Status.values
    assert _property(schema, "Party", "level")["enum"] == Party.Level.values
    params = schema["paths"]["/api/v1/municipalities/{slug}/"]["get"]["parameters"]
    [lang] = [p for p in params if p["name"] == "lang"]
    assert sorted(lang["schema"]["enum"]) == ["en", "sv"]


RESPONSES = {
    "/api/v1/municipalities/": "PaginatedMunicipalityList",
    "/api/v1/municipalities/hallsberg/": "MunicipalityDetail",
    "/api/v1/municipalities/askersund/": "MunicipalityDetail",
    "/api/v1/cooperations/": "PaginatedCooperationList",
    f"/api/v1/cooperations/{AGREEMENT}/": "CooperationDetail",
    "/api/v1/cooperations/natverk-upphandlare-sydnarke/": "CooperationDetail",
    "/api/v1/cooperations/utrett-samarbete-askersund-hallsberg/": "CooperationDetail",
    "/api/v1/procurements/": "PaginatedProcurementList",
    "/api/v1/citations/": "PaginatedCitationList",
    f"/api/v1/sources/{SOURCE}/": "SourceDetail",
}


@pytest.mark.parametrize(("url", "component"), RESPONSES.items(), ids=RESPONSES.keys())
def test_responses_match_the_openapi_document(seed, client, url, component):
    """The document is accurate: every answer validates against it, nulls included."""
    from openapi_schema_validator import OAS30Validator

    grow(2)  # unknown shares, bound and unbound levels, interpretations
    schema = get_json(client, "/api/v1/schema/")
    validator = OAS30Validator(
        {"$ref": f"#/components/schemas/{component}", "components": schema["components"]}
    )
    data = get_json(client, url, {"page_size": 500} if "Paginated" in component else None)
    errors = sorted(validator.iter_errors(data), key=str)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_api_page_lists_every_endpoint(seed, client):
    html = client.get("/oppna-data/").content.decode()
    for path in ["/api/v1/cooperations/{slug}/", "/api/v1/ocds/releases/", "legally_binding"]:
        assert path in html


# --- CSV -----------------------------------------------------------------------------------


def csv_body(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return body[1:]


def read_csv(response, delimiter=";"):
    """The rows as dicts by header; Swedish files use semicolons, English ones commas."""
    rows = list(csv.reader(io.StringIO(csv_body(response)), delimiter=delimiter))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_csv_opens_in_swedish_excel_with_swedish_characters(seed, client):
    body = csv_body(client.get("/kommuner/", {"format": "csv"}))
    assert body.splitlines()[0].startswith("Kommun;Kommunkod;Län;")
    laxa = next(
        r for r in read_csv(client.get("/kommuner/", {"format": "csv"})) if r["Kommun"] == "Laxå"
    )
    assert (laxa["Kommunkod"], laxa["Län"]) == ("1860", "Örebro län")
    assert laxa["Känd finansiering (heltidstjänster)"] == "0,5"


def test_csv_is_filtered_like_the_page(seed, client):
    rows = read_csv(client.get("/samverkan/", {"format": "csv", "municipality": "askersund"}))
    page = client.get("/samverkan/", {"municipality": "askersund"}).context["cooperation_list"]
    assert [r["Namn"] for r in rows] == [c.name for c in page]


def test_csv_contains_every_row_not_one_page(seed, client):
    grow(30)
    rows = read_csv(client.get("/upphandlingar/", {"format": "csv"}))
    assert len(rows) == 1 + 30


def test_csv_whose_database_fails_answers_503_not_a_cut_off_200(seed, monkeypatch):
    from django.db import OperationalError
    from django.test import Client

    from agreements import exports

    def unreachable(rows, size):
        raise OperationalError("the database has gone away")
        yield  # a generator, like the real one

    monkeypatch.setattr(exports, "batches", unreachable)
    response = Client(raise_request_exception=False).get("/samverkan/?format=csv")
    # The database went away: try again later, not a CSV that looks complete.
    assert (response.status_code, response["Retry-After"]) == (503, "30")


def test_english_csv_uses_commas_and_decimal_points(seed, client):
    body = csv_body(client.get("/en/kommuner/", {"format": "csv"}))
    assert body.splitlines()[0].startswith("Municipality,Municipality code,County,")
    rows = list(csv.DictReader(io.StringIO(body)))
    laxa = next(r for r in rows if r["Municipality"] == "Laxå")
    assert laxa["Known financing (full-time posts)"] == "0.5"


def test_procurement_csv_has_buyers_and_years(seed, client):
    [record] = read_csv(client.get("/upphandlingar/", {"format": "csv"}))
    assert (
        record["Köpare"] == "Askersund (registrets tolkning)"
        and record["Upphandlingsår (mål eller plan)"] == "2026"
    )
    assert record["Avtalsstart (år)"] == "2027 (registrets tolkning)"  # "inför 2027"


def _csv_queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, {"format": "csv"})
        b"".join(response.streaming_content)
    return len(ctx.captured_queries)


def test_csv_queries_stay_constant_when_data_grows(seed, client):
    paths = ["/kommuner/", "/samverkan/", "/upphandlingar/"]
    assert queries_that_grow(lambda path: _csv_queries(client, path), paths) == {}


# --- OCDS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ocds_validator():
    package_schema = json.loads((OCDS / "release-package-schema.json").read_text())
    release_schema = json.loads((OCDS / "release-schema.json").read_text())
    registry = Registry().with_resource(
        "https://standard.open-contracting.org/schema/1__1__5/release-schema.json",
        Resource.from_contents(release_schema, default_specification=None)
        if "$schema" not in release_schema
        else Resource.from_contents(release_schema),
    )
    return Draft4Validator(package_schema, registry=registry, format_checker=FormatChecker())


def test_ocds_package_validates_against_the_official_schema(seed, client, ocds_validator):
    from agreements.models import PlannedProcurement

    grow(7)  # every status once, identifiers known and unknown
    assert set(PlannedProcurement.objects.values_list("status", flat=True)) == set(
        PlannedProcurement.Status.values
    )
    package = get_json(client, "/api/v1/ocds/releases/")
    errors = sorted(ocds_validator.iter_errors(package), key=str)
    assert [e.message for e in errors] == []
    assert len(package["releases"]) == PlannedProcurement.objects.count()


def test_ocds_single_buyer_is_buyer_and_procuring_entity(seed, client):
    release = get_json(client, "/api/v1/ocds/releases/")["releases"][0]
    assert release["ocid"] == f"ocds-samver-{PROCUREMENT}"
    assert [(p["name"], p["roles"]) for p in release["parties"]] == [
        ("Askersund", ["buyer", "procuringEntity"])
    ]
    assert release["tender"]["procuringEntity"]["id"] == release["parties"][0]["id"]
    assert "budget" not in release["planning"] and "items" not in release["tender"]


def test_ocds_joint_procurement_has_several_buyers_and_one_procuring_entity(seed, client):
    grow(1)
    from agreements.models import PlannedProcurement

    PlannedProcurement.objects.filter(slug="livsmedel-0").update(
        cpv_code="15000000-8", estimated_value=12500, currency="SEK"
    )
    release = get_json(client, "/api/v1/ocds/releases/", {"joint": "1"})["releases"][0]
    roles = {p["name"]: p["roles"] for p in release["parties"]}
    assert roles == {"Testkommun 0": ["buyer", "procuringEntity"], "Askersund": ["buyer"]}
    assert release["planning"]["budget"]["amount"] == {"amount": 12500.0, "currency": "SEK"}
    assert release["tender"]["items"][0]["classification"] == {"scheme": "CPV", "id": "15000000"}


def test_ocds_party_identifier_only_from_an_org_id_guide_scheme(seed, client):
    """SE-ON (org-id.guide) with the organisationsnummer when the registry holds it; no
    identifier otherwise, and no invented scheme anywhere."""
    from agreements.models import Municipality

    release = get_json(client, "/api/v1/ocds/releases/")["releases"][0]
    assert "identifier" not in release["parties"][0]
    askersund = Municipality.objects.get(code="1882")
    askersund.organisation_number = "212000-1884"
    askersund.save()
    package = get_json(client, "/api/v1/ocds/releases/")
    [askersund] = package["releases"][0]["parties"]
    assert askersund["identifier"] == {"scheme": "SE-ON", "id": "212000-1884"}
    assert askersund["id"] == release["parties"][0]["id"]  # the id stays the same
    assert "KOMMUNKOD" not in json.dumps(package)


def _urls(value):
    if isinstance(value, dict):
        return [u for v in value.values() for u in _urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in _urls(v)]
    return [value] if isinstance(value, str) and value.startswith(("http://", "https://")) else []


def test_every_link_in_an_ocds_package_resolves(seed, client, settings):
    from urllib.parse import urlsplit

    grow(5)
    package = get_json(client, "/api/v1/ocds/releases/", {"page_size": 2, "page": 2})
    assert {"next", "prev"} <= set(package["links"])
    links = _urls(package)
    assert package["publicationPolicy"] in links
    for url in links:
        if url == settings.OPEN_DATA_LICENSE_URL:
            continue  # the licence's own address, outside the registry
        parts = urlsplit(url)
        assert url.startswith(settings.REGISTRY_BASE_URL + "/"), url
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        assert client.get(path).status_code == 200, url


def test_publication_policy_documents_the_status_mapping(seed, client):
    package = get_json(client, "/api/v1/ocds/releases/")
    html = " ".join(client.get(package["publicationPolicy"]).content.decode().split())
    for words in [
        "advertised -&gt; active",
        "target (ett mål eller en ambition) -&gt; planning",
        "SE-ON",
    ]:
        assert words in html


STATUS_MAPPING = [
    ("target", "planning", "planning"),
    ("planned", "planned", "planning"),
    ("decided", "planned", "planning"),
    ("advertised", "active", "tender"),
    ("awarded", "complete", "tenderUpdate"),
    ("cancelled", "cancelled", "tenderCancellation"),
]


@pytest.mark.parametrize(("status", "tender_status", "tag"), STATUS_MAPPING)
def test_ocds_tender_status_follows_how_far_the_intent_has_come(
    seed, client, ocds_validator, status, tender_status, tag
):
    from agreements.models import PlannedProcurement

    procurement = PlannedProcurement.objects.get(slug=PROCUREMENT)
    procurement.status = status
    procurement.save()
    package = get_json(client, "/api/v1/ocds/releases/")
    [release] = package["releases"]
    assert (release["tender"]["status"], release["tag"]) == (tender_status, [tag])
    assert release["id"].startswith(f"{release['ocid']}-{tag}-")
    assert list(ocds_validator.iter_errors(package)) == []


# --- Atom ----------------------------------------------------------------------------------


def parse_atom(response):
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    return entries


def test_feed_is_valid_atom_with_every_record(seed, client):
    from agreements.models import Cooperation, PlannedProcurement

    entries = parse_atom(client.get("/flode.atom"))
    assert len(entries) == Cooperation.objects.count() + PlannedProcurement.objects.count()


def test_municipality_feed_has_only_its_records(seed, client):
    entries = parse_atom(client.get("/kommuner/laxa/flode.atom"))
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == ["Avtalssamverkan om upphandling mellan Hallsberg, Laxå och Lekeberg"]


def test_changed_record_comes_first_in_the_feed(seed, client):
    from agreements.models import Party

    party = Party.objects.get(
        municipality__code="1882", cooperation__slug="natverk-upphandlare-sydnarke"
    )
    party.note = party.note + " "
    party.save()
    first = parse_atom(client.get("/flode.atom"))[0]
    assert first.find(f"{ATOM}title").text == "Nätverket mellan upphandlarna i Sydnärke"


def test_feed_tells_a_change_of_level_in_words(seed, client):
    from agreements.models import Party

    party = Party.objects.get(
        municipality__code="1882", cooperation__slug="natverk-upphandlare-sydnarke"
    )
    party.level = Party.Level.INTENT
    party.save()
    summary = parse_atom(client.get("/flode.atom"))[0].find(f"{ATOM}summary").text
    assert "Part ändrad: Askersund (Avsiktsförklaring)" in summary
    assert "”Muntlig ambition, inte bindande” → ”Avsiktsförklaring”" in summary
    assert "Andra kommuner som nämns, inte bundna: Askersund (Avsiktsförklaring)." in summary
    english = parse_atom(client.get("/en/flode.atom"))[0].find(f"{ATOM}summary").text
    assert "Askersund (Letter of intent)" in english


# --- links from pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "twin"),
    [
        ("/samverkan/", "/api/v1/cooperations/"),
        (f"/samverkan/{AGREEMENT}/", f"/api/v1/cooperations/{AGREEMENT}/"),
        ("/kommuner/laxa/", "/api/v1/municipalities/laxa/"),
        ("/upphandlingar/", "/api/v1/procurements/"),
        (f"/upphandlingar/{PROCUREMENT}/", f"/api/v1/procurements/{PROCUREMENT}/"),
        (f"/kallor/{SOURCE}/", f"/api/v1/sources/{SOURCE}/"),
    ],
)
def test_page_links_to_its_machine_readable_twin(seed, client, page, twin):
    html = client.get(page).content.decode()
    assert f'<link rel="alternate" type="application/json" href="{twin}' in html
    assert f'<a href="{twin}' in html


# --- query counts --------------------------------------------------------------------------

# Every cited record costs two queries: its citations' ids, then the citations with the rows
# under them (one query for both was slow at national scale; see facts.cite_records).
API_PAGES = {
    "/api/v1/municipalities/": 4,
    # As of when (the ids of its sources, then the sources), its relations, its claims, its
    # posts, and their citations: building every citation under its procurements cost more.
    "/api/v1/municipalities/hallsberg/": 7,
    "/api/v1/cooperations/": 5,
    "/api/v1/procurements/": 5,
    f"/api/v1/procurements/{PROCUREMENT}/": 4,
    "/api/v1/sources/": 2,
    # +1 per kind of record the page's citations support (the seed's first page cites 12,
    # buyers among them): one query joining all thirteen took PostgreSQL a second to plan
    # (see test_performance.py).
    "/api/v1/citations/": 14,
    "/api/v1/ocds/releases/": 5,
    # +2: the versions and proposals of other cooperations it led to (a study's); +1: the
    # citations of its commitments' posts.
    f"/api/v1/cooperations/{AGREEMENT}/": 13,
}


@pytest.mark.parametrize(("path", "budget"), API_PAGES.items(), ids=API_PAGES.keys())
def test_api_query_budget(seed, client, django_assert_max_num_queries, path, budget):
    with django_assert_max_num_queries(budget + VALIDATOR_QUERIES):
        response = client.get(path)
    # An error answer is cheap: the budget holds only for the answer itself.
    assert response.status_code == 200


def test_api_queries_stay_constant_when_data_grows_tenfold(seed, client):
    paths = [*API_PAGES, "/flode.atom", "/kommuner/askersund/flode.atom"]
    assert queries_that_grow(lambda path: count_queries(client, path), paths) == {}


@pytest.mark.parametrize("path", ["/kommuner/", "/samverkan/", "/upphandlingar/"])
def test_a_format_there_is_none_of_is_refused(seed, client, path):
    response = client.get(path, {"format": "<b>xml</b>"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "format=&lt;b&gt;xml&lt;/b&gt;" in body and "<b>xml" not in body
    assert "format=csv" in body
    assert response["Content-Type"].startswith("text/html")


def test_a_studys_record_lists_the_version_and_the_proposal_it_led_to_as_its_page(seed, client):
    # The study page lists "Utökning (version 2) av Avtalssamverkan …" and "Förslag om
    # Nätverket …"; its API record said nothing of either.
    study = client.get("/api/v1/cooperations/utrett-samarbete-askersund-hallsberg/").json()
    assert [(v["cooperation"], v["sequence"], v["kind"]) for v in study["prompted_versions"]] == [
        (AGREEMENT, 2, "extension")
    ]
    assert [p["cooperation"] for p in study["proposals_made"]] == ["natverk-upphandlare-sydnarke"]
    page = client.get(study["html_url"]).content.decode()
    for row in study["prompted_versions"] + study["proposals_made"]:
        assert f'href="{row["html_url"]}"' in page


def test_a_municipalitys_record_lists_the_posts_it_employs_as_its_page(seed, client):
    record = client.get("/api/v1/municipalities/hallsberg/").json()
    names = [post["name"] for post in record["posts"]]
    assert names == [
        "Ny upphandlare i Hallsberg som ska arbeta mot Lekeberg och Laxå",
        "Upphandlingstjänst som avtalet med Lekeberg omfattade före utökningen",
    ]
    page = client.get(record["html_url"]).content.decode()
    assert all(name in page for name in names)
    old = record["posts"][1]["provenance"]["employer"]
    assert old["status"] == "interpreted"  # the source does not say whose the 0,3 post was
    assert client.get("/api/v1/municipalities/laxa/").json()["posts"] == []
