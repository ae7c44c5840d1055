"""The change feed: every created, changed and deleted public record, in commit order.

What it records
---------------
The API's resources (municipalities, cooperations, procurements, sources, citations) are
documents built from many rows: a cooperation's shows its parties, its commitments with their
posts and financers, the citations behind each fact and those citations' sources. A write to any
of those rows changes the document. `RESOURCES` says, per resource, which models its detail
representation (agreements/api/serializers.py) embeds and how to get from a row of each to the
records that show it; it is the one dependency map, and tests/test_change_feed.py checks it by
comparing every representation before and after edits with what the feed announced.

Every write path records: post_save/post_delete/m2m_changed fire for forms, the admin, reverts,
commands, `loaddata`'s raw saves and cascades. The rows a change touches are collected, and at
the end of the change (`rules.at_end_of_change`: after an admin save with its inline rows, a
revert, a fixture load; at once for a lone save) the records they affect are looked up and one
entry per record is written, in the same transaction: `created` for a record the feed has not
announced under that key, `changed` for one it has, `deleted` for one that is gone or whose key
(its slug; a citation's "<source>.<key>") changed, whose new key is then `created`. Rows read
before a save or delete (pre_save, pre_delete) catch the records a row is moved away from or
leaves behind. Non-public models (error reports, history, users, the log itself) are in no
resource's map, so they never appear.

Entries hold no copy of the record: the feed serves each record as the API serves it when the
page is read. So only the newest entry per record and key means anything, and an entry replaces
the earlier ones for its key (the log is compacted): a client that follows the feed from the
start reads each record once, plus a `deleted` entry for each key that went away (kept, so a
client that was away learns it). Applying `created` and `changed` as "store this record" and
`deleted` as "remove it" rebuilds what the API serves.

Why (generation, id) is commit order
------------------------------------
Ids and timestamps are taken when a row is inserted, not when it commits: T1 inserts id 10, T2
inserts id 11 and commits, a reader reads past 11, T1 commits, and id 10 is never read. So each
entry also carries the registry's generation (agreements.cache.PageGeneration). Every write of
a record's row bumps it (`cache.bump()`, in the writing transaction), which updates that one
row and so holds its row lock until the transaction ends; the feed locks the same row again
(FOR UPDATE) before it reads what it announced and writes its entries, and stamps them with the
value it reads. While T1 holds the lock, T2 waits, and then reads or increments the value T1
committed. So a transaction's entries are stamped with a generation no lower than that of every
transaction that committed before it took the lock, and lower than that of every transaction
that takes it later (which bumps first); two transactions share a generation only when the later
one wrote in autocommit mode and then its ids, taken after the lock, are the higher. Ordering by
(generation, id) is therefore commit order: a reader that has seen an entry has seen every
committed entry before it, and everything that commits later comes after its cursor.
(On SQLite a write transaction locks the whole database, which serializes writers anyway.)
A write made outside a transaction (autocommit) records its entries in their own transaction
after the write has committed: later than the write, never earlier, so nothing is missed.
"""

import threading
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import Max
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from . import cache, facts, rules

CREATED, CHANGED, DELETED = "created", "changed", "deleted"
CHUNK = 500  # ids per query: bounded IN lists on every backend


@dataclass(frozen=True)
class Resource:
    """An API resource as the feed sees it: its records, their key, and what they embed."""

    name: str  # as in the API's address: /api/v1/<name>/
    model: str  # "agreements.Municipality"
    key_fields: tuple  # joined with "." into the key the API's detail address takes
    basename: str  # the API route's basename, for the detail address
    # Model -> paths from a row of that model to the records of this resource that embed it.
    # "pk" is the record itself.
    embeds: dict

    def key_of(self, values):
        return ".".join(str(v) for v in values)


def _via_citations(paths):
    return tuple(f"citations__{p}" for p in paths)


def _resources():
    from .models import Cooperation, Municipality, PlannedProcurement

    # What each record's `as_of` and `provenance` rest on: the citations about it and the rows
    # under it (facts.ABOUT_RECORD), and through them their sources (date, author, slug).
    about = {model: facts.ABOUT_RECORD[model] for model in facts.ABOUT_RECORD}
    cooperation, municipality = about[Cooperation], about[Municipality]
    procurement = about[PlannedProcurement]
    return [
        Resource(
            "municipalities",
            "agreements.Municipality",
            ("slug",),
            "municipality",
            {
                "Municipality": ("pk",),
                "County": ("municipalities",),
                # counts, relations, and the relation's cooperation (slug, name, page)
                "Party": ("municipality",),
                "Cooperation": ("parties__municipality",),
                # what it finances, and the posts it employs that others co-finance
                "StaffingCommitment": ("financer", "post__employer"),
                "Post": ("employer",),
                "Claim": ("made_by",),
                "ProcurementBuyer": ("municipality",),
                "Citation": municipality,
                "SourceDocument": _via_citations(municipality),
            },
        ),
        Resource(
            "cooperations",
            "agreements.Cooperation",
            ("slug",),
            "cooperation",
            {
                # led_to/arose_from, a version's prompted_by and a proposal's proposed_in name
                # other cooperations by slug
                "Cooperation": (
                    "pk",
                    "led_to",
                    "arose_from",
                    "prompted_versions__cooperation",
                    "proposals_made__cooperation",
                    "versions__prompted_by",
                    "proposals__proposed_in",
                ),
                "Municipality": (
                    "hosted_cooperations",
                    "kept_cooperations",
                    "parties__cooperation",
                    "financed_commitments__cooperation",
                    "posts__commitments__cooperation",
                    "objections__cooperation",
                    "proposals__cooperation",
                ),
                "Party": ("cooperation",),
                # a commitment's key names the one it replaced, and the one replacing it
                "StaffingCommitment": (
                    "cooperation",
                    "supersedes__cooperation",
                    "superseded_by__cooperation",
                ),
                "Post": ("commitments__cooperation",),
                "Objection": ("cooperation",),
                # a study lists the versions and proposals it led to (prompted_versions,
                # proposals_made)
                "AgreementVersion": ("cooperation", "commitments__cooperation", "prompted_by"),
                "Proposal": ("cooperation", "proposed_in"),
                # the posts of its commitments carry their own provenance
                "Citation": (*cooperation, "post__commitments__cooperation"),
                "SourceDocument": _via_citations((*cooperation, "post__commitments__cooperation")),
            },
        ),
        Resource(
            "procurements",
            "agreements.PlannedProcurement",
            ("slug",),
            "procurement",
            {
                "PlannedProcurement": ("pk",),
                "ProcurementBuyer": ("procurement",),
                "Municipality": ("procurement_roles__procurement",),
                "Cooperation": ("procurements",),
                "Citation": procurement,
                "SourceDocument": _via_citations(procurement),
            },
        ),
        Resource(
            "sources",
            "agreements.SourceDocument",
            ("slug",),
            "source",
            {"SourceDocument": ("pk",), "Municipality": ("sources",)},
        ),
        Resource(
            "citations",
            "agreements.Citation",
            ("source__slug", "key"),
            "citation",
            {
                "Citation": ("pk",),
                # the key, and the position that moves with the source's text
                "SourceDocument": (
                    "citations",
                    # what a citation supports is addressed by natural key and page address,
                    # which name the records above it
                    "answered_interpellations__citations",
                    "answered_interpellations__questions__citations",
                ),
                "Municipality": (
                    "citations",
                    "parties__citations",
                    "posts__citations",
                    "posts__commitments__citations",
                    "financed_commitments__citations",
                    "claims__citations",
                    "interpellations__citations",
                    "interpellations__questions__citations",
                ),
                "Cooperation": (
                    "citations",
                    "parties__citations",
                    "objections__citations",
                    "versions__citations",
                    "proposals__citations",
                    "commitments__citations",
                ),
                "Party": ("citations",),
                "AgreementVersion": ("citations",),
                "Proposal": ("citations",),
                "Objection": ("citations",),
                "Claim": ("citations",),
                "Post": ("citations", "commitments__citations"),
                "StaffingCommitment": ("citations",),
                "PlannedProcurement": ("citations",),
                "Interpellation": ("citations", "questions__citations"),
                "InterpellationQuestion": ("citations",),
            },
        ),
    ]


_registry = {}


def resources():
    """{name: Resource}, in the order the API lists them."""
    if not _registry:
        _registry.update({r.name: r for r in _resources()})
    return _registry


def resource_named(name):
    return resources()[name]


def _tracked():
    """{model class: [(resource, paths)]}: the rows whose writes the feed follows."""
    if "tracked" not in _tracked_cache:
        tracked = defaultdict(list)
        for resource in resources().values():
            for model_name, paths in resource.embeds.items():
                tracked[global_apps.get_model("agreements", model_name)].append((resource, paths))
        _tracked_cache["tracked"] = dict(tracked)
    return _tracked_cache["tracked"]


_tracked_cache = {}


# --- which records a row's write affects -------------------------------------------------------


def affected(model, pks, using=None):
    """{resource name: {record ids}} whose representation shows one of the rows `pks` of
    `model`, as the rows stand in the database now."""
    found = defaultdict(set)
    pks = sorted(pk for pk in pks if pk is not None)
    for resource, paths in _tracked().get(model, ()):
        if "pk" in paths:
            found[resource.name].update(pks)
        through = [p for p in paths if p != "pk"]
        if not through:
            continue
        rows = model._base_manager.using(using)
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            queries = [
                rows.filter(pk__in=chunk).order_by().values_list(path, flat=True)
                for path in through
            ]
            ids = queries[0].union(*queries[1:]) if len(queries) > 1 else queries[0]
            found[resource.name].update(pk for pk in ids if pk is not None)
    return found


# --- collecting a change's writes ------------------------------------------------------------

_loose = threading.local()  # writes outside a rules.checked_writes() change


class _Pending:
    def __init__(self):
        self.rows = defaultdict(set)  # model -> ids saved: affected records looked up at the end
        self.records = defaultdict(set)  # resource name -> ids already known to be affected
        self.using = None

    def __bool__(self):
        return bool(self.rows or self.records)


def _pending():
    scratch = rules.change_scratch()
    if scratch is not None:
        return scratch.setdefault("changefeed", _Pending())
    if getattr(_loose, "pending", None) is None:
        _loose.pending = _Pending()
    return _loose.pending


_suspended = threading.local()


class suspended:
    """Record nothing inside (bulk loads that call `reconcile()` afterwards instead)."""

    def __enter__(self):
        self.before = getattr(_suspended, "on", False)
        _suspended.on = True

    def __exit__(self, *exc):
        _suspended.on = self.before


def _follows(sender):
    return (
        not getattr(_suspended, "on", False)
        # Migrations' historical models: their tables may not match (see reconcile()).
        and sender._meta.apps is global_apps
        and sender in _tracked()
    )


def _remember_old(model, pks, using):
    pending = _pending()
    pending.using = using
    for name, ids in affected(model, pks, using).items():
        pending.records[name] |= ids


def _remember_new(model, pks, using):
    pending = _pending()
    pending.using = using
    pending.rows[model] |= {pk for pk in pks if pk is not None}
    if rules.change_scratch() is None:
        flush()


def _before_save(sender, instance, raw=False, using=None, **kwargs):
    # Before the row moves: the records that show it now (a party moved to another cooperation
    # leaves the first one changed too).
    if _follows(sender) and instance.pk is not None and not instance._state.adding:
        _remember_old(sender, {instance.pk}, using)


def _after_save(sender, instance, raw=False, using=None, **kwargs):
    if _follows(sender):
        _remember_new(sender, {instance.pk}, using)


def _before_delete(sender, instance, using=None, **kwargs):
    # After the delete the row and its links are gone (and SET_NULL links already cleared).
    if _follows(sender):
        _remember_old(sender, {instance.pk}, using)


def _after_delete(sender, instance, using=None, **kwargs):
    if not _follows(sender):
        return
    pending = _pending()
    pending.using = using
    for resource, paths in _tracked()[sender]:
        if "pk" in paths:
            pending.records[resource.name].add(instance.pk)
    if rules.change_scratch() is None:
        flush()


def _links_changed(sender, instance, action, model, pk_set, using=None, **kwargs):
    owner = type(instance)
    if not (_follows(owner) or _follows(model)):
        return
    if action.startswith("pre_"):
        _remember_old(owner, {instance.pk}, using)
        if pk_set:
            _remember_old(model, pk_set, using)
    else:
        pending = _pending()
        pending.rows[model] |= set(pk_set or ())
        _remember_new(owner, {instance.pk}, using)


pre_save.connect(_before_save, dispatch_uid="changefeed-pre-save")
post_save.connect(_after_save, dispatch_uid="changefeed-post-save")
pre_delete.connect(_before_delete, dispatch_uid="changefeed-pre-delete")
post_delete.connect(_after_delete, dispatch_uid="changefeed-post-delete")
m2m_changed.connect(_links_changed, dispatch_uid="changefeed-m2m")


# --- writing the entries ---------------------------------------------------------------------


@rules.at_end_of_change
def flush():
    """Write the entries for what the change in progress touched (see the module's text)."""
    scratch = rules.change_scratch()
    pending = (
        scratch.pop("changefeed", None)
        if scratch is not None
        else _loose.__dict__.pop("pending", None)
    )
    if not pending:
        return
    using = pending.using or router.db_for_write(global_apps.get_model("agreements", "Change"))
    records = defaultdict(set, {k: set(v) for k, v in pending.records.items()})
    for model, pks in pending.rows.items():
        for name, ids in affected(model, pks, using).items():
            records[name] |= ids
    with transaction.atomic(using=using):
        _write(global_apps, using, records)


def _write(apps, using, records, announce_unchanged=True):
    """Write entries for `records` ({resource name: ids}) as they stand now; returns how many.

    Holds the generation's lock from the first line on and stamps every entry with it.
    """
    if not any(records.values()):
        return 0
    Change = apps.get_model("agreements", "Change")
    stamp = _take_generation(apps, using)
    now = timezone.now()
    deletions, upserts = [], []
    for name, ids in records.items():
        if not ids:
            continue
        resource = resource_named(name)
        model = apps.get_model(resource.model)
        ids = sorted(ids)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            current = {
                pk: resource.key_of(values)
                for pk, *values in model._base_manager.using(using)
                .filter(pk__in=chunk)
                .values_list("pk", *resource.key_fields)
            }
            announced = defaultdict(set)
            for object_id, key in (
                Change.objects.using(using)
                .filter(resource=name, object_id__in=chunk)
                .exclude(action=DELETED)
                .values_list("object_id", "key")
            ):
                announced[object_id].add(key)
            for pk in chunk:
                key, before = current.get(pk), announced.get(pk, set())
                deletions += [(name, old, pk) for old in sorted(before - {key})]
                if key is None:
                    continue
                if key in before:
                    if announce_unchanged:
                        upserts.append((name, key, pk, CHANGED))
                else:
                    upserts.append((name, key, pk, CREATED))
    # Deletions first: two records that swap keys in one change end with both present. A key
    # deleted and created again in the same change needs only its new entry.
    recreated = {(name, key) for name, key, _pk, _action in upserts}
    rows = [
        Change(
            generation=stamp, resource=name, key=key, object_id=pk, action=DELETED, recorded_at=now
        )
        for name, key, pk in deletions
        if (name, key) not in recreated
    ] + [
        Change(
            generation=stamp, resource=name, key=key, object_id=pk, action=action, recorded_at=now
        )
        for name, key, pk, action in upserts
    ]
    _compact(Change, using, {(row.resource, row.key) for row in rows})
    Change.objects.using(using).bulk_create(rows, batch_size=CHUNK)
    return len(rows)


def _compact(Change, using, keys):
    """Delete the earlier entries for these (resource, key) pairs: the new one replaces them."""
    by_resource = defaultdict(list)
    for name, key in keys:
        by_resource[name].append(key)
    for name, names in by_resource.items():
        for start in range(0, len(names), CHUNK):
            # A raw delete: the log sends no signals and has nothing that refers to it (a
            # QuerySet.delete() would fetch every row to send signals nobody listens to).
            Change.objects.using(using).filter(
                resource=name, key__in=names[start : start + CHUNK]
            )._raw_delete(using)


def _take_generation(apps, using):
    """The generation this transaction holds, locked until it ends.

    The change's own writes have bumped it already (cache._bump_on_change), in this transaction
    or, for a write in autocommit mode, in one that has committed: either way no transaction
    that commits later can stamp a lower one. Locking it again costs nothing in the first case
    and, in the second, makes this transaction wait for a writer that holds it, so its entries
    still follow every entry committed before. Before the first change there is no row: bump.
    """
    PageGeneration = apps.get_model("pagecache", "PageGeneration")
    rows = PageGeneration.objects.using(using)
    value = rows.select_for_update().filter(pk=1).values_list("value", flat=True).first()
    if value is None:
        cache.bump(using, model=PageGeneration)
        value = rows.values_list("value", flat=True).get(pk=1)
    return value


# --- bulk paths ------------------------------------------------------------------------------


def reconcile(apps=global_apps, using=DEFAULT_DB_ALIAS, announce_all=False):
    """Make the feed agree with the records after writes that sent no signals (bulk loads,
    data migrations, the feed's own first migration): `created` for every record it has not
    announced under its current key, `deleted` for every announced key no record has now, and
    with `announce_all` `changed` for the rest. Returns the number of entries written.

    It also counts as a change of the registry: the writes it follows sent no signal, so
    cached pages and ETags still stand for the content before them."""
    Change = apps.get_model("agreements", "Change")
    records = {}
    for name, resource in resources().items():
        model = apps.get_model(resource.model)
        ids = set(model._base_manager.using(using).values_list("pk", flat=True))
        ids |= set(
            Change.objects.using(using)
            .filter(resource=name)
            .exclude(action=DELETED)
            .values_list("object_id", flat=True)
        )
        records[name] = ids
    with transaction.atomic(using=using):
        cache.bump(using, model=apps.get_model("pagecache", "PageGeneration"))
        return _write(apps, using, records, announce_unchanged=announce_all)


def adopt_restored_log(using=DEFAULT_DB_ALIAS):
    """Keep a restored backup's log as it was dumped, inside the loading change.

    What the load itself would record (every record "changed") is dropped: the log it brings
    already says what a mirror needs, and a mirror's cursor stays valid. The generation moves
    past the log's newest entry, so that every later change is stamped after it.
    """
    scratch = rules.change_scratch()
    if scratch is not None:
        scratch.pop("changefeed", None)
    Change = global_apps.get_model("agreements", "Change")
    PageGeneration = global_apps.get_model("pagecache", "PageGeneration")
    newest = Change.objects.using(using).aggregate(newest=Max("generation"))["newest"]
    cache.bump(using)
    if newest is not None:
        PageGeneration.objects.using(using).filter(pk=1, value__lte=newest).update(value=newest + 1)


def last_position(using=None):
    """(generation, id) of the newest entry, or None: where a copy taken now continues from."""
    Change = global_apps.get_model("agreements", "Change")
    return (
        Change.objects.using(using)
        .order_by("-generation", "-id")
        .values_list("generation", "id")
        .first()
    )
