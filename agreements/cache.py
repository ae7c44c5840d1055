"""Shared cache of public pages, emptied by any change to the registry.

Anonymous GET requests for public pages and the API are the same for everyone, so they are
served from the cache when one is shared by every worker and server (Redis, through
DJANGO_CACHE_URL); without it, there is no page cache at all (PAGE_CACHE_SECONDS is 0).

Which pages are current is decided by the database, not by the cache: every save or delete of a
registry row bumps PageGeneration (its number and a new random mark) inside the same
transaction, and each key carries the mark read at the start of the request. A page built from
data before a commit can only be stored under the mark from before that commit, and a cache that
was down, restarted or flushed, a restored database or another registry on the same Redis
cannot bring a wrong page back.

The cache is an optimisation: when it fails or hangs (bounded by the socket timeouts in
settings), requests are answered from the database and the cache is left alone for
PAGE_CACHE_RETRY_SECONDS, with one warning in the log per interval.
"""

import hashlib
import logging
import threading
import time
import uuid

from django.apps import apps as global_apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, router, transaction
from django.db.models import F
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_migrate,
    post_save,
    pre_delete,
    pre_save,
)
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import downloads
from .pagecache.models import PageGeneration
from .release import release

logger = logging.getLogger(__name__)

UNCACHED_PARAMETERS = {"q", "format"}  # long-tail searches and streamed CSV
# Added by newsletters, social media and ads to links people share: no page reads them, and a
# shared link must still open, so they are neither refused nor part of the cache key.
TRACKING_PREFIXES = ("utm_",)
TRACKING_NAMES = frozenset(
    {
        *("fbclid", "gclid", "gbraid", "wbraid", "dclid", "msclkid", "yclid", "twclid"),
        *("ttclid", "li_fat_id", "igshid", "igsh", "srsltid", "_ga", "_gl"),
        *("mc_cid", "mc_eid", "mkt_tok", "ref"),
    }
)


def is_tracking(name):
    return name in TRACKING_NAMES or name.startswith(TRACKING_PREFIXES)


def drop_tracking_parameters(request):
    """Remove tracking parameters from the request before anything reads it: no page, API
    answer, link or cache key then depends on them (a page that echoed one in its language
    links would carry it to everyone it was cached for)."""
    if not any(is_tracking(name) for name in request.GET):
        return
    kept = request.GET.copy()
    for name in [name for name in kept if is_tracking(name)]:
        del kept[name]
    kept._mutable = False
    request.GET = kept
    request.META["QUERY_STRING"] = kept.urlencode()


# Namespaces whose views check their own parameters: DRF answers unknown ones with 400 JSON.
SELF_CHECKING_NAMESPACES = {"admin", "api"}


# --- the generation, in the database --------------------------------------------------------


def generation(using=None):
    """The number of the registry's latest committed change (0 before the first)."""
    value = PageGeneration.objects.using(using).values_list("value", flat=True).first()
    return value or 0


def generation_mark(using=None):
    """What cached pages are filed under: the random mark of the latest committed change."""
    return current(using)[0]


def current(using=None):
    """(mark, changed_at) of the latest committed change; ("none", None) before the first."""
    row = PageGeneration.objects.using(using).values_list("mark", "changed_at").first()
    return (row[0] or "none", row[1]) if row else ("none", None)


def request_generation(request):
    """`current()` read once per request: its cache key, ETag and Last-Modified agree."""
    if not hasattr(request, "_registry_generation"):
        request._registry_generation = _with_export(request, *current())
    return request._registry_generation


# The open data page shows the latest export, which changes without a
# change to the registry (`export_bulk` runs after it): the export is part of its mark. The
# bulk download itself is validated by its file (views.bulk_download).
EXPORT_PATH = "/oppna-data/"


def _with_export(request, mark, changed_at):
    if EXPORT_PATH not in request.path:
        return mark, changed_at
    export = downloads.latest()
    if export is None:
        return f"{mark}:no-export", changed_at
    newest = max(moment for moment in (changed_at, export.created_at) if moment is not None)
    return f"{mark}:{export.sha256[:16]}", newest


def bump(using=None, model=PageGeneration):
    """Count a change, in the caller's transaction: readers see it when, and only when, they see
    the change itself (PostgreSQL holds the row lock until the commit, which also orders the
    change feed's entries: agreements/changefeed.py). `model` is for data migrations."""
    rows = model.objects.using(using)
    mark, now = uuid.uuid4().hex, timezone.now()
    if rows.filter(pk=1).update(value=F("value") + 1, mark=mark, changed_at=now):
        return
    try:
        with transaction.atomic(using=using):
            rows.create(pk=1, value=1, mark=mark, changed_at=now)
    except IntegrityError:  # another transaction created it first
        rows.filter(pk=1).update(value=F("value") + 1, mark=mark, changed_at=now)


def _counts(sender):
    meta = sender._meta
    return not (
        meta.app_label != "agreements"
        # Migrations' historical models: the table may not exist yet (see _bump_after_migrate).
        or meta.apps is not global_apps
        # Each history row comes with a save of its record, which already counts.
        or meta.model_name.startswith("historical")
        # Staff-only rows (error reports from the public) change no public page.
        or not getattr(sender, "affects_public_pages", True)
    )


def _bump_on_change(sender, using=None, **kwargs):
    if _counts(sender):
        bump(using or router.db_for_write(sender))


def _lock_before_change(sender, using=None, **kwargs):
    """Take the generation row's lock before a change's first write, not after it.

    Every change ends up holding that row (its bump). Taken only after the change's first row
    write, two editors could each hold a row the other needs: one adds a buyer in a
    municipality (a key-share lock on the municipality's row), the other corrects the
    municipality's code (waiting for that lock) after bumping; PostgreSQL found a deadlock and
    one save failed. Locked first, the second change waits before it writes anything. Only
    inside a transaction: a lone autocommit save's bump must still commit after its row
    (agreements.cache's point), and there is nothing to hold it across."""
    if not _counts(sender):
        return
    alias = using or router.db_for_write(sender)
    conn = connections[alias]
    if conn.vendor == "postgresql" and conn.in_atomic_block:
        lock_generation(alias)


def lock_generation(using=None):
    """Hold the generation row's lock until the caller's transaction ends (each change's bump
    holds it too): what the caller writes then follows every change that holds it now."""
    PageGeneration.objects.using(using).select_for_update().filter(pk=1).exists()


def _bump_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    # Data migrations change rows without signals, and a new release may render differently.
    if sender.label != "pagecache":
        return
    if PageGeneration._meta.db_table in connections[using].introspection.table_names():
        bump(using)  # not when migrated back to before the table


def _never_backwards(sender, instance, raw=False, using=None, **kwargs):
    # A fixture or backup holding the row would set an older number, whose pages may still be
    # in the cache: it counts as one more change instead.
    if raw:
        instance.value = generation(using) + 1
        instance.mark = uuid.uuid4().hex
        instance.changed_at = timezone.now()


pre_save.connect(_lock_before_change, dispatch_uid="registry-cache-lock-save")
pre_delete.connect(_lock_before_change, dispatch_uid="registry-cache-lock-delete")
post_save.connect(_bump_on_change, dispatch_uid="registry-cache-save")
post_delete.connect(_bump_on_change, dispatch_uid="registry-cache-delete")
m2m_changed.connect(_bump_on_change, dispatch_uid="registry-cache-m2m")
post_migrate.connect(_bump_after_migrate, dispatch_uid="registry-cache-migrate")
pre_save.connect(_never_backwards, sender=PageGeneration, dispatch_uid="registry-cache-raw")


# --- a cache that may fail -------------------------------------------------------------------


class _Breaker:
    """After a failure, skip the cache for a while: a dead or hanging cache then costs one
    timeout per process and interval, not one per request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.closed_until = 0.0

    def is_open(self):
        return time.monotonic() < self.closed_until

    def call(self, operation, *args, default=None):
        if self.is_open():
            return default
        try:
            return operation(*args)
        except Exception as error:  # any failure: the database still has the answer
            self.trip(error)
            return default

    def trip(self, error):
        interval = settings.PAGE_CACHE_RETRY_SECONDS
        with self.lock:
            if time.monotonic() < self.closed_until:
                return
            self.closed_until = time.monotonic() + interval
        logger.warning(
            "Page cache unavailable (%s: %s); serving from the database, next try in %s s.",
            type(error).__name__,
            error,
            interval,
        )

    def reset(self):
        self.closed_until = 0.0


breaker = _Breaker()


def cache_status():
    """For /healthz: "ok", "unreachable", or "off" when no shared cache is configured."""
    if settings.PAGE_CACHE_SECONDS <= 0:
        return "off"
    if breaker.is_open():
        # Within the retry interval a hanging cache would cost every probe the full timeout.
        return "unreachable"
    try:
        cache.get("registry:health")
    except Exception as error:
        breaker.trip(error)
        return "unreachable"
    return "ok"


# --- the middleware --------------------------------------------------------------------------


def _cacheable(request):
    if request.method != "GET" or settings.PAGE_CACHE_SECONDS <= 0:
        return False
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return False  # staff see fresh pages
    if UNCACHED_PARAMETERS & set(request.GET):
        return False
    path = request.path
    return not (path.startswith("/" + settings.ADMIN_URL) or path == "/healthz")


def page_key(request):
    # Hashed: a query string may be long or hold characters a cache key should not.
    # Tracking parameters are gone already (drop_tracking_parameters, in HttpCachingMiddleware).
    query = "&".join(f"{k}={v!r}" for k, v in sorted(request.GET.lists()))
    path = hashlib.sha256(f"{request.path}?{query}".encode()).hexdigest()
    # The release too: a restart with new code or settings, without a migrate (which counts
    # as a change), must not be served the pages the old one cached.
    return f"page:{request_generation(request)[0]}:{release()[0]}:{path}"


def allowed_parameters(view_func, request=None):
    """The query parameters a public view understands: its `query_parameters`, none if unset;
    those of this request where the view says (`parameters_for`: the follow page, whose
    parameters depend on the list it is asked to follow)."""
    view = getattr(view_func, "view_class", None) or view_func
    if request is not None and hasattr(view, "parameters_for"):
        return frozenset(view.parameters_for(request))
    return frozenset(getattr(view, "query_parameters", ()))


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable(request) or breaker.is_open():
            return self.get_response(request)
        key = page_key(request)
        response = breaker.call(cache.get, key)
        if response is not None:
            return response
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not response.has_header("Set-Cookie")
        ):
            # A plain copy: rendered views keep querysets and serializers that need not pickle.
            copy = HttpResponse(response.content, status=response.status_code)
            for header, value in response.items():
                copy[header] = value
            breaker.call(cache.set, key, copy, settings.PAGE_CACHE_SECONDS)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A parameter no page understands is an error, as in the API: otherwise every made-up
        parameter would be a page of its own in the cache."""
        if SELF_CHECKING_NAMESPACES & set(request.resolver_match.namespaces):
            return None
        if getattr(view_func, "ignores_parameters", False):
            return None
        allowed = allowed_parameters(view_func, request)
        unknown = sorted(set(request.GET) - allowed)
        # A page takes one value of each: of two, one would be dropped without a word (and
        # each repetition would be a page of its own in the cache).
        repeated = sorted(name for name, values in request.GET.lists() if len(values) > 1)
        if unknown:
            message = _("Adressen innehåller något som sidan inte känner till: %(names)s.") % {
                "names": ", ".join(unknown)
            }
        elif repeated:
            message = _(
                "Adressen anger %(names)s mer än en gång. Sidan tar ett värde av var och en."
            ) % {"names": ", ".join(repeated)}
        else:
            return None
        return render(
            request,
            "400.html",
            {"message": message, "valid": ", ".join(sorted(allowed)), "about_parameters": True},
            status=400,
        )
