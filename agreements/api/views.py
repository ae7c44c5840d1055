from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from ..filters import CooperationFilter, MunicipalityFilter, ProcurementFilter
from ..models import (
    Citation,
    Cooperation,
    Municipality,
    PlannedProcurement,
    SourceDocument,
)
from . import ocds, serializers
from .rest import Pagination


class MunicipalityViewSet(viewsets.ReadOnlyModelViewSet):
    """Municipalities, with their cooperation count and current financed FTE."""

    # A unique tie-breaker keeps pages stable.
    queryset = Municipality.objects.public().order_by("name", "pk")
    serializer_class = serializers.MunicipalitySerializer
    filterset_class = MunicipalityFilter
    lookup_field = "slug"


class CooperationViewSet(viewsets.ReadOnlyModelViewSet):
    """Cooperations with their parties; the detail adds the staffing history and objections."""

    filterset_class = CooperationFilter
    lookup_field = "slug"

    def get_queryset(self):
        if self.action == "retrieve":
            return Cooperation.objects.with_details()
        return Cooperation.objects.public().order_by("name", "pk")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.CooperationDetailSerializer
        return serializers.CooperationSerializer


class ProcurementViewSet(viewsets.ReadOnlyModelViewSet):
    """Planned procurements with their buyers; several buyers make a joint procurement."""

    queryset = PlannedProcurement.objects.public().order_by("procurement_year", "title", "pk")
    serializer_class = serializers.ProcurementSerializer
    filterset_class = ProcurementFilter
    lookup_field = "slug"


class SourceViewSet(viewsets.ReadOnlyModelViewSet):
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


class CitationViewSet(viewsets.ReadOnlyModelViewSet):
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
    """Planned procurements as an OCDS 1.1 release package (planning stage), filterable."""

    queryset = PlannedProcurement.objects.public().order_by("procurement_year", "title", "pk")
    filterset_class = ProcurementFilter
    pagination_class = OcdsPagination

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return Response(
            ocds.release_package(
                page,
                request,
                next_url=self.paginator.get_next_link(),
                previous_url=self.paginator.get_previous_link(),
            )
        )
