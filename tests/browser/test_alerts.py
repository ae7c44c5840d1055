"""A reader follows a cooperation in Chromium, without JavaScript: subscribes, confirms from the
mail as the SMTP server received it, gets a digest after a change, and unsubscribes in one click.

Every page on the way is checked with axe-core and the Nu HTML checker.
"""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agreements import alerts
from agreements.models import Cooperation, Municipality, Party, Subscription

from .conftest import ARTIFACTS, AXE_JS, nu_html_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "screenshots"
PAGES = ARTIFACTS / "alerts-html"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AGREEMENT = "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/"
LINK = re.compile(r"https?://\S+/bevaka/(?:bekrafta|avsluta)/\S+/")


def _axe_violations(page):
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))",
        WCAG_TAGS,
    )


@pytest.fixture
def reader(browser, live_site):
    """A reader's browser without JavaScript, at a phone's width (CSP bypassed for axe only)."""
    context = browser.new_context(
        locale="sv-SE",
        java_script_enabled=False,
        bypass_csp=True,
        viewport={"width": 375, "height": 800},
    )
    page = context.new_page()
    yield page
    context.close()


def _check(page, name, saved):
    """Keep the page's HTML for the Nu checker, and run axe-core on it. axe needs scripts, so
    it runs in a second browser with them on, on the same address (every page on the way
    shows the same again on a GET: the confirmation and unsubscribe pages say what is done)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    PAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"alerts-{name}-375.png", full_page=True)
    path = PAGES / f"{name}.html"
    path.write_text(page.content(), encoding="utf-8")
    saved.append(path)
    checker = page.context.browser.new_context(bypass_csp=True, locale="sv-SE")
    try:
        probe = checker.new_page()
        probe.set_viewport_size({"width": 375, "height": 800})
        probe.goto(page.url)
        violations = _axe_violations(probe)
    finally:
        checker.close()
    assert violations == [], json.dumps(violations, indent=1)


def _link(message, kind):
    links = [link for link in LINK.findall(message.get_content()) if f"/{kind}/" in link]
    return links[0]


def test_follow_confirm_from_the_mail_and_unsubscribe_in_one_click(reader, live_site, smtp_server):
    saved = []
    reader.goto(live_site.url + AGREEMENT)
    reader.get_by_role("link", name="Bevaka ändringar via e-post").click()
    reader.wait_for_url(f"**{AGREEMENT}bevaka/")
    _check(reader, "form", saved)
    reader.get_by_label("Din e-postadress").fill("journalist@example.se")
    reader.get_by_label("En gång om dagen, när något har ändrats").check()
    reader.get_by_role("button", name="Bevaka").click()
    reader.wait_for_url("**/bevaka/skickat/")
    assert reader.locator("h1").inner_text() == "Titta i din inkorg"
    _check(reader, "check-inbox", saved)

    alerts.deliver_outbox()
    [(recipients, confirmation)] = smtp_server.messages
    assert recipients == ["journalist@example.se"]
    reader.goto(_link(confirmation, "bekrafta"))
    _check(reader, "confirm", saved)
    assert Subscription.objects.get().confirmed_at is None  # opening the link is not enough
    reader.get_by_role("button", name="Ja, bekräfta bevakningen").click()
    reader.wait_for_load_state()
    assert reader.locator("h1").inner_text() == "Bevakningen är bekräftad"
    _check(reader, "confirmed", saved)

    Party.objects.create(
        cooperation=Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg"),
        municipality=Municipality.objects.get(code="1882"),
        level="decision",
        role="participant",
    )
    tomorrow = timezone.now() + timedelta(days=1)
    alerts.send_digests(tomorrow)
    alerts.deliver_outbox(tomorrow)
    _recipients, digest = smtp_server.messages[-1]
    assert "Part tillagd: Askersund (Beslut fattat, deltagare)" in digest.get_content()

    reader.goto(_link(digest, "avsluta"))
    _check(reader, "unsubscribe", saved)
    reader.get_by_role("button", name="Sluta bevaka").click()  # the one click
    reader.wait_for_load_state()
    assert reader.locator("h1").inner_text() == "Du bevakar inte längre"
    _check(reader, "unsubscribed", saved)
    assert not Subscription.objects.exists()
    assert nu_html_errors(saved) == []


def test_a_mail_programs_one_click_post_unsubscribes(browser, live_site, smtp_server):
    """What Gmail or Outlook does with List-Unsubscribe-Post: a bare POST, no cookies."""
    subscription = Subscription.objects.create(
        email="a@example.se", kind="cooperation", target="cooperation:x",
        cooperation=Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg"),
        confirmed_at=timezone.now(), covered_until=timezone.now(),
    )  # fmt: skip
    context = browser.new_context()
    try:
        response = context.request.post(
            alerts.unsubscribe_url(subscription),
            data="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    finally:
        context.close()
    assert response.status == 200
    assert not Subscription.objects.exists()
