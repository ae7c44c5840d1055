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

from .conftest import count_queries
from .growth import grow

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
    "/api/v1/municipalities/": 4,
    "/api/v1/cooperations/": 3,
    "/api/v1/procurements/": 1,
    "/api/v1/sources/": 1,
    "/api/v1/citations/": 38,
}


@pytest.mark.parametrize(("url", "count"), LISTS.items(), ids=LISTS.keys())
def test_list_endpoint_answers_with_pagination(seed, client, url, count):
    data = get_json(client, url)
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
    lekeberg = [c for c in data["staffing_history"] if c["financer"]["code"] == "1814"]
    assert [(c["fte"], c["sequence"], c["supersedes"], c["is_current"]) for c in lekeberg] == [
        ("0.30", 1, None, False),
        ("0.50", 2, 1, True),
    ]


def test_municipality_has_stable_identifiers_and_exact_decimals(seed, client):
    data = get_json(client, "/api/v1/municipalities/lekeberg/")
    assert (data["code"], data["slug"]) == ("1814", "lekeberg")
    assert data["current_financed_fte"] == "0.50"
    assert data["county"] == {"code": "18", "name": "Örebro län"}


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
    ("/api/v1/cooperations/", {"page": "-1"}, 404, None),
    ("/api/v1/cooperations/finns-inte/", {}, 404, None),
    ("/api/v1/finns-inte/", {}, 404, None),
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
        "/api/v1/ocds/releases/",
    }  # fmt: skip
    assert set(schema["paths"]) == expected
    cooperation_params = {
        p["name"] for p in schema["paths"]["/api/v1/cooperations/"]["get"]["parameters"]
    }
    assert {"municipality", "form", "legally_binding", "status", "host", "q", "page"} <= (
        cooperation_params
    )


def test_api_page_lists_every_endpoint(seed, client):
    html = client.get("/oppna-data/").content.decode()
    for path in ["/api/v1/cooperations/{slug}/", "/api/v1/ocds/releases/", "legally_binding"]:
        assert path in html


# --- CSV -----------------------------------------------------------------------------------


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    dialect = csv.Sniffer().sniff(body[1:500], delimiters=";,")
    return list(csv.reader(io.StringIO(body[1:]), dialect))


def test_csv_opens_in_swedish_excel_with_swedish_characters(seed, client):
    rows = read_csv(client.get("/kommuner/", {"format": "csv"}))
    assert rows[0][:5] == ["Kommun", "Kommunkod", "Län", "Samverkan",
                           "Finansierar nu (heltidstjänster)"]  # fmt: skip
    laxa = next(r for r in rows if r[0] == "Laxå")
    assert laxa[1:5] == ["1860", "Örebro län", "1", "0,5"]


def test_csv_is_filtered_like_the_page(seed, client):
    rows = read_csv(client.get("/samverkan/", {"format": "csv", "municipality": "askersund"}))
    assert [r[0] for r in rows[1:]] == [
        "Nätverket mellan upphandlarna i Sydnärke",
        "Utrett samarbete om upphandling och inköp mellan Askersund och Hallsberg",
    ]


def test_csv_contains_every_row_not_one_page(seed, client):
    grow(30)
    rows = read_csv(client.get("/upphandlingar/", {"format": "csv"}))
    assert len(rows) == 1 + 31


def test_english_csv_uses_commas_and_decimal_points(seed, client):
    response = client.get("/en/kommuner/", {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Municipality,Municipality code,County")
    assert "Laxå,1860,Örebro län,1,0.5," in body


def test_procurement_csv_has_buyers_and_years(seed, client):
    rows = read_csv(client.get("/upphandlingar/", {"format": "csv"}))
    header, row = rows[0], rows[1]
    record = dict(zip(header, row, strict=True))
    assert record["Köpare"] == "Askersund" and record["Upphandlingsår"] == "2026"
    assert record["Avtalsstart (år)"] == "2027" and record["Gemensam upphandling"] == "Nej"


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
    grow(2)
    package = get_json(client, "/api/v1/ocds/releases/")
    errors = sorted(ocds_validator.iter_errors(package), key=str)
    assert [e.message for e in errors] == []
    assert len(package["releases"]) == 3


def test_ocds_single_buyer_is_buyer_and_procuring_entity(seed, client):
    release = get_json(client, "/api/v1/ocds/releases/")["releases"][0]
    assert release["ocid"] == f"ocds-samver-{PROCUREMENT}"
    assert release["tag"] == ["planning"]
    assert [(p["name"], p["roles"]) for p in release["parties"]] == [
        ("Askersund", ["buyer", "procuringEntity"])
    ]
    assert release["tender"]["procuringEntity"]["id"] == "SE-KOMMUNKOD-1882"
    assert "budget" not in release["planning"] and "items" not in release["tender"]
    assert "Upphandlas 2026. Avtalsstart 2027." in release["planning"]["rationale"]


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
    entries = parse_atom(client.get("/flode.atom"))
    assert len(entries) == 4


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

API_PAGES = {
    "/api/v1/municipalities/": 2,
    "/api/v1/cooperations/": 3,
    "/api/v1/procurements/": 3,
    "/api/v1/sources/": 2,
    "/api/v1/citations/": 2,
    "/api/v1/ocds/releases/": 3,
    f"/api/v1/cooperations/{AGREEMENT}/": 7,
}


@pytest.mark.parametrize(("path", "budget"), API_PAGES.items(), ids=API_PAGES.keys())
def test_api_query_budget(seed, client, django_assert_max_num_queries, path, budget):
    with django_assert_max_num_queries(budget):
        client.get(path)


@pytest.mark.parametrize("path", API_PAGES, ids=API_PAGES.keys())
def test_api_queries_stay_constant_when_data_grows_tenfold(seed, client, path):
    grow(4)
    before = count_queries(client, path)
    grow(36)
    assert count_queries(client, path) == before
