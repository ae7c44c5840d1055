"""Cooperations shaped as the diagrams must handle, built through the ORM.

From one financer to twelve, the longest municipality names (real and made up), an unknown
share, and two posts at two employers with a share that moved between them. Used by the
diagram tests in the browser (tests/browser/test_diagrams.py) and on the server.
"""

from decimal import Decimal

from django.utils.text import slugify

# Real municipalities among the longest names, and made-up ones longer than any real one.
LONG_NAMES = [
    "Skinnskatteberg",
    "Upplands Väsby",
    "Östra Göinge",
    "Hallstahammar",
    "Upplands-Bro",
    "Malung-Sälen",
    "Staffanstorp",
    "Örnsköldsvik",
    "Valdemarsvik",
    "Östra Skinnskattebergs-Göinge",
    "Norra Upplands-Väsby och Hallstahammars landsbygd",
    "Ljusnarsberg",
]

# Each case: the financers' (name, share) of one post, or of several posts (see _build).
CASES = {
    "en-finansiar": [("Arboga", "0.5")],
    "tva-finansiarer": [("Arboga", "0.5"), ("Köping", "0.5")],
    "tre-finansiarer": [("Arboga", "0.3"), ("Köping", "0.3"), ("Kungsör", "0.3")],
    "sex-finansiarer": [
        ("Arboga", "0.15"),
        ("Köping", "0.15"),
        ("Kungsör", None),
        ("Fagersta", "0.15"),
        ("Norberg", "0.15"),
        ("Sala", "0.15"),
    ],
    "tolv-finansiarer-langa-namn": [(name, "0.08") for name in LONG_NAMES],
}
TWO_POSTS = "tva-tjanster-tva-arbetsgivare"


def _municipality(name, county):
    from agreements.models import Municipality

    existing = Municipality.objects.filter(name=name).first()
    if existing:
        return existing
    number = Municipality.objects.filter(county=county).count() + 1
    return Municipality.objects.create(
        name=name, slug=slugify(name), code=f"{county.code}{number:02d}", county=county
    )


def _cooperation(slug, host, members):
    from agreements.models import Cooperation, Party

    cooperation = Cooperation.objects.create(
        name=f"Diagramprov {slug}",
        slug=slug,
        form="agreement",
        legally_binding=True,
        status="active",
    )
    Party.objects.create(cooperation=cooperation, municipality=host, level="agreement", role="host")
    for member in members:
        if member != host:
            Party.objects.create(
                cooperation=cooperation, municipality=member, level="agreement", role="participant"
            )
    return cooperation


def build():
    """The cooperations, committed, so that the live server's thread sees them."""
    from agreements.models import County, Post, StaffingCommitment

    county, _ = County.objects.get_or_create(code="99", defaults={"name": "Provlän"})
    host = _municipality("Västmanlands provkommun", county)
    for slug, financers in CASES.items():
        members = [(_municipality(name, county), share) for name, share in financers]
        cooperation = _cooperation(slug, host, [m for m, _ in members])
        post = Post.objects.create(employer=host, slug=f"tjanst-{slug}", name=f"Upphandlare {slug}")
        for municipality, share in members:
            StaffingCommitment.objects.create(
                cooperation=cooperation,
                post=post,
                financer=municipality,
                fte=Decimal(share) if share else None,
            )
    # Two posts at two employers, only one of them the host; a share that moved from the
    # first post to the second; a financer paying for both posts at once; an unknown share.
    arboga, koping, kungsor, sala = (
        _municipality(name, county) for name in ("Arboga", "Köping", "Kungsör", "Sala")
    )
    cooperation = _cooperation(TWO_POSTS, host, [arboga, koping, kungsor, sala])
    first = Post.objects.create(
        employer=host,
        slug="tjanst-hos-vardkommunen",
        name="Upphandlare hos värdkommunen för livsmedel och måltider",
        employer_share=Decimal("0.2"),
    )
    second = Post.objects.create(
        employer=koping, slug="tjanst-hos-koping", name="Inköpssamordnare hos Köping"
    )
    moved = StaffingCommitment.objects.create(
        cooperation=cooperation, post=first, financer=arboga, fte=Decimal("0.3")
    )
    StaffingCommitment.objects.create(
        cooperation=cooperation, post=second, financer=arboga, fte=Decimal("0.4"), supersedes=moved
    )
    for post, financer, share in [
        (first, sala, "0.4"),
        (second, sala, "0.2"),
        (first, kungsor, None),
        (second, koping, "0.4"),
    ]:
        StaffingCommitment.objects.create(
            cooperation=cooperation,
            post=post,
            financer=financer,
            fte=Decimal(share) if share else None,
        )
