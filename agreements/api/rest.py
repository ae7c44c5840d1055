"""Framework plumbing named in REST_FRAMEWORK settings; kept apart to avoid import cycles."""

from collections.abc import Mapping
from functools import cached_property

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from django_filters.filters import BaseCSVFilter
from drf_spectacular.utils import OpenApiParameter
from rest_framework import routers, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import Field, SkipField, is_simple_callable
from rest_framework.pagination import PageNumberPagination
from rest_framework.relations import HyperlinkedIdentityField, PKOnlyObject
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from ..links import absolute_url, slug_path

CONTROL_PARAMETERS = {"page", "page_size", "format"}


class Pagination(PageNumberPagination):
    """Pages by number. A page or page size that is not a whole number within its bounds is an
    error (400), not quietly the first page or the default size."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    # DRF's own descriptions have no Swedish; the document is written in the asked language.
    page_query_description = gettext_lazy("Sidnummer, från 1.")
    page_size_query_description = gettext_lazy(
        "Antal rader per sida (50 om inget anges, högst 500)."
    )
    bounds = {"page": (1, None), "page_size": (1, max_page_size)}

    def paginate_queryset(self, queryset, request, view=None):
        check_whole_numbers(request, self.bounds)
        return super().paginate_queryset(queryset, request, view)

    def get_next_link(self):
        link = super().get_next_link()
        return link and absolute_url(link)

    def get_previous_link(self):
        link = super().get_previous_link()
        return link and absolute_url(link)


# Past any page or bound the registry has. Python refuses to read numbers of over 4,300 digits
# (a 500 where a 4xx is due), and PostgreSQL an offset past its integers, so a number with more
# digits than this is taken as this without being read.
TOO_LONG = 10**9


def whole_number(text):
    """`text` (ASCII digits, perhaps after a "-") as an int; ±TOO_LONG when it is longer."""
    digits = text.removeprefix("-")
    number = int(digits) if len(digits) < len(str(TOO_LONG)) else TOO_LONG
    return number if digits == text else -number


def check_whole_numbers(request, bounds):
    """Refuse (400) a parameter of `bounds` ({name: (low, high or None)}) that is not a whole
    number within them."""
    errors = {}
    for name, (low, high) in bounds.items():
        values = request.query_params.getlist(name)
        # Given twice or empty: check_parameters has refused it already.
        if len(values) != 1 or not values[0]:
            continue
        # "-1" is a whole number too, only not within the bounds: it gets the bounds.
        value = values[0].removeprefix("-")
        if not value.isascii() or not value.isdigit():
            errors[name] = [_("Ange ett heltal.")]
            continue
        number = whole_number(values[0])
        if number < low or (high is not None and number > high):
            errors[name] = [
                _("Ange ett heltal från %(low)s till %(high)s.") % {"low": low, "high": high}
                if high is not None
                else _("Ange ett heltal från %(low)s.") % {"low": low}
            ]
    if errors:
        raise ValidationError(errors)


class CanonicalHyperlinkedIdentityField(HyperlinkedIdentityField):
    """A record's API address at the registry's public address, not the request's host."""

    def get_url(self, obj, view_name, request, format):
        if (
            self.lookup_url_kwarg == "slug"
            and format is None
            and getattr(request, "versioning_scheme", None) is None
            and not api_settings.URL_FORMAT_OVERRIDE
            and obj.pk not in (None, "")
        ):
            # What DRF's reverse gives without versioning or a format, from the route's path
            # remembered per language: searching the URL patterns for every record of a long
            # list (the bulk download's 100,000) showed in the profile.
            return absolute_url(slug_path(view_name, getattr(obj, self.lookup_field)))
        url = super().get_url(obj, view_name, request, format)
        return url and absolute_url(url)


class CalledField(serializers.CharField):
    """A string from a method of the record, `source` (dotted through related records if need
    be), called directly: DRF's own lookup inspects the method's signature on every row."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        *path, method = self.source_attrs
        for name in path:
            instance = getattr(instance, name)
        return getattr(instance, method)()


_SLOW = object()


class QuickRowsMixin:
    """DRF's `Serializer.to_representation`, with what DRF works out again for every row worked
    out once per serializer: the readable fields as a list (not a generator over a mapping
    view), and for each field that DRF's own `Field.get_attribute` reads, the attribute's name.

    A plain attribute (or the record itself, for `source="*"`) is then read with `getattr`;
    anything else takes DRF's own way: a record given as a mapping, a field with its own
    `get_attribute` (related fields), a callable to call, an attribute that raises. So the
    result is DRF's, field for field. Every serializer of the API uses it: a list page, the
    change feed and the bulk download spent a third of their serializing time in DRF's
    per-field lookups.
    """

    @cached_property
    def _row_plan(self):
        plan = []
        for field in self.fields.values():
            if field.write_only:
                continue
            plain = type(field).get_attribute is Field.get_attribute
            if plain and field.source_attrs == []:
                attribute = ""  # the record itself
            elif plain and len(field.source_attrs) == 1:
                attribute = field.source_attrs[0]
            else:
                attribute = None
            plan.append((field, field.field_name, attribute))
        return plan

    def to_representation(self, instance):
        if isinstance(instance, Mapping):
            return super().to_representation(instance)
        ret = {}
        for field, name, attribute in self._row_plan:
            value = _SLOW
            if attribute == "":
                value = instance
            elif attribute is not None:
                try:
                    value = getattr(instance, attribute)
                except Exception:
                    value = _SLOW  # DRF's way says what happens then
                else:
                    if callable(value) and is_simple_callable(value):
                        value = _SLOW
            if value is _SLOW:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
            check_for_none = value.pk if isinstance(value, PKOnlyObject) else value
            ret[name] = None if check_for_none is None else field.to_representation(value)
        return ret


class ModelSerializer(QuickRowsMixin, serializers.ModelSerializer):
    pass


class HyperlinkedModelSerializer(QuickRowsMixin, serializers.HyperlinkedModelSerializer):
    pass


class Serializer(QuickRowsMixin, serializers.Serializer):
    pass


class APIRootView(routers.APIRootView):
    """The API's list of endpoints, at the registry's public address."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # The finder, OCDS, the change feed and the schema are no router resources; a client
        # that starts here finds them all (the citizen reviewer found three missing).
        for name, url_name in (
            ("opportunities", "api:opportunity-list"),
            ("ocds_releases", "api:ocds-releases"),
            ("changes", "api:changes"),
            ("schema", "api:schema"),
        ):
            response.data[name] = reverse(url_name)
        response.data = {name: absolute_url(url) for name, url in response.data.items()}
        return response


class StrictFilterBackend(filters.DjangoFilterBackend):
    """Like DjangoFilterBackend, but a parameter nobody understands, one given twice, or one
    given empty is an error, not ignored or quietly the last value: a misspelt filter that
    silently returns everything is the worst answer an API can give."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        known = set(filterset_class.base_filters) if filterset_class else set()
        known |= CONTROL_PARAMETERS | set(getattr(view, "control_parameters", ()))
        lists = {
            name
            for name, filter_ in (filterset_class.base_filters if filterset_class else {}).items()
            if isinstance(filter_, BaseCSVFilter)
        }
        check_parameters(request, known, lists)
        return super().filter_queryset(request, queryset, view)


def check_parameters(request, known, lists=()):
    """Refuse (400) a parameter not in `known`, one given twice, or one given empty (or, for a
    comma-separated list in `lists`, with an empty item)."""
    errors = {
        name: [_("Okänd parameter. Giltiga: %(valid)s.") % {"valid": ", ".join(sorted(known))}]
        for name in sorted(set(request.query_params) - set(known))
    }
    # An empty value is no value the document allows: leave the parameter out instead.
    for name, values in request.query_params.lists():
        if name in errors:
            continue
        items = [item for value in values for item in value.split(",")] if name in lists else []
        if len(values) > 1:
            errors[name] = [_("Ange parametern en gång.")]
        elif "" in values or "" in items:
            errors[name] = [_("Ange ett värde, eller utelämna parametern.")]
        elif name == "format" and values != ["json"]:
            # The API answers in JSON only: ?format=xml answered JSON as if it had been heard.
            errors[name] = [_("Okänt format. API:t svarar bara i JSON: format=json.")]
    if errors:
        raise ValidationError(errors)


LANGUAGE_PARAMETER = OpenApiParameter(
    "lang",
    str,
    enum=[code for code, _name in settings.LANGUAGES],
    description=gettext_lazy(
        "Språket för de etiketter och texter som registret skriver (sv om inget anges, eller "
        "en). Koder, namn och citat ur källorna översätts aldrig."
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
    if response.status_code == 404:
        # Django's own text names the model ("No Municipality matches the given query.") and is
        # English whatever ?lang says.
        message, details = _("Hittades inte."), {}
    elif isinstance(data, dict) and set(data) == {"detail"}:
        message, details = str(data["detail"]), {}
    else:
        message, details = _("Ogiltiga parametrar."), data
    response.data = {
        "error": {"status": response.status_code, "message": message, "details": details}
    }
    return response


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message", "details"],
            "properties": {
                "status": {"type": "integer", "description": "The HTTP status, repeated."},
                "message": {"type": "string", "description": "One readable sentence."},
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Per parameter, what was wrong with it (may be empty).",
                },
            },
        }
    },
}
ERROR_RESPONSES = {
    "400": "A parameter is unknown, given twice, or not a value the operation accepts.",
    "404": "No such record, or a page number past the last page.",
    "405": "Only GET and HEAD are answered (and OPTIONS).",
    "406": "The Accept header asks for something other than JSON.",
}


def fill_database_choices(result, generator, request, public):
    """drf-spectacular postprocessing hook: a parameter marked with `filters.CHOICES_FROM`
    lists the values the database holds now (municipality slugs, county codes), which are
    exactly the values its filter accepts."""
    from django.apps import apps

    from ..filters import CHOICES_FROM

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                # The marker stays (an OpenAPI extension): /oppna-data/ names the kind of value
                # rather than listing 290 municipalities.
                source = parameter.get("schema", {}).get(CHOICES_FROM)
                if source:
                    label, field = source.rsplit(".", 1)
                    values = _stored_values(apps.get_model(label), field)
                    if values is not None:
                        parameter["schema"]["enum"] = values
    return result


def _stored_values(model, field):
    # `check --deploy` generates the document too, before any database may exist: without
    # one, the parameter stays a plain string.
    try:
        with transaction.atomic():
            return list(model.objects.order_by(field).values_list(field, flat=True))
    except DatabaseError:
        return None


def document_query_rules(result, generator, request, public):
    """drf-spectacular postprocessing hook: what StrictFilterBackend and Pagination refuse, on
    every operation's parameters (the OCDS package's pages included): every text parameter
    needs a character and no NUL, every list an item, page and page_size their bounds."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") != "query":
                    continue
                if schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("minLength", 1)
                    # NUL is refused everywhere (agreements.middleware.RefuseNulMiddleware).
                    schema.setdefault("pattern", "^[^\\u0000]*$")
                elif schema.get("type") == "array":
                    schema.setdefault("minItems", 1)
                if parameter["name"] in Pagination.bounds and schema.get("type") == "integer":
                    low, high = Pagination.bounds[parameter["name"]]
                    schema.setdefault("minimum", low)
                    if high is not None:
                        schema.setdefault("maximum", high)
    return result


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors every API
    view can answer, in the one error format (json_exception_handler, json_error)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for status, description in ERROR_RESPONSES.items():
                operation["responses"].setdefault(
                    status, {"description": description, "content": error}
                )
    return result


def link_lists_to_records(result, generator, request, public):
    """drf-spectacular postprocessing hook: each list links to the record of its first row
    (OpenAPI links), so clients and tools such as schemathesis can follow one to the other.
    Records addressed by one field of the row only (citations take two)."""
    operations = {
        operation.get("operationId"): (path, operation)
        for path, methods in result.get("paths", {}).items()
        for operation in methods.values()
    }
    for operation_id, (_path, operation) in operations.items():
        if not (operation_id or "").endswith("_list"):
            continue
        detail_id = operation_id.removesuffix("_list") + "_retrieve"
        if detail_id not in operations:
            continue
        _detail_path, detail = operations[detail_id]
        names = [
            p["name"]
            for p in detail.get("parameters", [])
            # A patterned address (a citation's "<source>.<key>") is no single field of a row.
            if p.get("in") == "path" and "pattern" not in p.get("schema", {})
        ]
        row = (
            result["components"]["schemas"]
            .get(_list_item(operation["responses"]["200"]), {})
            .get("properties", {})
        )
        if len(names) != 1 or names[0] not in row:
            continue
        operation["responses"]["200"]["links"] = {
            detail_id: {
                "operationId": detail_id,
                "parameters": {names[0]: f"$response.body#/results/0/{names[0]}"},
                "description": "The record of the list's first row.",
            }
        }
    return result


def _list_item(response):
    """The component name of one row of a paginated list response."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    page = schema.get("$ref", "").rsplit("/", 1)[-1]
    return page.removeprefix("Paginated").removesuffix("List")
