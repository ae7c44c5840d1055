"""Shared cache of public pages, emptied by any change to the registry.

Anonymous GET requests for public pages and the API are the same for everyone, so they are
served from the cache (Redis when DJANGO_CACHE_URL is set, so every worker and server shares
it). Every save or delete of a registry row bumps a generation number that is part of each
key: no page is ever served from before a change, without tracking which pages a row is on.
"""

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse

GENERATION_KEY = "registry:generation"
UNCACHED_PARAMETERS = {"q", "format"}  # long-tail searches and streamed CSV


def generation():
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return value


def bump_generation(sender, **kwargs):
    if sender._meta.app_label != "agreements":
        return
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)


post_save.connect(bump_generation, dispatch_uid="registry-cache-save")
post_delete.connect(bump_generation, dispatch_uid="registry-cache-delete")


def _cacheable(request):
    if request.method != "GET" or settings.PAGE_CACHE_SECONDS <= 0:
        return False
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return False  # staff see fresh pages
    if UNCACHED_PARAMETERS & set(request.GET):
        return False
    path = request.path
    return not (path.startswith("/" + settings.ADMIN_URL) or path == "/healthz")


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable(request):
            return self.get_response(request)
        key = f"page:{generation()}:{request.get_full_path()}"
        response = cache.get(key)
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
            cache.set(key, copy, settings.PAGE_CACHE_SECONDS)
        return response
