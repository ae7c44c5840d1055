import itertools
import re
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .base import (
    HttpsURLField,
    NaturalKeyQuerySet,
    TimestampedModel,
    VersionedModel,
    natural_key_manager,
    slug_validator,
    tracked_history,
)
from .cooperations import Claim, Cooperation, Objection, Party
from .places import Municipality
from .procurements import PlannedProcurement
from .staffing import Post, StaffingCommitment

__all__ = [
    "CITABLE_FIELDS",
    "Citation",
    "Interpellation",
    "InterpellationQuestion",
    "SourceDocument",
    "attach_citations",
    "normalize_space",
]

_SPACE = re.compile(r"\s+")


def normalize_space(text: str) -> str:
    """Collapse runs of white space: hard line breaks in a source are layout, not content."""
    return _SPACE.sub(" ", text).strip()


def _locate(text: str, quote: str):
    """(start, end) of `quote` in `text`, tolerating different line wrapping, or None."""
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    words = quote.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (match.start(), match.end()) if match else None


@cache
def _read_seed(file_name: str) -> str:
    return (settings.SEEDS_DIR / file_name).read_text(encoding="utf-8")


class SourceDocument(TimestampedModel):
    """A document that facts in the registry are taken from."""

    class Kind(models.TextChoices):
        INTERPELLATION_ANSWER = "interpellation_answer", _("Svar på interpellation")
        DECISION = "decision", _("Beslut")
        AGREEMENT = "agreement", _("Avtal")
        REPORT = "report", _("Utredning")
        JOB_AD = "job_ad", _("Platsannons")
        OTHER = "other", _("Annat")

    slug = models.SlugField(
        _("kortnamn i webbadress"), max_length=100, unique=True, validators=[slug_validator]
    )
    title = models.CharField(_("titel"), max_length=300)
    kind = models.CharField(_("typ av dokument"), max_length=30, choices=Kind.choices)
    author = models.CharField(_("författare"), max_length=200, blank=True)
    author_role = models.CharField(_("författarens roll"), max_length=200, blank=True)
    author_party = models.CharField(_("författarens parti"), max_length=50, blank=True)
    issuing_municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
        verbose_name=_("utfärdande kommun"),
    )
    date = models.DateField(_("datum"), null=True, blank=True, help_text=_("Tomt om odaterat."))
    file_name = models.CharField(
        _("fil i seeds/"),
        max_length=200,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$",
                _("Ange bara filnamnet på en textfil i mappen seeds/, t.ex. dokument.txt."),
            )
        ],
    )
    url = HttpsURLField(_("webbadress"), blank=True)

    objects = natural_key_manager(NaturalKeyQuerySet, ("slug",))()
    history = tracked_history()

    class Meta:
        verbose_name = _("källdokument")
        verbose_name_plural = _("källdokument")
        ordering = ["title"]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)

    natural_key.dependencies = ["agreements.municipality"]

    def get_absolute_url(self):
        return reverse("agreements:source-detail", kwargs={"slug": self.slug})

    def text(self) -> str:
        """The document's full text, or an empty string if it has no file."""
        if not self.file_name:
            return ""
        return _read_seed(self.file_name)

    def passages(self, citations):
        """The text cut at citation boundaries: [(text, marked, anchors starting here)].

        Citations may overlap, so the text is split at every start and end; a piece is marked
        when any citation covers it.
        """
        text = self.text()
        spans = []
        for citation in citations:
            found = _locate(text, citation.quote)
            if found:
                spans.append((*found, citation.anchor))
        cuts = sorted({0, len(text), *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
        pieces = []
        for start, end in itertools.pairwise(cuts):
            pieces.append(
                {
                    "text": text[start:end],
                    "marked": any(a <= start and end <= b for a, b, _ in spans),
                    "anchors": [anchor for a, _, anchor in spans if a == start],
                }
            )
        return pieces

    def clean(self):
        super().clean()
        if self.file_name and not (settings.SEEDS_DIR / self.file_name).is_file():
            raise ValidationError(
                {"file_name": _("Filen %(name)s finns inte i seeds/.") % {"name": self.file_name}}
            )


def _exactly_one_target():
    condition = Q()
    for name in CITABLE_FIELDS:
        only_this = Q(**{f"{name}__isnull": False})
        for other in CITABLE_FIELDS:
            if other != name:
                only_this &= Q(**{f"{other}__isnull": True})
        condition |= only_this
    return condition


class Interpellation(models.Model):
    """A councillor's formal question to a chair, answered in a source document."""

    slug = models.SlugField(
        _("kortnamn i webbadress"), max_length=100, unique=True, validators=[slug_validator]
    )
    title = models.CharField(_("rubrik"), max_length=300)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="interpellations",
        verbose_name=_("kommun"),
    )
    asked_by = models.CharField(_("ställd av"), max_length=200)
    asked_by_party = models.CharField(_("frågeställarens parti"), max_length=50, blank=True)
    addressed_to = models.CharField(_("ställd till"), max_length=200)
    addressed_to_role = models.CharField(_("mottagarens roll"), max_length=200, blank=True)
    addressed_to_party = models.CharField(_("mottagarens parti"), max_length=50, blank=True)
    background = models.TextField(_("bakgrund"), blank=True)
    answer = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answered_interpellations",
        verbose_name=_("svar"),
    )

    objects = natural_key_manager(NaturalKeyQuerySet, ("slug",))()

    class Meta:
        verbose_name = _("interpellation")
        verbose_name_plural = _("interpellationer")
        ordering = ["title"]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)

    natural_key.dependencies = ["agreements.municipality", "agreements.sourcedocument"]

    def get_absolute_url(self):
        if self.answer_id:
            return self.answer.get_absolute_url() + "#fragor"
        return self.municipality.get_absolute_url()


class InterpellationQuestion(models.Model):
    interpellation = models.ForeignKey(
        Interpellation,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("interpellation"),
    )
    number = models.PositiveSmallIntegerField(_("nummer"))
    question = models.TextField(_("fråga"))
    answer = models.TextField(_("svar"), blank=True)

    objects = natural_key_manager(NaturalKeyQuerySet, ("interpellation__slug", "number"))()

    class Meta:
        verbose_name = _("fråga i interpellation")
        verbose_name_plural = _("frågor i interpellation")
        ordering = ["interpellation__title", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["interpellation", "number"],
                name="%(app_label)s_%(class)s_unique_number",
                violation_error_message=_("Det finns redan en fråga med det numret."),
            ),
        ]

    def __str__(self):
        return self.question

    def natural_key(self):
        return (self.interpellation.slug, self.number)

    natural_key.dependencies = ["agreements.interpellation"]

    def get_absolute_url(self):
        return self.interpellation.get_absolute_url().split("#")[0] + f"#fraga-{self.number}"


# What a citation may point at: field name on Citation -> model. Explicit foreign keys keep
# referential integrity in the database, which a generic relation would not.
CITABLE_FIELDS = {
    "municipality": Municipality,
    "cooperation": Cooperation,
    "party": Party,
    "objection": Objection,
    "claim": Claim,
    "post": Post,
    "commitment": StaffingCommitment,
    "procurement": PlannedProcurement,
    "interpellation": Interpellation,
    "question": InterpellationQuestion,
}


def _citable_fk(model):
    return models.ForeignKey(
        model,
        # A citation documents its record; it goes when the record goes.
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=model._meta.verbose_name,
    )


class CitationQuerySet(NaturalKeyQuerySet):
    def for_display(self):
        return self.select_related("source").order_by("source__title", "pk")

    def with_targets(self):
        """Everything a citation's target needs for its natural key and page address."""
        return self.select_related(
            "source",
            "municipality",
            "cooperation",
            "party__cooperation",
            "party__municipality",
            "objection__cooperation",
            "claim__made_by",
            "post__employer",
            "commitment__cooperation",
            "commitment__post__employer",
            "commitment__financer",
            "procurement",
            "interpellation__answer",
            "question__interpellation__answer",
        )

    def about_cooperation(self, cooperation):
        return self.for_display().filter(
            Q(cooperation=cooperation)
            | Q(party__cooperation=cooperation)
            | Q(commitment__cooperation=cooperation)
            | Q(objection__cooperation=cooperation)
        )

    def about_municipality(self, municipality):
        return (
            self.for_display()
            .filter(
                Q(municipality=municipality)
                | Q(party__municipality=municipality)
                | Q(commitment__financer=municipality)
                | Q(post__employer=municipality)
                | Q(claim__made_by=municipality)
                | Q(procurement__buyers__municipality=municipality)
            )
            .distinct()
        )


def attach_citations(citations, **groups):
    """Give each object in `groups` (citation field -> objects) a `cited` list of its citations.

    One query fetches all citations for a page; this spreads them over the facts they support,
    so every fact on the page can link to its own passage.
    """
    by_target = {}
    for citation in citations:
        for name in groups:
            target_id = getattr(citation, f"{name}_id")
            if target_id is not None:
                by_target.setdefault((name, target_id), []).append(citation)
    for name, objects in groups.items():
        for obj in objects:
            obj.cited = by_target.get((name, obj.pk), [])
    return citations


class Citation(VersionedModel):
    """A verbatim passage of a source that supports a record, or one field of it."""

    source = models.ForeignKey(
        SourceDocument,
        # Deleting a source would orphan the facts it supports: refuse.
        on_delete=models.PROTECT,
        related_name="citations",
        verbose_name=_("källa"),
    )
    key = models.SlugField(
        _("ankare"),
        max_length=100,
        validators=[slug_validator],
        help_text=_("Unikt kortnamn inom källan; blir ankare i webbadressen (#citat-…)."),
    )
    quote = models.TextField(_("citat"), help_text=_("Ordagrant ur källan."))
    field_name = models.CharField(
        _("fält"),
        max_length=50,
        blank=True,
        help_text=_("Tomt om citatet stöder hela posten, annars fältets namn."),
    )
    note = models.TextField(_("kommentar"), blank=True)

    municipality = _citable_fk(Municipality)
    cooperation = _citable_fk(Cooperation)
    party = _citable_fk(Party)
    objection = _citable_fk(Objection)
    claim = _citable_fk(Claim)
    post = _citable_fk(Post)
    commitment = _citable_fk(StaffingCommitment)
    procurement = _citable_fk(PlannedProcurement)
    interpellation = _citable_fk(Interpellation)
    question = _citable_fk(InterpellationQuestion)

    objects = natural_key_manager(CitationQuerySet, ("source__slug", "key"))()
    history = tracked_history()

    class Meta:
        verbose_name = _("citat")
        verbose_name_plural = _("citat")
        ordering = ["source__title", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "key"],
                name="%(app_label)s_%(class)s_unique_key_per_source",
                violation_error_message=_("Källan har redan ett citat med det ankaret."),
            ),
            models.CheckConstraint(
                condition=_exactly_one_target(),
                name="%(app_label)s_%(class)s_exactly_one_target",
                violation_error_message=_("Ett citat ska höra till exakt en post."),
            ),
        ]

    def __str__(self):
        return f"{self.source}: ”{self.short_quote}”"

    @property
    def display_quote(self):
        """The quote as running text; the source page keeps the original line breaks."""
        return normalize_space(self.quote)

    @property
    def short_quote(self):
        text = self.display_quote
        return text if len(text) <= 80 else text[:77] + "…"

    @property
    def anchor(self):
        return f"citat-{self.key}"

    @property
    def target(self):
        for name in CITABLE_FIELDS:
            if getattr(self, f"{name}_id") is not None:
                return getattr(self, name)
        return None

    def natural_key(self):
        return (self.source.slug, self.key)

    natural_key.dependencies = [
        "agreements.sourcedocument",
        "agreements.municipality",
        "agreements.cooperation",
        "agreements.party",
        "agreements.objection",
        "agreements.claim",
        "agreements.post",
        "agreements.staffingcommitment",
        "agreements.plannedprocurement",
        "agreements.interpellation",
        "agreements.interpellationquestion",
    ]

    def get_absolute_url(self):
        return self.source.get_absolute_url() + f"#{self.anchor}"

    def clean(self):
        super().clean()
        errors = {}
        target = self.target
        if self.field_name and target is not None:
            names = {f.name for f in target._meta.concrete_fields}
            if self.field_name not in names:
                errors["field_name"] = _("%(model)s har inget fält som heter %(field)s.") % {
                    "model": target._meta.verbose_name,
                    "field": self.field_name,
                }
        if self.source_id and self.quote:
            text = self.source.text()
            if text and normalize_space(self.quote) not in normalize_space(text):
                errors["quote"] = _(
                    "Citatet finns inte ordagrant i källan. Kopiera texten exakt ur dokumentet."
                )
        if errors:
            raise ValidationError(errors)
