"""Each integrity rule holds in the database itself, whatever code writes the row."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from agreements.models import (
    Citation,
    Cooperation,
    County,
    InterpellationQuestion,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    SourceDocument,
    StaffingCommitment,
)

pytestmark = pytest.mark.django_db


def _agreement():
    return Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg")


def _muni(code):
    return Municipality.objects.get(code=code)


def _post():
    return Post.objects.get(slug="upphandlare-lekeberg-laxa")


def _procurement():
    return PlannedProcurement.objects.get(slug="askersund-verksamheter-pa-entreprenad")


def _commitment(**overrides):
    values = {
        "cooperation": _agreement(),
        "post": _post(),
        "financer": _muni("1861"),
        "fte": Decimal("0.20"),
        "sequence": 9,
    }
    values.update(overrides)
    return StaffingCommitment.objects.create(**values)


def _procurement_row(**overrides):
    values = {"title": "Test", "slug": "test", "status": "idea"}
    values.update(overrides)
    return PlannedProcurement.objects.create(**values)


BAD_ROWS = {
    "county_code_not_two_digits": lambda: County.objects.create(code="1a", name="Fel län"),
    "municipality_code_not_four_digits": lambda: Municipality.objects.create(
        name="Fel", slug="fel", code="186", county=County.objects.get(code="18")
    ),
    "municipality_code_duplicate": lambda: Municipality.objects.create(
        name="Dubblett", slug="dubblett", code="1861", county=County.objects.get(code="18")
    ),
    "cooperation_ends_before_start": lambda: Cooperation.objects.create(
        name="X",
        slug="x",
        form="agreement",
        status="active",
        start_date="2026-01-01",
        end_date="2025-12-31",
    ),
    "network_cannot_be_binding": lambda: Cooperation.objects.create(
        name="X", slug="x", form="network", status="active", legally_binding=True
    ),
    "party_twice_in_same_cooperation": lambda: Party.objects.create(
        cooperation=_agreement(), municipality=_muni("1860"), role="observer"
    ),
    "second_host_party": lambda: Party.objects.create(
        cooperation=_agreement(), municipality=_muni("1882"), role="host"
    ),
    "objection_position_duplicate": lambda: Objection.objects.create(
        cooperation=Cooperation.objects.get(slug="utrett-samarbete-askersund-hallsberg"),
        position=1,
        argument="Dubblett",
    ),
    "post_slug_duplicate_for_employer": lambda: Post.objects.create(
        employer=_muni("1861"), slug="upphandlare-lekeberg-laxa", name="Dubblett"
    ),
    "fte_zero": lambda: _commitment(fte=Decimal("0")),
    "fte_negative": lambda: _commitment(fte=Decimal("-0.5")),
    "fte_above_full_time": lambda: _commitment(fte=Decimal("1.01")),
    "commitment_ends_before_start": lambda: _commitment(
        start_date="2026-01-01", end_date="2025-01-01"
    ),
    "commitment_sequence_duplicate": lambda: _commitment(financer=_muni("1814"), sequence=1),
    "commitment_superseded_twice": lambda: _commitment(
        financer=_muni("1814"),
        sequence=3,
        supersedes=StaffingCommitment.objects.get(financer__code="1814", fte=Decimal("0.30")),
    ),
    "contract_year_before_procurement_year": lambda: _procurement_row(
        procurement_year=2027, contract_start_year=2026
    ),
    "procurement_year_implausible": lambda: _procurement_row(procurement_year=1066),
    "cpv_code_malformed": lambda: _procurement_row(cpv_code="7731"),
    "value_without_currency": lambda: _procurement_row(
        estimated_value=Decimal("12500"), currency=""
    ),
    "negative_value": lambda: _procurement_row(estimated_value=Decimal("-1"), currency="SEK"),
    "buyer_twice_in_same_procurement": lambda: ProcurementBuyer.objects.create(
        procurement=_procurement(), municipality=_muni("1882")
    ),
    "second_lead_buyer": lambda: (
        ProcurementBuyer.objects.update(is_lead=True),
        ProcurementBuyer.objects.create(
            procurement=_procurement(), municipality=_muni("1861"), is_lead=True
        ),
    ),
    "citation_without_target": lambda: Citation.objects.create(
        source=SourceDocument.objects.get(), key="ny", quote="Även jag reagerade"
    ),
    "citation_with_two_targets": lambda: Citation.objects.create(
        source=SourceDocument.objects.get(),
        key="ny",
        quote="Även jag reagerade",
        municipality=_muni("1882"),
        cooperation=_agreement(),
    ),
    "citation_key_duplicate_in_source": lambda: Citation.objects.create(
        source=SourceDocument.objects.get(),
        key="avtalet",
        quote="Även jag reagerade",
        municipality=_muni("1882"),
    ),
    "question_number_duplicate": lambda: InterpellationQuestion.objects.create(
        interpellation_id=InterpellationQuestion.objects.first().interpellation_id,
        number=1,
        question="Dubblett?",
    ),
}


@pytest.mark.parametrize("make_bad_row", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_database_rejects_bad_row(seed, make_bad_row):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_bad_row()


def test_valid_commitment_is_accepted_by_the_database(seed):
    # The counterpart of the rejections above: the same helper with good values saves (on a
    # post of its own: the seed's post is already fully financed).
    post = Post.objects.create(employer=_muni("1861"), slug="ny", name="Ny tjänst")
    _commitment(fte=Decimal("1.00"), post=post)
    assert StaffingCommitment.objects.filter(financer__code="1861").exists()


def test_municipality_with_parties_cannot_be_deleted(seed):
    with pytest.raises(ProtectedError):
        _muni("1861").delete()


def test_superseded_commitment_cannot_be_deleted(seed):
    old = StaffingCommitment.objects.get(financer__code="1814", fte=Decimal("0.30"))
    with pytest.raises(ProtectedError):
        old.delete()


def test_source_with_citations_cannot_be_deleted(seed):
    with pytest.raises(ProtectedError):
        SourceDocument.objects.get().delete()


def test_deleting_cooperation_removes_its_parties_and_citations(seed):
    study = Cooperation.objects.get(slug="utrett-samarbete-askersund-hallsberg")
    study.delete()
    assert not Party.objects.filter(cooperation__slug=study.slug).exists()
    assert not Citation.objects.filter(key="utredningen").exists()
