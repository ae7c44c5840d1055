"""The synthetic national data set: deterministic, valid, and unmistakably synthetic."""

import pytest
from django.core.management import CommandError, call_command

from agreements.models import (
    Citation,
    Cooperation,
    Municipality,
    PlannedProcurement,
    ProcurementBuyer,
    StaffingCommitment,
)

pytestmark = pytest.mark.django_db

SMALL = {"municipalities": 6, "cooperations": 30, "procurements": 250, "verbosity": 0}


def snapshot():
    return (
        list(
            Cooperation.objects.order_by("slug").values_list("slug", "form", "status", "host__code")
        ),
        list(PlannedProcurement.objects.order_by("slug").values_list("slug", "status", "cpv_code")),
        list(ProcurementBuyer.objects.order_by("procurement__slug", "municipality__code")
             .values_list("procurement__slug", "municipality__code", "is_lead")),
    )  # fmt: skip


def test_generates_the_requested_amounts(seed):
    call_command("generate_scale_data", **SMALL)
    assert Municipality.objects.filter(slug__startswith="syntetisk-").count() == 6
    assert Cooperation.objects.filter(slug__startswith="syntetisk-").count() == 30
    assert PlannedProcurement.objects.filter(slug__startswith="syntetisk-").count() == 250


def test_same_seed_gives_the_same_data(seed):
    call_command("generate_scale_data", seed=7, **SMALL)
    first = snapshot()
    call_command("generate_scale_data", seed=7, replace=True, **SMALL)
    assert snapshot() == first
    call_command("generate_scale_data", seed=8, replace=True, **SMALL)
    assert snapshot() != first


def test_every_synthetic_row_says_so(seed):
    call_command("generate_scale_data", **SMALL)
    real = {"1814", "1860", "1861", "1882"}
    for m in Municipality.objects.exclude(code__in=real):
        assert m.name.startswith("SYNTETISK") and m.county.name.startswith("Syntetiskt län")
    for c in Cooperation.objects.filter(slug__startswith="syntetisk-"):
        assert c.name.startswith("SYNTETISK")
    for p in PlannedProcurement.objects.filter(slug__startswith="syntetisk-"):
        assert p.title.startswith("SYNTETISK")
    for citation in Citation.objects.filter(key__startswith="syntetisk-").select_related("source"):
        assert citation.source.title.startswith("SYNTETISKA TESTDATA")


def test_synthetic_rows_obey_the_rules(seed):
    call_command("generate_scale_data", **SMALL)
    for model in (Cooperation, PlannedProcurement, StaffingCommitment):
        for obj in model.objects.all()[:50]:
            obj.full_clean(exclude=["sequence"])
    # bulk_create skips the rules across records: check the synthetic rows against them.
    from django.db import transaction

    from agreements import rules
    from agreements.models import Post

    with transaction.atomic():
        errors = [
            *(e for p in PlannedProcurement.objects.all()[:200] for e in
              rules.check_procurement(p.pk)),
            *(e for c in Cooperation.objects.all()[:200] for e in rules.check_cooperation(c.pk)),
            *(e for p in Post.objects.all()[:200] for e in rules.check_post(p.pk)),
        ]  # fmt: skip
    assert errors == []
    joint = PlannedProcurement.objects.joint().prefetch_related("buyers")[:50]
    assert joint, "the generator makes joint procurements"
    for p in joint:
        assert sum(b.is_lead for b in p.buyers.all()) == 1


def test_seed_data_is_untouched_by_replace(seed):
    call_command("generate_scale_data", **SMALL)
    call_command("generate_scale_data", replace=True, **SMALL)
    assert Cooperation.objects.filter(slug="avtalssamverkan-hallsberg-laxa-lekeberg").exists()
    assert Municipality.objects.filter(code__in=["1814", "1860", "1861", "1882"]).count() == 4


def test_refuses_to_generate_twice_without_replace(seed):
    call_command("generate_scale_data", **SMALL)
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_scale_data", **SMALL)


def test_synthetic_pages_render(seed, client):
    call_command("generate_scale_data", **SMALL)
    for path in ["/kommuner/syntetisk-9001/", "/samverkan/syntetisk-samverkan-00001/",
                 "/upphandlingar/syntetisk-upphandling-000100/"]:  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200
        assert "SYNTETISK" in response.content.decode()


def test_synthetic_citations_stand_once_in_their_source_text(seed):
    # Bulk inserts skip the check on save, so the generator places each quote itself.
    from agreements.documents import find_quote

    call_command("generate_scale_data", **SMALL)
    citations = Citation.objects.filter(key__startswith="syntetisk-").select_related("source")
    assert citations.exists()
    for citation in citations:
        text = citation.source.text
        assert text[citation.start : citation.end] == citation.quote
        assert find_quote(text, citation.quote) == [(citation.start, citation.end)]
