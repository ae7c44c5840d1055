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

The pairs are found by one SQL query over expression indexes on the code's first five digits
and the year (migration 0014), walked in the order of the earlier procurement (year, CPV
category), so a page stops after its rows instead of ranking every pair in the country: at
national scale there are millions. Pages are therefore not counted, only followed.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    Cooperation,
    County,
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
        "party": Party._meta.db_table,
        "coop": Cooperation._meta.db_table,
    }


# SUBSTRING, not SUBSTR: the planner uses an expression index only for the very expression
# it was built on, and Django's Substr() (the index in migration 0014) writes SUBSTRING.
CATEGORY = "SUBSTRING({t}.cpv_code, 1, 5)"

# Both municipalities bound (by a decision or an agreement, not ended) to one active
# cooperation. PostgreSQL hashes it once per query (a few thousand party pairs at national
# scale); a CTE joined instead was walked once per row.
SHARED = """EXISTS (
    SELECT 1 FROM {party} x
    JOIN {party} y ON y.cooperation_id = x.cooperation_id
    JOIN {coop} c ON c.id = x.cooperation_id
    WHERE x.municipality_id = a.municipality_id AND y.municipality_id = b.municipality_id
      AND x.level IN (%s, %s) AND y.level IN (%s, %s) AND c.status = %s
      AND (x.end_date IS NULL OR x.end_date >= %s) AND (y.end_date IS NULL OR y.end_date >= %s)
)"""


def _shared_params(today):
    bound = [str(level) for level in Party.BOUND_LEVELS]
    return [*bound, *bound, str(Cooperation.Status.ACTIVE), today, today]


def _active_parties():
    return (
        Party.objects.bound()
        .filter(cooperation__status=Cooperation.Status.ACTIVE)
        .exclude(end_date__lt=timezone.localdate())
    )


def _cooperations(parties):
    """{cooperation: {municipality ids bound to it}} from `parties` (one query)."""
    shared = {}
    for party in (
        parties.select_related("cooperation")
        .only("municipality_id", "cooperation__name", "cooperation__slug")
        .order_by("cooperation__name", "pk")
    ):
        shared.setdefault(party.cooperation, set()).add(party.municipality_id)
    return shared


SIDE = ("id", "title", "slug", "status", "procurement_year", "cpv_code")
PLACE = ("id", "name", "slug", "county_id")


def _pairs(where, params, order, limit, offset=0, links=None):
    """Rows of the matches: procurement p bought by municipality a matches q bought by b.

    `links`, the (a, b) municipality pairs bound to one active cooperation, when the caller
    knows them all (one procurement's page): a short list instead of the subquery.
    """
    t = _tables()
    today = timezone.localdate()
    closed = [str(status) for status in CLOSED]
    if links is None:
        shared, shared_params = SHARED.format(**t), _shared_params(today)
    elif links:
        shared = "(a.municipality_id, b.municipality_id) IN (VALUES {})".format(
            ", ".join(["(%s, %s)"] * len(links))
        )
        shared_params = [m for pair in sorted(links) for m in pair]
    else:
        shared, shared_params = "1 = 0", []
    columns = ", ".join(
        [f"p.{c}" for c in SIDE] + [f"ma.{c}" for c in PLACE]
        + [f"q.{c}" for c in SIDE] + [f"mb.{c}" for c in PLACE]
    )  # fmt: skip
    sql = f"""
        SELECT {columns},
          (CASE WHEN q.procurement_year = p.procurement_year THEN {SAME_YEAR} ELSE 0 END)
          + (CASE WHEN ma.county_id = mb.county_id THEN {PER_LINK} ELSE 0 END)
          + (CASE WHEN {shared} THEN {PER_LINK} ELSE 0 END)
          + (CASE WHEN SUBSTRING(q.cpv_code, 1, 8) = SUBSTRING(p.cpv_code, 1, 8)
                  THEN {SAME_CODE} ELSE 0 END) AS strength
        FROM {t["pp"]} p
        JOIN {t["pb"]} a ON a.procurement_id = p.id
        JOIN {t["mun"]} ma ON ma.id = a.municipality_id
        JOIN {t["pp"]} q ON {CATEGORY.format(t="q")} = {CATEGORY.format(t="p")}
          AND q.procurement_year BETWEEN p.procurement_year - 1 AND p.procurement_year + 1
        JOIN {t["pb"]} b ON b.procurement_id = q.id AND b.municipality_id <> a.municipality_id
        JOIN {t["mun"]} mb ON mb.id = b.municipality_id
        WHERE p.cpv_code <> '' AND q.cpv_code <> '' AND p.procurement_year IS NOT NULL
          AND p.status NOT IN (%s, %s) AND q.status NOT IN (%s, %s)
          AND (ma.county_id = mb.county_id OR {shared})
          AND {where}
        ORDER BY {order}
        LIMIT %s OFFSET %s
    """
    all_params = [
        *shared_params, *closed, *closed, *shared_params, *params, limit, offset,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        return cursor.fetchall()


def _hydrate(rows, shared=None):
    """Matches for the rows, in their order: the records come with the rows; the counties'
    names and (unless given) the cooperations take a query each."""
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
    if shared is None:
        shared = _cooperations(_active_parties().filter(municipality__in=list(municipalities)))
    return [
        Match(p, a, q, b, [c for c, members in shared.items() if {a.pk, b.pk} <= members])
        for (p, a), (q, b) in pairs
    ]


@dataclass
class Filters:
    county: int | None = None  # a County's pk
    year: int | None = None
    cpv: str = ""  # the start of a CPV category, two to five digits


def _filter_sql(filters):
    where, params = ["1 = 1"], []
    if filters.county is not None:
        where.append("(ma.county_id = %s OR mb.county_id = %s)")
        params += [filters.county, filters.county]
    if filters.year is not None:
        # The earlier side (p) is in the year or the one before: said so, the walk starts
        # there instead of at the first year.
        where.append(
            "p.procurement_year BETWEEN %s AND %s"
            " AND (p.procurement_year = %s OR q.procurement_year = %s)"
        )
        params += [filters.year - 1, filters.year, filters.year, filters.year]
    if filters.cpv:
        where.append(f"{CATEGORY.format(t='p')} LIKE %s")
        params.append(filters.cpv + "%")
    return " AND ".join(where), params


# Each pair once: the earlier procurement (by year, then id) is p.
EACH_ONCE = "(q.procurement_year > p.procurement_year OR (q.procurement_year = p.procurement_year AND q.id > p.id))"  # noqa: E501
LIST_ORDER = (
    f"p.procurement_year, {CATEGORY.format(t='p')}, p.id, strength DESC, q.procurement_year, q.id,"
    " a.municipality_id, b.municipality_id"
)


@dataclass
class Page:
    matches: list
    number: int
    has_next: bool

    @property
    def has_previous(self):
        return self.number > 1


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
    """Every match of the list, in its order, in chunks (for the CSV)."""
    page = 1
    while True:
        result = listing(filters, page, chunk)
        yield from result.matches
        if not result.has_next:
            return
        page += 1


def for_procurement(procurement, limit=DETAIL_LIMIT):
    """The matches of one procurement, strongest first (at most `limit`, and whether there
    are more). Without the each-pair-once condition the rule is symmetric, so anchoring the
    query's p on this procurement finds every match from its side. Its buyers' cooperations
    are read first (one query), so the pairs query needs no subquery over every party."""
    buyers = [buyer.municipality_id for buyer in procurement.buyers.all()]
    active = _active_parties()
    shared = _cooperations(
        active.filter(cooperation__in=active.filter(municipality__in=buyers).values("cooperation"))
    )
    links = {
        (a, b) for members in shared.values() for a in members & set(buyers) for b in members
        if a != b
    }  # fmt: skip
    rows = _pairs(
        "p.id = %s",
        [procurement.pk],
        "strength DESC, q.procurement_year, q.id, a.municipality_id, b.municipality_id",
        limit + 1,
        links=links,
    )
    return _hydrate(rows[:limit], shared), len(rows) > limit


__all__ = ["Filters", "Match", "all_matches", "for_procurement", "listing", "why_unmatchable"]
