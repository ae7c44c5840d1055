"""The admin in Chromium at 1280 px, as staff see it: screenshots, and nothing too wide."""

import pytest

from ..conftest import PASSWORD
from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1280
SHOTS = ARTIFACTS / "screenshots"
AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"


@pytest.fixture
def staff_page(page, live_server, personas):
    """`page`, and a way to sign in through the login form as one of the personas."""
    page.set_viewport_size({"width": WIDTH, "height": 900})

    def sign_in(persona, next_path="/admin/"):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/admin/login/?next={next_path}")
        page.fill("#id_username", personas[persona].username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}{next_path}")
        return page

    page.sign_in = sign_in
    page.live_url = live_server.url
    return page


def _overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


# Form controls and tables on the page that reach past the window or past a box that clips
# or scrolls them (a change list's table scrolls sideways inside its own box): what staff
# would not see without scrolling, or at all.
_CUT_OFF = """() => {
  const found = [];
  const boxes = '#content-main select, #content-main .select2-container, #content-main table,'
    + ' #content-main input:not([type=hidden]), #content-main textarea';
  for (const e of document.querySelectorAll(boxes)) {
    const r = e.getBoundingClientRect();
    if (!r.width || e.closest('.empty-form')) continue;
    let limit = window.innerWidth;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') {
        limit = Math.min(limit, a.getBoundingClientRect().left + a.clientWidth);
      }
    }
    if (r.right > limit + 1) {
      const name = e.id || e.name || e.className || e.tagName;
      found.push(`${name}: ${Math.round(r.right)} > ${limit}`);
    }
  }
  return found;
}"""


def _cut_off(page):
    return page.evaluate(_CUT_OFF)


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.mark.parametrize(
    ("persona", "role"),
    [("registry", "Registerredaktör"), ("laxa", "Kommunredaktör för Laxå")],
)
def test_admin_index_by_task(staff_page, persona, role):
    page = staff_page.sign_in(persona)
    assert page.locator("#user-tools .editor-role").inner_text() == role
    captions = page.locator("#content-main caption .section").all_inner_texts()
    # The public's error reports come first: a queue to work through, then the records.
    assert [c.casefold() for c in captions][:3] == [
        "felrapporter från allmänheten",
        "samverkan och parter",
        "finansiering",
    ]
    assert _overflow(page) <= 0
    _shot(page, f"admin-index-{persona}.png")


def test_editor_creation_screen(staff_page):
    page = staff_page.sign_in("superuser", "/admin/auth/user/")
    page.click(".object-tools a.addlink")
    page.wait_for_url("**/admin/auth/user/add/")
    assert page.locator("h1").inner_text() == "Lägg till redaktör"
    page.fill("#id_username", "anna.laxa")
    page.fill("#id_first_name", "Anna")
    page.fill("#id_last_name", "Lindqvist")
    page.fill("#id_email", "anna.lindqvist@laxa.example.se")
    page.check("input[name=role][value=municipality]")
    assert _overflow(page) <= 0
    _shot(page, "admin-add-editor.png")
    page.click("input[type=submit][name=_save]")
    # No municipality chosen: the page explains, in Swedish, and keeps what was typed.
    assert (
        "Välj vilken kommun kommunredaktören arbetar för."
        in page.locator(".field-municipality .errorlist").inner_text()
    )
    assert page.input_value("#id_username") == "anna.laxa"
    page.select_option("#id_municipality", label="Laxå")
    page.click("input[type=submit][name=_save]")
    assert (
        "Redaktören anna.laxa är tillagd som kommunredaktör"
        in page.locator(".messagelist").inner_text()
    )


def test_cooperation_change_form_inlines_fit_1280(staff_page):
    page = staff_page.sign_in("registry", "/admin/agreements/cooperation/")
    page.click("a[href$='/change/']:has-text('Avtalssamverkan om upphandling')")
    page.wait_for_selector(".inline-group")
    assert _overflow(page) <= 0
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll('.inline-group table')]
            .filter(t => t.getBoundingClientRect().right > window.innerWidth
                         || t.getBoundingClientRect().width
                            > t.closest('.inline-group').clientWidth + 1)
            .map(t => t.closest('.inline-group').id)"""
    )
    _shot(page, "admin-cooperation-change.png")
    assert too_wide == []


def test_slug_fills_while_typing_a_swedish_name(staff_page):
    page = staff_page.sign_in("registry", "/admin/agreements/claim/add/")
    # Typed key by key, as a person does: the admin's script fills the slug on each key.
    page.locator("#id_statement").press_sequentially("Laxå och Örebro delar på en upphandlare")
    assert page.input_value("#id_slug") == "laxa-och-orebro-delar-pa-en-upphandlare"


@pytest.mark.parametrize(
    ("persona", "path", "shot"),
    [
        ("registry", "/admin/agreements/citation/add/", "admin-citation-add.png"),
        ("registry", "/admin/agreements/citation/", "admin-citation-list.png"),
        ("registry", "/admin/agreements/party/", "admin-party-list.png"),
        ("laxa", "/admin/agreements/party/", "admin-party-list-laxa.png"),
        ("registry", "/admin/agreements/staffingcommitment/", "admin-commitment-list.png"),
    ],
)
def test_forms_and_lists_show_everything_at_1280(staff_page, persona, path, shot):
    page = staff_page.sign_in(persona, path)
    _shot(page, shot)
    assert _overflow(page) <= 0
    assert _cut_off(page) == []


def test_commitment_rows_show_each_post_in_full(staff_page):
    page = staff_page.sign_in("registry", "/admin/agreements/cooperation/")
    page.click("a[href$='/change/']:has-text('Avtalssamverkan om upphandling')")
    page.wait_for_selector("#commitments-group .select2-selection__rendered")
    posts = page.evaluate(
        """() => [...document.querySelectorAll(
                '#commitments-group tr.form-row:not(.empty-form) td.field-post'
                + ' .select2-selection__rendered')]
            .filter(e => e.textContent.trim())
            .map(e => ({text: e.textContent.trim(), hidden: e.scrollWidth > e.clientWidth + 1
                                                    || e.scrollHeight > e.clientHeight + 1}))"""
    )
    _shot(page, "admin-cooperation-commitments.png")
    assert len({p["text"] for p in posts}) >= 2, posts  # two different posts in the seed
    assert [p for p in posts if p["hidden"]] == []
    assert _cut_off(page) == []


def test_another_municipalitys_rows_look_read_only(staff_page):
    # The staff reviewer, as Laxå's editor: Lekeberg's rows looked like the editable ones,
    # with "I dag" and the calendar still offered beside their dates.
    page = staff_page.sign_in("laxa", "/admin/agreements/cooperation/")
    page.click("a[href$='/change/']:has-text('Avtalssamverkan om upphandling')")
    page.wait_for_selector("#commitments-group .datetimeshortcuts")
    rows = page.locator("#commitments-group tr.form-row.has_original")
    states = []
    for i in range(rows.count()):
        date = rows.nth(i).locator("input[name$='-start_date']")
        states.append(
            (
                date.is_disabled(),
                date.evaluate("e => getComputedStyle(e).borderStyle"),
                rows.nth(i).locator(".datetimeshortcuts").first.is_visible(),
            )
        )
    assert (True, "dashed", False) in states  # Lekeberg's rows
    assert (False, "solid", True) in states  # Laxå's own
