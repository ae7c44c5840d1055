"""The public's way to report an error in a record: a form, then a thank-you page.

Works without JavaScript or an account. A valid report is stored and answered with a redirect
to the thank-you page (POST/redirect/GET), which repeats nothing the person typed. A form with
the honeypot filled is answered the same way and stores nothing, so bots learn nothing. Over
the rate limit the form comes back with 429 and everything typed still in it.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from . import error_reports
from .models import Cooperation, Municipality, PlannedProcurement, SourceDocument
from .report_forms import ErrorReportForm

# Each record with a page: the route names its report pages begin with, and its list.
RECORDS = {
    Municipality: ("municipality", "municipality-list", _("Kommuner")),
    Cooperation: ("cooperation", "cooperation-list", _("Samverkan")),
    PlannedProcurement: (
        "procurement",
        "procurement-list",
        _("Upphandlingar som övervägs eller planeras"),
    ),
    SourceDocument: ("source", "source-list", _("Källor")),
}


def report_url(record):
    """The address of the form for reporting an error in `record`."""
    route = RECORDS[type(record)][0]
    return reverse(f"agreements:{route}-report", kwargs={"slug": record.slug})


def _thanks_url(record):
    route = RECORDS[type(record)][0]
    return reverse(f"agreements:{route}-report-thanks", kwargs={"slug": record.slug})


def _context(record, **extra):
    _route, list_name, list_label = RECORDS[type(record)]
    return {
        "record": record,
        "list_url": reverse(f"agreements:{list_name}"),
        "list_label": list_label,
        **extra,
    }


def _record(model, slug):
    queryset = model.objects.all()
    if model is SourceDocument:
        queryset = queryset.defer("text")  # the pages name the document, nothing more
    return get_object_or_404(queryset, slug=slug)


class ReportError(View):
    model = None
    template_name = "reports/report_form.html"

    def get(self, request, slug):
        record = _record(self.model, slug)
        return self._form_page(request, record, ErrorReportForm())

    def post(self, request, slug):
        record = _record(self.model, slug)
        form = ErrorReportForm(request.POST)
        if form.is_spam():
            return redirect(_thanks_url(record))
        key = error_reports.client_key(request)
        if error_reports.over_limit(key):
            return self._form_page(request, record, form, status=429, over_limit=True)
        if not form.is_valid():
            return self._form_page(request, record, form, status=400)
        error_reports.file_report(request, record, form.cleaned_data)
        return redirect(_thanks_url(record))

    def refused_token(self, request, slug):
        """The form again, with what was typed, when its CSRF check failed (cookies blocked, or
        the cookie gone with a closed browser): a new token comes with the page."""
        record = _record(self.model, slug)
        return self._form_page(
            request, record, ErrorReportForm(request.POST), status=403, token_refused=True
        )

    def _form_page(self, request, record, form, status=200, over_limit=False, **flags):
        context = _context(
            record,
            form=form,
            over_limit=over_limit,
            **flags,
            limit=settings.REGISTRY_REPORTS_PER_HOUR,
            contact_email=settings.REGISTRY_CONTACT_EMAIL,
        )
        return render(request, self.template_name, context, status=status)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the report form keeps what was typed; elsewhere the site's own 403."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    view_class = getattr(match and match.func, "view_class", None)
    if request.method == "POST" and view_class is ReportError:
        view = ReportError(model=match.func.view_initkwargs["model"])
        return view.refused_token(request, **match.kwargs)
    return render(request, "403_csrf.html", status=403)


class ReportThanks(View):
    model = None

    def get(self, request, slug):
        record = _record(self.model, slug)
        return render(request, "reports/report_thanks.html", _context(record))


def urlpatterns_for(prefix, model):
    """The form and thank-you page under a record's own address, e.g. kommuner/laxa/."""
    from django.urls import path

    route = RECORDS[model][0]
    return [
        path(
            f"{prefix}/<slug:slug>/rapportera-fel/",
            ReportError.as_view(model=model),
            name=f"{route}-report",
        ),
        path(
            f"{prefix}/<slug:slug>/rapportera-fel/tack/",
            ReportThanks.as_view(model=model),
            name=f"{route}-report-thanks",
        ),
    ]
