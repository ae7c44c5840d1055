"""Sources in a real browser: the citation picker under the site's CSP, and landing links."""

import pytest

from agreements.models import Citation, Claim, SourceDocument, normalize_space

from .. import documents
from ..conftest import PASSWORD
from .conftest import ARTIFACTS, choose

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "screenshots"


@pytest.fixture
def staff_page(browser, live_site, django_user_model, settings):
    # The live server speaks plain HTTP; production cookies are secure-only.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    django_user_model.objects.create_superuser("redaktor", "redaktor@example.se", PASSWORD)
    # No bypass_csp: the picker must work under the policy the site sends.
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Script errors, and anything the Content-Security-Policy refused.
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(live_site.url + "/admin/login/")
    page.fill("#id_username", "redaktor")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/admin/")
    page.console_errors = errors
    yield page
    context.close()


def _select(page, words):
    """Select `words` in the source text as a mouse drag would."""
    page.evaluate(
        """(words) => {
            const box = document.querySelector('.citation-picker .source-text');
            const node = box.firstChild;
            const at = node.data.indexOf(words);
            if (at < 0) throw new Error('not in the text: ' + words);
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        words,
    )


def test_select_a_passage_press_citera_and_save_the_citation(staff_page, live_site):
    page = staff_page
    source = SourceDocument.objects.get()
    page.goto(f"{live_site.url}/admin/agreements/sourcedocument/{source.pk}/change/")
    button = page.get_by_role("button", name="Citera")
    assert button.is_visible() and button.is_disabled()

    # Across a line break of the document: the quote is matched however it is wrapped.
    passage = "ett team i Sydnärke som \nska arbeta med upphandling."
    _select(page, passage)
    assert button.is_enabled()
    page.locator(".citation-picker").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-citation-picker-1280.png"), full_page=False)

    button.click()
    page.wait_for_url("**/admin/agreements/citation/add/**")
    assert normalize_space(page.input_value("#id_quote")) == normalize_space(passage)
    assert page.input_value("#id_source") == str(source.pk)
    page.fill("#id_key", "team-i-sydnarke-citat")
    choose(page, "id_claim", "team i Sydnärke")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_url("**/admin/agreements/citation/")

    citation = Citation.objects.get(key="team-i-sydnarke-citat")
    assert citation.claim == Claim.objects.get(slug="team-i-sydnarke")
    assert source.text[citation.start : citation.end] == passage.rstrip(".") + "."
    assert page.console_errors == []


def test_upload_form_explains_a_bad_file(staff_page, live_site):
    page = staff_page
    page.goto(live_site.url + "/admin/agreements/sourcedocument/add/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-source-upload-1280.png"), full_page=True)

    page.fill("#id_title", "Skannat avtal")  # the admin's script fills in the slug
    page.select_option("#id_kind", "agreement")
    page.set_input_files(
        "#id_original",
        files=[
            {
                "name": "skannat.pdf",
                "mimeType": "application/pdf",
                "buffer": documents.pdf(image=True),
            }
        ],
    )
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_load_state()
    error = page.locator(".field-original .errorlist").inner_text()
    assert "PDF-filen innehåller ingen text" in error
    page.screenshot(path=str(SCREENSHOTS / "admin-source-upload-error-1280.png"), full_page=True)
    assert not SourceDocument.objects.filter(slug="skannat-avtal").exists()
