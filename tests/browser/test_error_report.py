"""A citizen reports an error in Chromium; it lands in the right editor's queue, not another's.

No account and no JavaScript are needed to file it; the form, its error state and the thank-you
page stay clean under axe-core.
"""

import json
import re

import pytest

from agreements.models import ErrorReport

from ..conftest import PASSWORD
from .conftest import ARTIFACTS, AXE_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
REPORT = "Laxå står som finansiär av 0,5 tjänst, men enligt beslutet KS 2026/14 är det 0,4."


def _axe_violations(page):
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))",
        WCAG_TAGS,
    )


@pytest.fixture
def citizen(browser, live_site):
    """A reader's browser without JavaScript, at a phone's width."""
    context = browser.new_context(
        locale="sv-SE", java_script_enabled=False, viewport={"width": 375, "height": 800}
    )
    page = context.new_page()
    yield page
    context.close()


def _queue_as(browser, live_site, personas, persona):
    """The queue's name on the admin index, and the texts in the queue, as the editor sees
    them after signing in."""
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_site.url}/admin/login/?next=/admin/")
    page.fill("#id_username", personas[persona].username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{live_site.url}/admin/")
    link = page.locator("#content-main").get_by_role("link", name=re.compile(r"^Felrapporter"))
    name = link.inner_text()
    link.click()
    page.wait_for_load_state()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"report-queue-{persona}.png", full_page=True)
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    context.close()
    return name, rows


def test_a_citizens_report_reaches_the_right_editors_queue_only(
    browser, citizen, live_site, personas
):
    citizen.goto(live_site.url + "/kommuner/laxa/")
    citizen.get_by_role("link", name="Rapportera fel i uppgiften").click()
    citizen.wait_for_url("**/kommuner/laxa/rapportera-fel/")
    assert citizen.locator("h1").inner_text() == "Rapportera fel i uppgifterna om Laxå"
    SHOTS.mkdir(parents=True, exist_ok=True)
    citizen.screenshot(path=SHOTS / "report-form-375.png", full_page=True)

    citizen.get_by_label("Vad är fel?").fill(REPORT)
    citizen.get_by_label("Länk till en källa (frivilligt)").fill("https://www.laxa.se/ks-2026-14")
    citizen.get_by_label("Din e-postadress (frivilligt)").fill("medborgare@example.se")
    citizen.get_by_role("button", name="Skicka rapporten").click()
    citizen.wait_for_url("**/kommuner/laxa/rapportera-fel/tack/")
    assert citizen.locator("h1").inner_text() == "Tack för din rapport"
    assert REPORT not in citizen.content()
    citizen.screenshot(path=SHOTS / "report-thanks-375.png", full_page=True)

    report = ErrorReport.objects.get()
    assert (report.municipality.name, report.text) == ("Laxå", REPORT)

    name, [row] = _queue_as(browser, live_site, personas, "laxa")
    assert name == "Felrapporter (1 ny)"
    assert "Kommun: Laxå" in row and "Laxå står som finansiär" in row
    assert _queue_as(browser, live_site, personas, "hallsberg") == ("Felrapporter", [])


def test_the_report_form_and_its_error_state_are_accessible(page, live_site):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_site.url + "/en/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/")
    page.get_by_role("link", name="Report an error in this information").click()
    page.wait_for_url("**/rapportera-fel/")
    assert _axe_violations(page) == []
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_load_state()
    summary = page.locator("#fel")
    assert "Say what is wrong." in summary.inner_text()
    violations = _axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=SHOTS / "report-form-errors-en-375.png", full_page=True)
