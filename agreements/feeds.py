"""Atom feeds of recently changed records, for the whole registry and per municipality."""

from itertools import chain

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from .models import Cooperation, Municipality, PlannedProcurement

FEED_SIZE = 50


class RecentChangesFeed(Feed):
    feed_type = Atom1Feed

    def author_name(self, obj=None):
        return settings.REGISTRY_PUBLISHER

    def title(self, obj=None):
        return _("Samverkansregistret: senaste ändringarna")

    def subtitle(self, obj=None):
        return _("Samverkan och planerade upphandlingar, senast ändrade först.")

    def link(self, obj=None):
        return reverse("agreements:home")

    def changed(self, cooperations, procurements):
        cooperations = cooperations.exclude(updated_at=None).order_by("-updated_at")[:FEED_SIZE]
        procurements = procurements.exclude(updated_at=None).order_by("-updated_at")[:FEED_SIZE]
        items = chain(cooperations.select_related("host"), procurements)
        return sorted(items, key=lambda item: item.updated_at, reverse=True)[:FEED_SIZE]

    def items(self, obj=None):
        return self.changed(Cooperation.objects.all(), PlannedProcurement.objects.all())

    def item_title(self, item):
        return getattr(item, "name", None) or item.title

    def item_description(self, item):
        kind = item._meta.verbose_name.capitalize()
        status = item.get_status_display()
        return f"{kind} · {status}. {item.description}"

    def item_updateddate(self, item):
        return item.updated_at

    def item_guid(self, item):
        # Stable per record and version: a changed record shows up again as a new entry.
        return f"tag:samverkansregistret,2026:{item._meta.model_name}/{item.slug}/" + (
            item.updated_at.strftime("%Y%m%dT%H%M%S%f")
        )

    item_guid_is_permalink = False


class MunicipalityChangesFeed(RecentChangesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Municipality, slug=slug)

    def title(self, obj=None):
        return _("Samverkansregistret: ändringar som rör %(name)s") % {"name": obj.name}

    def link(self, obj=None):
        return obj.get_absolute_url()

    def items(self, obj=None):
        return self.changed(
            Cooperation.objects.filter(parties__municipality=obj).distinct(),
            PlannedProcurement.objects.filter(buyers__municipality=obj).distinct(),
        )
