"""Text search: PostgreSQL full-text search in Swedish, with a stemming fallback on SQLite.

Each searchable model keeps `search_document`, a casefolded copy of its text fields, filled in
on every save (fixtures included). PostgreSQL indexes it with a GIN index over
`to_tsvector('swedish', ...)`; SQLite has no Swedish-aware LIKE, so the fallback matches
casefolded stems from the same Snowball stemmer PostgreSQL's `swedish` configuration uses.
"""

from functools import cache

import snowballstemmer
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections, models

SEARCH_CONFIG = "swedish"
# Longer input is not a search anyone means; cutting it keeps the query plan bounded.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 10


@cache
def _stemmer():
    return snowballstemmer.stemmer(SEARCH_CONFIG)


def build_search_document(*values) -> str:
    return " ".join(str(v) for v in values if v).casefold()


def search_vector():
    return SearchVector("search_document", config=SEARCH_CONFIG)


def gin_index_sql(table: str) -> str:
    """The index PostgreSQL uses for `search_vector()`; the expression must match it exactly."""
    return (
        f"CREATE INDEX IF NOT EXISTS {table}_search_gin ON {table} USING gin "
        f"(to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE((search_document)::text, '')))"
    )


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
                self.alias(search_vector=search_vector())
                .filter(search_vector=ts_query)
                .annotate(search_rank=SearchRank(search_vector(), ts_query))
                .order_by("-search_rank", *self.model._meta.ordering)
            )
        stems = [_stemmer().stemWord(term) for term in query.casefold().split()[:MAX_TERMS]]
        condition = models.Q()
        for stem in stems:
            condition &= models.Q(search_document__contains=stem)
        return self.filter(condition)


def search_document_field():
    return models.TextField(editable=False, default="")
