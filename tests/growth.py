"""Grow the seed with more of everything, tied to the seed's records, for query-count tests.

Each round adds rows of every kind the outputs show, at every level of the ladder, so that a
query per row anywhere (a party's level, a version, a proposal's municipalities, a claim's
speaker, a citation's interpretation, an unknown share) shows up as a growing count.
"""

from decimal import Decimal

from django.db.models import Max

from agreements.models import (
    AgreementVersion,
    Citation,
    Claim,
    Cooperation,
    County,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    Proposal,
    SourceDocument,
    StaffingCommitment,
)

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
NETWORK = "natverk-upphandlare-sydnarke"
# A passage that occurs once in the seed source: a citation's quote must be unambiguous.
GROWTH_QUOTE = "Hallsberg utökade sitt redan befintliga avtal"
STATUSES = [s.value for s in PlannedProcurement.Status]


def _next(queryset, field):
    return (queryset.aggregate(m=Max(field))["m"] or 0) + 1


def grow(times: int) -> None:
    """Add `times` new municipalities, each with cooperations, financing and a procurement."""
    county, _ = County.objects.get_or_create(code="99", defaults={"name": "Testlän"})
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    network = Cooperation.objects.get(slug=NETWORK)
    hallsberg = Municipality.objects.get(code="1861")
    askersund = Municipality.objects.get(code="1882")
    source = SourceDocument.objects.get()
    start = Municipality.objects.filter(county=county).count()
    for i in range(start, start + times):
        m = Municipality.objects.create(
            name=f"Testkommun {i}",
            slug=f"testkommun-{i}",
            code=f"99{i:02d}",
            county=county,
            organisation_number=f"212000-{i:04d}" if i % 2 else "",
        )
        # The seed's agreement gains a party by a new version, as Laxå joined it.
        version = AgreementVersion.objects.create(
            cooperation=agreement,
            sequence=_next(agreement.versions, "sequence"),
            kind="accession",
            summary=f"Testkommun {i} ansluter.",
        )
        party = Party.objects.create(
            cooperation=agreement, municipality=m, level="agreement", role="participant"
        )
        # A cooperation of its own: hosted by Hallsberg, bound by a decision, Askersund invited.
        coop = Cooperation.objects.create(
            name=f"Testsamverkan {i}",
            slug=f"testsamverkan-{i}",
            form="agreement",
            legally_binding=True if i % 2 else None,
            status="active",
            description="Gemensamma upphandlingar av livsmedel.",
        )
        # The host party makes has_host true and host Hallsberg (agreements/rules.py).
        Party.objects.create(
            cooperation=coop, municipality=hallsberg, level="agreement", role="host"
        )
        Party.objects.create(
            cooperation=coop,
            municipality=m,
            level="decision",
            role="participant",
            decision_body="Kommunfullmäktige",
            decision_reference=f"KS 2026/{i}",
        )
        Party.objects.create(
            cooperation=coop, municipality=askersund, level="mentioned", role="invited"
        )
        # ... and an oral ambition in the seed's network, as Askersund's.
        Party.objects.create(cooperation=network, municipality=m, level="ambition")
        coop_version = AgreementVersion.objects.create(
            cooperation=coop, sequence=1, kind="original", summary="Avtalet."
        )
        AgreementVersion.objects.create(
            cooperation=coop, sequence=2, kind="extension", summary="Utökat.", prompted_by=network
        )
        coop_post = Post.objects.create(employer=hallsberg, slug=f"post-{i}", name=f"Tjänst {i}")
        first = StaffingCommitment.objects.create(
            cooperation=coop,
            post=coop_post,
            financer=m,
            fte=Decimal("0.20"),
            sequence=1,
            agreement_version=coop_version,
        )
        second = StaffingCommitment.objects.create(
            cooperation=coop,
            post=coop_post,
            financer=m,
            fte=Decimal("0.40"),
            sequence=2,
            supersedes=first,
        )
        # The seed's post is fully financed; each new party finances a share of a post of its
        # own, of a size the source does not give.
        agreement_post = Post.objects.create(
            employer=hallsberg, slug=f"avtalstjanst-{i}", name=f"Avtalstjänst {i}"
        )
        StaffingCommitment.objects.create(
            cooperation=agreement,
            post=agreement_post,
            financer=m,
            fte=None if i % 2 else Decimal("0.10"),
            agreement_version=version,
        )
        objection = Objection.objects.create(
            cooperation=coop, position=1, raised_by=m, argument="För dyrt."
        )
        proposal = Proposal.objects.create(
            cooperation=network,
            position=_next(network.proposals, "position"),
            proposed_in=coop,
            summary="Fler träffar.",
        )
        proposal.municipalities.set([m, askersund])
        claim = Claim.objects.create(
            slug=f"pastaende-{i}",
            statement="Vi samarbetar om allt.",
            made_by=m,
            channel="Pressmeddelande",
            assessment="misleading",
        )
        procurement = PlannedProcurement.objects.create(
            title=f"Livsmedel {i}",
            slug=f"livsmedel-{i}",
            status=STATUSES[i % len(STATUSES)] if i else "planned",
            procurement_year=2026,
            contract_start_year=2027,
            cooperation=coop,
        )
        ProcurementBuyer.objects.create(procurement=procurement, municipality=m, is_lead=True)
        ProcurementBuyer.objects.create(procurement=procurement, municipality=askersund)
        for key, target, field_name in [
            ("municipality", m, ""),
            ("party", party, "level"),
            ("cooperation", coop, "legally_binding"),
            ("agreement_version", version, "kind"),
            ("commitment", second, "fte"),
            ("objection", objection, "argument"),
            ("proposal", proposal, "status"),
            ("claim", claim, "assessment"),
            ("post", agreement_post, "employer"),
            ("procurement", procurement, "status"),
        ]:
            Citation.objects.create(
                source=source,
                key=f"test-{key.replace('_', '-')}-{i}",
                quote=GROWTH_QUOTE,
                field_name=field_name,
                interpretation="Registrets tolkning." if i % 2 else "",
                **{key: target},
            )


def queries_that_grow(count, paths) -> dict[str, tuple[int, int]]:
    """The paths whose `count(path)` of queries changes when the data grows tenfold:
    {path: (before, after)}.

    Growing costs seconds; every path is counted on the same grown data, so a query per row
    anywhere names each page it reaches in one failure.
    """
    grow(4)
    before = {path: count(path) for path in paths}
    grow(36)
    after = {path: count(path) for path in paths}
    return {path: (before[path], after[path]) for path in paths if before[path] != after[path]}
