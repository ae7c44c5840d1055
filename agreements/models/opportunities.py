from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import NaturalKeyQuerySet, natural_key_manager
from .cooperations import Cooperation
from .places import County, Municipality
from .procurements import PlannedProcurement

__all__ = ["FinderLink", "FinderSide"]

# The rows are rewritten by agreements/opportunities.py when a record they refer to changes or
# goes, deletions included; Django's delete collector must not gather them (the admin's delete
# page would list them as records of their own to be deleted), nor the database refuse the
# record's delete before the rewrite at the end of the change.
DERIVED = models.DO_NOTHING


class FinderSide(models.Model):
    """One buyer of a procurement that can be matched by the joint-buying finder, with what the
    match is decided on: still to be bought, with a CPV code and a year.

    Derived, never edited: agreements/opportunities.py rewrites a procurement's rows in the
    transaction of every change to it, its buyers or their municipality, so that finding a
    procurement's partners is one index range (the CPV category and years) instead of joins
    over every procurement and buyer in the country.
    """

    procurement = models.ForeignKey(
        PlannedProcurement,
        DERIVED,
        related_name="+",
        db_constraint=False,
        verbose_name=_("upphandling"),
    )
    municipality = models.ForeignKey(
        Municipality, DERIVED, related_name="+", db_constraint=False, verbose_name=_("kommun")
    )
    county = models.ForeignKey(
        County,
        DERIVED,
        related_name="+",
        db_constraint=False,
        db_index=False,
        verbose_name=_("län"),
    )
    category = models.CharField(_("CPV-kategori"), max_length=5)
    code = models.CharField(_("CPV-kod (åtta siffror)"), max_length=8)
    year = models.PositiveSmallIntegerField(_("upphandlingsår"))

    objects = natural_key_manager(NaturalKeyQuerySet, ("procurement__slug", "municipality__code"))()

    class Meta:
        verbose_name = _("matchbar köpare")
        verbose_name_plural = _("matchbara köpare")
        ordering = ["year", "category", "procurement", "municipality"]
        indexes = [
            # The list's walk, the soonest first.
            models.Index(
                fields=["year", "category", "procurement", "municipality"],
                name="finder_side_walk_idx",
            ),
            # A procurement's partners: the same category, a year at most one apart.
            models.Index(
                fields=["category", "year"],
                include=["procurement", "municipality", "county", "code"],
                name="finder_side_partner_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["procurement", "municipality"],
                name="finder_side_once",
                violation_error_message=_("Köparen finns redan för upphandlingen."),
            ),
        ]

    def __str__(self):
        return f"{self.procurement} ({self.municipality})"

    def natural_key(self):
        return (self.procurement.slug, self.municipality.code)

    def get_absolute_url(self):
        return self.procurement.get_absolute_url()


class FinderLink(models.Model):
    """Two municipalities both bound (by a decision or an agreement) to one active
    cooperation, until the earlier of their parties' end dates (none: open-ended).

    Derived, never edited: rewritten for a cooperation with every change to it or its parties
    (agreements/opportunities.py). Both directions are kept, so a pair is one index lookup.
    """

    municipality = models.ForeignKey(
        Municipality, DERIVED, related_name="+", db_constraint=False, verbose_name=_("kommun")
    )
    other_municipality = models.ForeignKey(
        Municipality, DERIVED, related_name="+", db_constraint=False, verbose_name=_("annan kommun")
    )
    cooperation = models.ForeignKey(
        Cooperation, DERIVED, related_name="+", db_constraint=False, verbose_name=_("samverkan")
    )
    until = models.DateField(_("till och med"), null=True, blank=True)

    objects = natural_key_manager(
        NaturalKeyQuerySet,
        ("municipality__code", "other_municipality__code", "cooperation__slug"),
    )()

    class Meta:
        verbose_name = _("samverkanslänk")
        verbose_name_plural = _("samverkanslänkar")
        ordering = ["municipality", "other_municipality", "cooperation"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "other_municipality", "cooperation"],
                name="finder_link_once",
                violation_error_message=_("Länken finns redan."),
            ),
        ]

    def __str__(self):
        return f"{self.municipality} – {self.other_municipality} ({self.cooperation})"

    def natural_key(self):
        return (self.municipality.code, self.other_municipality.code, self.cooperation.slug)

    def get_absolute_url(self):
        return self.cooperation.get_absolute_url()
