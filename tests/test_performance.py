"""Fast without the page cache: what the national-scale profile found, pinned (issue 12, §3).

Timings live in `make bench`; these tests pin the causes, which do not depend on the machine.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import PlannedProcurement

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL-only; .ci/run also runs the suite there"
)


def captured(callable_):
    with CaptureQueriesContext(connection) as ctx:
        callable_()
    return [q["sql"] for q in ctx.captured_queries]


@on_postgresql
def test_search_reads_a_stored_vector_the_database_keeps_current():
    procurement = PlannedProcurement.objects.create(
        title="Vinterväghållning", slug="vinter", status="planned", description="Snöröjning"
    )

    def slugs(words):
        return [p.slug for p in PlannedProcurement.objects.search(words)]

    sql = captured(lambda: slugs("snöröjningen"))
    # Parsing and stemming every matching row's text at query time is what made searching
    # 100,000 procurements slow; the index alone only finds the rows, ranking read them all.
    assert not [q for q in sql if "to_tsvector" in q], sql
    assert slugs("snöröjningen") == ["vinter"]
    # Written behind the models' back, as a bulk update would: the database keeps it current.
    PlannedProcurement.objects.filter(pk=procurement.pk).update(search_document="sandning")
    assert slugs("snöröjning") == []
    assert slugs("sandningen") == ["vinter"]


def test_the_citation_list_does_not_join_every_kind_of_target(seed, client):
    sql = captured(lambda: client.get("/api/v1/citations/"))
    joins = max(len(re.findall(r"\bJOIN\b", q)) for q in sql)
    # One query with 23 outer joins took PostgreSQL over a second to plan at national scale;
    # a commitment with its cooperation, post, employer and financer needs four.
    assert joins <= 4, max(sql, key=lambda q: q.count("JOIN"))
    body = client.get("/api/v1/citations/").json()
    kinds = {row["about"]["type"] for row in body["results"]}
    assert {"cooperation", "party", "plannedprocurement", "interpellationquestion"} <= kinds
