"""Numbers in admin forms are read as Swedes write them: a decimal comma, and a space (or a
no-break or thin space) between thousands, as DOMAIN.md writes amounts (12 500 kr)."""

import pytest

from agreements.models import PlannedProcurement

from .admin_forms import add_url, refusals, save_form

pytestmark = pytest.mark.django_db


def new_procurement(admin_app, personas, amount):
    """The rendered add form of a procurement, filled in by a registry editor with `amount`."""
    form = save_form(admin_app.get(add_url("plannedprocurement"), user=personas["registry"]))
    form["title"] = "Skolskjutsar"
    form["status"] = "planned"
    form["estimated_value"] = amount
    form["currency"] = "SEK"
    return form


@pytest.mark.parametrize(
    "separator",
    [" ", "\xa0", "\u2009", "\u202f"],
    ids=["space", "no-break space", "thin space", "narrow no-break space"],
)
def test_an_amount_may_be_written_with_swedish_thousands_separators(personas, admin_app, separator):
    form = new_procurement(admin_app, personas, separator.join(["1", "250", "000,50"]))
    response = form.submit("_save")
    assert response.status_code == 302, refusals(response)
    assert str(PlannedProcurement.objects.get(title="Skolskjutsar").estimated_value) == (
        "1250000.50"
    )


def test_a_number_with_misplaced_spaces_is_still_refused(personas, admin_app):
    form = new_procurement(admin_app, personas, "1 2 5")
    response = form.submit("_save")
    assert response.status_code == 200
    assert "Fyll i ett tal." in refusals(response)


def test_the_public_page_shows_the_amount_as_typed_not_rounded(personas, admin_app):
    import re

    form = new_procurement(admin_app, personas, "1 250 000,50")
    assert form.submit("_save").status_code == 302
    procurement = PlannedProcurement.objects.get(title="Skolskjutsar")
    page = admin_app.get(procurement.get_absolute_url()).text
    assert re.search(r"1\W250\W000,50 SEK", page), "the amount as typed"
    assert "1\xa0250\xa0001" not in page
    # No buyer recorded yet: said in words, not an empty line.
    assert "Okänt – källan säger inget" in page.split("Köpare", 1)[1][:400]
