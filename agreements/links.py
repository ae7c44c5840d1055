"""Absolute addresses, from the one configured public address (settings.REGISTRY_BASE_URL).

Never from the request: its Host header is the client's to choose (ALLOWED_HOSTS ignores the
port), and a link built from it would be cached or published for everyone else.
"""

from urllib.parse import urlsplit

from django.conf import settings


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
