from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..search import SearchableQuerySetMixin, build_search_document, search_document_field
from .base import (
    DATE_ORDER_MESSAGE,
    NaturalKeyQuerySet,
    RuleCheckedModel,
    TimestampedModel,
    VersionedModel,
    dates_in_order,
    natural_key_manager,
    slug_validator,
    tracked_history,
)
from .places import Municipality

__all__ = ["Claim", "Cooperation", "Objection", "Party"]


class CooperationQuerySet(SearchableQuerySetMixin, NaturalKeyQuerySet):
    def public(self):
        """Cooperations for public lists, with their parties' names in one extra query."""
        return self.select_related("host").prefetch_related(
            models.Prefetch(
                "parties",
                queryset=Party.objects.select_related("municipality").order_by(
                    "municipality__name"
                ),
            )
        )

    def active(self):
        return self.filter(status=Cooperation.Status.ACTIVE)

    def with_details(self):
        from .procurements import PlannedProcurement
        from .staffing import StaffingCommitment

        return self.select_related("host").prefetch_related(
            models.Prefetch(
                "parties",
                queryset=Party.objects.select_related("municipality").order_by(
                    "role", "municipality__name"
                ),
            ),
            models.Prefetch("commitments", queryset=StaffingCommitment.objects.history()),
            models.Prefetch("objections", queryset=Objection.objects.select_related("raised_by")),
            models.Prefetch("led_to", queryset=Cooperation.objects.order_by("name")),
            models.Prefetch("arose_from", queryset=Cooperation.objects.order_by("name")),
            # Bounded: a long-running cooperation may list many procurements. A sliced prefetch
            # needs to_attr (Django cannot re-filter a slice on the related manager).
            models.Prefetch(
                "procurements",
                queryset=PlannedProcurement.objects.public().order_by("procurement_year", "pk")[
                    :50
                ],
                to_attr="listed_procurements",
            ),
        )


class Cooperation(RuleCheckedModel, TimestampedModel):
    """An arrangement between municipalities about procurement, binding or not."""

    class Form(models.TextChoices):
        # Kommunallagen (2017:725) 9 kap.; see DOMAIN.md.
        AGREEMENT = "agreement", _("Avtalssamverkan")
        JOINT_COMMITTEE = "joint_committee", _("Gemensam nämnd")
        ASSOCIATION = "association", _("Kommunalförbund")
        COMPANY = "company", _("Kommunalt bolag")
        NETWORK = "network", _("Informellt nätverk")
        STUDY = "study", _("Utredning eller förslag")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Föreslagen")
        ACTIVE = "active", _("Pågående")
        ENDED = "ended", _("Avslutad")
        REJECTED = "rejected", _("Ej genomförd")

    NON_BINDING_FORMS = (Form.NETWORK, Form.STUDY)

    name = models.CharField(_("namn"), max_length=200)
    slug = models.SlugField(
        _("kortnamn i webbadress"), max_length=100, unique=True, validators=[slug_validator]
    )
    form = models.CharField(_("samverkansform"), max_length=20, choices=Form.choices)
    legally_binding = models.BooleanField(
        _("juridiskt bindande"),
        default=False,
        help_text=_("Ja bara om kommunerna har ingått ett bindande avtal eller beslut."),
    )
    host = models.ForeignKey(
        Municipality,
        # A municipality that hosts a cooperation cannot vanish from under it.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_cooperations",
        verbose_name=_("värdkommun"),
        # Derived from the party with the host role (agreements/rules.py), never typed in.
        editable=False,
        help_text=_(
            "Den part som har rollen värdkommun: den kommun som utför arbetet åt de andra."
        ),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    description = models.TextField(_("beskrivning"), blank=True)
    outcome = models.TextField(
        _("utfall"), blank=True, help_text=_("Vad samverkan eller utredningen ledde till.")
    )
    led_to = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="arose_from",
        verbose_name=_("ledde till"),
    )
    start_date = models.DateField(_("startdatum"), null=True, blank=True)
    end_date = models.DateField(_("slutdatum"), null=True, blank=True)
    search_document = search_document_field()

    objects = natural_key_manager(CooperationQuerySet, ("slug",))()
    history = tracked_history(excluded_fields=["search_document"])

    class Meta:
        verbose_name = _("samverkan")
        verbose_name_plural = _("samverkan")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["name"], name="cooperation_name_idx"),
            models.Index(fields=["status", "name"], name="cooperation_status_idx"),
            models.Index(fields=["form", "name"], name="cooperation_form_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=dates_in_order(),
                name="%(app_label)s_%(class)s_dates_in_order",
                violation_error_message=DATE_ORDER_MESSAGE,
            ),
            models.CheckConstraint(
                condition=~models.Q(form__in=["network", "study"])
                | models.Q(legally_binding=False),
                name="%(app_label)s_%(class)s_informal_not_binding",
                violation_error_message=_(
                    "Ett informellt nätverk eller en utredning kan inte vara juridiskt bindande."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return reverse("agreements:cooperation-detail", kwargs={"slug": self.slug})

    def build_search_document(self):
        return build_search_document(self.name, self.description, self.outcome)


class Party(RuleCheckedModel, VersionedModel):
    """A municipality's part in a cooperation."""

    class Role(models.TextChoices):
        HOST = "host", _("Värdkommun")
        PARTICIPANT = "participant", _("Deltagare")
        OBSERVER = "observer", _("Observatör")
        INVITED = "invited", _("Inbjuden")

    cooperation = models.ForeignKey(
        Cooperation, on_delete=models.CASCADE, related_name="parties", verbose_name=_("samverkan")
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="parties",
        verbose_name=_("kommun"),
    )
    role = models.CharField(_("roll"), max_length=20, choices=Role.choices)
    note = models.TextField(
        _("kommentar"), blank=True, help_text=_("Till exempel vad kommunen har åtagit sig.")
    )
    start_date = models.DateField(
        _("part från"), null=True, blank=True, help_text=_("Tomt om källan inte anger när.")
    )
    end_date = models.DateField(_("part till"), null=True, blank=True)

    objects = natural_key_manager(NaturalKeyQuerySet, ("cooperation__slug", "municipality__code"))()
    history = tracked_history()

    class Meta:
        verbose_name = _("part")
        verbose_name_plural = _("parter")
        ordering = ["cooperation__name", "municipality__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "municipality"],
                name="%(app_label)s_%(class)s_one_row_per_municipality",
                violation_error_message=_("Kommunen är redan part i den här samverkan."),
            ),
            models.UniqueConstraint(
                fields=["cooperation"],
                condition=models.Q(role="host"),
                name="%(app_label)s_%(class)s_one_host",
                violation_error_message=_("En samverkan kan bara ha en värdkommun."),
            ),
            models.CheckConstraint(
                condition=dates_in_order(),
                name="%(app_label)s_%(class)s_dates_in_order",
                violation_error_message=DATE_ORDER_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.municipality} – {self.get_role_display()} ({self.cooperation})"

    def natural_key(self):
        return (self.cooperation.slug, self.municipality.code)

    natural_key.dependencies = ["agreements.cooperation", "agreements.municipality"]

    def get_absolute_url(self):
        return self.cooperation.get_absolute_url() + f"#part-{self.municipality.slug}"

    @property
    def period_display(self):
        """When the municipality is a party, as far as known: "från 2027-01-01", or ""."""
        parts = []
        if self.start_date:
            parts.append(_("från %(date)s") % {"date": self.start_date.isoformat()})
        if self.end_date:
            parts.append(_("till %(date)s") % {"date": self.end_date.isoformat()})
        return " ".join(parts)


class Objection(VersionedModel):
    """An argument raised against a cooperation, typically during a study."""

    cooperation = models.ForeignKey(
        Cooperation,
        on_delete=models.CASCADE,
        related_name="objections",
        verbose_name=_("samverkan"),
    )
    position = models.PositiveSmallIntegerField(_("ordning"))
    raised_by = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("framförd från kommun"),
    )
    raised_by_description = models.CharField(
        _("framförd av"), max_length=200, blank=True, help_text=_("T.ex. ”upphandlarna”.")
    )
    argument = models.TextField(_("argument"))

    objects = natural_key_manager(NaturalKeyQuerySet, ("cooperation__slug", "position"))()
    history = tracked_history()

    class Meta:
        verbose_name = _("invändning")
        verbose_name_plural = _("invändningar")
        ordering = ["cooperation__name", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "position"],
                name="%(app_label)s_%(class)s_unique_position",
                violation_error_message=_("Det finns redan en invändning med den ordningen."),
            ),
        ]

    def __str__(self):
        return self.argument

    def natural_key(self):
        return (self.cooperation.slug, self.position)

    natural_key.dependencies = ["agreements.cooperation"]

    def get_absolute_url(self):
        return self.cooperation.get_absolute_url() + f"#invandning-{self.position}"


class Claim(VersionedModel):
    """A public statement about cooperation, and how a source assessed it."""

    class Assessment(models.TextChoices):
        UNASSESSED = "unassessed", _("Inte bedömt")
        ACCURATE = "accurate", _("Korrekt")
        MISLEADING = "misleading", _("Missvisande")

    slug = models.SlugField(
        _("kortnamn i webbadress"), max_length=100, unique=True, validators=[slug_validator]
    )
    statement = models.TextField(_("påstående"))
    made_by = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("framfört av"),
    )
    channel = models.CharField(_("kanal"), max_length=100, help_text=_("T.ex. ”platsannons”."))
    assessment = models.CharField(
        _("bedömning"), max_length=20, choices=Assessment.choices, default=Assessment.UNASSESSED
    )
    assessment_note = models.TextField(_("motivering"), blank=True)

    objects = natural_key_manager(NaturalKeyQuerySet, ("slug",))()
    history = tracked_history()

    class Meta:
        verbose_name = _("påstående")
        verbose_name_plural = _("påståenden")
        ordering = ["slug"]

    def __str__(self):
        return self.statement

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return self.made_by.get_absolute_url() + f"#pastaende-{self.slug}"
