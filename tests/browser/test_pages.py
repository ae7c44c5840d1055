"""Every public page, in both languages, in a real browser: accessible, valid, usable."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings

from .conftest import ARTIFACTS, AXE_JS, nu_html_errors

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# Pages the sitemap does not list but people reach: errors, filtered and empty lists.
EXTRA_PATHS = [
    "/finns-inte/",
    "/samverkan/?form=finns-inte",
    "/samverkan/?q=upphandling&legally_binding=1",
    "/samverkan/?q=xyzzy",
    "/upphandlingar/?procurement_year=abc",
    "/mojligheter/?cpv=4x",
    "/kommuner/?o=-code",
    "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/andringar/",
    "/upphandlingar/askersund-verksamheter-pa-entreprenad/andringar/",
    "/kommuner/laxa/rapportera-fel/",
    "/kommuner/laxa/rapportera-fel/tack/",
    "/kommuner/laxa/bevaka/",
    "/bevaka/?lista=upphandlingar&municipality=askersund",
    "/bevaka/skickat/",
    "/bevaka/bekrafta/ogiltig/",
]


def _locs(page, url):
    response = page.goto(url)
    assert response.status == 200, response.body()[:2000]
    return [loc.text for loc in ET.fromstring(response.body()).iterfind(".//sm:loc", SITEMAP_NS)]


def _sitemap_paths(page, base):
    """Every address in every section of the sitemap index."""
    paths = set()
    for section in _locs(page, f"{base}/sitemap.xml"):
        paths.update(loc.removeprefix(base) for loc in _locs(page, section))
    return sorted(paths)


def _all_paths(page, base):
    paths = _sitemap_paths(page, base)
    extra = EXTRA_PATHS + ["/en" + p for p in EXTRA_PATHS]
    return paths + extra


WIDTHS = [320, 375, 768, 1280]
# The box a caption's text must stay inside: its scrolling table box, else the window.
CAPTIONS_CUT = """() => [...document.querySelectorAll('caption')].filter(caption => {
  const box = caption.closest('.table-wrap') || document.documentElement;
  const edge = box === document.documentElement
    ? {left: 0, right: window.innerWidth} : box.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(caption);
  return [...range.getClientRects()].some(r => r.left < edge.left - 1 || r.right > edge.right + 1);
}).map(caption => caption.textContent.trim())"""


def _layout_at_each_width(page):
    """How far the page is wider than the window, and its cut-off captions, at each width.

    The window is resized around the loaded page: rendering it again for each width would
    cost the server's time, not the browser's.
    """
    size = page.viewport_size
    layout = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        layout[width] = {
            "overflow": page.evaluate("document.documentElement.scrollWidth - window.innerWidth"),
            "cut_captions": page.evaluate(CAPTIONS_CUT),
        }
    page.set_viewport_size(size)
    return layout


@pytest.fixture(scope="module")
def crawl(browser, seeded_live_server):
    """Visit every page once; keep axe results, the layout at each width and the server's HTML."""
    base = seeded_live_server.url
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    html_dir = ARTIFACTS / "html"
    html_dir.mkdir(parents=True, exist_ok=True)
    for old in html_dir.glob("*.html"):
        old.unlink()
    axe_source = AXE_JS.read_text(encoding="utf-8")
    results = {}
    for i, path in enumerate(_all_paths(page, base)):
        response = page.goto(base + path)
        page.add_script_tag(content=axe_source)
        violations = page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
            ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' '))}))",
            WCAG_TAGS,
        )
        html_file = html_dir / f"{i:03d}.html"
        html_file.write_bytes(response.body())
        results[path] = {
            "status": response.status,
            "violations": violations,
            "file": html_file,
            "title": page.title(),
            "layout": _layout_at_each_width(page),
        }
    context.close()
    return results


def test_crawl_covers_every_kind_of_page_in_both_languages(crawl):
    paths = set(crawl)
    for prefix in ("", "/en"):
        for expected in [
            "/",
            "/kommuner/hallsberg/",
            "/samverkan/",
            "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/",
            "/upphandlingar/askersund-verksamheter-pa-entreprenad/",
            "/kallor/askersund-svar-interpellation-upphandling/",
            "/tillganglighet/",
        ]:
            assert prefix + expected in paths


def test_no_page_errors_on_the_server(crawl):
    assert {p: r["status"] for p, r in crawl.items() if r["status"] >= 500} == {}


def test_no_axe_violations_on_any_page(crawl):
    violations = {p: r["violations"] for p, r in crawl.items() if r["violations"]}
    assert violations == {}, json.dumps(violations, indent=1, ensure_ascii=False)


def test_no_html_errors_on_any_page(crawl):
    by_path = {str(r["file"]): p for p, r in crawl.items()}
    errors = nu_html_errors(r["file"] for r in crawl.values())
    assert [f"{by_path.get(file, file)}: {message}" for file, message in errors] == []


def test_every_page_has_a_distinct_title_within_its_language(crawl):
    titles = {}
    for path, result in crawl.items():
        if result["status"] == 200 and "?" not in path:
            language = "en" if path.startswith("/en/") else "sv"
            titles.setdefault((language, result["title"]), []).append(path)
    assert {t: p for t, p in titles.items() if len(p) > 1} == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_in_the_sitemap_is_wider_than_the_screen(crawl, width):
    too_wide = {
        path: f"{result['layout'][width]['overflow']}px too wide at {width}px"
        for path, result in crawl.items()
        if result["layout"][width]["overflow"] > 0
    }
    assert too_wide == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_no_table_caption_is_cut_off(crawl, width):
    cut = {
        path: result["layout"][width]["cut_captions"]
        for path, result in crawl.items()
        if result["layout"][width]["cut_captions"]
    }
    assert cut == {}


PHONE = {"width": 375, "height": 667}


@pytest.mark.parametrize("path", ["/samverkan/", "/kommuner/", "/en/samverkan/", "/en/kommuner/"])
def test_first_result_is_on_the_first_screen_of_a_phone(page, live_site, path):
    page.set_viewport_size(PHONE)
    page.goto(live_site.url + path)
    first = page.locator("tbody tr").first.locator("th")
    box = first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box


def test_municipality_name_stays_in_view_while_the_table_scrolls_sideways(page, live_site):
    page.set_viewport_size(PHONE)
    page.goto(live_site.url + "/kommuner/")
    region = page.get_by_role("region", name="4 kommuner")
    name = page.get_by_role("rowheader", name="Askersund")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    region.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    assert region.evaluate("el => el.scrollLeft") > 100
    box = name.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page.get_by_text("Svep eller rulla i sidled för att se alla kolumner.").is_visible()


def test_wide_table_scrolls_with_the_keyboard(page, live_site):
    page.set_viewport_size(PHONE)
    page.goto(live_site.url + "/kommuner/")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('role')") == "region":
            break
    assert page.evaluate("document.activeElement.getAttribute('aria-labelledby')") == (
        "kommuner-tabell"
    )
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.activeElement.scrollLeft > 0")


def test_scroll_hint_is_hidden_where_the_table_fits(page, live_site):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_site.url + "/kommuner/")
    region = page.get_by_role("region", name="4 kommuner")
    assert region.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert not page.get_by_text("Svep eller rulla i sidled för att se alla kolumner.").is_visible()


def test_stacked_table_on_a_phone_keeps_its_table_semantics(page, live_site):
    page.set_viewport_size(PHONE)
    page.goto(live_site.url + "/samverkan/")
    assert page.locator("tbody tr").first.evaluate("el => getComputedStyle(el).display") == "block"
    cdp = page.context.new_cdp_session(page)
    nodes = [n for n in cdp.send("Accessibility.getFullAXTree")["nodes"] if not n.get("ignored")]
    roles = {(n["role"]["value"], n.get("name", {}).get("value", "")) for n in nodes}
    assert ("table", "3 samarbeten") in roles
    assert ("columnheader", "Status") in roles
    assert ("rowheader", "Nätverket mellan upphandlarna i Sydnärke") in roles
    # The visible "Status: " label is for the eye; a screen reader hears the header instead.
    assert ("cell", "Verksam") in roles


def test_skip_link_is_first_and_moves_focus_to_the_content(page, live_site):
    page.goto(live_site.url + "/samverkan/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Hoppa till innehållet"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top >= 0")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innehall"


def test_filter_form_works_with_the_keyboard_and_without_javascript(browser, live_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_site.url + "/samverkan/")
    assert not page.locator("#id_legally_binding").is_visible()
    page.get_by_text("Filtrera och sortera").press("Enter")
    page.select_option("#id_legally_binding", "1")
    page.get_by_role("button", name="Visa").press("Enter")
    page.wait_for_url("**legally_binding=1**")
    rows = page.locator("tbody tr th").all_inner_texts()
    context.close()
    assert rows == ["Avtalssamverkan om upphandling mellan Hallsberg, Laxå och Lekeberg"]


def test_source_link_lands_on_the_highlighted_passage(page, live_site):
    page.goto(live_site.url + "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/")
    page.locator("#part-laxa a.source-link").first.click()
    page.wait_for_load_state()
    anchor = page.evaluate("location.hash")
    assert anchor == "#citat-avtal-ingatt-laxa"
    marked = page.evaluate("document.querySelector(location.hash).textContent")
    assert marked.startswith("ett avtal som har ingåtts mellan Hallsberg, Laxå och Lekeberg")
    assert page.locator(anchor).evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }"
    )


def test_language_switch_keeps_the_page_and_changes_number_format(page, live_site):
    page.goto(live_site.url + "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/")
    figures = page.locator("#finansiering-avsnitt .timeline strong").all_inner_texts()
    # Oldest first: the original agreement's 0,3, then the new post's shares.
    assert figures == ["Lekeberg: 0,3", "Laxå: 0,5", "Lekeberg: 0,5"]
    page.get_by_role("link", name="In English").click()
    page.wait_for_url("**/en/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/")
    assert page.evaluate("document.documentElement.lang") == "en"
    # Quoted passages stay Swedish ("0,3 av en upphandlingstjänst"); the figures do not.
    figures = page.locator("#finansiering-avsnitt .timeline strong").all_inner_texts()
    assert figures == ["Lekeberg: 0.3", "Laxå: 0.5", "Lekeberg: 0.5"]


SCREENSHOT_PAGES = {
    "home": "/",
    "cooperation": "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/",
    "municipality": "/kommuner/askersund/",
}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("name", SCREENSHOT_PAGES)
def test_screenshot_for_review(page, live_site, name, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_site.url + SCREENSHOT_PAGES[name])
    out = ARTIFACTS / "screenshots" / f"{name}-{width}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000
    assert settings.LANGUAGE_CODE == "sv"


@pytest.mark.parametrize("width", [1280, 375])
def test_a_name_without_spaces_does_not_widen_the_page(page, live_site, width):
    # The staff reviewer saved a 200-character name with no spaces: the breadcrumb made the
    # page 2,403 px wide at 1280.
    from agreements.models import Cooperation

    cooperation = Cooperation.objects.get(slug="natverk-upphandlare-sydnarke")
    cooperation.name = ("Upphandlingssamverkan" * 10)[:200]  # the longest a name may be
    cooperation.save()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_site.url + cooperation.get_absolute_url())
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
