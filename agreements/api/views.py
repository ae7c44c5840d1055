from collections import defaultdict

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.response import Response

from .. import facts, opportunities
from ..filters import CooperationFilter, MunicipalityFilter, OpportunityFilter, ProcurementFilter
from ..models import (
    AgreementVersion,
    Citation,
    Claim,
    Cooperation,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    Proposal,
    SourceDocument,
    StaffingCommitment,
    attach_citations,
)
from . import ocds, serializers
from .rest import (
    LANGUAGE_PARAMETER,
    TOO_LONG,
    LanguageMixin,
    Pagination,
    absolute_url,
    check_whole_numbers,
    whole_number,
)


def in_any_language(description):
    """An endpoint's description, and the `lang` parameter, for the OpenAPI document. The
    description is in Swedish and translated like the pages' text: the document comes in the
    language asked for (`/api/v1/schema/?lang=en`), and /oppna-data/ shows it in the page's."""
    return extend_schema_view(
        list=extend_schema(parameters=[LANGUAGE_PARAMETER], description=description),
        retrieve=extend_schema(parameters=[LANGUAGE_PARAMETER], description=description),
    )


class CitedViewSet(LanguageMixin, viewsets.ReadOnlyModelViewSet):
    """A list or record whose facts carry their sources: `cite` attaches, in a fixed number of
    queries per page, the citations that `as_of` and `provenance` read."""

    def cite(self, records):
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        self.cite(rows)
        serializer = self.get_serializer(rows, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        self.cite([record])
        return Response(self.get_serializer(record).data)


@in_any_language(
    _(
        "Kommuner: hur många samverkan var och en är bunden av (genom beslut eller avtal), hur "
        "många den bara nämns i och vad den betalar för tjänster enligt källorna. Den enskilda "
        "kommunen har också sin relation till varje samverkan, med nivå, och sina påståenden."
    )
)
class MunicipalityViewSet(CitedViewSet):
    # A unique tie-breaker keeps pages stable.
    queryset = Municipality.objects.public().order_by("name", "pk")
    filterset_class = MunicipalityFilter
    lookup_field = "slug"

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.MunicipalityDetailSerializer
        return serializers.MunicipalitySerializer

    def cite(self, records):
        if self.action == "retrieve":
            cite_municipality_details(records)
        else:
            # The list says only as of when: 2,100 citations built for a page of 100
            # municipalities at national scale were most of its time.
            facts.attach_as_of(records)


PARTY_FIELDS = [field.name for field in Party._meta.concrete_fields]


def cite_municipality_details(municipalities):
    """What the detail serializer reads, for any number of municipalities in a fixed number of
    queries: as of when each one's facts hold, and its relations and claims with their
    citations.

    Only the relations' and claims' citations are built: as of when comes from the sources'
    dates alone (`facts.attach_as_of`). Building every citation about a municipality's record
    (its procurements' too) was most of the change feed's time at national scale.
    """
    facts.attach_as_of(municipalities)
    relations, claims = defaultdict(list), defaultdict(list)
    by_pk = {municipality.pk: municipality for municipality in municipalities}
    # A relation names its cooperation by slug and name only; its municipality is the one
    # asked about. At national scale a page of the change feed holds hundreds of relations,
    # and building each one's whole cooperation and municipality again was most of its time.
    for party in (
        Party.objects.filter(municipality__in=municipalities)
        .select_related("cooperation")
        .only(*PARTY_FIELDS, "cooperation__slug", "cooperation__name")
        .order_by("cooperation__name", "pk")
    ):
        party.municipality = by_pk[party.municipality_id]
        relations[party.municipality_id].append(party)
    for claim in (
        Claim.objects.filter(made_by__in=municipalities).select_related("made_by").order_by("slug")
    ):
        claims[claim.made_by_id].append(claim)
    posts = defaultdict(list)
    for post in Post.objects.filter(employer_id__in=by_pk).order_by("name", "pk"):
        post.employer = by_pk[post.employer_id]
        posts[post.employer_id].append(post)
    for municipality in municipalities:
        municipality.listed_relations = relations[municipality.pk]
        municipality.listed_claims = claims[municipality.pk]
        municipality.listed_posts = posts[municipality.pk]
    parties = [p for rows in relations.values() for p in rows]
    made = [c for rows in claims.values() for c in rows]
    employed = [p for rows in posts.values() for p in rows]
    citations = (
        Citation.objects.for_display().filter(
            Q(party__in=parties) | Q(claim__in=made) | Q(post__in=employed)
        )
        if parties or made or employed
        else []
    )
    attach_citations(list(citations), party=parties, claim=made, post=employed)


@in_any_language(
    _(
        "Samverkan: parterna (bundna genom beslut eller avtal) skilda från de andra kommuner som "
        "källorna nämner, var och en med sin nivå. Den enskilda samverkan har också avtalets "
        "versioner i ordning, förslag, bemanningens historik och invändningar med vem som "
        "framför dem."
    )
)
class CooperationViewSet(CitedViewSet):
    filterset_class = CooperationFilter
    lookup_field = "slug"

    def get_queryset(self):
        if self.action != "retrieve":
            return Cooperation.objects.public().order_by("name", "pk")
        return cooperation_details()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.CooperationDetailSerializer
        return serializers.CooperationSerializer

    def cite(self, records):
        cite_cooperations(records, details=self.action == "retrieve")


def cooperation_details():
    """Cooperations with everything the detail serializer shows, prefetched."""
    return (
        Cooperation.objects.public()
        .select_related("record_keeper")
        .prefetch_related(
            Prefetch(
                "commitments",
                # Provenance writes out the version and the replaced commitment in words.
                queryset=StaffingCommitment.objects.history().select_related(
                    "agreement_version__cooperation",
                    "supersedes__financer",
                    "supersedes__post__employer",
                ),
            ),
            Prefetch("objections", queryset=Objection.objects.select_related("raised_by")),
            Prefetch("led_to", queryset=Cooperation.objects.order_by("name")),
            Prefetch("arose_from", queryset=Cooperation.objects.order_by("name")),
            Prefetch(
                "prompted_versions",
                queryset=AgreementVersion.objects.select_related("cooperation"),
            ),
            Prefetch("proposals_made", queryset=Proposal.objects.select_related("cooperation")),
            Prefetch(
                "versions",
                queryset=AgreementVersion.objects.select_related("prompted_by").order_by(
                    "sequence"
                ),
            ),
            Prefetch(
                "proposals",
                queryset=Proposal.objects.select_related("proposed_in")
                .prefetch_related(
                    Prefetch("municipalities", queryset=Municipality.objects.order_by("name"))
                )
                .order_by("position"),
            ),
        )
    )


def cite_cooperations(cooperations, details=False):
    """Attach the citations the (detail) serializer reads, for any number of cooperations."""
    citations = facts.cite_records(cooperations)
    rows = {"party": [p for c in cooperations for p in c.parties.all()]}
    if details:
        commitments = [x for c in cooperations for x in c.commitments.all()]
        posts = [x.post for x in commitments]
        # A post's own facts (whose post it is) are cited on the post, not on the cooperation:
        # one query for all of them.
        citations = [
            *citations,
            *Citation.objects.for_display().filter(post_id__in={p.pk for p in posts}),
        ]
        rows |= {
            "commitment": commitments,
            "post": posts,
            "objection": [x for c in cooperations for x in c.objections.all()],
            "agreement_version": [x for c in cooperations for x in c.versions.all()],
            "proposal": [x for c in cooperations for x in c.proposals.all()],
        }
    attach_citations(citations, **rows)


@in_any_language(
    _(
        "Planerade upphandlingar, hur långt var och en har kommit (ett mål, en plan, ett beslut, "
        "en annonserad upphandling) och deras köpare. Flera köpare gör upphandlingen gemensam; "
        "en enda köpare säger inget om saken (joint är då null om ingen källa säger något)."
    )
)
class ProcurementViewSet(CitedViewSet):
    queryset = PlannedProcurement.objects.public().order_by("procurement_year", "title", "pk")
    serializer_class = serializers.ProcurementSerializer
    filterset_class = ProcurementFilter
    lookup_field = "slug"

    def cite(self, records):
        facts.cite_records(records)


@in_any_language(_("Källdokument; det enskilda dokumentet har också hela texten."))
class SourceViewSet(LanguageMixin, viewsets.ReadOnlyModelViewSet):
    queryset = SourceDocument.objects.select_related("issuing_municipality").order_by("title")
    lookup_field = "slug"

    def get_queryset(self):
        queryset = super().get_queryset()
        # Only the detail carries the full text; the list need not fetch every document's.
        return queryset if self.action == "retrieve" else queryset.defer("text")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.SourceDetailSerializer
        return serializers.SourceSerializer


class CitationFilter(filters.FilterSet):
    source = filters.CharFilter(field_name="source__slug", label=_("Källans kortnamn"))

    class Meta:
        model = Citation
        fields = []


@in_any_language(_("Ordagranna citat ur källorna och den post som vart och ett stöder."))
class CitationViewSet(LanguageMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Citation.objects.with_targets().order_by("source__slug", "key")
    serializer_class = serializers.CitationSerializer
    filterset_class = CitationFilter
    # Keys are unique within a source, so a citation is addressed as "<source>.<key>".
    lookup_field = "key"
    lookup_value_regex = r"[a-z0-9-]+\.[a-z0-9-]+"

    def get_object(self):
        source, key = self.kwargs["key"].split(".", 1)
        return get_object_or_404(self.get_queryset(), source__slug=source, key=key)


class OcdsPagination(Pagination):
    page_size = 100


OCDS_DESCRIPTION = _(
    "Planerade upphandlingar som ett releasepaket enligt OCDS 1.1, med samma filter som "
    "listan.\n\n"
    "tender.status och releasens tagg följer hur långt avsikten har kommit: target (ett mål "
    "eller en ambition) -> planning; planned och decided -> planned; advertised -> active "
    "(taggen tender); awarded -> complete (taggen tenderUpdate); cancelled -> cancelled "
    "(taggen tenderCancellation). Flera köpare gör upphandlingen gemensam: var och en är en "
    "part med rollen buyer, och den samordnande är också procuringEntity. En part har en "
    "identifierare bara när registret har dess organisationsnummer (schemat SE-ON från "
    "org-id.guide); annars ingen, och dess id ”kommun-<kommunkod>” gäller bara inom paketet. "
    "planning.rationale anger status, åren så som källan anger dem (med registrets läsning när "
    "ett år är tolkat) och när uppgifterna gäller. Texterna är på svenska."
)


class OcdsReleasePackageView(ListAPIView):
    """Planned procurements as an OCDS 1.1 release package (OCDS_DESCRIPTION tells how)."""

    queryset = PlannedProcurement.objects.public().order_by("procurement_year", "title", "pk")
    filterset_class = ProcurementFilter
    pagination_class = OcdsPagination

    @extend_schema(
        operation_id="ocds_releases_list",
        description=OCDS_DESCRIPTION,
        responses={200: OpenApiTypes.OBJECT},
        # The release package is a list: the procurement filters and the pages apply.
        filters=True,
        parameters=[
            OpenApiParameter(name, int, description=description)
            for name, description in [
                ("page", _("Sidnummer, från 1.")),
                ("page_size", _("Releaser per sida (100 om inget anges).")),
            ]
        ],
    )
    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        facts.cite_records(page)
        return Response(
            ocds.release_package(
                page,
                request,
                next_url=self.paginator.get_next_link(),
                previous_url=self.paginator.get_previous_link(),
            )
        )


OPPORTUNITY_DESCRIPTION = _(
    "Kan upphandlas gemensamt: en kommuns upphandling bredvid en annan kommuns, i samma "
    "CPV-kategori (de fem första siffrorna i CPV-koden), samma år eller med ett års "
    "mellanrum, där kommunerna ligger i samma län eller båda är parter (genom beslut eller "
    "avtal) i en verksam samverkan. Samma lista som sidan /mojligheter/, med samma filter och "
    "i samma ordning: de närmaste åren först, varje upphandlings matchningar starkast först. "
    "Sidorna räknas inte (det kan finnas miljontals par): följ next."
)


class OpportunityView(LanguageMixin, GenericAPIView):
    """The joint-buying finder's list (agreements.opportunities), paged by number.

    A GenericAPIView, not a ListAPIView: the answer is one page object, not an array."""

    queryset = PlannedProcurement.objects.none()
    filterset_class = OpportunityFilter
    serializer_class = serializers.OpportunitySerializer
    pagination_class = None

    @extend_schema(
        operation_id="opportunities_list",
        description=OPPORTUNITY_DESCRIPTION,
        filters=True,
        parameters=[
            LANGUAGE_PARAMETER,
            OpenApiParameter("page", int, description=_("Sidnummer, från 1.")),
            OpenApiParameter("page_size", int, description=Pagination.page_size_query_description),
        ],
        responses={200: serializers.OpportunityPageSerializer},
    )
    def get(self, request, *args, **kwargs):
        # Refuses unknown, repeated, empty and invalid parameters (400), as every list does.
        self.filter_queryset(self.get_queryset())
        filterset = OpportunityFilter(request.query_params, queryset=self.get_queryset())
        filterset.is_valid()
        page, size = _page_numbers(request)
        result = opportunities.listing(filterset.finder_filters(), page, size)
        if not result.matches and page > 1:
            raise NotFound()
        return Response(
            {
                "next": _page_link(request, page + 1) if result.has_next else None,
                "previous": _page_link(request, page - 1) if page > 1 else None,
                "results": serializers.OpportunitySerializer(result.matches, many=True).data,
            }
        )


def _page_numbers(request):
    # The other lists' check and messages ("Ange ett heltal från 1 till 500."), so that a bad
    # page or page size is answered alike on every list.
    check_whole_numbers(request, Pagination.bounds)
    page = request.query_params.get("page")
    size = request.query_params.get("page_size")
    page = whole_number(page) if page else 1
    if page >= TOO_LONG:
        raise NotFound()  # no list has that many pages: not worth a query to find out
    return page, whole_number(size) if size else Pagination.page_size


def _page_link(request, page):
    query = request.query_params.copy()
    query["page"] = str(page)
    return absolute_url(f"{request.path}?{query.urlencode()}")
