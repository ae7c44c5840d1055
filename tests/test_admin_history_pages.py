"""Every record's "Historik" page in the admin opens, also for models that keep no history, and
its pages read in Swedish."""

import pytest
from django.urls import reverse

from agreements.models import AgreementVersion, Cooperation, StaffingCommitment
from tests.admin_forms import change_url, save_form

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"


@pytest.mark.parametrize("persona", ["superuser", "registry", "laxa"])
@pytest.mark.parametrize("model_name", ["county", "interpellation", "interpellationquestion"])
def test_history_page_of_a_model_without_history_opens(personas, admin_app, model_name, persona):
    from django.apps import apps

    obj = apps.get_model("agreements", model_name).objects.order_by("pk").first()
    assert obj is not None, f"the seed has no {model_name}"
    change = admin_app.get(change_url(obj), user=personas[persona])
    # Through the page's own "Historik" link, as staff reach it.
    history = change.click(href=r"/history/$")
    assert history.status_code == 200
    assert "Ändringshistorik" in history.html.title.text


@pytest.mark.parametrize("model_name", ["county", "interpellation", "interpellationquestion"])
def test_history_of_a_model_without_history_shows_changes_made_in_the_admin(
    personas, admin_app, model_name
):
    from django.apps import apps

    from tests.admin_forms import TEXT_FIELD, save_form

    obj = apps.get_model("agreements", model_name).objects.order_by("pk").first()
    form = save_form(admin_app.get(change_url(obj), user=personas["registry"]))
    form[TEXT_FIELD[model_name]] = form[TEXT_FIELD[model_name]].value + " (ändrad)"
    assert form.submit("_continue").status_code == 302
    history = admin_app.get(change_url(obj).replace("/change/", "/history/"))
    assert history.status_code == 200
    assert "registret" in history.text


def _breadcrumbs(page):
    return " ".join(page.html.select_one(".breadcrumbs").get_text(" ").split())


def test_revert_page_breadcrumbs_name_the_app_and_the_model_in_swedish(personas, admin_app):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    record = agreement.history.earliest("history_date")
    url = reverse("admin:agreements_cooperation_simple_history", args=[agreement.pk, record.pk])
    crumbs = _breadcrumbs(admin_app.get(url, user=personas["registry"]))
    assert crumbs.startswith("Hem › Samverkan och upphandling › Samverkan › Avtalssamverkan")
    assert crumbs.endswith("› Historik › Återställ samverkan")
    assert "Agreements" not in crumbs and "Historical" not in crumbs


def test_commitment_revert_page_breadcrumbs_are_swedish(personas, admin_app):
    commitment = StaffingCommitment.objects.get(financer__code="1860")
    record = commitment.history.earliest("history_date")
    url = reverse(
        "admin:agreements_staffingcommitment_simple_history", args=[commitment.pk, record.pk]
    )
    crumbs = _breadcrumbs(admin_app.get(url, user=personas["registry"]))
    assert crumbs.startswith("Hem › Samverkan och upphandling › Finansieringsåtaganden › ")
    assert "Agreements" not in crumbs and "Historical" not in crumbs


def test_an_empty_earlier_value_reads_as_empty_in_the_history(personas, admin_app):
    commitment = StaffingCommitment.objects.get(financer__code="1860")
    form = save_form(admin_app.get(change_url(commitment), user=personas["registry"]))
    form["agreement_version"] = ""
    assert form.submit("_continue").status_code == 302
    version = AgreementVersion.objects.get(cooperation=commitment.cooperation, sequence=2)
    form = save_form(admin_app.get(change_url(commitment), user=personas["registry"]))
    form["agreement_version"] = str(version.pk)
    assert form.submit("_continue").status_code == 302
    history = admin_app.get(
        change_url(commitment).replace("/change/", "/history/"), user=personas["registry"]
    )
    changes = " ".join(history.html.select_one("#change-history").get_text(" ").split())
    assert "pk=" not in changes
    assert "Borttagen" not in changes
    assert "Avtalsversion: – →" in changes


def test_a_really_deleted_earlier_value_is_named_without_a_primary_key():
    from simple_history.models import DeletedObject

    from agreements.admin_history import display_value

    text = str(display_value(DeletedObject(AgreementVersion, 7)))
    assert "pk=" not in text and "avtalsversion" in text.casefold()
