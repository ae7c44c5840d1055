from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import DefaultRouter

from . import changes, views
from .rest import APIRootView

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.APIRootView = APIRootView
router.register("municipalities", views.MunicipalityViewSet, basename="municipality")
router.register("cooperations", views.CooperationViewSet, basename="cooperation")
router.register("procurements", views.ProcurementViewSet, basename="procurement")
router.register("sources", views.SourceViewSet, basename="source")
router.register("citations", views.CitationViewSet, basename="citation")

urlpatterns = [
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("opportunities/", views.OpportunityView.as_view(), name="opportunity-list"),
    path("ocds/releases/", views.OcdsReleasePackageView.as_view(), name="ocds-releases"),
    path("changes/", changes.ChangeFeedView.as_view(), name="changes"),
    *router.urls,
]
