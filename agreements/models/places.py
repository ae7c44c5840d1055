from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..links import slug_path
from .base import (
    HttpsURLField,
    NaturalKeyQuerySet,
    TimestampedModel,
    count_of,
    natural_key_manager,
    slug_validator,
    tracked_history,
)

__all__ = ["County", "Municipality"]


class County(models.Model):
    """A Swedish county (län) with its two-digit code from Statistics Sweden."""

    code = models.CharField(
        _("länskod"),
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{2}$", _("Länskoden består av två siffror."))],
        help_text=_("Två siffror enligt SCB, t.ex. 18 för Örebro län."),
    )
    name = models.CharField(_("namn"), max_length=100, unique=True)

    objects = natural_key_manager(NaturalKeyQuerySet, ("code",))()

    class Meta:
        verbose_name = _("län")
        verbose_name_plural = _("län")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{2}$"),
                name="%(app_label)s_%(class)s_code_two_digits",
                violation_error_message=_("Länskoden består av två siffror."),
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    def get_absolute_url(self):
        return reverse("agreements:municipality-list") + f"?county={self.code}"


class MunicipalityQuerySet(NaturalKeyQuerySet):
    def public(self):
        """For public lists: counts and financing by annotation, not per row.

        - `cooperation_count`: cooperations it is bound to (decision or agreement); a mention
          or an ambition is counted apart, in `mentioned_count`, never as taking part.
        - `current_financed_fte`: the known shares of posts it finances, in force today.
        - `financed_fte_stated`, `financed_fte_interpreted`: the part of that sum the
          sources state, and the part that is the registry's reading of them.
        - `own_share_unknown`: it employs a post that others co-finance and the sources do
          not say what it pays itself, so its financing is not known to be that sum.
        """
        from ..facts import reading_filters
        from .cooperations import Party
        from .staffing import Post, StaffingCommitment

        current = StaffingCommitment.objects.current()
        stated, interpreted, _missing = reading_filters(StaffingCommitment, "fte")
        cofinanced_unknown = Post.objects.filter(
            employer=models.OuterRef("pk"),
            employer_share__isnull=True,
            commitments__in=StaffingCommitment.objects.current().exclude(
                financer=models.OuterRef(models.OuterRef("pk"))
            ),
        )
        return self.select_related("county").annotate(
            cooperation_count=count_of(Party, "municipality", level__in=Party.BOUND_LEVELS),
            mentioned_count=count_of(Party, "municipality", level__in=Party.NOT_BOUND_LEVELS),
            current_financed_fte=current.total_fte_subquery("financer"),
            # The same sum split as the rows are marked (facts.financing_split): a share that
            # is the registry's reading of its source is not shown as the source's words.
            financed_fte_stated=current.filter(stated).total_fte_subquery("financer"),
            financed_fte_interpreted=current.filter(interpreted).total_fte_subquery("financer"),
            own_share_unknown=models.Exists(cofinanced_unknown),
        )


class Municipality(TimestampedModel):
    """A Swedish municipality (kommun), identified by its official four-digit code."""

    name = models.CharField(_("namn"), max_length=100)
    slug = models.SlugField(
        _("kortnamn i webbadress"), max_length=100, unique=True, validators=[slug_validator]
    )
    code = models.CharField(
        _("kommunkod"),
        max_length=4,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{4}$", _("Kommunkoden består av fyra siffror."))],
        help_text=_("Fyra siffror enligt SCB; de två första är länskoden (1861 = Hallsberg)."),
    )
    county = models.ForeignKey(
        County,
        # A county is never deleted while municipalities refer to it.
        on_delete=models.PROTECT,
        related_name="municipalities",
        verbose_name=_("län"),
    )
    website = HttpsURLField(_("webbplats"), blank=True)
    organisation_number = models.CharField(
        _("organisationsnummer"),
        max_length=11,
        blank=True,
        validators=[
            RegexValidator(r"^[0-9]{6}-[0-9]{4}$", _("Ange organisationsnumret som 212000-0000."))
        ],
        help_text=_(
            "Kommunens organisationsnummer. Lämna tomt om det inte är kontrollerat: öppna data "
            "utelämnar hellre ett id än gissar det."
        ),
    )

    objects = natural_key_manager(MunicipalityQuerySet, ("code",))()
    history = tracked_history()

    class Meta:
        verbose_name = _("kommun")
        verbose_name_plural = _("kommuner")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="municipality_name_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{4}$"),
                name="%(app_label)s_%(class)s_code_four_digits",
                violation_error_message=_("Kommunkoden består av fyra siffror."),
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    natural_key.dependencies = ["agreements.county"]

    def get_absolute_url(self):
        return slug_path("agreements:municipality-detail", self.slug)

    def clean(self):
        super().clean()
        if self.county_id and self.code and not self.code.startswith(self.county.code):
            raise ValidationError(
                {
                    "code": _(
                        "Kommunkoden %(code)s börjar inte med länskoden %(county_code)s "
                        "för %(county)s."
                    )
                    % {"code": self.code, "county_code": self.county.code, "county": self.county}
                }
            )
