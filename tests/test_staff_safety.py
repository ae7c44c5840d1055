"""Staff safety: who may change what, no lost updates, full history, locked-down login."""

from decimal import Decimal

import pytest
from django.urls import reverse

from agreements.models import (
    AgreementVersion,
    Citation,
    Claim,
    Cooperation,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    SourceDocument,
    StaffingCommitment,
)

from .admin_forms import TEXT_FIELD, add_url, change_url, pick, refusals, row, save_form
from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"
STUDY = "utrett-samarbete-askersund-hallsberg"


def login(client, user):
    client.force_login(user)
    return client


# Each record, and which municipality editors may change it.
RECORDS = {
    "agreement": (lambda: Cooperation.objects.get(slug=AGREEMENT), {"laxa", "hallsberg"}),
    # The study binds no one: being mentioned in it gives no right to change it.
    "study": (lambda: Cooperation.objects.get(slug=STUDY), set()),
    "laxa-commitment": (lambda: StaffingCommitment.objects.get(financer__code="1860"), {"laxa"}),
    "study-party": (
        lambda: Party.objects.get(cooperation__slug=STUDY, municipality__code="1861"),
        {"hallsberg"},
    ),
    "study-objection": (lambda: Objection.objects.get(position=1), set()),
    "agreement-version": (
        lambda: AgreementVersion.objects.get(cooperation__slug=AGREEMENT, sequence=2),
        {"laxa", "hallsberg"},
    ),
    "askersund-procurement": (lambda: PlannedProcurement.objects.get(), set()),
    "askersund-buyer": (lambda: ProcurementBuyer.objects.get(), set()),
    "source": (lambda: SourceDocument.objects.get(), set()),
    "laxa-citation": (lambda: Citation.objects.get(key="laxa-0-5"), {"laxa"}),
    "hallsberg-post": (lambda: Post.objects.get(slug="upphandlare-lekeberg-laxa"), {"hallsberg"}),
    "hallsberg-claim": (lambda: Claim.objects.get(), {"hallsberg"}),
    "hallsberg-municipality": (lambda: Municipality.objects.get(code="1861"), set()),
}
PERSONAS = ["superuser", "registry", "laxa", "hallsberg", "outsider", "anonymous"]


def expected_change_status(persona, editors):
    if persona == "anonymous":
        return 302
    if persona in ("superuser", "registry") or persona in editors:
        return 302  # saved, redirected to the list
    return 403


MATRIX = [(r, p) for r in RECORDS for p in PERSONAS]


@pytest.mark.parametrize(("record", "persona"), MATRIX, ids=[f"{r}-{p}" for r, p in MATRIX])
def test_view_change_page(personas, client, record, persona):
    obj = RECORDS[record][0]()
    if persona != "anonymous":
        login(client, personas[persona])
    status = client.get(change_url(obj)).status_code
    expected = {"anonymous": 302, "outsider": 403}.get(persona, 200)
    assert status == expected


@pytest.mark.parametrize(("record", "persona"), MATRIX, ids=[f"{r}-{p}" for r, p in MATRIX])
def test_save_change_page(personas, forger, record, persona):
    getter, editors = RECORDS[record]
    obj = getter()
    # Deliberately forged: the form a superuser was shown, with one edit, replayed by another.
    form = save_form(forger.get(change_url(obj), user=personas["superuser"]))
    field = TEXT_FIELD[obj._meta.model_name]
    if field is not None:
        form[field] = f"{form[field].value} (ändrad)"
    fields = form.submit_fields()
    before = type(obj).objects.get(pk=obj.pk).version
    forger.reset()  # forget the superuser's session
    user = None if persona == "anonymous" else personas[persona]
    response = forger.post(change_url(obj), fields, user=user, expect_errors=True)
    expected = expected_change_status(persona, editors)
    assert response.status_code == expected, refusals(response)
    saved = type(obj).objects.get(pk=obj.pk).version > before
    assert saved == (expected == 302 and persona != "anonymous" and field is not None)


@pytest.mark.parametrize("persona", ["laxa", "outsider"])
def test_delete_out_of_scope_record_is_forbidden(personas, forger, persona):
    study = Cooperation.objects.get(slug=STUDY)
    url = reverse("admin:agreements_cooperation_delete", args=[study.pk])
    response = forger.post(url, {"post": "yes"}, user=personas[persona], expect_errors=True)
    assert response.status_code == 403
    assert Cooperation.objects.filter(slug=STUDY).exists()


def test_delete_in_scope_record_is_allowed(personas, admin_app):
    # Hallsberg's own row in the study, which carries no commitment.
    party = Party.objects.get(cooperation__slug=STUDY, municipality__code="1861")
    url = reverse("admin:agreements_party_delete", args=[party.pk])
    page = admin_app.get(url, user=personas["hallsberg"])
    assert page.forms[1].submit().status_code == 302
    assert not Party.objects.filter(pk=party.pk).exists()


@pytest.mark.parametrize(
    ("persona", "model", "status"),
    [
        ("laxa", "cooperation", 200),
        ("laxa", "staffingcommitment", 200),
        ("laxa", "party", 200),
        ("laxa", "municipality", 403),
        ("laxa", "county", 403),
        ("outsider", "cooperation", 403),
        ("registry", "municipality", 200),
    ],
)
def test_add_page_permissions(personas, client, persona, model, status):
    login(client, personas[persona])
    assert client.get(reverse(f"admin:agreements_{model}_add")).status_code == status


def test_laxa_editor_is_offered_only_laxa_as_financer(personas, admin_app):
    page = admin_app.get(add_url("staffingcommitment"), user=personas["laxa"])
    laxa = Municipality.objects.get(code="1860")
    choices = admin_app.get(
        reverse("admin:autocomplete"),
        {"app_label": "agreements", "model_name": "staffingcommitment", "field_name": "financer",
         "term": ""},
        user=personas["laxa"],
    ).json["results"]  # fmt: skip
    assert [c["id"] for c in choices] == [str(laxa.pk)]
    assert "financer" in save_form(page).fields


def test_laxa_editor_cannot_add_commitment_financed_by_hallsberg(personas, admin_app):
    page = admin_app.get(add_url("staffingcommitment"), user=personas["laxa"])
    form = save_form(page)
    pick(form, "cooperation", Cooperation.objects.get(slug=AGREEMENT))
    pick(form, "post", Post.objects.get(slug="upphandlare-lekeberg-laxa"))
    pick(form, "financer", Municipality.objects.get(code="1861"))  # not offered: forged
    form["fte"] = "0,1"
    before = StaffingCommitment.objects.count()
    response = form.submit("_save")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["financer"]
    assert StaffingCommitment.objects.count() == before


def test_laxa_editor_records_laxa_joining_a_cooperation(personas, admin_app):
    network = Cooperation.objects.get(slug="natverk-upphandlare-sydnarke")
    form = save_form(admin_app.get(add_url("party"), user=personas["laxa"]))
    pick(form, "cooperation", network)
    pick(form, "municipality", Municipality.objects.get(code="1860"))
    # The network binds no one: Laxå joins it as far as a non-binding cooperation goes.
    form["level"] = "intent"
    form["role"] = "invited"
    response = form.submit("_save")
    assert response.status_code == 302, refusals(response)
    joined = Party.objects.get(cooperation=network, municipality__code="1860")
    assert (joined.level, joined.role) == ("intent", "invited")


def test_a_refused_join_keeps_the_chosen_cooperation(personas, admin_app):
    network = Cooperation.objects.get(slug="natverk-upphandlare-sydnarke")
    form = save_form(admin_app.get(add_url("party"), user=personas["laxa"]))
    pick(form, "cooperation", network)
    pick(form, "municipality", Municipality.objects.get(code="1860"))
    response = form.submit("_save")  # no role chosen
    assert response.status_code == 200
    again = save_form(response)
    assert again["cooperation"].value == str(network.pk)
    assert again["municipality"].value == str(Municipality.objects.get(code="1860").pk)


def test_laxa_editor_cannot_record_another_municipality_joining(personas, admin_app):
    network = Cooperation.objects.get(slug="natverk-upphandlare-sydnarke")
    form = save_form(admin_app.get(add_url("party"), user=personas["laxa"]))
    # Only Laxå is offered; another municipality can only be forged in.
    offered = admin_app.get(
        reverse("admin:autocomplete"),
        {"app_label": "agreements", "model_name": "party", "field_name": "municipality"},
        user=personas["laxa"],
    ).json["results"]
    assert [o["text"] for o in offered] == ["Laxå"]
    pick(form, "cooperation", network)
    pick(form, "municipality", Municipality.objects.get(code="1861"))
    form["role"] = "participant"
    response = form.submit("_save")
    assert response.status_code == 200
    assert refusals(response)
    assert not Party.objects.filter(cooperation=network, municipality__code="1861").exists()


def test_laxa_editor_sees_lekebergs_commitment_read_only_and_cannot_change_it(personas, forger):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    page = forger.get(change_url(agreement), user=personas["laxa"])
    form = save_form(page)
    lekeberg = StaffingCommitment.objects.current().get(financer__code="1814")
    i = row(form, "commitments", id=lekeberg)
    for name in ("fte", "end_date", "DELETE"):
        assert page.html.select_one(f"[name=commitments-{i}-{name}]").has_attr("disabled")
    # Forged anyway: the row keeps what it held.
    fields = [*form.submit_fields(), (f"commitments-{i}-end_date", "2020-01-01")]
    forger.post(change_url(agreement), fields, user=personas["laxa"])
    assert StaffingCommitment.objects.get(pk=lekeberg.pk).end_date is None


def test_laxa_editor_cannot_change_hallsbergs_party_row(personas, forger):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    page = forger.get(change_url(agreement), user=personas["laxa"])
    form = save_form(page)
    i = row(form, "parties", municipality=Municipality.objects.get(code="1861"))
    assert page.html.select_one(f"[name=parties-{i}-role]").has_attr("disabled")
    fields = [*form.submit_fields(), (f"parties-{i}-role", "observer")]
    forger.post(change_url(agreement), fields, user=personas["laxa"])
    assert Party.objects.get(cooperation=agreement, municipality__code="1861").role == "host"


def test_editor_cannot_register_a_cooperation_without_their_municipality(personas, admin_app):
    form = save_form(admin_app.get(add_url("cooperation"), user=personas["laxa"]))
    form["name"] = "Ny samverkan"
    form["slug"] = "ny-samverkan"
    form["form"] = "network"
    form["status"] = "proposed"
    response = form.submit("_save")
    assert response.status_code == 200
    assert any("Din kommun måste vara part" in text for text in refusals(response))
    assert not Cooperation.objects.filter(slug="ny-samverkan").exists()


def test_history_and_revert_pages_follow_the_same_rules(personas, admin_app):
    study = Cooperation.objects.get(slug=STUDY)
    record = study.history.earliest("history_date")
    url = reverse("admin:agreements_cooperation_simple_history", args=[study.pk, record.pk])
    history_list = reverse("admin:agreements_cooperation_history", args=[study.pk])
    assert admin_app.get(history_list, user=personas["laxa"]).status_code == 200
    form = save_form(admin_app.get(url, user=personas["registry"]))
    form["name"] = "Kapad"
    # The revert page as a registry editor sees it, submitted by Laxå (not a party).
    fields = form.submit_fields()
    response = admin_app.get(url, user=personas["laxa"])
    csrf = save_form(response) or response.forms[0]
    fields = [(k, v) for k, v in fields if k != "csrfmiddlewaretoken"]
    fields.append(("csrfmiddlewaretoken", csrf["csrfmiddlewaretoken"].value))
    post = admin_app.post(url, fields, user=personas["laxa"], expect_errors=True)
    assert post.status_code == 403
    assert Cooperation.objects.get(pk=study.pk).name == study.name


# --- no lost updates -----------------------------------------------------------------------


@pytest.fixture
def two_browsers(django_app_factory):
    """Two editors' browsers, each with its own session."""
    return [django_app_factory(extra_environ={"wsgi.url_scheme": "https"}) for _ in "12"]


def _both_open(two_browsers, first_user, second_user):
    """The agreement's form as two editors opened it, each in their own browser."""
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    first, second = two_browsers
    return (
        agreement,
        save_form(first.get(change_url(agreement), user=first_user)),
        save_form(second.get(change_url(agreement), user=second_user)),
    )


def test_stale_second_save_is_refused_and_nothing_is_lost(personas, two_browsers):
    agreement, form_first, form_second = _both_open(
        two_browsers, personas["laxa"], personas["hallsberg"]
    )

    form_second["status"] = "ended"
    assert form_second.submit("_save").status_code == 302

    form_first["description"] = "Laxås nya beskrivning"
    response = form_first.submit("_save")
    page = response.text
    assert response.status_code == 200
    assert "Någon annan har sparat den här posten" in page
    assert "Status: ”Verksam” → ”Avslutad”" in page
    assert response.forms["cooperation_form"]["description"].value == "Laxås nya beskrivning"
    agreement.refresh_from_db()
    assert agreement.status == "ended"  # the first save stands
    assert agreement.description != "Laxås nya beskrivning"


def test_a_stale_form_shows_the_others_change_and_saves_both_when_sent_again(
    personas, two_browsers
):
    # Refused once, the form used to be refused again on every save from that tab, and
    # saving it after a reload meant typing one's changes again.
    agreement, form_first, form_second = _both_open(
        two_browsers, personas["laxa"], personas["hallsberg"]
    )
    form_second["status"] = "ended"
    assert form_second.submit("_save").status_code == 302

    form_first["description"] = "Laxås nya beskrivning"
    refused = form_first.submit("_save")
    assert refused.status_code == 200
    [said] = [t for t in refusals(refused) if "Någon annan har sparat" in t]
    assert "Status: ”Verksam” → ”Avslutad” (står nu i formuläret)" in said
    # Not "Var god rätta felet nedan": the editor made no mistake.
    assert refusals(refused)[0] == "Inget sparades. Se nedan varför."
    merged = save_form(refused)
    assert merged["status"].value == "ended"
    assert merged["description"].value == "Laxås nya beskrivning"
    assert merged.submit("_save").status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.description) == ("ended", "Laxås nya beskrivning")


def test_a_field_both_editors_changed_keeps_mine_and_names_theirs(personas, two_browsers):
    agreement, form_first, form_second = _both_open(
        two_browsers, personas["laxa"], personas["hallsberg"]
    )
    form_second["description"] = "Hallsbergs beskrivning"
    assert form_second.submit("_save").status_code == 302

    form_first["description"] = "Laxås beskrivning"
    refused = form_first.submit("_save")
    [said] = [t for t in refusals(refused) if "Någon annan har sparat" in t]
    assert "→ ”Hallsbergs beskrivning”. Du ändrade också fältet" in said
    merged = save_form(refused)
    assert merged["description"].value == "Laxås beskrivning"
    assert merged.submit("_save").status_code == 302
    agreement.refresh_from_db()
    assert agreement.description == "Laxås beskrivning"
    # The other's text is not lost: it is in the history.
    assert agreement.history.filter(description="Hallsbergs beskrivning").exists()


def _citation_rows(form):
    return {form[n].value: n.removesuffix("-key") for n in form.fields if n.startswith(
        "citations-") and n.endswith("-key") and "__prefix__" not in n}  # fmt: skip


def test_a_row_someone_deleted_meanwhile_does_not_block_the_save(personas, two_browsers):
    # Django refuses such a row with an error on its hidden id, shown nowhere: the editor got
    # "Var god rätta felen nedan" and nothing to correct, on every save.
    _, form_first, form_second = _both_open(
        two_browsers, personas["registry"], personas["superuser"]
    )
    gone, kept = sorted(_citation_rows(form_second))[:2]
    form_second[_citation_rows(form_second)[gone] + "-DELETE"] = True
    assert form_second.submit("_save").status_code == 302

    form_first[_citation_rows(form_first)[kept] + "-note"] = "Kontrollerad i dag."
    assert form_first.submit("_save").status_code == 302
    assert Citation.objects.get(key=kept).note == "Kontrollerad i dag."
    assert not Citation.objects.filter(key=gone).exists()


def test_a_row_i_edited_that_someone_deleted_is_named_and_my_text_kept(personas, two_browsers):
    _, form_first, form_second = _both_open(
        two_browsers, personas["registry"], personas["superuser"]
    )
    gone = sorted(_citation_rows(form_second))[0]
    form_second[_citation_rows(form_second)[gone] + "-DELETE"] = True
    assert form_second.submit("_save").status_code == 302

    row = _citation_rows(form_first)[gone]
    form_first[row + "-note"] = "Min anteckning"
    response = form_first.submit("_save")
    assert response.status_code == 200
    assert any("Någon annan har tagit bort den här raden" in t for t in refusals(response))
    again = save_form(response)
    assert again[row + "-note"].value == "Min anteckning"
    assert not Citation.objects.filter(key=gone).exists()
    # The row has the box the message names (it had none: without JavaScript, no way out).
    again[row + "-DELETE"] = True
    assert again.submit("_save").status_code == 302
    assert not Citation.objects.filter(key=gone).exists()


def test_deleting_a_row_someone_changed_meanwhile_keeps_it_and_shows_their_change(
    personas, two_browsers
):
    # The staff reviewer: the registry editor's old page deleted the citation Hallsberg's
    # editor had just given an interpretation, and said only "Ändrade samverkan".
    _, form_first, form_second = _both_open(
        two_browsers, personas["registry"], personas["superuser"]
    )
    key = sorted(_citation_rows(form_second))[0]
    form_second[_citation_rows(form_second)[key] + "-interpretation"] = "Den andras tolkning"
    assert form_second.submit("_save").status_code == 302

    row = _citation_rows(form_first)[key]
    form_first[row + "-DELETE"] = True
    response = form_first.submit("_save")
    assert response.status_code == 200
    assert any("Raden togs inte bort" in t for t in refusals(response))
    assert Citation.objects.get(key=key).interpretation == "Den andras tolkning"
    again = save_form(response)
    assert again[row + "-interpretation"].value == "Den andras tolkning"
    assert not again[row + "-DELETE"].checked
    # Seen, and deleted on purpose.
    again[row + "-DELETE"] = True
    assert again.submit("_save").status_code == 302
    assert not Citation.objects.filter(key=key).exists()


def test_stale_inline_row_save_is_refused(personas, two_browsers):
    _, form_first, form_second = _both_open(
        two_browsers, personas["registry"], personas["superuser"]
    )
    form_second["parties-0-note"] = "Andra redaktörens anteckning"
    assert form_second.submit("_save").status_code == 302
    # The first editor changed only the inline row; the cooperation itself was saved meanwhile.
    form_first["parties-0-note"] = "Första redaktörens anteckning"
    response = form_first.submit("_save")
    assert response.status_code == 200
    assert "Någon annan har sparat" in response.text
    assert Party.objects.filter(note="Andra redaktörens anteckning").exists()
    assert not Party.objects.filter(note="Första redaktörens anteckning").exists()


def test_fresh_form_saves_after_a_reload(personas, admin_app):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    for text in ["Första", "Andra"]:
        form = save_form(admin_app.get(change_url(agreement), user=personas["registry"]))
        form["description"] = text
        assert form.submit("_save").status_code == 302
    agreement.refresh_from_db()
    assert agreement.description == "Andra"


# --- history -------------------------------------------------------------------------------


def _lifecycle(model, create, change):
    obj = create()
    change(obj)
    obj.save()
    pk = obj.pk
    obj.delete()
    return [h.history_type for h in model.history.filter(id=pk).order_by("history_date")]


HISTORY_CASES = {
    "cooperation": (
        Cooperation,
        lambda: Cooperation.objects.create(name="H", slug="h", form="network", status="proposed"),
        lambda o: setattr(o, "status", "active"),
    ),
    "party": (
        Party,
        lambda: Party.objects.create(
            cooperation=Cooperation.objects.get(slug=STUDY),
            municipality=Municipality.objects.get(code="1860"),
            role="invited",
        ),
        lambda o: setattr(o, "role", "observer"),
    ),
    "commitment": (
        StaffingCommitment,
        lambda: StaffingCommitment.objects.create(
            cooperation=Cooperation.objects.get(slug=AGREEMENT),
            post=Post.objects.create(employer=Municipality.objects.get(code="1861"), slug="x",
                                     name="X"),
            financer=Municipality.objects.get(code="1861"),
            fte=Decimal("0.2"),
            sequence=1,
        ),
        lambda o: setattr(o, "note", "ändrad"),
    ),
    "procurement": (
        PlannedProcurement,
        lambda: PlannedProcurement.objects.create(title="P", slug="p", status="idea"),
        lambda o: setattr(o, "status", "planned"),
    ),
    "source": (
        SourceDocument,
        lambda: SourceDocument.objects.create(slug="s", title="S", kind="other"),
        lambda o: setattr(o, "title", "S2"),
    ),
    "citation": (
        Citation,
        lambda: Citation.objects.create(
            source=SourceDocument.objects.get(), key="ny", quote="Även jag reagerade",
            municipality=Municipality.objects.get(code="1882"),
        ),
        lambda o: setattr(o, "note", "ändrad"),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", HISTORY_CASES)
def test_history_records_create_change_and_delete(seed, case):
    model, create, change = HISTORY_CASES[case]
    assert _lifecycle(model, create, change) == ["+", "~", "-"]


def test_history_records_who_changed_what_through_the_admin(personas, admin_app):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    form = save_form(admin_app.get(change_url(agreement), user=personas["hallsberg"]))
    form["status"] = "ended"
    assert form.submit("_save").status_code == 302
    latest = agreement.history.latest("history_date")
    assert latest.history_user == personas["hallsberg"]
    delta = latest.diff_against(latest.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("status", "active", "ended")]


def test_revert_restores_the_earlier_values(personas, admin_app):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    original = agreement.history.earliest("history_date")
    registry = personas["registry"]
    form = save_form(admin_app.get(change_url(agreement), user=registry))
    form["status"] = "ended"
    form["description"] = "Felaktig ändring"
    assert form.submit("_save").status_code == 302

    url = reverse("admin:agreements_cooperation_simple_history", args=[agreement.pk, original.pk])
    revert = admin_app.get(url, user=registry)
    assert revert.status_code == 200
    done = save_form(revert).submit("_save")
    assert done.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.description) == (original.status, original.description)
    # The staff reviewer: it said "Ändrade samverkan …" and went back to the list.
    page = done.follow()
    assert page.request.path == change_url(agreement)
    message = " ".join(page.html.select_one(".messagelist").get_text().split())
    assert message.startswith(f"Återställde samverkan ”{agreement.name}” till versionen från ")


# --- login ---------------------------------------------------------------------------------


def test_login_locks_after_repeated_failures(personas, client, settings):
    url = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "laxa", "password": "fel"}, REMOTE_ADDR="10.0.0.1")
    locked = client.post(url, {"username": "laxa", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert locked.status_code == 429
    assert "spärrad" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_correct_login_works_before_the_limit(personas, client):
    response = client.post(
        reverse("admin:login"), {"username": "laxa", "password": PASSWORD,
                                 "next": reverse("admin:index")},
        REMOTE_ADDR="10.0.0.2",
    )  # fmt: skip
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(personas["laxa"].pk)


def test_short_passwords_are_refused(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("kort123")


def test_staff_sessions_expire(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
