"""What a staff member trying the admin for the first time ran into, each kept fixed."""

from decimal import Decimal

import pytest
from django.urls import reverse

from agreements.models import (
    Citation,
    Cooperation,
    Municipality,
    SourceDocument,
    StaffingCommitment,
)

from .admin_forms import change_url, refusals, row, save_form

pytestmark = pytest.mark.django_db

STUDY = "utrett-samarbete-askersund-hallsberg"
AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"


def _as_a_browser_posts_it(form):
    """Browsers send a textarea's line breaks as CRLF; webtest sends what the page held."""
    for name, field in form.fields.items():
        if field and getattr(field[0], "tag", "") == "textarea" and field[0].value:
            form[name] = field[0].value.replace("\n", "\r\n")


def test_saving_a_page_unchanged_rewrites_nothing_and_logs_nothing(personas, admin_app):
    study = Cooperation.objects.get(slug=STUDY)
    quotes = {c.pk: c.quote for c in Citation.objects.filter(cooperation=study)}
    assert any("\n" in q for q in quotes.values())  # quotes that span a line break
    history = {c.pk: c.history.count() for c in Citation.objects.filter(cooperation=study)}
    version = study.version
    form = save_form(admin_app.get(change_url(study), user=personas["registry"]))
    _as_a_browser_posts_it(form)
    assert form.submit("_save").status_code == 302
    for citation in Citation.objects.filter(cooperation=study):
        assert citation.quote == quotes[citation.pk]
        assert citation.history.count() == history[citation.pk]
    assert Cooperation.objects.get(pk=study.pk).version == version
    log = admin_app.get(f"/samverkan/{STUDY}/andringar/").text
    assert "Källhänvisning ändrad" not in log


def test_an_edit_of_an_inline_row_leaves_the_record_open_for_others(personas, django_app_factory):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    first, second = (django_app_factory(extra_environ={"wsgi.url_scheme": "https"}) for _ in "12")
    form_first = save_form(first.get(change_url(agreement), user=personas["registry"]))
    form_second = save_form(second.get(change_url(agreement), user=personas["superuser"]))
    laxa = Municipality.objects.get(code="1860")
    form_second[f"parties-{row(form_second, 'parties', municipality=laxa)}-note"] = "Anteckning"
    _as_a_browser_posts_it(form_second)
    assert form_second.submit("_save").status_code == 302
    # The first editor changed the description only: nobody else changed that.
    form_first["description"] = "Ny beskrivning"
    _as_a_browser_posts_it(form_first)
    response = form_first.submit("_save")
    assert response.status_code == 302, refusals(response)
    assert Cooperation.objects.get(pk=agreement.pk).description == "Ny beskrivning"


def test_a_stale_save_names_only_real_changes(personas, django_app_factory):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    first, second = (django_app_factory(extra_environ={"wsgi.url_scheme": "https"}) for _ in "12")
    form_first = save_form(first.get(change_url(agreement), user=personas["registry"]))
    form_second = save_form(second.get(change_url(agreement), user=personas["superuser"]))
    form_second["outcome"] = "Ett utfall"
    assert form_second.submit("_save").status_code == 302
    form_first["description"] = "Min beskrivning"
    response = form_first.submit("_save")
    [stale] = [t for t in refusals(response) if "Någon annan har sparat" in t]
    assert "Utfall: ”–” → ”Ett utfall”" in stale
    assert "Ledde till" not in stale and "None" not in stale


def test_the_text_of_an_uploaded_source_is_corrected_by_a_new_file(personas, admin_app):
    from webtest import Upload

    from . import documents

    registry = personas["registry"]
    form = save_form(admin_app.get(reverse("admin:agreements_sourcedocument_add"), user=registry))
    form["title"] = "Beslut"
    form["slug"] = "beslut"
    form["kind"] = "decision"
    form["original"] = Upload("beslut.pdf", documents.pdf(["Beslutet gäller från 2027."]))
    assert form.submit("_save").status_code == 302
    source = SourceDocument.objects.get(slug="beslut")
    # The text is the file's (staff review, fault 2): shown read-only, replaced with the file.
    form = save_form(admin_app.get(change_url(source), user=registry))
    assert "text" not in form.fields
    form["original"] = Upload("beslut.pdf", documents.pdf(["Beslutet gäller från år 2027."]))
    response = form.submit("_save")
    assert response.status_code == 302, refusals(response)
    assert "från år 2027" in SourceDocument.objects.get(pk=source.pk).text


def test_what_a_saved_commitment_keeps_is_shown_read_only(personas, admin_app):
    superseded = StaffingCommitment.objects.get(financer__code="1814", fte=Decimal("0.30"))
    page = admin_app.get(change_url(superseded), user=personas["registry"])
    for name in ("cooperation", "post", "financer", "fte", "supersedes"):
        assert page.html.select_one(f"[name={name}]").has_attr("disabled"), name
    assert not page.html.select_one("[name=note]").has_attr("disabled")


def test_a_forbidden_page_is_explained_in_swedish(personas, admin_app):
    response = admin_app.get(
        reverse("admin:auth_user_changelist"), user=personas["laxa"], expect_errors=True
    )
    assert response.status_code == 403
    assert "Du har inte behörighet" in response.text
    assert "Forbidden" not in response.text


def test_no_red_cross_deletes_another_record_from_inside_a_form(personas, admin_app):
    page = admin_app.get(change_url(Cooperation.objects.get(slug=AGREEMENT)),
                         user=personas["registry"])  # fmt: skip
    assert not page.html.select("a.delete-related")


def test_a_citation_supports_a_field_chosen_by_its_label(personas, admin_app):
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    page = admin_app.get(change_url(laxa), user=personas["registry"])
    labels = [o.get_text() for o in page.html.select("select[name=citations-0-field_name] option")]
    assert labels[0] == "Hela posten" and "Andel av heltidstjänst" in labels


def test_the_public_sort_order_is_named_in_swedish(client, seed):
    html = client.get("/samverkan/").content.decode()
    assert "Namn, omvänd ordning" in html
    assert "descending" not in html


@pytest.mark.parametrize(
    ("path", "rows"), [("staffingcommitment", "commitments"), ("objection", "objections")]
)
def test_the_cooperation_filter_offers_only_cooperations_with_rows(seed, staff_client, path, rows):
    from agreements.models import Cooperation, Objection

    with_objections = Cooperation.objects.filter(objections__isnull=False).first()
    other = Cooperation.objects.exclude(pk=with_objections.pk).order_by("pk").first()
    # A second cooperation with an objection: a filter of one choice is not shown at all.
    Objection.objects.create(cooperation=other, position=1, argument="För dyrt.")
    response = staff_client.get(f"/admin/agreements/{path}/")
    assert response.status_code == 200
    html = response.content.decode()
    offered = {c for c in Cooperation.objects.all() if f"cooperation__id__exact={c.pk}" in html}
    with_rows = set(Cooperation.objects.filter(**{f"{rows}__isnull": False}).distinct())
    # A choice that leads to an empty list is no help, and at national scale listing all
    # 5,000 cooperations was most of the page's time.
    assert not offered - with_rows
    if len(with_rows) > 1:
        assert offered == with_rows
    assert Cooperation.objects.exclude(pk__in=[c.pk for c in with_rows]).exists()
