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

from registry.wsgi import application

EXAMPLES = 25  # per operation and mode; a fixed seed (derandomize) makes runs repeatable


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
