"""What the sources say about a record: each value's source, who said it, and as of when.

Derived here once and used by the pages, the API, CSV, OCDS and the feeds, so that no output
can say more than another, or more than its source.

- Provenance: every structured value points to the citation that states it, or to one that
  the registry interprets (with its reasoning). An unknown value is said to be unknown; a
  known value without either is "Källa saknas", a defect the tests look for.
- Attribution: a judgement (an assessment, an objection, a hedge) is the speaker's, never
  the registry's: "Missvisande enligt Caroline Dieker (M), kommunstyrelsens ordförande".
- As of: a fact holds as of its source's date. "Now" is said only of facts a dated source
  confirmed within `REGISTRY_CONFIRMED_WITHIN_DAYS`.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.utils import timezone, translation

from .formats import format_fte, format_fte_posts
from .i18n import gettext as _  # fixed phrases, remembered per language
from .models import (
    AgreementVersion,
    Citation,
    Claim,
    Cooperation,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    Proposal,
    SourceDocument,
    StaffingCommitment,
    attach_citations,
)
from .models.base import choice_labels

# The structured values a reader relies on, per kind of record. Free text (descriptions,
# notes) carries its citations as a whole; these carry one each.
PROVENANCE_FIELDS = {
    Cooperation: (
        "form",
        "legally_binding",
        "has_host",
        "status",
        "legal_basis",
        "tasks",
        "purpose",
        "start_date",
        "end_date",
    ),
    Party: (
        "level",
        "role",
        "start_date",
        "end_date",
        "decision_body",
        "decision_date",
        "decision_reference",
    ),
    AgreementVersion: ("kind", "sequence", "date", "prompted_by"),
    Proposal: ("status", "proposed_in"),
    StaffingCommitment: (
        "fte",
        "post",
        "supersedes",
        "agreement_version",
        "start_date",
        "end_date",
    ),
    Post: ("employer", "employer_share"),
    PlannedProcurement: (
        "status",
        "procurement_year",
        "contract_start_year",
        "joint",
        "cpv_code",
        "estimated_value",
    ),
    ProcurementBuyer: ("municipality",),
    Claim: ("made_by", "channel", "assessment"),
    Objection: ("raised_by", "raised_by_description"),
}

UNKNOWN = "unknown"  # the source says nothing: no citation needed, and none is invented
CITED = "cited"  # a citation states it
INTERPRETED = "interpreted"  # the registry reads it from a citation, with its reasoning
MISSING = "missing"  # known, but nothing supports it: a defect


def is_known(value):
    return value not in (None, "")


def value_of(obj, name):
    """The field's value: the related object for a foreign key, the stored value otherwise."""
    return getattr(obj, name)


def display(obj, name):
    """The value as a reader sees it, in the interface language."""
    value = value_of(obj, name)
    if not is_known(value):
        return _("Okänt – källan säger inget")
    model_field = obj._meta.get_field(name)
    if model_field.choices:
        return label(obj, name)
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if name in ("fte", "employer_share"):
        return format_fte(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@dataclass
class Provenance:
    """A value and what supports it."""

    value: object
    text: str
    status: str
    citations: list = field(default_factory=list)
    prose: bool = False

    @property
    def interpretations(self):
        return [c for c in self.citations if c.interpretation]


def citations_for(obj, name):
    """The citations of `obj` (attached as `obj.cited`) that support field `name`."""
    cited = getattr(obj, "cited", None)
    if cited is None:
        cited = list(obj.citations.select_related("source").defer("source__text"))
        obj.cited = cited
    return [c for c in cited if c.field_name == name]


def label(obj, name):
    """The label of a choice field's value in the active language: `get_FOO_display`, cached."""
    model_field = obj._meta.get_field(name)
    value = getattr(obj, model_field.attname)
    return choice_labels(model_field, translation.get_language()).get(value, str(value))


def _status(obj, name):
    value = value_of(obj, name)
    citations = citations_for(obj, name)
    if not is_known(value):
        status = UNKNOWN
    elif not citations:
        status = MISSING
    elif all(c.interpretation for c in citations):
        status = INTERPRETED
    else:
        status = CITED
    return value, status, citations


def provenance(obj, name):
    value, status, citations = _status(obj, name)
    text = display(obj, name)
    field = obj._meta.get_field(name)
    # The registry's own words (a description, a legal basis), in Swedish on every page.
    prose = (
        is_known(value)
        and isinstance(field, (models.CharField, models.TextField))
        and not field.choices
    )
    if isinstance(obj, Claim) and name == "assessment" and is_known(value):
        # A judgement is its speaker's: never a bare "Missvisande" the registry seems to say.
        text = assessment_text(obj)
    return Provenance(value, text, status, citations, prose)


def is_interpretation(obj, name):
    """Is the value of field `name` the registry's reading of its source, not its words?"""
    return _status(obj, name)[1] == INTERPRETED


def text_with_mark(obj, name):
    """The value in words, marked when it is the registry's interpretation (for lists, CSV)."""
    text = display(obj, name)
    if is_interpretation(obj, name):
        return f"{text} ({_('registrets tolkning')})"
    return text


# Which citation field points at a record of each kind ("cooperation" for a Cooperation).
def _own_field(model):
    from .models.sources import CITABLE_FIELDS

    return next(name for name, kind in CITABLE_FIELDS.items() if kind is model)


def reading_filters(model, name):
    """Q filters (stated, interpreted, missing) that split records of `model` by how their
    field `name` is supported: the queryset twin of `_status` (and so of `is_interpretation`
    and the lists' marks), for totals. Stated: a citation says it; interpreted: every
    citation for it carries the registry's interpretation; missing: no citation at all."""
    from django.db.models import Q

    # `pk IN (the cited ids)`, not a correlated EXISTS: inside an aggregate's FILTER an EXISTS
    # is run once per row (the home page's totals over 100,000 procurements took a second),
    # an uncorrelated IN is hashed once per query.
    own = _own_field(model)
    cited = Citation.objects.filter(field_name=name, **{f"{own}__isnull": False}).values(own)
    plain = Q(pk__in=cited.filter(interpretation=""))
    anything = Q(pk__in=cited)
    return plain, anything & ~plain, ~anything


def split_by_reading(queryset, name, total=None):
    """{"stated": …, "interpreted": …, "missing": …}: the records of `queryset` counted (or,
    given `total`, that field summed) by how their field `name` is supported."""
    from django.db.models import Count, Sum

    stated, interpreted, missing = reading_filters(queryset.model, name)
    queryset = queryset.order_by()
    if total is None:
        # The cited records counted from the cited side (a few thousand citations), and one
        # count of all, not three filters over every row: 90 ms to about 25 ms at 100,000
        # procurements, for one query more.
        cited = queryset.filter(~missing).aggregate(
            cited=Count("pk"), stated=Count("pk", filter=stated)
        )
        everything = queryset.count()
        return {
            "stated": cited["stated"],
            "interpreted": cited["cited"] - cited["stated"],
            "missing": everything - cited["cited"],
        }
    result = queryset.aggregate(
        stated=Sum(total, filter=stated),
        interpreted=Sum(total, filter=interpreted),
        missing=Sum(total, filter=missing),
    )
    return {key: value or 0 for key, value in result.items()}


def split_loaded(objects, name):
    """`split_by_reading` with `total=name` for records already loaded with their citations
    (the rows a page shows): the values summed by how each is supported, as the rows mark
    them. A value the sources do not give counts nowhere."""
    keys = {CITED: "stated", INTERPRETED: "interpreted", MISSING: "missing"}
    split = dict.fromkeys(keys.values(), 0)
    for obj in objects:
        value, status, _citations = _status(obj, name)
        if status in keys:
            split[keys[status]] += value
    return split


def split_note(split, fte=False):
    """ "1 enligt källorna, 1 enligt registrets tolkning av dem": how a total that counts
    interpretations (split_by_reading, split_loaded) divides, for the parentheses after it;
    "registrets tolkning" when all of it is one; "" when the sources state it all."""
    stated, interpreted, missing = split["stated"], split["interpreted"], split["missing"]
    if not interpreted and not missing:
        return ""
    if not stated and not missing:
        return _("registrets tolkning")

    def shown(value):
        return format_fte(value) if fte else value

    parts = [
        _("%(count)s enligt källorna") % {"count": shown(stated)},
        _("%(count)s enligt registrets tolkning av dem") % {"count": shown(interpreted)},
    ]
    if missing:
        parts.append(_("%(count)s utan källa") % {"count": shown(missing)})
    return ", ".join(parts)


def unsupported_fields(obj):
    """The structured fields of `obj` that hold a value no citation supports."""
    return [
        name
        for name in PROVENANCE_FIELDS.get(type(obj), ())
        if provenance(obj, name).status == MISSING
    ]


# --- a share's place in its chain -----------------------------------------------------------


def state_text(commitment):
    """Where a share stands, in words no surer than its sources: "ersatt", "gäller från …",
    "avslutat …"; a share nothing has replaced is "senast kända", and "gäller nu
    (bekräftat …)" only when a dated source confirmed it within the configured period.

    The stored state ("current" in the API) is the same either way: it says the share is the
    latest in its chain, not that it is in force today.
    """
    if commitment.state() != StaffingCommitment.State.CURRENT:
        return str(commitment.state_display)
    citations_for(commitment, "fte")  # fetches and keeps `cited` where none were attached
    when = as_of(commitment.cited)
    if when.confirmed_now:
        return _("gäller nu (bekräftat %(date)s)") % {"date": when.oldest.isoformat()}
    return str(StaffingCommitment.State.CURRENT.label)


# --- financing ------------------------------------------------------------------------------


def financing_split(municipality):
    """How the known sum a municipality finances (from `public()`) divides by how its
    shares are supported, as split_by_reading divides a total; None where the sum is not
    known (financed_fte): nothing of an unknown is zero."""
    if financed_fte(municipality) is None:
        return None
    known = municipality.current_financed_fte or 0
    stated = municipality.financed_fte_stated or 0
    interpreted = municipality.financed_fte_interpreted or 0
    return {"stated": stated, "interpreted": interpreted, "missing": known - stated - interpreted}


def financing_text(municipality):
    """What a municipality pays for posts, as far as the sources say (from `public()`); a
    share that is the registry's reading of its source says so, as it does in the rows."""
    known = municipality.current_financed_fte or 0
    split = financing_split(municipality)
    note = split_note(split, fte=True) if known and split else ""
    note = f" ({note})" if note else ""
    if municipality.own_share_unknown:
        if known:
            return _("%(posts)s, och en okänd egen andel av tjänster hos kommunen") % {
                "posts": format_fte_posts(known) + note
            }
        return _(
            "Okänt – källan anger inte kommunens egen andel av de tjänster som andra medfinansierar"
        )
    return format_fte(known) + note if known else _("Ingen registrerad")


def financed_fte(municipality):
    """The known total, or None when it is not known (an unknown own share)."""
    if municipality.own_share_unknown and not municipality.current_financed_fte:
        return None
    return municipality.current_financed_fte or 0


# --- who said it ----------------------------------------------------------------------------


def speaker(source):
    """ "Caroline Dieker (M), kommunstyrelsens ordförande", or the document if it has no author."""
    if not source.author:
        return str(source)
    name = source.author + (f" ({source.author_party})" if source.author_party else "")
    role = source.author_role
    return f"{name}, {role[:1].lower()}{role[1:]}" if role else name


def attribution(obj, name):
    """Who made the judgement in field `name`: "enligt Caroline Dieker (M), …", or ""."""
    speakers = []
    for citation in citations_for(obj, name):
        who = speaker(citation.source)
        if who not in speakers:
            speakers.append(who)
    if not speakers:
        return ""
    return _("enligt %(speakers)s") % {"speakers": _(" och ").join(speakers)}


def assessment_text(claim):
    """ "Missvisande enligt Caroline Dieker (M), kommunstyrelsens ordförande": never bare."""
    said = attribution(claim, "assessment")
    label = claim.get_assessment_display()
    if claim.assessment == Claim.Assessment.UNASSESSED or not said:
        return label
    return f"{label} {said}"


# --- as of when -----------------------------------------------------------------------------


@dataclass
class AsOf:
    """The newest date of the sources behind some facts, and whether that counts as now."""

    date: datetime.date | None
    sources: list

    @property
    def oldest(self):
        """The oldest source date, or None when any source is undated: how far back the
        weakest of these facts reaches. `date` (the newest) is when they were last confirmed."""
        dates = [source.date for source in self.sources]
        return None if not dates or None in dates else min(dates)

    @property
    def confirmed_now(self):
        # "Now" only when every source behind the facts is dated and recent: one recent
        # protocol beside an undated answer confirms what it cites, not the rest.
        if self.oldest is None:
            return False
        window = datetime.timedelta(days=settings.REGISTRY_CONFIRMED_WITHIN_DAYS)
        return self.oldest >= timezone.localdate() - window

    @property
    def undated(self):
        return self.date is None

    @property
    def text(self):
        """ "enligt en odaterad källa", "enligt källan från 2025-11-20", "nu (bekräftat …)"."""
        if not self.sources:
            return _("källa saknas")
        if self.confirmed_now:
            return _("nu (bekräftat %(date)s)") % {"date": self.oldest.isoformat()}
        if self.date is None:
            return _("enligt en odaterad källa")
        if self.oldest is None:
            return _("delvis enligt en odaterad källa, senast bekräftat %(date)s") % {
                "date": self.date.isoformat()
            }
        return _("enligt källa daterad %(date)s") % {"date": self.date.isoformat()}


def as_of(citations):
    # By id, in order of first citation: `in` on a list compared model instances one by one,
    # quadratic in the 40-odd sources a municipality's record can rest on.
    by_id = {}
    for citation in citations:
        by_id.setdefault(citation.source_id, citation.source)
    return sources_as_of(by_id.values())


def sources_as_of(sources):
    """As of when facts resting on these sources hold: the newest source date, if any."""
    sources = list(sources)
    dates = [s.date for s in sources if s.date]
    return AsOf(max(dates) if dates else None, sources)


def record_as_of(*objects):
    """As of when the facts about these records hold: from all their attached citations."""
    citations = [c for obj in objects for c in (getattr(obj, "cited", None) or [])]
    return as_of(citations)


# What a record's facts rest on: the citations about the record itself and about the rows
# under it, by kind of record. A municipality's record counts its relations (parties), what it
# finances and employs, and what it claimed or buys.
ABOUT_RECORD = {
    Cooperation: (
        "cooperation",
        "party__cooperation",
        "commitment__cooperation",
        "objection__cooperation",
        "agreement_version__cooperation",
        "proposal__cooperation",
    ),
    PlannedProcurement: ("procurement", "buyer__procurement"),
    ProcurementBuyer: ("buyer",),
    Municipality: (
        "municipality",
        "party__municipality",
        "commitment__financer",
        "commitment__post__employer",
        "post__employer",
        "claim__made_by",
        "procurement__buyers__municipality",
        "buyer__municipality",
    ),
}


def cite_records(records):
    """Fetch, in two queries, the citations about `records` (all of one kind) and the rows under
    them. Each record gets `about`: those citations (its facts are `as_of(record.about)`) and
    `cited`: its own. Returns the citations, to attach to the rows with `attach_citations`.
    """
    records = list(records)
    if not records:
        return []
    paths = ABOUT_RECORD[type(records[0])]
    ids = {r.pk for r in records}
    # Which citation is about which record, one indexed query per path in a UNION, then the
    # citations by id. One query with an OR over the joined paths made PostgreSQL join every
    # citation (15,000 at national scale) to every path's table before filtering: 50 ms for a
    # page of cooperations, 300 ms for a page of municipalities. The pairs come back as
    # tuples: joining the paths into the citations' query gave one model instance per path
    # row (3,600 rows for 2,100 citations on a page of municipalities, each procurement once
    # per buyer), and building those was most of that page's time.
    per_path = [
        Citation.objects.filter(**{f"{path}__in": ids}).order_by().values_list("pk", path)
        for path in paths
    ]
    records_of = defaultdict(list)
    for citation_id, record_id in per_path[0].union(*per_path[1:]):
        records_of[citation_id].append(record_id)
    if not records_of:
        for record in records:
            record.about, record.cited = [], []
        _cite_buyers(records, [])
        return []
    citations = list(Citation.objects.for_display().filter(pk__in=records_of))
    about = defaultdict(list)
    for citation in citations:
        for record_id in records_of[citation.pk]:
            about[record_id].append(citation)
    own = f"{paths[0]}_id"
    for record in records:
        record.about = about[record.pk]
        record.cited = [c for c in record.about if getattr(c, own) == record.pk]
    _cite_buyers(records, citations)
    return citations


def _cite_buyers(records, citations):
    """Who buys has its own citations: spread them over procurements' buyers already fetched,
    so that marking a buyer as an interpretation costs no query per buyer."""
    if not isinstance(records[0], PlannedProcurement):
        return
    buyers = [
        buyer
        for record in records
        if "buyers" in getattr(record, "_prefetched_objects_cache", {})
        for buyer in record.buyers.all()
    ]
    attach_citations(citations, buyer=buyers)


def attach_as_of(records):
    """Give each of `records` (all of one kind) `row_as_of`: as of when its facts hold, from the
    sources of the citations about it and the rows under it, as `cite_records` would give it,
    without building the citations: what a list page says per row, like its CSV."""
    records = list(records)
    if not records:
        return records
    paths = ABOUT_RECORD[type(records[0])]
    ids = {r.pk for r in records}
    per_path = [
        Citation.objects.filter(**{f"{path}__in": ids}).order_by().values_list(path, "source_id")
        for path in paths
    ]
    sources_of = defaultdict(set)
    for record_id, source_id in per_path[0].union(*per_path[1:]):
        sources_of[record_id].add(source_id)
    wanted = set().union(*sources_of.values())
    sources = SourceDocument.objects.only("slug", "title", "date", "date_note").in_bulk(wanted)
    for record in records:
        # In the order `as_of(record.about)` names them: by title, as citations are shown.
        mine = sorted((sources[pk] for pk in sources_of[record.pk]), key=_by_title)
        record.row_as_of = sources_as_of(mine)
    return records


def _by_title(source):
    return source.title, source.pk


def cite_own(records):
    """Give each of `records` (all of one kind) `cited`: its own citations, no more.

    What a list's interpretation marks read (`is_interpretation`). `cite_records` also
    fetches what the rows under each record cite, with the sources, for "as of": a list page
    shows neither, and on a page of cooperations that was most of the citations it built.
    """
    records = list(records)
    if not records:
        return []
    own = ABOUT_RECORD[type(records[0])][0]
    citations = (
        Citation.objects.filter(**{f"{own}__in": [r.pk for r in records]})
        .order_by()
        .only(own, "field_name", "interpretation")
    )
    return attach_citations(list(citations), **{own: records})


# --- levels in words ------------------------------------------------------------------------


def party_text(party):
    """ "Askersund (Avtal ingånget, från 2027-01-01)": who, how far bound and, where known,
    from and until when (the page's `period_display`), never bare."""
    details = [party.get_level_display()]
    if party.period_display:
        details.append(party.period_display)
    return f"{party.municipality.name} ({', '.join(details)})"


def split_parties(parties):
    """(bound parties, other municipalities the sources name), each in the given order."""
    parties = list(parties)
    return [p for p in parties if p.is_bound], [p for p in parties if not p.is_bound]


# --- citations on a page --------------------------------------------------------------------


def passage_name(citation):
    """ "”Hallsberg har genom avtalet … åt de bägge grannkommunerna”": which words a link cites.

    Short enough to hear in a list of links, yet two passages of one page differ in it: a long
    quote keeps its first and its last words, since passages often begin alike.
    """
    words = citation.display_quote.split()
    if len(words) > 12:
        words = [*words[:6], "…", *words[-4:]]
    # A quote within the quote takes the single mark, as Swedish nests them: a passage that
    # ends with a quotation of its own read "upphandling.””" to a screen reader.
    return f"”{' '.join(words).replace('”', '’')}”"


def _passage(citation):
    """What identifies the words a citation cites: two citations of the same words share it."""
    if citation.start is None:
        return (citation.source_id, citation.pk)
    return (citation.source_id, citation.start, citation.end)


def distinct_passages(citations):
    """The citations, one per passage: several facts citing the same words need one link."""
    seen = {}
    for citation in citations:
        seen.setdefault(_passage(citation), citation)
    return list(seen.values())


@dataclass
class QuotedPassage:
    """A quote shown once on a page, with the citations whose words lie within it."""

    citation: Citation
    within: list = field(default_factory=list)


def quoted_passages(citations):
    """The page's quotes, each once: a quote that lies within another (or repeats it) is shown
    as part of it. In the order of the sources, and of the text within each source.

    Quotes that only overlap are both shown: nothing a fact cites is left out.
    """
    by_source = defaultdict(list)
    for citation in citations:
        by_source[citation.source_id].append(citation)
    shown = []
    for cited in by_source.values():
        placed = [c for c in cited if c.start is not None]
        shown += [QuotedPassage(c, [c]) for c in cited if c.start is None]
        widest = None
        for citation in sorted(placed, key=lambda c: (c.start, -c.end, c.key)):
            # Sorted by start, widest first: a quote lies within an earlier one exactly when it
            # ends before the furthest-reaching quote so far does.
            if widest is not None and citation.end <= widest.citation.end:
                widest.within.append(citation)
                continue
            passage = QuotedPassage(citation, [citation])
            shown.append(passage)
            if widest is None or citation.end > widest.citation.end:
                widest = passage
    return shown
