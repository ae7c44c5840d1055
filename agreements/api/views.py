from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from .. import facts
from ..filters import CooperationFilter, MunicipalityFilter, ProcurementFilter
from ..models import (
    AgreementVersion,
    Citation,
    Claim,
    Cooperation,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Proposal,
    SourceDocument,
    StaffingCommitment,
    attach_citations,
)
from . import ocds, serializers
from .rest import LANGUAGE_PARAMETER, LanguageMixin, Pagination

IN_ANY_LANGUAGE = extend_schema_view(
    list=extend_schema(parameters=[LANGUAGE_PARAMETER]),
    retrieve=extend_schema(parameters=[LANGUAGE_PARAMETER]),
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


@IN_ANY_LANGUAGE
class MunicipalityViewSet(CitedViewSet):
    """Municipalities: how many cooperations each is bound to (a decision or an agreement),
    how many it is only named in, and what it pays for posts as far as the sources say. The
    detail adds its relation to every cooperation, with the level, and its claims."""

    # A unique tie-breaker keeps pages stable.
    queryset = Municipality.objects.public().order_by("name", "pk")
    filterset_class = MunicipalityFilter
    lookup_field = "slug"

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.MunicipalityDetailSerializer
        return serializers.MunicipalitySerializer

    def cite(self, records):
        citations = facts.cite_records(records)
        if self.action != "retrieve":
            return
        [municipality] = records
        municipality.listed_relations = list(
            Party.objects.filter(municipality=municipality)
            .select_related("cooperation", "municipality")
            .order_by("cooperation__name", "pk")
        )
        municipality.listed_claims = list(
            Claim.objects.filter(made_by=municipality).select_related("made_by").order_by("slug")
        )
        attach_citations(
            citations, party=municipality.listed_relations, claim=municipality.listed_claims
        )


@IN_ANY_LANGUAGE
class CooperationViewSet(CitedViewSet):
    """Cooperations: the parties (bound by a decision or an agreement) apart from the other
    municipalities the sources name, each with its level. The detail adds the agreement's
    versions in order, proposals, the staffing history and objections with who reports them."""

    filterset_class = CooperationFilter
    lookup_field = "slug"

    def get_queryset(self):
        listed = Cooperation.objects.public()
        if self.action != "retrieve":
            return listed.order_by("name", "pk")
        return listed.select_related("record_keeper").prefetch_related(
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

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.CooperationDetailSerializer
        return serializers.CooperationSerializer

    def cite(self, records):
        citations = facts.cite_records(records)
        rows = {"party": [p for c in records for p in c.parties.all()]}
        if self.action == "retrieve":
            [cooperation] = records
            rows |= {
                "commitment": list(cooperation.commitments.all()),
                "objection": list(cooperation.objections.all()),
                "agreement_version": list(cooperation.versions.all()),
                "proposal": list(cooperation.proposals.all()),
            }
        attach_citations(citations, **rows)


@IN_ANY_LANGUAGE
class ProcurementViewSet(CitedViewSet):
    """Planned procurements with how far each has come (a target, a plan, a decision, an
    advertised tender) and their buyers; several buyers make a joint procurement, one buyer
    alone says nothing about it (joint is then null unless a source says)."""

    queryset = PlannedProcurement.objects.public().order_by("procurement_year", "title", "pk")
    serializer_class = serializers.ProcurementSerializer
    filterset_class = ProcurementFilter
    lookup_field = "slug"

    def cite(self, records):
        facts.cite_records(records)


@IN_ANY_LANGUAGE
class SourceViewSet(LanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Source documents; the detail includes the full text."""

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
    source = filters.CharFilter(field_name="source__slug", label="Source slug")

    class Meta:
        model = Citation
        fields = []


@IN_ANY_LANGUAGE
class CitationViewSet(LanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Verbatim passages and the record each supports."""

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


class OcdsReleasePackageView(ListAPIView):
    """Planned procurements as an OCDS 1.1 release package, filterable like the list.

    tender.status and the release tag follow how far the intent has come: target (a target or
    ambition) -> planning; planned and decided -> planned; advertised -> active (tag tender);
    awarded -> complete (tag tenderUpdate); cancelled -> cancelled (tag tenderCancellation).
    Several buyers make a joint procurement: each is a party with the buyer role and the
    coordinating one is also the procuringEntity. A party has an identifier only when the
    registry holds its organisationsnummer (scheme SE-ON from org-id.guide); otherwise none,
    and its id "kommun-<municipality code>" is local to the package. planning.rationale says
    the status, the years as the source gives them (with the registry's reading when a year is
    interpreted) and as of when the facts hold. Texts are in Swedish.
    """

    queryset = PlannedProcurement.objects.public().order_by("procurement_year", "title", "pk")
    filterset_class = ProcurementFilter
    pagination_class = OcdsPagination

    @extend_schema(
        operation_id="ocds_releases_list",
        responses={200: OpenApiTypes.OBJECT},
        # The release package is a list: the procurement filters and the pages apply.
        filters=True,
        parameters=[
            OpenApiParameter(name, int, description=description)
            for name, description in [
                ("page", "A page number."),
                ("page_size", "Releases per page (100 unless given)."),
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
