from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import rules
from ..formats import format_fte
from .base import (
    DATE_ORDER_MESSAGE,
    LocalizedDecimalField,
    NaturalKeyQuerySet,
    RuleCheckedModel,
    VersionedModel,
    dates_in_order,
    in_force,
    inner_quote,
    natural_key_manager,
    period_state,
    slug_validator,
    tracked_history,
)
from .cooperations import Cooperation
from .places import Municipality

__all__ = ["MAX_FTE", "Post", "StaffingCommitment"]

# One commitment finances a share of one post, so it can never exceed a full-time post.
MAX_FTE = rules.MAX_FTE
FTE_RANGE_MESSAGE = _(
    "Andelen av en tjänst måste vara större än 0 och högst 1,0 (en heltidstjänst)."
)


class Post(RuleCheckedModel, VersionedModel):
    """A procurer post, employed by one municipality, possibly financed by others."""

    employer = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("anställande kommun"),
    )
    slug = models.SlugField(_("kortnamn"), max_length=100, validators=[slug_validator])
    name = models.CharField(
        _("beskrivning av tjänsten"),
        max_length=200,
        help_text=_("Hur källan beskriver tjänsten."),
    )
    title = models.CharField(
        _("befattning"),
        max_length=200,
        blank=True,
        help_text=_("Lämna tomt om källan inte anger befattningen."),
    )
    employer_share = LocalizedDecimalField(
        _("arbetsgivarens egen andel"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_FTE)],
        help_text=_(
            "Hur stor del av tjänsten den anställande kommunen själv betalar. Tomt (okänt) om "
            "källan inte säger det: att andra medfinansierar säger inget om den egna andelen."
        ),
    )

    objects = natural_key_manager(NaturalKeyQuerySet, ("employer__code", "slug"))()
    history = tracked_history()

    class Meta:
        verbose_name = _("tjänst")
        verbose_name_plural = _("tjänster")
        ordering = ["employer__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "slug"],
                name="%(app_label)s_%(class)s_unique_slug_per_employer",
                violation_error_message=_("Kommunen har redan en tjänst med det kortnamnet."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.employer})"

    def natural_key(self):
        return (self.employer.code, self.slug)

    natural_key.dependencies = ["agreements.municipality"]

    def get_absolute_url(self):
        return self.employer.get_absolute_url() + f"#tjanst-{self.slug}"


class StaffingCommitmentQuerySet(NaturalKeyQuerySet):
    def current(self, on=None):
        """Commitments in force on a day (today): not superseded, started and not ended.

        The one definition of "current"; `StaffingCommitment.state` says the same per row.
        """
        on = on or timezone.localdate()
        # NOT EXISTS rather than the reverse one-to-one's "IS NULL" (a left join): inside the
        # lists' per-municipality sums PostgreSQL merged that join against every superseding
        # share, 0.17 ms a municipality, where the anti-join is one probe of a unique index.
        superseding = StaffingCommitment.objects.filter(supersedes=OuterRef("pk"))
        return self.filter(~models.Exists(superseding), in_force(on))

    def with_related(self):
        return self.select_related(
            "cooperation",
            "post__employer",
            "financer",
            "supersedes__financer",
            "supersedes__post",
            "superseded_by",
        )

    def history(self):
        """Oldest first: in the order of the agreement's versions, then by financer and each
        chain; dates are often unknown. A share that moved to a new post when the agreement
        was extended comes after the share it replaced."""
        return self.with_related().order_by(
            models.F("agreement_version__sequence").asc(nulls_first=True),
            "financer__name",
            "post__name",
            "sequence",
            "pk",
        )

    def total_fte_subquery(self, field, outer="pk"):
        """Sum of FTE grouped by `field`, correlated to the outer query's `outer` column."""
        totals = (
            self.filter(**{field: OuterRef(outer)})
            .order_by()
            .values(field)
            .annotate(total=Sum("fte"))
            .values("total")
        )
        return Coalesce(
            Subquery(totals, output_field=models.DecimalField(max_digits=6, decimal_places=2)),
            Value(Decimal("0.00")),
            output_field=models.DecimalField(max_digits=6, decimal_places=2),
        )


class StaffingCommitment(RuleCheckedModel, VersionedModel):
    """A municipality financing a share of a post within a cooperation.

    A change of share is recorded as a new commitment that supersedes the earlier one, so the
    history is never overwritten. `sequence` orders the history because dates are often unknown.
    """

    cooperation = models.ForeignKey(
        Cooperation,
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("samverkan"),
    )
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("tjänst")
    )
    financer = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="financed_commitments",
        verbose_name=_("finansierande kommun"),
    )
    fte = LocalizedDecimalField(
        _("andel av heltidstjänst"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal("0.01"), message=FTE_RANGE_MESSAGE),
            MaxValueValidator(MAX_FTE, message=FTE_RANGE_MESSAGE),
        ],
        help_text=_("Till exempel 0,5 för en halvtidstjänst. Tomt om källan inte anger andelen."),
    )
    agreement_version = models.ForeignKey(
        "agreements.AgreementVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("avtalsversion"),
        help_text=_("Den version av avtalet som gav åtagandet, om den är känd."),
    )
    sequence = models.PositiveSmallIntegerField(
        _("ordning"),
        blank=True,
        help_text=_("Ordningen i historiken för samma tjänst och kommun. Sätts automatiskt."),
    )
    supersedes = models.OneToOneField(
        "self",
        # History is never lost: an earlier commitment cannot be deleted while one replaces it.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("ersätter"),
        error_messages={"unique": _("Det åtagandet har redan ersatts av ett annat.")},
    )
    start_date = models.DateField(_("gäller från"), null=True, blank=True)
    end_date = models.DateField(_("gäller till"), null=True, blank=True)
    note = models.TextField(
        _("kommentar"),
        blank=True,
        help_text=_("Visas offentligt, på samverkans och kommunernas sidor och i öppna data."),
    )

    objects = natural_key_manager(
        StaffingCommitmentQuerySet,
        ("cooperation__slug", "post__employer__code", "post__slug", "financer__code", "sequence"),
    )()
    history = tracked_history()

    class Meta:
        verbose_name = _("finansieringsåtagande")
        verbose_name_plural = _("finansieringsåtaganden")
        ordering = ["cooperation__name", "post__name", "financer__name", "sequence"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__isnull=True) | (Q(fte__gt=0) & Q(fte__lte=MAX_FTE)),
                name="%(app_label)s_%(class)s_fte_range",
                violation_error_message=FTE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=dates_in_order(),
                name="%(app_label)s_%(class)s_dates_in_order",
                violation_error_message=DATE_ORDER_MESSAGE,
            ),
            models.UniqueConstraint(
                fields=["cooperation", "post", "financer", "sequence"],
                name="%(app_label)s_%(class)s_unique_sequence",
                violation_error_message=_(
                    "Det finns redan ett åtagande med samma ordning "
                    "för den här tjänsten och kommunen."
                ),
            ),
        ]

    def __str__(self):
        # The post's name in quotes, as the change log and the rules' messages give it: a name
        # that starts with a capital reads as a name, not as the middle of a sentence.
        if inner_quote(self) == "’":
            name = _("%(financer)s: %(fte)s av ’%(post)s’")
        else:
            name = _("%(financer)s: %(fte)s av ”%(post)s”")
        return name % {
            "financer": self.financer,
            "fte": format_fte(self.fte) if self.fte is not None else _("okänd andel"),
            "post": self.post.name,
        }

    def natural_key(self):
        return (
            self.cooperation.slug,
            *self.post.natural_key(),
            self.financer.code,
            self.sequence,
        )

    natural_key.dependencies = [
        "agreements.cooperation",
        "agreements.post",
        "agreements.municipality",
    ]

    def get_absolute_url(self):
        return self.cooperation.get_absolute_url() + "#finansiering"

    class State(models.TextChoices):
        # The latest share recorded, not superseded: "current" in the chain, which is as of
        # the sources' date, not necessarily today (facts.state_text says "nu" only when a
        # recent dated source confirmed it). The words claim no source: a share without one
        # is marked "källa saknas" where it is shown, and was called "som källan anger".
        CURRENT = "current", _("senast kända")
        FUTURE = "future", _("gäller från ett senare datum")
        ENDED = "ended", _("avslutat")
        SUPERSEDED = "superseded", _("ersatt")

    def state(self, on=None):
        """Where the commitment stands on a day (today); the row-wise twin of `current()`."""
        on = on or timezone.localdate()
        if self.is_superseded:
            return self.State.SUPERSEDED
        return self.State(period_state(self.start_date, self.end_date, on))

    @property
    def is_superseded(self):
        try:
            self.superseded_by  # noqa: B018 - the reverse accessor raises when nothing supersedes
        except StaffingCommitment.DoesNotExist:
            return False
        return self.pk is not None

    def locked_fields(self):
        """What a saved commitment keeps: who finances which post where; a superseded one
        keeps its share too (history is not rewritten). Forms show these read-only."""
        if self.pk is None:
            return ()
        identity = ("cooperation", "post", "financer")
        history = ("fte", "supersedes", "agreement_version")
        return (*identity, *history) if self.is_superseded else identity

    @property
    def is_current(self):
        return self.state() == self.State.CURRENT

    @property
    def state_display(self):
        """In words, with the date that makes it so: "gäller från 2027-01-01"."""
        state = self.state()
        if state == self.State.FUTURE:
            return _("gäller från %(date)s") % {"date": self.start_date.isoformat()}
        if state == self.State.ENDED:
            return _("avslutat %(date)s") % {"date": self.end_date.isoformat()}
        return state.label

    def _same_chain(self):
        return StaffingCommitment.objects.filter(
            cooperation_id=self.cooperation_id, post_id=self.post_id, financer_id=self.financer_id
        ).exclude(pk=self.pk)

    def clean(self):
        super().clean()
        if not (self.cooperation_id and self.post_id and self.financer_id):
            return
        errors = {}
        previous = self.supersedes
        if previous is not None:
            # The post may differ: an extended agreement can move a share to a new post.
            if (previous.cooperation_id, previous.financer_id) != (
                self.cooperation_id,
                self.financer_id,
            ):
                errors["supersedes"] = _(
                    "Ett åtagande kan bara ersätta ett tidigare åtagande för samma samverkan "
                    "och kommun."
                )
            elif self.pk and previous.pk == self.pk:
                errors["supersedes"] = _("Ett åtagande kan inte ersätta sig självt.")
            elif (
                previous.post_id == self.post_id
                and self.sequence is not None
                and previous.sequence >= self.sequence
            ):
                errors["supersedes"] = _("Det ersatta åtagandet måste komma före i ordningen.")
        if (
            self.agreement_version_id
            and self.agreement_version.cooperation_id != self.cooperation_id
        ):
            errors["agreement_version"] = _(
                "Avtalsversionen hör till en annan samverkan än åtagandet."
            )
        stored = StaffingCommitment.objects.filter(pk=self.pk).first() if self.pk else None
        changed = [
            name
            for name in self.locked_fields()
            if stored is not None
            and getattr(stored, self._meta.get_field(name).attname)
            != getattr(self, self._meta.get_field(name).attname)
        ]
        if changed and self.is_superseded:
            errors[changed[0]] = _(
                "Det här åtagandet har ersatts av ett senare och kan inte ändras. "
                "Registrera en ändring som ett nytt åtagande som ersätter det gällande."
            )
        elif changed:
            errors[changed[0]] = _(
                "Ett sparat åtagande kan inte flyttas till en annan kommun, tjänst eller "
                "samverkan. Avsluta det (fyll i ”gäller till”) och registrera ett nytt."
            )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        with rules.checked_writes():
            if self.sequence is None:
                # Numbered under the post's lock: two editors adding to the same post at once
                # get consecutive numbers instead of a duplicate-key error.
                rules.lock_post(self.post_id)
                last = self._same_chain().aggregate(m=models.Max("sequence"))["m"]
                self.sequence = (last or 0) + 1
            super().save(*args, **kwargs)
