"""HTTP caching: validators, 304s and a caching policy on every response.

Anonymous GET and HEAD requests for public pages, the API, CSV, feeds and the sitemap are the
same for everyone, so browsers, feed readers, crawlers and a shared proxy (deploy/nginx) may
keep them for a short while (DJANGO_HTTP_MAX_AGE, then DJANGO_HTTP_STALE_WHILE_REVALIDATE
while a fresh copy is fetched) and ask again cheaply:

- The ETag is a digest of the address (without tracking parameters), the mark of the
  registry's latest committed change (agreements.cache) and the running release
  (agreements.release): it changes whenever the data, the language (which is in the address)
  or the code can change the response.
- Last-Modified is the time of the registry's latest change or release, whichever is newer:
  never earlier than the newest change a response shows, though often later.
- A matching If-None-Match or If-Modified-Since is answered 304 here, before the page cache,
  the session or the view: one query (the mark), no rendering.

Everything else (the admin, anything a staff session asks for, forms with a CSRF token,
responses that set a cookie or read the session, errors) is `private, no-store`: no shared
cache may keep it, and nothing personal reaches a stranger.
"""

import hashlib
import time

from django.conf import settings
from django.db import DatabaseError
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from .cache import drop_tracking_parameters, request_generation
from .release import release

# Statuses a shared cache may keep: a page, a permanent redirect (APPEND_SLASH), a page that
# does not exist (until a change creates it, at most max-age later). A 400 is not among them:
# a proxy that let a bad Host header through would otherwise keep the refusal for everyone.
PUBLIC_STATUSES = {200, 301, 404}
PRIVATE = "private, no-store"


# Responses whose views set their own ETag and Last-Modified (and answer 304 themselves).
_VALIDATED_BY_THEIR_VIEWS = {"/oppna-data/registret.zip", "/en/oppna-data/registret.zip"}


def is_public_request(request):
    return (
        request.method in ("GET", "HEAD")
        # Staff see what they just saved, and nothing they see is kept for others.
        and not request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        and not request.path.startswith("/" + settings.ADMIN_URL)
        and request.path != "/healthz"
    )


def validators(request):
    """(ETag, Last-Modified as a timestamp) of the public response to `request`."""
    mark, changed_at = request_generation(request)
    code, released_at = release()
    query = sorted(request.GET.lists())  # without tracking parameters (dropped on the way in)
    digest = hashlib.sha256(f"{code}\0{mark}\0{request.path}\0{query!r}".encode()).hexdigest()
    newest = max(moment for moment in (changed_at, released_at) if moment is not None)
    return quote_etag(digest[:32]), int(newest.timestamp())


def settled(last_modified):
    """Last-Modified counts whole seconds: a copy made in the second of the latest change may
    predate it, and a client that sends only If-Modified-Since would be told it is current.
    Until that second has passed, the ETag alone validates (RFC 9110, 8.8.2.2)."""
    return time.time() - last_modified >= 2


def public_policy():
    return (
        f"public, max-age={settings.HTTP_MAX_AGE}, "
        f"stale-while-revalidate={settings.HTTP_STALE_WHILE_REVALIDATE}"
    )


def _vary(response):
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


def _without_vary(response, name):
    kept = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    kept = [v for v in kept if v.lower() != name.lower()]
    if kept:
        response["Vary"] = ", ".join(kept)
    elif response.has_header("Vary"):
        del response["Vary"]


def _personal(request, response):
    """Did building the response touch anything of the visitor's own?"""
    return bool(
        response.cookies
        or response.has_header("Set-Cookie")
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # a form's CSRF token is in the page
        or "cookie" in _vary(response)  # the session or the user was read
    )


class HttpCachingMiddleware:
    """Outside the session, locale and page-cache middleware: a 304 costs none of them, and the
    Vary headers they add are final when the policy is decided."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        drop_tracking_parameters(request)
        if not is_public_request(request):
            response = self.get_response(request)
            response["Cache-Control"] = PRIVATE
            return response
        # The bulk download is one file until the next export. Validated by the registry's
        # latest change, its Last-Modified moved forward with every change while the file
        # stayed the one written before; its view validates it by the file itself.
        by_view = request.path in _VALIDATED_BY_THEIR_VIEWS
        if not by_view:
            try:
                etag, last_modified = validators(request)
            except DatabaseError:
                # No database, no validators: whatever the view answers (a 500, most likely)
                # is nobody's to keep.
                response = self.get_response(request)
                response["Cache-Control"] = PRIVATE
                return response
            if not settled(last_modified):
                last_modified = None
            answered = get_conditional_response(request, etag=etag, last_modified=last_modified)
            if answered is not None:  # 304 Not Modified, or 412 for a failed If-Match
                if answered.status_code == 304:
                    self._validated(answered, etag, last_modified)
                else:
                    answered["Cache-Control"] = PRIVATE
                return answered
        response = self.get_response(request)
        keepable = PUBLIC_STATUSES | ({304} if by_view else set())
        if response.status_code not in keepable or _personal(request, response):
            response["Cache-Control"] = PRIVATE
            return response
        if response.status_code in (200, 304):  # a 304 here is the view's own
            if not by_view:
                self._validated(response, etag, last_modified)
            # The language is in the address (/en/, ?lang=en), not in Accept-Language: a shared
            # cache keeps one copy per address, not one per browser language.
            _without_vary(response, "Accept-Language")
        response["Cache-Control"] = public_policy()
        return response

    @staticmethod
    def _validated(response, etag, last_modified):
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = public_policy()
