"""A stored, GIN-indexed tsvector per searchable row, kept current by PostgreSQL itself.

Before, searches and their ranking ran `to_tsvector` over every matching row's text at query
time; the index only found the rows. SQLite has nothing to store: its fallback is unchanged.
"""

from django.db import migrations

from agreements.search import drop_stored_vector_sql, stored_vector_sql

TABLES = ["agreements_cooperation", "agreements_plannedprocurement"]


def add_vectors(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            for statement in stored_vector_sql(table):
                schema_editor.execute(statement)


def drop_vectors(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            for statement in drop_stored_vector_sql(table):
                schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0011_public_names"),
    ]

    operations = [migrations.RunPython(add_vectors, drop_vectors)]
