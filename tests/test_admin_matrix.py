"""Every admin change form saves what it renders, for every role that may change the record.

The forms are filled from the HTML the admin sends (django-webtest), hidden inputs included,
exactly as a browser submits them. A field an explicit `fields`/`fieldsets` list leaves out of
the page is therefore missing here too, as it would be for staff.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from agreements.roles import scoped

from .admin_forms import TEXT_FIELD

pytestmark = pytest.mark.django_db

# Error reports are not records staff keep: the public files them, staff answer and close them
# (tests/test_error_reports.py).
AGREEMENT_ADMINS = sorted(
    (
        m
        for m in admin.site._registry
        if m._meta.app_label == "agreements" and m._meta.model_name != "errorreport"
    ),
    key=lambda m: m._meta.model_name,
)

# What a municipality editor may only view in the seed: other municipalities' records and
# reference data. Everything else each role can open and save.
VIEW_ONLY = {
    *((editor, model) for editor in ("hallsberg", "laxa") for model in (
        "county", "municipality", "interpellation", "interpellationquestion",
        "plannedprocurement", "procurementbuyer", "sourcedocument",
    )),
    ("laxa", "claim"),  # Hallsberg's job ad
    ("laxa", "objection"),  # raised in the study, which Laxå is not part of
    ("hallsberg", "objection"),  # the study binds no one: mentioned is not a party
    ("laxa", "proposal"),  # about the network, which binds no one
    ("hallsberg", "proposal"),
    ("laxa", "post"),  # employed by Hallsberg
    ("hallsberg", "staffingcommitment"),  # Hallsberg's own share is not recorded
}  # fmt: skip
ROLES = ["superuser", "registry", "hallsberg", "laxa"]
CASES = [(m, r) for m in AGREEMENT_ADMINS for r in ROLES]


def _change_form(page):
    """The record's change form on an admin page (not the search or logout form)."""
    for form in page.forms.values():
        if "_save" in form.fields:
            return form
    return None


def _first_editable(admin_app, model, user):
    """The first record in the changelist, as `user` sees it, whose page lets them save it.

    Opening every page until one saves took seconds where most rows are another
    municipality's (60 citations for Laxå): the scope picks the row, and the page must agree.
    Where the scope holds nothing, the first row's page must offer no save.
    """
    changelist = admin_app.get(
        reverse(f"admin:agreements_{model._meta.model_name}_changelist"), user=user
    )
    links = changelist.html.select("#result_list tbody th a")
    editable = {str(pk) for pk in scoped(model.objects.all(), user).values_list("pk", flat=True)}
    chosen = next((a for a in links if a["href"].rstrip("/").split("/")[-2] in editable), None)
    page = admin_app.get((chosen or links[0])["href"], user=user)
    form = _change_form(page)
    if chosen is not None:
        assert form is not None, f"{user} may change {page.request.path} but gets no save button"
    return (page, form) if form is not None else (None, None)


def test_every_agreements_admin_has_a_text_field_entry():
    assert {m._meta.model_name for m in AGREEMENT_ADMINS} == set(TEXT_FIELD)


@pytest.mark.parametrize(
    ("model", "role"), CASES, ids=[f"{m._meta.model_name}-{r}" for m, r in CASES]
)
def test_first_record_saves_unchanged_and_with_an_edit(admin_app, personas, model, role):
    user = personas[role]
    page, form = _first_editable(admin_app, model, user)
    if form is None:
        # View-only for this role: the page must say so by offering no save button at all.
        assert (role, model._meta.model_name) in VIEW_ONLY, f"{role} cannot save any {model}"
        return
    assert (role, model._meta.model_name) not in VIEW_ONLY
    obj = page.context["original"]
    before = type(obj).objects.get(pk=obj.pk)

    response = form.submit("_save")
    assert response.status_code == 302, _errors(response)

    field = TEXT_FIELD[model._meta.model_name]
    if field is None:
        return
    page = admin_app.get(page.request.url, user=user)
    form = _change_form(page)
    edited = f"{form[field].value} (ändrad i test)".strip()
    form[field] = edited
    response = form.submit("_save")
    assert response.status_code == 302, _errors(response)
    after = type(obj).objects.get(pk=obj.pk)
    assert getattr(after, field) == edited
    assert getattr(after, "version", 1) > getattr(before, "version", 0)


def _errors(response):
    """The error texts of a refused admin page, for the assertion message."""
    html = response.html
    found = [e.get_text(" ", strip=True) for e in html.select(".errornote, .errorlist")]
    return found or response.text[:2000]
