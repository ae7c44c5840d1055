"""GET /api/v1/changes/: the change feed (agreements/changefeed.py records it).

A page holds the entries after the `after` cursor in commit order, each with the record as its
API detail address serves it now (in the asked language), so that a client applying the entries
in order ends with what the API serves. Every page, the last and an empty one too, gives the
cursor to continue from.
"""

import base64
import struct

from django.core import signing
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ..changefeed import DELETED, last_position, resources
from ..links import absolute_url
from ..models import Change
from . import rest, views
from .rest import LANGUAGE_PARAMETER, LanguageMixin, check_parameters, check_whole_numbers

DEFAULT_LIMIT, MAX_LIMIT = 100, 500
# A page also stops before the entry that would carry it past this many rows nested in its
# records (a municipality's relations, a cooperation's parties). At national scale the first
# 100 entries held 15 municipalities with 589 relations: 800 KB and over a second and a half
# to serve under load, while 100 citations are 100 KB.
MAX_NESTED_ROWS = 100
# A cursor is opaque: a format byte and the position (generation, id) packed, in URL-safe base64
# without padding, signed so that a client can neither read nor make one up (a cursor only ever
# comes from a page). The format byte lets a later version change what a position holds and still
# read the cursors mirrors keep. Signed with SECRET_KEY: a new key makes the cursors mirrors
# hold invalid, and they start again from the beginning.
CURSOR_FORMAT = struct.Struct(">BQQ")
CURSOR_VERSION = 1
CURSOR_SALT = "agreements.changefeed.cursor"
CURSOR_MAX_LENGTH = 200


def _signer():
    # Made per use: the key is the settings' at the time, not at import.
    return signing.Signer(salt=CURSOR_SALT, sep=".")


VIEWSETS = {
    "municipalities": views.MunicipalityViewSet,
    "cooperations": views.CooperationViewSet,
    "procurements": views.ProcurementViewSet,
    "sources": views.SourceViewSet,
    "citations": views.CitationViewSet,
}
# The detail schema each resource's `data` follows (components drf-spectacular names).
COMPONENTS = {
    "municipalities": "MunicipalityDetail",
    "cooperations": "CooperationDetail",
    "procurements": "Procurement",
    "sources": "SourceDetail",
    "citations": "Citation",
}


def format_cursor(position):
    generation, pk = position
    packed = CURSOR_FORMAT.pack(CURSOR_VERSION, generation, pk)
    return _signer().sign(base64.urlsafe_b64encode(packed).rstrip(b"=").decode())


def parse_cursor(text):
    """The position a cursor from `format_cursor` holds; 400 for anything else."""
    try:
        if len(text) > CURSOR_MAX_LENGTH:
            raise ValueError
        encoded = _signer().unsign(text)
        version, generation, pk = CURSOR_FORMAT.unpack(
            base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        )
        if version != CURSOR_VERSION:
            raise ValueError
    except (signing.BadSignature, ValueError, struct.error):
        raise ValidationError(
            {
                "after": [
                    _(
                        "Ogiltig markör. Använd värdet av cursor från ett tidigare svar, eller "
                        "utelämna after för att börja från början."
                    )
                ]
            }
        ) from None
    return generation, pk


def check_within_feed(position):
    """Refuse (400) a position later than any entry the feed holds: it was handed out before the
    database was restored to an earlier state, and the entries between are gone, so a mirror
    that went on from it would silently miss changes. The newest entry (a kept deletion too)
    stays a valid place to poll from."""
    last = last_position()
    if last is None or position > last:
        raise ValidationError(
            {
                "after": [
                    _(
                        "Markören ligger efter flödets slut, troligen för att registret har "
                        "återställts till ett tidigare läge. Börja om från början (utan after) "
                        "och ersätt din kopia med det som flödet då ger."
                    )
                ]
            }
        )


def feed_url(request, cursor):
    """The address of the page after `cursor` (from the start if None), asked as `request` was
    (its language and limit), at the public address."""
    url = request.build_absolute_uri()
    url = replace_query_param(url, "after", cursor) if cursor else remove_query_param(url, "after")
    return absolute_url(url)


def detail_url(request, name, key):
    """The record's detail address, in the language the page was asked in: the one that serves
    the entry's `data`."""
    viewset = VIEWSETS[name]
    url = absolute_url(
        reverse(f"api:{resources()[name].basename}-detail", kwargs={viewset.lookup_field: key})
    )
    lang = request.query_params.get("lang")
    return replace_query_param(url, "lang", lang) if lang else url


def representations(request, name, ids):
    """{id: the record as GET /api/v1/<name>/<key>/ answers}, for many records in the same
    queries as one (the detail view's own queryset, citations and serializer)."""
    viewset = VIEWSETS[name](request=request, format_kwarg=None, action="retrieve", kwargs={})
    records = list(viewset.get_queryset().filter(pk__in=ids))
    if hasattr(viewset, "cite"):
        viewset.cite(records)
    data = viewset.get_serializer(records, many=True).data
    resource = resources()[name]
    return {
        record.pk: (resource.key_of(_values(record, resource.key_fields)), row)
        for record, row in zip(records, data, strict=True)
    }


def _values(record, paths):
    values = []
    for path in paths:
        value = record
        for part in path.split("__"):
            value = getattr(value, part)
        values.append(value)
    return values


def nested_rows(rows):
    """{(resource, id): rows nested in the record} for the entries that carry records with
    rows under them, counted without building them: a municipality's relations, a
    cooperation's parties."""
    from django.db.models import Count

    from ..models import Party

    counts = {}
    for resource, field in (
        ("municipalities", "municipality_id"),
        ("cooperations", "cooperation_id"),
    ):
        ids = {row.object_id for row in rows if row.resource == resource}
        if ids:
            found = (
                Party.objects.filter(**{f"{field}__in": ids})
                .order_by()
                .values_list(field)
                .annotate(n=Count("*"))
            )
            counts.update({(resource, pk): n for pk, n in found})
    return counts


def within_weight(rows):
    """The first of `rows` whose records together nest at most MAX_NESTED_ROWS rows (at least
    one entry, however large): what one page carries."""
    nested = nested_rows(rows)
    total = 0
    for index, row in enumerate(rows):
        total += nested.get((row.resource, row.object_id), 0)
        if total > MAX_NESTED_ROWS and index:
            return rows[:index]
    return rows


def entries_after(position, count):
    """Up to `count` entries after `position` ((generation, id), or None for the start).

    In two keyset queries, the rest of the position's generation and then the later ones, each
    an index range: one change (a bulk load) can write 100,000 entries in one generation, and
    "generation >= g" filtered row by row through all of them.
    """
    entries = Change.objects.order_by("generation", "id")
    if position is None:
        return list(entries[:count])
    generation, pk = position
    rows = list(entries.filter(generation=generation, id__gt=pk)[:count])
    if len(rows) < count:
        rows += entries.filter(generation__gt=generation)[: count - len(rows)]
    return rows


# --- the document ----------------------------------------------------------------------------


@extend_schema_field(
    {
        "nullable": True,
        "description": (
            "The record as its detail address answers now (the schema of its resource); "
            "null for a deletion."
        ),
        "anyOf": [{"$ref": f"#/components/schemas/{c}"} for c in COMPONENTS.values()],
    }
)
class RecordField(serializers.JSONField):
    pass


class ChangeEntrySerializer(rest.Serializer):
    cursor = serializers.CharField(
        help_text="The position of this entry, opaque (keep it as it is): continue after it."
    )
    resource = serializers.ChoiceField(
        choices=list(COMPONENTS), help_text="Which list the record belongs to."
    )
    key = serializers.CharField(
        help_text="The record's key in its detail address: a slug, or a citation's "
        "'<source>.<key>'."
    )
    action = serializers.ChoiceField(
        choices=Change.Action.values,
        help_text=(
            "created or changed: store `data` under the key (both carry the whole record); "
            "deleted: remove the key. A changed slug is a deletion of the old key and a "
            "creation of the new."
        ),
    )
    time = serializers.DateTimeField(help_text="When the change was recorded.")
    url = serializers.URLField(
        help_text="The record's detail address in the API, in the language of the page."
    )
    data = RecordField()


class ChangePageSerializer(rest.Serializer):
    cursor = serializers.CharField(
        help_text=(
            "Where to continue: the last entry's cursor, or the one asked with when the page "
            "is empty (null only before the first change)."
        ),
        allow_null=True,
    )
    next = serializers.URLField(
        help_text=(
            "The address of the next page, in the same language and size; ask it again later "
            "for changes made since."
        )
    )
    more = serializers.BooleanField(help_text="Whether more entries follow already.")
    results = ChangeEntrySerializer(many=True)


DESCRIPTION = format_lazy(
    gettext_lazy(
        "Ändringsflödet: skapade, ändrade och borttagna poster (kommuner, samverkan, "
        "upphandlingar, källor och citat) i den ordning ändringarna sparades. Varje post ges som "
        "den ser ut i dag under sin egen adress i API:t. En klient som följer flödet från början "
        "och sparar created och changed, och tar bort deleted, har samma uppgifter som API:t. "
        "Fortsätt från cursor i föregående svar (after); svaret ger alltid en cursor, också när "
        "det inte finns något nytt. En post som ändrats flera gånger står bara med sin senaste "
        "ändring. En sida slutar före den post som skulle ge den mer än {rows} rader under "
        "posterna (en kommuns relationer, en samverkans parter), så att ingen sida blir orimligt "
        "stor; more säger då att fler följer."
    ),
    rows=MAX_NESTED_ROWS,
)


class ChangeFeedView(LanguageMixin, GenericAPIView):
    """The change feed, paged by cursor (see the module's text)."""

    pagination_class = None
    filter_backends = []
    control_parameters = {"lang", "after", "limit"}

    @extend_schema(
        operation_id="changes_list",
        description=DESCRIPTION,
        parameters=[
            OpenApiParameter(
                "after",
                str,
                description=gettext_lazy(
                    "Fortsätt efter denna cursor från ett tidigare svar; utelämna för att "
                    "börja från början. Markören ska sparas som den är: den går inte att läsa "
                    "eller skapa själv. En markör som ligger efter flödets slut (när registret "
                    "har återställts till ett tidigare läge) ger 400: börja då om från början."
                ),
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=gettext_lazy("Högst så många ändringar (100 om inget anges)."),
            ),
            LANGUAGE_PARAMETER,
        ],
        responses={200: ChangePageSerializer},
    )
    def get(self, request, *args, **kwargs):
        check_parameters(request, self.control_parameters)
        check_whole_numbers(request, {"limit": (1, MAX_LIMIT)})
        after = request.query_params.get("after")
        position = parse_cursor(after) if after is not None else None
        limit = int(request.query_params.get("limit", DEFAULT_LIMIT))

        rows = entries_after(position, limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        kept = within_weight(rows)
        more, rows = more or len(kept) < len(rows), kept
        if position is not None and not rows:
            # Only an empty page can start beyond the end: one with entries starts before them.
            check_within_feed(position)

        wanted = {}
        for row in rows:
            if row.action != DELETED:
                wanted.setdefault(row.resource, set()).add(row.object_id)
        found = {name: representations(request, name, ids) for name, ids in wanted.items()}

        results = []
        for row in rows:
            data = None
            if row.action != DELETED:
                key, data = found[row.resource].get(row.object_id, (None, None))
                if key != row.key:
                    # Deleted or renamed since this page's entries were read: that change's
                    # entry comes later, after the cursor.
                    continue
            results.append(
                {
                    "cursor": format_cursor((row.generation, row.pk)),
                    "resource": row.resource,
                    "key": row.key,
                    "action": row.action,
                    "time": row.recorded_at,
                    "url": detail_url(request, row.resource, row.key),
                    "data": data,
                }
            )
        cursor = format_cursor((rows[-1].generation, rows[-1].pk)) if rows else after
        page = {
            "cursor": cursor,
            "next": feed_url(request, cursor),
            "more": more,
            "results": results,
        }
        return Response(ChangePageSerializer(page).data)
