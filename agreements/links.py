"""Absolute addresses, from the one configured public address (settings.REGISTRY_BASE_URL).

Never from the request: its Host header is the client's to choose (ALLOWED_HOSTS ignores the
port), and a link built from it would be cached or published for everyone else.
"""

import re
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation


def absolute_url(location):
    """`location`, a path or an address whose scheme and host are replaced, at the registry's
    public address."""
    parts = urlsplit(location)
    path = parts.path or "/"
    return settings.REGISTRY_BASE_URL + path + (f"?{parts.query}" if parts.query else "")


def base_parts():
    """The scheme and the host (with its port, if any) of the public address."""
    parts = urlsplit(settings.REGISTRY_BASE_URL)
    return parts.scheme, parts.netloc


# Django's slug converter: a slug it accepts needs no quoting in a path.
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_PLACEHOLDER = "slug-placeholder"


@cache
def _slug_route(view_name, language, script_prefix, urlconf):
    """The path of `view_name` around its slug, (before, after), in one language; None if the
    placeholder cannot stand for the slug."""
    path = reverse(view_name, kwargs={"slug": _PLACEHOLDER}, urlconf=urlconf)
    if path.count(_PLACEHOLDER) != 1:
        return None
    before, _placeholder, after = path.partition(_PLACEHOLDER)
    return before, after


def slug_path(view_name, slug):
    """`reverse(view_name, kwargs={"slug": slug})`, from the route's path remembered per
    language (and script prefix and URL configuration).

    A record's page address is written for every row of a list, the API and the bulk download,
    and `reverse` searches the URL patterns each time: an eighth of the bulk download's time in
    the profile.
    """
    route = _slug_route(view_name, translation.get_language(), get_script_prefix(), get_urlconf())
    if route is None or not isinstance(slug, str) or not SLUG.fullmatch(slug):
        return reverse(view_name, kwargs={"slug": slug})
    return route[0] + slug + route[1]


@receiver(setting_changed)
def _forget_routes(setting, **kwargs):
    if setting in ("ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE", "FORCE_SCRIPT_NAME"):
        _slug_route.cache_clear()
