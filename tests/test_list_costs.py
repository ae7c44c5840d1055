"""What an uncached list builds: each citation once, and only the citations the page shows.

At national scale building model instances was most of a list's Python time (issue 12 §3):
a page of municipalities built a citation once per path and buyer that led to it, and the
cooperation list built every citation under its rows to mark only the rows' own values.
"""

import datetime

import pytest
from django.db.models.signals import post_init

from agreements.models import Citation, Municipality, ProcurementBuyer, SourceDocument


@pytest.fixture
def built_citations():
    built = []

    def count(sender, instance, **kwargs):
        built.append(instance.pk)

    post_init.connect(count, sender=Citation)
    yield built
    post_init.disconnect(count, sender=Citation)


@pytest.fixture
def jointly_bought(seed):
    """A cited procurement bought by every municipality on the first page of the lists."""
    procurement = Citation.objects.filter(procurement__isnull=False).first().procurement
    lead = procurement.buyers.first()
    lead.is_lead = True  # a joint procurement has exactly one
    lead.save()
    for municipality in Municipality.objects.public().order_by("name", "pk")[:20]:
        if municipality != lead.municipality:
            ProcurementBuyer.objects.create(procurement=procurement, municipality=municipality)
    return procurement


def test_the_municipality_list_builds_no_citations(jointly_bought, client, built_citations):
    """It says only as of when each row holds: the sources' dates, not the passages."""
    response = client.get("/api/v1/municipalities/")
    assert response.status_code == 200
    assert any(row["as_of_sources"] for row in response.json()["results"])
    assert built_citations == []


def test_the_municipality_list_and_detail_agree_on_as_of(jointly_bought, client):
    # A second, older source about a municipality the first already cites: both are named,
    # in the same order by the list as by the detail.
    cited = Citation.objects.filter(municipality__isnull=False).first().municipality
    older = SourceDocument.objects.create(
        slug="aldre-protokoll",
        title="Ett äldre protokoll",
        kind="other",
        date=datetime.date(2020, 1, 1),
        text=f"{cited.name} deltar i nätverket.",
    )
    Citation.objects.create(
        source=older, key="deltar", quote="deltar i nätverket", municipality=cited
    )
    listed = client.get("/api/v1/municipalities/?page_size=100").json()["results"]
    (row,) = [row for row in listed if row["slug"] == cited.slug]
    # By title, as every other record names its sources.
    assert row["as_of_sources"][0] == "aldre-protokoll"
    assert len(row["as_of_sources"]) == 2
    for row in listed:
        detail = client.get(row["url"]).json()
        for field in ("as_of", "as_of_text", "as_of_sources"):
            assert row[field] == detail[field], (row["slug"], field)


@pytest.mark.parametrize("path", ["/kommuner/?format=csv"])
def test_a_list_builds_each_citation_once(jointly_bought, client, built_citations, path):
    response = client.get(path)
    assert response.status_code == 200
    response.getvalue()  # a CSV is written while it streams
    assert built_citations, "the seed's first page cites something"
    twice = sorted({pk for pk in built_citations if built_citations.count(pk) > 1})
    assert not twice, f"citations built more than once: {twice}"


def test_cooperation_list_builds_only_the_rows_own_citations(seed, client, built_citations):
    response = client.get("/samverkan/")
    assert response.status_code == 200
    shown = {c.pk for c in response.context["cooperation_list"]}
    built = Citation.objects.filter(pk__in=built_citations)
    assert built.exists(), "the rows' values are cited in the seed"
    assert set(built.values_list("cooperation_id", flat=True)) <= shown


def test_each_buyer_rests_on_the_procurements_source(jointly_bought, client):
    source = Citation.objects.filter(procurement=jointly_bought).first().source.slug
    buyers = set(jointly_bought.buyers.values_list("municipality__slug", flat=True))
    listed = client.get("/api/v1/municipalities/").json()["results"]
    resting = {m["slug"] for m in listed if source in m["as_of_sources"]}
    on_page = buyers & {m["slug"] for m in listed}
    assert len(on_page) > 1
    assert on_page <= resting
