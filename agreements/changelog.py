"""The public change log: what changed, in words, grouped by change. Never who.

A cooperation's log tells the changes to the cooperation and to the rows that belong under
it (its parties, agreement versions, commitments, proposals, objections and their
citations); a procurement's, those to it, its buyers and its citations. The history rows
one change wrote (an admin save with three inline rows) share a `change_group` id and read
as one event, as in NetBox's change log.
The Atom feed is made of the same events.

Staff who edit are personal data (GDPR); their names stay in the admin's history.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .formats import format_amount, format_fte
from .models import (
    AgreementVersion,
    Citation,
    Cooperation,
    Municipality,
    Objection,
    Party,
    PlannedProcurement,
    Post,
    ProcurementBuyer,
    Proposal,
    StaffingCommitment,
)
from .models.cooperations import period_words

# Fields a reader does not need: bookkeeping, and the link to the owner the log is about.
HIDDEN_FIELDS = {
    "id",
    "version",
    "updated_at",
    "search_document",
    "sequence",
    "cooperation",
    "procurement",
}
# Money, told as the record's page shows it: whole units, grouped.
AMOUNT_FIELDS = {"estimated_value"}
LIMIT = 20  # events on a page
WINDOW = 500  # history rows read per model: enough for LIMIT events, bounded at any scale


@dataclass
class Kind:
    """How a model's rows are named in the log, in Swedish with the right gender."""

    added: str
    removed: str
    changed: str


KINDS = {
    Party: Kind(gettext_lazy("Part tillagd"), gettext_lazy("Part borttagen"),
                gettext_lazy("Part ändrad")),
    StaffingCommitment: Kind(gettext_lazy("Finansieringsåtagande tillagt"),
                             gettext_lazy("Finansieringsåtagande borttaget"),
                             gettext_lazy("Finansieringsåtagande ändrat")),
    AgreementVersion: Kind(gettext_lazy("Avtalsversion tillagd"),
                           gettext_lazy("Avtalsversion borttagen"),
                           gettext_lazy("Avtalsversion ändrad")),
    Proposal: Kind(gettext_lazy("Förslag tillagt"), gettext_lazy("Förslag borttaget"),
                   gettext_lazy("Förslag ändrat")),
    Objection: Kind(gettext_lazy("Invändning tillagd"), gettext_lazy("Invändning borttagen"),
                    gettext_lazy("Invändning ändrad")),
    ProcurementBuyer: Kind(gettext_lazy("Köpare tillagd"), gettext_lazy("Köpare borttagen"),
                           gettext_lazy("Köpare ändrad")),
    Citation: Kind(gettext_lazy("Källhänvisning tillagd"),
                   gettext_lazy("Källhänvisning borttagen"),
                   gettext_lazy("Källhänvisning ändrad")),
}  # fmt: skip


@dataclass
class Event:
    """One change of one record, told as a line: "Part tillagd: Askersund (Deltagare)"."""

    text: str
    changes: list = field(default_factory=list)  # [(label, old, new)]


@dataclass
class Entry:
    """One change as a reader sees it: when, to which record, and what happened."""

    date: object
    owner: object
    kind: str
    events: list
    removed: bool = False  # the owner is gone: named as it was last, it has no page

    @property
    def summary(self):
        """All of it in one paragraph, for feeds."""
        parts = []
        for event in self.events:
            details = "; ".join(
                _("%(label)s: ”%(old)s” → ”%(new)s”") % {"label": label, "old": old, "new": new}
                for label, old, new in event.changes
            )
            parts.append(f"{event.text} ({details})" if details else event.text)
        return ". ".join([self.kind, *parts]) + "."


class _Names:
    """Display names of the rows history rows point at: one query per model, only for the
    rows a line actually names, and only the name column."""

    def __init__(self):
        self.wanted = defaultdict(set)
        self.names = {}

    def want(self, model, pk):
        if pk is not None:
            self.wanted[model].add(pk)

    def load(self):
        for model, pks in self.wanted.items():
            column = next(
                (c for c in ("name", "title") if any(f.name == c for f in model._meta.fields)),
                None,
            )
            if column is None:
                continue  # named by kind and number below
            for pk, name in model._default_manager.filter(pk__in=pks).values_list("pk", column):
                self.names[(model, pk)] = name

    def get(self, model, pk):
        if pk is None:
            return "–"
        return self.names.get((model, pk)) or f"{model._meta.verbose_name} {pk}"


def _fields(historical_model):
    model = historical_model.instance_type
    return [f for f in model._meta.concrete_fields if f.name not in HIDDEN_FIELDS]


def _value(record, f, names):
    if f.is_relation:
        return names.get(f.related_model, getattr(record, f.attname))
    value = getattr(record, f.attname)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if value in (None, ""):
        return "–"
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if f.name == "fte":
        return format_fte(value)
    if f.name in AMOUNT_FIELDS:
        return format_amount(value)
    if isinstance(value, Decimal):
        return format_fte(value)
    return str(value)


def _subject(record, names):
    """What a related row is, in a few words."""
    model = record.instance_type
    if model is Party:
        # The level the source states, never just a role: "Askersund (Muntlig ambition, …)".
        details = [record.get_level_display()]
        if record.role:
            details.append(record.get_role_display().lower())
        period = period_words(record.start_date, record.end_date)  # as the page says it
        if period:
            details.append(period)
        return f"{names.get(Municipality, record.municipality_id)} ({', '.join(details)})"
    if model is AgreementVersion:
        # "version 3, Ny part ansluter, från 2027-01-01"
        details = [_("version %(n)s") % {"n": record.sequence}, record.get_kind_display()]
        if record.date:
            details.append(_("från %(date)s") % {"date": record.date.isoformat()})
        return ", ".join(details)
    if model is StaffingCommitment:
        text = _("%(financer)s, %(fte)s av ”%(post)s”") % {
            "financer": names.get(Municipality, record.financer_id),
            "fte": format_fte(record.fte) if record.fte is not None else _("okänd andel"),
            "post": names.get(Post, record.post_id),
        }
        if record.start_date:
            text += " " + _("från %(date)s") % {"date": record.start_date.isoformat()}
        if record.end_date:
            text += " " + _("till %(date)s") % {"date": record.end_date.isoformat()}
        return text
    if model is ProcurementBuyer:
        name = names.get(Municipality, record.municipality_id)
        return f"{name} ({_('samordnande')})" if record.is_lead else name
    if model is Citation:
        quote = " ".join(record.quote.split())
        return _("”%(quote)s”") % {"quote": quote if len(quote) <= 80 else quote[:77] + "…"}
    text = str(getattr(record, "argument", "") or getattr(record, "summary", "") or "")
    return text if len(text) <= 80 else text[:77] + "…"


SUBJECT_NAMES = {
    Party: [("municipality_id", Municipality)],
    StaffingCommitment: [("financer_id", Municipality), ("post_id", Post)],
    ProcurementBuyer: [("municipality_id", Municipality)],
}


def _want_names(pairs, names):
    """The names the lines will show: of subjects, and of links that changed."""
    for record, previous in pairs:
        for attname, model in SUBJECT_NAMES.get(record.instance_type, ()):
            names.want(model, getattr(record, attname))
        if previous is None:
            continue
        for f in _fields(type(record)):
            if f.is_relation and getattr(record, f.attname) != getattr(previous, f.attname):
                names.want(f.related_model, getattr(record, f.attname))
                names.want(f.related_model, getattr(previous, f.attname))


def _group_key(record):
    if record.change_group:
        return str(record.change_group)
    # History from before changes were grouped: one editor's rows in the same second.
    return (record.history_user_id, record.history_date.replace(microsecond=0))


def _with_previous(records):
    """(record, the same row's previous history record or None), newest first."""
    by_row = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        by_row[(record.instance_type, record.id)].append(record)
    pairs = []
    for rows in by_row.values():
        pairs += [(r, rows[i - 1] if i else None) for i, r in enumerate(rows)]
    return pairs


def _by_change(pairs):
    """(record, previous) pairs per change group and owner."""
    grouped = defaultdict(list)
    for record, previous in pairs:
        grouped[(_group_key(record), record.owner)].append((record, previous))
    return grouped


def _diff(record, previous, names):
    if previous is None:
        return []
    return [
        (capfirst(str(f.verbose_name)), old, new)
        for f in _fields(type(record))
        if (old := _value(previous, f, names)) != (new := _value(record, f, names))
    ]


def _entries(pairs, names):
    entries = []
    for (_key, owner), items in _by_change(pairs).items():
        own = [(r, p) for r, p in items if r.instance_type in (Cooperation, PlannedProcurement)]
        related = [(r, p) for r, p in items if (r, p) not in own]
        date = max(r.history_date for r, _p in items)
        if any(r.history_type == "+" for r, _p in own):
            # The record was registered in this change; its rows are part of that.
            entries.append(Entry(date, owner, _("Registrerad"), []))
            continue
        if any(r.history_type == "-" for r, _p in own):
            entries.append(Entry(date, owner, _("Borttagen"), []))
            continue
        events = []
        for record, previous in own:
            changes = _diff(record, previous, names)
            if changes:
                events.append(Event(_("Uppgifterna ändrade"), changes))
        for record, previous in sorted(related, key=lambda rp: rp[0].history_date):
            kind = KINDS[record.instance_type]
            subject = _subject(record, names)
            if record.history_type == "+":
                events.append(Event(f"{kind.added}: {subject}"))
            elif record.history_type == "-":
                events.append(Event(f"{kind.removed}: {subject}"))
            elif changes := _diff(record, previous, names):
                events.append(Event(f"{kind.changed}: {subject}", changes))
        if events:
            entries.append(Entry(date, owner, _("Ändrad"), events))
    entries.sort(key=lambda e: e.date, reverse=True)
    return entries


def _recent(queryset, until=None):
    if until is not None:
        # History up to the end of a digest's period: the rows of the period and, for
        # the changes' old values, the rows before it.
        queryset = queryset.filter(history_date__lt=until)
    return list(queryset.order_by("-history_date", "-history_id")[:WINDOW])


def _owned(records, owner_model, attribute):
    for record in records:
        record.owner = (owner_model, getattr(record, attribute))
    return records


# The rows under a cooperation, by the name of Citation's foreign key to them.
UNDER_COOPERATION = {
    "party": Party,
    "agreement_version": AgreementVersion,
    "commitment": StaffingCommitment,
    "proposal": Proposal,
    "objection": Objection,
}


def _citations(condition, until=None):
    """Citation history matching `condition`, each with the cooperation or procurement it
    documents (through the party, commitment or objection it is about)."""
    records = _recent(Citation.history.filter(condition), until)
    parents = {}
    for name, model in UNDER_COOPERATION.items():
        ids = {getattr(r, f"{name}_id") for r in records} - {None}
        if ids:
            parents[name] = dict(
                model.history.filter(id__in=ids).values_list("id", "cooperation_id")
            )
    for record in records:
        record.owner = None
        if record.cooperation_id:
            record.owner = (Cooperation, record.cooperation_id)
        elif record.procurement_id:
            record.owner = (PlannedProcurement, record.procurement_id)
        for name, mapping in parents.items():
            if getattr(record, f"{name}_id") in mapping:
                record.owner = (Cooperation, mapping[getattr(record, f"{name}_id")])
    return [r for r in records if r.owner is not None]


def _about_cooperations(ids):
    """Citations about these cooperations or the rows under them (all when `ids` is None)."""
    if ids is None:
        condition = Q(cooperation_id__isnull=False)
        for name in UNDER_COOPERATION:
            condition |= Q(**{f"{name}_id__isnull": False})
        return condition
    condition = Q(cooperation_id__in=ids)
    for name, model in UNDER_COOPERATION.items():
        rows = model.history.filter(cooperation_id__in=ids).values("id")
        condition |= Q(**{f"{name}_id__in": rows})
    return condition


def _cooperation_records(ids=None, until=None):
    """History of cooperations (all, or `ids`) and of the rows under them."""
    own = Cooperation.history.all() if ids is None else Cooperation.history.filter(id__in=ids)
    under = {} if ids is None else {"cooperation_id__in": ids}
    return [
        *_owned(_recent(own, until), Cooperation, "id"),
        *(
            record
            for model in UNDER_COOPERATION.values()
            for record in _owned(_recent(model.history.filter(**under), until), Cooperation,
                                 "cooperation_id")
        ),
    ]  # fmt: skip


def _procurement_records(ids=None, until=None):
    own = PlannedProcurement.history.all()
    buyers = ProcurementBuyer.history.all()
    if ids is not None:
        own, buyers = own.filter(id__in=ids), buyers.filter(procurement_id__in=ids)
    return [
        *_owned(_recent(own, until), PlannedProcurement, "id"),
        *_owned(_recent(buyers, until), PlannedProcurement, "procurement_id"),
    ]


def _finish(records):
    names = _Names()
    pairs = _with_previous(records)
    _want_names(pairs, names)
    names.load()
    return _entries(pairs, names)


def change_log(obj, limit=LIMIT):
    """Newest first: the changes to a cooperation or a procurement and the rows under it."""
    if isinstance(obj, Cooperation):
        records = [*_cooperation_records([obj.pk]), *_citations(_about_cooperations([obj.pk]))]
    else:
        records = [*_procurement_records([obj.pk]), *_citations(Q(procurement_id=obj.pk))]
    return _finish(records)[:limit]


def recent_changes(limit=LIMIT, municipality=None):
    """The latest changes across the registry (or those about one municipality), for feeds.

    Each entry's `owner` is the cooperation or procurement itself.
    """
    coop_ids = proc_ids = None
    if municipality is not None:
        coop_ids = list(
            Party.objects.filter(municipality=municipality).values_list("cooperation_id", flat=True)
        )
        proc_ids = list(
            ProcurementBuyer.objects.filter(municipality=municipality).values_list(
                "procurement_id", flat=True
            )
        )
    return changes_about(coop_ids, proc_ids, limit=limit)


def changes_about(coop_ids, proc_ids, limit=LIMIT, since=None, until=None, removed=False):
    """The changes to these cooperations and procurements (ids, a query of ids, or None for
    all), newest first; with `since` and `until`, those made in that period (e-mail digests).

    Each entry's `owner` is the cooperation or procurement itself. The changes to one removed
    since are left out, unless `removed`: then its owner is the record as it was last (from
    its history), and the entry says `removed`.
    """
    about_procurements = (
        Q(procurement_id__isnull=False) if proc_ids is None else Q(procurement_id__in=proc_ids)
    )
    records = [
        *_cooperation_records(coop_ids, until),
        *_procurement_records(proc_ids, until),
        *_citations(_about_cooperations(coop_ids) | about_procurements, until),
    ]
    entries = _finish(records)
    if since is not None:
        entries = [entry for entry in entries if entry.date >= since]
    entries = entries[:limit]
    # The records themselves, for titles and links: one query per kind.
    wanted = defaultdict(set)
    for entry in entries:
        wanted[entry.owner[0]].add(entry.owner[1])
    found = {
        (model, obj.pk): obj
        for model, pks in wanted.items()
        for obj in model._default_manager.filter(pk__in=pks)
    }
    gone = {key for key in {entry.owner for entry in entries} if key not in found}
    if removed and gone:
        for model in {model for model, _pk in gone}:
            pks = [pk for m, pk in gone if m is model]
            for record in model.history.filter(id__in=pks).order_by("id", "history_date"):
                found[(model, record.id)] = record.instance  # the last one stays
    for entry in entries:
        entry.removed = entry.owner in gone
        entry.owner = found.get(entry.owner)
    return [entry for entry in entries if entry.owner is not None]
