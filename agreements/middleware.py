"""Addresses refused before any view or query sees them."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from .api.rest import is_api, json_error


class RefuseNulMiddleware:
    """A NUL byte (%00) anywhere in the path or query answers 400, in the format asked for.

    PostgreSQL text cannot hold NUL, so any lookup with one raised DataError (a 500) in the
    API, the admin's filters, search and autocomplete, and the public lists. No address of
    the registry contains one, so refusing it here covers every view, present and future.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _query_has_nul(request):
            return refusal(request)
        return self.get_response(request)


def _query_has_nul(request):
    return any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
    )


def refusal(request):
    if is_api(request):
        # The API's language is its `lang` parameter, as for its other errors.
        language = request.GET.get("lang")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        with translation.override(language):
            return json_error(400, _("Adressen innehåller ett tecken som inte är tillåtet (NUL)."))
    message = _(
        "Adressen innehåller ett tecken som inte är tillåtet (NUL). Kontrollera länken, eller "
        "sök igen utan det tecknet."
    )
    return render(request, "400.html", {"message": message}, status=400)
