"""The whole public registry as one ZIP (`manage.py export_bulk`), published by
agreements.downloads.

Every part is written by the code that serves it one page at a time, so the file cannot say
anything the site does not:

- `csv/<list>.csv`: each list page's CSV download, unfiltered (agreements.exports, the list
  views' querysets), Swedish (semicolons, decimal commas, as the Swedish pages give it);
- `jsonl/<resource>.jsonl`: one line per record, exactly the API's detail response
  (agreements.api: the detail serializers, their querysets and citations);
- `ocds/releases.json`: the OCDS release package of /api/v1/ocds/releases/, every page in one;
- `kallor/<slug>.txt`: each source's text as the registry holds it, and
  `kallor/original/<slug>/<name>`: the original file, as /kallor/<slug>/original/ gives it;
- `README.txt`: licence, publisher, date, the registry's change generation, the files and a
  data dictionary generated from the same column and field definitions.

The planned procurements, nearly all of the rows, are fetched once for their three entries (CSV,
JSON Lines, OCDS): the list, the API and the OCDS view read the same query, so each batch of
rows and its citations serves the three writers (write_procurements).

Rows are streamed from database iterators in batches into a file per entry (or per part of an
entry), then compressed into the ZIP in order; no table is held in memory. All parts are read in
one transaction (REPEATABLE READ on PostgreSQL), so they show the registry as of one committed
change, whose generation the README and the manifest name. On PostgreSQL, worker processes
(agreements.bulk_worker) write the entries at once, the longest first, the longest entries in
parts of rows (jobs()), each in a transaction of its own that reads the same exported snapshot.
"""

import gc
import logging
import multiprocessing
import shutil
import tempfile
import threading
import time
import zipfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import base as urls_base
from django.urls import get_urlconf, reverse, set_urlconf
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, trans_real
from rest_framework.renderers import JSONRenderer

from . import bulk_worker, downloads, exports, views
from .api import ocds, serializers
from .api import views as api_views
from .cache import generation
from .links import absolute_url
from .models import SourceDocument

logger = logging.getLogger(__name__)

# Rows per database round trip and per serializer call: big enough that the per-batch queries
# (citations, prefetches) are few, small enough that a batch is a few megabytes at most.
BATCH_SIZE = 1000
# A source's text can be a whole report: fetch few at a time.
SOURCE_BATCH_SIZE = 20
COMPRESSION = zipfile.ZIP_DEFLATED
# Level 6 took twice as long as level 1 for 8 % less (national scale): speed wins for a job
# that runs after every burst of edits.
COMPRESS_LEVEL = 1

CSV_LISTS = [views.MunicipalityList, views.CooperationList, views.ProcurementList]


@dataclass
class Resource:
    """One API resource as JSON Lines: its name in the API, the rows, and how they are cited."""

    name: str
    schema: str  # the detail serializer's component in the OpenAPI document
    serializer: type
    queryset: object
    cite: object = None
    batch_size: int = 0  # 0: BATCH_SIZE

    @property
    def batch(self):
        return self.batch_size or BATCH_SIZE


def resources():
    return [
        Resource(
            "municipalities",
            "MunicipalityDetail",
            serializers.MunicipalityDetailSerializer,
            api_views.MunicipalityViewSet.queryset.all(),
            api_views.cite_municipality_details,
        ),
        Resource(
            "cooperations",
            "CooperationDetail",
            serializers.CooperationDetailSerializer,
            api_views.cooperation_details().order_by("name", "pk"),
            lambda rows: api_views.cite_cooperations(rows, details=True),
            batch_size=200,
        ),
        Resource(
            "procurements",
            "Procurement",
            serializers.ProcurementSerializer,
            api_views.ProcurementViewSet.queryset.all(),
            api_views.facts.cite_records,
        ),
        Resource(
            "sources",
            "SourceDetail",
            serializers.SourceDetailSerializer,
            api_views.SourceViewSet.queryset.all(),
            batch_size=SOURCE_BATCH_SIZE,
        ),
        Resource(
            "citations",
            "Citation",
            serializers.CitationSerializer,
            api_views.CitationViewSet.queryset.all(),
        ),
    ]


@dataclass
class Contents:
    """What was written: file name -> (kind, rows), for the README."""

    files: dict = field(default_factory=dict)


# --- the parts --------------------------------------------------------------------------------


def _entry(archive, name):
    """A new entry, dated when the export was made (ZIP times have no zone: UTC here)."""
    info = zipfile.ZipInfo(name, date_time=archive.created_at.timetuple()[:6])
    info.compress_type = COMPRESSION
    # What ZipFile.open gives a named entry (Python 3.11 has no public name for it; 3.13 keeps
    # this one as an alias of compress_level).
    info._compresslevel = COMPRESS_LEVEL
    # Sizes are not known before a streamed entry is written: ZIP64 headers in case it is big.
    return archive.open(info, "w", force_zip64=True)


def _write_text(sink, pieces):
    """Write text pieces (a generator) into `sink`, encoded as UTF-8, in modest chunks."""
    buffer, size = [], 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= 1 << 16:
            sink.write("".join(buffer).encode())
            buffer, size = [], 0
    sink.write("".join(buffer).encode())


class _Counted:
    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


# Where Django keeps the active language, time zone, URL configuration and script prefix: each
# an asgiref Local, which keeps them apart per thread and per asyncio task.
_LOCALS = [
    (trans_real, "_active"),
    (timezone, "_active"),
    (urls_base, "_urlconfs"),
    (urls_base, "_prefixes"),
]


@contextmanager
def _thread_locals():
    """Django's per-request state in plain thread-locals while the export writes, with the
    values it had. An asgiref Local takes a lock and a context variable on every read, and
    the export reads the language, the time zone or the URL configuration a few dozen times
    per row (every label, phrase, timestamp and address): a tenth of its processor time. The
    export runs in one thread and no asyncio task, so a thread-local keeps them apart as
    well; the Locals are put back, untouched, afterwards."""
    swapped = []
    try:
        for module, name in _LOCALS:
            local = getattr(module, name)
            plain = threading.local()
            if hasattr(local, "value"):
                plain.value = local.value
            setattr(module, name, plain)
            swapped.append((module, name, local))
        yield
    finally:
        for module, name, local in reversed(swapped):
            setattr(module, name, local)


@contextmanager
def rendering():
    """What a request sets before anything is written, set once for the whole export: Swedish
    (as the file's CSV), the default time zone and the URL configuration. Left unset, every
    timestamp and every address of every row looked up the default again, raising and
    catching an AttributeError inside asgiref's Local each time (a tenth of the JSON Lines'
    time)."""
    with _thread_locals():
        previous = get_urlconf()
        set_urlconf(settings.ROOT_URLCONF)
        try:
            with translation.override("sv"), timezone.override(timezone.get_default_timezone()):
                yield
        finally:
            set_urlconf(previous)


# The planned procurements' place in CSV_LISTS and resources(): their CSV, JSON Lines and OCDS
# releases are written in one pass over the rows (write_procurements).
PROCUREMENTS = 2
OCDS_PATH = "ocds/releases.json"
# What a thousand rows of each job cost, in seconds (national scale, one worker of two on a
# 2-core machine): only their ratios count. Worker processes take the jobs the longest first
# (longest-processing-time order), and a job longer than a share of the whole is split into
# parts of rows, each a job of its own, so that no single job bounds the time.
ROW_COST = {
    ("procurements", PROCUREMENTS): 1.05,  # the three entries of the pass
    ("jsonl", 0): 23,  # municipalities: every cooperation and commitment of each
    ("jsonl", 1): 3.9,  # cooperations
    ("jsonl", 3): 0.7,  # sources
    ("jsonl", 4): 0.31,  # citations
    ("csv", 0): 4.4,  # municipalities
    ("csv", 1): 0.86,  # cooperations
}
# The jobs that can be written in parts of rows: their rows are in an order with a unique
# tie-breaker, so that each part's slice of it is the same rows whichever process reads it.
SPLITTABLE = {("procurements", PROCUREMENTS), ("jsonl", 0), ("jsonl", 1), ("jsonl", 4)}
# At most this share of the whole, per worker, in one job: the last job to finish leaves the
# other workers idle for at most about that long.
PART_SHARE = 1 / 6


def csv_path(index):
    return f"csv/{CSV_LISTS[index].csv_name}.csv"


def jsonl_path(index):
    return f"jsonl/{resources()[index].name}.jsonl"


def entry_paths():
    """The entries written from the database, in the ZIP's order."""
    return [
        *(csv_path(i) for i in range(len(CSV_LISTS))),
        *(jsonl_path(i) for i in range(len(resources()))),
        OCDS_PATH,
    ]


@dataclass(frozen=True)
class Job:
    """Entries written from the database: `kind` says which writer, `index` which list or
    resource, and `start` and `stop` which rows (in the list's order) when a job writes a
    part of its entries. Plain data, so that a worker process can be handed one."""

    kind: str
    index: int = 0
    start: int = 0
    stop: int | None = None
    cost: float = field(default=0, compare=False)  # estimated (ROW_COST), for the order

    @property
    def paths(self):
        """The entries it writes (the whole of them, or the rows start to stop)."""
        if self.kind == "procurements":
            return [csv_path(PROCUREMENTS), jsonl_path(PROCUREMENTS), OCDS_PATH]
        return [csv_path(self.index) if self.kind == "csv" else jsonl_path(self.index)]


def procurement_queryset():
    """The rows the pass writes, in the API's order; the CSV's list and the OCDS view read the
    same query (checked in write_procurements)."""
    return api_views.ProcurementViewSet.queryset.all()


def _count(job):
    """How many rows a job writes (a list's CSV: as many as its resource has in the API)."""
    if job.kind == "procurements":
        return procurement_queryset().count()
    return resources()[job.index].queryset.count()


def jobs(workers=1):
    """Every job, in the ZIP's order (the parts of an entry in the order of their rows). With
    several `workers`, a job that would take more than PART_SHARE of the whole per worker is
    split into parts of rows; each job's `cost` estimates how long it takes."""
    whole = [
        Job("procurements", PROCUREMENTS),
        *(Job("jsonl", i) for i, _r in enumerate(resources()) if i != PROCUREMENTS),
        *(Job("csv", i) for i in range(len(CSV_LISTS)) if i != PROCUREMENTS),
    ]
    if workers <= 1:
        return whole
    counted = [(job, _count(job)) for job in whole]
    costs = [rows * ROW_COST.get((job.kind, job.index), 1) for job, rows in counted]
    longest = sum(costs) * PART_SHARE / workers
    todo = []
    for (job, rows), cost in zip(counted, costs, strict=True):
        parts = 1
        if (job.kind, job.index) in SPLITTABLE and longest:
            parts = max(1, min(rows, round(cost / longest + 0.5)))
        if parts == 1:
            todo.append(Job(job.kind, job.index, cost=cost))
            continue
        size = -(-rows // parts)
        for start in range(0, rows, size):
            stop = min(rows, start + size)
            todo.append(Job(job.kind, job.index, start, stop, cost * (stop - start) / rows))
    return todo


def run_job(job, folder, number):
    """Write `job`'s entries into files of their own in `folder`; returns [(entry, file, rows)]."""
    files = [Path(folder) / f"{number}-{n}" for n in range(len(job.paths))]
    with ExitStack() as stack:
        sinks = [stack.enter_context(f.open("wb")) for f in files]
        counts = WRITERS[job.kind](job, *sinks)
    return list(zip(job.paths, [str(f) for f in files], counts, strict=True))


def described(path, count):
    """What the README says of an entry: (kind, rows)."""
    for index in range(len(CSV_LISTS)):
        if path == csv_path(index):
            return CSV_LISTS[index], count
    for index, resource in enumerate(resources()):
        if path == jsonl_path(index):
            return resource, count
    return "ocds", count


def write_csv(job, sink):
    view_class = CSV_LISTS[job.index]
    _name, rows, columns = view_class.full_csv(RequestFactory().get("/"))
    counted = _Counted(rows)
    _write_text(sink, exports.csv_lines(counted, columns, "sv"))
    return [counted.count]


def write_jsonl(job, sink):
    resource = resources()[job.index]
    renderer = JSONRenderer()
    # Absolute links come from REGISTRY_BASE_URL whatever the request (agreements.links): no
    # request is needed, and none is made up.
    context = {"request": None}
    count = 0
    rows = resource.queryset[job.start : job.stop].iterator(chunk_size=resource.batch)
    for batch in exports.batches(rows, resource.batch):
        if resource.cite is not None:
            resource.cite(batch)
        data = resource.serializer(batch, many=True, context=context).data
        sink.write(b"".join(renderer.render(row) + b"\n" for row in data))
        count += len(batch)
    return [count]


def _same_rows(*querysets):
    """Do the querysets fetch the same rows, in the same order, with the same prefetches?"""
    first = querysets[0]
    return all(
        str(q.query) == str(first.query)
        and q._prefetch_related_lookups == first._prefetch_related_lookups
        for q in querysets[1:]
    )


def write_procurements(job, csv_sink, jsonl_sink, ocds_sink):
    """The planned procurements' three entries, or rows `start` to `stop` of them: the list's
    CSV rows (without the header), the API's records as JSON Lines, and the OCDS releases
    (separated by commas, without the package around them).

    Each is written by its own code (the list's CSV columns, the API's serializer, the OCDS
    release), from one fetch of each batch of rows with its citations: the list's CSV, the
    API and the OCDS view read the same query and cite with the same function, so fetching
    them once for the three gives what fetching them three times gave.
    """
    resource = resources()[PROCUREMENTS]
    _name, _rows, columns = CSV_LISTS[PROCUREMENTS].full_csv(RequestFactory().get("/"))
    queryset = procurement_queryset()
    listed = CSV_LISTS[PROCUREMENTS](request=RequestFactory().get("/"), args=(), kwargs={})
    listed.filterset = listed.filterset_class(None, queryset=listed.get_base_queryset())
    if not (
        _same_rows(queryset, listed.get_queryset(), api_views.OcdsReleasePackageView.queryset)
        and columns.prepare is resource.cite is api_views.facts.cite_records
    ):
        raise RuntimeError("The procurements' CSV, API and OCDS no longer read the same rows.")
    renderer = JSONRenderer()
    context = {"request": None}
    count = 0
    rows = queryset[job.start : job.stop].iterator(chunk_size=BATCH_SIZE)
    for batch in exports.batches(rows, BATCH_SIZE):
        resource.cite(batch)
        _write_text(csv_sink, exports.csv_rows(batch, columns, "sv", prepared=True))
        data = resource.serializer(batch, many=True, context=context).data
        jsonl_sink.write(b"".join(renderer.render(row) + b"\n" for row in data))
        # In Swedish, as release_package writes them.
        releases = [renderer.render(ocds.release(p)) for p in batch]
        ocds_sink.write((b"," if count else b"") + b",".join(releases))
        count += len(batch)
    return [count, count, count]


WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "procurements": write_procurements}


def _frames():
    """What goes around the parts of an entry written in parts: (head, separator, tail)."""
    renderer = JSONRenderer()
    request = RequestFactory().get(reverse("api:ocds-releases"))
    # The release package as the API gives it, with every release in one package.
    empty = renderer.render(ocds.release_package([], request))
    head, tail = empty.split(b'"releases":[]', 1)
    columns = CSV_LISTS[PROCUREMENTS].full_csv(RequestFactory().get("/"))[2]
    return {
        csv_path(PROCUREMENTS): (exports.csv_head(columns, "sv").encode(), b"", b""),
        OCDS_PATH: (head + b'"releases":[', b",", b"]" + tail),
    }


def _workers():
    if connection.vendor != "postgresql":
        return 1
    return settings.REGISTRY_EXPORT_WORKERS


def write_parts(archive, contents, snapshot=None):
    """Every entry from the database: written by this process, or with a PostgreSQL `snapshot`
    by REGISTRY_EXPORT_WORKERS processes that read it, each job into files of its own; this
    process compresses the files into the ZIP in order as they are done."""
    todo = jobs(_workers() if snapshot is not None else 1)
    frames = _frames()
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="export-"))
        if snapshot is None:
            results = [_Ready(_timed(run_job, job, folder, n)) for n, job in enumerate(todo)]
        else:
            pool = stack.enter_context(
                multiprocessing.get_context("spawn").Pool(
                    min(settings.REGISTRY_EXPORT_WORKERS, len(todo)),
                    initializer=bulk_worker.start,
                    initargs=(connection.settings_dict["NAME"], snapshot),
                )
            )
            # The longest first; the results are read in the ZIP's order.
            longest_first = sorted(range(len(todo)), key=lambda n: -todo[n].cost)
            started = {
                n: pool.apply_async(bulk_worker.write, (todo[n], folder, n)) for n in longest_first
            }
            results = [started[n] for n in range(len(todo))]
        written = {}  # entry -> [(file, rows)] in the order of the rows
        for job, result in zip(todo, results, strict=True):
            pieces, seconds = result.get()
            rows = f" (rows {job.start}–{job.stop})" if job.stop is not None else ""
            logger.info("%s%s: %.1f s", ", ".join(job.paths), rows, seconds)
            for path, file, count in pieces:
                written.setdefault(path, []).append((Path(file), count))
        for path in entry_paths():
            head, separator, tail = frames.get(path, (b"", b"", b""))
            with _entry(archive, path) as entry:
                entry.write(head)
                first = True
                for file, count in written[path]:
                    if count and not first:
                        entry.write(separator)
                    first = first and not count
                    with file.open("rb") as piece:
                        shutil.copyfileobj(piece, entry, 1 << 20)
                    file.unlink()
                entry.write(tail)
            contents.files[path] = described(path, sum(count for _f, count in written[path]))


class _Ready:
    """A result already there, as a pool's would be."""

    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value


def _timed(function, *args):
    started = time.monotonic()
    result = function(*args)
    return result, time.monotonic() - started


def source_paths(source):
    """Where a source's text and original go in the ZIP."""
    text = f"kallor/{source.slug}.txt"
    original = None
    if source.has_original:
        name = source.original_name or f"{source.slug}.{source.original_format or 'bin'}"
        original = f"kallor/original/{source.slug}/{name}"
    return text, original


def write_sources(archive, contents):
    texts = originals = 0
    queryset = SourceDocument.objects.order_by("slug", "pk")
    for source in queryset.iterator(chunk_size=SOURCE_BATCH_SIZE):
        text_path, original_path = source_paths(source)
        with _entry(archive, text_path) as entry:
            entry.write(source.text.encode())
        texts += 1
        if original_path is None:
            continue
        try:
            handle = source.open_original()
        except FileNotFoundError:
            handle = None
        if handle is None:
            continue  # the page says so too: the download answers 404
        with handle, _entry(archive, original_path) as entry:
            shutil.copyfileobj(handle, entry, 1 << 20)
        originals += 1
    contents.files["kallor/"] = ("sources", texts)
    contents.files["kallor/original/"] = ("originals", originals)


# --- the README and its data dictionary ------------------------------------------------------


def _schema_fields(components, name, prefix="", seen=()):
    """(dotted field name, description) for every field of a schema component, nested objects
    and lists of objects included, from the OpenAPI document the API publishes."""
    for key, prop in components[name].get("properties", {}).items():
        ref = (
            prop.get("$ref")
            or prop.get("items", {}).get("$ref")
            or next((p.get("$ref") for p in prop.get("allOf", []) if "$ref" in p), None)
        )
        target = components.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
        text, codes = _describe(prop.get("description"))
        if target and not target.get("properties"):
            # An enumeration: its own description lists the codes.
            codes = codes or _describe(target.get("description"))[1]
        text = text or str(prop.get("title") or "") or fallback_meaning(key)
        if codes:
            text += " " + _("Koder: %(codes)s.") % {"codes": ", ".join(codes)}
        suffix = "[]" if prop.get("type") == "array" else ""
        yield prefix + key + suffix, text
        if target.get("properties") and ref not in seen:
            yield from _schema_fields(
                components, ref.rsplit("/", 1)[-1], f"{prefix}{key}{suffix}.", (*seen, ref)
            )


def _describe(description):
    """A schema description as (plain text, ["code (label)", ...]): drf-spectacular appends an
    enumeration's codes as a Markdown list."""
    text, codes = [], []
    for line in str(description or "").splitlines():
        match = views.CHOICE_LINE.match(line.strip())
        if match:
            codes.append(f"{match['value']} ({match['label']})")
        elif line.strip():
            text.append(line.strip())
    return " ".join(text), codes


def fallback_meaning(key):
    """For the few fields the OpenAPI document leaves undescribed."""
    meanings = {
        "url": _("Postens adress i API:t."),
        "html_url": _("Postens sida i registret."),
        "county": _("Länet: kod och namn."),
        "buyers": _("Köparna, var och en med kommun och om den leder upphandlingen."),
        "municipality": _("Kommunen: kod, kortnamn och namn."),
        "made_by": _("Kommunen som gjorde uttalandet: kod, kortnamn och namn."),
        "cooperation": _("Samverkan: kortnamn, namn och sida."),
        "decision_body": _("Organet som fattade beslutet."),
        "decision_reference": _("Beslutets diarienummer eller paragraf."),
        "assessment": _("Hur källan bedömer påståendet."),
    }
    return str(meanings.get(key, _("Se API:ts beskrivning på /oppna-data/.")))


def _dictionary(contents):
    lines = []
    for path, (kind, _count) in contents.files.items():
        if path.startswith("csv/"):
            lines += ["", f"{path}", "-" * len(path)]
            for column in kind.full_csv(RequestFactory().get("/"))[2]:
                header = exports.header_text(column)
                with translation.override("sv"):
                    swedish = exports.header_text(column)
                label = swedish if header == swedish else f"{swedish} ({header})"
                lines.append(f"- {label}: {exports.meaning(column) or header}")
        elif path.startswith("jsonl/"):
            lines += ["", f"{path}", "-" * len(path)]
            components = views._api_schema(translation.get_language())["components"]["schemas"]
            for name, description in _schema_fields(components, kind.schema):
                lines.append(f"- {name}: {description}")
    return lines


def readme(contents, created_at, generation_number, language):
    with translation.override(language):
        license_line = f"{settings.OPEN_DATA_LICENSE_NAME} <{settings.OPEN_DATA_LICENSE_URL}>"
        lines = [
            _("Samverkansregistret: hela registret som öppna data"),
            "=" * 60,
            "",
            _("Utgivare: %(publisher)s <%(url)s>")
            % {"publisher": settings.REGISTRY_PUBLISHER, "url": absolute_url("/")},
            _("Licens: %(license)s") % {"license": license_line},
            _("Exporterad: %(date)s (UTC)") % {"date": created_at.strftime("%Y-%m-%d %H:%M:%S")},
            _("Registrets ändringsgeneration: %(generation)s") % {"generation": generation_number},
            _("Dokumentation av API:t och formaten: %(url)s")
            % {"url": absolute_url(reverse("agreements:open-data"))},
            "",
            _(
                "Filen visar registret vid en och samma ändring (generationen ovan). CSV-filerna "
                "är desamma som listornas CSV på de svenska sidorna (semikolon, decimalkomma, "
                "UTF-8 med BOM). JSON Lines har en post per rad, precis som API:ts svar för den "
                "enskilda posten. OCDS-paketet har alla releaser från /api/v1/ocds/releases/. "
                "Källornas texter finns som UTF-8 under kallor/, originalfilerna under "
                "kallor/original/."
            ),
            "",
            _("Filer"),
            "-----",
        ]
        for path, (_kind, count) in contents.files.items():
            lines.append(
                ngettext("- %(path)s: %(count)s post", "- %(path)s: %(count)s poster", count)
                % {"path": path, "count": count}
            )
        lines += ["", _("Dataordlista"), "============", *_dictionary(contents)]
    return "\n".join(lines) + "\n"


# --- the whole file ---------------------------------------------------------------------------


def write_zip(handle, created_at):
    """Write the registry into `handle` (a binary file). Returns the generation it shows."""
    outermost = not connection.in_atomic_block
    snapshot = None
    with transaction.atomic(), rendering():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every part and the generation, while writers go on. (Inside a
            # caller's transaction, a test's, the snapshot is that transaction's.)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                if settings.REGISTRY_EXPORT_WORKERS > 1:
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
        generation_number = generation()
        contents = Contents()
        with zipfile.ZipFile(
            handle, "w", compression=COMPRESSION, compresslevel=COMPRESS_LEVEL
        ) as archive:
            archive.created_at = created_at.astimezone(UTC)
            # What is alive now (Django, its caches) outlives the export: the collections that
            # agreements.exports runs every few batches need not walk it each time.
            gc.freeze()
            try:
                write_parts(archive, contents, snapshot)
                write_sources(archive, contents)
            finally:
                gc.unfreeze()
            text = "\n\n".join(
                readme(contents, created_at, generation_number, language)
                for language in ("sv", "en")
            )
            with _entry(archive, "README.txt") as entry:
                entry.write(text.encode())
    return generation_number


def export(created_at=None):
    """Write and publish a new export; returns the published downloads.Export."""
    created_at = (created_at or timezone.now()).replace(microsecond=0)
    with downloads.exclusive():
        return downloads.publish(lambda handle: write_zip(handle, created_at), created_at)
