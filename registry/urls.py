from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.generic import TemplateView

from agreements.sitemaps import sitemaps

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    # An index of paged sections: a national registry has far more than 50,000 addresses.
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": sitemaps, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": sitemaps},
        name="sitemap-section",
    ),
    path("api/v1/", include("agreements.api.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

# Swedish at /, English at /en/: both crawlable, each page linkable in either language.
urlpatterns += i18n_patterns(path("", include("agreements.urls")), prefix_default_language=False)

handler404 = "agreements.views.not_found"
