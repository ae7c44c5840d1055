"""The joint-buying finder: which other municipalities plan to buy the same kind of thing at
about the same time, near enough to buy it together ("Kan upphandlas gemensamt?").

One place for the rule, used by the procurement page, /mojligheter/, its CSV and the API.

The rule, for a procurement P and another Q:
- both are still to be bought (not awarded or cancelled) and both have a CPV code and a
  procurement year;
- the same CPV *category*: the first five digits of the code (in CPV, two digits are a
  division, three a group, four a class, five a category). "45233100" and "45233000" match;
  "45233000" and "45000000" do not, though the second is the first's division: a code is
  matched at the level it is given, never guessed finer or coarser;
- procurement years at most one apart;
- bought by different municipalities: a row is one municipality's procurement beside another
  municipality's, and a municipality is never its own partner;
- and the two municipalities are in the same county, or are both parties (bound by a
  decision or an agreement, not ended) of a cooperation whose status is active. A mention,
  an ambition or a letter of intent is no shared cooperation.

A row is one municipality's procurement beside another's: a joint procurement with two buyers
can give two rows.

Strength, strongest first: the same year counts over any link (100); each link, the same
county and a shared cooperation, counts 10; the very same CPV code adds 1. So the same year in
the same county and a shared cooperation (121 with the same code) beats the same year with
one link (110), which beats an adjacent year with both links (20).

At national scale there are millions of pairs, so none are stored. What a match is decided
on is kept in two small derived tables instead (see "what the matches are found in" below):
one row per buyer of a matchable procurement with its CPV category, year and county
(FinderSide), and one row per two municipalities bound to one active cooperation
(FinderLink). A procurement's partners are then one index range, and the list walks the
procurements in its order and stops after a page's rows; pages are not counted, only
followed.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from . import cache, rules
from .models import (
    Cooperation,
    County,
    FinderLink,
    FinderSide,
    Municipality,
    Party,
    PlannedProcurement,
    ProcurementBuyer,
)

CATEGORY_DIGITS = 5
CLOSED = (PlannedProcurement.Status.AWARDED, PlannedProcurement.Status.CANCELLED)
SAME_YEAR, PER_LINK, SAME_CODE = 100, 10, 1
DETAIL_LIMIT = 50
MAX_OFFSET = 10**9


def category_of(cpv_code):
    """The CPV category (five digits) a code is matched on, or "" without a code."""
    return cpv_code[:CATEGORY_DIGITS] if cpv_code else ""


def why_unmatchable(procurement):
    """Why a procurement cannot be matched at all, in words, or None if it can."""
    if procurement.status in CLOSED:
        return _("Upphandlingen är %(status)s, så den söker inga partner.") % {
            "status": procurement.get_status_display().lower()
        }
    missing = []
    if not procurement.cpv_code:
        missing.append(_("en CPV-kod"))
    if procurement.procurement_year is None:
        missing.append(_("ett upphandlingsår"))
    if not procurement.buyers.all():
        missing.append(_("en köpare"))
    if missing:
        return _("Den kan inte matchas: registret saknar %(what)s för den.") % {
            "what": _(" och ").join(missing)
        }
    return None


def year_phrase(procurement):
    """How far a side has come with its year, never more: a target is not a plan."""
    year = procurement.procurement_year
    status = procurement.status
    if status == PlannedProcurement.Status.TARGET:
        return _("mål för %(year)s") % {"year": year}
    if status == PlannedProcurement.Status.DECIDED:
        return _("beslutad för %(year)s") % {"year": year}
    if status == PlannedProcurement.Status.ADVERTISED:
        return _("annonserad %(year)s") % {"year": year}
    return _("planerad %(year)s") % {"year": year}


class Side(NamedTuple):
    """One side of a match: a municipality's procurement."""

    procurement: PlannedProcurement
    municipality: Municipality


@dataclass
class Match:
    procurement: PlannedProcurement
    municipality: Municipality
    other: PlannedProcurement
    other_municipality: Municipality
    cooperations: list = field(default_factory=list)

    @property
    def category(self):
        return category_of(self.procurement.cpv_code)

    @property
    def first_side(self):
        return Side(self.procurement, self.municipality)

    @property
    def other_side(self):
        return Side(self.other, self.other_municipality)

    @property
    def same_year(self):
        return self.procurement.procurement_year == self.other.procurement_year

    @property
    def same_county(self):
        return self.municipality.county_id == self.other_municipality.county_id

    @property
    def same_code(self):
        return self.procurement.cpv_code[:8] == self.other.cpv_code[:8]

    @property
    def strength(self):
        links = int(self.same_county) + int(bool(self.cooperations))
        return SAME_YEAR * self.same_year + PER_LINK * links + SAME_CODE * self.same_code

    @property
    def both_planned(self):
        return PlannedProcurement.Status.TARGET not in (self.procurement.status, self.other.status)

    def reasons(self):
        """The match's grounds in words, each as the data says it."""
        reasons = [_("Samma CPV-kategori %(category)s") % {"category": self.category}]
        if self.same_year and self.both_planned:
            reasons.append(_("båda %(year)s") % {"year": self.procurement.procurement_year})
        else:
            # A target beside a plan, or two years: each side as far as it has come.
            reasons.append(
                _("%(a)s %(a_year)s, %(b)s %(b_year)s")
                % {
                    "a": self.municipality.name,
                    "a_year": year_phrase(self.procurement),
                    "b": self.other_municipality.name,
                    "b_year": year_phrase(self.other),
                }
            )
        if self.same_county:
            reasons.append(_("båda i %(county)s") % {"county": self.municipality.county.name})
        for cooperation in self.cooperations:
            reasons.append(_("båda parter i %(name)s") % {"name": cooperation.name})
        return reasons

    @property
    def explanation(self):
        return " · ".join(self.reasons())


def _tables():
    return {
        "pp": PlannedProcurement._meta.db_table,
        "pb": ProcurementBuyer._meta.db_table,
        "mun": Municipality._meta.db_table,
        "side": FinderSide._meta.db_table,
        "link": FinderLink._meta.db_table,
    }


# --- what the matches are found in (agreements.models.FinderSide, FinderLink) ---------------
#
# Every change that can alter a match rewrites the rows it touches, in its own transaction, at
# the end of the change (rules.at_end_of_change, after the rules): a procurement or its buyers
# changed, that procurement's sides; a municipality (its county), its sides; a cooperation or
# its parties, that cooperation's links. The registry's generation row (agreements.cache) is
# locked first, as every change's own writes lock it already, so two changes rewrite their
# rows one after the other, the second reading what the first committed. A party's end date
# passing needs no write: a link carries its last day and the queries compare it with today.
# `rebuild()` rewrites everything after writes that bypass signals (bulk_create in
# generate_scale_data, raw SQL: `reconcile_change_feed`).


def _execute(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _marks(values):
    return ", ".join(["%s"] * len(values))


def _write_sides(scope, params):
    t = _tables()
    _execute(
        f"""
        INSERT INTO {t["side"]} (procurement_id, municipality_id, county_id, category, code, year)
        SELECT p.id, m.id, m.county_id, SUBSTRING(p.cpv_code, 1, {CATEGORY_DIGITS}),
          SUBSTRING(p.cpv_code, 1, 8), p.procurement_year
        FROM {t["pp"]} p
        JOIN {t["pb"]} b ON b.procurement_id = p.id
        JOIN {t["mun"]} m ON m.id = b.municipality_id
        WHERE p.cpv_code <> '' AND p.procurement_year IS NOT NULL
          AND p.status NOT IN ({_marks(CLOSED)}) AND {scope}
        """,
        [*(str(status) for status in CLOSED), *params],
    )


def _write_links(cooperations):
    """The links of these cooperations (ids), from their bound parties (one query)."""
    members = {}
    parties = (
        Party.objects.bound()
        .filter(cooperation__status=Cooperation.Status.ACTIVE, cooperation__in=cooperations)
        .values_list("cooperation_id", "municipality_id", "end_date")
    )
    for cooperation, municipality, end in parties:
        ends = members.setdefault(cooperation, {})
        # A municipality with two parties in one cooperation: bound until the later end.
        if municipality in ends and None not in (ends[municipality], end):
            end = max(end, ends[municipality])
        elif municipality in ends:
            end = None
        ends[municipality] = end
    FinderLink.objects.bulk_create(
        FinderLink(
            municipality_id=a, other_municipality_id=b, cooperation_id=cooperation,
            until=min((d for d in (ends[a], ends[b]) if d is not None), default=None),
        )
        for cooperation, ends in members.items()
        for a in ends
        for b in ends
        if a != b
    )  # fmt: skip


def refresh(procurements=(), municipalities=(), cooperations=()):
    """Rewrite the rows of these procurements, municipalities and cooperations (ids)."""
    procurements = sorted({pk for pk in procurements if pk is not None})
    municipalities = sorted({pk for pk in municipalities if pk is not None})
    cooperations = sorted({pk for pk in cooperations if pk is not None})
    if not (procurements or municipalities or cooperations):
        return
    side, link = FinderSide._meta.db_table, FinderLink._meta.db_table
    with transaction.atomic():
        cache.lock_generation()
        for column, pks in [("procurement_id", procurements), ("municipality_id", municipalities)]:
            for start in range(0, len(pks), CHUNK):
                chunk = pks[start : start + CHUNK]
                _execute(f"DELETE FROM {side} WHERE {column} IN ({_marks(chunk)})", chunk)
                alias = "p.id" if column == "procurement_id" else "m.id"
                _write_sides(f"{alias} IN ({_marks(chunk)})", chunk)
        for start in range(0, len(cooperations), CHUNK):
            chunk = cooperations[start : start + CHUNK]
            _execute(f"DELETE FROM {link} WHERE cooperation_id IN ({_marks(chunk)})", chunk)
            _write_links(chunk)


# Ids per statement (SQLite allows 32,766 parameters; a fixture load can touch thousands).
CHUNK = 900


def rebuild():
    """Rewrite every row (after writes that bypass signals)."""
    with transaction.atomic():
        cache.lock_generation()
        _execute(f"DELETE FROM {FinderSide._meta.db_table}")
        _write_sides("1 = 1", [])
        _execute(f"DELETE FROM {FinderLink._meta.db_table}")
        _write_links(Cooperation.objects.values("pk"))


_SCRATCH = "opportunities"


def _touched(sender, instance, **kwargs):
    scratch = rules.change_scratch()
    nothing = {"procurements": set(), "municipalities": set(), "cooperations": set()}
    touched = nothing if scratch is None else scratch.setdefault(_SCRATCH, nothing)
    _collect(sender, instance, touched)
    if scratch is None:  # a write outside a change: at once
        refresh(**touched)


def _collect(sender, instance, touched):
    if sender is PlannedProcurement:
        touched["procurements"].add(instance.pk)
    elif sender is ProcurementBuyer:
        touched["procurements"].add(instance.procurement_id)
    elif sender is Municipality:
        touched["municipalities"].add(instance.pk)
    elif sender is Cooperation:
        touched["cooperations"].add(instance.pk)
    elif sender is Party:
        touched["cooperations"].add(instance.cooperation_id)
        # A party moved to another cooperation leaves a link behind in the one it left.
        touched["cooperations"].update(getattr(instance, "_finder_before", ()))


def _remember_party(sender, instance, raw=False, **kwargs):
    if instance.pk is not None and not raw:
        instance._finder_before = set(
            Party.objects.filter(pk=instance.pk).values_list("cooperation_id", flat=True)
        )


@rules.at_end_of_change
def _flush():
    touched = rules.change_scratch().get(_SCRATCH)
    if touched:
        refresh(**touched)


for _model in (PlannedProcurement, ProcurementBuyer, Municipality, Party, Cooperation):
    post_save.connect(_touched, sender=_model, dispatch_uid=f"finder-saved-{_model.__name__}")
    post_delete.connect(_touched, sender=_model, dispatch_uid=f"finder-deleted-{_model.__name__}")
pre_save.connect(_remember_party, sender=Party, dispatch_uid="finder-party-before")


# --- finding the matches ---------------------------------------------------------------------

# Both municipalities bound to one active cooperation, today: one index lookup per pair.
SHARED = """EXISTS (
    SELECT 1 FROM {link} l
    WHERE l.municipality_id = a.municipality_id AND l.other_municipality_id = b.municipality_id
      AND (l.until IS NULL OR l.until >= %s)
)"""

# Each pair once: the earlier procurement (by year, then id) is a's. A procurement is never
# matched with itself: two buyers of one joint procurement already buy together.
# A row comparison, not an OR: the planner then reads b's range from the partner index and
# filters, instead of OR-ing bitmaps of every later year (60 ms instead of 5).
EACH_ONCE = "(b.year, b.procurement_id) > (a.year, a.procurement_id)"

SIDE = ("id", "title", "slug", "status", "procurement_year", "cpv_code")
PLACE = ("id", "name", "slug", "county_id")


def _pairs(where, params, order, limit, offset=0):
    """Rows of the matches: a's procurement (p) matches b's (q). The pairs are found and
    ordered on the side rows alone; the records are joined to the page's rows only."""
    t = _tables()
    today = timezone.localdate()
    shared = SHARED.format(**t)
    pick = f"""
        SELECT a.procurement_id AS pid, a.municipality_id AS aid, b.procurement_id AS qid,
          b.municipality_id AS bid, a.year AS year, a.category AS category, b.year AS qyear,
          (CASE WHEN b.year = a.year THEN {SAME_YEAR} ELSE 0 END)
          + (CASE WHEN a.county_id = b.county_id THEN {PER_LINK} ELSE 0 END)
          + (CASE WHEN {shared} THEN {PER_LINK} ELSE 0 END)
          + (CASE WHEN b.code = a.code THEN {SAME_CODE} ELSE 0 END) AS strength
        FROM {t["side"]} a
        JOIN {t["side"]} b ON b.category = a.category AND b.year BETWEEN a.year - 1 AND a.year + 1
          AND b.municipality_id <> a.municipality_id AND b.procurement_id <> a.procurement_id
        WHERE (a.county_id = b.county_id OR {shared}) AND {where}
        ORDER BY {order}
        LIMIT %s OFFSET %s
    """
    columns = ", ".join(
        [f"p.{c}" for c in SIDE] + [f"ma.{c}" for c in PLACE]
        + [f"q.{c}" for c in SIDE] + [f"mb.{c}" for c in PLACE]
    )  # fmt: skip
    sql = f"""
        SELECT {columns} FROM ({pick}) o
        JOIN {t["pp"]} p ON p.id = o.pid JOIN {t["mun"]} ma ON ma.id = o.aid
        JOIN {t["pp"]} q ON q.id = o.qid JOIN {t["mun"]} mb ON mb.id = o.bid
        ORDER BY {", ".join("o." + item.strip() for item in order.split(","))}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [today, today, *params, limit, offset])
        return cursor.fetchall()


def _hydrate(rows):
    """Matches for the rows, in their order: the records come with the rows; the counties'
    names and the shared cooperations take a query each."""
    if not rows:
        return []
    counties = County.objects.in_bulk()
    procurements, municipalities = {}, {}

    def side(values):
        procurement = dict(zip(SIDE, values[: len(SIDE)], strict=True))
        place = dict(zip(PLACE, values[len(SIDE) :], strict=True))
        p = procurements.setdefault(procurement["id"], PlannedProcurement(**procurement))
        m = municipalities.get(place["id"])
        if m is None:
            m = municipalities[place["id"]] = Municipality(**place)
            m.county = counties[place["county_id"]]
        return p, m

    width = len(SIDE) + len(PLACE)
    pairs = [(side(row[:width]), side(row[width : 2 * width])) for row in rows]
    shared = _shared({(row[len(SIDE)], row[width + len(SIDE)]) for row in rows})
    return [Match(p, a, q, b, shared.get((a.id, b.id), [])) for (p, a), (q, b) in pairs]


def _shared(pairs):
    """{(municipality id, other's id): [cooperations both are bound to today, by name]}: the
    links of just these pairs (one query), not every party of every municipality on the page
    (thousands of rows at national scale, compared per row)."""
    firsts, seconds = {a for a, _b in pairs}, {b for _a, b in pairs}
    links = (
        FinderLink.objects.filter(municipality__in=firsts, other_municipality__in=seconds)
        .exclude(until__lt=timezone.localdate())
        .select_related("cooperation")
        .only("municipality_id", "other_municipality_id", "cooperation__name", "cooperation__slug")
        .order_by("cooperation__name", "cooperation__pk")
    )
    shared = {}
    for link in links:
        pair = (link.municipality_id, link.other_municipality_id)
        if pair in pairs:
            shared.setdefault(pair, []).append(link.cooperation)
    return shared


@dataclass
class Filters:
    county: int | None = None  # a County's pk
    year: int | None = None
    cpv: str = ""  # the start of a CPV category, two to five digits


def _filter_sql(filters, each_once=True):
    """The filters as a condition on a pair (a, b). `each_once`: a is the pair's earlier side
    (EACH_ONCE), as in the list; otherwise either side may be a's."""
    where, params = ["1 = 1"], []
    if filters.county is not None:
        where.append("(a.county_id = %s OR b.county_id = %s)")
        params += [filters.county, filters.county]
    if filters.year is not None:
        where.append("(a.year = %s OR b.year = %s)")
        params += [filters.year, filters.year]
        if each_once:
            # The earlier side is in the year or the one before: said so, the walk starts
            # there instead of at the first year.
            where.append("a.year BETWEEN %s AND %s")
            params += [filters.year - 1, filters.year]
    if filters.cpv:
        where.append("a.category LIKE %s")
        params.append(filters.cpv + "%")
    return " AND ".join(where), params


# The walk's index (finder_side_walk_idx): the soonest first, by the earlier side's year and
# CPV category, each procurement's matches strongest first (in _pairs' column names).
LIST_ORDER = "year, category, pid, strength DESC, qyear, qid, aid, bid"


@dataclass
class Page:
    matches: list
    number: int
    has_next: bool

    @property
    def has_previous(self):
        return self.number > 1


def members(filters=None):
    """The pks of the procurements the list shows with these filters, on either side of a
    match, in order (for following the list by e-mail). One walk of the sides, each asking
    for one partner: a few thousand rows, not the pairs."""
    t = _tables()
    filters = filters or Filters()
    # The pair is not taken once here: either side may be a's. Each filter also narrows a
    # alone first (`outer`, implied by the pair's condition): without it the search for a
    # partner ran through every a's whole range (44 s at national scale for one county).
    where, params = _filter_sql(filters, each_once=False)
    outer, outer_params = ["1 = 1"], []
    if filters.county is not None:
        outer.append(f"""(a.county_id = %s OR a.municipality_id IN (
            SELECT l.municipality_id FROM {t["link"]} l JOIN {t["mun"]} m
            ON m.id = l.other_municipality_id WHERE m.county_id = %s))""")
        outer_params += [filters.county, filters.county]
    if filters.year is not None:
        outer.append("a.year BETWEEN %s AND %s")
        outer_params += [filters.year - 1, filters.year + 1]
    if filters.cpv:
        outer.append("a.category LIKE %s")
        outer_params.append(filters.cpv + "%")
    sql = f"""
        SELECT DISTINCT a.procurement_id FROM {t["side"]} a WHERE {" AND ".join(outer)} AND EXISTS (
          SELECT 1 FROM {t["side"]} b
          WHERE b.category = a.category AND b.year BETWEEN a.year - 1 AND a.year + 1
            AND b.municipality_id <> a.municipality_id AND b.procurement_id <> a.procurement_id
            AND {where} AND (a.county_id = b.county_id OR {SHARED.format(**t)})
        ) ORDER BY 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*outer_params, *params, timezone.localdate()])
        return [pk for (pk,) in cursor.fetchall()]


def listing(filters=None, page=1, per_page=25):
    """One page of /mojligheter/: each pair once, the soonest first (by the earlier side's
    year and CPV category), each procurement's matches strongest first."""
    if (page - 1) * per_page > MAX_OFFSET:
        # Past any list there is: an empty page (404), not an offset the database refuses.
        return Page([], page, False)
    where, params = _filter_sql(filters or Filters())
    rows = _pairs(
        f"{EACH_ONCE} AND {where}", params, LIST_ORDER, per_page + 1, (page - 1) * per_page
    )
    return Page(_hydrate(rows[:per_page]), page, len(rows) > per_page)


def all_matches(filters=None, chunk=2000):
    """Every match of the list, in its order (for the CSV), in rounds of whole procurements:
    each round starts after the last procurement written, on the walk's index, so the last
    round costs what the first did (with OFFSET, the nine millionth row cost all before it)."""
    where, params = _filter_sql(filters or Filters())
    where = f"{EACH_ONCE} AND {where}"
    after = ()
    while True:
        keyset = " AND (a.year, a.category, a.procurement_id) > (%s, %s, %s)" if after else ""
        matches = _hydrate(_pairs(where + keyset, [*params, *after], LIST_ORDER, chunk))
        if len(matches) < chunk:
            yield from matches
            return
        # The round may have cut the last procurement's matches short: all of them, at once.
        last = matches[-1].procurement
        yield from (match for match in matches if match.procurement is not last)
        yield from _hydrate(
            _pairs(f"{where} AND a.procurement_id = %s", [*params, last.pk], LIST_ORDER, MAX_OFFSET)
        )
        after = (last.procurement_year, category_of(last.cpv_code), last.pk)


def for_procurement(procurement, limit=DETAIL_LIMIT):
    """The matches of one procurement, strongest first (at most `limit`, and whether there
    are more). Without the each-pair-once condition the rule is symmetric, so anchoring a on
    this procurement finds every match from its side."""
    rows = _pairs(
        "a.procurement_id = %s",
        [procurement.pk],
        "strength DESC, qyear, qid, aid, bid",
        limit + 1,
    )
    return _hydrate(rows[:limit]), len(rows) > limit


__all__ = [
    "Filters", "Match", "all_matches", "for_procurement", "listing", "members", "rebuild",
    "refresh", "why_unmatchable",
]  # fmt: skip
