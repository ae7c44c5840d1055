"""The API keeps its contract, as a consumer's tooling would check it: schemathesis reads the
OpenAPI document the API serves (/api/v1/schema/), generates requests that fit it and requests
that do not, calls the application (WSGI, no server) and runs all its checks on each answer:
status codes documented, bodies and headers as described, valid requests accepted, invalid
ones refused, no server errors. Every operation the document lists is covered, so one added
later is covered too.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from agreements.api.changes import format_cursor
from agreements.changefeed import last_position
from registry.wsgi import application

EXAMPLES = 25  # per operation and mode; a fixed seed (derandomize) makes runs repeatable


@pytest.fixture(autouse=True)
def _one_connection():
    """schemathesis calls the WSGI application directly, and Django closes the database
    connection at the end of each request, which would close the test's own transaction (on
    PostgreSQL). Django's test client disconnects the same handlers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _check(operation, mode):
    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if mode == GenerationMode.POSITIVE and "after" in (case.query or {}):
            # The change feed's cursor is opaque and signed: only one the feed handed out is
            # valid, which no schema can generate. A valid request carries one, as a client's
            # does (the newest position, which is always accepted).
            case.query["after"] = format_cursor(last_position())
        case.call_and_validate()

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_the_contract(seed, mode):
    # Loaded in the test: the document lists the municipalities and counties in the database.
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    failures = {}
    for operation in operations:
        try:
            _check(operation, mode)
        except Unsatisfiable:
            # Nothing to get wrong: an operation without parameters has no invalid request.
            assert mode == GenerationMode.NEGATIVE and not operation.query, operation.label
        except Exception as failure:
            failures[operation.label] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_following_links_from_lists_to_records_keeps_the_contract(seed):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    links = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if operation.definition.raw["responses"]["200"].get("links")
    ]
    assert len(links) >= 4  # municipalities, cooperations, procurements, sources
    schema.as_state_machine().run(
        settings=settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            stateful_step_count=4,
        )
    )
