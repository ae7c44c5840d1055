"""Every "källa" link on the seed's pages, followed in a real browser to the passage it cites.

The expected words come from the source document in seeds/, not from the fixture's quotes:
the highlight must be the document's own words, however the fixture spells them.
"""

from urllib.parse import unquote

import pytest

from agreements.documents import find_quote
from agreements.models import Citation, Cooperation, Municipality, PlannedProcurement
from agreements.models.sources import normalize_space, seed_path

from ..conftest import commit_database

pytestmark = pytest.mark.browser

# What a reader sees after landing, measured in the page: the target element, whether it is in
# view, the background of its words, that of a cited passage that was not landed on, and all
# the words of the document shown with the landed background, in order.
LANDING = """() => {
  const doc = document.querySelector('.document');
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (!doc || !target) return null;
  const background = node => {
    for (let e = node.parentElement; e && e !== doc; e = e.parentElement) {
      const colour = getComputedStyle(e).backgroundColor;
      if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour;
    }
    return null;
  };
  const landed = background(target.firstChild);
  // A cited passage the landed one cannot include: one before it, or else the document's last.
  const marks = [...doc.querySelectorAll('mark')];
  const other = marks.findIndex(m => m.contains(target)) > 0 ? marks[0] : marks.at(-1);
  const walker = document.createTreeWalker(doc, NodeFilter.SHOW_TEXT);
  let highlighted = '';
  for (let node; (node = walker.nextNode());) {
    if (landed && background(node) === landed) highlighted += node.data;
  }
  const box = target.getBoundingClientRect();
  return {
    in_view: box.top >= 0 && box.top < window.innerHeight && box.height > 0,
    target_text: target.textContent,
    landed, other: background(other.firstChild),
    highlighted,
  };
}"""


def _commit_the_seed(django_db_blocker):
    # A module fixture may first be asked for after an earlier test of this module has emptied
    # the database (tests run in random order): the seed must be there when the pages are read.
    with django_db_blocker.unblock():
        commit_database("seed")


def _pages():
    """The Swedish pages of every cooperation, municipality and procurement in the seed."""
    records = [
        *Cooperation.objects.public(),
        *Municipality.objects.public(),
        *PlannedProcurement.objects.public(),
    ]
    return [record.get_absolute_url() for record in records]


def _source_words(citation):
    """The passage as the source document in seeds/ has it, white space as one space."""
    text = seed_path(citation.source.file_name).read_text(encoding="utf-8")
    spans = find_quote(text, citation.quote)
    assert len(spans) == 1, citation.key
    start, end = spans[0]
    return normalize_space(text[start:end])


@pytest.fixture(scope="module")
def landings(browser, seeded_live_server, django_db_blocker):
    """{href: (citation, what the page showed)} for every citation link on the pages, followed.

    Each source page is loaded once; each link's passage is then reached from the top of the
    page by its address's fragment, as a reader's browser does on arriving from the link (the
    page is scrolled back to the top first, so a passage already in view cannot pass by chance).
    """
    _commit_the_seed(django_db_blocker)
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found = {}
    for path in _pages():
        page.goto(seeded_live_server.url + path)
        for href in page.eval_on_selector_all(
            "main a[href*='#citat-']", "links => links.map(a => a.getAttribute('href'))"
        ):
            found.setdefault(href, path)
    by_source = {}
    for href in found:
        source_path, anchor = href.split("#")
        by_source.setdefault(source_path, []).append((href, anchor))
    results = {}
    for source_path, links in by_source.items():
        page.goto(seeded_live_server.url + source_path)
        for href, anchor in links:
            page.evaluate(
                "(hash) => { location.hash = ''; window.scrollTo(0, 0); location.hash = hash; }",
                anchor,
            )
            citation = Citation.objects.select_related("source").get(
                source__slug=source_path.strip("/").split("/")[-1],
                key=unquote(anchor).removeprefix("citat-"),
            )
            results[href] = (citation, page.evaluate(LANDING))
    context.close()
    return results


def test_the_seed_pages_link_every_passage_the_seed_cites(landings):
    # Citations of the same words share one link, so passages are counted, not citations.
    reached = {(c.source_id, c.start, c.end) for c, _ in landings.values()}
    cited = set(Citation.objects.values_list("source_id", "start", "end"))
    assert cited - reached == set()


def test_every_citation_link_lands_on_its_anchor_in_view(landings):
    missed = [
        href for href, (_, shown) in landings.items() if shown is None or not shown["in_view"]
    ]
    assert missed == []


def test_the_landed_passage_stands_out_from_the_other_cited_passages(landings):
    alike = [
        href
        for href, (_, shown) in landings.items()
        if shown is None or shown["landed"] is None or shown["landed"] == shown["other"]
    ]
    assert alike == []


def test_the_landed_highlight_is_exactly_the_cited_words_of_the_source(landings):
    wrong = {
        citation.key: normalize_space(shown["highlighted"]) if shown else None
        for _, (citation, shown) in landings.items()
        if shown is None or normalize_space(shown["highlighted"]) != _source_words(citation)
    }
    assert wrong == {}


def test_the_anchor_holds_the_first_words_of_its_passage(landings):
    wrong = [
        citation.key
        for _, (citation, shown) in landings.items()
        if shown is None
        or not normalize_space(shown["target_text"])
        or not _source_words(citation).startswith(normalize_space(shown["target_text"]))
    ]
    assert wrong == []


def _passage_of(href):
    source_path, anchor = href.split("#")
    citation = Citation.objects.get(
        source__slug=source_path.strip("/").split("/")[-1], key=anchor.removeprefix("citat-")
    )
    return (citation.source_id, citation.start, citation.end)


@pytest.fixture(scope="module")
def source_links(browser, seeded_live_server, django_db_blocker):
    """{page: [[(accessible name, passage) of each link] of each fact's links]}.

    The names are the browser's own (its accessibility tree), not the markup's text.
    """
    _commit_the_seed(django_db_blocker)
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    found = {}
    for path in _pages():
        page.goto(seeded_live_server.url + path)
        found[path] = [
            [
                (link.aria_snapshot().split('"')[1], _passage_of(link.get_attribute("href")))
                for link in group.locator("a.source-link").all()
            ]
            for group in page.locator("main .source-links").all()
        ]
    context.close()
    return found


def test_source_links_to_different_passages_have_different_names(source_links):
    clashes = {}
    for path, groups in source_links.items():
        named = {}
        for name, passage in (link for group in groups for link in group):
            named.setdefault(name, set()).add(passage)
        clashes[path] = [name for name, passages in named.items() if len(passages) > 1]
    assert sum(len(groups) for groups in source_links.values()) > 30
    assert {path: names for path, names in clashes.items() if names} == {}


def test_every_source_link_names_its_passage(source_links):
    names = [name for groups in source_links.values() for group in groups for name, _ in group]
    assert [n for n in names if not (n.startswith("källa") and "”" in n)] == []


def test_a_fact_links_each_passage_it_cites_once(source_links):
    repeated = [
        (path, group)
        for path, groups in source_links.items()
        for group in groups
        if len({passage for _, passage in group}) < len(group)
    ]
    assert repeated == []
