from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Cooperation, Municipality, PlannedProcurement, SourceDocument


class I18nSitemap(Sitemap):
    # One <url> per language, each listing the others as alternates.
    i18n = True
    alternates = True
    x_default = True
    # Items per page; with two languages each page holds twice as many addresses.
    limit = 2500


class StaticSitemap(I18nSitemap):
    def items(self):
        return [
            "agreements:home",
            "agreements:municipality-list",
            "agreements:cooperation-list",
            "agreements:procurement-list",
            "agreements:source-list",
            "agreements:accessibility-statement",
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
