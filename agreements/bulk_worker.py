"""A worker process of the bulk download (agreements.bulk): writes some of the ZIP's entries
from the same PostgreSQL snapshot as the process that started it.

Started with "spawn", not "fork": a forked child would share its parent's open database
socket and transaction. This module imports nothing from Django at the top, so that importing
it in a fresh interpreter comes before `django.setup()`.
"""

import gc

_snapshot = None


def start(database_name, snapshot):
    """Pool initializer: Django, the exporting database, and the snapshot to read."""
    global _snapshot
    import django

    django.setup()
    from django.db import connection

    # The parent's database, the test database under pytest included.
    connection.settings_dict["NAME"] = database_name
    _snapshot = snapshot
    # What Django keeps for the process's lifetime is no garbage: the cyclic collector that
    # agreements.exports runs every few batches need not walk it again each time.
    gc.freeze()


def write(job, folder, number):
    """Write `job` (an agreements.bulk.Job) into files of its own in `folder`; returns what
    bulk.run_job returns, and the seconds it took."""
    import time

    from django.db import connection, transaction

    from . import bulk

    started = time.monotonic()
    with transaction.atomic(), bulk.rendering():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [_snapshot])
        pieces = bulk.run_job(job, folder, number)
    return pieces, time.monotonic() - started
