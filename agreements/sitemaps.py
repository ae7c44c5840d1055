from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.contrib.sitemaps.views import sitemap as section_view
from django.template.response import TemplateResponse
from django.urls import reverse

from .links import absolute_url, base_parts
from .models import Cooperation, Municipality, PlannedProcurement, SourceDocument


class I18nSitemap(Sitemap):
    # One <url> per language, each listing the others as alternates.
    i18n = True
    alternates = True
    x_default = True
    # Items per page; with two languages each page holds twice as many addresses.
    limit = 2500

    # The configured public address, not the request's host (see agreements.links).
    def get_protocol(self, protocol=None):
        return base_parts()[0]

    def get_domain(self, site=None):
        return base_parts()[1]


class StaticSitemap(I18nSitemap):
    def items(self):
        return [
            "agreements:home",
            "agreements:municipality-list",
            "agreements:cooperation-list",
            "agreements:procurement-list",
            "agreements:opportunity-list",
            "agreements:source-list",
            "agreements:accessibility-statement",
            "agreements:about",
            "agreements:open-data",
        ]

    def location(self, item):
        return reverse(item)


def model_sitemap(model):
    return type(
        f"{model.__name__}Sitemap",
        (I18nSitemap,),
        {"items": lambda self: model.objects.order_by("pk").only("slug")},
    )


sitemaps = {
    "pages": StaticSitemap,
    "municipalities": model_sitemap(Municipality),
    "cooperations": model_sitemap(Cooperation),
    "procurements": model_sitemap(PlannedProcurement),
    "sources": model_sitemap(SourceDocument),
}


@x_robots_tag
def index(request):
    """Django's sitemap index, with section addresses at the configured public address (its own
    view takes them from the request's host)."""
    items = []
    for section, sitemap_class in sitemaps.items():
        url = absolute_url(reverse("sitemap-section", kwargs={"section": section}))
        items.append(SitemapIndexItem(url, None))
        pages = sitemap_class().paginator.num_pages
        items.extend(SitemapIndexItem(f"{url}?p={page}", None) for page in range(2, pages + 1))
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )


def section(request, section):
    return section_view(request, sitemaps, section=section)


section.query_parameters = {"p"}  # the page of a long section
