"""Framework plumbing named in REST_FRAMEWORK settings; kept apart to avoid import cycles."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler

CONTROL_PARAMETERS = {"page", "page_size", "format"}


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class StrictFilterBackend(filters.DjangoFilterBackend):
    """Like DjangoFilterBackend, but a parameter nobody understands is an error, not ignored.

    A misspelt filter that silently returns everything is the worst answer an API can give.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        known = set(filterset_class.base_filters) if filterset_class else set()
        unknown = sorted(set(request.query_params) - known - CONTROL_PARAMETERS)
        if unknown:
            raise ValidationError(
                {
                    name: [
                        _("Okänd parameter. Giltiga: %(valid)s.")
                        % {"valid": ", ".join(sorted(known | CONTROL_PARAMETERS))}
                    ]
                    for name in unknown
                }
            )
        return super().filter_queryset(request, queryset, view)


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
