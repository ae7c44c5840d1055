"""The joint-buying finder reads two derived tables (agreements.models.FinderSide and
FinderLink, kept by agreements/opportunities.py). Whatever path a change takes (an admin form,
an inline row, a delete, a fixture load, two editors at once), the procurement pages show the
matches the rule gives, and the kept rows are exactly those a rebuild from the records writes.
"""

import datetime

import pytest
from django.utils import timezone

from agreements import opportunities
from agreements.models import (
    Cooperation,
    County,
    FinderLink,
    FinderSide,
    Municipality,
    Party,
    PlannedProcurement,
    ProcurementBuyer,
)

from .admin_forms import blank_row, change_url, pick, refusals, save_form
from .concurrency import postgresql_only, race

pytestmark = pytest.mark.django_db


def kept():
    sides = FinderSide.objects.values_list(
        "procurement__slug", "municipality__code", "county__code", "category", "code", "year"
    )
    links = FinderLink.objects.values_list(
        "municipality__code", "other_municipality__code", "cooperation__slug", "until"
    )
    return sorted(sides), sorted(links)


def assert_as_a_rebuild_writes():
    before = kept()
    opportunities.rebuild()
    assert kept() == before


def muni(code):
    return Municipality.objects.get(code=code)


@pytest.fixture
def koping(seed):
    vastmanland = County.objects.create(code="19", name="Västmanlands län")
    return Municipality.objects.create(
        name="Köping", slug="koping", code="1983", county=vastmanland
    )


def buy(slug, *buyers, year=2027, cpv="45233000-9"):
    procurement = PlannedProcurement.objects.create(
        title=f"Upphandling {slug}", slug=slug, status="planned", cpv_code=cpv,
        procurement_year=year,
    )  # fmt: skip
    for i, buyer in enumerate(buyers):
        ProcurementBuyer.objects.create(procurement=procurement, municipality=buyer, is_lead=not i)
    return procurement


def partners(client, procurement):
    """What the procurement's page lists under "Kan upphandlas gemensamt?"."""
    response = client.get(procurement.get_absolute_url())
    assert response.status_code == 200
    return [(m.other.slug, m.other_municipality.name) for m in response.context["matches"]]


def submit(form):
    response = form.submit("_save")
    assert response.status_code == 302, refusals(response)
    return response


def test_an_award_saved_in_the_admin_takes_the_procurement_out_of_the_finder(
    personas, admin_app, client
):
    askersund = buy("gator-askersund", muni("1882"))
    laxa = buy("gator-laxa", muni("1860"))
    assert partners(client, askersund) == [("gator-laxa", "Laxå")]

    form = save_form(admin_app.get(change_url(laxa), user=personas["registry"]))
    form["status"] = "awarded"
    submit(form)

    assert partners(client, askersund) == []
    assert_as_a_rebuild_writes()


def test_a_buyer_added_in_the_admin_inline_is_matched_at_once(personas, admin_app, client, koping):
    askersund = buy("gator-askersund", muni("1882"))
    joint = buy("gator-koping", koping)
    assert partners(client, askersund) == []  # another county, no shared cooperation

    form = save_form(admin_app.get(change_url(joint), user=personas["registry"]))
    blank = blank_row(form, "buyers")
    pick(form, f"buyers-{blank}-municipality", muni("1860"))
    submit(form)

    assert partners(client, askersund) == [("gator-koping", "Laxå")]
    assert_as_a_rebuild_writes()


def test_a_municipality_corrected_to_its_county_in_the_admin_is_matched_there(
    personas, admin_app, client
):
    # Nora entered by mistake in Västmanland (code 1984); the editor corrects it.
    vastmanland = County.objects.create(code="19", name="Västmanlands län")
    nora = Municipality.objects.create(name="Nora", slug="nora", code="1984", county=vastmanland)
    askersund = buy("gator-askersund", muni("1882"))
    buy("gator-nora", nora)
    assert partners(client, askersund) == []

    form = save_form(admin_app.get(change_url(nora), user=personas["superuser"]))
    pick(form, "county", County.objects.get(code="18"))
    form["code"] = "1884"
    submit(form)

    assert partners(client, askersund) == [("gator-nora", "Nora")]
    assert_as_a_rebuild_writes()


def test_a_cooperation_ended_in_the_admin_no_longer_links_its_parties(
    personas, admin_app, client, koping
):
    cooperation = Cooperation.objects.create(
        name="Gemensam gatudrift", slug="gatudrift", form="agreement", status="active"
    )
    for municipality in (muni("1882"), koping):
        Party.objects.create(cooperation=cooperation, municipality=municipality, level="agreement")
    askersund = buy("gator-askersund", muni("1882"))
    buy("gator-koping", koping)
    assert partners(client, askersund) == [("gator-koping", "Köping")]

    form = save_form(admin_app.get(change_url(cooperation), user=personas["registry"]))
    form["status"] = "ended"
    submit(form)

    assert partners(client, askersund) == []
    assert_as_a_rebuild_writes()


def test_a_party_whose_end_date_passes_stops_linking_without_any_write(client, koping, monkeypatch):
    today = timezone.localdate()
    cooperation = Cooperation.objects.create(
        name="Gemensam gatudrift", slug="gatudrift", form="agreement", status="active"
    )
    Party.objects.create(cooperation=cooperation, municipality=muni("1882"), level="agreement")
    Party.objects.create(
        cooperation=cooperation, municipality=koping, level="decision", end_date=today
    )
    askersund = buy("gator-askersund", muni("1882"))
    buy("gator-koping", koping)
    assert partners(client, askersund) == [("gator-koping", "Köping")]

    monkeypatch.setattr(timezone, "localdate", lambda *a: today + datetime.timedelta(days=1))
    assert partners(client, askersund) == []


def test_a_procurement_deleted_in_the_admin_leaves_no_match_behind(personas, admin_app, client):
    askersund = buy("gator-askersund", muni("1882"))
    laxa = buy("gator-laxa", muni("1860"))
    assert partners(client, askersund) == [("gator-laxa", "Laxå")]

    delete_url = change_url(laxa).replace("/change/", "/delete/")
    page = admin_app.get(delete_url, user=personas["registry"])
    # The editor is told what goes with the procurement, not the finder's derived rows.
    assert "matchbar" not in page.text.lower()
    assert page.forms[1].submit().status_code == 302

    assert partners(client, askersund) == []
    assert_as_a_rebuild_writes()


def test_the_seed_as_loaddata_wrote_it_is_kept_as_a_rebuild_writes(seed):
    # The Sydnärke agreement binds Hallsberg, Laxå and Lekeberg to one another.
    links = {(a, b) for a, b, _slug, _until in kept()[1]}
    assert {("1860", "1861"), ("1861", "1860"), ("1814", "1861")} <= links
    assert ("1882", "1861") not in links  # Askersund is bound to nothing
    assert_as_a_rebuild_writes()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_editors_at_once_leave_the_finder_as_a_rebuild_writes(seed):
    """One adds a buyer in Nora while the other corrects Nora's county and code. Both saves
    succeed (before, PostgreSQL found a deadlock between the buyer's key-share lock on Nora's
    row and the registry's generation row, and one save failed), and the finder's rows are
    what a rebuild writes."""
    vastmanland = County.objects.create(code="19", name="Västmanlands län")
    nora = Municipality.objects.create(name="Nora", slug="nora", code="1984", county=vastmanland)
    askersund = buy("gator-askersund", muni("1882"))
    joint = buy("gator-laxa-nora", muni("1860"))

    def add_buyer(validated):
        buyer = ProcurementBuyer(procurement=joint, municipality=nora)
        buyer.full_clean()
        validated.wait()
        buyer.save()

    def correct_nora(validated):
        moved = Municipality.objects.get(pk=nora.pk)
        moved.county, moved.code = County.objects.get(code="18"), "1884"
        moved.full_clean()
        validated.wait()
        moved.save()

    assert race(add_buyer, correct_nora) == {"a": "saved", "b": "saved"}
    assert ("gator-laxa-nora", "1884", "18") in [side[:3] for side in kept()[0]]
    assert_as_a_rebuild_writes()
    matches, _more = opportunities.for_procurement(askersund)
    assert {m.other_municipality.name for m in matches} == {"Laxå", "Nora"}
