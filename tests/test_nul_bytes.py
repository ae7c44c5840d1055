"""A NUL byte in an address is refused with a 400 in the right format, never a 500.

PostgreSQL text cannot hold NUL: any lookup with one raises DataError. These run on both
databases; on PostgreSQL (DATABASE_URL=postgres://...) they are what found the faults.
"""

import json

import pytest
from bs4 import BeautifulSoup

PUBLIC = [
    "/%00",
    "/kommuner/%00/",
    "/kommuner/laxa%00/",
    "/kommuner/%00/flode.atom",
    "/samverkan/%00/",
    "/samverkan/%00/andringar/",
    "/upphandlingar/%00/",
    "/upphandlingar/%00/andringar/",
    "/kallor/%00/",
    "/kallor/%00/original/",
    "/sitemap-%00.xml",
    "/kommuner/?q=%00",
    "/kommuner/?county=%00",
    "/kommuner/?%00=1",
    "/samverkan/?q=%00",
    "/samverkan/?municipality=%00",
    "/samverkan/?status=%00",
    "/samverkan/?page=%00",
    "/samverkan/?format=%00",
    "/upphandlingar/?q=%00",
    "/upphandlingar/?cpv=%00",
    "/upphandlingar/?q=%00&format=csv",
    "/kallor/?q=%00",
    "/en/samverkan/?q=%00",
    "/en/kommuner/%00/",
]

API = [
    "/api/v1/cooperations/%00/",
    "/api/v1/municipalities/%00/",
    "/api/v1/procurements/%00/",
    "/api/v1/sources/%00/",
    "/api/v1/citations/a%00.b/",
    "/api/v1/cooperations/?q=%00",
    "/api/v1/cooperations/?municipality=%00",
    "/api/v1/procurements/?cpv=%00",
    "/api/v1/citations/?source=%00",
    "/api/v1/municipalities/?lang=%00",
    "/api/v1/ocds/releases/?q=%00",
    "/api/v1/%00/",
]

ADMIN = [
    "/admin/agreements/county/?q=%00",
    "/admin/agreements/municipality/?q=%00",
    "/admin/agreements/municipality/?county__id__exact=%00",
    "/admin/agreements/cooperation/?q=%00",
    "/admin/agreements/cooperation/?status__exact=%00",
    "/admin/agreements/plannedprocurement/?q=%00",
    "/admin/agreements/sourcedocument/?q=%00",
    "/admin/agreements/sourcedocument/?issuing_municipality__id__exact=%00",
    "/admin/agreements/citation/?q=%00",
    "/admin/autocomplete/?term=%00&app_label=agreements&model_name=party&field_name=municipality",
    "/admin/autocomplete/?term=lax%00&app_label=agreements&model_name=citation&field_name=source",
    "/admin/agreements/cooperation/%00/change/",
    "/admin/agreements/cooperation/%00/history/",
    "/admin/auth/user/?q=%00",
    "/admin/axes/accessattempt/?q=%00",
]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_addresses_with_nul_are_refused_in_the_pages_language(seed, client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    assert response["Content-Type"].startswith("text/html")
    html = BeautifulSoup(response.content, "html.parser")
    english = url.startswith("/en/")
    assert html.html["lang"] == ("en" if english else "sv")
    expected = "is not allowed (NUL)" if english else "inte är tillåtet (NUL)"
    assert expected in html.find("main").get_text(), url


@pytest.mark.parametrize("url", API)
def test_api_addresses_with_nul_get_the_apis_json_error(seed, client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert error["status"] == 400
    assert "NUL" in error["message"]


@pytest.mark.parametrize("url", ADMIN)
def test_admin_addresses_with_nul_are_refused(seed, client, django_user_model, url):
    client.force_login(django_user_model.objects.create_superuser("chef", "c@example.se", "x"))
    response = client.get(url)
    assert response.status_code == 400, url


def test_typed_nul_is_shown_nowhere(seed, client):
    # Nothing the visitor typed is echoed: neither the byte nor the markup around it.
    response = client.get("/samverkan/", {"q": "<script>alert(1)</script>\x00"})
    assert response.status_code == 400
    assert b"<script>alert(1)" not in response.content
    assert b"\x00" not in response.content


def test_the_apis_refusal_speaks_the_requested_language(seed, client):
    response = client.get("/api/v1/cooperations/%00/", {"lang": "en"})
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["message"] == (
        "The address contains a character that is not allowed (NUL)."
    )


def test_nul_typed_into_the_login_form_is_a_form_error(seed, admin_app, personas):
    form = admin_app.get("/admin/login/").forms["login-form"]
    form["username"] = "laxa\x00"
    form["password"] = "fel"
    response = form.submit(status="*")
    assert response.status_code == 200
    assert response.html.select(".errornote, .errorlist")


def test_nul_typed_into_an_admin_form_is_a_form_error(seed, admin_app, personas):
    from agreements.models import County
    from tests.admin_forms import change_url, refusals, save_form

    county = County.objects.order_by("pk").first()
    form = save_form(admin_app.get(change_url(county), user=personas["registry"]))
    form["name"] = "Örebro\x00 län"
    response = form.submit(status="*")
    assert response.status_code == 200
    assert refusals(response)
    county.refresh_from_db()
    assert "\x00" not in county.name
