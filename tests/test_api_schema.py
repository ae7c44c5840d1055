"""The OpenAPI document says what the API accepts and answers: the filters' own bounds and
choices, the pagination rules and the error format, checked against what the API does."""

import pytest
from jsonschema import Draft4Validator

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
LISTS = ["/api/v1/cooperations/", "/api/v1/procurements/", "/api/v1/municipalities/",
         "/api/v1/sources/", "/api/v1/citations/"]  # fmt: skip


@pytest.fixture
def document(db, client):
    return client.get("/api/v1/schema/").json()


def parameter(document, path, name):
    return next(p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name)


def error_validator(document):
    return Draft4Validator(document["components"]["schemas"]["Error"])


def test_every_operation_documents_its_errors_in_the_error_format(document):
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for status in ("400", "404", "405", "406"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (path, status)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/cooperations/?legally_binding=2", 400),
        ("/api/v1/procurements/?procurement_year=1899", 400),
        ("/api/v1/cooperations/finns-inte/", 404),
        ("/api/v1/procurements/?page=999", 404),
    ],
)
def test_errors_answered_are_the_documented_format(seed, client, document, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert not list(error_validator(document).iter_errors(response.json()))


def test_yes_no_filters_are_documented_as_the_values_they_accept(seed, client, document):
    schema = parameter(document, "/api/v1/cooperations/", "legally_binding")["schema"]
    assert schema["type"] == "string" and sorted(schema["enum"]) == ["0", "1"]
    for value in schema["enum"]:
        assert client.get(f"/api/v1/cooperations/?legally_binding={value}").status_code == 200
    assert client.get("/api/v1/cooperations/?legally_binding=true").status_code == 400


def test_year_filters_are_documented_with_their_bounds(seed, client, document):
    schema = parameter(document, "/api/v1/procurements/", "procurement_year")["schema"]
    assert schema["type"] == "integer"
    low, high = schema["minimum"], schema["maximum"]
    for year, status in [(low, 200), (high, 200), (low - 1, 400), (high + 1, 400)]:
        response = client.get(f"/api/v1/procurements/?procurement_year={year}")
        assert response.status_code == status, year


def test_cpv_filter_is_documented_with_its_pattern(seed, client, document):
    schema = parameter(document, "/api/v1/procurements/", "cpv")["schema"]
    assert schema["pattern"] == r"^[0-9]{2,8}(-[0-9])?$"
    assert client.get("/api/v1/procurements/?cpv=7731").status_code == 200
    assert client.get("/api/v1/procurements/?cpv=77x").status_code == 400


@pytest.mark.parametrize("path", LISTS)
def test_pagination_parameters_are_documented_with_their_bounds(document, path):
    assert parameter(document, path, "page")["schema"] == {"type": "integer", "minimum": 1}
    assert parameter(document, path, "page_size")["schema"] == {
        "type": "integer", "minimum": 1, "maximum": 500,
    }  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [
        "page=1&page=2",
        "page_size=10&page_size=20",
        "page=abc",
        "page=0",
        "page_size=0",
        "page_size=501",
        "page_size=1.5",
        "page=%D9%A3",
    ],
)
def test_malformed_or_repeated_pagination_is_refused(seed, client, document, query):
    response = client.get(f"/api/v1/cooperations/?{query}")
    assert response.status_code == 400
    assert not list(error_validator(document).iter_errors(response.json()))


def test_pagination_within_bounds_is_answered(seed, client):
    for query in ["page=1", "page_size=1", "page_size=500", "page=1&page_size=2"]:
        assert client.get(f"/api/v1/cooperations/?{query}").status_code == 200, query


def test_an_unknown_publication_address_is_null_not_an_empty_string(seed, client, document):
    schema = document["components"]["schemas"]["Source"]["properties"]["published_at"]
    assert schema.get("nullable") is True and schema["format"] == "uri"
    for source in client.get("/api/v1/sources/").json()["results"]:
        assert source["published_at"] is None or source["published_at"].startswith("http")


def test_municipality_and_county_filters_list_what_the_database_holds(seed, client, document):
    from agreements.models import County, Municipality

    slugs = sorted(Municipality.objects.values_list("slug", flat=True))
    for name in ("municipality", "host"):
        assert parameter(document, "/api/v1/cooperations/", name)["schema"]["enum"] == slugs
    codes = sorted(County.objects.values_list("code", flat=True))
    assert parameter(document, "/api/v1/municipalities/", "county")["schema"]["enum"] == codes
    for slug in slugs:
        assert client.get(f"/api/v1/cooperations/?municipality={slug}").status_code == 200
    assert client.get("/api/v1/cooperations/?municipality=finns-inte").status_code == 400


def test_a_new_municipality_is_in_the_document_at_once(seed, client):
    from agreements.models import County, Municipality

    Municipality.objects.create(
        name="Testkommun", slug="testkommun", code="9999", county=County.objects.first()
    )
    document = client.get("/api/v1/schema/").json()
    assert (
        "testkommun"
        in parameter(document, "/api/v1/procurements/", "municipality")["schema"]["enum"]
    )


@pytest.mark.parametrize(
    "query", ["q=", "municipality=", "lang=", "page=", "source=", "o=", "o=name,", "o=,"]
)
def test_an_empty_value_is_refused_and_the_document_says_so(seed, client, document, query):
    path = "/api/v1/citations/" if query.startswith("source") else "/api/v1/municipalities/"
    if query.startswith(("q=", "municipality=")):
        path = "/api/v1/cooperations/"
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400, query
    name = query.split("=")[0]
    assert name in response.json()["error"]["details"]
    schema = parameter(document, path, name)["schema"]
    assert (
        schema.get("minLength") == 1
        or "enum" in schema
        or schema.get("minItems") == 1
        or (schema.get("type") == "integer")
    )


def test_the_api_link_on_a_filtered_page_leaves_empty_fields_out(seed, client):
    page = client.get("/samverkan/?q=&municipality=hallsberg&status=")
    api_url = page.context["api_url"]
    assert api_url == "/api/v1/cooperations/?municipality=hallsberg"
    assert client.get(api_url).status_code == 200


@pytest.mark.parametrize("query", ["status=ended&status=active", "lang=en&lang=sv", "q=a&q=b"])
def test_a_parameter_given_twice_is_refused(seed, client, query):
    response = client.get(f"/api/v1/cooperations/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]["details"]


def test_the_ocds_package_documents_the_filters_it_takes(seed, client, document):
    operation = document["paths"]["/api/v1/ocds/releases/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"municipality", "status", "procurement_year", "page", "page_size"} <= names
    assert client.get("/api/v1/ocds/releases/?status=planned").status_code == 200
    assert client.get("/api/v1/ocds/releases/?status=nope").status_code == 400


def test_links_lead_from_lists_to_records_only_where_one_field_addresses_them(document):
    linked = {
        path
        for path, operations in document["paths"].items()
        if operations["get"]["responses"]["200"].get("links")
    }
    assert linked == {
        "/api/v1/municipalities/", "/api/v1/cooperations/", "/api/v1/procurements/",
        "/api/v1/sources/",
    }  # fmt: skip


def test_an_unknown_record_is_not_found_in_the_asked_language(seed, client):
    swedish = client.get("/api/v1/municipalities/finns-inte/").json()["error"]["message"]
    english = client.get("/api/v1/municipalities/finns-inte/?lang=en").json()["error"]["message"]
    assert (swedish, english) == ("Hittades inte.", "Not found.")


@pytest.mark.parametrize("path", ["/api/v1/procurements/", "/api/v1/cooperations/"])
def test_a_format_other_than_json_is_refused_not_answered_in_json(seed, client, document, path):
    assert client.get(f"{path}?format=json").status_code == 200
    response = client.get(f"{path}?format=xml")
    assert response.status_code == 400
    assert not list(error_validator(document).iter_errors(response.json()))
    assert response.json()["error"]["details"]["format"] == [
        "Okänt format. API:t svarar bara i JSON: format=json."
    ]


def test_a_negative_page_is_told_the_bounds_not_that_it_is_no_number(seed, client):
    response = client.get("/api/v1/cooperations/?page=-1")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["page"] == ["Ange ett heltal från 1."]
