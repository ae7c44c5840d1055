from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..links import slug_path
from ..search import SearchableQuerySetMixin, build_search_document, search_document_field
from .base import (
    LocalizedDecimalField,
    NaturalKeyQuerySet,
    RuleCheckedModel,
    TimestampedModel,
    VersionedModel,
    natural_key_manager,
    slug_validator,
    tracked_history,
)
from .cooperations import Cooperation
from .places import Municipality

__all__ = ["PlannedProcurement", "ProcurementBuyer"]

CPV_PATTERN = r"^[0-9]{8}(-[0-9])?$"
YEAR_MIN, YEAR_MAX = 2000, 2100
YEAR_MESSAGE = _("Ange ett år mellan 2000 och 2100.")


def year_field(verbose_name, help_text):
    return models.PositiveSmallIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(YEAR_MIN, message=YEAR_MESSAGE),
            MaxValueValidator(YEAR_MAX, message=YEAR_MESSAGE),
        ],
        help_text=help_text,
    )


class PlannedProcurementQuerySet(SearchableQuerySetMixin, NaturalKeyQuerySet):
    def public(self):
        buyers = ProcurementBuyer.objects.select_related("municipality").order_by(
            "-is_lead", "municipality__name"
        )
        return self.select_related("cooperation").prefetch_related(
            models.Prefetch("buyers", queryset=buyers)
        )

    def open(self):
        """Not yet awarded or cancelled: what is still to be bought."""
        return self.exclude(status__in=["awarded", "cancelled"])

    def joint(self, value=True):
        """Joint procurements (several buyers, or stated so), or those stated not to be."""
        several = models.Q(
            pk__in=ProcurementBuyer.objects.values("procurement")
            .annotate(n=models.Count("pk"))
            .filter(n__gt=1)
            .values("procurement")
        )
        if value:
            return self.filter(several | models.Q(joint=True))
        return self.filter(joint=False).exclude(several)


class PlannedProcurement(RuleCheckedModel, TimestampedModel):
    """Something one or more municipalities plan to buy or contract out."""

    class Status(models.TextChoices):
        # How far the intent has come, as the sources say: a target in a budget agreement is
        # not yet a plan, a plan is not a decision, a decision is not an advertised tender.
        TARGET = "target", _("Målbild eller ambition")
        PLANNED = "planned", _("Planerad")
        DECIDED = "decided", _("Beslutad")
        ADVERTISED = "advertised", _("Annonserad")
        AWARDED = "awarded", _("Tilldelad")
        CANCELLED = "cancelled", _("Avbruten")

    title = models.CharField(_("rubrik"), max_length=200)
    slug = models.SlugField(
        _("kortnamn i webbadress"), max_length=100, unique=True, validators=[slug_validator]
    )
    description = models.TextField(_("beskrivning"), blank=True)
    preconditions = models.TextField(
        _("förutsättningar"), blank=True, help_text=_("Vad som måste göras innan upphandlingen.")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    cooperation = models.ForeignKey(
        Cooperation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="procurements",
        verbose_name=_("inom samverkan"),
    )
    procurement_year = year_field(
        _("upphandlingsår"),
        _("Året då upphandlingen ska göras enligt källan (ett mål, en plan eller ett beslut)."),
    )
    contract_start_year = year_field(_("avtalsstart (år)"), _("Året då avtalet ska börja gälla."))
    joint = models.BooleanField(
        _("gemensam upphandling"),
        null=True,
        blank=True,
        default=None,
        help_text=_(
            "Ja om flera kommuner köper tillsammans (lägg till dem som köpare), nej om källan "
            "säger att kommunen köper ensam, tomt (okänt) om den inte säger något."
        ),
    )
    cpv_code = models.CharField(
        _("CPV-kod"),
        max_length=10,
        blank=True,
        # db_index also gives PostgreSQL a pattern index for the "starts with" filter.
        db_index=True,
        validators=[
            RegexValidator(
                CPV_PATTERN,
                _("Ange CPV-koden som åtta siffror, gärna med kontrollsiffra: 77310000-6."),
            )
        ],
    )
    estimated_value = LocalizedDecimalField(
        _("uppskattat värde"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message=_("Värdet kan inte vara negativt."))],
    )
    currency = models.CharField(
        _("valuta"),
        max_length=3,
        blank=True,
        default="SEK",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Ange valutan som tre versaler, t.ex. SEK."))],
    )
    search_document = search_document_field()

    objects = natural_key_manager(PlannedProcurementQuerySet, ("slug",))()
    history = tracked_history(excluded_fields=["search_document"])

    class Meta:
        # Not "planned": a target in a budget agreement is recorded here too, with its status.
        verbose_name = _("upphandling")
        verbose_name_plural = _("upphandlingar")
        ordering = ["procurement_year", "title"]
        indexes = [
            models.Index(fields=["procurement_year", "title", "id"], name="procurement_order_idx"),
            models.Index(fields=["status"], name="procurement_status_idx"),
            models.Index(fields=["contract_start_year"], name="procurement_contract_idx"),
            models.Index(fields=["title"], name="procurement_title_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(procurement_year__isnull=True)
                | Q(contract_start_year__isnull=True)
                | Q(contract_start_year__gte=F("procurement_year")),
                name="%(app_label)s_%(class)s_contract_after_procurement",
                violation_error_message=_(
                    "Avtalet kan inte börja före det år då upphandlingen görs."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(procurement_year__isnull=True)
                    | Q(procurement_year__gte=YEAR_MIN, procurement_year__lte=YEAR_MAX)
                )
                & (
                    Q(contract_start_year__isnull=True)
                    | Q(contract_start_year__gte=YEAR_MIN, contract_start_year__lte=YEAR_MAX)
                ),
                name="%(app_label)s_%(class)s_years_plausible",
                violation_error_message=YEAR_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(cpv_code="") | Q(cpv_code__regex=CPV_PATTERN),
                name="%(app_label)s_%(class)s_cpv_format",
                violation_error_message=_("CPV-koden har fel format."),
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__isnull=True)
                | (Q(estimated_value__gte=0) & Q(currency__regex=r"^[A-Z]{3}$")),
                name="%(app_label)s_%(class)s_value_with_currency",
                violation_error_message=_(
                    "Ett uppskattat värde måste vara positivt och ha en valuta (t.ex. SEK)."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return slug_path("agreements:procurement-detail", self.slug)

    @property
    def listed_buyers(self):
        """The buyers, as `public()` prefetched them or else from the database.

        Read from the prefetched rows without a related manager: `buyers.all()` builds a new
        manager on each call, and a row of the bulk download asks for its buyers six times.
        """
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("buyers")
        return list(self.buyers.all() if prefetched is None else prefetched)

    @property
    def is_joint(self):
        """True, False, or None when the sources do not say; uses prefetched buyers.

        Several buyers make a procurement joint whatever the field says; one buyer says
        nothing about whether others will join.
        """
        if len(self.listed_buyers) > 1:
            return True
        return self.joint

    def build_search_document(self):
        return build_search_document(
            self.title, self.description, self.preconditions, self.cpv_code
        )


class ProcurementBuyer(RuleCheckedModel, VersionedModel):
    """A municipality buying in a planned procurement; several buyers make it joint."""

    procurement = models.ForeignKey(
        PlannedProcurement,
        on_delete=models.CASCADE,
        related_name="buyers",
        verbose_name=_("planerad upphandling"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="procurement_roles",
        verbose_name=_("kommun"),
    )
    is_lead = models.BooleanField(
        _("samordnande kommun"),
        default=False,
        help_text=_("Den kommun som leder upphandlingen för alla köpare."),
    )

    objects = natural_key_manager(NaturalKeyQuerySet, ("procurement__slug", "municipality__code"))()
    history = tracked_history()

    class Meta:
        verbose_name = _("köpare")
        verbose_name_plural = _("köpare")
        ordering = ["procurement__title", "-is_lead", "municipality__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["procurement", "municipality"],
                name="%(app_label)s_%(class)s_one_row_per_municipality",
                violation_error_message=_("Kommunen är redan köpare i den här upphandlingen."),
            ),
            models.UniqueConstraint(
                fields=["procurement"],
                condition=Q(is_lead=True),
                name="%(app_label)s_%(class)s_one_lead",
                violation_error_message=_("En upphandling kan bara ha en samordnande kommun."),
            ),
        ]

    def __str__(self):
        return f"{self.municipality} ({self.procurement})"

    def natural_key(self):
        return (self.procurement.slug, self.municipality.code)

    natural_key.dependencies = ["agreements.plannedprocurement", "agreements.municipality"]

    def get_absolute_url(self):
        return self.procurement.get_absolute_url()
