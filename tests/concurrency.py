"""Two writers at the same moment, as two requests on their own database connections."""

import threading

import pytest
from django.db import connection, transaction

from agreements import rules

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL-only: SQLite lets one writer at a time; .ci/run also runs PostgreSQL",
)


def race(save_a, save_b):
    """Run two saves in two threads, each on its own database connection, as two requests:
    {"a": outcome, "b": outcome}, each "saved", a rule's messages, or the error raised.

    Both pass their form validation first, then both write: the check-then-insert window in
    which a rule without a lock lets both through. Each save is called with the barrier to
    wait at between the two.
    """
    validated = threading.Barrier(2, timeout=10)
    outcomes = {}

    def run(name, save):
        try:
            with transaction.atomic():
                save(validated)
            outcomes[name] = "saved"
        except rules.RuleViolation as violation:
            outcomes[name] = violation.messages
        except Exception as error:
            outcomes[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in (("a", save_a), ("b", save_b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
