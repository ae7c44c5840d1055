from django.db import models
from django.utils.translation import gettext_lazy as _

from ..links import slug_path
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

__all__ = ["AgreementVersion", "Claim", "Cooperation", "Objection", "Party", "Proposal"]


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

        return self.select_related("host", "record_keeper").prefetch_related(
            models.Prefetch(
                "parties",
                queryset=Party.objects.select_related("municipality").order_by(
                    "role", "municipality__name"
                ),
            ),
            models.Prefetch(
                "versions", queryset=AgreementVersion.objects.select_related("prompted_by")
            ),
            models.Prefetch(
                "proposals",
                queryset=Proposal.objects.select_related("proposed_in").prefetch_related(
                    "municipalities"
                ),
            ),
            models.Prefetch(
                "prompted_versions",
                queryset=AgreementVersion.objects.select_related("cooperation"),
            ),
            models.Prefetch(
                "proposals_made", queryset=Proposal.objects.select_related("cooperation")
            ),
            models.Prefetch(
                "commitments",
                queryset=StaffingCommitment.objects.history().select_related("agreement_version"),
            ),
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
        # Said of the record as its sources describe it, never "now": pages add "as of when".
        PROPOSED = "proposed", _("Föreslagen")
        ACTIVE = "active", _("Verksam")
        COMPLETED = "completed", _("Genomförd")
        ENDED = "ended", _("Avslutad")
        REJECTED = "rejected", _("Inte genomförd")

    NON_BINDING_FORMS = (Form.NETWORK, Form.STUDY)

    name = models.CharField(_("namn"), max_length=200)
    slug = models.SlugField(
        _("kortnamn i webbadress"), max_length=100, unique=True, validators=[slug_validator]
    )
    form = models.CharField(_("samverkansform"), max_length=20, choices=Form.choices)
    legally_binding = models.BooleanField(
        _("juridiskt bindande"),
        null=True,
        blank=True,
        default=None,
        help_text=_(
            "Ja om källan säger att ett bindande avtal eller beslut finns, nej om den säger att "
            "inget finns, tomt (okänt) om den inte säger något."
        ),
    )
    has_host = models.BooleanField(
        _("har värdkommun"),
        null=True,
        blank=True,
        default=None,
        help_text=_(
            "Ja om en kommun utför arbetet åt de andra (ge den parten rollen värdkommun), nej om "
            "källan säger att ingen gör det, tomt (okänt) om den inte säger något."
        ),
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
    purpose = models.TextField(_("syfte"), blank=True)
    tasks = models.TextField(
        _("uppgifter som lämnas över"),
        blank=True,
        help_text=_("Vad en kommun gör åt de andra, enligt avtalet eller beslutet."),
    )
    legal_basis = models.CharField(
        _("rättslig grund"),
        max_length=200,
        blank=True,
        help_text=_("Till exempel kommunallagen (2017:725) 9 kap. 37 § för avtalssamverkan."),
    )
    record_keeper = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="kept_cooperations",
        verbose_name=_("ansvarig för uppgifterna"),
        help_text=_("Den kommun som ansvarar för att uppgifterna om samverkan hålls aktuella."),
    )
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
                | ~models.Q(legally_binding=True),
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
        return slug_path("agreements:cooperation-detail", self.slug)

    def build_search_document(self):
        return build_search_document(self.name, self.description, self.outcome)


class PartyQuerySet(NaturalKeyQuerySet):
    def bound(self):
        """The parties proper: municipalities bound by a decision or a signed agreement."""
        return self.filter(level__in=Party.BOUND_LEVELS)

    def not_bound(self):
        """Municipalities a source mentions in a cooperation without binding them."""
        return self.filter(level__in=Party.NOT_BOUND_LEVELS)


class Party(RuleCheckedModel, VersionedModel):
    """How far a municipality is committed to a cooperation, on the ladder the sources use.

    Only a decision or a signed agreement makes it a party (`bound()`); a mention, an oral
    ambition or a letter of intent is recorded as exactly that, and never counted as taking
    part.
    """

    class Level(models.TextChoices):
        MENTIONED = "mentioned", _("Nämnd eller diskuterad")
        AMBITION = "ambition", _("Muntlig ambition, inte bindande")
        INTENT = "intent", _("Avsiktsförklaring")
        DECISION = "decision", _("Beslut fattat")
        AGREEMENT = "agreement", _("Avtal ingånget")
        LEFT = "left", _("Har lämnat eller avslutat")

    BOUND_LEVELS = (Level.DECISION, Level.AGREEMENT)
    NOT_BOUND_LEVELS = (Level.MENTIONED, Level.AMBITION, Level.INTENT)

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
    level = models.CharField(
        _("åtagandegrad"),
        max_length=20,
        choices=Level.choices,
        help_text=_(
            "Hur långt kommunen har förbundit sig enligt källan. Bara beslut och avtal gör den "
            "till part."
        ),
    )
    role = models.CharField(
        _("roll"),
        max_length=20,
        choices=Role.choices,
        blank=True,
        help_text=_("Tomt om källan inte anger någon roll."),
    )
    decision_body = models.CharField(
        _("beslutande organ"),
        max_length=200,
        blank=True,
        help_text=_("Till exempel kommunfullmäktige, om ett beslut finns."),
    )
    decision_date = models.DateField(_("beslutsdatum"), null=True, blank=True)
    decision_reference = models.CharField(_("diarienummer"), max_length=100, blank=True)
    note = models.TextField(
        _("kommentar"), blank=True, help_text=_("Till exempel vad kommunen har åtagit sig.")
    )
    start_date = models.DateField(
        _("part från"), null=True, blank=True, help_text=_("Tomt om källan inte anger när.")
    )
    end_date = models.DateField(_("part till"), null=True, blank=True)

    objects = natural_key_manager(PartyQuerySet, ("cooperation__slug", "municipality__code"))()
    history = tracked_history()

    class Meta:
        verbose_name = _("medverkande kommun")
        verbose_name_plural = _("medverkande kommuner")
        ordering = ["cooperation__name", "municipality__name"]
        indexes = [
            # The municipality lists count each one's parties by level: an index-only scan
            # (40 to 8 ms for a page of 100 at national scale, with StaffingCommitment.current).
            models.Index(fields=["municipality", "level"], name="party_municipality_level_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "municipality"],
                name="%(app_label)s_%(class)s_one_row_per_municipality",
                violation_error_message=_("Kommunen finns redan med i den här samverkan."),
            ),
            models.UniqueConstraint(
                fields=["cooperation"],
                condition=models.Q(role="host"),
                name="%(app_label)s_%(class)s_one_host",
                violation_error_message=_("En samverkan kan bara ha en värdkommun."),
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=["host", "participant"])
                | models.Q(level__in=["decision", "agreement"]),
                name="%(app_label)s_%(class)s_roles_of_parties",
                violation_error_message=_(
                    "Värdkommun och deltagare är roller för parter, som är bundna genom beslut "
                    "eller avtal. Lämna rollen tom eller välj observatör eller inbjuden, eller "
                    "ange beslut fattat eller avtal ingånget som åtagandegrad."
                ),
            ),
            models.CheckConstraint(
                condition=dates_in_order(),
                name="%(app_label)s_%(class)s_dates_in_order",
                violation_error_message=DATE_ORDER_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.municipality} – {self.get_level_display()} ({self.cooperation})"

    def natural_key(self):
        return (self.cooperation.slug, self.municipality.code)

    natural_key.dependencies = ["agreements.cooperation", "agreements.municipality"]

    @property
    def is_bound(self):
        return self.level in self.BOUND_LEVELS

    def get_absolute_url(self):
        return self.cooperation.get_absolute_url() + f"#part-{self.municipality.slug}"

    @property
    def period_display(self):
        """When the municipality is a party, as far as known: "från 2027-01-01", or ""."""
        return period_words(self.start_date, self.end_date)


def period_words(start, end):
    """ "från 2027-01-01 till 2028-12-31", "från 2027-01-01" or "": the one wording of a
    party's validity period, for its page, the feeds and the change log."""
    parts = []
    if start:
        parts.append(_("från %(date)s") % {"date": start.isoformat()})
    if end:
        parts.append(_("till %(date)s") % {"date": end.isoformat()})
    return " ".join(str(p) for p in parts)


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


class AgreementVersion(TimestampedModel):
    """One version of a cooperation's agreement: the original, an extension, a new party.

    Their order is known even when their dates are not, so `sequence` orders them. A
    commitment names the version that made it; a study that led to a change names that
    version, not the whole cooperation.
    """

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("Första kända version")
        EXTENSION = "extension", _("Utökning")
        AMENDMENT = "amendment", _("Ändring")
        ACCESSION = "accession", _("Ny part ansluter")
        TERMINATION = "termination", _("Uppsägning")

    cooperation = models.ForeignKey(
        Cooperation, on_delete=models.CASCADE, related_name="versions", verbose_name=_("samverkan")
    )
    sequence = models.PositiveSmallIntegerField(
        _("ordning"), help_text=_("1 för det ursprungliga avtalet, sedan i den ordning de kom.")
    )
    kind = models.CharField(_("slag"), max_length=20, choices=Kind.choices)
    summary = models.TextField(_("vad versionen innebär"))
    date = models.DateField(
        _("gäller från"), null=True, blank=True, help_text=_("Tomt om källan inte anger när.")
    )
    prompted_by = models.ForeignKey(
        Cooperation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="prompted_versions",
        verbose_name=_("föranledd av"),
        help_text=_("Till exempel den utredning som ledde till ändringen."),
    )

    objects = natural_key_manager(NaturalKeyQuerySet, ("cooperation__slug", "sequence"))()
    history = tracked_history()

    class Meta:
        verbose_name = _("avtalsversion")
        verbose_name_plural = _("avtalsversioner")
        ordering = ["cooperation__name", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "sequence"],
                name="%(app_label)s_%(class)s_unique_sequence",
                violation_error_message=_("Samverkan har redan en version med den ordningen."),
            ),
        ]

    def __str__(self):
        return _("%(cooperation)s, version %(n)s: %(kind)s") % {
            "cooperation": self.cooperation,
            "n": self.sequence,
            "kind": self.get_kind_display().lower(),
        }

    def natural_key(self):
        return (self.cooperation.slug, self.sequence)

    natural_key.dependencies = ["agreements.cooperation"]

    def get_absolute_url(self):
        return self.cooperation.get_absolute_url() + f"#version-{self.sequence}"


class Proposal(TimestampedModel):
    """A proposal about a cooperation, for example a study's proposal to strengthen a network.

    A proposal is not the thing itself: the network exists, strengthening it is proposed.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Föreslaget")
        DECIDED = "decided", _("Beslutat")
        REJECTED = "rejected", _("Avslaget")

    cooperation = models.ForeignKey(
        Cooperation,
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("gäller samverkan"),
    )
    position = models.PositiveSmallIntegerField(_("ordning"), default=1)
    proposed_in = models.ForeignKey(
        Cooperation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals_made",
        verbose_name=_("föreslaget i"),
        help_text=_("Till exempel den utredning som lade fram förslaget."),
    )
    summary = models.TextField(_("förslaget"))
    municipalities = models.ManyToManyField(
        Municipality,
        blank=True,
        related_name="proposals",
        verbose_name=_("kommuner som förslaget omfattar"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )

    objects = natural_key_manager(NaturalKeyQuerySet, ("cooperation__slug", "position"))()
    history = tracked_history()

    class Meta:
        verbose_name = _("förslag")
        verbose_name_plural = _("förslag")
        ordering = ["cooperation__name", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "position"],
                name="%(app_label)s_%(class)s_unique_position",
                violation_error_message=_("Samverkan har redan ett förslag med den ordningen."),
            ),
        ]

    def __str__(self):
        return _("Förslag om %(cooperation)s") % {"cooperation": self.cooperation}

    def natural_key(self):
        return (self.cooperation.slug, self.position)

    natural_key.dependencies = ["agreements.cooperation", "agreements.municipality"]

    def get_absolute_url(self):
        return self.cooperation.get_absolute_url() + f"#forslag-{self.position}"
