"""The change feed's log: which public record was created, changed or deleted, in commit order.

Written only by agreements/changefeed.py, inside the transaction of the change it records;
read by /api/v1/changes/. See agreements/changefeed.py for why (generation, id) is commit order.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import NaturalKeyQuerySet, natural_key_manager

__all__ = ["Change"]


class Change(models.Model):
    """One entry of the feed: a record of an API resource as it stands after a change."""

    # The log describes changes; writing it is none (agreements.cache ignores it).
    affects_public_pages = False

    class Action(models.TextChoices):
        CREATED = "created", _("skapad")
        CHANGED = "changed", _("ändrad")
        DELETED = "deleted", _("borttagen")

    generation = models.BigIntegerField(
        _("generation"),
        help_text=_("Registrets ändringsnummer i den transaktion som skrev posten."),
    )
    resource = models.CharField(_("resurs"), max_length=30)
    key = models.CharField(_("nyckel"), max_length=250)
    object_id = models.BigIntegerField(_("postens id"))
    action = models.CharField(_("händelse"), max_length=10, choices=Action.choices)
    recorded_at = models.DateTimeField(_("tidpunkt"))

    objects = natural_key_manager(NaturalKeyQuerySet, ("resource", "key"))()

    class Meta:
        verbose_name = _("ändring i flödet")
        verbose_name_plural = _("ändringar i flödet")
        ordering = ["generation", "id"]
        indexes = [
            models.Index(fields=["generation", "id"], name="agreements_change_position"),
            # What the feed last said about a record.
            models.Index(fields=["resource", "object_id"], name="agreements_change_object"),
        ]
        constraints = [
            # The log is compacted: a new entry for a key replaces the earlier ones.
            models.UniqueConstraint(
                fields=["resource", "key"],
                name="%(app_label)s_%(class)s_one_entry_per_key",
                violation_error_message=_("Flödet har redan en ändring för den posten."),
            ),
            models.CheckConstraint(
                condition=models.Q(action__in=["created", "changed", "deleted"]),
                name="%(app_label)s_%(class)s_known_action",
                violation_error_message=_("Okänd händelse i ändringsflödet."),
            ),
        ]

    def __str__(self):
        return f"{self.generation}.{self.pk} {self.action} {self.resource} {self.key}"

    def natural_key(self):
        # It has no page of its own: the API pages the feed (/api/v1/changes/).
        return (self.resource, self.key)
