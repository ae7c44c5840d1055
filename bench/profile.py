#!/usr/bin/env python
"""Profile uncached renders of public pages with pyinstrument, in-process.

Run against the national data set (see bench/benchmark.py), for example:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/profile.py /samverkan/ /api/v1/citations/

Each path is requested once to warm up, then REPEAT times under the profiler; the page cache
is off, so what is measured is the render a crawler or the first visitor after an edit sees.
The SQL time per query is printed apart: pyinstrument only shows it as time in psycopg.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's own folder out of the path: named like the standard library's profile module,
# it would be what cProfile imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
from bench.inprocess import configure  # noqa: E402

configure()
os.environ["DJANGO_PAGE_CACHE_SECONDS"] = "0"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--tree", action="store_true", help="the call tree, not the flat list")
    parser.add_argument("--html", help="folder to write one pyinstrument HTML report per path")
    parser.add_argument(
        "--cost",
        action="store_true",
        help="no profile: each path's least processor time of REPEAT renders, its Python "
        "calls (cProfile, the same in every run) and its SQL time, one line a path",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    # The WSGI handler as gunicorn calls it: the test Client would copy every template
    # context it renders (for its assertions), which costs more than the render itself.
    handler = WSGIHandler()
    factory = RequestFactory(HTTP_HOST="127.0.0.1")

    def get(path):
        url, _, query = path.partition("?")
        environ = factory._base_environ(PATH_INFO=url, QUERY_STRING=query, REQUEST_METHOD="GET")
        statuses = []
        body = b"".join(handler(environ, lambda status, headers: statuses.append(status)))
        return int(statuses[0].split()[0]), body

    if args.cost:
        for path in args.paths:
            print(cost(path, get, args.repeat))
        return

    for path in args.paths:
        assert get(path)[0] == 200, path
        with CaptureQueriesContext(connection) as ctx:
            get(path)
        queries = list(ctx.captured_queries)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        profiler = Profiler(interval=0.0005)
        # Python's own CPU time, apart from the wall time: on a shared machine the wall time
        # also counts waiting for a core.
        started, cpu_started = time.perf_counter(), time.process_time()
        with profiler:
            for _ in range(args.repeat):
                get(path)
        per_request = (time.perf_counter() - started) / args.repeat * 1000
        cpu = (time.process_time() - cpu_started) / args.repeat * 1000
        print(f"\n=== {path}: {per_request:.1f} ms per request ({cpu:.1f} ms CPU), {len(queries)} "
              f"queries taking {sql_ms:.1f} ms")  # fmt: skip
        for q in sorted(queries, key=lambda q: -float(q["time"]))[:3]:
            print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
        tree = args.tree
        print(profiler.output_text(color=False, show_all=tree, flat=not tree, flat_time="self"))
        if args.html:
            name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
            Path(args.html).mkdir(parents=True, exist_ok=True)
            (Path(args.html) / f"{name}.html").write_text(profiler.output_html())


def cost(path, get, repeat):
    """What one uncached render costs the machine, as comparable between runs as it gets.

    pyinstrument's sampling roughly doubles a request's processor time, and a shared 2-core
    machine varies from minute to minute: the least of `repeat` renders without a profiler
    is steadier, and the number of Python calls is the same in every run. A render costs the
    machine its Python time plus PostgreSQL's (on the same cores) plus the server's own
    couple of milliseconds, which is what throughput under load divides.
    """
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert get(path)[0] == 200, path
    times = []
    for _ in range(repeat):
        started = time.process_time()
        get(path)
        times.append(time.process_time() - started)
    with CaptureQueriesContext(connection) as ctx:
        get(path)
    # Read now: the next request empties the connection's query log.
    queries = list(ctx.captured_queries)
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    profile = cProfile.Profile()
    profile.runcall(get, path)
    calls = pstats.Stats(profile).total_calls
    return (
        f"{path}: {min(times) * 1000:.1f} ms CPU (least of {repeat}), {calls:,} Python calls, "
        f"{len(queries)} queries taking {sql_ms:.0f} ms"
    )


if __name__ == "__main__":
    main()
