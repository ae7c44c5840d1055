"""What the cooperation page's diagrams say, and that their text equivalents say the same.

How they are laid out (no overlap, nothing cut off) is tested in Chromium:
tests/browser/test_diagrams.py.
"""

import pytest
from bs4 import BeautifulSoup
from django.utils import translation

from agreements.models import Cooperation

from .diagram_cases import TWO_POSTS, build

pytestmark = pytest.mark.django_db

AGREEMENT = "/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/"


def _financing_svgs(html):
    soup = BeautifulSoup(html, "html.parser")
    return soup.select(".financing-diagrams svg")


def _history_svg(html):
    return BeautifulSoup(html, "html.parser").select_one('svg[aria-labelledby^="diagram-historik"]')


def _texts(svg):
    """Each text element's words, its wrapped lines joined as they were written."""
    texts = []
    for text in svg.find_all("text"):
        words = ""
        for line in text.find_all("tspan"):
            line = line.get_text()
            words += line if not words or words.endswith("-") else " " + line
        texts.append(words)
    return texts


@pytest.fixture
def two_posts(client):
    build()
    return client.get(f"/samverkan/{TWO_POSTS}/").content.decode()


def test_each_financed_post_has_a_diagram_of_its_own(two_posts):
    titles = [svg.title.get_text() for svg in _financing_svgs(two_posts)]
    assert titles == [
        "Vem finansierar ”Inköpssamordnare hos Köping”",
        "Vem finansierar ”Upphandlare hos värdkommunen för livsmedel och måltider”",
    ]


def test_each_diagram_points_at_the_post_s_own_employer_not_the_host(two_posts):
    koping, host = _financing_svgs(two_posts)
    assert _texts(koping)[-3:] == ["Köping", "arbetsgivare", "egen andel: okänd"]
    assert _texts(host)[-3:] == [
        "Västmanlands provkommun",
        "arbetsgivare, värdkommun (källa saknas)",
        "egen andel: 0,2",
    ]


def test_each_diagram_shows_only_the_financers_of_its_post(two_posts):
    koping, host = _financing_svgs(two_posts)
    # These crafted shares have no citations: each says so where it is drawn.
    assert _texts(koping)[:-3] == [
        "Arboga",
        "0,4 heltidstjänst (källa saknas)",
        "Köping",
        "0,4 heltidstjänst (källa saknas)",
        "Sala",
        "0,2 heltidstjänst (källa saknas)",
    ]
    assert _texts(host)[:-3] == [
        "Kungsör",
        "okänd andel",
        "Sala",
        "0,4 heltidstjänst (källa saknas)",
    ]


def test_the_text_equivalent_says_what_the_diagram_draws(two_posts):
    koping, host = _financing_svgs(two_posts)
    assert koping.desc.get_text() == (
        "Arboga finansierar 0,4 heltidstjänst hos Köping. "
        "Ingen källa i registret anger andelen. "
        "Köping finansierar 0,4 heltidstjänst hos Köping. "
        "Ingen källa i registret anger andelen. "
        "Sala finansierar 0,2 heltidstjänst hos Köping. "
        "Ingen källa i registret anger andelen. "
        "Hur mycket Köping själv betalar är okänt."
    )
    assert host.desc.get_text() == (
        "Kungsör finansierar en andel som källan inte anger av en tjänst hos "
        "Västmanlands provkommun. "
        "Sala finansierar 0,4 heltidstjänst hos Västmanlands provkommun. "
        "Ingen källa i registret anger andelen. "
        "Västmanlands provkommun betalar själv 0,2 heltidstjänst."
    )


def test_every_current_commitment_in_the_table_is_in_a_diagram(client):
    # The table and the diagrams are two outputs of the same commitments: they must agree.
    build()
    for cooperation in Cooperation.objects.filter(slug__in=["sex-finansiarer", TWO_POSTS]):
        html = client.get(cooperation.get_absolute_url()).content.decode()
        said = " ".join(svg.desc.get_text() for svg in _financing_svgs(html))
        current = [c for c in cooperation.commitments.all() if c.is_current]
        assert current
        for commitment in current:
            assert f"{commitment.financer.name} finansierar" in said
            assert f"hos {commitment.post.employer.name}." in said


def test_an_unknown_share_has_no_bar_and_says_unknown(two_posts):
    chart = _history_svg(two_posts)
    assert "okänd andel hos Västmanlands provkommun · senast kända" in _texts(chart)
    bars = [(rect["width"], rect["fill"]) for rect in chart.find_all("rect")]
    # Arboga's two shares, Köping's, Sala's two: Kungsör's unknown share draws nothing.
    assert len(bars) == 5
    assert (
        "Kungsör: okänd andel hos Västmanlands provkommun (senast kända)." in chart.desc.get_text()
    )


def test_a_moved_share_is_joined_to_the_share_it_replaced(two_posts):
    said = _history_svg(two_posts).desc.get_text()
    assert (
        "Arboga: 0,3 hos Västmanlands provkommun (ersatt, källa saknas) → 0,4 hos Köping "
        "(senast kända, källa saknas)." in said
    )


def test_shares_of_two_posts_at_once_are_not_drawn_as_a_change(two_posts):
    said = _history_svg(two_posts).desc.get_text()
    assert (
        "Sala: 0,2 hos Köping (senast kända, källa saknas); 0,4 hos Västmanlands provkommun "
        "(senast kända, källa saknas)." in said
    )


def test_the_seed_agreement_shows_lekeberg_going_from_0_3_to_0_5(seed, client):
    html = client.get(AGREEMENT).content.decode()
    chart = _history_svg(html)
    # Lekeberg's agreement "omfatta[r]" 0,3 and then 0,5; that Lekeberg pays them is the
    # registry's reading, as Laxå's 0,5 is ("ville ... finansiera 0,5"). See test_truth.py.
    assert chart.desc.get_text() == (
        "Lekeberg: 0,3 (ersatt, tolkning) → 0,5 (senast kända, tolkning). "
        "Laxå: 0,5 (senast kända, tolkning)."
    )
    assert _texts(chart)[3:] == [
        "Lekeberg",
        "0,3 · ersatt · tolkning",
        "0,5 · senast kända · tolkning",
        "Laxå",
        "0,5 · senast kända · tolkning",
    ]


def test_english_diagrams_write_shares_with_a_decimal_point(seed, client):
    with translation.override("en"):
        html = client.get("/en" + AGREEMENT).content.decode()
    (diagram,) = _financing_svgs(html)
    assert _texts(diagram) == [
        "Laxå",
        "0.5 full-time post (interpretation)",
        "Lekeberg",
        "0.5 full-time post (interpretation)",
        "Hallsberg",
        "employer, host municipality (interpretation)",
        "own share: unknown",
    ]
    assert (
        "Lekeberg: 0.3 (superseded, interpretation) → 0.5 (latest known, interpretation)."
        in _history_svg(html).desc.get_text()
    )
