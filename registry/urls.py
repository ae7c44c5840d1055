from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from agreements import sitemaps
from agreements.views import favicon

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("favicon.ico", favicon, name="favicon"),
    # An index of paged sections: a national registry has far more than 50,000 addresses.
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-<section>.xml", sitemaps.section, name="sitemap-section"),
    path("api/v1/", include("agreements.api.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

# Swedish at /, English at /en/: both crawlable, each page linkable in either language.
urlpatterns += i18n_patterns(path("", include("agreements.urls")), prefix_default_language=False)

handler404 = "agreements.views.not_found"
handler500 = "agreements.views.server_error"
