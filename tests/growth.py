"""Grow the seed with more of everything, tied to the seed's records, for query-count tests."""

from decimal import Decimal

from agreements.models import (
    Citation,
    Cooperation,
    County,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    SourceDocument,
    StaffingCommitment,
)

# A passage that occurs once in the seed source: a citation's quote must be unambiguous.
GROWTH_QUOTE = "Hallsberg utökade sitt redan befintliga avtal"


def grow(times: int) -> None:
    """Add `times` new municipalities, each with a cooperation, financing and a procurement."""
    county, _ = County.objects.get_or_create(code="99", defaults={"name": "Testlän"})
    agreement = Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")
    hallsberg = Municipality.objects.get(code="1861")
    askersund = Municipality.objects.get(code="1882")
    source = SourceDocument.objects.get()
    start = Municipality.objects.filter(county=county).count()
    for i in range(start, start + times):
        m = Municipality.objects.create(
            name=f"Testkommun {i}", slug=f"testkommun-{i}", code=f"99{i:02d}", county=county
        )
        party = Party.objects.create(cooperation=agreement, municipality=m, role="participant")
        coop = Cooperation.objects.create(
            name=f"Testsamverkan {i}",
            slug=f"testsamverkan-{i}",
            form="agreement",
            legally_binding=True,
            status="active",
            host=hallsberg,
            description="Gemensamma upphandlingar av livsmedel.",
        )
        Party.objects.create(cooperation=coop, municipality=hallsberg, role="host")
        Party.objects.create(cooperation=coop, municipality=m, role="participant")
        Party.objects.create(cooperation=coop, municipality=askersund, role="invited")
        coop_post = Post.objects.create(employer=hallsberg, slug=f"post-{i}", name=f"Tjänst {i}")
        first = StaffingCommitment.objects.create(
            cooperation=coop, post=coop_post, financer=m, fte=Decimal("0.20"), sequence=1
        )
        second = StaffingCommitment.objects.create(
            cooperation=coop,
            post=coop_post,
            financer=m,
            fte=Decimal("0.40"),
            sequence=2,
            supersedes=first,
        )
        # The seed's post is fully financed; each new party finances a share of a post of its own.
        agreement_post = Post.objects.create(
            employer=hallsberg, slug=f"avtalstjanst-{i}", name=f"Avtalstjänst {i}"
        )
        StaffingCommitment.objects.create(
            cooperation=agreement, post=agreement_post, financer=m, fte=Decimal("0.10")
        )
        objection = Objection.objects.create(cooperation=coop, position=1, argument="För dyrt.")
        procurement = PlannedProcurement.objects.create(
            title=f"Livsmedel {i}",
            slug=f"livsmedel-{i}",
            status="planned",
            procurement_year=2026,
            contract_start_year=2027,
            cooperation=coop,
        )
        ProcurementBuyer.objects.create(procurement=procurement, municipality=m, is_lead=True)
        ProcurementBuyer.objects.create(procurement=procurement, municipality=askersund)
        for key, target in [
            ("party", party),
            ("cooperation", coop),
            ("commitment", second),
            ("objection", objection),
            ("procurement", procurement),
        ]:
            Citation.objects.create(
                source=source, key=f"test-{key}-{i}", quote=GROWTH_QUOTE, **{key: target}
            )
