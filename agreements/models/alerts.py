"""E-mail alerts: who follows what, and the outbox their mail waits in.

None of this is public data: it is in no page, the API, CSV, feeds, the sitemap or the change
history, and writing it leaves the page cache alone (`affects_public_pages`). An address is kept
only to send the alerts its owner asked for: deleted on unsubscribe, and unconfirmed ones after
REGISTRY_ALERTS_UNCONFIRMED_DAYS (agreements/alerts.py).
"""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .cooperations import Cooperation
from .places import Municipality
from .procurements import PlannedProcurement

__all__ = ["AlertRequest", "OutboxMessage", "Subscription"]


def new_key():
    return secrets.token_urlsafe(24)


class NaturalKeyByKey(models.QuerySet):
    def get_by_natural_key(self, key):
        return self.get(key=key)


class OutboxQuerySet(models.QuerySet):
    def get_by_natural_key(self, idempotency_key):
        return self.get(idempotency_key=idempotency_key)


class AlertRequestQuerySet(models.QuerySet):
    def get_by_natural_key(self, pk):
        return self.get(pk=pk)


class SubscriptionQuerySet(NaturalKeyByKey):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)


class Subscription(models.Model):
    """An address that follows one record, or one list page with its filters."""

    affects_public_pages = False

    class Frequency(models.TextChoices):
        DAILY = "daily", _("dagligen")
        WEEKLY = "weekly", _("varje vecka")

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("kommun")
        COOPERATION = "cooperation", _("samverkan")
        PROCUREMENT = "procurement", _("upphandling")
        LIST = "list", _("lista")

    class ListName(models.TextChoices):
        MUNICIPALITIES = "kommuner", _("kommuner")
        COOPERATIONS = "samverkan", _("samverkan")
        PROCUREMENTS = "upphandlingar", _("upphandlingar")
        OPPORTUNITIES = "mojligheter", _("kan upphandlas gemensamt")

    # The random part of the links in its mails (signed, agreements/alerts.py); never the pk.
    key = models.CharField(_("nyckel"), max_length=40, unique=True, default=new_key, editable=False)
    email = models.EmailField(_("e-postadress"))
    language = models.CharField(
        _("språk"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    frequency = models.CharField(
        _("hur ofta"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    kind = models.CharField(_("bevakar"), max_length=15, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kommun"),
    )
    cooperation = models.ForeignKey(
        Cooperation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("samverkan"),
    )
    procurement = models.ForeignKey(
        PlannedProcurement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("upphandling"),
    )
    list_name = models.CharField(_("lista"), max_length=15, choices=ListName.choices, blank=True)
    # The list's filters as its FilterSet accepted them, empty values dropped and sorted, so the
    # same filters always read the same ("cpv=7731&municipality=laxa").
    list_query = models.CharField(_("filter"), max_length=500, blank=True)
    # What is followed, as one string: an address follows each thing once.
    target = models.CharField(_("bevakat"), max_length=600, editable=False)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("bekräftad"), null=True, blank=True)
    # The end of the last period a digest was written for (or the confirmation time): the next
    # digest tells the changes from here.
    covered_until = models.DateTimeField(_("bevakat till"), null=True, blank=True)
    # A filtered list's records (their pks) when the last digest was written, or at the
    # confirmation: the next digest tells which have left the list and which have joined it,
    # even where no change to the record itself says so (a buyer moved, a record deleted).
    members = models.JSONField(_("i listan"), null=True, blank=True, editable=False)
    # When `members` was read, which the digest names: "Jämfört med listan 2026-11-26 19.42".
    members_read_at = models.DateTimeField(_("listan läst"), null=True, blank=True, editable=False)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("bevakning")
        verbose_name_plural = _("bevakningar")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "target"],
                name="%(app_label)s_%(class)s_once_per_address",
                violation_error_message=_("Adressen bevakar redan detta."),
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="municipality",
                        municipality__isnull=False,
                        cooperation__isnull=True,
                        procurement__isnull=True,
                        list_name="",
                    )
                    | models.Q(
                        kind="cooperation",
                        municipality__isnull=True,
                        cooperation__isnull=False,
                        procurement__isnull=True,
                        list_name="",
                    )
                    | models.Q(
                        kind="procurement",
                        municipality__isnull=True,
                        cooperation__isnull=True,
                        procurement__isnull=False,
                        list_name="",
                    )
                    | models.Q(
                        kind="list",
                        municipality__isnull=True,
                        cooperation__isnull=True,
                        procurement__isnull=True,
                    )
                    & ~models.Q(list_name="")
                ),
                name="%(app_label)s_%(class)s_follows_one_thing",
                violation_error_message=_(
                    "En bevakning gäller en kommun, en samverkan, en upphandling eller en lista."
                ),
            ),
        ]

    def __str__(self):
        # Never the address: this is what logs and the admin's messages may show.
        return _("Bevakning av %(target)s") % {"target": self.target}

    def natural_key(self):
        return (self.key,)

    @property
    def record(self):
        return self.municipality or self.cooperation or self.procurement

    def get_absolute_url(self):
        """The page followed, in the subscriber's language (a path; mails prefix the base URL)."""
        from django.utils import translation

        with translation.override(self.language):
            if self.kind == self.Kind.LIST:
                from agreements.alerts import LISTS

                url = reverse(f"agreements:{LISTS[self.list_name].route}")
                return f"{url}?{self.list_query}" if self.list_query else url
            return self.record.get_absolute_url()


class OutboxMessage(models.Model):
    """A mail waiting to be sent, or sent: written in the transaction that causes it, delivered
    by `manage.py deliver_outbox`. The idempotency key makes a second copy of the same mail (the
    same period's digest, the same confirmation) impossible to write."""

    affects_public_pages = False

    class Status(models.TextChoices):
        PENDING = "pending", _("väntar")
        SENT = "sent", _("skickat")
        FAILED = "failed", _("gav upp")

    idempotency_key = models.CharField(_("idempotensnyckel"), max_length=200, unique=True)
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,  # unsubscribing takes unsent mail with it
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("bevakning"),
    )
    recipient = models.EmailField(_("mottagare"))
    subject = models.CharField(_("ämne"), max_length=300)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("html"), blank=True)
    headers = models.JSONField(_("rubrikrader"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("försök"), default=0)
    next_attempt_at = models.DateTimeField(_("nästa försök"))
    created_at = models.DateTimeField(_("skapat"), auto_now_add=True)
    sent_at = models.DateTimeField(_("skickat"), null=True, blank=True)
    last_error = models.CharField(_("senaste fel"), max_length=500, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        verbose_name = _("utgående e-post")
        verbose_name_plural = _("utgående e-post")
        ordering = ["next_attempt_at", "pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="%(app_label)s_%(class)s_sent_has_time",
                violation_error_message=_("Ett skickat meddelande har en tid då det skickades."),
            ),
        ]

    def __str__(self):
        return self.idempotency_key

    def natural_key(self):
        return (self.idempotency_key,)

    @property
    def message_id(self):
        """The same Message-ID on every attempt, so a copy resent after a crash mid-SMTP can be
        recognised downstream."""
        import hashlib
        from urllib.parse import urlsplit

        digest = hashlib.sha256(self.idempotency_key.encode()).hexdigest()[:32]
        domain = urlsplit(settings.REGISTRY_BASE_URL).hostname or "localhost"
        return f"<{digest}.outbox@{domain}>"


class AlertRequest(models.Model):
    """One submitted follow form, counted for the per-client rate limit and deleted after the
    hour it counts: only a keyed hash of the client's address, never the address."""

    affects_public_pages = False

    client_key = models.CharField(_("avsändarnyckel"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("inkommen"), auto_now_add=True, db_index=True)

    objects = AlertRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("bevakningsbegäran")
        verbose_name_plural = _("bevakningsbegäranden")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return _("Bevakningsbegäran %(pk)s") % {"pk": self.pk}

    def natural_key(self):
        return (self.pk,)
