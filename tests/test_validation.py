"""Forms and full_clean() explain each rule in Swedish before the database has to refuse."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agreements.models import (
    Citation,
    Cooperation,
    County,
    Municipality,
    PlannedProcurement,
    Post,
    SourceDocument,
    StaffingCommitment,
)

pytestmark = pytest.mark.django_db


def _messages(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def _new_commitment(**overrides):
    values = {
        "cooperation": Cooperation.objects.get(slug="avtalssamverkan-hallsberg-laxa-lekeberg"),
        "post": Post.objects.get(slug="upphandlare-lekeberg-laxa"),
        "financer": Municipality.objects.get(code="1814"),
        "fte": Decimal("0.60"),
    }
    values.update(overrides)
    return StaffingCommitment(**values)


def test_fte_above_one_is_explained(seed):
    errors = _messages(_new_commitment(fte=Decimal("1.5")))
    assert any("högst 1,0" in m for m in errors["fte"])


def _refused_on_save(instance):
    """The rules across records run where rows are written: the save is refused whole."""
    instance.full_clean()
    with pytest.raises(ValidationError) as caught:
        instance.save()
    return caught.value.messages


def test_new_share_without_superseding_the_current_one_is_refused(seed):
    before = StaffingCommitment.objects.count()
    messages = _refused_on_save(_new_commitment(fte=Decimal("0.10")))
    assert any("redan ett gällande åtagande" in m and "”ersätter”" in m for m in messages)
    assert StaffingCommitment.objects.count() == before


def test_new_share_that_supersedes_the_current_one_is_accepted_and_sequenced(seed):
    current = StaffingCommitment.objects.current().get(financer__code="1814")
    new = _new_commitment(supersedes=current, fte=Decimal("0.40"))
    new.full_clean()
    new.save()
    assert new.sequence == current.sequence + 1
    assert list(
        StaffingCommitment.objects.current()
        .filter(financer__code="1814")
        .values_list("fte", flat=True)
    ) == [Decimal("0.40")]


def test_post_financed_above_one_full_time_post_is_refused(seed):
    # Laxå pays 0,5; Lekeberg raising its 0,5 to 0,6 would make 1,1 of one post.
    current = StaffingCommitment.objects.current().get(financer__code="1814")
    messages = _refused_on_save(_new_commitment(supersedes=current, fte=Decimal("0.60")))
    assert any("sammanlagt 1,1 heltidstjänst" in m for m in messages)
    assert any("återstår att finansiera är 0,5" in m for m in messages)
    assert StaffingCommitment.objects.current().get(financer__code="1814").fte == Decimal("0.5")


def test_superseded_commitment_cannot_be_edited_back(seed):
    old = StaffingCommitment.objects.get(financer__code="1814", fte=Decimal("0.30"))
    old.fte = Decimal("0.50")
    assert "har ersatts av ett senare" in _messages(old)["fte"][0]


def test_superseding_a_commitment_of_another_municipality_is_refused(seed):
    laxa = StaffingCommitment.objects.get(financer__code="1860")
    errors = _messages(_new_commitment(supersedes=laxa))
    assert "samma samverkan och kommun" in errors["supersedes"][0]


def test_financer_must_be_party_to_the_cooperation(seed):
    askersund = Municipality.objects.get(code="1882")
    messages = _refused_on_save(_new_commitment(financer=askersund, fte=Decimal("0.1")))
    assert any(m.startswith("Askersund finansierar 0,1") and "måste därför vara part" in m
               for m in messages)  # fmt: skip
    assert not StaffingCommitment.objects.filter(financer=askersund).exists()


def test_municipality_code_must_start_with_county_code(seed):
    other = County.objects.create(code="03", name="Uppsala län")
    errors = _messages(Municipality(name="Fel", slug="fel", code="1899", county=other))
    assert "börjar inte med länskoden 03" in errors["code"][0]


def test_contract_year_before_procurement_year_is_explained(seed):
    procurement = PlannedProcurement(
        title="T", slug="t", status="idea", procurement_year=2027, contract_start_year=2026
    )
    errors = _messages(procurement)
    assert "Avtalet kan inte börja före" in errors["__all__"][0]


def test_informal_network_marked_binding_is_explained(seed):
    errors = _messages(
        Cooperation(name="N", slug="n", form="network", status="active", legally_binding=True)
    )
    assert "inte vara juridiskt bindande" in errors["__all__"][0]


def test_misquoted_citation_is_refused(seed):
    citation = Citation(
        source=SourceDocument.objects.get(),
        key="pahittat",
        quote="Askersund betalar 2 miljoner kronor.",
        municipality=Municipality.objects.get(code="1882"),
    )
    errors = _messages(citation)
    assert "finns inte ordagrant" in errors["quote"][0]


def test_quote_wrapped_differently_from_the_source_is_accepted(seed):
    # The seed file has hard line breaks; a passage pasted on one line is still verbatim.
    citation = Citation(
        source=SourceDocument.objects.get(),
        key="omradet",
        quote="Så det som finns är ett avtal som har ingåtts mellan Hallsberg, Laxå och Lekeberg.",
        municipality=Municipality.objects.get(code="1882"),
    )
    citation.full_clean()


def test_citation_field_must_exist_on_its_record(seed):
    citation = Citation(
        source=SourceDocument.objects.get(),
        key="falt",
        quote="Även jag reagerade",
        municipality=Municipality.objects.get(code="1882"),
        field_name="budget",
    )
    message = _messages(citation)["field_name"][0]
    assert message.startswith("Kommun har inget fält som heter ”budget”. Välj ett av: Namn")


def test_source_file_must_exist_in_seeds(seed):
    source = SourceDocument(slug="saknas", title="Saknas", kind="other", file_name="saknas.txt")
    assert "finns inte i seeds/" in _messages(source)["file_name"][0]
