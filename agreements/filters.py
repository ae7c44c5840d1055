"""Public list filters. Invalid values make the form invalid; views answer 400 with the errors."""

import django_filters
import django_filters.fields
from django import forms
from django.core.validators import RegexValidator
from django.forms.renderers import Jinja2
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from .models import Cooperation, County, Municipality, PlannedProcurement
from .search import MAX_QUERY_LENGTH

YES_NO = [("1", _("Ja")), ("0", _("Nej"))]


class FilterFormRenderer(Jinja2):
    """Django's Jinja2 form renderer, with the select's options written inline.

    Even compiled, Django's select template includes a template per option (and that one
    another for its attributes): 580 includes a cooperation list, still the largest part of
    its uncached render after the move to Jinja2.
    """

    replaced = {"django/forms/widgets/select.html": "agreements/forms/select.html"}

    def get_template(self, template_name):
        return super().get_template(self.replaced.get(template_name, template_name))


class FilterForm(forms.Form):
    """The filter forms of the public lists, rendered by Django's Jinja2 form renderer.

    Every uncached list page renders selects of all 290 municipalities (two on the
    cooperation list). The default renderer includes a Django template per option: at
    national scale that was most of the page's time. Jinja2 renders the same widget markup
    from compiled templates. One renderer for all forms, so its environment is built once.
    """

    default_renderer = FilterFormRenderer()


class SearchFilter(django_filters.CharFilter):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Sök"),
            method=self.search,
            max_length=MAX_QUERY_LENGTH,
            error_messages={
                "max_length": _("Sökningen får vara högst %(limit_value)d tecken lång.")
            },
            **kwargs,
        )

    @staticmethod
    def search(queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.search(value)


class NameChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """A municipality select's options as (slug, name) rows, not model instances.

    An option needs the slug and the name: building a Municipality for each of 290 options,
    once per select, was the larger part of what the select still cost after its markup went
    to Jinja2. Choosing still looks the slug up in the field's queryset.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        # Not .iterator(): on PostgreSQL that is a server-side cursor, three round trips
        # (declare, fetch, close) for 290 short rows.
        yield from self.queryset.values_list(self.field.to_field_name, "name")


class MunicipalityChoiceField(django_filters.fields.ModelChoiceField):
    iterator = NameChoiceIterator


class MunicipalityChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = MunicipalityChoiceField


# What each filter accepts, told to the API's OpenAPI document (drf-spectacular reads these
# from the filter itself), so that the description and the validation cannot drift apart.
YEARS = (1900, 2200)
CPV_PATTERN = r"^[0-9]{2,8}(-[0-9])?$"
# A filter that accepts the values of a column: the document lists them as they are in the
# database when it is generated (agreements.api.rest.fill_database_choices).
CHOICES_FROM = "x-registry-choices-from"


def documented(schema, filter_, choices=()):
    """`filter_`, described in the API's OpenAPI document by `schema`: what it accepts, its
    label as the description (a schema given by hand would otherwise have none), and the
    meaning of each value in drf-spectacular's own list format, as its choice filters have."""
    description = filter_.label
    if choices:
        lines = "".join("\n* `{}` - {}" for _choice in choices)
        description = format_lazy(
            "{}\n" + lines, filter_.label, *[part for choice in choices for part in choice]
        )
    return extend_schema_field({**schema, "description": description})(filter_)


def database_choices(filter_):
    """A model choice filter, documented as accepting exactly the values it looks up."""
    label = f"{filter_.queryset.model._meta.label}.{filter_.extra['to_field_name']}"
    return documented({"type": "string", CHOICES_FROM: label}, filter_)


def municipality_filter(label, field_name, distinct=True):
    return database_choices(
        MunicipalityChoiceFilter(
            label=label,
            field_name=field_name,
            queryset=Municipality.objects.only("pk", "slug", "name"),
            to_field_name="slug",
            distinct=distinct,
            empty_label=_("Alla kommuner"),
            error_messages={"invalid_choice": _("Det finns ingen sådan kommun i registret.")},
        )
    )


def choice_filter(label, choices, empty_label):
    return django_filters.ChoiceFilter(
        label=label,
        choices=choices,
        empty_label=empty_label,
        error_messages={"invalid_choice": _("Välj ett av alternativen i listan.")},
    )


def yes_no_filter(label, **kwargs):
    schema = {"type": "string", "enum": [value for value, _label in YES_NO]}
    return documented(
        schema,
        django_filters.ChoiceFilter(
            label=label,
            choices=YES_NO,
            empty_label=_("Alla"),
            error_messages={"invalid_choice": _("Välj ja eller nej.")},
            **kwargs,
        ),
        choices=YES_NO,
    )


def year_filter(label, field_name):
    schema = {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[1]}
    return documented(
        schema,
        django_filters.NumberFilter(
            label=label,
            field_name=field_name,
            min_value=YEARS[0],
            max_value=YEARS[1],
            # A text box: a number input cannot redisplay what was typed if it was no number.
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            error_messages={
                "invalid": _("Ange ett årtal med fyra siffror, t.ex. 2026."),
                "min_value": _("Ange ett årtal med fyra siffror, t.ex. 2026."),
                "max_value": _("Ange ett årtal med fyra siffror, t.ex. 2026."),
            },
        ),
    )


REVERSED = _("{label}, omvänd ordning")
BY_NAME = _("Standard (namn, A–Ö)")


def ordering_filter(fields, default):
    """`default` names the order a list has when no sort is chosen (the model's
    Meta.ordering): the empty choice says it, rather than django-filter's "---------"."""
    # Both directions named here: django-filter's own "(descending)" has no Swedish.
    labels = dict(fields)
    labels |= {f"-{field}": format_lazy(REVERSED, label=label) for field, label in fields}
    return django_filters.OrderingFilter(
        label=_("Sortera"),
        fields=[(field, field) for field, _label in fields],
        field_labels=labels,
        empty_label=default,
        error_messages={"invalid_choice": _("Välj en sortering i listan.")},
    )


class MunicipalityFilter(django_filters.FilterSet):
    county = database_choices(
        django_filters.ModelChoiceFilter(
            label=_("Län"),
            queryset=County.objects.all(),
            to_field_name="code",
            empty_label=_("Alla län"),
            error_messages={"invalid_choice": _("Det finns inget sådant län i registret.")},
        )
    )
    o = ordering_filter([("name", _("Namn")), ("code", _("Kommunkod"))], BY_NAME)

    class Meta:
        model = Municipality
        fields = []
        form = FilterForm


class CooperationFilter(django_filters.FilterSet):
    q = SearchFilter()
    municipality = municipality_filter(_("Kommun"), "parties__municipality")
    form = choice_filter(_("Samverkansform"), Cooperation.Form.choices, _("Alla former"))
    legally_binding = yes_no_filter(_("Juridiskt bindande"))
    status = choice_filter(_("Status"), Cooperation.Status.choices, _("Alla"))
    host = municipality_filter(_("Värdkommun"), "host", distinct=False)
    o = ordering_filter(
        [("name", _("Namn")), ("status", _("Status")), ("form", _("Form"))], BY_NAME
    )

    class Meta:
        model = Cooperation
        fields = []
        form = FilterForm


class ProcurementFilter(django_filters.FilterSet):
    q = SearchFilter()
    municipality = municipality_filter(_("Kommun"), "buyers__municipality")
    procurement_year = year_filter(_("Upphandlingsår"), "procurement_year")
    contract_year = year_filter(_("Avtalsstart (år)"), "contract_start_year")
    status = choice_filter(_("Status"), PlannedProcurement.Status.choices, _("Alla"))
    joint = yes_no_filter(_("Gemensam upphandling"), method="filter_joint")
    cpv = documented(
        {"type": "string", "pattern": CPV_PATTERN, "maxLength": 10},
        django_filters.CharFilter(
            label=_("CPV-kod"),
            field_name="cpv_code",
            lookup_expr="startswith",
            max_length=10,
            validators=[RegexValidator(CPV_PATTERN, _("Ange början av en CPV-kod, t.ex. 7731."))],
        ),
    )
    o = ordering_filter(
        [
            ("procurement_year", _("Upphandlingsår")),
            ("contract_start_year", _("Avtalsstart")),
            ("title", _("Rubrik")),
        ],
        _("Standard (upphandlingsår, sedan rubrik)"),
    )

    class Meta:
        model = PlannedProcurement
        fields = []
        form = FilterForm

    def filter_joint(self, queryset, name, value):
        # Joint means several buyers, or stated so; "no" only where a source says so. A
        # procurement whose sources say nothing is in neither list.
        return queryset.joint(value == "1")


CATEGORY_PATTERN = r"^[0-9]{2,5}$"


def _unchanged(queryset, name, value):
    # The finder's pairs are found in SQL (agreements.opportunities); the FilterSet validates
    # and documents the parameters, and `finder_filters` hands their values over.
    return queryset


class OpportunityFilter(django_filters.FilterSet):
    """The joint-buying finder's filters (/mojligheter/, its CSV and the API)."""

    county = database_choices(
        django_filters.ModelChoiceFilter(
            label=_("Län (någon av kommunerna)"),
            queryset=County.objects.all(),
            to_field_name="code",
            empty_label=_("Alla län"),
            method=_unchanged,
            error_messages={"invalid_choice": _("Det finns inget sådant län i registret.")},
        )
    )
    year = year_filter(_("Upphandlingsår (någon av dem)"), "procurement_year")
    cpv = documented(
        {"type": "string", "pattern": CATEGORY_PATTERN, "maxLength": 5},
        django_filters.CharFilter(
            label=_("CPV-kategori börjar med"),
            # No max_length: the pattern already allows at most five digits, and a second
            # message about the length would only repeat it less helpfully.
            method=_unchanged,
            validators=[
                RegexValidator(
                    CATEGORY_PATTERN,
                    _("Ange två till fem siffror från början av en CPV-kod, t.ex. 45233."),
                )
            ],
        ),
    )

    class Meta:
        model = PlannedProcurement
        fields = []
        form = FilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The shared year filter (its bounds and messages) filters a column; here the year
        # is either side's, which only the finder's SQL can say.
        self.filters["year"].method = _unchanged

    def finder_filters(self):
        from .opportunities import Filters

        data = self.form.cleaned_data if self.is_bound else {}
        county = data.get("county")
        year = data.get("year")
        return Filters(
            county=county.pk if county else None,
            year=int(year) if year is not None else None,
            cpv=data.get("cpv") or "",
        )


def describe_errors(form: forms.Form):
    """Flatten a filter form's errors into (label, message) pairs for the page."""
    return [
        (form.fields[name].label if name in form.fields else "", message)
        for name, messages in form.errors.items()
        for message in messages
    ]


def count_active_filters(filterset):
    """How many of a list's filters narrow it, for the summary of its filter form.

    Sorting is left out: it reorders the list but hides nothing. A value the form refused is
    not applied, so it is not counted either; an unbound form has none.
    """
    applied = getattr(filterset.form, "cleaned_data", {})
    return sum(
        1
        for name, filter_ in filterset.filters.items()
        if not isinstance(filter_, django_filters.OrderingFilter)
        and applied.get(name) not in (None, "", [], ())
    )


__all__ = [
    "CooperationFilter",
    "MunicipalityFilter",
    "OpportunityFilter",
    "ProcurementFilter",
    "describe_errors",
]
