"""The open data say what the source document says: no more, and not the other way round.

Each test starts from the words of the seed's source (seeds/…txt, the answer to the
interpellation), read here from the file itself rather than from the fixture, and then checks
the JSON API, CSV, OCDS and Atom outputs against them, in Swedish and in English.
"""

import csv
import datetime
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

pytestmark = pytest.mark.django_db

DOCUMENT = (
    Path(__file__).resolve().parent.parent
    / "seeds"
    / "askersund-svar-pa-interpellation-om-upphandlingssamarbete.txt"
)
ATOM = "{http://www.w3.org/2005/Atom}"
AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
NETWORK = "natverk-upphandlare-sydnarke"
STUDY = "utrett-samarbete-askersund-hallsberg"
PROCUREMENT = "askersund-verksamheter-pa-entreprenad"
SPEAKER = "Caroline Dieker (M), kommunstyrelsens ordförande"


def says(words):
    """The source says these words (its line breaks are layout, not content)."""
    text = " ".join(DOCUMENT.read_text(encoding="utf-8").split())
    assert " ".join(words.split()) in text, words


def api(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def by_slug(rows, slug):
    [row] = [r for r in rows if r["slug"] == slug]
    return row


def relation(municipality, slug):
    """A municipality's relation to the cooperation `slug`."""
    [row] = [r for r in municipality["relations"] if r["cooperation"]["slug"] == slug]
    return row


def csv_rows(client, url, language="sv"):
    prefix = "/en" if language == "en" else ""
    response = client.get(prefix + url, {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";" if language == "sv" else ","))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def feed_summaries(client, url="/flode.atom"):
    feed = ET.fromstring(client.get(url).content)
    return {
        e.find(f"{ATOM}title").text: e.find(f"{ATOM}summary").text
        for e in feed.findall(f"{ATOM}entry")
    }


# --- Askersund is bound to nothing and pays nothing ----------------------------------------


def test_api_askersund_is_bound_to_nothing_and_its_network_relation_is_an_ambition(seed, client):
    says(
        "Askersund har, mot bakgrund av motståndet från Hallsberg kan man anta, alltså "
        "inte gått in i något juridiskt bindande samverkan."
    )
    says("Däremot finns det en muntligt uttalad ambition att öka samarbetet")
    says("Det finns inget formaliserat samarbete och således kostar det heller ingenting.")
    askersund = api(client, "/api/v1/municipalities/askersund/")
    assert askersund["cooperation_count"] == 0
    assert not any(r["is_bound"] for r in askersund["relations"])
    assert askersund["current_financed_fte"] == "0.00"  # "kostar det heller ingenting"
    assert {r["cooperation"]["slug"] for r in askersund["relations"]} == {NETWORK, STUDY}
    network = relation(askersund, NETWORK)
    assert (network["level"], network["level_label"], network["is_bound"]) == (
        "ambition",
        "Muntlig ambition, inte bindande",
        False,
    )
    assert relation(askersund, STUDY)["level"] == "mentioned"
    # No cooperation lists Askersund among its parties; the network names it at its level.
    cooperations = api(client, "/api/v1/cooperations/")["results"]
    assert all(p["municipality"]["slug"] != "askersund" for c in cooperations for p in c["parties"])
    [named] = by_slug(cooperations, NETWORK)["other_municipalities"]
    assert (named["municipality"]["slug"], named["level"]) == ("askersund", "ambition")


def test_csv_and_feed_never_count_askersund_as_a_party(seed, client):
    says("inte gått in i något juridiskt bindande samverkan")
    [askersund] = [r for r in csv_rows(client, "/kommuner/") if r["Kommun"] == "Askersund"]
    assert askersund["Samverkan där kommunen är part"] == "0"
    assert askersund["Samverkan där kommunen nämns utan att vara bunden"] == "2"
    assert askersund["Känd finansiering (heltidstjänster)"] == "0"
    network = next(r for r in csv_rows(client, "/samverkan/") if r["Namn"].startswith("Nätverket"))
    assert network["Parter (bundna genom beslut eller avtal)"] == ""
    assert network["Antal parter"] == "0"
    assert network["Andra kommuner som nämns, inte bundna"] == (
        "Askersund (Muntlig ambition, inte bindande)"
    )
    summary = feed_summaries(client)["Nätverket mellan upphandlarna i Sydnärke"]
    assert "Askersund (Muntlig ambition, inte bindande)" in summary
    assert "Parter:" not in summary


def test_english_outputs_say_the_level_in_english(seed, client):
    askersund = api(client, "/api/v1/municipalities/askersund/", lang="en")
    network = relation(askersund, NETWORK)
    assert network["level"] == "ambition"  # codes never change
    assert network["level_label"] == "Oral ambition, not binding"
    rows = csv_rows(client, "/samverkan/", language="en")
    network_row = next(r for r in rows if r["Name"].startswith("Nätverket"))
    assert network_row["Other municipalities named, not bound"] == (
        "Askersund (Oral ambition, not binding)"
    )
    summary = feed_summaries(client, "/en/flode.atom")["Nätverket mellan upphandlarna i Sydnärke"]
    assert "Askersund (Oral ambition, not binding)" in summary


# --- Hallsberg's own share is not stated: unknown, not zero --------------------------------


def test_hallsbergs_financing_is_unknown_not_zero(seed, client):
    says(
        "de bägge grannkommunerna som går in och medfinansierar ytterligare en "
        "upphandlare i Hallsberg"
    )
    hallsberg = api(client, "/api/v1/municipalities/hallsberg/")
    assert hallsberg["current_financed_fte"] is None
    assert hallsberg["own_share_unknown"] is True
    assert hallsberg["financing_text"].startswith("Okänt")
    [row] = [r for r in csv_rows(client, "/kommuner/") if r["Kommun"] == "Hallsberg"]
    assert row["Känd finansiering (heltidstjänster)"] == ""
    assert row["Finansiering enligt källorna"].startswith("Okänt")
    english = api(client, "/api/v1/municipalities/hallsberg/", lang="en")
    assert english["financing_text"].startswith("Unknown")


def test_the_neighbours_shares_are_the_documents_figures(seed, client):
    says("till att omfatta 0,5")
    says("även Laxå kommun ingå i avtalssamarbetet genom att finansiera 0,5 upphandlartjänst")
    for slug in ("lekeberg", "laxa"):
        assert api(client, f"/api/v1/municipalities/{slug}/")["current_financed_fte"] == "0.50"


# --- the assessment is Caroline Dieker's -----------------------------------------------------


def test_claim_assessment_names_its_speaker(seed, client):
    says("Annonsen är mot den bakgrunden missvisande")
    says("Caroline Dieker (M) Kommunstyrelsens ordförande")
    [claim] = api(client, "/api/v1/municipalities/hallsberg/")["claims"]
    says(claim["statement"])
    assert claim["assessment"] == "misleading"
    assert claim["assessment_text"] == f"Missvisande enligt {SPEAKER}"
    assert claim["assessed_by"] == f"enligt {SPEAKER}"
    [english] = api(client, "/api/v1/municipalities/hallsberg/", lang="en")["claims"]
    assert english["assessment_text"] == f"Misleading according to {SPEAKER}"


def test_objections_say_who_reports_them(seed, client):
    says("Redan från start kunde ett visst motstånd från upphandlarna i Hallsberg märkas")
    study = api(client, f"/api/v1/cooperations/{STUDY}/")
    assert study["objections"]
    for objection in study["objections"]:
        assert objection["raised_by"] == "Upphandlarna i Hallsberg"
        assert objection["attribution"] == f"enligt {SPEAKER}"


# --- the procurement is a target; joint is unknown ------------------------------------------


def test_procurement_is_a_target_and_joint_is_unknown(seed, client):
    says(
        "Målbilden som anges i budgetöverenskommelsen är att vi ska kunna handla upp "
        "under 2026 inför 2027."
    )
    procurement = api(client, f"/api/v1/procurements/{PROCUREMENT}/")
    assert (procurement["status"], procurement["status_label"]) == (
        "target",
        "Målbild eller ambition",
    )
    assert procurement["joint"] is None  # the answer says nothing about buying with others
    # "inför 2027" is read as the contract start: the registry says it is its reading.
    start = procurement["provenance"]["contract_start_year"]
    assert start["status"] == "interpreted" and start["interpretations"]
    assert procurement["provenance"]["joint"]["status"] == "unknown"
    [row] = csv_rows(client, "/upphandlingar/")
    assert (row["Status"], row["Gemensam upphandling"]) == ("Målbild eller ambition", "Okänt")
    [english] = csv_rows(client, "/upphandlingar/", language="en")
    assert english["Joint procurement"] == "Unknown"
    assert api(client, f"/api/v1/procurements/{PROCUREMENT}/", lang="en")["status_label"] == (
        "Target or ambition"
    )


def test_ocds_says_a_target_is_being_considered_not_procured(seed, client):
    says("Målbilden som anges i budgetöverenskommelsen")
    [release] = api(client, "/api/v1/ocds/releases/")["releases"]
    assert release["tender"]["status"] == "planning"
    assert release["tag"] == ["planning"]
    rationale = release["planning"]["rationale"]
    assert rationale.startswith("Status: Målbild eller ambition.")
    assert "Registrets tolkning:" in rationale  # the 2027 contract start is read, not stated
    assert "Upphandlas 2026" not in rationale
    assert rationale.endswith("Uppgifterna gäller: enligt en odaterad källa.")


# --- the study was carried out; the network exists and a proposal would strengthen it -------


def test_study_was_carried_out_and_bound_no_one(seed, client):
    says(
        "det genomfördes en utredning för att undersöka förutsättningarna för ett konkret "
        "samarbete inom upphandling och inköp mellan oss och Hallsbergs kommun"
    )
    study = api(client, f"/api/v1/cooperations/{STUDY}/")
    assert (study["status"], study["status_label"]) == ("completed", "Genomförd")
    assert study["party_count"] == 0 and study["parties"] == []
    row = next(r for r in csv_rows(client, "/samverkan/") if r["Namn"] == study["name"])
    assert row["Status"] == "Genomförd"


def test_network_exists_with_a_proposal_to_strengthen_it(seed, client):
    says("Till att börja med ska nätverket mellan upphandlarna i Sydnärke stärkas")
    says("Utredningen förslår även ett utökat samarbete där även Askersund ingår.")
    network = api(client, f"/api/v1/cooperations/{NETWORK}/")
    assert (network["status"], network["status_label"]) == ("active", "Verksam")
    # No quote about the network says whether it binds anyone: unknown, not no.
    assert network["legally_binding"] is None and network["has_host"] is None
    [proposal] = network["proposals"]
    assert proposal["status"] == "proposed"
    assert proposal["proposed_in"] == STUDY
    assert [m["slug"] for m in proposal["municipalities"]] == ["askersund"]


# --- one agreement with its history ---------------------------------------------------------


def test_agreement_has_two_versions_and_lekebergs_shares_are_on_different_posts(seed, client):
    says(
        "Hallsberg utökade sitt redan befintliga avtal med Lekebergs kommun från att gå "
        "från att omfatta 0,3 av en upphandlingstjänst till att omfatta 0,5."
    )
    says("Därutöver ville även Laxå kommun ingå i avtalssamarbetet")
    says(
        "Därmed kunde Hallsberg rekrytera en helt ny upphandlare som skulle arbeta mot "
        "Lekeberg och Laxå."
    )
    agreement = api(client, f"/api/v1/cooperations/{AGREEMENT}/")
    # The source does not say whether the extension or Laxå's entry came first: one version.
    assert [(v["sequence"], v["kind"]) for v in agreement["versions"]] == [
        (1, "original"),
        (2, "extension"),
    ]
    assert agreement["versions"][1]["prompted_by"] == STUDY  # what the study led to
    lekeberg = {
        c["fte"]: c for c in agreement["staffing_history"] if c["financer"]["slug"] == "lekeberg"
    }
    before, after = lekeberg["0.30"], lekeberg["0.50"]
    assert before["post"]["slug"] != after["post"]["slug"]
    assert after["supersedes"] == before["key"] and before["superseded_by"] == after["key"]
    assert (before["state"], after["state"]) == ("superseded", "current")
    assert (before["agreement_version"], after["agreement_version"]) == (1, 2)
    [laxa] = [c for c in agreement["staffing_history"] if c["financer"]["slug"] == "laxa"]
    assert (laxa["fte"], laxa["agreement_version"]) == ("0.50", 2)
    assert laxa["post"]["slug"] == after["post"]["slug"]  # the new procurer's post
    assert after["post"]["employer_share"] is None  # Hallsberg's own share: not stated


# --- as of when -----------------------------------------------------------------------------


def _as_of_texts(client, language="sv"):
    params = {"lang": "en"} if language == "en" else {}
    texts = set()
    for url in ["/api/v1/municipalities/", "/api/v1/cooperations/", "/api/v1/procurements/"]:
        for record in api(client, url, **params)["results"]:
            texts.add((record["as_of"], record["as_of_text"]))
    return texts


def test_every_record_is_as_of_its_undated_source(seed, client):
    """The answer carries no date: nothing is said to hold "now"."""
    assert _as_of_texts(client) == {(None, "enligt en odaterad källa")}
    assert _as_of_texts(client, "en") == {(None, "according to an undated source")}
    assert {r["Uppgifterna gäller"] for r in csv_rows(client, "/samverkan/")} == {
        "enligt en odaterad källa"
    }
    for summary in feed_summaries(client).values():
        assert summary.endswith("Uppgifterna gäller: enligt en odaterad källa.")


def test_as_of_follows_the_sources_date(seed, client, settings):
    from agreements.models import SourceDocument

    source = SourceDocument.objects.get()
    source.date = datetime.date(2020, 5, 4)
    source.save()
    assert _as_of_texts(client) == {("2020-05-04", "enligt källa daterad 2020-05-04")}
    recent = timezone.localdate() - datetime.timedelta(days=3)
    source.date = recent
    source.save()
    assert _as_of_texts(client) == {(recent.isoformat(), f"nu (bekräftat {recent.isoformat()})")}
    settings.REGISTRY_CONFIRMED_WITHIN_DAYS = 1
    cache.clear()  # a setting is no change to the registry: the cached answers are stale
    assert _as_of_texts(client) == {
        (recent.isoformat(), f"enligt källa daterad {recent.isoformat()}")
    }


# --- interpretations are shown as such -------------------------------------------------------


def test_citations_carry_the_registrys_interpretation(seed, client):
    from agreements.models import Citation

    citations = api(client, "/api/v1/citations/", page_size=500)["results"]
    interpreted = [c for c in citations if c["interpretation"]]
    stated = [c for c in citations if c["interpretation"] is None]
    assert interpreted and stated
    assert len(interpreted) == Citation.objects.exclude(interpretation="").count()
    for citation in citations:
        says(citation["quote"])  # every quote is the document's words
