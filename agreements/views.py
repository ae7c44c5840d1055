"""Public pages. Queries live in the models' QuerySets; views only choose and paginate."""

import base64
import re
import sys
from datetime import timedelta
from functools import cache
from types import SimpleNamespace

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.paginator import EmptyPage
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.functional import classproperty
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from django.views.generic import DetailView, ListView, TemplateView

from . import charts, downloads, exports, facts, opportunities
from .alerts import follow_list_url
from .api.rest import is_api, json_error, whole_number
from .changelog import change_log
from .filters import (
    CHOICES_FROM,
    CooperationFilter,
    MunicipalityFilter,
    OpportunityFilter,
    ProcurementFilter,
    count_active_filters,
    describe_errors,
)
from .models import (
    Citation,
    Claim,
    Cooperation,
    Municipality,
    PlannedProcurement,
    SourceDocument,
    StaffingCommitment,
    attach_citations,
)
from .search import RankedPaginator, is_ranked_search

PAGE_SIZE = 25


def home(request):
    active = Cooperation.objects.active()
    latest = StaffingCommitment.objects.current()
    open_procurements = PlannedProcurement.objects.open()
    # Each total is split as the lists mark each row: what the sources say, and what is the
    # registry's interpretation of them (facts.reading_filters, the lists' marks in bulk).
    cooperation_counts = facts.split_by_reading(active, "status")
    fte_totals = facts.split_by_reading(latest, "fte", total="fte")
    procurement_counts = facts.split_by_reading(open_procurements, "status")
    # As of when the figures hold: the sources of the values they count.
    # Each an uncorrelated IN over the citations, hashed once; a join of every citation and
    # DISTINCT took 120 ms at national scale.
    cited = Citation.objects.values("source")
    sources = SourceDocument.objects.filter(
        Q(pk__in=cited.filter(cooperation__in=active, field_name="status"))
        | Q(pk__in=cited.filter(commitment__in=latest, field_name="fte"))
        | Q(pk__in=cited.filter(procurement__in=open_procurements, field_name="status"))
    )
    cooperations = list(Cooperation.objects.order_by("-pk")[:5])
    procurements = list(PlannedProcurement.objects.order_by("-pk")[:5])
    # The cards mark an interpreted status as the lists do: only the cards' own citations.
    facts.cite_own(cooperations)
    facts.cite_own(procurements)
    return render(
        request,
        "agreements/home.html",
        {
            "municipality_count": Municipality.objects.count(),
            "active_cooperation_count": sum(cooperation_counts.values()),
            "cooperation_counts": cooperation_counts,
            "current_fte": sum(fte_totals.values()),
            "fte_totals": fte_totals,
            "open_procurement_count": sum(procurement_counts.values()),
            "procurement_counts": procurement_counts,
            "figures_as_of": facts.sources_as_of(sources.only("date", "title", "slug")),
            # The home page shows names, form and status only: no parties or buyers to load.
            "cooperations": cooperations,
            "procurements": procurements,
        },
    )


def unknown_format(request, wanted):
    # Not the page in another dress: an address that asks for a format there is none of.
    return render(
        request,
        "400.html",
        {
            "message": _("Adressen innehåller något som sidan inte känner till: %(names)s.")
            % {"names": f"format={wanted}"},
            "valid": "format=csv",
            "about_parameters": True,
        },
        status=400,
    )


class PageRefused(Exception):
    """A list asked for a page it cannot show: a number that is none (400) or one past its
    last page (404), each said in words rather than as "the page does not exist"."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message

    def response(self, request):
        template = "400.html" if self.status == 400 else "404.html"
        return render(request, template, {"message": self.message}, status=self.status)


def shown_page(request):
    """The page number as asked, shortened for a message: it is echoed (escaped)."""
    raw = request.GET.get("page") or "1"
    return raw if len(raw) <= 12 else raw[:12] + "…"


def page_number(request):
    """The page asked for (`?page=`, 1 when not given), or PageRefused (400)."""
    raw = request.GET.get("page") or "1"
    if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
        raise PageRefused(
            400,
            _("Sidnumret ska vara ett heltal från 1, inte ”%(page)s”.")
            % {"page": shown_page(request)},
        )
    return whole_number(raw)


def beyond_the_end(request, last):
    return PageRefused(
        404,
        _("Listan har ingen sida %(number)s. Den sista sidan är %(last)s.")
        % {"number": shown_page(request), "last": last},
    )


class NumberedPagesMixin:
    """A ListView whose bad page numbers are told apart from pages that do not exist."""

    def paginate_queryset(self, queryset, page_size):
        number = page_number(self.request)
        paginator = self.get_paginator(
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),
            allow_empty_first_page=self.get_allow_empty(),
        )
        try:
            page = paginator.page(number)
        except EmptyPage:
            raise beyond_the_end(self.request, paginator.num_pages) from None
        return paginator, page, page.object_list, page.has_other_pages()

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except PageRefused as refused:
            return refused.response(request)


def list_links(request, api_list):
    """A filtered list's CSV address (this page with format=csv) and its API address (the
    same filters, without the form's empty fields)."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    query["format"] = "csv"
    api_query = request.GET.copy()
    api_query.pop("format", None)
    # A form sends its empty fields; the API wants them left out.
    for name in [name for name, values in api_query.lists() if not any(values)]:
        del api_query[name]
    api_url = reverse(api_list) + (f"?{api_query.urlencode()}" if api_query else "")
    return f"?{query.urlencode()}", api_url


class FilteredListView(NumberedPagesMixin, ListView):
    """A list with a django-filter form: invalid input answers 400 and says what was wrong.

    `?format=csv` gives the same filtered list, all of it, as CSV.
    """

    filterset_class = None
    paginate_by = PAGE_SIZE
    title = ""
    csv_name = ""
    api_list = ""
    route = ""  # the list's URL name, for the link to follow it with its filters
    cite_rows = False  # attach each row's citations (to mark the registry's interpretations)

    @classproperty
    def query_parameters(cls):
        return {*cls.filterset_class.base_filters, "page", "format"}

    def get(self, request, *args, **kwargs):
        params = request.GET.copy()
        wanted = params.pop("format", [""])[-1]
        if wanted not in ("", "csv"):
            return unknown_format(request, wanted)
        wants_csv = wanted == "csv"
        self.filterset = self.filterset_class(
            params or None, queryset=self.get_base_queryset(), request=request
        )
        if self.filterset.is_bound and not self.filterset.is_valid():
            self.object_list = self.get_base_queryset().none()
            context = self.get_context_data(filter_errors=describe_errors(self.filterset.form))
            return self.render_to_response(context, status=400)
        if wants_csv:
            rows = self.get_queryset().iterator(chunk_size=exports.BATCH_SIZE)
            return exports.csv_response(rows, self.csv_columns(), self.csv_name, request)
        return super().get(request, *args, **kwargs)

    @classmethod
    def full_csv(cls, request):
        """(file name, rows, columns) of the whole list's CSV, as `?format=csv` without filters
        gives it: for the bulk download."""
        view = cls(request=request, args=(), kwargs={})
        view.filterset = cls.filterset_class(
            None, queryset=view.get_base_queryset(), request=request
        )
        rows = view.get_queryset().iterator(chunk_size=exports.BATCH_SIZE)
        return cls.csv_name, rows, view.csv_columns()

    def csv_columns(self):
        raise NotImplementedError

    def get_base_queryset(self):
        raise NotImplementedError

    def get_paginator(self, queryset, per_page, orphans=0, **kwargs):
        if is_ranked_search(queryset) and not orphans:
            return RankedPaginator(queryset, per_page, **kwargs)
        return super().get_paginator(queryset, per_page, orphans, **kwargs)

    def get_queryset(self):
        queryset = self.filterset.qs
        # Pages must stay stable, and the CSV come in one order: Django ignores Meta.ordering
        # once counts add a GROUP BY, and rows that tie on the chosen order (two procurements
        # with one title in one year) came in any order, so the primary key comes last.
        ordering = list(queryset.query.order_by)
        if not ordering and (queryset.query.default_ordering or not queryset.ordered):
            ordering = list(queryset.model._meta.ordering)
        if not {"pk", "-pk"} & set(ordering):
            queryset = queryset.order_by(*ordering, "pk")
        return queryset

    def get_context_data(self, **kwargs):
        csv_url, api_url = list_links(self.request, self.api_list)
        context = super().get_context_data(
            filter=self.filterset,
            title=self.title,
            csv_url=csv_url,
            api_url=api_url,
            active_filter_count=count_active_filters(self.filterset),
            follow_url=follow_list_url(self.route, self.request.GET),
            **kwargs,
        )
        # Closed, the form leaves the first screen to the results; open where the reader has
        # something to change: a value it refused, or filters that left nothing to show.
        context["filters_open"] = bool(context.get("filter_errors")) or not context["object_list"]
        if self.cite_rows:
            # One query: what supports each row's values, so a list can mark interpretations.
            facts.cite_own(context["object_list"])
        # As of when each row holds, as its CSV says: two queries for the page.
        facts.attach_as_of(context["object_list"])
        return context


class MunicipalityList(FilteredListView):
    route = "municipality-list"
    filterset_class = MunicipalityFilter
    template_name = "agreements/municipality_list.html"
    title = _("Kommuner")
    csv_name = "kommuner"
    api_list = "api:municipality-list"

    def get_base_queryset(self):
        return Municipality.objects.public()

    def csv_columns(self):
        return exports.municipality_columns(self.request)


class MunicipalityDetail(DetailView):
    queryset = Municipality.objects.public()

    def get_context_data(self, **kwargs):
        municipality = self.object
        # Each list shows at most DETAIL_LIMIT rows; one more is fetched to know if there are more.
        parties = _Bounded(
            municipality.parties.select_related("cooperation").order_by("cooperation__name")
        )
        interpellations = list(
            municipality.interpellations.select_related("answer").prefetch_related("questions")
        )
        financed = _Bounded(StaffingCommitment.objects.history().filter(financer=municipality))
        hosted = _Bounded(StaffingCommitment.objects.history().filter(post__employer=municipality))
        claims = _Bounded(Claim.objects.filter(made_by=municipality))
        posts = _Bounded(municipality.posts.order_by("name", "pk"))
        procurements = _Bounded(
            PlannedProcurement.objects.public()
            .filter(buyers__municipality=municipality)
            .order_by("procurement_year", "title", "pk")
        )
        citations = attach_citations(
            list(
                Citation.objects.for_display().filter(
                    Q(municipality=municipality)
                    | Q(question__interpellation__in=interpellations)
                    | Q(party__in=parties.rows)
                    | Q(commitment__in=financed.rows + hosted.rows)
                    | Q(claim__in=claims.rows)
                    | Q(post__in=posts.rows)
                    | Q(procurement__in=procurements.rows)
                )
            ),
            party=parties.rows,
            commitment=financed.rows + hosted.rows,
            claim=claims.rows,
            post=posts.rows,
            procurement=procurements.rows,
            municipality=[municipality],
            question=[q for i in interpellations for q in i.questions.all()],
        )
        return super().get_context_data(
            bound_parties=[p for p in parties.rows if p.is_bound],
            mentioned=[p for p in parties.rows if not p.is_bound],
            interpellations=interpellations,
            posts=posts.rows,
            as_of=facts.as_of(citations),
            more_parties=parties.more,
            financed=financed.rows,
            more_financed=financed.more,
            hosted=hosted.rows,
            more_hosted=hosted.more,
            claims=claims.rows,
            procurements=procurements.rows,
            more_procurements=procurements.more,
            sources=_unique_sources(citations),
            **kwargs,
        )


DETAIL_LIMIT = 50


class _Bounded:
    def __init__(self, queryset, limit=DETAIL_LIMIT):
        rows = list(queryset[: limit + 1])
        self.rows, self.more = rows[:limit], len(rows) > limit


class CooperationList(FilteredListView):
    route = "cooperation-list"
    filterset_class = CooperationFilter
    template_name = "agreements/cooperation_list.html"
    cite_rows = True
    title = _("Samverkan")
    csv_name = "samverkan"
    api_list = "api:cooperation-list"

    def get_base_queryset(self):
        return Cooperation.objects.public()

    def csv_columns(self):
        return exports.cooperation_columns(self.request)


class CooperationDetail(DetailView):
    queryset = Cooperation.objects.with_details()

    def get_context_data(self, **kwargs):
        cooperation = self.object
        parties = list(cooperation.parties.all())
        versions = list(cooperation.versions.all())
        proposals = list(cooperation.proposals.all())
        history = list(cooperation.commitments.all())
        objections = list(cooperation.objections.all())
        citations = attach_citations(
            list(Citation.objects.about_cooperation(cooperation)),
            party=parties,
            agreement_version=versions,
            proposal=proposals,
            commitment=history,
            objection=objections,
            cooperation=[cooperation],
        )
        current = [c for c in history if c.is_current]
        return super().get_context_data(
            bound_parties=[p for p in parties if p.is_bound],
            mentioned=[p for p in parties if not p.is_bound],
            versions=versions,
            proposals=proposals,
            history=history,
            objections=objections,
            citations=citations,
            as_of=facts.as_of(citations),
            current_commitments=current,
            current_total=sum((c.fte or 0 for c in current), start=0),
            # Said as the home page's totals are: how much of it the sources state.
            current_split=facts.split_loaded(current, "fte"),
            posts_with_unknown_own_share=list(
                {c.post: None for c in current if c.post.employer_share is None}
            ),
            unknown_shares=[c for c in current if c.fte is None],
            diagrams=charts.financing_diagrams(cooperation, current),
            chart=charts.fte_chart(history),
            **kwargs,
        )


class ProcurementList(FilteredListView):
    route = "procurement-list"
    filterset_class = ProcurementFilter
    template_name = "agreements/plannedprocurement_list.html"
    title = _("Upphandlingar som övervägs eller planeras")
    cite_rows = True
    csv_name = "planerade-upphandlingar"
    api_list = "api:procurement-list"

    def get_base_queryset(self):
        return PlannedProcurement.objects.public()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Who buys is marked as the registry's interpretation where it is one: one query.
        facts.cite_own([b for p in context["object_list"] for b in p.buyers.all()])
        return context

    def csv_columns(self):
        return exports.procurement_columns(self.request)


class ProcurementDetail(DetailView):
    queryset = PlannedProcurement.objects.public()

    def get_context_data(self, **kwargs):
        procurement = self.object
        buyers = list(procurement.buyers.select_related("municipality"))
        citations = attach_citations(
            list(
                Citation.objects.for_display().filter(
                    Q(procurement=procurement) | Q(buyer__procurement=procurement)
                )
            ),
            procurement=[procurement],
            buyer=buyers,
        )
        unmatchable = opportunities.why_unmatchable(procurement)
        matches, more = ([], False) if unmatchable else opportunities.for_procurement(procurement)
        return super().get_context_data(
            citations=citations,
            buyers=buyers,
            as_of=facts.as_of(citations),
            unmatchable=unmatchable,
            matches=matches,
            more_matches=more,
            **kwargs,
        )


class OpportunityList(TemplateView):
    """/mojligheter/: procurements that other municipalities near by plan in the same CPV
    category at about the same time (agreements.opportunities has the rule). Pages are not
    counted (there can be millions of pairs), only followed."""

    template_name = "agreements/opportunity_list.html"
    query_parameters = {*OpportunityFilter.base_filters, "page", "format"}

    def get(self, request, *args, **kwargs):
        params = request.GET.copy()
        wanted = params.pop("format", [""])[-1]
        if wanted not in ("", "csv"):
            return unknown_format(request, wanted)
        try:
            number = page_number(request)
        except PageRefused as refused:
            return refused.response(request)
        params.pop("page", None)
        self.filterset = OpportunityFilter(
            params or None, queryset=PlannedProcurement.objects.none(), request=request
        )
        context = {"filter": self.filterset, "page": None}
        if self.filterset.is_bound and not self.filterset.is_valid():
            context["filter_errors"] = describe_errors(self.filterset.form)
            return self.render_to_response(self.get_context_data(**context), status=400)
        filters = self.filterset.finder_filters()
        if wanted == "csv":
            return exports.csv_response(
                opportunities.all_matches(filters),
                exports.opportunity_columns(request),
                "mojligheter",
                request,
            )
        result = opportunities.listing(filters, number)
        if not result.matches and result.number > 1:
            # The finder does not count its pages (there can be millions of pairs).
            return PageRefused(
                404, _("Listan har ingen sida %(number)s.") % {"number": shown_page(request)}
            ).response(request)
        context["page"] = result
        return self.render_to_response(self.get_context_data(**context))

    def get_context_data(self, **kwargs):
        csv_url, api_url = list_links(self.request, "api:opportunity-list")
        context = super().get_context_data(
            csv_url=csv_url,
            api_url=api_url,
            active_filter_count=count_active_filters(self.filterset),
            follow_url=follow_list_url("opportunity-list", self.request.GET),
            **kwargs,
        )
        page = context["page"]
        context["filters_open"] = bool(context.get("filter_errors")) or not (page and page.matches)
        return context


class ChangeLog(DetailView):
    """All changes to a cooperation or a procurement and the rows under it, in words."""

    template_name = "agreements/change_log.html"
    list_name = None  # the URL name of the record's list, for the breadcrumbs

    def get_context_data(self, **kwargs):
        lists = {
            "cooperation-list": _("Samverkan"),
            "procurement-list": _("Upphandlingar som övervägs eller planeras"),
        }
        return super().get_context_data(
            record=self.object,
            log=change_log(self.object),
            list_url=reverse(f"agreements:{self.list_name}"),
            list_label=lists[self.list_name],
            **kwargs,
        )


class SourceList(NumberedPagesMixin, ListView):
    # The list shows titles only: a document's full text is not fetched for it.
    queryset = SourceDocument.objects.select_related("issuing_municipality").defer("text")
    paginate_by = PAGE_SIZE
    query_parameters = {"page"}


def source_detail(request, slug):
    source = get_object_or_404(
        SourceDocument.objects.select_related("issuing_municipality"), slug=slug
    )
    citations = list(source.citations.all())
    interpellations = source.answered_interpellations.prefetch_related("questions")
    return render(
        request,
        "agreements/sourcedocument_detail.html",
        {
            "source": source,
            "passages": source.passages(citations),
            "citation_count": len(citations),
            "interpellations": interpellations,
        },
    )


def source_original(request, slug):
    """The original file as uploaded, always as a download.

    Never shown inline: an uploaded HTML page, or a PDF with scripts, would otherwise run on
    the registry's own address. The checksum doubles as the ETag: the bytes never change.
    """
    source = get_object_or_404(SourceDocument.objects.defer("text"), slug=slug)
    try:
        handle = source.open_original()
    except FileNotFoundError:
        handle = None
    if handle is None:
        raise Http404(_("Källan har ingen originalfil."))
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=source.original_name or f"{source.slug}.{source.original_format or 'bin'}",
        content_type=source.original_media_type,
    )
    response["ETag"] = f'"{source.original_sha256}"'
    response["Cache-Control"] = "public, max-age=3600"
    # A browser that opens it anyway gets no scripts, forms or plugins.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


class AccessibilityStatement(TemplateView):
    template_name = "pages/accessibility.html"


class About(TemplateView):
    """Who publishes the registry, how its facts are gathered and checked, the licence, how
    to correct a fact, and what is kept about visitors."""

    template_name = "pages/about.html"

    def get_context_data(self, **kwargs):
        # The page explains the words the facts carry, so it shows them as facts.AsOf writes
        # them: a fact from a source past the window, from an undated one, from a recent one.
        today = timezone.localdate()
        window = settings.REGISTRY_CONFIRMED_WITHIN_DAYS

        def resting_on(date):  # only whether there is a source, and its date, shape the text
            return facts.AsOf(date, [SimpleNamespace(date=date)])

        return super().get_context_data(
            as_of_dated=resting_on(today - timedelta(days=window + 200)),
            as_of_undated=resting_on(None),
            as_of_now=resting_on(today - timedelta(days=min(30, window))),
            confirmed_within_days=window,
            staff_session_hours=settings.SESSION_COOKIE_AGE // 3600,
            alerts_unconfirmed_days=settings.REGISTRY_ALERTS_UNCONFIRMED_DAYS,
            **kwargs,
        )


@cache
def _favicon():
    with open(finders.find("favicon.ico"), "rb") as icon:
        return icon.read()


def favicon(request):
    """/favicon.ico, which browsers and crawlers ask for whatever the page's <link> says."""
    return HttpResponse(_favicon(), content_type="image/x-icon")


# The database cannot be reached, or refused the connection: the registry is down for a while,
# not broken. (A deadlock or a cancelled statement is an OperationalError too: also worth
# trying again.)
UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """The 500 page, with the contact address from the settings: no database, no request
    context (whatever failed may fail again while the page is drawn). When the database is
    out of reach: 503 with Retry-After, "try again in a while", as /healthz says. The API
    answers in its own JSON either way."""
    unavailable = isinstance(sys.exc_info()[1], UNAVAILABLE)
    status = 503 if unavailable else 500
    if is_api(request):
        message = (
            _("Registret är tillfälligt otillgängligt. Försök igen om en stund.")
            if unavailable
            else _("Ett tekniskt fel hos oss. Felet är loggat; försök igen om en stund.")
        )
        response = json_error(status, message)
    else:
        html = loader.get_template("503.html" if unavailable else "500.html").render(
            {"registry_contact_email": settings.REGISTRY_CONTACT_EMAIL}
        )
        response = HttpResponse(html, status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unique_sources(citations):
    seen = {}
    for citation in citations:
        seen.setdefault(citation.source_id, citation.source)
    return list(seen.values())


def not_found(request, exception=None):
    """404: JSON for the API, the friendly page for people."""
    if is_api(request):
        return json_error(404, _("Hittades inte."))
    return page_not_found(request, exception)


@cache
def _api_schema(language):
    """The OpenAPI document in `language`: its descriptions are the registry's own texts
    (labels, endpoint descriptions), translated like the pages'."""
    from drf_spectacular.generators import SchemaGenerator

    with translation.override(language):
        return SchemaGenerator().get_schema(request=None, public=True)


# How drf-spectacular lists what each value of a parameter means, after its description:
# "Status\n\n* `active` - Verksam\n* `ended` - Avslutad" (plumbing.build_choice_description_list).
CHOICE_LINE = re.compile(r"^\* `(?P<value>[^`]*)` - (?P<label>.*)$")
# OpenAPI's words for where a parameter goes and what it holds, for people.
PARAMETER_PLACES = {"query": _("i frågesträngen"), "path": _("i adressens sökväg")}
PATH_PARAMETERS = {
    "slug": _("Postens kortnamn, som i adressen till dess sida."),
    "key": _("Källans kortnamn, en punkt och citatets kortnamn."),
}
PARAMETER_TYPES = {
    "string": _("text"),
    "integer": _("heltal"),
    "number": _("tal"),
    "boolean": _("sant eller falskt"),
    "array": _("lista, skild med kommatecken"),
}


def describe_parameter(parameter):
    """A parameter of the OpenAPI document, for people: its description as plain text, and
    its values as (value, meaning) pairs, not as the Markdown list the document carries."""
    schema = parameter.get("schema", {})
    text, choices = [], []
    for line in str(parameter.get("description", "")).splitlines():
        match = CHOICE_LINE.match(line.strip())
        if match:
            choices.append((match["value"], match["label"]))
        elif line.strip():
            text.append(line.strip())
    if not choices and CHOICES_FROM not in schema:
        # Values from the database (municipalities, counties) are listed in the document,
        # not on this page.
        choices = [(value, "") for value in schema.get("enum", [])]
    # The document gives a record's address no words of its own: say what goes there.
    description = " ".join(text)
    if not description and parameter["in"] == "path":
        description = str(PATH_PARAMETERS.get(parameter["name"], ""))
    if description and description[-1] not in ".!?":
        description += "."
    return {
        "name": parameter["name"],
        "where_text": PARAMETER_PLACES.get(parameter["in"], parameter["in"]),
        "type_text": PARAMETER_TYPES.get(schema.get("type", ""), schema.get("type", "")),
        "description": description,
        "choices": choices,
        "from_database": CHOICES_FROM in schema,
    }


class OpenData(TemplateView):
    """The human-readable API page: formats, licence, and every endpoint from the schema."""

    template_name = "pages/open_data.html"

    def get_context_data(self, **kwargs):
        endpoints = []
        for path, operations in _api_schema(translation.get_language())["paths"].items():
            get = operations.get("get")
            if get:
                endpoints.append(
                    {
                        "path": path,
                        "summary": str(get.get("description", "")).strip(),
                        "parameters": [describe_parameter(p) for p in get.get("parameters", [])],
                    }
                )
        return super().get_context_data(
            endpoints=endpoints,
            ocid_prefix=settings.OCDS_OCID_PREFIX,
            bulk=downloads.latest(),
            **kwargs,
        )


def bulk_download(request):
    """The current bulk download (agreements.bulk), streamed from the file the manifest names.
    A new export is renamed into place beside it, so a download never sees half a file."""
    export, handle = downloads.open_latest()
    if export is None:
        raise Http404(_("Det finns ingen export av hela registret ännu."))
    # Validated by the file itself, not by the registry's latest change (which comes before
    # the export that follows it): see http_caching._VALIDATED_BY_THEIR_VIEWS.
    etag = quote_etag(export.sha256)
    last_modified = int(export.created_at.timestamp())
    answered = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if answered is not None:
        handle.close()
        response = answered
    else:
        response = FileResponse(
            handle, as_attachment=True, filename=export.file_name, content_type="application/zip"
        )
        # RFC 9530: the checksum /oppna-data/ publishes, for clients that check what they got.
        digest = base64.b64encode(bytes.fromhex(export.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    return response
