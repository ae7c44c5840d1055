"""Framework plumbing named in REST_FRAMEWORK settings; kept apart to avoid import cycles."""

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter
from rest_framework import routers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.relations import HyperlinkedIdentityField
from rest_framework.views import exception_handler

from ..links import absolute_url

CONTROL_PARAMETERS = {"page", "page_size", "format"}


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_next_link(self):
        link = super().get_next_link()
        return link and absolute_url(link)

    def get_previous_link(self):
        link = super().get_previous_link()
        return link and absolute_url(link)


class CanonicalHyperlinkedIdentityField(HyperlinkedIdentityField):
    """A record's API address at the registry's public address, not the request's host."""

    def get_url(self, obj, view_name, request, format):
        url = super().get_url(obj, view_name, request, format)
        return url and absolute_url(url)


class APIRootView(routers.APIRootView):
    """The API's list of endpoints, at the registry's public address."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data = {name: absolute_url(url) for name, url in response.data.items()}
        return response


class StrictFilterBackend(filters.DjangoFilterBackend):
    """Like DjangoFilterBackend, but a parameter nobody understands is an error, not ignored.

    A misspelt filter that silently returns everything is the worst answer an API can give.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        known = set(filterset_class.base_filters) if filterset_class else set()
        known |= CONTROL_PARAMETERS | set(getattr(view, "control_parameters", ()))
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError(
                {
                    name: [
                        _("Okänd parameter. Giltiga: %(valid)s.")
                        % {"valid": ", ".join(sorted(known))}
                    ]
                    for name in unknown
                }
            )
        return super().filter_queryset(request, queryset, view)


LANGUAGE_PARAMETER = OpenApiParameter(
    "lang",
    str,
    enum=[code for code, _name in settings.LANGUAGES],
    description=(
        "The language of labels and texts the registry writes (sv by default, or en). Codes, "
        "names and quotes from the sources are never translated."
    ),
)


class LanguageMixin:
    """`?lang=en` writes labels and the registry's texts in English: the language is in the
    address, as /en/ is for pages, never taken from Accept-Language (and so cached per URL)."""

    control_parameters = {"lang"}

    def dispatch(self, request, *args, **kwargs):
        requested = request.GET.get("lang") or settings.LANGUAGE_CODE
        self.language_refused = requested not in dict(settings.LANGUAGES)
        language = settings.LANGUAGE_CODE if self.language_refused else requested
        # Everything is written inside: serializers turn labels into plain strings here.
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
        response["Content-Language"] = language
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.language_refused:
            raise ValidationError(
                {
                    "lang": [
                        _("Okänt språk. Giltiga: %(valid)s.")
                        % {"valid": ", ".join(code for code, _name in settings.LANGUAGES)}
                    ]
                }
            )


def is_api(request):
    """Is `request` for the API, whose errors are JSON, not pages?"""
    return request.path.startswith("/api/")


def json_error(status, message, details=None):
    """The API's error format, for errors answered outside DRF (404, refused addresses)."""
    return JsonResponse(
        {"error": {"status": status, "message": message, "details": details or {}}},
        status=status,
    )


def json_exception_handler(exc, context):
    """Every API error is JSON: a status, one readable message, and the details."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        message, details = str(data["detail"]), {}
    else:
        message, details = _("Ogiltiga parametrar."), data
    response.data = {
        "error": {"status": response.status_code, "message": message, "details": details}
    }
    return response
