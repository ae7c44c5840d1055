"""Migrations carry existing data forward, claiming never more than the old data said.

The old rows are the seed as it stood before the truth model (migration 0009): written with the
models of that time, migrated, and compared with what they may now say.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .conftest import commit_database, database_written

BEFORE = ("agreements", "0009_source_text_and_files")
AFTER = ("agreements", "0010_truth_model")


@pytest.fixture(scope="module")
def migrated(django_db_setup, django_db_blocker):
    """The old rows, migrated once for the module; the tests read what came out of it.

    Migrating backwards and forwards is the slowest thing in the suite, and the tests only read.
    """
    with django_db_blocker.unblock():
        commit_database("empty")
        database_written()
        try:
            yield _migrate_the_old_rows()
        finally:
            commit_database("seed")


def _migrate_the_old_rows():
    """The database at BEFORE, with the old seed's cooperations, parties and procurement."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("agreements")
    executor.migrate([BEFORE])
    apps = executor.loader.project_state([BEFORE]).apps
    county = apps.get_model("agreements", "County").objects.create(code="18", name="Örebro län")
    Municipality = apps.get_model("agreements", "Municipality")
    m = {
        code: Municipality.objects.create(name=name, slug=name.lower(), code=code, county=county)
        for code, name in [("1814", "Lekeberg"), ("1860", "Laxa"), ("1861", "Hallsberg"),
                           ("1882", "Askersund")]
    }  # fmt: skip
    Cooperation = apps.get_model("agreements", "Cooperation")
    Party = apps.get_model("agreements", "Party")
    agreement = Cooperation.objects.create(
        name="Avtalet", slug="avtalet", form="agreement", legally_binding=True,
        host=m["1861"], status="active",
    )  # fmt: skip
    study = Cooperation.objects.create(
        name="Utredningen", slug="utredningen", form="study", legally_binding=False,
        status="rejected",
    )  # fmt: skip
    network = Cooperation.objects.create(
        name="Nätverket", slug="natverket", form="network", legally_binding=False,
        status="proposed",
    )  # fmt: skip
    company = Cooperation.objects.create(
        name="Bolaget", slug="bolaget", form="company", legally_binding=False, status="active"
    )
    for coop, code, role in [
        (agreement, "1861", "host"), (agreement, "1814", "participant"),
        (agreement, "1860", "participant"), (study, "1882", "participant"),
        (study, "1861", "participant"), (network, "1882", "participant"),
        (company, "1861", "observer"),
    ]:  # fmt: skip
        Party.objects.create(cooperation=coop, municipality=m[code], role=role)
    Procurement = apps.get_model("agreements", "PlannedProcurement")
    Buyer = apps.get_model("agreements", "ProcurementBuyer")
    idea = Procurement.objects.create(title="Idé", slug="ide", status="idea")
    Buyer.objects.create(procurement=idea, municipality=m["1882"], is_lead=True)
    joint = Procurement.objects.create(title="Gemensam", slug="gemensam", status="in_procurement")
    Buyer.objects.create(procurement=joint, municipality=m["1861"], is_lead=True)
    Buyer.objects.create(procurement=joint, municipality=m["1814"])
    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    apps = executor.loader.project_state([AFTER]).apps
    Party = apps.get_model("agreements", "Party")
    Cooperation = apps.get_model("agreements", "Cooperation")
    facts = {
        "parties": set(
            Party.objects.values_list("cooperation__slug", "municipality__code", "level", "role")
        ),
        "cooperations": {
            c.slug: (c.legally_binding, c.has_host, c.host_id is not None, c.status)
            for c in Cooperation.objects.all()
        },
        "procurements": {
            p.slug: (p.status, p.joint)
            for p in apps.get_model("agreements", "PlannedProcurement").objects.all()
        },
    }
    MigrationExecutor(connection).migrate(latest)
    from agreements.models import Change

    facts["feed"] = set(Change.objects.values_list("resource", "key", "action"))
    return facts


def test_parties_of_a_binding_agreement_are_bound_by_it(migrated):
    rows = {row[1:] for row in migrated["parties"] if row[0] == "avtalet"}
    assert rows == {
        ("1861", "agreement", "host"),
        ("1814", "agreement", "participant"),
        ("1860", "agreement", "participant"),
    }


def test_elsewhere_a_municipality_is_only_known_to_be_mentioned(migrated):
    rows = {row for row in migrated["parties"] if row[0] != "avtalet"}
    # "Deltagare" in a study or a network said more than the sources: now the weakest level,
    # and no party role; an observer keeps its (non-party) role.
    assert rows == {
        ("utredningen", "1882", "mentioned", ""),
        ("utredningen", "1861", "mentioned", ""),
        ("natverket", "1882", "mentioned", ""),
        ("bolaget", "1861", "mentioned", "observer"),
    }


def test_binding_and_host_keep_what_was_known_and_nothing_more(migrated):
    assert migrated["cooperations"] == {
        "avtalet": (True, True, True, "active"),
        # Studies and networks bind no one by their nature.
        "utredningen": (False, None, False, "rejected"),
        "natverket": (False, None, False, "proposed"),
        # "Not binding" was every cooperation's default: for a company it said nothing.
        "bolaget": (None, None, False, "active"),
    }


def test_procurement_statuses_and_joint_are_carried_over(migrated):
    assert migrated["procurements"] == {"ide": ("target", None), "gemensam": ("advertised", True)}


def test_the_change_feed_starts_with_every_record_that_existed_before_it(migrated):
    # A client following /api/v1/changes/ from the start must rebuild these too.
    assert migrated["feed"] == {
        *(("municipalities", slug, "created") for slug in
          ["lekeberg", "laxa", "hallsberg", "askersund"]),
        *(("cooperations", slug, "created") for slug in
          ["avtalet", "utredningen", "natverket", "bolaget"]),
        ("procurements", "ide", "created"),
        ("procurements", "gemensam", "created"),
    }  # fmt: skip
