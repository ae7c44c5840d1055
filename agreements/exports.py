"""CSV of the public lists, as filtered, that opens correctly in Excel with Swedish settings.

Swedish Excel reads a semicolon-separated file with decimal commas and recognises UTF-8 by its
byte-order mark; English settings expect commas and decimal points. The page's language picks.
"""

import csv
import gc
from decimal import Decimal
from itertools import chain, islice

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
    """CSV columns [(header, getter, meaning)], and `prepare(rows)`, run on each batch of rows
    before they are written, for what is fetched for many rows at once. The meaning (optional)
    is what the bulk download's data dictionary says about the column."""

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


# Rows carry reference cycles (records and the citations attached to them), which only the
# cyclic collector frees; left to its thresholds it let a table's worth pile up before a full
# collection (a whole-list CSV, the bulk download). Collecting every few batches keeps memory at
# a few batches' worth.
COLLECT_EVERY = 5


def batches(rows, size):
    """`rows` in lists of `size`, for work done once per batch (citations, prefetches)."""
    rows = iter(rows)
    number = 0
    while batch := list(islice(rows, size)):
        yield batch
        number += 1
        if number % COLLECT_EVERY == 0:
            del batch
            gc.collect()


def csv_lines(rows, columns, language):
    """The CSV file as text pieces: a byte-order mark, the header row, then `rows` (an iterable
    of objects) in batches. Pages stream it; the bulk download writes it into its ZIP."""
    yield csv_head(columns, language)
    yield from csv_rows(rows, columns, language)


def _writer(language):
    delimiter = ";" if language == "sv" else ","
    return csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")


def csv_head(columns, language):
    """The start of the CSV file: a byte-order mark and the header row."""
    with translation.override(language):
        # Headers share their words with the models' lower-case field names ("valuta"):
        # a spreadsheet's header row starts each with a capital, like the pages' columns.
        return "\ufeff" + _writer(language).writerow([header_text(c) for c in columns])


def csv_rows(rows, columns, language, prepared=False):
    """The CSV file's rows, a text piece each: `rows` (an iterable of objects) in batches, each
    given to `columns.prepare` first unless `prepared` says that has been done."""
    writer = _writer(language)
    prepare = None if prepared else getattr(columns, "prepare", None)
    with translation.override(language):
        for batch in batches(rows, BATCH_SIZE):
            if prepare is not None:
                prepare(batch)
            for row in batch:
                yield writer.writerow([cell(column[1](row)) for column in columns])


def header_text(column):
    return capfirst(str(column[0]))


def meaning(column):
    """What the column holds, in words; empty when the header says it all."""
    return column[2] if len(column) > 2 else ""


def csv_response(rows, columns, filename, request):
    """Stream `rows` (an iterable of objects) as CSV with `columns` [(header, getter)]."""
    # The body is written after the view has returned: in the request's language still.
    lines = csv_lines(rows, columns, translation.get_language())
    # Up to the first row (its batch's queries included) before the status line is sent: a
    # database that fails gives the 500 it should, not a 200 with a header and a cut-off body.
    head = list(islice(lines, 3))
    response = StreamingHttpResponse(chain(head, lines), content_type="text/csv; charset=utf-8")
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


AS_OF_MEANING = _(
    "När uppgifterna gäller: datum för den nyaste källan bakom raden, eller att källan är odaterad."
)
URL_MEANING = _("Radens sida i registret.")


def municipality_columns(request):
    return Columns(
        [
            (_("Kommun"), lambda m: m.name, _("Kommunens namn.")),
            (_("Kommunkod"), lambda m: m.code, _("Kommunens officiella fyrsiffriga kod.")),
            (_("Län"), lambda m: m.county.name, _("Länet kommunen ligger i.")),
            (
                _("Organisationsnummer"),
                lambda m: m.organisation_number,
                _("Kommunens organisationsnummer; tomt tills det är kontrollerat."),
            ),
            (
                _("Samverkan där kommunen är part"),
                lambda m: m.cooperation_count,
                _("Antal samverkan som kommunen är bunden av genom beslut eller avtal."),
            ),
            (
                _("Samverkan där kommunen nämns utan att vara bunden"),
                lambda m: m.mentioned_count,
                _("Antal samverkan där källorna nämner kommunen utan att den är bunden."),
            ),
            (
                _("Känd finansiering (heltidstjänster)"),
                lambda m: fte(facts.financed_fte(m)),
                _(
                    "Summan av de kända andelar av tjänster som kommunen betalar, de senast "
                    "kända (se Uppgifterna gäller, inte nödvändigtvis i dag), i "
                    "heltidstjänster; tomt när summan inte är känd."
                ),
            ),
            (
                _("Därav registrets tolkning (heltidstjänster)"),
                lambda m: fte((facts.financing_split(m) or {}).get("interpreted")),
                _(
                    "Den del av den kända finansieringen som är registrets tolkning av källorna, "
                    "inte deras ord; tomt när summan inte är känd."
                ),
            ),
            (
                _("Finansiering enligt källorna"),
                facts.financing_text,
                _("Vad kommunen betalar för tjänster så långt källorna säger, i ord."),
            ),
            (_("Uppgifterna gäller"), _as_of, AS_OF_MEANING),
            (_("Webbadress"), _absolute(request), URL_MEANING),
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
            (_("Namn"), lambda c: c.name, _("Samverkans namn.")),
            (
                _("Form"),
                _fact("form"),
                _("Samverkansform, till exempel avtalssamverkan eller gemensam nämnd."),
            ),
            (_("Status"), _fact("status"), _("Hur långt samverkan har kommit.")),
            (
                _("Juridiskt bindande"),
                _fact("legally_binding"),
                _("Om samverkan binder parterna juridiskt: Ja, Nej eller Okänt."),
            ),
            (
                _("Har värdkommun"),
                lambda c: yes_no(c.has_host),
                _("Om en kommun utför arbetet åt de andra: Ja, Nej eller Okänt."),
            ),
            (
                _("Värdkommun"),
                lambda c: c.host.name if c.host else "",
                _("Den part som har rollen värdkommun; tomt om ingen har den."),
            ),
            (
                _("Antal parter"),
                lambda c: len(facts.split_parties(c.parties.all())[0]),
                _("Antal kommuner som är bundna genom beslut eller avtal."),
            ),
            (
                _("Parter (bundna genom beslut eller avtal)"),
                parties,
                _("Parterna, var och en med hur den är bunden."),
            ),
            (
                _("Andra kommuner som nämns, inte bundna"),
                others,
                _("Kommuner som källorna nämner utan att de är bundna, med sin nivå."),
            ),
            (
                _("Gäller från"),
                lambda c: _date(c.start_date),
                _("Startdatum (ÅÅÅÅ-MM-DD); tomt när det inte är känt."),
            ),
            (
                _("Gäller till"),
                lambda c: _date(c.end_date),
                _("Slutdatum (ÅÅÅÅ-MM-DD); tomt när det inte är känt eller inte finns."),
            ),
            (_("Uppgifterna gäller"), _as_of, AS_OF_MEANING),
            (_("Webbadress"), _absolute(request), URL_MEANING),
        ],
        prepare=facts.cite_records,
    )


def procurement_columns(request):
    def lead(p):
        return next((b.municipality.name for b in p.listed_buyers if b.is_lead), "")

    return Columns(
        [
            (_("Rubrik"), lambda p: p.title, _("Upphandlingens rubrik.")),
            (
                _("Köpare"),
                # Marked where who buys is the registry's reading of its source.
                lambda p: ", ".join(
                    facts.text_with_mark(b, "municipality") for b in p.listed_buyers
                ),
                _("Kommunerna som köper."),
            ),
            (
                _("samordnande kommun"),
                lead,
                _("Den köpare som leder en gemensam upphandling; tomt om ingen är angiven."),
            ),
            (
                _("Gemensam upphandling"),
                lambda p: yes_no(p.is_joint),
                _("Om flera kommuner köper tillsammans: Ja, Nej eller Okänt."),
            ),
            (
                _("Status"),
                _fact("status"),
                _("Hur långt avsikten har kommit: från målbild till tilldelad eller avbruten."),
            ),
            (
                _("Upphandlingsår (mål eller plan)"),
                _fact("procurement_year", blank_if_unknown=True),
                _(
                    "Året då upphandlingen ska göras enligt källan, som mål eller plan (se "
                    "status), inte att den är gjord; tomt när det inte är känt."
                ),
            ),
            (
                _("Avtalsstart (år)"),
                _fact("contract_start_year", blank_if_unknown=True),
                _("Året då avtalet ska börja gälla; tomt när det inte är känt."),
            ),
            (_("CPV-kod"), lambda p: p.cpv_code, _("Kod i EU:s gemensamma upphandlingsordlista.")),
            (
                _("Uppskattat värde"),
                lambda p: decimal(p.estimated_value),
                _("Uppskattat värde enligt källan; tomt när det inte är känt."),
            ),
            (
                _("valuta"),
                lambda p: p.currency if p.estimated_value is not None else "",
                _("Valutan för det uppskattade värdet (ISO 4217)."),
            ),
            (_("Uppgifterna gäller"), _as_of, AS_OF_MEANING),
            (_("Webbadress"), _absolute(request), URL_MEANING),
        ],
        prepare=facts.cite_records,
    )


def opportunity_columns(request):
    """The joint-buying finder's rows (agreements.opportunities), as on /mojligheter/."""

    # Both sides have the same columns; each is named for its side, so that no header is given
    # twice (a spreadsheet or a CSV reader keyed by header would otherwise lose one side).
    def side(labels, get_p, get_m):
        procurement, municipality, status, year, code, url = labels
        return [
            (procurement, lambda m: get_p(m).title),
            (municipality, lambda m: get_m(m).name),
            (status, lambda m: get_p(m).get_status_display()),
            (year, lambda m: get_p(m).procurement_year),
            (code, lambda m: get_p(m).cpv_code),
            (url, lambda m: absolute_url(get_p(m).get_absolute_url())),
        ]

    return Columns(
        [
            (_("CPV-kategori"), lambda m: m.category),
            *side(
                (
                    _("Upphandling"),
                    _("Kommun"),
                    _("Upphandlingens status"),
                    _("Upphandlingens år"),
                    _("Upphandlingens CPV-kod"),
                    _("Upphandlingens webbadress"),
                ),
                lambda m: m.procurement,
                lambda m: m.municipality,
            ),
            *side(
                (
                    _("Annan kommuns upphandling"),
                    _("Annan kommun"),
                    _("Den andra upphandlingens status"),
                    _("Den andra upphandlingens år"),
                    _("Den andra upphandlingens CPV-kod"),
                    _("Den andra upphandlingens webbadress"),
                ),
                lambda m: m.other,
                lambda m: m.other_municipality,
            ),
            (_("Samma län"), lambda m: yes_no(m.same_county)),
            (_("Båda parter i"), lambda m: ", ".join(c.name for c in m.cooperations)),
            (_("Styrka"), lambda m: m.strength),
            (_("Varför"), lambda m: m.explanation),
        ]
    )
