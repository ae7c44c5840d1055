"""Staff safety: who may change what, no lost updates, full history, locked-down login."""

from decimal import Decimal

import pytest
from django.urls import reverse

from agreements.models import (
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

from .admin_forms import form_data, inline_prefix
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
    "study": (lambda: Cooperation.objects.get(slug=STUDY), {"hallsberg"}),
    "laxa-commitment": (lambda: StaffingCommitment.objects.get(financer__code="1860"), {"laxa"}),
    "study-party": (
        lambda: Party.objects.get(cooperation__slug=STUDY, municipality__code="1861"),
        {"hallsberg"},
    ),
    "study-objection": (lambda: Objection.objects.get(position=1), {"hallsberg"}),
    "askersund-procurement": (lambda: PlannedProcurement.objects.get(), set()),
    "askersund-buyer": (lambda: ProcurementBuyer.objects.get(), set()),
    "source": (lambda: SourceDocument.objects.get(), set()),
    "laxa-citation": (lambda: Citation.objects.get(key="laxa-0-5"), {"laxa"}),
    "hallsberg-post": (lambda: Post.objects.get(), {"hallsberg"}),
    "hallsberg-claim": (lambda: Claim.objects.get(), {"hallsberg"}),
    "hallsberg-municipality": (lambda: Municipality.objects.get(code="1861"), set()),
}
PERSONAS = ["superuser", "registry", "laxa", "hallsberg", "outsider", "anonymous"]


def change_url(obj):
    return reverse(f"admin:agreements_{obj._meta.model_name}_change", args=[obj.pk])


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
def test_save_change_page(personas, client, record, persona):
    getter, editors = RECORDS[record]
    obj = getter()
    # The form as a superuser sees it: a crafted POST carrying every field.
    data = form_data(login(client, personas["superuser"]).get(change_url(obj)))
    client.logout()
    if persona != "anonymous":
        login(client, personas[persona])
    before = type(obj).objects.get(pk=obj.pk).version
    response = client.post(change_url(obj), data)
    expected = expected_change_status(persona, editors)
    assert response.status_code == expected, response.content[:3000]
    saved = type(obj).objects.get(pk=obj.pk).version > before
    assert saved == (expected == 302 and persona != "anonymous")


@pytest.mark.parametrize("persona", ["laxa", "outsider"])
def test_delete_out_of_scope_record_is_forbidden(personas, client, persona):
    study = Cooperation.objects.get(slug=STUDY)
    login(client, personas[persona])
    url = reverse("admin:agreements_cooperation_delete", args=[study.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Cooperation.objects.filter(slug=STUDY).exists()


def test_delete_in_scope_record_is_allowed(personas, client):
    objection = Objection.objects.get(position=3)
    login(client, personas["hallsberg"])
    url = reverse("admin:agreements_objection_delete", args=[objection.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Objection.objects.filter(pk=objection.pk).exists()


@pytest.mark.parametrize(
    ("persona", "model", "status"),
    [
        ("laxa", "cooperation", 200),
        ("laxa", "staffingcommitment", 200),
        ("laxa", "municipality", 403),
        ("laxa", "county", 403),
        ("outsider", "cooperation", 403),
        ("registry", "municipality", 200),
    ],
)
def test_add_page_permissions(personas, client, persona, model, status):
    login(client, personas[persona])
    assert client.get(reverse(f"admin:agreements_{model}_add")).status_code == status


def test_laxa_editor_cannot_add_commitment_financed_by_hallsberg(personas, client):
    login(client, personas["laxa"])
    before = StaffingCommitment.objects.count()
    response = client.post(
        reverse("admin:agreements_staffingcommitment_add"),
        {
            "cooperation": Cooperation.objects.get(slug=AGREEMENT).pk,
            "post": Post.objects.get().pk,
            "financer": Municipality.objects.get(code="1861").pk,
            "fte": "0,1",
            "seen_version": "0",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "financer" in response.context["adminform"].form.errors
    assert StaffingCommitment.objects.count() == before


def test_laxa_editor_cannot_add_party_to_a_cooperation_laxa_is_not_in(personas, client):
    login(client, personas["laxa"])
    response = client.post(
        reverse("admin:agreements_party_add"),
        {
            "cooperation": Cooperation.objects.get(slug=STUDY).pk,
            "municipality": Municipality.objects.get(code="1860").pk,
            "role": "participant",
            "seen_version": "0",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "cooperation" in response.context["adminform"].form.errors
    assert not Party.objects.filter(cooperation__slug=STUDY, municipality__code="1860").exists()


def test_laxa_editor_cannot_change_lekebergs_commitment_inside_a_shared_cooperation(
    personas, client
):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    login(client, personas["laxa"])
    page = client.get(change_url(agreement))
    data = form_data(page)
    prefix = inline_prefix(page, "staffingcommitment")
    lekeberg_row = next(
        i
        for i in range(int(data[f"{prefix}-TOTAL_FORMS"]))
        if data[f"{prefix}-{i}-financer"] == str(Municipality.objects.get(code="1814").pk)
        and data[f"{prefix}-{i}-fte"] == "0.50"
    )
    data[f"{prefix}-{lekeberg_row}-note"] = "Ändrat av Laxå"
    response = client.post(change_url(agreement), data)
    assert response.status_code == 200
    assert "hör till en annan kommun" in response.content.decode()
    assert not StaffingCommitment.objects.filter(note="Ändrat av Laxå").exists()


def test_editor_cannot_register_a_cooperation_without_their_municipality(personas, client):
    login(client, personas["laxa"])
    page = client.get(reverse("admin:agreements_cooperation_add"))
    data = form_data(page)
    data.update({"name": "Ny samverkan", "slug": "ny-samverkan", "form": "network",
                 "status": "proposed"})  # fmt: skip
    response = client.post(reverse("admin:agreements_cooperation_add"), data)
    assert response.status_code == 200
    assert "Din kommun måste vara part" in response.content.decode()
    assert not Cooperation.objects.filter(slug="ny-samverkan").exists()


def test_history_and_revert_pages_follow_the_same_rules(personas, client):
    study = Cooperation.objects.get(slug=STUDY)
    record = study.history.earliest("history_date")
    login(client, personas["laxa"])
    url = reverse("admin:agreements_cooperation_simple_history", args=[study.pk, record.pk])
    history_list = reverse("admin:agreements_cooperation_history", args=[study.pk])
    assert client.get(history_list).status_code == 200
    assert client.post(url, {"name": "Kapad"}).status_code == 403
    assert Cooperation.objects.get(pk=study.pk).name == study.name


# --- no lost updates -----------------------------------------------------------------------


def test_stale_second_save_is_refused_and_nothing_is_lost(personas, client, django_user_model):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    first, second = client, type(client)()
    login(first, personas["laxa"])
    login(second, personas["hallsberg"])
    data_first = form_data(first.get(change_url(agreement)))
    data_second = form_data(second.get(change_url(agreement)))

    data_second["status"] = "ended"
    assert second.post(change_url(agreement), data_second).status_code == 302

    data_first["description"] = "Laxås nya beskrivning"
    response = first.post(change_url(agreement), data_first)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Någon annan har sparat den här posten" in page
    assert "Status: ”Pågående” → ”Avslutad”" in page
    assert "Laxås nya beskrivning" in page  # still in the form
    agreement.refresh_from_db()
    assert agreement.status == "ended"  # the first save stands
    assert agreement.description != "Laxås nya beskrivning"


def test_stale_inline_row_save_is_refused(personas, client):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    first, second = client, type(client)()
    login(first, personas["registry"])
    login(second, personas["superuser"])
    page_first, page_second = first.get(change_url(agreement)), second.get(change_url(agreement))
    data_first, data_second = form_data(page_first), form_data(page_second)
    prefix = inline_prefix(page_first, "party")
    data_second[f"{prefix}-0-note"] = "Andra redaktörens anteckning"
    assert second.post(change_url(agreement), data_second).status_code == 302
    # The first editor changed only the inline row; the cooperation itself was saved meanwhile.
    data_first[f"{prefix}-0-note"] = "Första redaktörens anteckning"
    response = first.post(change_url(agreement), data_first)
    assert response.status_code == 200
    assert "Någon annan har sparat" in response.content.decode()
    assert Party.objects.filter(note="Andra redaktörens anteckning").exists()
    assert not Party.objects.filter(note="Första redaktörens anteckning").exists()


def test_fresh_form_saves_after_a_reload(personas, client):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    login(client, personas["registry"])
    for text in ["Första", "Andra"]:
        data = form_data(client.get(change_url(agreement)))
        data["description"] = text
        assert client.post(change_url(agreement), data).status_code == 302
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


def test_history_records_who_changed_what_through_the_admin(personas, client):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    login(client, personas["hallsberg"])
    data = form_data(client.get(change_url(agreement)))
    data["status"] = "ended"
    client.post(change_url(agreement), data)
    latest = agreement.history.latest("history_date")
    assert latest.history_user == personas["hallsberg"]
    delta = latest.diff_against(latest.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("status", "active", "ended")]


def test_revert_restores_the_earlier_values(personas, client):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    original = agreement.history.earliest("history_date")
    login(client, personas["registry"])
    data = form_data(client.get(change_url(agreement)))
    data["status"] = "ended"
    data["description"] = "Felaktig ändring"
    assert client.post(change_url(agreement), data).status_code == 302

    url = reverse("admin:agreements_cooperation_simple_history", args=[agreement.pk, original.pk])
    revert = client.get(url)
    assert revert.status_code == 200
    assert client.post(url, form_data(revert)).status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.description) == (original.status, original.description)


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


# --- rules across records ------------------------------------------------------------------


def test_host_must_be_a_party(personas, client):
    study = Cooperation.objects.get(slug=STUDY)
    login(client, personas["registry"])
    data = form_data(client.get(change_url(study)))
    data["host"] = str(Municipality.objects.get(code="1860").pk)
    response = client.post(change_url(study), data)
    assert response.status_code == 200
    assert "måste vara part med rollen värdkommun" in response.content.decode()


def test_joint_procurement_needs_a_lead_among_its_buyers(personas, client):
    procurement = PlannedProcurement.objects.get()
    login(client, personas["registry"])
    page = client.get(change_url(procurement))
    data = form_data(page)
    prefix = inline_prefix(page, "procurementbuyer")
    data[f"{prefix}-0-is_lead"] = ""
    data.pop(f"{prefix}-0-is_lead")
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    data[f"{prefix}-1-municipality"] = str(Municipality.objects.get(code="1861").pk)
    data[f"{prefix}-1-procurement"] = str(procurement.pk)
    data[f"{prefix}-1-seen_version"] = "0"
    response = client.post(change_url(procurement), data)
    assert response.status_code == 200
    assert "exakt en samordnande kommun" in response.content.decode()
    assert procurement.buyers.count() == 1
