"""The cooperation page's diagrams, drawn by Chromium for the shapes real cooperations take.

One financer to twelve, two posts at two employers, unknown shares, a share that moved to a
new post, and the longest municipality names (real and made up), in both languages, on a
desktop and a phone. Every text in a diagram is measured where Chromium put it: no two may
overlap, none may stick out of its picture (the SVG clips it), no picture may be wider than
the screen, and none may be scaled down below a legible size.
"""

import pytest

from ..diagram_cases import CASES, TWO_POSTS, build
from .conftest import ARTIFACTS, AXE_JS, nu_html_errors

pytestmark = pytest.mark.browser

SEED_AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
WIDTHS = [1280, 375]
LANGUAGES = ["sv", "en"]
# Text drawn smaller than this (font size times the picture's scale) is hard to read on a phone.
SMALLEST_LEGIBLE_PX = 11

MEASURE = """() => [...document.querySelectorAll('.diagram svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const rect = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  return {
    title: svg.querySelector('title').textContent,
    svg: rect(box),
    texts: [...svg.querySelectorAll('text')].map(t => ({
      text: t.textContent,
      box: rect(t.getBoundingClientRect()),
      px: parseFloat(getComputedStyle(t).fontSize) * scale,
    })),
  };
})"""

PAGES = [SEED_AGREEMENT, *CASES, TWO_POSTS]


@pytest.fixture(scope="module")
def drawn(browser, seeded_live_server):
    """Each cooperation page in each language and width: its diagrams' text boxes, measured.

    Screenshots of each page's financing section go to test-artifacts/diagrams/.
    """
    build()
    base = seeded_live_server.url
    shots = ARTIFACTS / "diagrams"
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    axe_source = AXE_JS.read_text(encoding="utf-8")
    html_dir = ARTIFACTS / "diagrams" / "html"
    html_dir.mkdir(parents=True, exist_ok=True)
    measured, checked = {}, {}
    for slug in PAGES:
        for language in LANGUAGES:
            path = ("/en" if language == "en" else "") + f"/samverkan/{slug}/"
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                response = page.goto(base + path)
                assert response.status == 200, path
                measured[slug, language, width] = {
                    "viewport": width,
                    "diagrams": page.evaluate(MEASURE),
                }
                page.locator("#finansiering-avsnitt").screenshot(
                    path=shots / f"{slug}-{language}-{width}.png"
                )
            page.add_script_tag(content=axe_source)
            # The financing section, less its table: the crawl (test_pages.py) checks whole
            # pages, and tables on phones are another part's (their scroll cue).
            violations = page.evaluate(
                "async () => (await axe.run({include: [['#finansiering-avsnitt']], exclude: "
                "[['.table-wrap']]}, {runOnly: {type: 'tag', values: "
                "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations.map(v => v.id)"
            )
            html_file = html_dir / f"{slug}-{language}.html"
            html_file.write_bytes(response.body())
            checked[path] = {"axe": violations, "file": html_file}
    context.close()
    return measured, checked


def _overlap(a, b, tolerance=0.5):
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return width > tolerance and height > tolerance


def _inside(inner, outer, tolerance=0.5):
    return (
        inner["left"] >= outer["left"] - tolerance
        and inner["top"] >= outer["top"] - tolerance
        and inner["right"] <= outer["right"] + tolerance
        and inner["bottom"] <= outer["bottom"] + tolerance
    )


RENDERINGS = [(s, lang, w) for s in PAGES for lang in LANGUAGES for w in WIDTHS]


def _ids(rendering):
    return "-".join(map(str, rendering))


@pytest.mark.parametrize("rendering", RENDERINGS, ids=_ids)
def test_no_two_texts_in_a_diagram_overlap(drawn, rendering):
    overlapping = [
        (d["title"], a["text"], b["text"])
        for d in drawn[0][rendering]["diagrams"]
        for i, a in enumerate(d["texts"])
        for b in d["texts"][i + 1 :]
        if _overlap(a["box"], b["box"])
    ]
    assert overlapping == []


@pytest.mark.parametrize("rendering", RENDERINGS, ids=_ids)
def test_no_text_sticks_out_of_its_diagram(drawn, rendering):
    clipped = [
        (d["title"], t["text"])
        for d in drawn[0][rendering]["diagrams"]
        for t in d["texts"]
        if not _inside(t["box"], d["svg"])
    ]
    assert clipped == []


@pytest.mark.parametrize("rendering", RENDERINGS, ids=_ids)
def test_no_diagram_is_wider_than_the_screen(drawn, rendering):
    shown = drawn[0][rendering]
    too_wide = [
        d["title"]
        for d in shown["diagrams"]
        if d["svg"]["left"] < 0 or d["svg"]["right"] > shown["viewport"]
    ]
    assert too_wide == []


@pytest.mark.parametrize("rendering", RENDERINGS, ids=_ids)
def test_no_diagram_is_shrunk_below_a_legible_text_size(drawn, rendering):
    tiny = [
        (d["title"], t["text"], round(t["px"], 1))
        for d in drawn[0][rendering]["diagrams"]
        for t in d["texts"]
        if t["px"] < SMALLEST_LEGIBLE_PX
    ]
    assert tiny == []


def test_every_case_draws_its_diagrams(drawn):
    # The checks above pass vacuously on a page without diagrams.
    counts = {key: len(shown["diagrams"]) for key, shown in drawn[0].items()}
    assert all(count >= 2 for count in counts.values()), counts


def test_diagrams_have_no_axe_violations(drawn):
    violations = {path: r["axe"] for path, r in drawn[1].items() if r["axe"]}
    assert violations == {}


def test_diagram_pages_are_valid_html(drawn):
    errors = nu_html_errors(r["file"] for r in drawn[1].values())
    assert [f"{file.rsplit('/', 1)[-1]}: {message}" for file, message in errors] == []
