from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def languages(request):
    """Links to this very page in each language, keeping the query string (filters, page), and
    the public address that absolute links start with (see agreements.links)."""
    current = get_language()
    query = request.GET.urlencode()
    links = []
    for code, name in settings.LANGUAGES:
        url = translate_url(request.path, code)
        links.append(
            {
                "code": code,
                "name": name,
                "url": f"{url}?{query}" if query else url,
                "current": code == current,
            }
        )
    return {"language_links": links, "base_url": settings.REGISTRY_BASE_URL}
