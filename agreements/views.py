from django.db.models import Prefetch
from django.shortcuts import render
from django.views.generic import DetailView, ListView

from .models import (
    Citation,
    Cooperation,
    Municipality,
    Party,
    PlannedProcurement,
    ProcurementBuyer,
    SourceDocument,
    StaffingCommitment,
)


def home(request):
    return render(
        request,
        "agreements/home.html",
        {
            "municipality_count": Municipality.objects.count(),
            "cooperations": Cooperation.objects.public()[:10],
        },
    )


class MunicipalityList(ListView):
    queryset = Municipality.objects.public()
    paginate_by = 50


class MunicipalityDetail(DetailView):
    queryset = Municipality.objects.public().prefetch_related(
        Prefetch("parties", queryset=Party.objects.select_related("cooperation")),
        Prefetch("financed_commitments", queryset=StaffingCommitment.objects.history()),
        Prefetch(
            "procurement_roles", queryset=ProcurementBuyer.objects.select_related("procurement")
        ),
    )


class CooperationList(ListView):
    queryset = Cooperation.objects.public()
    paginate_by = 50


class CooperationDetail(DetailView):
    queryset = Cooperation.objects.with_details().prefetch_related(
        Prefetch("citations", queryset=Citation.objects.for_display())
    )


class ProcurementList(ListView):
    queryset = PlannedProcurement.objects.prefetch_related("buyers__municipality")
    paginate_by = 50


class ProcurementDetail(DetailView):
    queryset = PlannedProcurement.objects.prefetch_related(
        "buyers__municipality", Prefetch("citations", queryset=Citation.objects.for_display())
    )


class SourceList(ListView):
    queryset = SourceDocument.objects.select_related("issuing_municipality")


class SourceDetail(DetailView):
    queryset = SourceDocument.objects.select_related("issuing_municipality").prefetch_related(
        "citations", "answered_interpellations__questions"
    )
