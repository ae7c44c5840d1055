from django.urls import path

from . import alert_views, feeds, report_views, views
from .models import Cooperation, Municipality, PlannedProcurement, SourceDocument

app_name = "agreements"

urlpatterns = [
    path("", views.home, name="home"),
    path("kommuner/", views.MunicipalityList.as_view(), name="municipality-list"),
    path("kommuner/<slug:slug>/", views.MunicipalityDetail.as_view(), name="municipality-detail"),
    path(
        "kommuner/<slug:slug>/flode.atom",
        feeds.MunicipalityChangesFeed(),
        name="municipality-feed",
    ),
    path("flode.atom", feeds.RecentChangesFeed(), name="feed"),
    path("oppna-data/", views.OpenData.as_view(), name="open-data"),
    path("oppna-data/registret.zip", views.bulk_download, name="bulk-download"),
    path("samverkan/", views.CooperationList.as_view(), name="cooperation-list"),
    path("samverkan/<slug:slug>/", views.CooperationDetail.as_view(), name="cooperation-detail"),
    path(
        "samverkan/<slug:slug>/andringar/",
        views.ChangeLog.as_view(queryset=Cooperation.objects.all(), list_name="cooperation-list"),
        name="cooperation-changes",
    ),
    path("upphandlingar/", views.ProcurementList.as_view(), name="procurement-list"),
    path(
        "upphandlingar/<slug:slug>/andringar/",
        views.ChangeLog.as_view(
            queryset=PlannedProcurement.objects.all(), list_name="procurement-list"
        ),
        name="procurement-changes",
    ),
    path(
        "upphandlingar/<slug:slug>/", views.ProcurementDetail.as_view(), name="procurement-detail"
    ),
    path("mojligheter/", views.OpportunityList.as_view(), name="opportunity-list"),
    path("kallor/", views.SourceList.as_view(), name="source-list"),
    path("kallor/<slug:slug>/", views.source_detail, name="source-detail"),
    path("kallor/<slug:slug>/original/", views.source_original, name="source-original"),
    path("tillganglighet/", views.AccessibilityStatement.as_view(), name="accessibility-statement"),
    path("om-registret/", views.About.as_view(), name="about"),
    # "Rapportera fel i uppgiften" on every record page (agreements/report_views.py).
    *report_views.urlpatterns_for("kommuner", Municipality),
    *report_views.urlpatterns_for("samverkan", Cooperation),
    *report_views.urlpatterns_for("upphandlingar", PlannedProcurement),
    *report_views.urlpatterns_for("kallor", SourceDocument),
    # Following a record or a list by e-mail (agreements/alert_views.py).
    *alert_views.urlpatterns,
]
