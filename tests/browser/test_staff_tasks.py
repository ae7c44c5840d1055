"""Staff do their whole job in the admin, in Chromium, under the site's real CSP.

A registry editor records Askersund joining the Hallsberg agreement from 2027, with a new
PDF source and a citation picked from its text, and the public finds it on the page, in the
change log and in the feed. A Laxå editor edits Laxå's share, is refused on Hallsberg's
row, and records Laxå joining a cooperation.
"""

import xml.etree.ElementTree as ET

import pytest

from agreements.models import (
    Citation,
    Cooperation,
    Municipality,
    Party,
    Post,
    SourceDocument,
    StaffingCommitment,
)

from .. import documents
from ..conftest import PASSWORD
from .conftest import ARTIFACTS, choose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "screenshots"
AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
NETWORK = "natverk-upphandlare-sydnarke"
DECISION = [
    "Protokoll från kommunfullmäktige i Askersund",
    "Kommunfullmäktige beslutar att Askersunds kommun från och med den 1 januari 2027",
    "ingår i avtalssamverkan om upphandling med Hallsbergs, Laxå och Lekebergs kommuner",
    "och finansierar 0,2 av en upphandlartjänst i Hallsberg.",
]
PICKED = "ingår i avtalssamverkan om upphandling med Hallsbergs, Laxå och Lekebergs kommuner"


@pytest.fixture
def staff(browser, live_server, personas):
    """A browser at 1280 px under the real CSP, failing on any script error or CSP refusal."""
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )

    def sign_in(persona):
        context.clear_cookies()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", personas[persona].username)
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        page.wait_for_url(f"{live_server.url}/admin/")

    page.sign_in = sign_in
    page.url_of = lambda path: live_server.url + path
    page.problems = problems
    yield page
    context.close()


def _save(page):
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_load_state()


def _saved(page):
    """The admin's own confirmation that the save went through."""
    return page.locator(".messagelist .success").count() > 0


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _change(page, obj):
    page.goto(page.url_of(f"/admin/agreements/{obj._meta.model_name}/{obj.pk}/change/"))


def test_registry_editor_records_askersund_joining_with_a_cited_source(staff, live_server):
    page = staff
    page.sign_in("registry")
    _shot(page, "admin-index-1280.png")
    agreement = Cooperation.objects.get(slug=AGREEMENT)

    # 1. Edit the cooperation's description.
    _change(page, agreement)
    _shot(page, "admin-cooperation-change-1280.png")
    page.fill("#id_description", "Hallsberg sköter upphandlingarna åt Laxå och Lekeberg.")
    _save(page)
    assert _saved(page), page.content()[:3000]

    # 2. A new post in Hallsberg for the share Askersund will finance.
    page.goto(page.url_of("/admin/agreements/post/add/"))
    choose(page, "id_employer", "Hallsberg")
    page.locator("#id_name").press_sequentially("Upphandlartjänst i Hallsberg från 2027")
    assert page.input_value("#id_slug") == "upphandlartjanst-i-hallsberg-fran-2027"
    _save(page)
    assert _saved(page)

    # 3. Askersund joins from 2027 with 0,2 of that post: one save of the cooperation form.
    _change(page, agreement)
    party_row = Party.objects.filter(cooperation=agreement).count()
    commitment_row = StaffingCommitment.objects.filter(cooperation=agreement).count()
    choose(page, f"id_parties-{party_row}-municipality", "Askersund")
    page.select_option(f"#id_parties-{party_row}-level", "decision")
    page.select_option(f"#id_parties-{party_row}-role", "participant")
    page.fill(f"#id_parties-{party_row}-start_date", "2027-01-01")
    choose(page, f"id_commitments-{commitment_row}-post", "Upphandlartjänst i Hallsberg från")
    choose(page, f"id_commitments-{commitment_row}-financer", "Askersund")
    page.fill(f"#id_commitments-{commitment_row}-fte", "0,2")
    page.fill(f"#id_commitments-{commitment_row}-start_date", "2027-01-01")
    _save(page)
    assert _saved(page), page.locator(".errornote, .errorlist").all_inner_texts()

    # 4. The decision as a PDF, uploaded.
    page.goto(page.url_of("/admin/agreements/sourcedocument/add/"))
    _shot(page, "admin-source-upload-1280.png")
    page.locator("#id_title").press_sequentially(
        "Beslut om Askersunds anslutning till avtalssamverkan"
    )
    page.select_option("#id_kind", "decision")
    page.set_input_files(
        "#id_original",
        files=[{"name": "beslut.pdf", "mimeType": "application/pdf",
                "buffer": documents.pdf(DECISION)}],
    )  # fmt: skip
    _save(page)
    assert _saved(page), page.locator(".errornote, .errorlist").all_inner_texts()
    source = SourceDocument.objects.get(slug="beslut-om-askersunds-anslutning-till-avtalssamverkan")
    assert PICKED in source.text

    # 5. Pick the citation from the source's text: select, "Citera", say what it supports.
    _change(page, source)
    page.evaluate(
        """(words) => {
            const box = document.querySelector('.citation-picker .source-text');
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(words);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + words.length);
                getSelection().removeAllRanges();
                getSelection().addRange(range);
                return;
            }
            throw new Error('not in the text: ' + words);
        }""",
        PICKED,
    )
    page.locator(".citation-picker").scroll_into_view_if_needed()
    _shot(page, "admin-citation-picker-1280.png")
    page.get_by_role("button", name="Citera").click()
    page.wait_for_url("**/admin/agreements/citation/add/**")
    page.fill("#id_key", "askersund-ansluter-2027")
    askersund_party = Party.objects.get(cooperation=agreement, municipality__code="1882")
    choose(page, "id_party", "Askersund", option="Beslut fattat (Avtalssamverkan")
    _save(page)
    assert _saved(page), page.locator(".errornote, .errorlist").all_inner_texts()
    assert Citation.objects.get(key="askersund-ansluter-2027").party == askersund_party
    assert page.problems == []

    # 6. What the public sees: the page, its change log and the feed.
    public = page.context.browser.new_context(locale="sv-SE")
    reader = public.new_page()
    reader.goto(live_server.url + agreement.get_absolute_url())
    row = reader.locator("#part-askersund").inner_text()
    assert "Beslut fattat" in row and "från 2027-01-01" in row and "Deltagare" in row
    assert "Hallsberg sköter upphandlingarna åt Laxå och Lekeberg." in reader.content()
    assert "Askersund: 0,2" in reader.locator("#finansiering-avsnitt").inner_text()
    assert "gäller från 2027-01-01" in reader.locator("#finansiering-avsnitt").inner_text()
    reader.locator("#part-askersund a", has_text="källa").first.click()
    reader.wait_for_load_state()
    assert PICKED in reader.locator(":target").inner_text().replace("\n", " ")

    reader.goto(live_server.url + agreement.get_absolute_url() + "andringar/")
    log = reader.locator("ol.log").inner_text()
    assert "Part tillagd: Askersund (Beslut fattat, deltagare, från 2027-01-01)" in log
    assert "Finansieringsåtagande tillagt: Askersund, 0,2 av" in log
    assert "Källhänvisning tillagd: ”ingår i avtalssamverkan om upphandling med" in log
    assert "redaktor" not in log and "registret" not in log.lower()

    feed = ET.fromstring(reader.request.get(live_server.url + "/flode.atom").body())
    summaries = " ".join(e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}summary"))
    assert "Part tillagd: Askersund (Beslut fattat, deltagare, från 2027-01-01)" in summaries
    assert "Källhänvisning tillagd" in summaries
    public.close()


def test_laxa_editor_edits_laxas_share_is_refused_on_hallsbergs_and_joins(staff):
    page = staff
    page.sign_in("laxa")
    assert page.locator("#user-tools").inner_text().count("Kommunredaktör för Laxå") == 1

    # Laxå's own commitment: saved; who pays which post stays as recorded.
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    _change(page, laxa)
    assert page.locator("#id_financer").is_disabled()
    page.fill("#id_note", "Enligt avtalet med Hallsberg.")
    _save(page)
    assert _saved(page)
    assert StaffingCommitment.objects.get(pk=laxa.pk).note == "Enligt avtalet med Hallsberg."

    # Hallsberg's row in the shared agreement: shown, but not editable by Laxå.
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    _change(page, agreement)

    def row_of(code):
        party = Party.objects.get(cooperation=agreement, municipality__code=code)
        count = Party.objects.filter(cooperation=agreement).count()
        return next(i for i in range(count) if page.input_value(f"#id_parties-{i}-id") == str(
            party.pk))  # fmt: skip

    hallsberg_row, laxa_row = row_of("1861"), row_of("1860")
    assert page.locator(f"#id_parties-{hallsberg_row}-note").is_disabled()
    assert page.locator(f"#id_parties-{hallsberg_row}-role").is_disabled()
    assert page.locator(f"#id_parties-{laxa_row}-note").is_enabled()
    # Hallsberg's post: Laxå may look, not change.
    _change(page, Post.objects.get(slug="upphandlare-lekeberg-laxa"))
    assert page.get_by_role("button", name="Spara", exact=True).count() == 0

    # Laxå joins the Sydnärke network.
    page.goto(page.url_of("/admin/agreements/party/add/"))
    choose(page, "id_cooperation", "Nätverket mellan upphandlarna")
    choose(page, "id_municipality", "Laxå")
    page.select_option("#id_level", "ambition")
    _save(page)
    assert _saved(page), page.locator(".errornote, .errorlist").all_inner_texts()
    joined = Party.objects.get(cooperation__slug=NETWORK, municipality__code="1860")
    assert joined.level == "ambition" and not joined.is_bound
    assert Municipality.objects.get(code="1860").parties.count() == 2
    assert page.problems == []
