import hashlib
import itertools
import re
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, router, transaction
from django.db.models import F, Q
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..documents import (
    MEDIA_TYPES,
    DocumentError,
    Format,
    check_size,
    extract,
    find_quote,
    normalize_text,
)
from ..links import slug_path
from .base import (
    HttpsURLField,
    NaturalKeyQuerySet,
    TimestampedModel,
    VersionedModel,
    inner_quote,
    natural_key_manager,
    slug_validator,
    tracked_history,
)
from .cooperations import AgreementVersion, Claim, Cooperation, Objection, Party, Proposal
from .places import Municipality
from .procurements import PlannedProcurement, ProcurementBuyer
from .staffing import Post, StaffingCommitment

__all__ = [
    "CITABLE_FIELDS",
    "Citation",
    "Interpellation",
    "InterpellationQuestion",
    "SourceDocument",
    "attach_citations",
    "citable_fields",
    "normalize_space",
]

_SPACE = re.compile(r"\s+")


def normalize_space(text: str) -> str:
    """Collapse runs of white space: hard line breaks in a source are layout, not content."""
    return _SPACE.sub(" ", text).strip()


def _locate(text: str, quote: str):
    """(start, end) of the one place `quote` occurs in `text`, or a Swedish reason why not.

    A quote found in two places is refused too: its link could land on the wrong passage.
    """
    if not text:
        return None, _(
            "Källan har ingen text att citera ur ännu. Ladda upp dokumentet eller klistra in "
            "texten på källan först."
        )
    found = find_quote(text, quote)
    if not found:
        return None, _("Citatet finns inte ordagrant i källan. Kopiera texten exakt ur dokumentet.")
    if len(found) > 1:
        return None, ngettext(
            "Citatet finns på %(count)d ställe i källan.",
            "Citatet finns på %(count)d ställen i källan. Ta med fler ord, så att det "
            "bara finns på ett ställe och länken hamnar rätt.",
            len(found),
        ) % {"count": len(found)}
    return found[0], None


def seed_path(file_name: str):
    """The file in seeds/, or None if there is none (or the name points outside the folder).

    Forms validate the name, but fixtures are loaded raw, past validators.
    """
    folder = settings.SEEDS_DIR.resolve()
    path = (folder / file_name).resolve()
    return path if path.is_relative_to(folder) and path.is_file() else None


def original_path(instance, filename):
    """Content-addressed: the same bytes get the same name, on every server and every upload.

    Files are never overwritten or deleted by a later edit, so the history's earlier versions
    keep pointing at the original they were made from.
    """
    return f"kallor/{instance.original_sha256}{PurePath(filename).suffix.lower()}"


class SourceDocument(TimestampedModel):
    """A document that facts in the registry are taken from, with its text and original file."""

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
    publisher = models.CharField(
        _("utgivare"),
        max_length=200,
        blank=True,
        help_text=_("Myndigheten eller organisationen som gav ut dokumentet."),
    )
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
    date_note = models.CharField(
        _("om dateringen"),
        max_length=300,
        blank=True,
        help_text=_(
            "För ett odaterat dokument: vad som går att säga om när det skrevs, och varför."
        ),
    )
    url = HttpsURLField(
        _("webbadress"), blank=True, help_text=_("Där dokumentet finns publicerat.")
    )
    text = models.TextField(
        _("text"),
        blank=True,
        help_text=_(
            "Dokumentets text, som citaten kontrolleras mot. Fylls i från filen du laddar upp; "
            "klistra in den själv om du inte har någon fil."
        ),
    )
    original = models.FileField(
        _("originalfil"), upload_to=original_path, max_length=300, blank=True
    )
    original_name = models.CharField(
        _("originalfilens namn"), max_length=255, blank=True, editable=False
    )
    original_format = models.CharField(
        _("filformat"), max_length=10, choices=Format.choices, blank=True, editable=False
    )
    original_size = models.PositiveBigIntegerField(
        _("filstorlek (byte)"), null=True, blank=True, editable=False
    )
    original_sha256 = models.CharField(
        _("SHA-256"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Kontrollsumma som visar att filen är oförändrad."),
    )
    file_name = models.CharField(
        _("fil i seeds/"),
        max_length=200,
        blank=True,
        help_text=_(
            "Bara för dokument som följer med koden i mappen seeds/; texten hämtas därifrån."
        ),
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*\.txt$",
                _("Ange bara filnamnet på en textfil i mappen seeds/, t.ex. dokument.txt."),
            )
        ],
    )

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
        return slug_path("agreements:source-detail", self.slug)

    def get_original_url(self):
        return slug_path("agreements:source-original", self.slug)

    @property
    def has_original(self):
        return bool(self.original_sha256)

    @property
    def original_media_type(self):
        return MEDIA_TYPES.get(self.original_format, "application/octet-stream")

    def open_original(self):
        """The original file, opened for reading in binary: from storage, or from seeds/."""
        if self.original:
            return self.original.open("rb")
        path = seed_path(self.file_name) if self.file_name else None
        return path.open("rb") if path else None

    # --- text and positions -------------------------------------------------------------------

    def _pending_upload(self):
        """The uploaded file not yet written to storage, if there is one."""
        if self.original and not getattr(self.original, "_committed", True):
            return self.original
        return None

    def take_in_original(self):
        """Read a newly attached original: its text, format, size and checksum.

        Runs from clean() for forms and from save() for everything else, so that no path
        stores a file without its text. Checking size and format first means a bad file is
        refused before anything is written.
        """
        upload = self._pending_upload()
        if upload is None or getattr(self, "_taken_in", None) is upload:
            return
        check_size(upload.size, settings.SOURCE_UPLOAD_MAX_BYTES)
        upload.seek(0)
        data = upload.read()
        found = extract(upload.name, data)
        self.text = found.text
        self.original_format = found.format
        self.original_size = found.size
        self.original_sha256 = found.sha256
        name = PurePath(upload.name).name
        stem, suffix = PurePath(name).stem, PurePath(name).suffix
        self.original_name = stem[: 255 - len(suffix)] + suffix
        self._taken_in = upload

    def take_in_seed_file(self):
        """A source shipped in seeds/ takes its text and checksum from that file."""
        if not self.file_name or self.original:
            return
        path = seed_path(self.file_name)
        if path is None:
            return
        data = path.read_bytes()
        self.text = data.decode("utf-8")
        self.original_name = self.file_name
        self.original_format = Format.TEXT
        self.original_size = len(data)
        self.original_sha256 = hashlib.sha256(data).hexdigest()

    def prepare_text(self):
        self.take_in_seed_file()
        self.take_in_original()
        self.text = normalize_text(self.text)
        self.keep_text_of_original()

    def keep_text_of_original(self):
        """The text of a source with an original file is what was read from that file.

        It changes only with a new file: edited by hand, it could say what the file does not,
        and a citation checked against it would prove nothing. Pasted text (no file) stays
        editable. Checked on every path that saves (forms, code, loaddata).
        """
        if self.pk is None or not self.has_original or self._pending_upload() is not None:
            return
        stored = (
            type(self)
            ._base_manager.filter(pk=self.pk)
            .values_list("text", "original_sha256")
            .first()
        )
        if stored is None or stored[1] != self.original_sha256 or stored[0] == self.text:
            return  # new here, or the text comes with another file (a revert to it)
        # Not tied to the text field: a form for a source with a file does not show it.
        raise ValidationError(
            _(
                "Texten är hämtad ur originalfilen och kan inte ändras för hand. Ladda upp en "
                "ny fil om texten ska ändras."
            ),
            code="text_of_original",
        )

    def citation_positions(self):
        """[(citation id, start, end)] in this text, or ValidationError naming what breaks.

        Only when the text has changed: an unrelated edit must not fail because of it.
        """
        if self.pk is None:
            return []
        stored = type(self).objects.filter(pk=self.pk).values_list("text", flat=True).first()
        if stored == self.text:
            return []
        positions, broken = [], []
        for pk, key, quote in self.citations.order_by("key").values_list("pk", "key", "quote"):
            span, _reason = _locate(self.text, quote)
            if span is None:
                broken.append((key, _shorten(normalize_space(quote))))
            else:
                positions.append((pk, *span))
        if broken:
            intro = ngettext(
                "Texten kan inte ändras så: det här citatet finns då inte längre på exakt ett "
                "ställe i den. Ändra eller ta bort citatet först.",
                "Texten kan inte ändras så: de här %(count)d citaten finns då inte längre på "
                "exakt ett ställe i den. Ändra eller ta bort citaten först.",
                len(broken),
            ) % {"count": len(broken)}
            raise ValidationError(
                format_html(
                    "{}<ul>{}</ul>", intro, format_html_join("", "<li>{} (”{}”)</li>", broken)
                )
            )
        return positions

    def clean(self):
        super().clean()
        if self.file_name and seed_path(self.file_name) is None:
            raise ValidationError(
                {"file_name": _("Filen %(name)s finns inte i seeds/.") % {"name": self.file_name}}
            )
        try:
            self.prepare_text()
        except DocumentError as error:
            raise ValidationError({"original": error.messages}) from None
        if not self.text.strip():
            raise ValidationError({"text": _("Ladda upp dokumentet eller klistra in dess text.")})
        # The field the editor changed, so the message appears next to it.
        field = "original" if self._pending_upload() else "file_name" if self.file_name else "text"
        try:
            self.citation_positions()
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from None

    def save(self, *args, **kwargs):
        self.prepare_text()
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            positions = self.citation_positions()
            written = self._write_original()
            try:
                super().save(*args, **kwargs)
            except BaseException:
                if written:
                    self.original.storage.delete(written)
                raise
            store_citation_positions(positions, using)

    save.alters_data = True

    def _write_original(self):
        """Write a new original under its content address; the name written, if new."""
        upload = self._pending_upload()
        if upload is None:
            return None
        name = original_path(self, upload.name)
        storage = self.original.storage
        if storage.exists(name):
            # The same bytes are stored already (an earlier upload, or a rolled-back save).
            self.original.name = name
            self.original._committed = True
            return None
        upload.seek(0)
        self.original.save(name, upload.file, save=False)
        return self.original.name

    def passages(self, citations):
        """The text cut at citation boundaries, for the source page to mark and anchor.

        Returns [{text, lanes, starts, anchors, classes}]: `lanes` are the lanes of the passages
        covering the piece (empty: not cited), `starts` the lanes of those beginning here, and
        `anchors` [(anchor, lane)] of the citations beginning here, nested in that order.

        Passages overlap and cross, so no element can hold a whole passage. Each distinct
        passage gets a lane instead: a number that no passage overlapping it has. The pieces of
        one lane's passages never touch, so the style sheet can highlight a landed passage as
        "the pieces of its lane from its anchor up to the lane's next start" (site.css).
        Citations of the same words share a lane and a piece, one anchor inside the other.
        """
        text = self.text
        cited = [
            c for c in citations if c.start is not None and c.end is not None and c.end <= len(text)
        ]
        lane_of = passage_lanes((c.start, c.end) for c in cited)
        cuts = sorted({0, len(text), *(c.start for c in cited), *(c.end for c in cited)})
        pieces = []
        for start, end in itertools.pairwise(cuts):
            beginning = sorted(
                (c for c in cited if c.start == start), key=lambda c: (-c.end, c.key)
            )
            lanes = sorted({lane_of[c.start, c.end] for c in cited if c.start <= start < c.end})
            starts = sorted({lane_of[c.start, c.end] for c in beginning})
            pieces.append(
                {
                    "text": text[start:end],
                    "lanes": lanes,
                    "starts": starts,
                    "anchors": [(c.anchor, lane_of[c.start, c.end]) for c in beginning],
                    # The style sheet's names for them: "c1" covered by lane 1, "s1" starts it.
                    "classes": " ".join([*(f"c{n}" for n in lanes), *(f"s{n}" for n in starts)]),
                }
            )
        return pieces


def passage_lanes(spans):
    """{(start, end): lane} so that overlapping passages never share a lane, in few lanes.

    Greedy by start (longest first), each passage takes the lowest lane free where it begins:
    for intervals that uses as many lanes as passages overlap at the deepest point.
    """
    lanes, free_from = {}, []
    for span in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        start, end = span
        lane = next((i for i, f in enumerate(free_from) if f <= start), len(free_from))
        if lane == len(free_from):
            free_from.append(end)
        else:
            free_from[lane] = end
        lanes[span] = lane
    return lanes


def _shorten(text, limit=80):
    return text if len(text) <= limit else text[: limit - 3] + "…"


def store_citation_positions(positions, using):
    if positions:
        Citation.objects.using(using).bulk_update(
            [Citation(pk=pk, start=start, end=end) for pk, start, end in positions],
            ["start", "end"],
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
    "agreement_version": AgreementVersion,
    "proposal": Proposal,
    "objection": Objection,
    "claim": Claim,
    "post": Post,
    "commitment": StaffingCommitment,
    "procurement": PlannedProcurement,
    "buyer": ProcurementBuyer,
    "interpellation": Interpellation,
    "question": InterpellationQuestion,
}


# Bookkeeping, not facts a source could state.
UNCITABLE = {"id", "version", "updated_at", "search_document", "slug"}


def citable_fields(model):
    """[(name, label)] of the fields of `model` that a citation may support."""
    return [
        (f.name, capfirst(f.verbose_name))
        for f in model._meta.concrete_fields
        if f.name not in UNCITABLE and f.editable
    ]


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
    # A source's text can run to megabytes, and a join would repeat it on every citation's row.
    def for_display(self):
        return self.select_related("source").defer("source__text").order_by("source__title", "pk")

    def with_targets(self):
        """Everything a citation's target needs for its natural key and page address.

        One query per kind of target on the page rather than one join per kind: a single
        query joining all twelve kinds and their parents (23 outer joins) took PostgreSQL
        over a second to plan at national scale, for a few milliseconds of execution. A
        prefetch whose rows all lack that target runs no query at all.
        """
        related = {
            "party": ("cooperation", "municipality"),
            "agreement_version": ("cooperation",),
            "proposal": ("cooperation",),
            "objection": ("cooperation",),
            "claim": ("made_by",),
            "post": ("employer",),
            "commitment": ("cooperation", "post__employer", "financer"),
            "buyer": ("procurement", "municipality"),
            "interpellation": ("answer",),
            "question": ("interpellation__answer",),
        }
        deferred = {
            "interpellation": ("answer__text",),
            "question": ("interpellation__answer__text",),
        }
        prefetches = [
            models.Prefetch(
                name,
                queryset=model._base_manager.select_related(*related.get(name, ())).defer(
                    *deferred.get(name, ())
                ),
            )
            for name, model in CITABLE_FIELDS.items()
        ]
        return self.select_related("source").defer("source__text").prefetch_related(*prefetches)

    def about_cooperation(self, cooperation):
        return self.for_display().filter(
            Q(cooperation=cooperation)
            | Q(party__cooperation=cooperation)
            | Q(commitment__cooperation=cooperation)
            | Q(objection__cooperation=cooperation)
            | Q(agreement_version__cooperation=cooperation)
            | Q(proposal__cooperation=cooperation)
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
                | Q(buyer__municipality=municipality)
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
    # Where the quote stands in the source's text (characters, end exclusive): found when the
    # citation is saved and moved along when the text changes, so every link lands on it.
    start = models.PositiveIntegerField(_("början i texten"), null=True, blank=True, editable=False)
    end = models.PositiveIntegerField(_("slut i texten"), null=True, blank=True, editable=False)

    municipality = _citable_fk(Municipality)
    cooperation = _citable_fk(Cooperation)
    party = _citable_fk(Party)
    objection = _citable_fk(Objection)
    claim = _citable_fk(Claim)
    post = _citable_fk(Post)
    commitment = _citable_fk(StaffingCommitment)
    procurement = _citable_fk(PlannedProcurement)
    # Who buys is a fact a source states (or the registry reads from one), like any other.
    buyer = _citable_fk(ProcurementBuyer)
    interpellation = _citable_fk(Interpellation)
    question = _citable_fk(InterpellationQuestion)
    agreement_version = _citable_fk(AgreementVersion)
    proposal = _citable_fk(Proposal)
    interpretation = models.TextField(
        _("registrets tolkning"),
        blank=True,
        help_text=_(
            "Fyll i när uppgiften inte står ordagrant i citatet utan är registrets tolkning av "
            "det: skriv hur citatet tolkas och varför. Visas på sidan vid uppgiften."
        ),
    )

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
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True) | Q(start__lt=F("end")),
                name="%(app_label)s_%(class)s_position_in_order",
                violation_error_message=_("Citatets början måste ligga före dess slut."),
            ),
        ]

    def __str__(self):
        mark = inner_quote(self)
        return f"{self.source}: {mark}{self.short_quote}{mark}"

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
        "agreements.procurementbuyer",
        "agreements.interpellation",
        "agreements.interpellationquestion",
        "agreements.agreementversion",
        "agreements.proposal",
    ]

    def get_absolute_url(self):
        return self.source.get_absolute_url() + f"#{self.anchor}"

    def clean(self):
        super().clean()
        errors = {}
        target = self.target
        if self.field_name and target is not None:
            fields = dict(citable_fields(type(target)))
            if self.field_name not in fields:
                errors["field_name"] = _(
                    "%(model)s har inget fält som heter ”%(field)s”. Välj ett av: %(names)s."
                ) % {
                    "model": capfirst(target._meta.verbose_name),
                    "field": self.field_name,
                    "names": ", ".join(f"{label} ({name})" for name, label in fields.items()),
                }
        if self.source_id and self.quote:
            try:
                self.locate()
            except ValidationError as error:
                errors["quote"] = error.messages
        if errors:
            raise ValidationError(errors)

    def locate(self):
        """Find the quote in the source's current text and keep its position.

        Called by clean() for forms and by save() for every other path (commands, shells,
        loaddata through its signal), so no citation is stored unchecked.
        """
        span, reason = _locate(self.source.text, self.quote)
        if span is None:
            raise ValidationError({"quote": reason})
        self.start, self.end = span

    def save(self, *args, **kwargs):
        self.locate()
        super().save(*args, **kwargs)

    save.alters_data = True
