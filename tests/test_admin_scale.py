"""Admin pages stay the same size however large the rest of the registry grows.

At national scale (5,000 cooperations, 4,500 commitments) the agreement's change page listed
every commitment in the country in each row's "ersätter" select, naming each with two queries,
and every cooperation in its "ledde till" picker: 34,000 queries, 2.3 MB and 49 s, past the
server's 30 s timeout, so staff could not open it. Here the registry grows by cooperations
that have nothing to do with the page, and the page must not notice.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import (
    Cooperation,
    Municipality,
    Objection,
    Party,
    Post,
    StaffingCommitment,
)

from .admin_forms import add_url, change_url, save_form

pytestmark = pytest.mark.django_db

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"


def _unrelated_cooperations(n):
    """`n` cooperations elsewhere, each with a post, a commitment and an objection."""
    askersund = Municipality.objects.get(code="1882")
    for i in range(n):
        other = Cooperation.objects.create(
            name=f"Annan samverkan {i:03d}",
            slug=f"annan-samverkan-{i:03d}",
            form="agreement",
            legally_binding=True,
            status="active",
        )
        Party.objects.create(
            cooperation=other, municipality=askersund, level="agreement", role="participant"
        )
        post = Post.objects.create(employer=askersund, slug=f"annan-tjanst-{i:03d}", name=f"T{i}")
        StaffingCommitment.objects.create(
            cooperation=other, post=post, financer=askersund, fte=Decimal("0.1")
        )
        Objection.objects.create(cooperation=other, position=1, argument=f"Invändning {i}")


def _open(admin_app, url, user):
    with CaptureQueriesContext(connection) as ctx:
        page = admin_app.get(url, user=user)
    return page, len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        lambda: change_url(Cooperation.objects.get(slug=AGREEMENT)),
        lambda: add_url("cooperation"),
        lambda: add_url("objection"),
        lambda: change_url(Objection.objects.order_by("pk").first()),
        lambda: add_url("citation"),
    ],
    ids=[
        "agreement-change",
        "cooperation-add",
        "objection-add",
        "objection-change",
        "citation-add",
    ],
)
def test_an_admin_page_does_not_grow_with_cooperations_it_does_not_show(personas, admin_app, url):
    user = personas["registry"]
    address = url()
    admin_app.get(address, user=user)  # the session, permissions and content types, cached
    before, queries_before = _open(admin_app, address, user)
    _unrelated_cooperations(40)
    after, queries_after = _open(admin_app, address, user)
    assert queries_after == queries_before
    # The page names none of them: not in a select, not anywhere.
    assert "Annan samverkan" not in after.text
    assert abs(len(after.text) - len(before.text)) < 500


def test_the_agreement_page_offers_to_supersede_only_its_own_commitments(personas, admin_app):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    _unrelated_cooperations(3)
    form = save_form(admin_app.get(change_url(agreement), user=personas["registry"]))
    name = next(n for n in form.fields if n.endswith("-supersedes"))
    offered = {value for value, _selected, _label in form[name].options if value}
    own = {str(pk) for pk in agreement.commitments.values_list("pk", flat=True)}
    assert offered == own


def test_what_a_study_led_to_is_found_by_searching_as_staff_type(personas, admin_app):
    study = Cooperation.objects.get(slug="utrett-samarbete-askersund-hallsberg")
    page = admin_app.get(change_url(study), user=personas["registry"])
    picker = page.html.select_one("select[name=led_to]")
    found = admin_app.get(
        picker["data-ajax--url"],
        {
            "term": "Sydnärke",
            "app_label": "agreements",
            "model_name": "cooperation",
            "field_name": "led_to",
        },
        user=personas["registry"],
    ).json["results"]
    assert "Nätverket mellan upphandlarna i Sydnärke" in [r["text"] for r in found]
