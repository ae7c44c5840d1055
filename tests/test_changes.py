"""What changed is visible, and "now" means now.

Validity periods count everywhere; the public change log of a cooperation or procurement
tells the changes to the rows under it in words, one event per save, and so does the feed.
"""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import timezone

from agreements.models import (
    Cooperation,
    Municipality,
    Party,
    PlannedProcurement,
    Post,
    StaffingCommitment,
)

from .admin_forms import add_url, blank_row, change_url, pick, row, save_form
from .conftest import VALIDATOR_QUERIES

pytestmark = pytest.mark.django_db

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
ATOM = "{http://www.w3.org/2005/Atom}"


def _agreement():
    return Cooperation.objects.get(slug=AGREEMENT)


def _entries(app, record):
    """The public change log of `record` as a reader sees it, newest first."""
    log = app.get(f"{record.get_absolute_url()}andringar/").html.select_one("ol.log")
    return [
        {
            "kind": li.find(string=True, recursive=False) or li.get_text(" ", strip=True),
            "events": [e.get_text(" ", strip=True) for e in li.select(":scope > ul > li")],
            "text": li.get_text(" ", strip=True),
        }
        for li in log.select(":scope > li")
    ]


def _new_post():
    return Post.objects.create(
        employer=Municipality.objects.get(code="1861"), slug="ny-2027", name="Ny tjänst 2027"
    )


# --- validity periods -----------------------------------------------------------------------


def test_commitment_from_a_later_date_is_shown_as_starting_then_and_not_counted_today(seed, client):
    later = timezone.localdate() + datetime.timedelta(days=400)
    Party.objects.create(
        cooperation=_agreement(), municipality=Municipality.objects.get(code="1882"),
        level="decision", role="participant",
    )  # fmt: skip
    StaffingCommitment.objects.create(
        cooperation=_agreement(),
        post=_new_post(),
        financer=Municipality.objects.get(code="1882"),
        fte=Decimal("0.2"),
        start_date=later,
    )
    page = client.get(_agreement().get_absolute_url()).content.decode()
    assert f"gäller från {later.isoformat()}" in page
    # Today's total is still Lekeberg's and Laxå's shares only.
    assert (
        'Sammanlagt 1 heltidstjänst <span class="figure-split">(registrets tolkning)</span> '
        "finansieras genom samverkan"
    ) in page
    askersund = client.get("/kommuner/askersund/").content.decode()
    assert "Finansierar tjänster (heltidstjänster)</dt><dd>Ingen registrerad" in askersund
    api = client.get(f"/api/v1/cooperations/{AGREEMENT}/").json()
    [future] = [c for c in api["staffing_history"] if c["financer"]["code"] == "1882"]
    assert (future["state"], future["is_current"]) == ("future", False)


def test_ended_commitment_is_shown_as_ended_and_not_counted(seed, client):
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    laxa.end_date = datetime.date(2025, 12, 31)
    laxa.save()
    page = client.get(_agreement().get_absolute_url()).content.decode()
    assert "avslutat 2025-12-31" in page
    # Lekeberg's 0,5 is left, the registry's reading of what its agreement covers.
    assert (
        'Sammanlagt 0,5 heltidstjänst <span class="figure-split">(registrets tolkning)</span> '
        "finansieras genom samverkan"
    ) in page
    assert StaffingCommitment.objects.current().filter(financer__code="1860").count() == 0


def test_state_in_python_agrees_with_current_in_sql(seed):
    today = timezone.localdate()
    post = _new_post()
    cases = {
        "past": (datetime.date(2020, 1, 1), datetime.date(2020, 12, 31)),
        "now": (datetime.date(2020, 1, 1), None),
        "later": (today + datetime.timedelta(days=1), None),
        "open": (None, None),
    }
    coop = Cooperation.objects.create(name="T", slug="t", form="agreement", status="active")
    rows = {}
    for i, (name, (start, end)) in enumerate(cases.items()):
        financer = Municipality.objects.create(
            name=f"K{i}", slug=f"k{i}", code=f"180{i}", county=post.employer.county
        )
        Party.objects.create(
            cooperation=coop, municipality=financer, level="agreement", role="participant"
        )
        rows[name] = StaffingCommitment.objects.create(
            cooperation=coop, post=post, financer=financer, fte=Decimal("0.1"),
            start_date=start, end_date=end,
        )  # fmt: skip
    current = set(StaffingCommitment.objects.current().filter(cooperation=coop))
    assert {r for r in rows.values() if r.is_current} == current
    assert {name for name, r in rows.items() if r.is_current} == {"now", "open"}


# --- the change log -------------------------------------------------------------------------


def test_one_admin_save_with_inline_rows_reads_as_one_event(personas, admin_app):
    form = save_form(admin_app.get(change_url(_agreement()), user=personas["registry"]))
    form["description"] = "Avtalet omfattar alla upphandlingar."
    lekeberg = row(form, "parties", municipality=Municipality.objects.get(code="1814"))
    form[f"parties-{lekeberg}-note"] = "Betalar 0,5 av en tjänst."
    blank = blank_row(form, "parties")
    pick(form, f"parties-{blank}-municipality", Municipality.objects.get(code="1882"))
    form[f"parties-{blank}-level"] = "mentioned"
    form[f"parties-{blank}-role"] = "observer"
    assert form.submit("_save").status_code == 302

    newest = _entries(admin_app, _agreement())[0]
    assert newest["events"][0].startswith("Uppgifterna ändrade Beskrivning:")
    assert "Part ändrad: Lekeberg (Avtal ingånget, deltagare)" in newest["text"]
    assert (
        "Kommentar: ”Medfinansierar en upphandlare i Hallsberg.” → ”Betalar 0,5" in (newest["text"])
    )
    assert "Part tillagd: Askersund (Nämnd eller diskuterad, observatör)" in newest["text"]
    # The description now says something its passage never said: its citation is taken off.
    assert any(event.startswith("Källhänvisning borttagen") for event in newest["events"])
    assert len(newest["events"]) == 4


def test_an_ended_commitment_is_told_in_words(personas, admin_app):
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    form = save_form(admin_app.get(change_url(laxa), user=personas["laxa"]))
    form["end_date"] = "2026-12-31"
    assert form.submit("_save").status_code == 302
    newest = _entries(admin_app, _agreement())[0]
    post = "Ny upphandlare i Hallsberg som ska arbeta mot Lekeberg och Laxå"
    assert newest["events"] == [
        f"Finansieringsåtagande ändrat: Laxå, 0,5 av ”{post}” till 2026-12-31 "
        "Gäller till: ”–” → ”2026-12-31”"
    ]


def test_a_new_citation_and_a_new_buyer_show_in_the_procurement_log(personas, admin_app):
    procurement = PlannedProcurement.objects.get()
    form = save_form(admin_app.get(change_url(procurement), user=personas["registry"]))
    blank = blank_row(form, "buyers")
    pick(form, f"buyers-{blank}-municipality", Municipality.objects.get(code="1861"))
    form[f"buyers-{blank}-is_lead"] = True  # two buyers: one of them leads
    assert form.submit("_save").status_code == 302
    form = save_form(admin_app.get(add_url("citation")))
    from agreements.models import SourceDocument

    pick(form, "source", SourceDocument.objects.get())
    form["key"] = "malbild-2027"
    form["quote"] = "Målbilden som anges i budgetöverenskommelsen"
    pick(form, "procurement", procurement)
    assert form.submit("_save").status_code == 302
    texts = [e["text"] for e in _entries(admin_app, procurement)[:2]]
    assert "Källhänvisning tillagd: ”Målbilden som anges i budgetöverenskommelsen”" in texts[0]
    assert "Köpare tillagd: Hallsberg" in texts[1]


def test_change_log_never_names_staff(personas, admin_app, client, django_user_model):
    from django.contrib.auth.models import Group

    editor = django_user_model.objects.create_user("anna.redaktor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Registerredaktörer"))
    form = save_form(admin_app.get(change_url(_agreement()), user=editor))
    form["status"] = "ended"
    assert form.submit("_save").status_code == 302
    html = client.get(f"{_agreement().get_absolute_url()}andringar/").content.decode()
    assert "Status: ”Verksam” → ”Avslutad”" in html
    assert "anna.redaktor" not in html


def test_detail_page_links_to_its_change_log(seed, client):
    html = client.get(_agreement().get_absolute_url()).content.decode()
    assert f'href="/samverkan/{AGREEMENT}/andringar/"' in html


def test_feed_entry_tells_the_change_in_the_same_words(personas, admin_app, client):
    form = save_form(admin_app.get(change_url(_agreement()), user=personas["registry"]))
    blank = blank_row(form, "parties")
    pick(form, f"parties-{blank}-municipality", Municipality.objects.get(code="1882"))
    form[f"parties-{blank}-level"] = "mentioned"
    form[f"parties-{blank}-role"] = "observer"
    assert form.submit("_save").status_code == 302
    feed = ET.fromstring(client.get("/flode.atom").content)
    first = feed.find(f"{ATOM}entry")
    assert first.find(f"{ATOM}title").text == _agreement().name
    assert "Part tillagd: Askersund (Nämnd eller diskuterad, observatör)" in (
        first.find(f"{ATOM}summary").text
    )
    laxa_feed = ET.fromstring(client.get("/kommuner/laxa/flode.atom").content)
    assert "Part tillagd: Askersund" in laxa_feed.find(f"{ATOM}entry/{ATOM}summary").text


def test_change_log_page_queries_stay_bounded_with_a_long_history(seed, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/samverkan/{AGREEMENT}/andringar/"

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for i in range(30):
        party = Party.objects.get(cooperation__slug=AGREEMENT, municipality__code="1814")
        party.note = f"Version {i}"
        party.save()
        agreement = _agreement()
        agreement.description = f"Version {i}"
        agreement.save()
    assert queries() == before
    # Per kind of row under a cooperation (parties, agreement versions, commitments, proposals,
    # objections): its history, and the parents of its citations; none per change.
    assert before <= 13 + VALIDATOR_QUERIES
