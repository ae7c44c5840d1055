"""E-mail alerts: following a record or a filtered list, digests of its changes, the outbox.

Every mail is first a row in the outbox (OutboxMessage), written in the same transaction as
what causes it: the confirmation with the subscription, a digest with the subscription's step
to the next period. `manage.py deliver_outbox` sends due rows, one claimed at a time under a row
lock (`select_for_update(skip_locked=True)`: several workers never take the same row on
PostgreSQL), and marks it sent in that same transaction; an SMTP failure puts it back with
exponential backoff. So a mail is never lost while the SMTP server is down, and never written
twice: its idempotency key is unique.

Exactly once, honestly: if the worker dies after the SMTP server's "250" and before its commit,
the row is still pending and is sent again, with the same Message-ID, so the receiving side can
drop the copy. Nothing else sends a mail twice.

Digest periods are fixed (local midnight; Monday 00:00 for weekly ones), so a period is the
same whenever and however often the worker runs, and `digest:<subscription>:<period end>` can
be written once only. A period without changes writes nothing.

Links in mails come from REGISTRY_BASE_URL, never from a request.
"""

import contextlib
import hashlib
import hmac
import logging
import smtplib
from datetime import datetime, timedelta
from urllib.parse import urlencode

import django_filters
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models.signals import pre_delete
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from .changelog import changes_about
from .filters import CooperationFilter, MunicipalityFilter, OpportunityFilter, ProcurementFilter
from .models import (
    AlertRequest,
    Cooperation,
    Municipality,
    OutboxMessage,
    Party,
    PlannedProcurement,
    ProcurementBuyer,
    Subscription,
)

logger = logging.getLogger(__name__)

CLIENT_WINDOW = timedelta(hours=1)
RECIPIENT_WINDOW = timedelta(days=1)
# A refusal the SMTP server calls permanent (5xx: no such mailbox, say) is tried this many
# times, then given up. Anything else (4xx "try later", a server down or unreachable) is
# retried for as long as it takes, at most BACKOFF_CAP apart: an outage loses no mail.
PERMANENT_ATTEMPTS = 3
BACKOFF_CAP = timedelta(hours=6)
SENT_KEPT = timedelta(days=7)  # sent and failed rows hold an address: not longer than this
DIGEST_LIMIT = 30  # changes told in one mail; the rest are on the followed page
MAIL_ERRORS = (smtplib.SMTPException, OSError)


# --- what can be followed ------------------------------------------------------------------


class FollowedList:
    """A list page that can be followed: its FilterSet decides what matches."""

    # The digest's words for records that left the list and joined it.
    # Does members() keep the records of the unfiltered list too? Then None only means
    # filters no longer valid.
    keeps_whole_list = False
    left_heading = gettext_lazy("Inte längre i listan:")
    joined_heading = gettext_lazy("Nytt i listan:")

    def __init__(self, name, filterset_class, model, route, label):
        self.name, self.filterset_class, self.model = name, filterset_class, model
        self.route, self.label = route, label

    @property
    def parameters(self):
        # Sorting reorders a list but changes nothing in it: not part of what is followed.
        return {
            name
            for name, filter_ in self.filterset_class.base_filters.items()
            if not isinstance(filter_, django_filters.OrderingFilter)
        }

    def filterset(self, query):
        return self.filterset_class(QueryDict(query), queryset=self.model.objects.all())

    def members(self, query):
        """The pks of the records the list shows with these filters, or None where they are
        not kept: the whole list (a record joins or leaves it only by being registered or
        removed, which the changes tell) and filters no longer valid."""
        if not query:
            return None
        filterset = self.filterset(query)
        if not filterset.is_valid():
            return None
        return sorted(filterset.qs.order_by().values_list("pk", flat=True).distinct())

    def named(self, pks, joined=False):
        """[{name, url}] of these records, by name; a record removed since is named as it was
        last (from its history) and has no url. `joined`: they have joined the list (else
        left it). A list may add a `note`, a line under the record."""
        found = self.model._default_manager.in_bulk(pks)
        items = [{"name": str(obj), "url": absolute(obj.get_absolute_url()), "record": obj}
                 for obj in found.values()]  # fmt: skip
        gone = set(pks) - found.keys()
        if gone:
            last = {}
            for record in self.model.history.filter(id__in=gone).order_by("id", "history_date"):
                last[record.id] = record.instance
            items += [{"name": str(obj), "url": ""} for obj in last.values()]
        return sorted(items, key=lambda item: item["name"].casefold())


class FollowedFinder(FollowedList):
    """The joint-buying finder: its records are the procurements on either side of its matches,
    found by the finder's rule, not by the FilterSet (which only checks the filters). Kept for
    the whole list too: a procurement leaves it when its last partner goes, with no change to
    the procurement itself."""

    keeps_whole_list = True
    left_heading = gettext_lazy("Har inte längre någon matchning i listan:")
    joined_heading = gettext_lazy("Har fått en matchning i listan:")
    PARTNERS_TOLD = 3

    def named(self, pks, joined=False):
        """As FollowedList.named; those that joined with the procurements each can be done
        with, strongest first, in words: "Kan göras med Gator (Askersund)"; those that left
        with the reason when it is their own ("Upphandlingen är tilldelad, så den söker inga
        partner."), not when their partner went."""
        from .opportunities import for_procurement, why_unmatchable

        items = super().named(pks)
        for item in items[:DIGEST_LIMIT] if not joined else ():
            if "record" in item:
                item["note"] = why_unmatchable(item["record"]) or ""
        for item in items[:DIGEST_LIMIT] if joined else ():
            if "record" in item:
                matches, more = for_procurement(item["record"], limit=self.PARTNERS_TOLD)
                partners = [f"{m.other.title} ({m.other_municipality.name})" for m in matches]
                if partners:
                    item["note"] = _("Kan göras med %(partners)s") % {
                        "partners": ", ".join(partners) + (" …" if more else "")
                    }
        return items

    def members(self, query):
        filterset = self.filterset(query)
        if not filterset.is_valid():
            return None
        from .opportunities import members

        return members(filterset.finder_filters())


LISTS = {
    followed.name: followed
    for followed in (
        FollowedList(
            "kommuner", MunicipalityFilter, Municipality, "municipality-list",
            gettext_lazy("Kommuner"),
        ),
        FollowedList(
            "samverkan", CooperationFilter, Cooperation, "cooperation-list",
            gettext_lazy("Samverkan"),
        ),
        FollowedList(
            "upphandlingar", ProcurementFilter, PlannedProcurement, "procurement-list",
            gettext_lazy("Upphandlingar som övervägs eller planeras"),
        ),
        FollowedFinder(
            "mojligheter", OpportunityFilter, PlannedProcurement, "opportunity-list",
            gettext_lazy("Upphandlingar som kan göras gemensamt"),
        ),
    )
}  # fmt: skip
LIST_OF_ROUTE = {followed.route: followed for followed in LISTS.values()}
KIND_OF_MODEL = {
    Municipality: Subscription.Kind.MUNICIPALITY,
    Cooperation: Subscription.Kind.COOPERATION,
    PlannedProcurement: Subscription.Kind.PROCUREMENT,
}


class BadFilters(ValueError):
    """A list's filters that its FilterSet refuses: (label, message) pairs in `errors`."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def _kept(followed, params):
    """The list's filters among `params`, by name, empty values and sorting left out."""
    return [
        (name, value)
        for name in sorted(params)
        if name in followed.parameters
        for value in params.getlist(name)
        if value.strip()
    ]


def normalise_list_query(followed, params):
    """The list's filters as one canonical query string, checked by the list's FilterSet.

    Empty values and sorting are dropped and names sorted, so that the same filters always
    read the same. Returns it with the checked FilterSet; raises BadFilters with the
    FilterSet's own messages.
    """
    from .filters import describe_errors

    query = urlencode(_kept(followed, params))
    filterset = followed.filterset(query)
    if not filterset.is_valid():
        raise BadFilters(describe_errors(filterset.form))
    return query, filterset


def follow_list_url(route, params):
    """The follow page of the list `route` with its filters `params`, for the list pages'
    "Bevaka" link (no check: the follow page checks)."""
    followed = LIST_OF_ROUTE[route]
    query = urlencode([("lista", followed.name), *_kept(followed, params)])
    return reverse("agreements:follow-list") + "?" + query


def describe_list(followed, query, filterset=None):
    """The list and its filters in words, in the active language: "upphandlingar som övervägs
    eller planeras (Kommun: Laxå, CPV-kod: 7731)". `filterset`: the list's, already checked."""
    filterset = filterset or followed.filterset(query)
    parts = []
    if filterset.is_valid():
        for name, value in filterset.form.cleaned_data.items():
            if value in (None, "", [], ()):
                continue
            field = filterset.form.fields[name]
            if hasattr(value, "pk"):
                shown = value  # a municipality or county, found by the filter already
            else:
                shown = dict(getattr(field, "choices", ()) or ()).get(value, value)
            parts.append(f"{field.label}: {shown}")
    # The description always runs inside a sentence ("Bevaka upphandlingar som …").
    label = str(followed.label).lower()
    return f"{label} ({', '.join(parts)})" if parts else label


def describe(subscription):
    """What a subscription follows, in words, in the active language."""
    if subscription.kind == Subscription.Kind.LIST:
        return describe_list(LISTS[subscription.list_name], subscription.list_query)
    names = {
        Subscription.Kind.MUNICIPALITY: _("kommunen %(name)s"),
        Subscription.Kind.COOPERATION: _("samverkan %(name)s"),
        Subscription.Kind.PROCUREMENT: _("upphandlingen %(name)s"),
    }
    return names[subscription.kind] % {"name": subscription.record}


def target(kind, record=None, list_name="", list_query=""):
    if kind == Subscription.Kind.LIST:
        return f"list:{list_name}?{list_query}"
    return f"{kind}:{record.pk}"


# --- tokens in links -----------------------------------------------------------------------

CONFIRM_SALT = "agreements.alerts.confirm"
UNSUBSCRIBE_SALT = "agreements.alerts.unsubscribe"


def confirm_token(subscription):
    return signing.dumps(subscription.key, salt=CONFIRM_SALT, compress=False)


def unsubscribe_token(subscription):
    # Never expires: an old mail's link must still stop the mails.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(subscription.key)


def subscription_for_confirm(token):
    """The subscription a confirmation link is for, or None when the link is forged, older
    than the days unconfirmed subscriptions are kept, or its subscription is gone."""
    try:
        key = signing.loads(
            token,
            salt=CONFIRM_SALT,
            max_age=timedelta(days=settings.REGISTRY_ALERTS_UNCONFIRMED_DAYS),
        )
    except signing.BadSignature:
        return None
    return Subscription.objects.filter(key=key).first()


class BadLink(ValueError):
    """A link whose token was not signed by the registry: mistyped, cut off or forged."""


def subscription_for_unsubscribe(token):
    """The subscription an unsubscribe link is for, or None when the link is genuine but its
    subscription is gone (unsubscribed already, or what it followed was removed). Raises
    BadLink for a link the registry never wrote, which says nothing about any subscription."""
    try:
        key = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature as error:
        raise BadLink(token) from error
    return Subscription.objects.filter(key=key).first()


def absolute(path):
    return settings.REGISTRY_BASE_URL + path


def confirm_url(subscription):
    with translation.override(subscription.language):
        return absolute(
            reverse("agreements:follow-confirm", kwargs={"token": confirm_token(subscription)})
        )


def unsubscribe_url(subscription):
    with translation.override(subscription.language):
        return absolute(
            reverse(
                "agreements:follow-unsubscribe", kwargs={"token": unsubscribe_token(subscription)}
            )
        )


# --- rate limits ---------------------------------------------------------------------------


def client_key(request):
    """A keyed hash of the client's address, as for error reports: recognises the same client
    again without keeping its address."""
    address = get_client_ip_address(request) or ""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"alerts:{address}".encode(), hashlib.sha256
    ).hexdigest()


def client_over_limit(key, now=None):
    now = now or timezone.now()
    AlertRequest.objects.filter(created_at__lt=now - CLIENT_WINDOW).delete()
    recent = AlertRequest.objects.filter(client_key=key, created_at__gte=now - CLIENT_WINDOW)
    return recent.count() >= settings.REGISTRY_ALERTS_PER_HOUR


def confirmations_today(email, now=None):
    since = (now or timezone.now()) - RECIPIENT_WINDOW
    return OutboxMessage.objects.filter(
        recipient__iexact=email, idempotency_key__startswith="confirm:", created_at__gte=since
    ).count()


# --- subscribing, confirming, unsubscribing ------------------------------------------------


def mail_headers(subscription):
    """RFC 8058 one-click unsubscribe, in every mail."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        "Content-Language": subscription.language,
    }


def _outbox(subscription, key, subject, body, now):
    return OutboxMessage.objects.create(
        idempotency_key=key,
        subscription=subscription,
        recipient=subscription.email,
        subject=subject,
        body=body,
        headers=mail_headers(subscription),
        next_attempt_at=now,
    )


@transaction.atomic
def request_subscription(request, email, frequency, kind, record=None, list_name="",
                         list_query="", now=None):  # fmt: skip
    """Record a follow request and, when the address may get one, write its confirmation.

    The caller shows the same page whatever happens here: an address already subscribed, or
    past its confirmations for the day, gets no new mail and learns nothing new.
    """
    now = now or timezone.now()
    AlertRequest.objects.create(client_key=client_key(request))
    language = translation.get_language() or settings.LANGUAGE_CODE
    email = BaseUserManager.normalize_email(email.strip())
    fields = {
        "kind": kind,
        "municipality": record if kind == Subscription.Kind.MUNICIPALITY else None,
        "cooperation": record if kind == Subscription.Kind.COOPERATION else None,
        "procurement": record if kind == Subscription.Kind.PROCUREMENT else None,
        "list_name": list_name,
        "list_query": list_query,
    }
    key = target(kind, record, list_name, list_query)
    subscription = (
        Subscription.objects.select_for_update().filter(email__iexact=email, target=key).first()
    )
    if subscription is None:
        subscription = Subscription(email=email, target=key, **fields)
    elif subscription.confirmed_at is not None:
        # Someone (perhaps not the owner) asks again: nothing changes and nothing is sent.
        return None
    subscription.language, subscription.frequency = language, frequency
    subscription.save()
    if confirmations_today(email, now) >= settings.REGISTRY_ALERTS_CONFIRMATIONS_PER_DAY:
        return subscription
    sent = subscription.messages.filter(idempotency_key__startswith="confirm:").count()
    with translation.override(subscription.language):
        context = {
            "subscription": subscription,
            "followed": describe(subscription),
            "followed_url": absolute(subscription.get_absolute_url()),
            "confirm_url": confirm_url(subscription),
            "unsubscribe_url": unsubscribe_url(subscription),
            "days": settings.REGISTRY_ALERTS_UNCONFIRMED_DAYS,
            "frequency": subscription.get_frequency_display(),
        }
        subject = _("Bekräfta din bevakning i Samverkansregistret")
        body = render_to_string("alerts/confirm_email.txt", context)
    _outbox(subscription, f"confirm:{subscription.key}:{sent + 1}", subject, body, now)
    return subscription


def confirm(subscription, now=None):
    """The address has said yes: digests start with the changes from now on."""
    if subscription.confirmed_at is None:
        now = now or timezone.now()
        subscription.confirmed_at = subscription.covered_until = now
        subscription.members = list_members(subscription)
        subscription.members_read_at = now
        subscription.save(
            update_fields=["confirmed_at", "covered_until", "members", "members_read_at"]
        )


def unsubscribe(subscription):
    """Delete the subscription, its address and its unsent mail."""
    subscription.delete()


def tell_followers_of_removal(sender, instance, **kwargs):
    """A followed record is being deleted, and its subscriptions with it: each confirmed
    follower gets a last mail saying so, written in the deletion's transaction (pre_delete runs
    inside it), so the mail is written if and only if the record is gone.

    The mail belongs to no subscription (the row is deleted with the record) and has no
    unsubscribe link or header: there is nothing left to unsubscribe from. Like any sent mail
    it is deleted SENT_KEPT after it was written.
    """
    now = timezone.now()
    kind = KIND_OF_MODEL[sender]
    followers = Subscription.objects.confirmed().filter(kind=kind, **{kind: instance})
    for subscription in followers:
        setattr(subscription, kind, instance)  # describe() names it without a query
        with translation.override(subscription.language):
            followed = describe(subscription)
            subject = _("Bevakningen har upphört: %(followed)s") % {"followed": followed}
            body = render_to_string(
                "alerts/ended_email.txt",
                {"followed": followed, "base_url": settings.REGISTRY_BASE_URL},
            )
        OutboxMessage.objects.create(
            idempotency_key=f"ended:{subscription.key}",
            recipient=subscription.email,
            subject=subject[:300],
            body=body,
            headers={"Auto-Submitted": "auto-generated", "Content-Language": subscription.language},
            next_attempt_at=now,
        )


for _model in KIND_OF_MODEL:
    pre_delete.connect(
        tell_followers_of_removal, sender=_model, dispatch_uid=f"alerts-removed-{_model.__name__}"
    )


def delete_unconfirmed(now=None):
    """Addresses that never confirmed are kept REGISTRY_ALERTS_UNCONFIRMED_DAYS, no longer."""
    since = (now or timezone.now()) - timedelta(days=settings.REGISTRY_ALERTS_UNCONFIRMED_DAYS)
    deleted, _rows = Subscription.objects.filter(
        confirmed_at__isnull=True, created_at__lt=since
    ).delete()
    return deleted


# --- digests -------------------------------------------------------------------------------


# A change is dated when it is saved, and committed a moment later: a period is closed only
# this long after its end, so a change saved at 23.59.59 and committed after midnight still
# falls in a digest that has not yet been written.
SETTLE = timedelta(minutes=5)


def period_end(frequency, now):
    """The end of the latest closed period: today's local midnight, or this week's Monday
    (once `SETTLE` has passed since)."""
    local = timezone.localtime(now - SETTLE)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == Subscription.Frequency.WEEKLY:
        midnight -= timedelta(days=midnight.weekday())
    # Rebuilt from the date: a period across a daylight-saving change is still whole days.
    return timezone.make_aware(datetime(midnight.year, midnight.month, midnight.day))


def list_members(subscription):
    """The pks of the records a followed list holds now (FollowedList.members), or None."""
    if subscription.kind != Subscription.Kind.LIST:
        return None
    return LISTS[subscription.list_name].members(subscription.list_query)


def _ids(subscription, members, since):
    """(cooperation ids, procurement ids) whose changes the subscription follows (None: all).
    A list's are the records it holds now and those it held at the last digest (`members`,
    now): the change that took a record out of the list is told too."""
    kind = subscription.kind
    if kind == Subscription.Kind.COOPERATION:
        return [subscription.cooperation_id], []
    if kind == Subscription.Kind.PROCUREMENT:
        return [], [subscription.procurement_id]
    if kind == Subscription.Kind.MUNICIPALITY:
        municipalities = [subscription.municipality_id]
    else:
        followed = LISTS[subscription.list_name]
        if members is None and (subscription.list_query or followed.keeps_whole_list):
            # A filter value gone since (a municipality removed): a filter the FilterSet drops
            # would widen the list to everything, so nothing matches instead.
            return [], []
        ids = None if members is None else sorted({*members, *(subscription.members or ())})
        if followed.model is Cooperation:
            return ids, []
        if followed.model is PlannedProcurement:
            return [], ids
        if ids is None:
            return None, None
        municipalities = ids
    return (
        _of_municipalities(Party, "cooperation_id", municipalities, since),
        _of_municipalities(ProcurementBuyer, "procurement_id", municipalities, since),
    )


def _of_municipalities(model, column, municipalities, since):
    """The cooperations or procurements (`column`) these municipalities are parties to or
    buyers in now, and those of the parties and buyers changed since `since` that were theirs
    before or after the change: a buyer moved to another municipality, or removed, is told."""
    now = model.objects.filter(municipality__in=municipalities).values_list(column, flat=True)
    changed = model.history.filter(history_date__gte=since).values("id")
    lately = model.history.filter(municipality_id__in=municipalities, id__in=changed).values_list(
        column, flat=True
    )
    return sorted({*now, *lately})


def membership_changes(subscription, members):
    """(left, joined): the records a followed list no longer holds and those it holds anew,
    since the last digest (or the confirmation), each [{name, url}]; empty where not kept."""
    before = subscription.members
    if before is None or members is None:
        return [], []
    followed = LISTS[subscription.list_name]
    with translation.override(subscription.language):
        return (
            followed.named(set(before) - set(members)),
            followed.named(set(members) - set(before), joined=True),
        )


def digest_entries(subscription, since, until, members=None):
    """The changes of the period, told in the subscriber's language: the change log writes
    its words and values when it builds the entries, not when they are rendered."""
    coop_ids, proc_ids = _ids(subscription, members, since)
    with translation.override(subscription.language):
        return changes_about(
            coop_ids, proc_ids, limit=DIGEST_LIMIT + 1, since=since, until=until, removed=True
        )


def _entry_links(entry):
    owner = entry.owner
    page = absolute(owner.get_absolute_url())
    route = "cooperation-changes" if isinstance(owner, Cooperation) else "procurement-changes"
    changes = absolute(reverse(f"agreements:{route}", kwargs={"slug": owner.slug}))
    return page, changes


def render_digest(subscription, entries, since, until, left=(), joined=(), read_at=None):
    """(subject, text) of a digest, in the subscriber's language. `left` and `joined`: the
    list's records that have left it and joined it, read at `read_at`."""
    with translation.override(subscription.language):
        shown = entries[:DIGEST_LIMIT]
        items = []
        for entry in shown:
            page, changes = ("", "") if entry.removed else _entry_links(entry)
            items.append({"entry": entry, "page": page, "changes": changes})
        followed = describe(subscription)
        context = {
            "followed": followed,
            "followed_url": absolute(subscription.get_absolute_url()),
            "items": items,
            "more": len(entries) > DIGEST_LIMIT,
            "left": left[:DIGEST_LIMIT],
            "more_left": max(len(left) - DIGEST_LIMIT, 0),
            "joined": joined[:DIGEST_LIMIT],
            "more_joined": max(len(joined) - DIGEST_LIMIT, 0),
            "followed_list": LISTS.get(subscription.list_name),
            # The list as it was when its records were read last: at the confirmation, or
            # when a digest last found them changed.
            "members_read_at": subscription.members_read_at
            and timezone.localtime(subscription.members_read_at),
            "members_read_at_start": subscription.members_read_at == subscription.confirmed_at,
            "read_at": read_at and timezone.localtime(read_at),
            # Dates and times as the language writes them: 2026-12-03 06.00, 2026-12-03 06:00.
            "time_format": pgettext("datum och tid i mejl", "Y-m-d H.i"),
            "since": timezone.localtime(since),
            "until": timezone.localtime(until - timedelta(seconds=1)),
            "frequency": subscription.get_frequency_display(),
            "unsubscribe_url": unsubscribe_url(subscription),
            "base_url": settings.REGISTRY_BASE_URL,
        }
        subject = _("Ändringar i Samverkansregistret: %(followed)s") % {"followed": followed}
        body = render_to_string("alerts/digest_email.txt", context)
    return subject[:300], body


def write_digest(subscription_pk, now):
    """Close the subscription's due periods, in one transaction: a digest in the outbox for a
    period with changes, nothing for one without, and the period marked covered either way.
    Returns the number of digests written."""
    with transaction.atomic():
        subscription = (
            # Only the subscription's row: its followed record may be absent (an outer join).
            Subscription.objects.select_for_update(of=("self",))
            .select_related("municipality", "cooperation", "procurement")
            .filter(pk=subscription_pk, confirmed_at__isnull=False)
            .first()
        )
        if subscription is None:
            return 0  # unsubscribed meanwhile
        until = period_end(subscription.frequency, now)
        since = subscription.covered_until or subscription.confirmed_at
        if since >= until:
            return 0
        members = list_members(subscription)
        entries = digest_entries(subscription, since, until, members)
        left, joined = membership_changes(subscription, members)
        written = 0
        if entries or left or joined:
            subject, body = render_digest(
                subscription, entries, since, until, left, joined, read_at=now
            )
            key = f"digest:{subscription.key}:{until.isoformat()}"
            if not OutboxMessage.objects.filter(idempotency_key=key).exists():
                _outbox(subscription, key, subject, body, now)
                written = 1
        subscription.covered_until = until
        fields = ["covered_until"]
        if members != subscription.members:
            subscription.members, subscription.members_read_at = members, now
            fields += ["members", "members_read_at"]
        subscription.save(update_fields=fields)
        return written


def send_digests(now=None):
    """Write the digests of every confirmed subscription whose period has closed."""
    now = now or timezone.now()
    written = 0
    for frequency in Subscription.Frequency.values:
        due = Subscription.objects.confirmed().filter(
            frequency=frequency, covered_until__lt=period_end(frequency, now)
        )
        for pk in due.values_list("pk", flat=True).iterator():
            written += write_digest(pk, now)
    return written


# --- delivery ------------------------------------------------------------------------------


def is_permanent(error):
    """Did the SMTP server refuse for good (a 5xx reply), rather than for now?"""
    codes = [getattr(error, "smtp_code", None)]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
    return any(isinstance(code, int) and 500 <= code < 600 for code in codes)


def backoff(attempts):
    return min(timedelta(minutes=2 ** (attempts - 1)), BACKOFF_CAP)


def _email(message, connection):
    mail = EmailMultiAlternatives(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [message.recipient],
        reply_to=[settings.REGISTRY_CONTACT_EMAIL],
        headers={**message.headers, "Message-ID": message.message_id},
        connection=connection,
    )
    if message.html_body:
        mail.attach_alternative(message.html_body, "text/html")
    return mail


def deliver_one(connection, now=None):
    """Claim the next due message, send it and record the outcome, in one transaction.

    Returns "sent", "retry", "failed", or None when nothing is due.
    """
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        try:
            _email(message, connection).send(fail_silently=False)
        except MAIL_ERRORS as error:
            # A broken session must not carry on to the next message.
            with contextlib.suppress(*MAIL_ERRORS):
                connection.close()
            message.last_error = f"{type(error).__name__}: {error}"[:500]
            if is_permanent(error) and message.attempts >= PERMANENT_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
                logger.error("Outbox %s given up: %s", message, message.last_error)
            else:
                message.next_attempt_at = now + backoff(message.attempts)
            message.save()
            return "failed" if message.status == OutboxMessage.Status.FAILED else "retry"
        message.status = OutboxMessage.Status.SENT
        message.sent_at = now
        message.last_error = ""
        message.save()
        return "sent"


def deliver_outbox(now=None, limit=None):
    """Send what is due; a message that fails waits for its next attempt. Returns counts."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    connection = get_connection(fail_silently=False)
    try:
        while limit is None or sum(counts.values()) < limit:
            outcome = deliver_one(connection, now)
            if outcome is None:
                break
            counts[outcome] += 1
    finally:
        with contextlib.suppress(*MAIL_ERRORS):
            connection.close()
    return counts


def forget_old_messages(now=None):
    """Sent and abandoned mail hold an address: kept a week for the per-address limit and for
    operators, then deleted."""
    since = (now or timezone.now()) - SENT_KEPT
    OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED], created_at__lt=since
    ).delete()


def outbox_status(now=None):
    """For /healthz: how late the oldest due unsent mail is, in seconds, and whether that is
    more than REGISTRY_OUTBOX_LATE_MINUTES."""
    now = now or timezone.now()
    oldest = (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    late = 0 if oldest is None else int((now - oldest).total_seconds())
    state = "late" if late > settings.REGISTRY_OUTBOX_LATE_MINUTES * 60 else "ok"
    return {"status": state, "oldest_due_seconds": late}
