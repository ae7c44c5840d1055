"""The seed fixture holds the source document's facts, each cited verbatim, and nothing else."""

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from agreements.models import (
    Citation,
    Claim,
    Cooperation,
    InterpellationQuestion,
    Objection,
    Party,
    PlannedProcurement,
    SourceDocument,
    StaffingCommitment,
)

from .conftest import SEED_FIXTURE, domain_models

pytestmark = pytest.mark.django_db

AGREEMENT = "avtalssamverkan-hallsberg-laxa-lekeberg"


def _dump():
    out = StringIO()
    # The change feed's log says the records were written again (as "changed", with the same
    # data); the records themselves must not change.
    call_command(
        "dumpdata", "agreements", natural_foreign=True, natural_primary=True, indent=1,
        exclude=["agreements.Change"], stdout=out,
    )  # fmt: skip
    return out.getvalue()


def test_loading_the_seed_twice_changes_nothing(seed):
    before = _dump()
    counts = {m.__name__: m.objects.count() for m in apps.get_app_config("agreements").get_models()}
    call_command("loaddata", str(SEED_FIXTURE), verbosity=0)
    assert _dump() == before
    after = {m.__name__: m.objects.count() for m in apps.get_app_config("agreements").get_models()}
    assert counts == after


def test_seed_fixture_refers_by_natural_keys_only():
    import json

    rows = json.loads(SEED_FIXTURE.read_text(encoding="utf-8"))
    assert rows
    assert all("pk" not in row for row in rows)


def test_every_citation_occurs_verbatim_in_its_seed_file(seed):
    citations = list(Citation.objects.select_related("source"))
    assert len(citations) >= 30
    for citation in citations:
        text = (settings.SEEDS_DIR / citation.source.file_name).read_text(encoding="utf-8")
        assert citation.quote in text, citation.key


def test_every_seeded_record_cites_a_passage(seed):
    uncited = []
    for model, field in [
        (Cooperation, "cooperation"),
        (Objection, "objection"),
        (Claim, "claim"),
        (StaffingCommitment, "commitment"),
        (PlannedProcurement, "procurement"),
        (InterpellationQuestion, "question"),
    ]:
        for obj in model.objects.all():
            if not Citation.objects.filter(**{field: obj}).exists():
                uncited.append(f"{model.__name__} {obj}")
    assert uncited == []


def test_every_model_resolves_its_own_natural_key(seed):
    for model in domain_models():
        for obj in model.objects.all():
            assert model.objects.get_by_natural_key(*obj.natural_key()) == obj


def test_agreement_binds_hallsberg_as_host_for_laxa_and_lekeberg(seed):
    agreement = Cooperation.objects.get(slug=AGREEMENT)
    assert agreement.legally_binding
    assert agreement.host.name == "Hallsberg"
    roles = dict(agreement.parties.values_list("municipality__name", "role"))
    assert roles == {"Hallsberg": "host", "Laxå": "participant", "Lekeberg": "participant"}


def test_lekeberg_history_runs_from_0_3_to_0_5_with_the_latest_current(seed):
    history = [
        (c.fte, c.is_current)
        for c in StaffingCommitment.objects.history().filter(financer__name="Lekeberg")
    ]
    assert history == [(Decimal("0.30"), False), (Decimal("0.50"), True)]


def test_current_financing_is_lekeberg_and_laxa_half_each(seed):
    current = dict(StaffingCommitment.objects.current().values_list("financer__name", "fte"))
    assert current == {"Lekeberg": Decimal("0.50"), "Laxå": Decimal("0.50")}


def test_askersund_takes_part_only_without_binding_commitment(seed):
    for party in Party.objects.filter(municipality__name="Askersund").select_related("cooperation"):
        assert not party.cooperation.legally_binding
    network = Cooperation.objects.get(slug="natverk-upphandlare-sydnarke")
    assert network.form == Cooperation.Form.NETWORK
    assert "muntligt uttalad ambition" in network.parties.get(municipality__name="Askersund").note


def test_study_records_three_objections_and_what_it_led_to(seed):
    study = Cooperation.objects.get(slug="utrett-samarbete-askersund-hallsberg")
    assert study.objections.count() == 3
    # It led to an extension of an agreement that already existed, and to a proposal about
    # a network that already existed; it created neither.
    assert not study.led_to.exists()
    assert [(v.cooperation.slug, v.sequence) for v in study.prompted_versions.all()] == [
        (AGREEMENT, 2)
    ]
    assert [p.cooperation.slug for p in study.proposals_made.all()] == [
        "natverk-upphandlare-sydnarke"
    ]


def test_contracting_out_is_procured_2026_for_2027_by_askersund(seed):
    procurement = PlannedProcurement.objects.get()
    assert (procurement.procurement_year, procurement.contract_start_year) == (2026, 2027)
    assert [b.municipality.name for b in procurement.buyers.all()] == ["Askersund"]
    assert procurement.estimated_value is None and procurement.cpv_code == ""


def test_interpellation_has_four_answered_questions(seed):
    questions = InterpellationQuestion.objects.order_by("number")
    assert [q.number for q in questions] == [1, 2, 3, 4]
    assert all(q.answer for q in questions)


def test_job_ad_claim_is_assessed_misleading(seed):
    claim = Claim.objects.get(slug="team-i-sydnarke")
    assert claim.assessment == Claim.Assessment.MISLEADING
    assert claim.made_by.name == "Hallsberg"


def test_nothing_undocumented_is_filled_in(seed):
    assert not Cooperation.objects.exclude(start_date=None).exists()
    assert not StaffingCommitment.objects.exclude(start_date=None).exists()
    assert SourceDocument.objects.get().date is None
