"""Atom feeds of the latest changes, in words, for the whole registry and per municipality."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from .changelog import recent_changes
from .models import Municipality

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

    def items(self, obj=None):
        return recent_changes(FEED_SIZE)

    def item_title(self, entry):
        return str(entry.owner)

    def item_link(self, entry):
        return entry.owner.get_absolute_url()

    def item_description(self, entry):
        # The change in words, as on the record's change log, then what the record is.
        record = entry.owner
        kind = record._meta.verbose_name.capitalize()
        return f"{entry.summary} {kind} · {record.get_status_display()}."

    def item_updateddate(self, entry):
        return entry.date

    def item_pubdate(self, entry):
        return entry.date

    def item_guid(self, entry):
        # One entry per change and record: a later change is a new entry.
        owner = entry.owner
        return (
            f"tag:samverkansregistret,2026:{owner._meta.model_name}/{owner.slug}/"
            + entry.date.strftime("%Y%m%dT%H%M%S%f")
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
        return recent_changes(FEED_SIZE, municipality=obj)
