"""Atom feeds of the latest changes, in words, for the whole registry and per municipality."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from . import facts
from .changelog import recent_changes
from .links import absolute_url
from .models import Cooperation, Municipality, Party

FEED_SIZE = 50


class TextSummaryAtom1Feed(Atom1Feed):
    """Atom whose `<summary>` is plain text.

    Django writes it as `type="html"`, so a reader renders whatever markup an editor typed into
    a name or description. The summaries are words, never HTML: say so, and readers show
    `<script>` as the text it is.
    """

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class RecentChangesFeed(Feed):
    feed_type = TextSummaryAtom1Feed

    def author_name(self, obj=None):
        return settings.REGISTRY_PUBLISHER

    def title(self, obj=None):
        return _("Samverkansregistret: senaste ändringarna")

    def subtitle(self, obj=None):
        return _("Samverkan och upphandlingar, senast ändrade först.")

    # Links are absolute already, so the syndication framework never adds the request's host.
    def link(self, obj=None):
        return absolute_url(reverse("agreements:home"))

    def feed_url(self, obj=None):
        return absolute_url(reverse("agreements:feed"))

    def items(self, obj=None):
        return with_facts(recent_changes(FEED_SIZE))

    def item_title(self, entry):
        return str(entry.owner)

    def item_link(self, entry):
        return absolute_url(entry.owner.get_absolute_url())

    def item_description(self, entry):
        # The change in words, as on the record's change log, then what the record is: who is
        # bound how far, and as of when.
        record = entry.owner
        kind = record._meta.verbose_name.capitalize()
        # The status marked as the lists mark it, when it is the registry's interpretation.
        parts = [entry.summary, f"{kind} · {facts.text_with_mark(record, 'status')}."]
        if isinstance(record, Cooperation):
            bound, others = facts.split_parties(record.parties.all())
            if bound:
                parties = ", ".join(facts.party_text(p) for p in bound)
                parts.append(_("Parter: %(parties)s.") % {"parties": parties})
            if others:
                named = ", ".join(facts.party_text(p) for p in others)
                parts.append(
                    _("Andra kommuner som nämns, inte bundna: %(names)s.") % {"names": named}
                )
        as_of = facts.as_of(record.about).text
        parts.append(_("Uppgifterna gäller: %(as_of)s.") % {"as_of": as_of})
        return " ".join(parts)

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
        return absolute_url(obj.get_absolute_url())

    def feed_url(self, obj=None):
        return absolute_url(reverse("agreements:municipality-feed", kwargs={"slug": obj.slug}))

    def items(self, obj=None):
        return with_facts(recent_changes(FEED_SIZE, municipality=obj))


def with_facts(entries):
    """The entries' records with their parties and the citations behind them: a few queries
    for the whole feed, none per entry."""
    records = {}
    for entry in entries:
        records.setdefault(type(entry.owner), {})[entry.owner.pk] = entry.owner
    for model, by_pk in records.items():
        found = list(by_pk.values())
        facts.cite_records(found)
        if model is Cooperation:
            prefetch_related_objects(
                found,
                Prefetch(
                    "parties",
                    queryset=Party.objects.select_related("municipality").order_by(
                        "municipality__name"
                    ),
                ),
            )
    for entry in entries:
        entry.owner = records[type(entry.owner)][entry.owner.pk]
    return entries
