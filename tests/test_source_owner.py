"""A municipality editor's new source is their municipality's: never one they cannot edit."""

from tests.admin_forms import add_url, change_url, refusals, save_form


def add_source_form(admin_app, user):
    page = admin_app.get(add_url("sourcedocument"), user=user)
    form = save_form(page)
    form["title"] = "Protokoll från kommunstyrelsen"
    form["slug"] = "protokoll-kommunstyrelsen-laxa"
    form["kind"] = "decision"
    form["text"] = "Kommunstyrelsen beslutar att delta i samverkan."
    return form


def test_municipality_editor_cannot_leave_the_issuing_municipality_empty(personas, admin_app):
    from agreements.models import SourceDocument

    form = add_source_form(admin_app, personas["laxa"])
    field = form["issuing_municipality"]
    own = str(personas["laxa"].editor_profile.municipality.pk)
    # Only their own municipality is offered, chosen already, with no empty choice.
    assert [value for value, _selected, _text in field.options] == [own]
    assert field.value == own
    assert "required" in form.html.select_one("#id_issuing_municipality").attrs
    response = form.submit("_continue").maybe_follow()
    assert not refusals(response)
    source = SourceDocument.objects.get(slug="protokoll-kommunstyrelsen-laxa")
    assert source.issuing_municipality.code == "1860"
    # And they can go on editing what they created.
    edit = save_form(admin_app.get(change_url(source), user=personas["laxa"]))
    edit["author"] = "Kommunstyrelsens ordförande"
    assert edit.submit("_continue").status_code == 302
    source.refresh_from_db()
    assert source.author == "Kommunstyrelsens ordförande"


def test_an_empty_issuing_municipality_posted_anyway_is_refused_in_words(personas, admin_app):
    from agreements.models import SourceDocument

    form = add_source_form(admin_app, personas["laxa"])
    field = form["issuing_municipality"]
    field.options.append(("", False, "---------"))
    field.value = ""
    response = form.submit("_continue")
    assert response.status_code == 200
    assert refusals(response)
    assert response.html.select(".field-issuing_municipality .errorlist li")
    assert not SourceDocument.objects.filter(slug="protokoll-kommunstyrelsen-laxa").exists()


def test_registry_editors_may_still_register_a_source_of_no_municipality(personas, admin_app):
    from agreements.models import SourceDocument

    form = add_source_form(admin_app, personas["registry"])
    assert "" in [value for value, _selected, _text in form["issuing_municipality"].options]
    form["issuing_municipality"] = ""
    form["slug"] = "nationell-rapport"
    assert form.submit("_continue").status_code == 302
    assert SourceDocument.objects.get(slug="nationell-rapport").issuing_municipality is None
