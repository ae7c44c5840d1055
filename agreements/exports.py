"""CSV of the public lists, as filtered, that opens correctly in Excel with Swedish settings.

Swedish Excel reads a semicolon-separated file with decimal commas and recognises UTF-8 by its
byte-order mark; English settings expect commas and decimal points. The page's language picks.
"""

import csv
from decimal import Decimal
from itertools import islice

from django.http import StreamingHttpResponse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import facts
from .formats import format_fte
from .links import absolute_url

# Rows are written in batches: facts that need the rows' citations (as of when) cost one query
# per batch, not one per row.
BATCH_SIZE = 2000


class _Echo:
    def write(self, value):
        return value


class Columns(list):
    """CSV columns [(header, getter)], and `prepare(rows)`, run on each batch of rows before
    they are written, for what is fetched for many rows at once."""

    def __init__(self, columns, prepare=None):
        super().__init__(columns)
        self.prepare = prepare


# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP, "CSV
# Injection"): a title like `=HYPERLINK(...)` would run in the reader's spreadsheet.
# defusedcsv does the same but leaves tab and carriage return alone, rewrites `|` in the
# text, and guesses numbers from how the text looks; here the columns say what is a number.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Number(str):
    """A number already written for the reader's locale ("-0,5"): a value, never a formula."""


def cell(value):
    """One CSV cell: text that a spreadsheet would run as a formula gets a leading quote,
    which shows it as the text it is; numbers are left as they are."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal | Number):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def yes_no(value):
    """Ja, Nej, or Okänt when the source does not say: unknown is not no."""
    if value is None:
        return gettext("Okänt")
    return gettext("Ja") if value else gettext("Nej")


def decimal(value):
    return "" if value is None else Number(number_format(value, use_l10n=True))


def fte(value):
    return Number(format_fte(value))


def _batches(rows, size):
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def csv_response(rows, columns, filename, request):
    """Stream `rows` (an iterable of objects) as CSV with `columns` [(header, getter)]."""
    language = translation.get_language()
    delimiter = ";" if language == "sv" else ","
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")
    prepare = getattr(columns, "prepare", None)

    def lines():
        # The body is written after the view has returned: in the request's language still.
        with translation.override(language):
            yield "\ufeff"
            # Headers share their words with the models' lower-case field names ("valuta"):
            # a spreadsheet's header row starts each with a capital, like the pages' columns.
            yield writer.writerow([capfirst(str(header)) for header, _ in columns])
            for batch in _batches(rows, BATCH_SIZE):
                if prepare is not None:
                    prepare(batch)
                for row in batch:
                    yield writer.writerow([cell(get(row)) for _, get in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


# --- the lists' columns ---------------------------------------------------------------------
# The same facts as the pages, from agreements.facts: parties are the municipalities bound by a
# decision or an agreement, others are named with their level; unknown is "Okänt", not "Nej";
# every row says as of when it holds.


def _as_of(record):
    return facts.as_of(record.about).text


def _fact(name, blank_if_unknown=False):
    """A structured value as on the pages: "Okänt" when unknown (or blank, for a number
    column), and marked when it is the registry's interpretation of its source."""

    def value(record):
        if blank_if_unknown and not facts.is_known(getattr(record, name)):
            return ""
        return facts.text_with_mark(record, name)

    return value


def _date(value):
    return value and value.isoformat()


def _absolute(_request):
    return lambda record: absolute_url(record.get_absolute_url())


def municipality_columns(request):
    return Columns(
        [
            (_("Kommun"), lambda m: m.name),
            (_("Kommunkod"), lambda m: m.code),
            (_("Län"), lambda m: m.county.name),
            (_("Organisationsnummer"), lambda m: m.organisation_number),
            (_("Samverkan där kommunen är part"), lambda m: m.cooperation_count),
            (_("Samverkan där kommunen nämns utan att vara bunden"), lambda m: m.mentioned_count),
            (
                _("Känd finansiering (heltidstjänster)"),
                lambda m: fte(facts.financed_fte(m)),
            ),
            (_("Finansiering enligt källorna"), facts.financing_text),
            (_("Uppgifterna gäller"), _as_of),
            (_("Webbadress"), _absolute(request)),
        ],
        prepare=facts.cite_records,
    )


def cooperation_columns(request):
    def parties(cooperation):
        bound, _others = facts.split_parties(cooperation.parties.all())
        return ", ".join(facts.party_text(p) for p in bound)

    def others(cooperation):
        _bound, not_bound = facts.split_parties(cooperation.parties.all())
        return ", ".join(facts.party_text(p) for p in not_bound)

    return Columns(
        [
            (_("Namn"), lambda c: c.name),
            (_("Form"), _fact("form")),
            (_("Status"), _fact("status")),
            (_("Juridiskt bindande"), _fact("legally_binding")),
            (_("Har värdkommun"), lambda c: yes_no(c.has_host)),
            (_("Värdkommun"), lambda c: c.host.name if c.host else ""),
            (_("Antal parter"), lambda c: len(facts.split_parties(c.parties.all())[0])),
            (_("Parter (bundna genom beslut eller avtal)"), parties),
            (_("Andra kommuner som nämns, inte bundna"), others),
            (_("Gäller från"), lambda c: _date(c.start_date)),
            (_("Gäller till"), lambda c: _date(c.end_date)),
            (_("Uppgifterna gäller"), _as_of),
            (_("Webbadress"), _absolute(request)),
        ],
        prepare=facts.cite_records,
    )


def procurement_columns(request):
    def lead(p):
        return next((b.municipality.name for b in p.buyers.all() if b.is_lead), "")

    return Columns(
        [
            (_("Rubrik"), lambda p: p.title),
            (_("Köpare"), lambda p: ", ".join(b.municipality.name for b in p.buyers.all())),
            (_("samordnande kommun"), lead),
            (_("Gemensam upphandling"), lambda p: yes_no(p.is_joint)),
            (_("Status"), _fact("status")),
            (_("Upphandlingsår"), _fact("procurement_year", blank_if_unknown=True)),
            (_("Avtalsstart (år)"), _fact("contract_start_year", blank_if_unknown=True)),
            (_("CPV-kod"), lambda p: p.cpv_code),
            (_("Uppskattat värde"), lambda p: decimal(p.estimated_value)),
            (_("valuta"), lambda p: p.currency if p.estimated_value is not None else ""),
            (_("Uppgifterna gäller"), _as_of),
            (_("Webbadress"), _absolute(request)),
        ],
        prepare=facts.cite_records,
    )


def opportunity_columns(request):
    """The joint-buying finder's rows (agreements.opportunities), as on /mojligheter/."""

    def side(label_procurement, label_municipality, get_p, get_m):
        return [
            (label_procurement, lambda m: get_p(m).title),
            (label_municipality, lambda m: get_m(m).name),
            (_("Status"), lambda m: get_p(m).get_status_display()),
            (_("Upphandlingsår"), lambda m: get_p(m).procurement_year),
            (_("CPV-kod"), lambda m: get_p(m).cpv_code),
            (_("Webbadress"), lambda m: absolute_url(get_p(m).get_absolute_url())),
        ]

    return Columns(
        [
            (_("CPV-kategori"), lambda m: m.category),
            *side(_("Upphandling"), _("Kommun"), lambda m: m.procurement, lambda m: m.municipality),
            *side(
                _("Annan kommuns upphandling"),
                _("Annan kommun"),
                lambda m: m.other,
                lambda m: m.other_municipality,
            ),
            (_("Samma län"), lambda m: yes_no(m.same_county)),
            (_("Båda parter i"), lambda m: ", ".join(c.name for c in m.cooperations)),
            (_("Styrka"), lambda m: m.strength),
            (_("Varför"), lambda m: m.explanation),
        ]
    )
