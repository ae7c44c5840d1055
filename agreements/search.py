"""Text search: PostgreSQL full-text search in Swedish, with a stemming fallback on SQLite.

Each searchable model keeps `search_document`, a casefolded copy of its text fields, filled in
on every save (fixtures included). On PostgreSQL the database derives a stored `tsvector`
column from it (`search_vector`, generated, so every insert and update keeps it current, bulk
ones included) and indexes it with GIN: a query neither parses nor stems any row's text, not
even to rank the matches. SQLite has no Swedish-aware LIKE, so the fallback matches casefolded
stems from the same Snowball stemmer PostgreSQL's `swedish` configuration uses.
"""

from functools import cache

import snowballstemmer
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Count, Window

SEARCH_CONFIG = "swedish"
# Longer input is not a search anyone means; cutting it keeps the query plan bounded.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 10


@cache
def _stemmer():
    return snowballstemmer.stemmer(SEARCH_CONFIG)


def build_search_document(*values) -> str:
    return " ".join(str(v) for v in values if v).casefold()


# PostgreSQL only, and unknown to the models: SQLite has no tsvector to store.
VECTOR_COLUMN = "search_vector"


def gin_index_sql(table: str) -> str:
    """The expression index of migration 0002, replaced by `stored_vector_sql` in 0012."""
    return (
        f"CREATE INDEX IF NOT EXISTS {table}_search_gin ON {table} USING gin "
        f"(to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE((search_document)::text, '')))"
    )


def stored_vector_sql(table: str) -> list[str]:
    """The generated tsvector column and its GIN index (under the name the old index had)."""
    return [
        f"DROP INDEX IF EXISTS {table}_search_gin",
        f"ALTER TABLE {table} ADD COLUMN {VECTOR_COLUMN} tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE(search_document, ''))) STORED",
        f"CREATE INDEX {table}_search_gin ON {table} USING gin ({VECTOR_COLUMN})",
    ]


def drop_stored_vector_sql(table: str) -> list[str]:
    return [f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR_COLUMN}", gin_index_sql(table)]


class StoredSearchVector(models.Expression):
    """The row's stored `search_vector` column, read as it is."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.{connection.ops.quote_name(VECTOR_COLUMN)}", []


class SearchableQuerySetMixin:
    def search(self, query):
        query = " ".join((query or "").split())
        if len(query) > MAX_QUERY_LENGTH:
            # Cut between words: half a word matches nothing, and the whole search with it.
            query = query[: MAX_QUERY_LENGTH + 1].rsplit(" ", 1)[0]
        if not query:
            return self
        if connections[self.db].vendor == "postgresql":
            ts_query = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
            return (
                self.alias(search_vector=StoredSearchVector())
                .filter(search_vector=ts_query)
                .annotate(search_rank=SearchRank(StoredSearchVector(), ts_query))
                .order_by("-search_rank", *self.model._meta.ordering)
            )
        stems = [_stemmer().stemWord(term) for term in query.casefold().split()[:MAX_TERMS]]
        condition = models.Q()
        for stem in stems:
            condition &= models.Q(search_document__contains=stem)
        return self.filter(condition)


def search_document_field():
    return models.TextField(editable=False, default="")


RANK = "search_rank"


def is_ranked_search(queryset) -> bool:
    """Is this a PostgreSQL search ordered by rank (`search`), whose matches can be counted
    in the query that finds a page of them (`RankedPaginator`)?"""
    query = queryset.query
    return RANK in query.annotations and not query.distinct


class RankedPaginator(Paginator):
    """Pages of a ranked search, counted in the query that finds the page's rows.

    Ranking reads every match's row, and so did counting them: two passes over the same
    heap pages (2,600 rows for "vinterväghållning ramavtal" among 100,000 procurements). Here
    one query returns the page's ids with the number of matches beside them (a window count,
    taken before the LIMIT), and a second reads just those rows, with what the list joins.
    """

    def page(self, number):
        number = max(int(number), 1)
        bottom = (number - 1) * self.per_page
        ranked = self.object_list.annotate(matches=Window(Count("pk"))).values_list(
            "pk", "matches"
        )[bottom : bottom + self.per_page]
        rows = list(ranked)
        if rows:
            self.__dict__["count"] = rows[0][1]  # else Paginator counts (past the end, or none)
        number = self.validate_number(number)
        ids = [pk for pk, _ in rows]
        found = self.object_list.filter(pk__in=ids).order_by().in_bulk()
        return self._get_page([found[pk] for pk in ids if pk in found], number, self)
