from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import (
    DATE_ORDER_MESSAGE,
    LocalizedDecimalField,
    NaturalKeyQuerySet,
    VersionedModel,
    dates_in_order,
    natural_key_manager,
    slug_validator,
)
from .cooperations import Cooperation
from .places import Municipality

__all__ = ["MAX_FTE", "Post", "StaffingCommitment", "check_post_totals"]

# One commitment finances a share of one post, so it can never exceed a full-time post.
MAX_FTE = Decimal("1.00")
FTE_RANGE_MESSAGE = _(
    "Andelen av en tjänst måste vara större än 0 och högst 1,0 (en heltidstjänst)."
)


class Post(VersionedModel):
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

    objects = natural_key_manager(NaturalKeyQuerySet, ("employer__code", "slug"))()
    history = HistoricalRecords(inherit=False)

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
    def current(self):
        """Commitments in force: not superseded by a later one and not ended."""
        today = timezone.localdate()
        return self.filter(superseded_by__isnull=True).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)
        )

    def with_related(self):
        return self.select_related(
            "cooperation", "post__employer", "financer", "supersedes", "superseded_by"
        )

    def history(self):
        """Oldest first within each post and financer; dates may be unknown, so by sequence."""
        return self.with_related().order_by("post__name", "financer__name", "sequence")

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


class StaffingCommitment(VersionedModel):
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
        validators=[
            MinValueValidator(Decimal("0.01"), message=FTE_RANGE_MESSAGE),
            MaxValueValidator(MAX_FTE, message=FTE_RANGE_MESSAGE),
        ],
        help_text=_("Till exempel 0,5 för en halvtidstjänst."),
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
    note = models.TextField(_("kommentar"), blank=True)

    objects = natural_key_manager(
        StaffingCommitmentQuerySet,
        ("cooperation__slug", "post__employer__code", "post__slug", "financer__code", "sequence"),
    )()
    history = HistoricalRecords(inherit=False)

    class Meta:
        verbose_name = _("finansieringsåtagande")
        verbose_name_plural = _("finansieringsåtaganden")
        ordering = ["cooperation__name", "post__name", "financer__name", "sequence"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__gt=0) & Q(fte__lte=MAX_FTE),
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
        return _("%(financer)s: %(fte)s av %(post)s") % {
            "financer": self.financer,
            "fte": number_format(self.fte, decimal_pos=2),
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

    @property
    def is_current(self):
        if self.end_date and self.end_date < timezone.localdate():
            return False
        try:
            self.superseded_by  # noqa: B018 - the reverse accessor raises when nothing supersedes
        except StaffingCommitment.DoesNotExist:
            return True
        return False

    def _same_chain(self):
        return StaffingCommitment.objects.filter(
            cooperation_id=self.cooperation_id, post_id=self.post_id, financer_id=self.financer_id
        ).exclude(pk=self.pk)

    def clean(self):
        super().clean()
        if not (self.cooperation_id and self.post_id and self.financer_id):
            return
        errors = {}
        if not self.cooperation.parties.filter(municipality_id=self.financer_id).exists():
            errors["financer"] = _(
                "%(financer)s är inte part i %(cooperation)s. Lägg först till kommunen som part."
            ) % {"financer": self.financer, "cooperation": self.cooperation}
        previous = self.supersedes
        if previous is not None:
            if (previous.cooperation_id, previous.post_id, previous.financer_id) != (
                self.cooperation_id,
                self.post_id,
                self.financer_id,
            ):
                errors["supersedes"] = _(
                    "Ett åtagande kan bara ersätta ett tidigare åtagande för samma samverkan, "
                    "tjänst och kommun."
                )
            elif self.pk and previous.pk == self.pk:
                errors["supersedes"] = _("Ett åtagande kan inte ersätta sig självt.")
            elif self.sequence is not None and previous.sequence >= self.sequence:
                errors["supersedes"] = _("Det ersatta åtagandet måste komma före i ordningen.")
        elif not self.pk and self._same_chain().filter(superseded_by__isnull=True).exists():
            errors["supersedes"] = _(
                "%(financer)s har redan ett gällande åtagande för den här tjänsten. "
                "Ett ändrat åtagande registreras som ett nytt som ersätter det gamla: "
                "välj det gamla i fältet ”ersätter”."
            ) % {"financer": self.financer}
        if self.pk and StaffingCommitment.objects.filter(supersedes_id=self.pk).exists():
            stored = StaffingCommitment.objects.get(pk=self.pk)
            fields = ("fte", "financer_id", "post_id", "cooperation_id", "supersedes_id")
            if any(getattr(stored, f) != getattr(self, f) for f in fields):
                errors["fte"] = _(
                    "Det här åtagandet har ersatts av ett senare och kan inte ändras. "
                    "Registrera en ändring som ett nytt åtagande som ersätter det gällande."
                )
        if errors:
            raise ValidationError(errors)
        if self.fte is not None and not self.end_date:
            check_post_totals([(self.pk, self.post, self.fte, self.supersedes)])

    def save(self, *args, **kwargs):
        if self.sequence is None:
            if self.supersedes_id:
                self.sequence = self.supersedes.sequence + 1
            else:
                last = self._same_chain().aggregate(m=models.Max("sequence"))["m"]
                self.sequence = (last or 0) + 1
        super().save(*args, **kwargs)


def check_post_totals(rows):
    """No post may be financed above one full-time post by its current commitments.

    `rows` are (pk, post, fte, supersedes) of the commitments being saved together; the other
    current commitments on the same posts come from the database.
    """
    own = {pk for pk, *_ in rows if pk}
    # History does not count: rows replaced by a row in this batch or already in the database.
    replaced = {s.pk for *_, s in rows if s is not None} | set(
        StaffingCommitment.objects.filter(supersedes_id__in=own).values_list(
            "supersedes_id", flat=True
        )
    )
    totals = defaultdict(Decimal)
    posts = {}
    for pk, post, fte, _supersedes in rows:
        if fte is None or (pk and pk in replaced):
            continue
        totals[post.pk] += fte
        posts[post.pk] = post
    for post_pk, post in posts.items():
        others = (
            StaffingCommitment.objects.current()
            .filter(post_id=post_pk)
            .exclude(pk__in=own | replaced)
        )
        total = totals[post_pk] + sum(c.fte for c in others)
        if total > MAX_FTE:
            raise ValidationError(
                _(
                    "Tjänsten ”%(post)s” skulle finansieras med sammanlagt %(total)s "
                    "heltidstjänst; mer än 1,0 går inte."
                )
                % {"post": post.name, "total": str(total).replace(".", ",")}
            )
