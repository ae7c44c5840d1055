"""The citation form as staff use it: which record's field a citation supports is picked by its
label, grouped by kind of record, never two alike."""

import pytest
from django.urls import reverse

from agreements.models import Citation

from .admin_forms import add_url, change_url, refusals, save_form

pytestmark = pytest.mark.django_db

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"


def _field_picker(page):
    return page.html.select_one("select[name=field_name]")


def test_field_picker_groups_the_fields_by_record_with_no_label_twice(personas, admin_app):
    page = admin_app.get(add_url("citation"), user=personas["registry"])
    picker = _field_picker(page)
    groups = [g["label"] for g in picker.select("optgroup")]
    assert "Samverkan" in groups and "Kommun" in groups
    labels = [o.get_text(strip=True) for o in picker.select("option")]
    assert len(labels) == len(set(labels)), sorted(
        label for label in labels if labels.count(label) > 1
    )
    values = [o["value"] for o in picker.select("option")]
    assert len(values) == len(set(values))


def test_a_field_picked_in_the_citation_form_is_saved_and_shown_again(personas, admin_app):
    citation = Citation.objects.filter(cooperation__slug=AGREEMENT).first()
    page = admin_app.get(change_url(citation), user=personas["registry"])
    form = save_form(page)
    [name] = [
        o[0] for o in form["field_name"].options if o[0].endswith("name") and "cooperation" in o[0]
    ]
    form["field_name"] = name
    response = form.submit("_continue")
    assert response.status_code == 302, refusals(response)
    citation.refresh_from_db()
    assert citation.field_name == "name"
    page = admin_app.get(change_url(citation), user=personas["registry"])
    selected = _field_picker(page).select("option[selected]")
    assert [o.find_parent("optgroup")["label"] for o in selected] == ["Samverkan"]


def test_a_field_of_another_kind_of_record_is_refused_with_what_to_do(personas, admin_app):
    citation = Citation.objects.filter(cooperation__slug=AGREEMENT).first()
    form = save_form(admin_app.get(change_url(citation), user=personas["registry"]))
    [code] = [o[0] for o in form["field_name"].options if o[0].endswith(".code")]
    form["field_name"] = code
    response = form.submit("_continue")
    assert response.status_code == 200
    assert any("”Kommunkod”" in text and "”Samverkan”" in text for text in refusals(response)), (
        refusals(response)
    )


def test_the_citation_list_names_the_field_by_its_label(personas, admin_app):
    citation = Citation.objects.filter(cooperation__slug=AGREEMENT).first()
    Citation.objects.filter(pk=citation.pk).update(field_name="legally_binding")
    page = admin_app.get(reverse("admin:agreements_citation_changelist"), user=personas["registry"])
    headers = [th.get_text(strip=True) for th in page.html.select("#result_list thead th")]
    assert "Short quote" not in " ".join(headers)
    assert "Juridiskt bindande" in page.html.select_one("#result_list").get_text()
    assert "legally_binding" not in page.html.select_one("#result_list").get_text()


def test_the_registrys_interpretation_is_shown_and_edited_on_the_citations_own_page(
    personas, admin_app, client
):
    # The staff reviewer: the citation's own page had no "Registrets tolkning", so a reading
    # could only be seen and changed from the record it supports.
    cited = Citation.objects.get(commitment__financer__code="1860", field_name="fte")
    form = save_form(admin_app.get(change_url(cited), user=personas["registry"]))
    assert form["interpretation"].value == cited.interpretation
    form["interpretation"] = "Källan säger att Laxå ”ville” finansiera 0,5; det är en avsikt."
    assert form.submit("_save").status_code == 302
    page = client.get("/samverkan/avtalssamverkan-hallsberg-laxa-lekeberg/").content.decode()
    assert "Källan säger att Laxå ”ville” finansiera 0,5; det är en avsikt." in page
