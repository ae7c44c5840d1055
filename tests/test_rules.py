"""Rules across records hold on every write path: inline, standalone admin, revert, command.

Each test here reproduces a bypass that was found by probing; each failed before the rules
moved out of the inline formsets into agreements/rules.py.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from agreements.models import (
    Cooperation,
    Municipality,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    StaffingCommitment,
)

from .admin_forms import add_url, blank_row, change_url, pick, refusals, row, save_form
from .concurrency import postgresql_only, race

pytestmark = pytest.mark.django_db

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"


def _muni(code):
    return Municipality.objects.get(code=code)


def _agreement():
    return Cooperation.objects.get(slug=AGREEMENT)


# --- the host -------------------------------------------------------------------------------


def test_turning_the_host_party_into_an_observer_is_refused_while_a_host_is_stated(
    personas, admin_app
):
    party = Party.objects.get(cooperation__slug=AGREEMENT, municipality__code="1861")
    form = save_form(admin_app.get(change_url(party), user=personas["hallsberg"]))
    form["role"] = "observer"
    response = form.submit("_save")
    assert response.status_code == 200
    # Who hosts is the registry's to record (agreements/roles.py) ...
    assert any("Bara en registerredaktör" in t for t in refusals(response))
    # ... and a registry editor too is held to the host the cooperation states (rules.py).
    form = save_form(admin_app.get(change_url(party), user=personas["registry"]))
    form["role"] = "observer"
    response = form.submit("_save")
    assert response.status_code == 200
    assert any("har en värdkommun: ge den parten rollen värdkommun" in t
               for t in refusals(response))  # fmt: skip
    assert _agreement().host == _muni("1861")


def test_the_host_follows_the_party_roles_in_the_cooperation_form(personas, admin_app):
    form = save_form(admin_app.get(change_url(_agreement()), user=personas["registry"]))
    form["has_host"] = "unknown"
    form[f"parties-{row(form, 'parties', municipality=_muni('1861'))}-role"] = "participant"
    assert form.submit("_save").status_code == 302, "no host stated, none recorded"
    assert (_agreement().host, _agreement().has_host) == (None, None)
    page = admin_app.get(_agreement().get_absolute_url()).text
    assert "Värdkommun</dt><dd>Okänt – källan säger inget" in page

    form = save_form(admin_app.get(change_url(_agreement()), user=personas["registry"]))
    form[f"parties-{row(form, 'parties', municipality=_muni('1814'))}-role"] = "host"
    assert form.submit("_save").status_code == 302
    # The cooperation's host is the party with the host role, whichever form changed it.
    assert (_agreement().host, _agreement().has_host) == (_muni("1814"), True)


# --- parties and the commitments they carry ------------------------------------------------


def test_party_with_a_current_commitment_cannot_be_deleted(personas, admin_app):
    party = Party.objects.get(cooperation__slug=AGREEMENT, municipality__code="1860")
    url = reverse("admin:agreements_party_delete", args=[party.pk])
    # Said before the editor is asked to confirm: back to the party, with the reason.
    response = admin_app.get(url, user=personas["laxa"]).follow()
    assert response.request.path == change_url(party)
    assert any(
        "Laxå finansierar 0,5" in text and "måste därför vara part" in text
        for text in refusals(response)
    )
    assert Party.objects.filter(pk=party.pk).exists()


def test_party_with_a_current_commitment_cannot_be_deleted_in_the_inline(personas, admin_app):
    form = save_form(admin_app.get(change_url(_agreement()), user=personas["registry"]))
    form[f"parties-{row(form, 'parties', municipality=_muni('1814'))}-DELETE"] = True
    response = form.submit("_save")
    assert response.status_code == 200
    assert any("Lekeberg finansierar 0,5" in text for text in refusals(response))
    assert Party.objects.filter(cooperation__slug=AGREEMENT, municipality__code="1814").exists()


def test_a_commitment_ending_today_still_holds_and_the_refusal_says_which_day_to_enter(
    personas, admin_app
):
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    form = save_form(admin_app.get(change_url(laxa), user=personas["laxa"]))
    today = timezone.localdate()
    form["end_date"] = today.isoformat()
    assert form.submit("_save").status_code == 302
    party = Party.objects.get(cooperation__slug=AGREEMENT, municipality__code="1860")
    response = admin_app.get(reverse("admin:agreements_party_delete", args=[party.pk])).follow()
    yesterday = (today - timedelta(days=1)).isoformat()
    assert any(f"”gäller till” senast {yesterday}" in text for text in refusals(response))
    assert Party.objects.filter(pk=party.pk).exists()


def test_a_party_can_leave_once_its_commitment_has_ended(personas, admin_app):
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    form = save_form(admin_app.get(change_url(laxa), user=personas["laxa"]))
    form["end_date"] = "2020-12-31"
    assert form.submit("_save").status_code == 302
    party = Party.objects.get(cooperation__slug=AGREEMENT, municipality__code="1860")
    confirm = admin_app.get(reverse("admin:agreements_party_delete", args=[party.pk]))
    assert confirm.forms[1].submit().status_code == 302
    assert not Party.objects.filter(pk=party.pk).exists()


# --- joint procurements ---------------------------------------------------------------------


def test_buyer_admin_cannot_leave_a_joint_procurement_without_a_lead(personas, admin_app):
    procurement = PlannedProcurement.objects.get()
    registry = personas["registry"]
    form = save_form(admin_app.get(add_url("procurementbuyer"), user=registry))
    pick(form, "procurement", procurement)
    pick(form, "municipality", _muni("1861"))
    form["is_lead"] = True
    assert form.submit("_save").status_code == 302  # two buyers, Hallsberg leads: fine

    hallsberg = ProcurementBuyer.objects.get(municipality__code="1861")
    form = save_form(admin_app.get(change_url(hallsberg), user=registry))
    form["is_lead"] = False
    response = form.submit("_save")
    assert response.status_code == 200
    assert any("exakt en samordnande kommun" in text for text in refusals(response))
    assert ProcurementBuyer.objects.get(pk=hallsberg.pk).is_lead
    release = admin_app.get("/api/v1/ocds/releases/").json["releases"][0]
    assert release["tender"]["procuringEntity"]["name"] == "Hallsberg"


def test_joint_procurement_needs_a_lead_in_the_procurement_form(personas, admin_app):
    procurement = PlannedProcurement.objects.get()
    form = save_form(admin_app.get(change_url(procurement), user=personas["registry"]))
    form["buyers-0-is_lead"] = False
    pick(form, f"buyers-{blank_row(form, 'buyers')}-municipality", _muni("1861"))
    response = form.submit("_save")
    assert response.status_code == 200
    assert any("exakt en samordnande kommun" in text for text in refusals(response))
    assert procurement.buyers.count() == 1


# --- the full-time cap ----------------------------------------------------------------------


def test_fte_cap_counts_a_commitment_that_has_an_end_date(personas, admin_app):
    form = save_form(admin_app.get(add_url("staffingcommitment"), user=personas["registry"]))
    pick(form, "cooperation", _agreement())
    pick(form, "post", Post.objects.get(slug="upphandlare-lekeberg-laxa"))
    pick(form, "financer", _muni("1861"))
    form["fte"] = "0,4"
    form["end_date"] = "2030-12-31"
    response = form.submit("_save")
    assert response.status_code == 200
    [message] = [t for t in refusals(response) if "rymmer högst 1,0" in t]
    assert "sammanlagt 1,4 heltidstjänst" in message
    assert "tar redan upp 1,0, så det som återstår att finansiera är 0,0." in message
    assert "ny tjänst" in message and "”gäller till”" in message
    # Nothing saved, nothing typed lost.
    assert not StaffingCommitment.objects.filter(financer__code="1861").exists()
    assert response.forms["staffingcommitment_form"]["fte"].value == "0,4"


def test_a_share_that_starts_after_another_ends_fits_the_same_post(personas, admin_app):
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    form = save_form(admin_app.get(change_url(laxa), user=personas["registry"]))
    form["end_date"] = "2026-12-31"
    assert form.submit("_save").status_code == 302
    form = save_form(admin_app.get(add_url("staffingcommitment")))
    pick(form, "cooperation", _agreement())
    pick(form, "post", Post.objects.get(slug="upphandlare-lekeberg-laxa"))
    pick(form, "financer", _muni("1861"))
    form["fte"] = "0,5"
    form["start_date"] = "2027-01-01"
    assert form.submit("_save").status_code == 302, "periods that do not overlap both fit"


def test_revert_cannot_break_the_fte_cap(personas, admin_app):
    registry = personas["registry"]
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    original = laxa.history.earliest("history_date")
    form = save_form(admin_app.get(change_url(laxa), user=registry))
    form["fte"] = "0,3"
    assert form.submit("_save").status_code == 302
    form = save_form(admin_app.get(add_url("staffingcommitment"), user=registry))
    pick(form, "cooperation", _agreement())
    pick(form, "post", Post.objects.get(slug="upphandlare-lekeberg-laxa"))
    pick(form, "financer", _muni("1861"))
    form["fte"] = "0,2"
    assert form.submit("_save").status_code == 302  # 0,5 + 0,3 + 0,2 = 1,0

    url = reverse("admin:agreements_staffingcommitment_simple_history", args=[laxa.pk, original.pk])
    response = save_form(admin_app.get(url, user=registry)).submit("_save")
    assert response.status_code == 200
    assert any("sammanlagt 1,2 heltidstjänst" in text for text in refusals(response))
    assert StaffingCommitment.objects.get(pk=laxa.pk).fte == Decimal("0.30")


def test_a_fixture_that_breaks_a_rule_loads_nothing(seed, tmp_path):
    fixture = tmp_path / "extra.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "agreements.staffingcommitment",
                    "fields": {
                        "cooperation": [AGREEMENT],
                        "post": ["1861", "upphandlare-lekeberg-laxa"],
                        "financer": ["1861"],
                        "fte": "0.60",
                        "sequence": 1,
                    },
                }
            ]
        )
    )
    with pytest.raises(CommandError, match="rymmer högst 1,0"):
        call_command("loaddata", str(fixture), verbosity=0)
    assert not StaffingCommitment.objects.filter(financer__code="1861").exists()


# --- the commitment inline ------------------------------------------------------------------


@pytest.mark.parametrize("other", ["1861", "1814"], ids=["to-hallsberg", "to-lekeberg"])
def test_laxa_editor_cannot_move_its_commitment_to_another_financer(personas, forger, other):
    # The page shows who finances a saved commitment read-only; a forged request that changes
    # it anyway is refused with a reason, never a 500.
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    page = forger.get(change_url(_agreement()), user=personas["laxa"])
    form = save_form(page)
    i = row(form, "commitments", id=laxa)
    assert page.html.select_one(f"[name=commitments-{i}-financer]").has_attr("disabled")
    fields = [
        (name, str(_muni(other).pk) if name == f"commitments-{i}-financer" else value)
        for name, value in form.submit_fields()
    ]
    fields.append((f"commitments-{i}-financer", str(_muni(other).pk)))
    response = forger.post(change_url(_agreement()), fields, user=personas["laxa"])
    assert response.status_code in (200, 302)
    assert StaffingCommitment.objects.get(pk=laxa.pk).financer.code == "1860"


def test_moving_a_saved_commitment_is_refused_in_words(seed):
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    laxa.financer = _muni("1814")
    with pytest.raises(ValidationError, match="kan inte flyttas till en annan kommun"):
        laxa.full_clean()


def test_laxa_editor_edits_laxas_commitment_in_the_inline(personas, admin_app):
    form = save_form(admin_app.get(change_url(_agreement()), user=personas["laxa"]))
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    form[f"commitments-{row(form, 'commitments', id=laxa)}-end_date"] = "2030-12-31"
    assert form.submit("_save").status_code == 302
    assert StaffingCommitment.objects.get(pk=laxa.pk).end_date.isoformat() == "2030-12-31"


# --- concurrency: two editors at the same moment, on PostgreSQL ----------------------------


def _commitment_save(post, financer, fte):
    def save(validated):
        commitment = StaffingCommitment(
            cooperation=_agreement(), post=post, financer=financer, fte=Decimal(fte)
        )
        commitment.full_clean()  # what the form does
        validated.wait()
        commitment.save()

    return save


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_editors_cannot_finance_one_post_above_full_time(seed):
    post = Post.objects.create(employer=_muni("1861"), slug="ny", name="Ny tjänst")
    outcomes = race(
        _commitment_save(post, _muni("1814"), "0.60"),
        _commitment_save(post, _muni("1860"), "0.60"),
    )
    assert sorted(map(str, outcomes.values()))[-1] == "saved"
    refused = [o for o in outcomes.values() if o != "saved"]
    assert len(refused) == 1 and "rymmer högst 1,0" in refused[0][0], outcomes
    assert sum(StaffingCommitment.objects.filter(post=post).values_list("fte", flat=True)) == (
        Decimal("0.60")
    )


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_editors_cannot_start_two_current_shares_in_one_chain(seed):
    post = Post.objects.create(employer=_muni("1861"), slug="ny", name="Ny tjänst")
    outcomes = race(
        _commitment_save(post, _muni("1814"), "0.20"),
        _commitment_save(post, _muni("1814"), "0.30"),
    )
    refused = [o for o in outcomes.values() if o != "saved"]
    assert len(refused) == 1 and "redan ett gällande åtagande" in refused[0][0], outcomes
    assert StaffingCommitment.objects.current().filter(post=post).count() == 1


# --- joining later --------------------------------------------------------------------------


def test_a_party_from_2027_finances_from_2027_and_not_before(personas, admin_app):
    form = save_form(admin_app.get(change_url(_agreement()), user=personas["registry"]))
    blank = blank_row(form, "parties")
    pick(form, f"parties-{blank}-municipality", _muni("1882"))
    form[f"parties-{blank}-level"] = "decision"
    form[f"parties-{blank}-role"] = "participant"
    form[f"parties-{blank}-start_date"] = "2027-01-01"
    post = Post.objects.create(employer=_muni("1861"), slug="ny-2027", name="Ny tjänst 2027")
    blank = blank_row(form, "commitments")
    pick(form, f"commitments-{blank}-post", post)
    pick(form, f"commitments-{blank}-financer", _muni("1882"))
    form[f"commitments-{blank}-fte"] = "0,2"
    response = form.submit("_save")
    assert response.status_code == 200
    [message] = [t for t in refusals(response) if "inom tiden som part" in t]
    assert message.startswith("Askersund är part från 2027-01-01")

    form = save_form(response)
    form[f"commitments-{blank}-start_date"] = "2027-01-01"
    assert form.submit("_save").status_code == 302, refusals(response)
    page = admin_app.get(_agreement().get_absolute_url())
    row_text = page.html.select_one("#part-askersund").get_text(" ", strip=True)
    assert "Beslut fattat" in row_text and "från 2027-01-01" in row_text
    assert "Deltagare" in row_text
    assert "(Källa saknas)" in row_text, "no source cited yet, and the page says so"
    assert "gäller från 2027-01-01" in page.text
