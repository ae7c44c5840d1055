"""Every record's "Historik" page in the admin opens, also for models that keep no history."""

import pytest

from tests.admin_forms import change_url


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
