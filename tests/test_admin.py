"""Staff keep the data in the admin: every page works, and bad input gets a form error."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import capfirst

from agreements.models import Cooperation, ErrorReport, Municipality, Post, StaffingCommitment

from .conftest import domain_models

pytestmark = pytest.mark.django_db

AGREEMENT_MODELS = [m for m in admin.site._registry if m._meta.app_label == "agreements"]
# Error reports come from the public form: no add page and none in the seed to list or change
# (tests/test_error_reports.py covers their pages).
PAGES = [
    (model, page)
    for model in AGREEMENT_MODELS
    if model is not ErrorReport
    for page in ("changelist", "add", "change")
]


def _url(model, page):
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}"
    if page == "change":
        return reverse(name, args=[model.objects.order_by("pk").first().pk])
    return reverse(name)


def test_every_domain_model_is_in_the_admin():
    from agreements.models import (
        AlertRequest,
        Change,
        EditorProfile,
        FinderLink,
        FinderSide,
        OutboxMessage,
        Subscription,
    )

    # Editor profiles are edited inline on the user. The change feed's log is written by the
    # registry itself and read through the API (/api/v1/changes/), never edited. E-mail alerts'
    # addresses are for sending the alerts only, not for editors to read (operators see the
    # outbox in /healthz). The finder's tables are derived from the records, by the registry.
    alerts = {Subscription, OutboxMessage, AlertRequest}
    derived = {Change, FinderSide, FinderLink}
    assert set(AGREEMENT_MODELS) == set(domain_models()) - {EditorProfile} - derived - alerts


@pytest.mark.parametrize(("model", "page"), PAGES, ids=[f"{m.__name__}-{p}" for m, p in PAGES])
def test_admin_page_answers_staff(seed, staff_client, model, page):
    response = staff_client.get(_url(model, page))
    assert response.status_code == 200
    html = response.content.decode()
    # The model's own page, in Swedish: its name in the breadcrumbs, and its form or its rows.
    assert escape(capfirst(str(model._meta.verbose_name_plural))) in html
    if page == "changelist":
        assert 'id="result_list"' in html
    else:
        assert f'id="{model._meta.model_name}_form"' in html
    if page == "change":
        assert escape(str(model.objects.order_by("pk").first())) in html


@pytest.mark.parametrize(("model", "page"), PAGES, ids=[f"{m.__name__}-{p}" for m, p in PAGES])
def test_admin_page_redirects_anonymous_to_login(seed, client, model, page):
    response = client.get(_url(model, page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_search_with_swedish_characters_finds_the_municipality(seed, staff_client):
    response = staff_client.get(reverse("admin:agreements_municipality_changelist"), {"q": "Laxå"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [Municipality.objects.get(code="1860")]


def test_cooperation_page_shows_current_fte_and_history(seed, staff_client):
    from bs4 import BeautifulSoup

    agreement = Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")
    response = staff_client.get(reverse("admin:agreements_cooperation_change", args=[agreement.pk]))
    html = BeautifulSoup(response.content, "html.parser")
    # 0,5 from Lekeberg + 0,5 from Laxå: one full-time post.
    assert html.select_one(".field-current_fte .readonly").get_text(strip=True) == "1"
    history = [li.get_text(" ", strip=True) for li in html.select(".field-fte_history li")]
    new, old = (
        "Ny upphandlare i Hallsberg som ska arbeta mot Lekeberg och Laxå",
        "Upphandlingstjänst som avtalet med Lekeberg omfattade före utökningen",
    )
    # Oldest first, in the order of the agreement's versions: the 0,3 of the original
    # agreement, then the shares of the new post that came with the extension.
    assert history == [
        f"Lekeberg: 0,3 av ”{old}” (ersatt)",
        f"Laxå: 0,5 av ”{new}” (senast kända)",
        f"Lekeberg: 0,5 av ”{new}” (senast kända)",
    ]


def test_municipality_list_shows_current_financed_fte(seed, staff_client):
    response = staff_client.get(reverse("admin:agreements_municipality_changelist"))
    rows = {m.code: m.current_financed_fte for m in response.context["cl"].result_list}
    assert rows["1814"] == Decimal("0.50") and rows["1882"] == Decimal("0.00")


def _post_commitment(staff_client, fte):
    agreement = Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")
    post = Post.objects.create(
        employer=Municipality.objects.get(code="1861"), slug="extra", name="Extra tjänst"
    )
    return staff_client.post(
        reverse("admin:agreements_staffingcommitment_add"),
        {
            "cooperation": agreement.pk,
            "post": post.pk,
            "financer": Municipality.objects.get(code="1861").pk,
            "fte": fte,
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
            "seen_version": "0",
        },
    )


def test_fte_with_swedish_decimal_comma_is_saved(seed, staff_client):
    response = _post_commitment(staff_client, "0,5")
    assert response.status_code == 302
    assert StaffingCommitment.objects.get(post__slug="extra").fte == Decimal("0.50")


@pytest.mark.parametrize("bad", ["-1", "1e9", "abc", "1,5", "NaN", "0"])
def test_bad_fte_gets_a_form_error_and_saves_nothing(seed, staff_client, bad):
    before = StaffingCommitment.objects.count()
    response = _post_commitment(staff_client, bad)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["fte"]
    assert StaffingCommitment.objects.count() == before
