"""CSV of the public lists, as filtered, that opens correctly in Excel with Swedish settings.

Swedish Excel reads a semicolon-separated file with decimal commas and recognises UTF-8 by its
byte-order mark; English settings expect commas and decimal points. The page's language picks.
"""

import csv

from django.http import StreamingHttpResponse
from django.utils.formats import number_format
from django.utils.translation import get_language


class _Echo:
    def write(self, value):
        return value


def yes_no(value):
    from django.utils.translation import gettext

    return gettext("Ja") if value else gettext("Nej")


def decimal(value):
    return "" if value is None else number_format(value, use_l10n=True)


def csv_response(rows, columns, filename, request):
    """Stream `rows` (an iterable of objects) as CSV with `columns` [(header, getter)]."""
    delimiter = ";" if get_language() == "sv" else ","
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")

    def lines():
        yield "\ufeff"
        yield writer.writerow([str(header) for header, _ in columns])
        for row in rows:
            yield writer.writerow(["" if (v := get(row)) is None else v for _, get in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
