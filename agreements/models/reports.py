"""Error reports from the public about a record, and what staff did with them.

A report is staff-only: it is in no public page, the API, CSV, the sitemap, feeds or the change
history, and filing one changes nothing the public sees (agreements.cache ignores it). The
reporter's e-mail address, if given, is kept only until the report is handled (GDPR). No IP
address is stored: the rate limit keeps a keyed hash of the client's address, and only for as
long as the limit counts it (see agreements/error_reports.py).
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import HttpsURLField
from .cooperations import Cooperation
from .places import Municipality
from .procurements import PlannedProcurement
from .sources import SourceDocument

__all__ = ["ErrorReport"]

TEXT_MAX_LENGTH = 2000

# The public records with a page of their own, each a field of the report. One is set.
RECORD_FIELDS = ("municipality", "cooperation", "procurement", "source")


class ErrorReportQuerySet(models.QuerySet):
    def get_by_natural_key(self, reference):
        return self.get(reference=reference)

    def with_record(self):
        return self.select_related(*RECORD_FIELDS)


def _exactly_one_record():
    condition = models.Q()
    for field in RECORD_FIELDS:
        others = [f for f in RECORD_FIELDS if f != field]
        condition |= models.Q(**{f"{field}__isnull": False}) & models.Q(
            **{f"{other}__isnull": True for other in others}
        )
    return condition


class ErrorReport(models.Model):
    """Someone's report that a record's information is wrong, filed from its public page."""

    # A report changes nothing on the public pages: the page cache must not be emptied.
    affects_public_pages = False

    class Status(models.TextChoices):
        NEW = "new", _("ny")
        ANSWERED = "answered", _("besvarad")
        HANDLED = "handled", _("hanterad")

    reference = models.UUIDField(_("referens"), default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="error_reports",
        verbose_name=_("kommun"),
    )
    cooperation = models.ForeignKey(
        Cooperation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="error_reports",
        verbose_name=_("samverkan"),
    )
    procurement = models.ForeignKey(
        PlannedProcurement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="error_reports",
        verbose_name=_("upphandling"),
    )
    source = models.ForeignKey(
        SourceDocument,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="error_reports",
        verbose_name=_("källdokument"),
    )
    page = models.CharField(
        _("sidan rapporten skickades från"),
        max_length=300,
        help_text=_("Postens sida på det språk personen läste den."),
    )
    language = models.CharField(
        _("språk"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    text = models.CharField(_("vad som är fel"), max_length=TEXT_MAX_LENGTH)
    source_url = HttpsURLField(_("länk till källa"), max_length=500, blank=True)
    email = models.EmailField(
        _("e-postadress"),
        blank=True,
        help_text=_("Raderas när rapporten markeras som hanterad."),
    )
    created_at = models.DateTimeField(_("inkommen"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    answer = models.TextField(
        _("svar"),
        blank=True,
        help_text=_("Skickas till personen som rapporterade, om hen har lämnat en e-postadress."),
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("besvarad av"),
    )
    answered_at = models.DateTimeField(_("besvarad"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hanterad av"),
    )
    handled_at = models.DateTimeField(_("hanterad"), null=True, blank=True)
    # HMAC-SHA256 of the client's address under SECRET_KEY, for the rate limit only; emptied
    # once the limit no longer counts the report (agreements/error_reports.py).
    client_key = models.CharField(
        _("avsändarnyckel"), max_length=64, blank=True, editable=False, db_index=True
    )

    objects = ErrorReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("felrapport")
        verbose_name_plural = _("felrapporter")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one_record(),
                name="%(app_label)s_%(class)s_exactly_one_record",
                violation_error_message=_(
                    "En felrapport gäller exakt en post: en kommun, en samverkan, en "
                    "upphandling eller ett källdokument."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="handled") | models.Q(email=""),
                name="%(app_label)s_%(class)s_handled_without_email",
                violation_error_message=_(
                    "En hanterad felrapport får inte ha kvar personens e-postadress."
                ),
            ),
        ]

    def __str__(self):
        # Never the reporter's words or address: this is what the admin's log keeps.
        when = (
            timezone.localtime(self.created_at).strftime("%Y-%m-%d %H.%M")
            if self.created_at
            else ""
        )
        return _("Felrapport om %(record)s %(when)s") % {"record": self.record, "when": when}

    def natural_key(self):
        return (str(self.reference),)

    def get_absolute_url(self):
        # Staff-only: a report has no public page.
        return reverse("admin:agreements_errorreport_change", args=[self.pk])

    @property
    def record(self):
        for field in RECORD_FIELDS:
            value = getattr(self, field)
            if value is not None:
                return value
        return None

    @record.setter
    def record(self, obj):
        for field in RECORD_FIELDS:
            related = self._meta.get_field(field).related_model
            setattr(self, field, obj if isinstance(obj, related) else None)
