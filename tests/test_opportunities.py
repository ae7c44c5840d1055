"""The joint-buying finder ("Kan upphandlas gemensamt?", issue 14 §4) on crafted data.

The rule (agreements/opportunities.py): the same CPV category (first five digits), years at
most one apart, other municipalities, both still to be bought, and the same county or both
bound parties of an active cooperation.
"""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import (
    Cooperation,
    County,
    Municipality,
    Party,
    PlannedProcurement,
    ProcurementBuyer,
)

pytestmark = pytest.mark.django_db

FINDER = "/mojligheter/"


@pytest.fixture
def places(db):
    orebro = County.objects.create(code="18", name="Örebro län")
    vastmanland = County.objects.create(code="19", name="Västmanlands län")
    made = {}
    for name, code, county in [
        ("Askersund", "1882", orebro),
        ("Laxå", "1860", orebro),
        ("Hallsberg", "1861", orebro),
        ("Köping", "1983", vastmanland),
        ("Arboga", "1984", vastmanland),
    ]:
        made[name] = Municipality.objects.create(
            name=name, slug=name.lower().replace("å", "a").replace("ö", "o"), code=code,
            county=county,
        )  # fmt: skip
    return made


def buy(places, slug, buyer, cpv="45233000-9", year=2026, status="planned", title=None):
    procurement = PlannedProcurement.objects.create(
        title=title or f"Upphandling {slug}",
        slug=slug,
        status=status,
        cpv_code=cpv,
        procurement_year=year,
    )
    ProcurementBuyer.objects.create(
        procurement=procurement, municipality=places[buyer], is_lead=True
    )
    return procurement


def cooperation(places, slug, members, status="active", level="agreement"):
    coop = Cooperation.objects.create(
        name=f"Samverkan {slug}", slug=slug, form="agreement", status=status
    )
    for name in members:
        Party.objects.create(cooperation=coop, municipality=places[name], level=level)
    return coop


def rows(client, path=FINDER):
    response = client.get(path)
    assert response.status_code == 200
    return [
        (m.procurement.slug, m.other.slug, m.explanation) for m in response.context["page"].matches
    ]


def matched(client, slug):
    """The slugs the procurement page lists under "Kan upphandlas gemensamt?"."""
    response = client.get(f"/upphandlingar/{slug}/")
    assert response.status_code == 200
    return [m.other.slug for m in response.context["matches"]]


# --- what matches --------------------------------------------------------------------------


def test_same_category_same_year_same_county_match_with_the_reasons_in_words(places, client):
    buy(places, "gator-askersund", "Askersund", cpv="45233100-0")
    buy(places, "gator-laxa", "Laxå", cpv="45233000-9")
    assert rows(client) == [
        (
            "gator-askersund",
            "gator-laxa",
            "Samma CPV-kategori 45233 · båda 2026 · båda i Örebro län",
        )
    ]


def test_an_adjacent_year_matches_and_says_each_year(places, client):
    buy(places, "gator-askersund", "Askersund", year=2026)
    buy(places, "gator-laxa", "Laxå", year=2027)
    assert rows(client) == [
        (
            "gator-askersund",
            "gator-laxa",
            "Samma CPV-kategori 45233 · Askersund planerad 2026, Laxå planerad 2027 · "
            "båda i Örebro län",
        )
    ]


def test_a_shared_cooperation_matches_across_counties(places, client):
    cooperation(places, "gransamverkan", ["Askersund", "Köping"])
    buy(places, "gator-askersund", "Askersund")
    buy(places, "gator-koping", "Köping")
    [(_p, _q, why)] = rows(client)
    assert why == "Samma CPV-kategori 45233 · båda 2026 · båda parter i Samverkan gransamverkan"


def test_a_target_is_called_a_target_not_a_plan(places, client):
    buy(places, "gator-askersund", "Askersund", status="target")
    buy(places, "gator-laxa", "Laxå")
    [(_p, _q, why)] = rows(client)
    assert "Askersund mål för 2026, Laxå planerad 2026" in why
    assert "båda 2026" not in why


def test_each_pair_is_listed_once(places, client):
    buy(places, "a", "Askersund")
    buy(places, "b", "Laxå")
    buy(places, "c", "Hallsberg")
    pairs = [frozenset(row[:2]) for row in rows(client)]
    assert sorted(map(sorted, pairs)) == [["a", "b"], ["a", "c"], ["b", "c"]]


# --- what does not -------------------------------------------------------------------------


def test_a_different_category_does_not_match(places, client):
    buy(places, "gator", "Askersund", cpv="45233000-9")
    buy(places, "bygg", "Laxå", cpv="45000000-7")  # the division 45, not category 45233
    assert rows(client) == []
    assert matched(client, "gator") == []


def test_years_two_apart_do_not_match(places, client):
    buy(places, "gator-2026", "Askersund", year=2026)
    buy(places, "gator-2028", "Laxå", year=2028)
    assert rows(client) == []


def test_another_county_without_a_cooperation_does_not_match(places, client):
    buy(places, "gator-askersund", "Askersund")
    buy(places, "gator-koping", "Köping")
    assert rows(client) == []


@pytest.mark.parametrize(
    "status, level", [("active", "ambition"), ("active", "mentioned"), ("ended", "agreement")]
)
def test_an_ambition_a_mention_or_an_ended_cooperation_is_no_shared_cooperation(
    places, client, status, level
):
    cooperation(places, "natverk", ["Askersund", "Köping"], status=status, level=level)
    buy(places, "gator-askersund", "Askersund")
    buy(places, "gator-koping", "Köping")
    assert rows(client) == []


def test_the_same_municipality_is_no_partner_for_itself(places, client):
    buy(places, "gator-1", "Askersund")
    buy(places, "gator-2", "Askersund")
    assert rows(client) == []


@pytest.mark.parametrize("status", ["cancelled", "awarded"])
def test_a_cancelled_or_awarded_procurement_is_not_matched(places, client, status):
    buy(places, "gator-askersund", "Askersund", status=status)
    buy(places, "gator-laxa", "Laxå")
    assert rows(client) == []
    assert matched(client, "gator-laxa") == []


# --- the procurement page ------------------------------------------------------------------


def test_the_procurement_page_lists_matches_strongest_first_with_links(places, client):
    buy(places, "gator-askersund", "Askersund", year=2026)
    buy(places, "gator-laxa-2027", "Laxå", year=2027, title="Gator i Laxå 2027")
    buy(places, "gator-hallsberg-2026", "Hallsberg", year=2026)
    assert matched(client, "gator-askersund") == ["gator-hallsberg-2026", "gator-laxa-2027"]
    page = client.get("/upphandlingar/gator-askersund/").content.decode()
    assert "Kan upphandlas gemensamt?" in page
    assert '<a href="/upphandlingar/gator-laxa-2027/">Gator i Laxå 2027</a>' in page


def test_the_procurement_page_says_when_there_is_no_match(places, client):
    buy(places, "gator-askersund", "Askersund")
    page = client.get("/upphandlingar/gator-askersund/").content.decode()
    assert "Ingen annan kommun i samma län eller samma samverkan har en upphandling" in page


def test_the_procurement_page_says_a_procurement_without_cpv_code_cannot_be_matched(places, client):
    buy(places, "utan-kod", "Askersund", cpv="")
    buy(places, "gator-laxa", "Laxå")
    page = client.get("/upphandlingar/utan-kod/").content.decode()
    assert "Den kan inte matchas: registret saknar en CPV-kod för den." in page


def test_the_seed_procurement_has_no_cpv_code_so_no_match(seed, client):
    page = client.get("/upphandlingar/askersund-verksamheter-pa-entreprenad/").content.decode()
    assert "Den kan inte matchas: registret saknar en CPV-kod för den." in page
    listing = client.get(FINDER).content.decode()
    assert "Inga matchningar ännu" in listing


def test_the_english_page_explains_in_english(places, client):
    buy(places, "gator-askersund", "Askersund", status="target")
    buy(places, "gator-laxa", "Laxå")
    page = client.get("/en" + FINDER).content.decode()
    assert "Same CPV category 45233 · Askersund target for 2026, Laxå planned 2026 · " in page
    assert "both in Örebro län" in page


def intro_and_description(client, path):
    page = client.get(path).content.decode()
    intro = page.split("<h1>", 1)[1].split("</p>", 1)[0]
    description = page.split('<meta name="description" content="', 1)[1].split('"', 1)[0]
    return intro, description


def test_the_intro_claims_targets_as_well_as_plans_not_only_plans(places, client):
    # The list shows targets ("målbild eller ambition") too: "planerar" would claim more.
    for text in intro_and_description(client, FINDER):
        assert "planerar" not in text
        assert "har kvar att göra" in text
        assert "som mål, plan, beslut eller annonserad upphandling" in text


def test_the_english_intro_claims_targets_as_well_as_plans(places, client):
    for text in intro_and_description(client, "/en" + FINDER):
        assert " plans " not in text
        assert "as a target, a plan, a decision or an advertised tender" in text


# --- filters, errors, CSV and API ------------------------------------------------------------


@pytest.fixture
def spread(places):
    cooperation(places, "gransamverkan", ["Laxå", "Köping"])
    buy(places, "gator-askersund", "Askersund", year=2026)
    buy(places, "gator-laxa", "Laxå", year=2027)
    buy(places, "gator-koping", "Köping", year=2027)
    buy(places, "gator-arboga", "Arboga", year=2028)
    buy(places, "skola-askersund", "Askersund", cpv="80100000-5", year=2030)
    buy(places, "skola-hallsberg", "Hallsberg", cpv="80100000-5", year=2030)


def pairs_of(client, path):
    return [frozenset(row[:2]) for row in rows(client, path)]


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("county", "19", {("gator-koping", "gator-arboga"), ("gator-laxa", "gator-koping")}),
        ("year", "2026", {("gator-askersund", "gator-laxa")}),
        ("cpv", "801", {("skola-askersund", "skola-hallsberg")}),
    ],
)
def test_the_filter_form_narrows_the_list(spread, client, django_app, field, value, expected):
    form = django_app.get(FINDER).forms[0]
    form[field] = value
    page = form.submit()
    assert page.status_code == 200
    assert set(pairs_of(client, page.request.path_qs)) == {frozenset(p) for p in expected}


def test_an_unknown_parameter_is_refused(spread, client):
    assert client.get(FINDER + "?lan=18").status_code == 400
    response = client.get("/api/v1/opportunities/?lan=18")
    assert response.status_code == 400
    assert "lan" in response.json()["error"]["details"]


def test_a_bad_cpv_value_is_explained_in_swedish(spread, django_app):
    form = django_app.get(FINDER).forms[0]
    form["cpv"] = "<b>45x"
    page = form.submit(status=400)
    assert "Ange två till fem siffror från början av en CPV-kod, t.ex. 45233." in page.text
    assert "<b>45x" not in page.text


def csv_header(client, path):
    body = b"".join(client.get(path).streaming_content).decode("utf-8-sig")
    return next(csv.reader(io.StringIO(body), delimiter=";"))


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_every_csv_column_has_a_name_of_its_own(spread, client, prefix):
    header = csv_header(client, prefix + FINDER + "?format=csv")
    assert len(header) == len(set(header)), header


def test_the_csv_names_each_sides_columns_for_its_side(spread, client):
    header = csv_header(client, FINDER + "?format=csv")
    assert header[1:13] == [
        "Upphandling",
        "Kommun",
        "Upphandlingens status",
        "Upphandlingens år",
        "Upphandlingens CPV-kod",
        "Upphandlingens webbadress",
        "Annan kommuns upphandling",
        "Annan kommun",
        "Den andra upphandlingens status",
        "Den andra upphandlingens år",
        "Den andra upphandlingens CPV-kod",
        "Den andra upphandlingens webbadress",
    ]


def test_a_too_long_cpv_value_gives_one_clear_message(spread, django_app, client):
    form = django_app.get(FINDER).forms[0]
    form["cpv"] = "773140"
    page = form.submit(status=400)
    message = "Ange två till fem siffror från början av en CPV-kod, t.ex. 45233."
    summary = page.html.find(class_="error-summary").find_all("li")
    assert [li.get_text() for li in summary] == [f"CPV-kategori börjar med: {message}"]
    assert page.html.find(class_="field-error").get_text() == message
    response = client.get("/api/v1/opportunities/?cpv=773140")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["cpv"] == [
        "Ange två till fem siffror från början av en CPV-kod, t.ex. 45233."
    ]


@pytest.mark.parametrize(
    "value, message",
    [
        ("0", "Ange ett heltal från 1 till 500."),
        ("501", "Ange ett heltal från 1 till 500."),
        ("abc", "Ange ett heltal."),
    ],
)
def test_a_bad_api_page_size_is_answered_as_on_the_other_lists(spread, client, value, message):
    finder = client.get("/api/v1/opportunities/", {"page_size": value})
    other = client.get("/api/v1/procurements/", {"page_size": value})
    assert finder.status_code == other.status_code == 400
    assert finder.json()["error"]["details"] == {"page_size": [message]}
    assert other.json()["error"]["details"] == {"page_size": [message]}


def test_the_csv_has_the_pages_rows(spread, client):
    page = rows(client)
    body = b"".join(client.get(FINDER + "?format=csv").streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert table[0][0] == "CPV-kategori"
    why = table[0].index("Varför")
    assert [row[why] for row in table[1:]] == [explanation for _p, _q, explanation in page]


def test_the_api_has_the_pages_rows(spread, client):
    page = rows(client, FINDER + "?county=19")
    api = client.get("/api/v1/opportunities/?county=19").json()
    assert [
        (r["procurement"]["procurement"], r["other"]["procurement"], r["explanation"])
        for r in api["results"]
    ] == page


def test_the_csv_is_safe_from_formulas(places, client):
    buy(places, "a", "Askersund", title="=HYPERLINK(1)")
    buy(places, "b", "Laxå")
    body = b"".join(client.get(FINDER + "?format=csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body


def test_the_list_pages_on(places, client):
    for i in range(14):
        buy(places, f"a-{i:02d}", "Askersund")
        buy(places, f"l-{i:02d}", "Laxå")
    first = client.get(FINDER)
    assert 'rel="next"' in first.content.decode()
    second = rows(client, FINDER + "?page=2")
    assert second and set(second).isdisjoint(rows(client))
    assert client.get(FINDER + "?page=999").status_code == 404
    assert client.get(FINDER + "?page=45529331213187279749120").status_code == 404
    assert client.get("/api/v1/opportunities/?page=45529331213187279749120").status_code == 404


def test_the_page_takes_at_most_ten_queries_however_many_procurements(places, client):
    names = list(places)
    for i in range(300):
        buy(places, f"p-{i:03d}", names[i % 5], year=2025 + i % 4, cpv=f"4523{i % 3}000-0"[:8])

    def queries(path):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    for path in [FINDER, FINDER + "?county=18&year=2026&cpv=4523", "/upphandlingar/p-001/"]:
        assert queries(path) <= 10, path


@pytest.mark.parametrize(
    "filters",
    [{}, {"county": "19"}, {"county": "18"}, {"year": "2026"}, {"year": "2027"},
     {"year": "2029"}, {"cpv": "452"}, {"cpv": "801", "county": "18"}],
)  # fmt: skip
def test_a_followed_finder_holds_the_procurements_on_either_side_of_its_rows(
    spread, client, filters
):
    from agreements.alerts import LISTS

    query = "&".join(f"{name}={value}" for name, value in sorted(filters.items()))
    shown = {slug for pair in pairs_of(client, f"{FINDER}?{query}") for slug in pair}
    members = PlannedProcurement.objects.filter(pk__in=LISTS["mojligheter"].members(query))
    assert set(members.values_list("slug", flat=True)) == shown


@pytest.mark.parametrize("chunk", [1, 2, 3, 50])
def test_the_csv_walks_the_whole_list_in_rounds_without_losing_or_repeating_a_row(
    places, spread, chunk
):
    from agreements import opportunities

    # A joint procurement (two buyers, so two sides with one id) with several partners.
    joint = buy(places, "gator-gemensam", "Hallsberg", year=2027)
    ProcurementBuyer.objects.create(procurement=joint, municipality=places["Askersund"])
    buy(places, "gator-hallsberg", "Hallsberg", year=2026)

    def told(matches):
        return [(m.procurement.slug, m.municipality.name, m.other.slug, m.other_municipality.name)
                for m in matches]  # fmt: skip

    whole = told(opportunities.listing(page=1, per_page=1000).matches)
    assert len(whole) > 3 * chunk or chunk == 50
    assert told(opportunities.all_matches(chunk=chunk)) == whole
