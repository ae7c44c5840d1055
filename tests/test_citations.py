"""How source pages mark citations, and how pages link to them (tests/browser/test_citations.py
follows the links in a browser)."""

import itertools

from agreements.models.sources import passage_lanes


def test_overlapping_passages_never_share_a_lane():
    spans = [(0, 10), (5, 15), (12, 20), (2, 4), (14, 30)]
    lanes = passage_lanes(spans)
    for a, b in itertools.combinations(spans, 2):
        if a[0] < b[1] and b[0] < a[1]:
            assert lanes[a] != lanes[b], (a, b)


def test_citations_of_the_same_words_share_a_lane_and_lanes_are_reused():
    lanes = passage_lanes([(0, 10), (0, 10), (10, 20), (3, 8)])
    assert lanes == {(0, 10): 0, (3, 8): 1, (10, 20): 0}
