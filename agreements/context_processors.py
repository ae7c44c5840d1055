from django.conf import settings
from django.urls import Resolver404, resolve, reverse, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language


def languages(request):
    """Links to this very page in each language, keeping the query string (filters, page), and
    the public address that absolute links start with (see agreements.links).

    A path that is no page of the registry (a 404) links to the start page in each language:
    echoing it back would make `//evil.example/x` an "In English" link to another site.
    """
    current = get_language()
    query = request.GET.urlencode()
    try:
        resolve(request.path_info, getattr(request, "urlconf", None))
        is_page = True
    except Resolver404:
        is_page = False
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(request.path, code) if is_page else None
        if url is None or not _same_site_path(url):
            with translation.override(code):
                url = reverse("agreements:home")
        elif query:
            url = f"{url}?{query}"
        links.append({"code": code, "name": name, "url": url, "current": code == current})
    return {"language_links": links, "base_url": settings.REGISTRY_BASE_URL}


def _same_site_path(url):
    # A path of this site only: no scheme, no host, nothing a browser reads as one (`//`, `/\`).
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None)


def publisher(request):
    """Who publishes the registry and how to reach them, and the open data's licence: set by
    the operator (settings), shown in every page's footer, on the about page, the
    accessibility statement and the open data page."""
    return {
        "registry_publisher": settings.REGISTRY_PUBLISHER,
        "registry_publisher_url": settings.REGISTRY_PUBLISHER_URL,
        "registry_contact_email": settings.REGISTRY_CONTACT_EMAIL,
        "open_data_license_name": settings.OPEN_DATA_LICENSE_NAME,
        "open_data_license_url": settings.OPEN_DATA_LICENSE_URL,
    }
