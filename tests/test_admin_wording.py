"""Words in the admin that fit who reads them (issue 10's staff review)."""

import pytest
from django.urls import reverse

from agreements.models import Cooperation, StaffingCommitment

from .admin_forms import change_url, refusals, row, save_form

pytestmark = pytest.mark.django_db

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"


def test_choosing_a_first_password_ends_on_a_heading_that_fits(client, seed):
    page = client.get(reverse("admin:password_reset_complete")).content.decode()
    assert "Lösenordet är valt" in page
    assert "Nollställning" not in page and "Nollställ" not in page


@pytest.mark.parametrize("persona", ["registry", "superuser"])
def test_report_queue_help_fits_editors_without_a_municipality(personas, admin_app, persona):
    page = admin_app.get(reverse("admin:index"), user=personas[persona])
    help_text = page.html.select_one("caption .task-help").get_text(" ", strip=True)
    assert "din kommun" not in help_text
    assert "registrets" in help_text


def test_report_queue_help_speaks_of_a_municipality_editors_own_records(personas, admin_app):
    page = admin_app.get(reverse("admin:index"), user=personas["laxa"])
    help_text = page.html.select_one("caption .task-help").get_text(" ", strip=True)
    assert "Laxå" in help_text


def test_recent_actions_heading_has_no_stray_capital(personas, admin_app):
    page = admin_app.get(reverse("admin:index"), user=personas["registry"])
    assert page.html.select_one("#recent-actions-module h2").get_text() == "Senaste händelser"


def test_a_cooperation_cannot_be_said_to_have_led_to_itself(personas, admin_app):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    form = save_form(admin_app.get(change_url(agreement), user=personas["registry"]))
    field = form["led_to"]
    field.options.append((str(agreement.pk), False, agreement.name))
    field.value = [str(agreement.pk)]
    response = form.submit("_save")
    assert response.status_code == 200
    assert not agreement.led_to.exists()


def test_a_refused_inline_row_names_the_field_that_changed_meanwhile(personas, django_app_factory):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    first, second = (django_app_factory(extra_environ={"wsgi.url_scheme": "https"}) for _ in "12")
    form_first = save_form(first.get(change_url(agreement), user=personas["registry"]))
    # Meanwhile someone changes the commitment on its own page: its note, which the
    # cooperation's table of commitments does not show.
    form_second = save_form(second.get(change_url(laxa), user=personas["superuser"]))
    form_second["note"] = "Andra redaktörens anteckning"
    assert form_second.submit("_save").status_code == 302
    i = row(form_first, "commitments", id=laxa)
    form_first[f"commitments-{i}-fte"] = "0,4"
    response = form_first.submit("_save")
    assert response.status_code == 200
    [stale] = [t for t in refusals(response) if "Någon annan har sparat" in t]
    assert "Kommentar: ”–” → ”Andra redaktörens anteckning”" in stale
    assert StaffingCommitment.objects.get(pk=laxa.pk).fte == laxa.fte


def test_the_two_list_picker_heads_the_chosen_list_valda(personas, admin_app):
    catalog = admin_app.get(reverse("admin:jsi18n"), user=personas["registry"]).text
    assert '"Chosen %s": "Valda %s"' in catalog


def test_no_english_column_heading_in_the_commitment_table(personas, admin_app):
    page = admin_app.get(
        change_url(Cooperation.objects.get(slug=AGREEMENT)), user=personas["registry"]
    )
    headings = page.html.select_one("#commitments-group thead").get_text(" ")
    assert "Seen version" not in headings


def test_the_message_after_a_save_is_swedish_with_swedish_quotation_marks(personas, admin_app):
    # The staff reviewer read 'Lade till upphandling “…”. Du kan redigera det igen nedan.':
    # English quotation marks, and "det" for an "upphandling".
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    form = save_form(admin_app.get(change_url(agreement), user=personas["registry"]))
    page = form.submit("_continue").follow()
    message = " ".join(page.html.select_one(".messagelist").get_text().split())
    assert message == (
        "Ändrade samverkan ”Avtalssamverkan om upphandling mellan Hallsberg, Laxå och "
        "Lekeberg”. Du kan göra fler ändringar nedan."
    )
    form = save_form(
        admin_app.get(reverse("admin:agreements_county_add"), user=personas["superuser"])
    )
    form["code"] = "99"
    form["name"] = "Provlän"
    message = form.submit("_continue").follow().html.select_one(".messagelist")
    assert " ".join(message.get_text().split()) == (
        "Lade till län ”Provlän”. Du kan redigera posten igen nedan."
    )


def test_a_name_quoted_in_the_message_after_a_save_quotes_its_own_name_with_single_marks(
    personas, admin_app
):
    # ”Laxå: 0,5 av ”Upphandlare …”” read as two quotations closed in a row.
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    form = save_form(admin_app.get(change_url(laxa), user=personas["laxa"]))
    form["note"] = "Kontrollerad."
    page = form.submit("_continue").follow()
    message = " ".join(page.html.select_one(".messagelist").get_text().split())
    assert message.startswith(
        f"Ändrade finansieringsåtagande ”Laxå: 0,5 av ’{laxa.post.name}’”."
    ), message
    assert str(laxa) == f"Laxå: 0,5 av ”{laxa.post.name}”"  # alone, as pages and logs give it


def test_a_view_only_record_names_the_fields_its_citations_support_in_words(personas, admin_app):
    # Laxå's editor may only view Lekeberg's commitment: its citations said "Fält: fte".
    lekeberg = StaffingCommitment.objects.filter(financer__code="1814").order_by("pk").first()
    page = admin_app.get(change_url(lekeberg), user=personas["laxa"])
    assert save_form(page) is None  # view only
    fields = [
        " ".join(row.select_one(".readonly").get_text().split())
        for row in page.html.select(".inline-group .form-row")
        if "field-cited_field" in row.get("class", [])
    ]
    assert "Andel av heltidstjänst" in fields
    assert "fte" not in fields


def test_deleting_a_citation_names_it_with_swedish_quotation_marks(personas, admin_app):
    # The staff reviewer read 'Tog bort citat “Svar … ’…’”' (an English opening mark) and
    # 'Är du säker på att du vill ta bort citat "Svar … ”…”"?' (straight quotes around ”…”).
    from agreements.models import Citation

    citation = Citation.objects.filter(cooperation__slug=AGREEMENT).first()
    url = reverse("admin:agreements_citation_delete", args=[citation.pk])
    page = admin_app.get(url, user=personas["registry"])
    question = " ".join(page.html.select_one("#content").get_text().split())
    name = f"{citation.source}: ’{citation.short_quote}’"
    assert f"Är du säker på att du vill ta bort citat ”{name}”?" in question, question
    done = page.forms[1].submit().follow()
    message = " ".join(done.html.select_one(".messagelist").get_text().split())
    assert message == f"Tog bort citat ”{name}”."
    gone = admin_app.get(change_url(citation), user=personas["registry"]).follow()
    message = " ".join(gone.html.select_one(".messagelist").get_text().split())
    assert message == f"Citat med id ”{citation.pk}” finns inte. Posten kan ha tagits bort."
