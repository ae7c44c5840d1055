"""Public pages. Queries live in the models' QuerySets; views only choose and paginate."""

from django.conf import settings
from django.db.models import Sum
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView, TemplateView

from . import charts
from .filters import CooperationFilter, MunicipalityFilter, ProcurementFilter, describe_errors
from .models import (
    Citation,
    Claim,
    Cooperation,
    Municipality,
    PlannedProcurement,
    SourceDocument,
    StaffingCommitment,
    attach_citations,
)

PAGE_SIZE = 25


def home(request):
    return render(
        request,
        "agreements/home.html",
        {
            "municipality_count": Municipality.objects.count(),
            "active_cooperation_count": Cooperation.objects.active().count(),
            "current_fte": StaffingCommitment.objects.current().aggregate(total=Sum("fte"))[
                "total"
            ],
            "open_procurement_count": PlannedProcurement.objects.open().count(),
            "cooperations": Cooperation.objects.public().order_by("-pk")[:5],
            "procurements": PlannedProcurement.objects.public().order_by("-pk")[:5],
        },
    )


class FilteredListView(ListView):
    """A list with a django-filter form: invalid input answers 400 and says what was wrong."""

    filterset_class = None
    paginate_by = PAGE_SIZE
    title = ""

    def get(self, request, *args, **kwargs):
        self.filterset = self.filterset_class(
            request.GET or None, queryset=self.get_base_queryset(), request=request
        )
        if self.filterset.is_bound and not self.filterset.is_valid():
            self.object_list = self.get_base_queryset().none()
            context = self.get_context_data(filter_errors=describe_errors(self.filterset.form))
            return self.render_to_response(context, status=400)
        return super().get(request, *args, **kwargs)

    def get_base_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        queryset = self.filterset.qs
        if not queryset.ordered:
            # Django ignores Meta.ordering once counts add a GROUP BY; pages must stay stable.
            queryset = queryset.order_by(*queryset.model._meta.ordering, "pk")
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter=self.filterset, title=self.title, **kwargs)


class MunicipalityList(FilteredListView):
    filterset_class = MunicipalityFilter
    template_name = "agreements/municipality_list.html"
    title = _("Kommuner")

    def get_base_queryset(self):
        return Municipality.objects.public()


class MunicipalityDetail(DetailView):
    queryset = Municipality.objects.public()

    def get_context_data(self, **kwargs):
        municipality = self.object
        parties = list(municipality.parties.select_related("cooperation").order_by("cooperation"))
        financed = list(StaffingCommitment.objects.history().filter(financer=municipality))
        hosted = list(StaffingCommitment.objects.history().filter(post__employer=municipality))
        claims = list(Claim.objects.filter(made_by=municipality))
        procurements = list(
            PlannedProcurement.objects.public().filter(buyers__municipality=municipality)
        )
        citations = attach_citations(
            list(Citation.objects.about_municipality(municipality)),
            party=parties,
            commitment=financed + hosted,
            claim=claims,
            procurement=procurements,
        )
        return super().get_context_data(
            parties=parties,
            financed=financed,
            hosted=hosted,
            claims=claims,
            procurements=procurements,
            sources=_unique_sources(citations),
            **kwargs,
        )


class CooperationList(FilteredListView):
    filterset_class = CooperationFilter
    template_name = "agreements/cooperation_list.html"
    title = _("Samverkan")

    def get_base_queryset(self):
        return Cooperation.objects.public()


class CooperationDetail(DetailView):
    queryset = Cooperation.objects.with_details()

    def get_context_data(self, **kwargs):
        cooperation = self.object
        parties = list(cooperation.parties.all())
        history = list(cooperation.commitments.all())
        objections = list(cooperation.objections.all())
        citations = attach_citations(
            list(Citation.objects.about_cooperation(cooperation)),
            party=parties,
            commitment=history,
            objection=objections,
            cooperation=[cooperation],
        )
        current = [c for c in history if c.is_current]
        return super().get_context_data(
            parties=parties,
            history=history,
            objections=objections,
            citations=citations,
            current_commitments=current,
            current_total=sum((c.fte for c in current), start=0),
            diagram=charts.financing_diagram(cooperation, current),
            chart=charts.fte_chart(history),
            **kwargs,
        )


class ProcurementList(FilteredListView):
    filterset_class = ProcurementFilter
    template_name = "agreements/plannedprocurement_list.html"
    title = _("Planerade upphandlingar")

    def get_base_queryset(self):
        return PlannedProcurement.objects.public()


class ProcurementDetail(DetailView):
    queryset = PlannedProcurement.objects.public()

    def get_context_data(self, **kwargs):
        procurement = self.object
        citations = attach_citations(
            list(Citation.objects.for_display().filter(procurement=procurement)),
            procurement=[procurement],
        )
        return super().get_context_data(citations=citations, **kwargs)


class SourceList(ListView):
    queryset = SourceDocument.objects.select_related("issuing_municipality")
    paginate_by = PAGE_SIZE


def source_detail(request, slug):
    source = get_object_or_404(
        SourceDocument.objects.select_related("issuing_municipality"), slug=slug
    )
    citations = list(source.citations.all())
    interpellations = source.answered_interpellations.prefetch_related("questions")
    return render(
        request,
        "agreements/sourcedocument_detail.html",
        {
            "source": source,
            "passages": source.passages(citations),
            "citation_count": len(citations),
            "interpellations": interpellations,
        },
    )


class AccessibilityStatement(TemplateView):
    template_name = "pages/accessibility.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            registry_publisher=settings.REGISTRY_PUBLISHER,
            registry_contact_email=settings.REGISTRY_CONTACT_EMAIL,
            **kwargs,
        )


def _unique_sources(citations):
    seen = {}
    for citation in citations:
        seen.setdefault(citation.source_id, citation.source)
    return list(seen.values())
